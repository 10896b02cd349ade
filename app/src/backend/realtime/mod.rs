//! The real-time path inside one server instance: the event log's queries, the hub that
//! routes each event to the open streams allowed to see it, and ephemeral messages (presence,
//! typing), which travel whole in a notification and are never stored. The listener task that
//! feeds the hub and the SSE endpoint live in the server crate.

pub mod hub;
pub mod log;
pub mod presence;
pub mod throttle;

use serde::{Deserialize, Serialize};
use sqlx::PgPool;

pub use hub::{Hub, Subscription};
pub use log::StoredEvent;
pub use throttle::Throttle;

use crate::{error::AppError, model::Live};

/// The channel ephemeral messages travel on, as JSON [`Message`]s without an id.
pub const EPHEMERAL_CHANNEL: &str = "meridian_ephemeral";

/// What the hub routes: a durable event (with its id) or an ephemeral message (without).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: Option<i64>,
    /// Everyone may see it; otherwise only the players in `audience`.
    pub public: bool,
    pub audience: Vec<i64>,
    /// The SSE payload, already serialised.
    pub data: String,
}

impl Message {
    pub fn visible_to(&self, player: i64) -> bool {
        self.public || self.audience.contains(&player)
    }

    /// A message for everyone that is never stored.
    pub fn ephemeral(live: &Live) -> Self {
        Self {
            id: None,
            public: true,
            audience: Vec::new(),
            data: serde_json::to_string(live).unwrap_or_default(),
        }
    }

    /// A message for the players in `audience` alone that is never stored.
    pub fn ephemeral_to(audience: Vec<i64>, live: &Live) -> Self {
        Self {
            public: false,
            audience,
            ..Self::ephemeral(live)
        }
    }
}

/// Sends an ephemeral message to every instance's listener. Lost, by design, when none is
/// listening; a message is a few hundred bytes, far under NOTIFY's 8000-byte cap.
pub async fn send_ephemeral(pool: &PgPool, message: &Message) -> Result<(), AppError> {
    let payload =
        serde_json::to_string(message).map_err(|e| AppError::internal("ephemeral message", e))?;
    sqlx::query!("select pg_notify($1, $2)", EPHEMERAL_CHANNEL, payload)
        .execute(pool)
        .await?;
    Ok(())
}

impl From<StoredEvent> for Message {
    fn from(event: StoredEvent) -> Self {
        Self {
            id: Some(event.id),
            public: event.public,
            audience: event.audience,
            data: event.data,
        }
    }
}
