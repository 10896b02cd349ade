//! The presence task: while players have streams open on this instance, refresh their rows;
//! sweep players whose last row went stale and announce them offline. Any instance may
//! sweep; two sweeping at once announce a departure at most twice, which pages take in
//! their stride (they set a state, they do not count).

use app::backend::{realtime::presence, AppState};
use tokio::sync::watch;

pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let timeout = state.settings.presence_timeout;
    let mut tick = tokio::time::interval(timeout / 3);
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

async fn round(state: &AppState) -> Result<(), app::error::AppError> {
    let timeout = state.settings.presence_timeout;
    let players = state.hub.connected_players();
    for player in presence::seen(&state.pool, state.hub.instance(), &players, timeout).await? {
        presence::announce(&state.pool, player, true).await?;
    }
    for player in presence::sweep(&state.pool, timeout).await? {
        presence::announce(&state.pool, player, false).await?;
    }
    Ok(())
}
