//! `/api/v1`: the JSON API for other game systems (PRODUCT §13). Every request carries an API
//! key (`Authorization: Bearer mk_…`), issued by `meridian api-key issue`; each key is limited
//! to a number of requests a minute on each instance. Errors are `application/problem+json`
//! (RFC 9457) naming the field at fault, and nothing is stored. Writes go into the durable
//! event log in one short transaction and answer `202` with the event's id.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use axum::{
    body::{Body, Bytes},
    extract::{DefaultBodyLimit, Path, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
    Extension, Json, Router,
};
use serde::{de::DeserializeOwned, Serialize};

use app::{
    backend::{
        api::{self, Conflict, PlayerFields, Progress},
        AppState,
    },
    error::AppError,
};

/// The largest body any endpoint takes.
pub const BODY_LIMIT: usize = 16 * 1024;

/// Requests per key in the current minute.
#[derive(Default)]
struct Windows {
    counts: Mutex<HashMap<i64, (Instant, u32)>>,
}

/// The key a request was authenticated with.
#[derive(Clone, Copy)]
struct Key(i64);

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/api/v1/players/{handle}", get(get_player).put(put_player))
        .route("/api/v1/players/{handle}/progress", post(post_progress))
        .layer(middleware::from_fn_with_state(state, authenticate))
        .layer(Extension(std::sync::Arc::new(Windows::default())))
        .layer(DefaultBodyLimit::disable())
}

/// An RFC 9457 problem: `field` names the input at fault, when one is.
#[derive(Serialize)]
struct Problem {
    #[serde(rename = "type")]
    kind: &'static str,
    title: String,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
}

fn problem(status: StatusCode, title: &str, detail: String, field: Option<String>) -> Response {
    let body = Problem {
        kind: "about:blank",
        title: title.to_owned(),
        status: status.as_u16(),
        detail,
        field,
    };
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

fn from_error(error: AppError) -> Response {
    let status = error.status();
    let title = status.canonical_reason().unwrap_or("Error").to_owned();
    let field = error.field().map(str::to_owned);
    let retry = error.retry_after();
    let mut response = problem(status, &title, error.to_string(), field);
    if let Some(secs) = retry {
        if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    response
}

/// Checks the key and its rate before any handler runs.
async fn authenticate(
    State(state): State<AppState>,
    Extension(windows): Extension<std::sync::Arc<Windows>>,
    mut request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 100)
        .map(str::to_owned);
    let Some(presented) = presented else {
        return problem(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Send an API key: Authorization: Bearer <key>.".into(),
            Some("Authorization".into()),
        );
    };
    let key = match api::key_id(&state.pool, &presented).await {
        Ok(Some(key)) => key,
        Ok(None) => {
            return problem(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "This API key is unknown or revoked.".into(),
                Some("Authorization".into()),
            )
        }
        Err(error) => return from_error(error),
    };
    let rate = state.settings.api_rate_per_minute;
    if let Some(wait) = windows.over(key, rate) {
        let mut response = problem(
            StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
            format!("This key may make {rate} requests a minute."),
            None,
        );
        if let Ok(value) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    request.extensions_mut().insert(Key(key));
    next.run(request).await
}

impl Windows {
    /// Counts a request of `key`; how long to wait when it is over `limit` this minute.
    fn over(&self, key: i64, limit: u32) -> Option<Duration> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let window = counts.entry(key).or_insert((now, 0));
        if now.duration_since(window.0) >= Duration::from_secs(60) {
            *window = (now, 0);
        }
        if window.1 >= limit {
            return Some(Duration::from_secs(60).saturating_sub(now.duration_since(window.0)));
        }
        window.1 += 1;
        None
    }
}

/// The JSON body, or the problem with it: a type that is not JSON (415), over the limit
/// (413), not UTF-8 or not the expected shape (400, naming what serde found).
async fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: Body) -> Result<T, Response> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type",
            "The body must be JSON (Content-Type: application/json).".into(),
            Some("Content-Type".into()),
        ));
    }
    let bytes: Bytes = axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| {
        problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Payload Too Large",
            format!("The body is over the limit of {BODY_LIMIT} bytes."),
            None,
        )
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        problem(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            format!("The body is not what this endpoint takes: {e}."),
            Some("body".into()),
        )
    })
}

async fn get_player(State(state): State<AppState>, Path(handle): Path<String>) -> Response {
    match api::profile(&state.pool, &state.boards, &handle).await {
        Ok(profile) => Json(profile).into_response(),
        Err(error) => from_error(error),
    }
}

async fn put_player(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let fields: PlayerFields = match json_body(&headers, body).await {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    match api::put_player(&state.pool, &handle, &fields).await {
        Ok(accepted) if accepted.event_id.is_some() => {
            (StatusCode::ACCEPTED, Json(accepted)).into_response()
        }
        Ok(unchanged) => Json(unchanged).into_response(),
        Err(error) => from_error(error),
    }
}

async fn post_progress(
    State(state): State<AppState>,
    Extension(Key(key)): Extension<Key>,
    Path(handle): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let idempotency_key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if let Err(error) = api::check_idempotency_key(&idempotency_key) {
        return from_error(error);
    }
    let progress: Progress = match json_body(&headers, body).await {
        Ok(progress) => progress,
        Err(response) => return response,
    };
    match api::record_progress(&state.pool, key, &idempotency_key, &handle, &progress).await {
        Ok(Ok(recorded)) => (StatusCode::ACCEPTED, Json(recorded)).into_response(),
        Ok(Err(Conflict::KeyReused)) => problem(
            StatusCode::CONFLICT,
            "Conflict",
            "This Idempotency-Key was used for another request.".into(),
            Some("Idempotency-Key".into()),
        ),
        Err(error) => from_error(error),
    }
}
