//! The one listener per instance: wakes on `NOTIFY meridian_events`, reads the event log after
//! its cursor in id order and publishes each event to the hub. It also relays ephemeral
//! messages (typing), which travel whole in `NOTIFY meridian_ephemeral`, hands the hub
//! presence changes (`NOTIFY meridian_presence`, and who is online at every connect), ends
//! the streams of signed-out sessions (`NOTIFY meridian_session_ended`), and drops the cache
//! of reference data when it changes (`NOTIFY meridian_reference`, and at every connect, since
//! a change made while no one listened went unheard). The first two are lost when
//! no one is listening: by design for ephemeral messages; a stream whose sign-out is lost
//! that way lives on until it closes.
//!
//! Notifications are only a wake-up. They are not durable: whatever is sent while the
//! listening connection is down is lost. So the listener catches up from its cursor after
//! every wake-up, after every reconnect, and on a short timer whatever happens. Ids become
//! visible in commit order (see the events migration), so reading "after the cursor" never
//! skips an event.
//!
//! A listening connection never serves anything else. It comes from a one-connection pool of
//! its own (application name `meridian-listener`), never from the shared pool: a connection
//! that has run `LISTEN` and goes back to a pool hands its next user a `NotificationResponse`
//! in the middle of a query. Nor is a receive ever cancelled: one task owns the listener and
//! only waits on it, handing what arrives over a channel, so no `select!` can drop sqlx's
//! internal reconnect half-way. When the connection is lost the whole listener is dropped
//! and a new one is made; `/readyz` answers 503 until it listens again.

use std::{sync::Arc, time::Duration};

use app::backend::{
    db,
    realtime::{log, presence, Hub, Message, EPHEMERAL_CHANNEL},
    reference::{self, Reference},
    sessions,
};
use sqlx::{
    postgres::{PgListener, PgNotification},
    PgPool,
};
use tokio::sync::{mpsc, watch};

pub const CHANNEL: &str = "meridian_events";
/// Upper bound on delivery delay when a notification is lost.
const POLL: Duration = Duration::from_millis(500);
const BATCH: i64 = 500;
/// Shown in `pg_stat_activity` for the listening connection.
pub const APPLICATION_NAME: &str = "meridian-listener";
/// Shown in `pg_stat_activity` for the connection that reads the log after a wake-up.
pub const READER_NAME: &str = "meridian-listener-reader";
/// Waits between failed attempts to listen: none after a connection that had been up, then
/// doubling to this cap while the database refuses.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Runs until `stop` turns true. Failures are logged and retried; they never end the task.
/// `presence_timeout` says who counts as online when the listener reads presence afresh.
pub async fn run(
    pool: PgPool,
    hub: Arc<Hub>,
    cache: Arc<Reference>,
    presence_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut cursor: Option<i64> = None;
    let mut backoff = Duration::ZERO;
    while !*stop.borrow() {
        let mut was_up = false;
        let result = listen(
            &pool,
            &hub,
            &cache,
            presence_timeout,
            &mut cursor,
            &mut stop,
            &mut was_up,
        )
        .await;
        hub.set_listening(false);
        let Err(err) = result else { break };
        crate::metrics::listener_reconnect();
        backoff = if was_up {
            Duration::ZERO
        } else {
            (backoff * 2).clamp(Duration::from_millis(100), MAX_BACKOFF)
        };
        tracing::warn!(%err, retry_in_ms = backoff.as_millis() as u64, "event listener down");
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.changed() => {}
        }
    }
}

/// Why a listener ended.
#[derive(Debug, thiserror::Error)]
enum ListenError {
    #[error("{0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Read(#[from] app::error::AppError),
    #[error("the listening connection was lost")]
    Lost,
}

