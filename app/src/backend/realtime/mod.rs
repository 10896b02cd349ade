//! The real-time path inside one server instance: the event log's queries and the hub that
//! routes each event to the open streams allowed to see it. The listener task that feeds the
//! hub and the SSE endpoint live in the server crate.

pub mod hub;
pub mod log;
pub mod presence;

use serde::{Deserialize, Serialize};

pub use hub::{Hub, Subscription};
pub use log::StoredEvent;

use crate::model::Live;

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
