//! Refuses state-changing requests from other sites. Browsers send `Origin` (and
//! `Sec-Fetch-Site`) on every POST; if either says another site, the request stops here.
//! Requests with neither come from non-browser clients, which carry no ambient cookies.

use axum::{
    extract::Request,
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use app::error::AppError;

pub async fn same_site(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || is_same_site(request.headers()) {
        return next.run(request).await;
    }
    tracing::warn!(
        origin = ?request.headers().get(header::ORIGIN),
        path = %request.uri().path(),
        "cross-site request refused"
    );
    (StatusCode::FORBIDDEN, axum::Json(AppError::CrossSite)).into_response()
}

fn is_same_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "same-site" | "none") {
            return false;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    // "null" (sandboxed or privacy-redirected origins) never matches.
    origin
        .split_once("://")
        .is_some_and(|(_, authority)| authority == host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn same_origin_passes_and_other_origins_fail() {
        assert!(is_same_site(&headers(&[
            ("origin", "http://a.test:3000"),
            ("host", "a.test:3000")
        ])));
        assert!(!is_same_site(&headers(&[
            ("origin", "http://evil.test"),
            ("host", "a.test:3000")
        ])));
        assert!(!is_same_site(&headers(&[
            ("origin", "null"),
            ("host", "a.test")
        ])));
        assert!(!is_same_site(&headers(&[
            ("sec-fetch-site", "cross-site"),
            ("host", "a.test")
        ])));
        assert!(is_same_site(&headers(&[("host", "a.test")])));
    }
}
