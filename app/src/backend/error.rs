//! How [`AppError`] meets HTTP and the database: statuses, constraint names, logging.

use axum::{
    body::Body,
    http::{header, HeaderValue, StatusCode},
    response::Response,
};

use crate::error::AppError;

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Invalid { .. } => StatusCode::BAD_REQUEST,
            Self::HandleTaken => StatusCode::CONFLICT,
            Self::WrongCredentials | Self::NotSignedIn => StatusCode::UNAUTHORIZED,
            Self::TooManyAttempts { .. } | Self::TooManyMessages { .. } | Self::TooManyStreams => {
                StatusCode::TOO_MANY_REQUESTS
            }
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::CrossSite | Self::Forbidden => StatusCode::FORBIDDEN,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotAForm => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal | Self::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Logs an unexpected failure and hides it behind [`AppError::Internal`].
    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        tracing::error!(%err, "{context}");
        Self::Internal
    }
}

impl From<sqlx::Error> for AppError {
    /// A database out of reach is [`AppError::Unavailable`]; known constraint names become
    /// their variants; anything else is internal.
    fn from(err: sqlx::Error) -> Self {
        if unreachable(&err) {
            tracing::warn!(%err, "database unavailable");
            return Self::Unavailable;
        }
        let constraint = err.as_database_error().and_then(|e| e.constraint());
        match constraint {
            Some("players_handle_key") => Self::HandleTaken,
            Some("players_handle_format") => {
                Self::invalid("handle", "Handle may only use a-z, 0-9, _ and -.")
            }
            Some("players_display_name_length") => {
                Self::invalid("display_name", "Display name must be 1 to 40 characters.")
            }
            Some("chats_not_self") => Self::invalid("with", "You cannot chat with yourself."),
            Some("chats_player_low_fkey" | "chats_player_high_fkey") => {
                Self::NotFound("Player".into())
            }
            Some("messages_body_length") => {
                Self::invalid("body", "Message must be 1 to 1000 characters.")
            }
            Some("messages_body_trimmed" | "messages_body_plain") => Self::invalid(
                "body",
                "Message may not start or end with spaces or contain control characters.",
            ),
            Some(
                c @ ("task_weights_low_points"
                | "task_weights_medium_points"
                | "task_weights_high_points"),
            ) => Self::invalid(&c["task_weights_".len()..], "Points must be from 1 to 100."),
            Some("task_weights_thresholds_ordered") => Self::invalid(
                "high_from",
                "Thresholds must be in order: 0 < medium < high ≤ 1.",
            ),
            _ => Self::internal("database error", err),
        }
    }
}

/// Whether the error says the database is out of reach rather than that the query was wrong:
/// no connection to be had, a connection that broke, or a server shutting down or starting
/// (SQLSTATE classes 08 and 57).
fn unreachable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57")),
        _ => false,
    }
}

/// Server functions answer every error with status 500 and the error as JSON. This gives
/// the answer the status its variant stands for (and `Retry-After` when it has one), in one
/// place for every server function, argument decoding failures included. Other responses,
/// such as the redirect that answers a form posted without JavaScript, pass unchanged.
pub async fn with_error_status(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_LIMIT).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = err.status();
        if let Some(retry_after_secs) = err.retry_after() {
            parts
                .headers
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Error bodies are a few hundred bytes; anything longer is not one of ours.
const ERROR_BODY_LIMIT: usize = 64 * 1024;
