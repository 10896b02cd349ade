//! Refuses state-changing requests from other sites, and keeps redirects on this site.
//!
//! Browsers send `Origin` (and `Sec-Fetch-Site`) on every POST; if either says another site,
//! the request stops here. A request with neither is refused too when its `Referer` names
//! another site; with no header at all it comes from a non-browser client, which carries no
//! ambient cookies. A form posted without JavaScript is answered with a redirect back to its
//! `Referer`: one naming another site is dropped before the server function sees it, and any
//! `Location` that leaves the site is cut to its path.

use axum::{
    extract::Request,
    http::{header, HeaderMap, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use app::error::AppError;

pub async fn same_site(mut request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && !is_same_site(request.headers()) {
        tracing::warn!(
            origin = ?request.headers().get(header::ORIGIN),
            path = %request.uri().path(),
            "cross-site request refused"
        );
        return (StatusCode::FORBIDDEN, axum::Json(AppError::CrossSite)).into_response();
    }
    let host = header_text(request.headers(), header::HOST).map(str::to_owned);
    let foreign_referer = header_text(request.headers(), header::REFERER)
        .is_some_and(|referer| !names_host(referer, host.as_deref()));
    if foreign_referer {
        request.headers_mut().remove(header::REFERER);
    }
    let mut response = next.run(request).await;
    confine_location(&mut response, host.as_deref());
    response
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn is_same_site(headers: &HeaderMap) -> bool {
    let host = header_text(headers, header::HOST);
    let site = header_text(headers, "sec-fetch-site".try_into().expect("header name"));
    if let Some(site) = site {
        if !matches!(site, "same-origin" | "same-site" | "none") {
            return false;
        }
    }
    match header_text(headers, header::ORIGIN) {
        // "null" (sandboxed or privacy-redirected origins) never matches.
        Some(origin) => names_host(origin, host),
        None if site.is_some() => true,
        // Neither header: only a referer of this site, or none at all.
        None => header_text(headers, header::REFERER).is_none_or(|r| names_host(r, host)),
    }
}

/// Whether an absolute URL (or an origin) is on `host`.
fn names_host(url: &str, host: Option<&str>) -> bool {
    let Some(host) = host else { return false };
    url.split_once("://")
        .is_some_and(|(_, rest)| rest.split(['/', '?', '#']).next() == Some(host))
}

/// Cuts a `Location` that leaves the site to its path, so no answer sends a player elsewhere.
fn confine_location(response: &mut Response, host: Option<&str>) {
    let Some(location) = header_text(response.headers(), header::LOCATION) else {
        return;
    };
    let off_site =
        location.starts_with("//") || (location.contains("://") && !names_host(location, host));
    if !off_site {
        return;
    }
    let rest = location.trim_start_matches("//");
    let rest = rest.split_once("://").map_or(rest, |(_, after)| after);
    let path = match rest.find(['/', '?', '#']) {
        Some(at) if rest[at..].starts_with('/') => rest[at..].to_owned(),
        Some(at) => format!("/{}", &rest[at..]),
        None => "/".to_owned(),
    };
    if let Ok(value) = header::HeaderValue::from_str(&path) {
        response.headers_mut().insert(header::LOCATION, value);
    }
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

    #[test]
    fn a_referer_from_another_site_is_refused_without_origin() {
        assert!(!is_same_site(&headers(&[
            ("referer", "https://evil.example/page"),
            ("host", "a.test")
        ])));
        assert!(is_same_site(&headers(&[
            ("referer", "http://a.test/signup?x=1"),
            ("host", "a.test")
        ])));
        // A host that merely starts like ours is another site.
        assert!(!is_same_site(&headers(&[
            ("referer", "http://a.test.evil.example/"),
            ("host", "a.test")
        ])));
    }

    #[test]
    fn locations_stay_on_the_site() {
        let confined = |location: &'static str| {
            let mut response = Response::new(axum::body::Body::empty());
            response
                .headers_mut()
                .insert(header::LOCATION, HeaderValue::from_static(location));
            confine_location(&mut response, Some("a.test"));
            response.headers()[header::LOCATION]
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(confined("https://evil.example/x?y=1"), "/x?y=1");
        assert_eq!(confined("//evil.example"), "/");
        assert_eq!(confined("https://evil.example?e=1"), "/?e=1");
        assert_eq!(confined("http://a.test/chats/1"), "http://a.test/chats/1");
        assert_eq!(confined("/chats/1"), "/chats/1");
    }
}
