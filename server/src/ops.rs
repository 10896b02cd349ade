//! Operations endpoints: `/healthz` (the process answers) and `/readyz` (the database answers,
//! every background task that requests depend on is running, the event listener is connected
//! and the leaderboards are loaded; otherwise 503 naming what is not).

use axum::{extract::State, http::StatusCode, routing::get, Extension, Router};

use app::backend::AppState;

use crate::supervisor::Supervisor;

pub fn routes(supervisor: Supervisor) -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .layer(Extension(supervisor))
}

async fn ready(
    State(state): State<AppState>,
    Extension(supervisor): Extension<Supervisor>,
) -> (StatusCode, String) {
    let unavailable = |why: String| (StatusCode::SERVICE_UNAVAILABLE, why);
    if let Some(task) = supervisor.essential_down() {
        return unavailable(format!("background task down: {task}"));
    }
    if !state.hub.is_listening() {
        return unavailable("event listener down".into());
    }
    if !state.boards.is_loaded() {
        return unavailable("leaderboards loading".into());
    }
    match sqlx::query_scalar!("select 1 as \"one!\"")
        .fetch_one(&state.pool)
        .await
    {
        Ok(_) => match app::backend::dashboard::lag(&state.pool).await {
            Ok((events, secs)) => (
                StatusCode::OK,
                format!("ready; dashboard projector {events} events ({secs:.1} s) behind"),
            ),
            Err(_) => (StatusCode::OK, "ready".into()),
        },
        Err(err) => {
            tracing::warn!(%err, "readiness check failed");
            unavailable("database unavailable".into())
        }
    }
}
