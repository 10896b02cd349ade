//! The one listener per instance: wakes on `NOTIFY meridian_events`, reads the event log after
//! its cursor in id order and publishes each event to the hub. It also relays ephemeral
//! messages (presence, typing), which travel whole in `NOTIFY meridian_ephemeral`, and ends
//! the streams of signed-out sessions (`NOTIFY meridian_session_ended`). Both are lost when
//! no one is listening: by design for ephemeral messages; a stream whose sign-out is lost
//! that way lives on until it closes.
//!
//! Notifications are only a wake-up. They are not durable: when the listening connection
//! dies, sqlx reconnects silently and whatever was sent meanwhile is lost. So the listener
//! catches up from its cursor after every wake-up, after every reconnect (sqlx reports one as
//! `Ok(None)`), and on a short timer whatever happens. Ids become visible in commit order
//! (see the events migration), so reading "after the cursor" never skips an event.

use std::{sync::Arc, time::Duration};

use app::backend::{
    realtime::{log, Hub, Message, EPHEMERAL_CHANNEL},
    sessions,
};
use sqlx::{postgres::PgListener, PgPool};
use tokio::sync::watch;

pub const CHANNEL: &str = "meridian_events";
/// Upper bound on delivery delay when a notification is lost.
const POLL: Duration = Duration::from_millis(500);
const BATCH: i64 = 500;

/// Runs until `stop` turns true. Failures are logged and retried; they never end the task.
pub async fn run(pool: PgPool, hub: Arc<Hub>, mut stop: watch::Receiver<bool>) {
    let mut cursor: Option<i64> = None;
    while !*stop.borrow() {
        if let Err(err) = listen(&pool, &hub, &mut cursor, &mut stop).await {
            hub.set_listening(false);
            tracing::warn!(%err, "event listener failed; retrying");
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = stop.changed() => {}
            }
        }
    }
    hub.set_listening(false);
}

async fn listen(
    pool: &PgPool,
    hub: &Hub,
    cursor: &mut Option<i64>,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener
        .listen_all([CHANNEL, EPHEMERAL_CHANNEL, sessions::ENDED_CHANNEL])
        .await?;
    // Listening first, then reading the cursor: nothing committed in between is missed.
    if cursor.is_none() {
        *cursor = Some(log::latest_id(pool).await?);
    }
    hub.set_listening(true);
    tracing::info!(cursor = ?cursor, "event listener up");
    let mut poll = tokio::time::interval(POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            woke = listener.try_recv() => match woke? {
                // Ephemeral messages travel in the notification itself and are not caught up.
                Some(note) if note.channel() == EPHEMERAL_CHANNEL => {
                    match serde_json::from_str::<Message>(note.payload()) {
                        Ok(message) => hub.publish(Arc::new(message)),
                        Err(err) => tracing::warn!(%err, "unreadable ephemeral message"),
                    }
                    continue;
                }
                // A signed-out session's streams end here, on every instance.
                Some(note) if note.channel() == sessions::ENDED_CHANNEL => {
                    hub.end_session(note.payload());
                    continue;
                }
                Some(_) => {}
                None => tracing::warn!("event listener reconnected; catching up from the cursor"),
            },
            _ = poll.tick() => {}
            _ = stop.changed() => return Ok(()),
        }
        catch_up(pool, hub, cursor).await?;
    }
}

async fn catch_up(
    pool: &PgPool,
    hub: &Hub,
    cursor: &mut Option<i64>,
) -> Result<(), app::error::AppError> {
    let Some(from) = cursor else { return Ok(()) };
    loop {
        let events = log::after(pool, *from, BATCH).await?;
        let full = events.len() as i64 == BATCH;
        for event in events {
            *from = event.id;
            hub.publish(Arc::new(Message::from(event)));
        }
        if !full {
            return Ok(());
        }
    }
}
