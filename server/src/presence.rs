//! The presence tasks: while players have streams open on this instance, refresh their rows,
//! and sweep players whose last row went stale and announce them offline ([`run`]); once a
//! second, hand this instance's streams the presence changes the hub gathered ([`flush`]). Any instance may sweep;
//! two sweeping at once announce a departure at most twice, which the hub takes in its
//! stride (it sets a state, it does not count).

use std::{sync::Arc, time::Duration};

use app::backend::{
    realtime::{presence, Hub},
    AppState,
};
use tokio::sync::watch;

/// How often streams hear of presence changes, at most.
pub const FLUSH: Duration = Duration::from_secs(1);

/// Refreshes and sweeps presence every third of the timeout.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(state.settings.presence_timeout / 3);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        if let Err(err) = round(&state).await {
            tracing::warn!(%err, "presence round failed");
        }
    }
}

/// Hands the streams what the hub gathered, every [`FLUSH`]. Never waits on the database,
/// so a slow round cannot hold it back.
pub async fn flush(hub: Arc<Hub>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(FLUSH);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => hub.flush_presence(),
            _ = stop.changed() => return,
        }
    }
}

async fn round(state: &AppState) -> Result<(), app::error::AppError> {
    let timeout = state.settings.presence_timeout;
    let players = state.hub.connected_players();
    let arrived = presence::seen(&state.pool, state.hub.instance(), &players, timeout).await?;
    let left = presence::sweep(&state.pool, timeout).await?;
    presence::announce(&state.pool, &arrived, &left).await
}
