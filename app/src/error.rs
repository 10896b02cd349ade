//! The application error: every failure a player or client can see, with the field it concerns.
//!
//! Server functions return `Result<T, AppError>`; the variant decides the HTTP status (see
//! `backend::error`), and the `Display` text is what the page shows. Internal details are logged
//! on the server and never carried here.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    /// 400: an input broke a rule; `field` names the input.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// 409: another player has this handle (ignoring case).
    #[error("That handle is taken.")]
    HandleTaken,
    /// 401: the handle or the password is wrong (which one is not said).
    #[error("Wrong handle or password.")]
    WrongCredentials,
    /// 401: the request has no valid session.
    #[error("You are not signed in.")]
    NotSignedIn,
    /// 429: too many attempts; the client may retry after this many seconds.
    #[error("Too many attempts. Try again in {retry_after_secs} seconds.")]
    TooManyAttempts { retry_after_secs: u64 },
    /// 429: messages sent too fast; the client may retry after this many seconds.
    #[error("You are sending messages too fast. Try again in {retry_after_secs} seconds.")]
    TooManyMessages { retry_after_secs: u64 },
    /// 429: this session has as many live streams open as it may (one per tab).
    #[error("Too many open tabs. Close some and try again.")]
    TooManyStreams,
    /// 404: the thing named does not exist (or is not the asker's to see).
    #[error("{0} not found.")]
    NotFound(String),
    /// 403: the signed-in player may not do this (an admin's function, say).
    #[error("Only an admin may do this.")]
    Forbidden,
    /// 403: a state-changing request from another site.
    #[error("Cross-site request refused.")]
    CrossSite,
    /// 413: the request's body is over the limit for its endpoint.
    #[error("The request is too large (the limit is {limit_bytes} bytes).")]
    TooLarge { limit_bytes: usize },
    /// 415: the request's body is not a form.
    #[error("The request must be a form (application/x-www-form-urlencoded).")]
    NotAForm,
    /// 503: the database is out of reach for a moment (restarting, say); retry shortly.
    #[error("Meridian is briefly unavailable. Try again in a moment.")]
    Unavailable,
    /// 500: something failed on the server; details are in its log.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request did not reach the server function or its answer could not be read.
    #[error("Network or protocol error: {0}")]
    Transport(String),
}

impl AppError {
    /// An input that broke a rule.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// Seconds until a refused request may be retried, for limits that have one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyAttempts { retry_after_secs }
            | Self::TooManyMessages { retry_after_secs } => Some(*retry_after_secs),
            Self::Unavailable => Some(2),
            _ => None,
        }
    }

    /// The input this error is about, if any: forms use it to place the message.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::HandleTaken => Some("handle"),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Arguments that failed to decode are bad input, not a transport failure. The
            // decoder's own words (type names, offsets) are not for the client.
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_) => {
                Self::invalid("request", "The request's fields could not be read.")
            }
            // In the browser: the request did not get through, or its answer did not.
            ServerFnErrorErr::Request(message) | ServerFnErrorErr::Response(message) => {
                Self::Transport(message)
            }
            _ => Self::Internal,
        }
    }
}
