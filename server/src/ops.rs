//! Operations endpoints: `/healthz` (the process answers) and `/readyz` (the database answers
//! and the event listener is connected).

use axum::{extract::State, http::StatusCode, routing::get, Router};

use app::backend::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
}

async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if !state.hub.is_listening() {
        return (StatusCode::SERVICE_UNAVAILABLE, "event listener down");
    }
    if !state.boards.is_loaded() {
        return (StatusCode::SERVICE_UNAVAILABLE, "leaderboards loading");
    }
    match sqlx::query_scalar!("select 1 as \"one!\"")
        .fetch_one(&state.pool)
        .await
    {
        Ok(_) => (StatusCode::OK, "ready"),
        Err(err) => {
            tracing::warn!(%err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
