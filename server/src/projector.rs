//! The dashboard's projector: exactly one instance at a time reads the event log after the
//! checkpoint and keeps the dashboard's aggregates (see `app::backend::dashboard`).
//!
//! Every instance runs this task; the one holding a session advisory lock on its own
//! connection projects, the others try again every second, so one takes over within about a
//! second of the projector's connection closing (its process killed, the database restarted).
//! Each step stores the aggregates and the checkpoint in one transaction, and locks the
//! checkpoint row, so a crash anywhere (even mid-step) counts nothing twice, and two
//! projectors could never apply one event twice even without the advisory lock.
//!
//! A step runs [`GATHER`] after the hub hands over an event (one step for everything handed
//! over meanwhile), and every [`POLL`] regardless. Open dashboards hear the new numbers in a
//! public `dashboard` event, at most every [`ANNOUNCE_EVERY`].

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use app::backend::{dashboard, realtime::Hub};
use sqlx::{postgres::PgConnection, Connection, PgPool};
use tokio::sync::watch;

pub const APPLICATION_NAME: &str = "meridian-projector";
/// The advisory lock the projecting instance holds.
const LOCK: i64 = 0x6d65_7269_6469_616e; // "meridian"
const POLL: Duration = Duration::from_millis(250);
const ANNOUNCE_EVERY: Duration = Duration::from_millis(500);
/// How long a step waits after the first event it is woken by. A step costs about 0.6 ms of
/// the database's time however few events it counts, and chat at 150 messages a second woke
/// one per message; gathered, a burst costs at most ten steps a second, well inside
/// [`ANNOUNCE_EVERY`].
const GATHER: Duration = Duration::from_millis(100);
/// How often an instance that is not projecting tries the lock.
const STANDBY: Duration = Duration::from_secs(1);
/// The wait after a failure (a lost connection, say) before connecting again.
const RETRY: Duration = Duration::from_millis(250);

/// Whether this instance is the one projecting (for `/metrics` and tests).
#[derive(Default)]
pub struct Status {
    active: AtomicBool,
}

impl Status {
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }
}

/// Runs until `stop` turns true; failures are logged and retried.
pub async fn run(
    pool: PgPool,
    hub: Arc<Hub>,
    status: Arc<Status>,
    mut stop: watch::Receiver<bool>,
) {
    while !*stop.borrow() {
        let result = project(&pool, &hub, &status, &mut stop).await;
        status.active.store(false, Ordering::Release);
        match result {
            Err(err) => tracing::warn!(%err, "dashboard projector failed; retrying"),
            Ok(()) => continue,
        }
        tokio::select! {
            _ = tokio::time::sleep(RETRY) => {}
            _ = stop.changed() => return,
        }
    }
}

async fn project(
    pool: &PgPool,
    hub: &Hub,
    status: &Status,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), app::error::AppError> {
    let options = pool
        .connect_options()
        .as_ref()
        .clone()
        .application_name(APPLICATION_NAME);
    let mut conn = PgConnection::connect_with(&options).await?;
    // Wait for the lock: another instance may be projecting.
    loop {
        let held: bool = sqlx::query_scalar!(r#"select pg_try_advisory_lock($1) as "held!""#, LOCK)
            .fetch_one(&mut conn)
            .await?;
        if held {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(STANDBY) => {}
            _ = stop.changed() => return Ok(()),
        }
        // A connection that died while waiting shows here as an error.
        sqlx::query!("select 1 as one").fetch_one(&mut conn).await?;
    }
    status.active.store(true, Ordering::Release);
    tracing::info!("dashboard projector active");
    let mut woken = hub.observe();
    let mut poll = tokio::time::interval(POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pending = false;
    let mut announced = Instant::now() - ANNOUNCE_EVERY;
    loop {
        if dashboard::fell_past_retention(&mut conn).await? {
            tracing::error!("events were pruned before the projector read them: rebuilding");
            dashboard::rebuild(pool).await?;
            pending = true;
        }
        loop {
            let step = dashboard::project(&mut conn).await?;
            pending |= step.counted > 0;
            if step.read < dashboard::BATCH {
                break;
            }
        }
        if pending && announced.elapsed() >= ANNOUNCE_EVERY {
            dashboard::announce(&mut conn).await?;
            announced = Instant::now();
            pending = false;
        }
        tokio::select! {
            event = woken.recv() => {
                if event.is_none() {
                    return Ok(());
                }
                // Take everything handed over until then in one step.
                tokio::select! {
                    _ = tokio::time::sleep(GATHER) => {}
                    _ = stop.changed() => return Ok(()),
                }
                while woken.try_recv().is_ok() {}
            }
            _ = poll.tick() => {}
            _ = stop.changed() => return Ok(()),
        }
    }
}
