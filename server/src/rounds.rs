//! The round scheduler: at each round's start, inserts the round, which announces it to every
//! page (`round_started`). Every instance runs one; the insert is idempotent, so the first to
//! arrive announces and the others find the round there. A request that needs the round
//! before the scheduler wakes inserts it itself, so a late scheduler delays nothing.

use std::time::Duration;

use app::backend::game;
use sqlx::PgPool;
use tokio::sync::watch;

/// Waits at least this long between attempts, so a failing database is not hammered.
const MIN_WAIT: Duration = Duration::from_millis(200);

pub async fn run(pool: PgPool, length: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        // Sleep until the next round starts by the database's clock (shared by instances).
        let wait = match game::clock(&pool, length).await {
            Ok(clock) => (clock.round.ends_at - clock.server_now)
                .to_std()
                .unwrap_or_default()
                .max(MIN_WAIT),
            Err(err) => {
                tracing::warn!(%err, "round scheduler failed; retrying");
                Duration::from_secs(1)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
    }
}
