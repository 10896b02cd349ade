//! The presence tasks: mark players who opened their first stream here online in one query
//! every 200 ms, refresh the rows of everyone with a stream here, and sweep players whose last
//! row went stale and announce them offline ([`run`]); once a second, hand this instance's
//! streams the presence changes the hub gathered ([`flush`]). Any instance may sweep; two
//! sweeping at once announce a departure at most twice, which the hub takes in its stride (it
//! sets a state, it does not count).

use std::{sync::Arc, time::Duration};

use app::backend::{
    realtime::{presence, Hub},
    AppState,
};
use tokio::sync::watch;

/// How often streams hear of presence changes, at most.
pub const FLUSH: Duration = Duration::from_secs(1);
/// How often players who just opened their first stream here are marked online.
pub const ARRIVALS: Duration = Duration::from_millis(200);

/// Marks players whose first stream here just opened as seen, every [`ARRIVALS`]; refreshes
/// everyone connected here and sweeps every third of the timeout.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let mut rounds = tokio::time::interval(state.settings.presence_timeout / 3);
    let mut arrivals = tokio::time::interval(ARRIVALS);
    arrivals.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let done = tokio::select! {
            _ = rounds.tick() => round(&state).await,
            _ = arrivals.tick() => arrived(&state).await,
            _ = stop.changed() => return,
        };
        if let Err(err) = done {
            tracing::warn!(%err, "presence round failed");
        }
    }
}

/// Announces online the players who arrived here and were offline everywhere.
async fn arrived(state: &AppState) -> Result<(), app::error::AppError> {
    let players = state.hub.take_arrivals();
    let timeout = state.settings.presence_timeout;
    let online = presence::seen(&state.pool, state.hub.instance(), &players, timeout).await?;
    presence::announce(&state.pool, &online, &[]).await
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
