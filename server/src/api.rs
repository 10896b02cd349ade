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
    Extension, Json, Router,
};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    IntoParams, IntoResponses, Modify, OpenApi, ToSchema,
};
use utoipa_axum::{router::OpenApiRouter, routes};
use utoipa_swagger_ui::{Config, SwaggerUi};

use app::{
    backend::{
        api::{self, Accepted, Conflict, PlayerFields, Progress, PublicProfile, Recorded},
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

/// The API's routes, behind the key check, and its document and docs page, open to all.
pub fn routes(state: AppState) -> Router<AppState> {
    let (api, document) = OpenApiRouter::with_openapi(Document::openapi())
        .routes(routes!(get_player, put_player))
        .routes(routes!(post_progress))
        .split_for_parts();
    let api = api
        .layer(middleware::from_fn_with_state(state, authenticate))
        .layer(Extension(std::sync::Arc::new(Windows::default())))
        .layer(DefaultBodyLimit::disable());
    let docs = SwaggerUi::new("/api/v1/docs")
        .url("/api/v1/openapi.json", document)
        .config(Config::default().validator_url("none"));
    api.merge(docs)
}

/// The document's frame: what the handlers' annotations do not say.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Meridian API",
        version = "1",
        description = "Read and write Meridian's players from other game systems. Every request \
            carries an API key (`Authorization: Bearer mk_…`) that an operator issues with \
            `meridian api-key issue <client>`; each key may make a limited number of requests a \
            minute. Writes are accepted into the durable event log and answered `202` with the \
            event's id; reads reflect them within a second. Errors are \
            `application/problem+json` (RFC 9457) with `field` naming the input at fault, and \
            nothing is stored."
    ),
    modifiers(&KeyScheme),
    security(("api_key" = [])),
    tags((name = "players", description = "Profiles and progress"))
)]
struct Document;

/// Declares the bearer-key scheme the `security` requirement names.
struct KeyScheme;

impl Modify for KeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key issued by `meridian api-key issue`."))
                    .build(),
            ),
        );
    }
}

/// The answers every endpoint may give.
#[derive(IntoResponses)]
#[allow(dead_code)]
enum Common {
    /// No API key, or one that is unknown or revoked
    #[response(status = UNAUTHORIZED, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The key is over its requests for this minute
    #[response(
        status = TOO_MANY_REQUESTS,
        content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds until the key may ask again"))
    )]
    TooManyRequests(Problem),
    /// The database is out of reach for a moment
    #[response(
        status = SERVICE_UNAVAILABLE,
        content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before retrying"))
    )]
    Unavailable(Problem),
}

/// A player's handle in a path.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct HandlePath {
    /// 3 to 24 letters, digits, `_` or `-` (letters are taken in lower case).
    #[param(
        min_length = 3,
        max_length = 24,
        pattern = "^[A-Za-z0-9_-]{3,24}$",
        example = "quest_giver"
    )]
    handle: String,
}

/// The header a progress write is made once by.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
struct IdempotencyHeader {
    /// 1 to 64 printable ASCII characters chosen by the client (a UUID, say): a retry with the
    /// same key and body is stored once and answered as the first time.
    #[serde(rename = "Idempotency-Key")]
    #[param(
        rename = "Idempotency-Key",
        min_length = 1,
        max_length = 64,
        pattern = "^[!-~]{1,64}$"
    )]
    idempotency_key: String,
}

/// An RFC 9457 problem: `field` names the input at fault, when one is.
#[derive(Serialize, ToSchema)]
struct Problem {
    #[serde(rename = "type")]
    #[schema(rename = "type", example = "about:blank")]
    kind: &'static str,
    #[schema(example = "Bad Request")]
    title: String,
    #[schema(example = 400)]
    status: u16,
    #[schema(example = "Points must be from 0 to 100.")]
    detail: String,
    /// The input at fault: a body field, a header or the path's `handle`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "points")]
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
    let bad = |detail: String| {
        problem(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            detail,
            Some("body".into()),
        )
    };
    // An object, not any JSON serde could read as the type (it takes `[…]` for a struct).
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| bad(format!("The body is not JSON: {e}.")))?;
    if !value.is_object() {
        return Err(bad("The body must be a JSON object.".into()));
    }
    serde_json::from_value(value)
        .map_err(|e| bad(format!("The body is not what this endpoint takes: {e}.")))
}

/// A player's public profile.
#[utoipa::path(
    get,
    path = "/api/v1/players/{handle}",
    tag = "players",
    params(HandlePath),
    responses(
        (status = OK, description = "The profile", body = PublicProfile),
        (status = NOT_FOUND, description = "No such player", body = Problem, content_type = "application/problem+json"),
        Common,
    )
)]
async fn get_player(State(state): State<AppState>, Path(handle): Path<String>) -> Response {
    match api::profile(&state.pool, &state.boards, &handle).await {
        Ok(profile) => Json(profile).into_response(),
        Err(error) => from_error(error),
    }
}

/// Creates the player, or updates the fields given; the same request again changes nothing.
/// A player made here is on the map and can be messaged, but cannot sign in.
#[utoipa::path(
    put,
    path = "/api/v1/players/{handle}",
    tag = "players",
    params(HandlePath),
    request_body(content = PlayerFields, content_type = "application/json"),
    responses(
        (status = ACCEPTED, description = "Created or changed, as the event `event_id`", body = Accepted),
        (status = OK, description = "Nothing to change", body = Accepted),
        (status = BAD_REQUEST, description = "A field broke a rule (`field` names it)", body = Problem, content_type = "application/problem+json"),
        (status = PAYLOAD_TOO_LARGE, description = "The body is over 16 KiB", body = Problem, content_type = "application/problem+json"),
        (status = UNSUPPORTED_MEDIA_TYPE, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        Common,
    )
)]
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

/// Appends a progress record, once per Idempotency-Key; its points go to the ledger.
#[utoipa::path(
    post,
    path = "/api/v1/players/{handle}/progress",
    tag = "players",
    params(HandlePath, IdempotencyHeader),
    request_body(content = Progress, content_type = "application/json"),
    responses(
        (status = ACCEPTED, description = "Recorded (or recorded before with this key and body)", body = Recorded),
        (status = BAD_REQUEST, description = "A field or the Idempotency-Key broke a rule (`field` names it)", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "No such player", body = Problem, content_type = "application/problem+json"),
        (status = CONFLICT, description = "The Idempotency-Key was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = PAYLOAD_TOO_LARGE, description = "The body is over 16 KiB", body = Problem, content_type = "application/problem+json"),
        (status = UNSUPPORTED_MEDIA_TYPE, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        Common,
    )
)]
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
