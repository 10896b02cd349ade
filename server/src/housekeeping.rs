//! Housekeeping, every few minutes: deletes events older than the retention (keeping the
//! event log bounded) and sessions idle past their limit. Any instance may do it; two doing
//! it at once delete the same rows once.

use std::time::Duration;

use app::backend::{realtime::log, sessions};
use sqlx::PgPool;
use tokio::sync::watch;

const EVERY: Duration = Duration::from_secs(300);

pub async fn run(pool: PgPool, keep: Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        match log::prune(&pool, keep).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "event log pruned"),
            Err(err) => tracing::warn!(%err, "pruning the event log failed"),
        }
        match sessions::delete_expired(&pool).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "idle sessions deleted"),
            Err(err) => tracing::warn!(%err, "deleting idle sessions failed"),
        }
    }
}