async fn listen(
    pool: &PgPool,
    hub: &Hub,
    cache: &Reference,
    presence_timeout: Duration,
    cursor: &mut Option<i64>,
    stop: &mut watch::Receiver<bool>,
    was_up: &mut bool,
) -> Result<(), ListenError> {
    let own = one_connection(pool, APPLICATION_NAME, &[]).await?;
    let mut listener = PgListener::connect_with(&own).await?;
    // The one connection that reads the log after each wake-up, apart from the shared pool
    // so that a busy pool never holds delivery up. It keeps one generic plan for the read:
    // left to choose, Postgres plans it afresh on every call (a plan for "after this id"
    // looks cheaper with the id known), and the planning cost more than the read itself
    // (0.20 ms against 0.06 ms a call, a call per message at 300 messages a second).
    let reader = one_connection(
        pool,
        READER_NAME,
        &[("plan_cache_mode", "force_generic_plan")],
    )
    .await?;
    listener
        .listen_all([
            CHANNEL,
            EPHEMERAL_CHANNEL,
            presence::CHANNEL,
            sessions::ENDED_CHANNEL,
            reference::CHANNEL,
        ])
        .await?;
    // Whatever changed while no one listened went unheard: the caches start afresh, and
    // presence is read again (changes announced from now on apply on top of it).
    cache.invalidate();
    hub.reset_presence(presence::online_now(pool, presence_timeout).await?);
    // Listening first, then reading the cursor: nothing committed in between is missed.
    if cursor.is_none() {
        *cursor = Some(log::latest_id(&reader).await?);
        hub.set_following();
    }
    let mut woken = Receiving::start(listener);
    // Whatever committed while no one listened.
    catch_up(&reader, hub, cursor).await?;
    hub.set_listening(true);
    *was_up = true;
    tracing::info!(cursor = ?cursor, "event listener up");
    let mut poll = tokio::time::interval(POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            woke = woken.next() => match woke.ok_or(ListenError::Lost)? {
                // Ephemeral messages travel in the notification itself and are not caught
                // up.
                note if note.channel() == EPHEMERAL_CHANNEL => {
                    match serde_json::from_str::<Message>(note.payload()) {
                        Ok(message) => hub.publish(Arc::new(message)),
                        Err(err) => tracing::warn!(%err, "unreadable ephemeral message"),
                    }
                    continue;
                }
                // The hub gathers presence and tells its streams once a second.
                note if note.channel() == presence::CHANNEL => {
                    match serde_json::from_str(note.payload()) {
                        Ok(change) => hub.record_presence(&change),
                        Err(err) => tracing::warn!(%err, "unreadable presence change"),
                    }
                    continue;
                }
                // Reference data changed (a weight, the catalogue): drop the cache.
                note if note.channel() == reference::CHANNEL => {
                    cache.invalidate();
                    continue;
                }
                // A signed-out session's streams end here, on every instance.
                note if note.channel() == sessions::ENDED_CHANNEL => {
                    hub.end_session(note.payload());
                    continue;
                }
                // The wake-up of an event an earlier read already took (ids are visible in
                // commit order, so everything up to the cursor has been read): a burst of
                // commits costs one read, not one per commit.
                note if already_read(note.payload(), *cursor) => continue,
                _ => {}
            },
            _ = poll.tick() => {}
            _ = stop.changed() => return Ok(()),
        }
        catch_up(&reader, hub, cursor).await?;
    }
}

/// A pool of one connection of the instance's own, named `name` in `pg_stat_activity`, with
/// the shared pool's settings and `settings` on top, checked as the shared pool's are (a
/// ping only after a second idle: the reader used to ping before every read of the log).
async fn one_connection(
    pool: &PgPool,
    name: &str,
    settings: &[(&str, &str)],
) -> Result<PgPool, sqlx::Error> {
    let options = pool
        .connect_options()
        .as_ref()
        .clone()
        .application_name(name)
        .options(settings.iter().copied());
    db::pool_options()
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
}

/// The task that owns a listener and only ever waits on it. Dropping this aborts the task,
/// and with it the listener and its own pool.
struct Receiving {
    notes: mpsc::Receiver<PgNotification>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiving {
    fn start(mut listener: PgListener) -> Self {
        let (tx, notes) = mpsc::channel(256);
        let task = tokio::spawn(async move {
            // `try_recv` reports a lost connection as `Ok(None)` and would reconnect inside
            // the next call; this task ends instead, and the caller makes a new listener.
            loop {
                match listener.try_recv().await {
                    Ok(Some(note)) => {
                        if tx.send(note).await.is_err() {
                            return;
                        }
                    }
                    Ok(None) => return,
                    Err(err) => {
                        tracing::warn!(%err, "event listener connection failed");
                        return;
                    }
                }
            }
        });
        Self { notes, task }
    }

    /// The next notification, or `None` once the connection is gone.
    async fn next(&mut self) -> Option<PgNotification> {
        self.notes.recv().await
    }
}

impl Drop for Receiving {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Whether the event a wake-up names (its payload is the id) is at or before `cursor`.
fn already_read(payload: &str, cursor: Option<i64>) -> bool {
    matches!((payload.parse::<i64>(), cursor), (Ok(id), Some(cursor)) if id <= cursor)
}

async fn catch_up(
    pool: &PgPool,
    hub: &Hub,
    cursor: &mut Option<i64>,
) -> Result<(), app::error::AppError> {
    let Some(from) = cursor else { return Ok(()) };
    loop {
        let events = log::after(pool, *from, BATCH).await?;
        // An event for each of its members comes as a row per member, with one id.
        let mut read = 0;
        for event in events {
            if event.id != *from {
                read += 1;
                *from = event.id;
            }
            hub.publish(Arc::new(Message::from(event)));
        }
        let full = read == BATCH;
        if !full {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::already_read;

    #[test]
    fn a_wake_up_is_skipped_only_for_an_event_already_read() {
        assert!(already_read("41", Some(42)));
        assert!(already_read("42", Some(42)));
        assert!(!already_read("43", Some(42)));
        // No cursor yet, or a payload that is not an id: read.
        assert!(!already_read("41", None));
        assert!(!already_read("", Some(42)));
    }
}
