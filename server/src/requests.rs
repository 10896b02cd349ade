//! Server-function requests are read here before any decoder sees them: a body over the limit
//! is refused with 413, a POST that is not a form with 415, and bytes that are not UTF-8 text,
//! raw or percent-encoded, with 400, so nothing undecodable is ever stored (a decoder would
//! replace them with U+FFFD) and no decoder's failure answers 500.

use axum::{
    body::Body,
    extract::Request,
    http::{header, Method},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};

use app::error::AppError;

/// The largest form any server function takes: a message is at most 1,000 characters, which
/// percent-encoded is at most 12 KB.
pub const FORM_LIMIT: usize = 16 * 1024;

pub async fn readable(request: Request, next: Next) -> Response {
    // The public API (`/api/v1`) reads JSON and answers problems of its own.
    let path = request.uri().path();
    if !path.starts_with("/api/") || path.starts_with("/api/v1/") {
        return next.run(request).await;
    }
    if let Some(query) = request.uri().query() {
        if !form_is_text(query.as_bytes()) {
            return refuse(not_text());
        }
    }
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').next().is_some_and(|t| {
                t.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, FORM_LIMIT).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return refuse(AppError::TooLarge {
                limit_bytes: FORM_LIMIT,
            })
        }
    };
    // An empty body (a button that posts nothing) needs no type.
    if !bytes.is_empty() && !is_form {
        return refuse(AppError::NotAForm);
    }
    if !form_is_text(&bytes) {
        return refuse(not_text());
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn not_text() -> AppError {
    AppError::invalid(
        "request",
        "The request holds bytes that are not UTF-8 text.",
    )
}

fn refuse(error: AppError) -> Response {
    let status = error.status();
    (status, Json(error)).into_response()
}

/// Whether a form (`a=b&c=d`), and every name and value in it once percent-decoded, is UTF-8.
fn form_is_text(form: &[u8]) -> bool {
    std::str::from_utf8(form).is_ok()
        && form
            .split(|b| *b == b'&')
            .all(|pair| percent_encoding::percent_decode(pair).decode_utf8().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_must_be_text_raw_and_decoded() {
        assert!(form_is_text(b"body=hello+world&chat_id=3"));
        assert!(form_is_text("body=Zo%C3%AB&x=名".as_bytes()));
        assert!(!form_is_text(b"body=%FF%FEhello"));
        assert!(!form_is_text(b"body=\xff\xfe"));
        assert!(!form_is_text(b"a=1&%C3=2"), "a name cut inside a character");
        assert!(form_is_text(b""));
    }
}
