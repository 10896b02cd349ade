//! Black-box tests of accounts and sessions: the real server on port 0, spoken to over HTTP.

mod common;

use common::{client, error_of, spawn_app, TestApp};
use reqwest::{header, StatusCode};

fn invalid_field(body: &serde_json::Value) -> &str {
    body["Invalid"]["field"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn sign_up_starts_an_http_only_session() {
    let app = spawn_app().await;
    let browser = client();
    let response = app.sign_up(&browser, "Alice_1", "Alice").await;
    assert!(response.status().is_success(), "{response:?}");
    let cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("a session cookie")
        .to_owned();
    assert!(cookie.starts_with("meridian_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http must not mark the cookie Secure: {cookie}"
    );

    let me = app.me(&browser).await;
    assert_eq!(me["handle"], "alice_1", "handles are stored lower-case");
    assert_eq!(me["display_name"], "Alice");
    assert!(me["home"].is_null());

    let stored: String = sqlx::query_scalar("select password_hash from players")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$"), "{stored}");
}

#[tokio::test]
async fn each_limit_is_checked_on_both_sides_and_bad_input_stores_nothing() {
    let app = spawn_app().await;
    let long_name = "é".repeat(41);
    let bad: &[(&str, &str, &str, &str)] = &[
        ("ab", "Name", "password1", "handle"),
        (&"a".repeat(25), "Name", "password1", "handle"),
        ("bad handle", "Name", "password1", "handle"),
        ("bad!", "Name", "password1", "handle"),
        ("okhandle", "", "password1", "display_name"),
        ("okhandle", "   ", "password1", "display_name"),
        ("okhandle", &long_name, "password1", "display_name"),
        ("okhandle", "Name", "1234567", "password"),
        ("okhandle", "Name", &"p".repeat(129), "password"),
    ];
    for (handle, name, password, field) in bad {
        let response = app
            .call(
                &client(),
                "account/sign_up",
                &[
                    ("handle", handle),
                    ("display_name", name),
                    ("password", password),
                ],
            )
            .await;
        let (status, body) = error_of(response).await;
        assert_eq!(status, 400, "{handle:?} {name:?} {password:?}: {body}");
        assert_eq!(invalid_field(&body), *field, "{body}");
        assert!(body["Invalid"]["message"].as_str().unwrap().len() > 10);
    }
    assert_eq!(app.player_count().await, 0, "nothing stored");

    // The other side of each limit is accepted.
    let good: &[(&str, String, &str)] = &[
        ("abc", "N".into(), "12345678"),
        (&"b".repeat(24), "é".repeat(40), &"p".repeat(128)),
    ];
    for (handle, name, password) in good {
        let response = app
            .call(
                &client(),
                "account/sign_up",
                &[
                    ("handle", handle),
                    ("display_name", name),
                    ("password", password),
                ],
            )
            .await;
        assert!(
            !response.status().is_client_error(),
            "{handle}: {:?}",
            response.text().await
        );
    }
    assert_eq!(app.player_count().await, 2);
}

#[tokio::test]
async fn handles_are_unique_ignoring_case() {
    let app = spawn_app().await;
    assert!(app
        .sign_up(&client(), "zoe", "Zoë")
        .await
        .status()
        .is_success());
    let (status, body) = error_of(app.sign_up(&client(), "ZOE", "Other Zoe").await).await;
    assert_eq!(status, 409);
    assert_eq!(body, serde_json::json!("HandleTaken"));
    assert_eq!(app.player_count().await, 1);
}

#[tokio::test]
async fn sign_in_checks_the_password_and_sign_out_ends_the_session() {
    let app = spawn_app().await;
    app.sign_up(&client(), "bob", "Bob").await;

    let browser = client();
    let wrong = app
        .call(
            &browser,
            "account/sign_in",
            &[("handle", "bob"), ("password", "wrong horse")],
        )
        .await;
    let (status, body) = error_of(wrong).await;
    assert_eq!((status, body), (401, serde_json::json!("WrongCredentials")));
    let unknown = app
        .call(
            &browser,
            "account/sign_in",
            &[("handle", "nobody"), ("password", "correct horse")],
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert!(app.me(&browser).await.is_null());

    let right = app
        .call(
            &browser,
            "account/sign_in",
            &[("handle", "BOB"), ("password", "correct horse")],
        )
        .await;
    assert!(right.status().is_success(), "{right:?}");
    assert_eq!(app.me(&browser).await["handle"], "bob");

    // Keep the cookie to replay it after signing out.
    let token: String = sqlx::query_scalar("select count(*)::text from sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(token, "2", "one session from sign-up, one from sign-in");

    let out = app.call(&browser, "account/sign_out", &[]).await;
    assert!(out.status().is_success());
    let cleared = out
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert!(app.me(&browser).await.is_null());
    let left: i64 = sqlx::query_scalar("select count(*) from sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(left, 1, "only the signed-out session is gone");
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_handle() {
    let app = spawn_app().await;
    app.sign_up(&client(), "carol", "Carol").await;
    app.sign_up(&client(), "dave", "Dave").await;
    let attempt = |handle: &'static str, password: &'static str| {
        let app = &app;
        async move {
            app.call(
                &client(),
                "account/sign_in",
                &[("handle", handle), ("password", password)],
            )
            .await
        }
    };

    // Four failures: still allowed, and a success clears the count.
    for _ in 0..4 {
        assert_eq!(attempt("carol", "nope nope").await.status(), 401);
    }
    assert!(attempt("carol", "correct horse")
        .await
        .status()
        .is_success());

    // Five failures: the sixth attempt is refused even with the right password.
    for _ in 0..5 {
        assert_eq!(attempt("carol", "nope nope").await.status(), 401);
    }
    let refused = attempt("carol", "correct horse").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = refused.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    let (_, body) = error_of(refused).await;
    assert!(
        body["TooManyAttempts"]["retry_after_secs"]
            .as_u64()
            .is_some(),
        "{body}"
    );

    // Another handle is not affected.
    assert!(attempt("dave", "correct horse").await.status().is_success());
}

/// A client whose connections come from `address` (a loopback address of this machine).
fn client_from(address: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(address))
        .build()
        .unwrap()
}

async fn sign_in_from(app: &TestApp, who: &reqwest::Client, handle: &str, password: &str) -> u16 {
    app.call(
        who,
        "account/sign_in",
        &[("handle", handle), ("password", password)],
    )
    .await
    .status()
    .as_u16()
}

/// Twenty wrong passwords at the same instant for one handle from one address: five are
/// checked, fifteen refused, five failures recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sign_in_limit_holds_against_a_twenty_way_race() {
    let app = spawn_app().await;
    app.sign_up(&client(), "carol", "Carol").await;
    let attempts: Vec<_> = (0..20)
        .map(|_| {
            let url = app.url("/api/account/sign_in");
            tokio::spawn(async move {
                client()
                    .post(url)
                    .header(header::ACCEPT, "application/json")
                    .form(&[("handle", "carol"), ("password", "nope nope")])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        15,
        "{statuses:?}"
    );
    let failures: i64 = sqlx::query_scalar("select count(*) from signin_failures")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(failures, 5);
}

/// Five addresses spraying wrong passwords at one player are each refused after five, and
/// the player, from an address of their own, still signs in.
#[tokio::test]
async fn a_spray_from_other_addresses_does_not_lock_the_player_out() {
    let app = spawn_app().await;
    app.sign_up(&client(), "victim", "Victim").await;
    for last in 2..=6u8 {
        let attacker = client_from([127, 0, 0, last]);
        for _ in 0..5 {
            assert_eq!(
                sign_in_from(&app, &attacker, "victim", "nope nope").await,
                401
            );
        }
        assert_eq!(
            sign_in_from(&app, &attacker, "victim", "correct horse").await,
            429
        );
    }
    let own = client_from([127, 0, 0, 1]);
    assert_eq!(
        sign_in_from(&app, &own, "victim", "correct horse").await,
        200
    );
}

/// One address may fail 20 times in the window whatever the handles: the 20th failure is
/// still checked, the attempt after it is refused for any handle.
#[tokio::test]
async fn one_address_is_limited_across_handles_on_both_sides() {
    let app = spawn_app().await;
    let guesser = client_from([127, 0, 0, 7]);
    for i in 0..19 {
        let handle = format!("nobody{}", i % 5);
        assert_eq!(
            sign_in_from(&app, &guesser, &handle, "nope nope").await,
            401
        );
    }
    assert_eq!(
        sign_in_from(&app, &guesser, "nobody9", "nope nope").await,
        401,
        "the 20th"
    );
    assert_eq!(
        sign_in_from(&app, &guesser, "another", "nope nope").await,
        429,
        "the 21st"
    );
    app.sign_up(&client(), "dave", "Dave").await;
    assert_eq!(
        sign_in_from(&app, &client(), "dave", "correct horse").await,
        200
    );
}

#[tokio::test]
async fn no_or_forged_or_idle_cookies_are_not_signed_in() {
    let app = spawn_app().await;
    let anonymous = client();
    assert!(app.me(&anonymous).await.is_null());
    let (status, body) = error_of(app.get_fn(&anonymous, "map/view", &[]).await).await;
    assert_eq!((status, body), (401, serde_json::json!("NotSignedIn")));

    for forged in ["abc", &"0".repeat(64), &"zz".repeat(32)] {
        let response = anonymous
            .get(app.url("/api/map/view"))
            .header(header::ACCEPT, "application/json")
            .header(header::COOKIE, format!("meridian_session={forged}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{forged}");
    }

    // Idle for 29 days: still signed in. Idle for 31: gone.
    let browser = client();
    app.sign_up(&browser, "erin", "Erin").await;
    sqlx::query("update sessions set last_seen_at = now() - interval '29 days'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.me(&browser).await["handle"], "erin");
    let touched: bool =
        sqlx::query_scalar("select last_seen_at > now() - interval '1 minute' from sessions")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(touched, "using a session renews it");
    sqlx::query("update sessions set last_seen_at = now() - interval '31 days'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert!(app.me(&browser).await.is_null());
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_store_nothing() {
    let app = spawn_app().await;
    let response = client()
        .post(app.url("/api/account/sign_up"))
        .header(header::ORIGIN, "https://evil.example")
        .form(&[
            ("handle", "mallory"),
            ("display_name", "M"),
            ("password", "correct horse"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.player_count().await, 0);

    let same = client()
        .post(app.url("/api/account/sign_up"))
        .header(header::ORIGIN, format!("http://{}", app.addr))
        .header(header::ACCEPT, "application/json")
        .form(&[
            ("handle", "mallory"),
            ("display_name", "M"),
            ("password", "correct horse"),
        ])
        .send()
        .await
        .unwrap();
    assert!(same.status().is_success(), "{same:?}");
    assert_eq!(app.player_count().await, 1);
}

/// A signed-in browser's POST with no `Origin` and no `Sec-Fetch-Site` but a `Referer` from
/// another site is refused; and no answer redirects to another site, whatever `Referer` says.
#[tokio::test]
async fn a_foreign_referer_neither_passes_nor_steers_a_redirect() {
    let app = spawn_app().await;
    let (ann, _) = app.signed_up("ann").await;
    let refused = ann
        .post(app.url("/api/account/sign_out"))
        .header(header::REFERER, "https://evil.example/page")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.me(&ann).await["handle"], "ann", "still signed in");

    // The same site's own page may post with a Referer alone.
    let own = ann
        .post(app.url("/api/account/sign_out"))
        .header(header::ACCEPT, "application/json")
        .header(header::REFERER, app.url("/"))
        .send()
        .await
        .unwrap();
    assert!(own.status().is_success(), "{own:?}");

    // A no-JavaScript form error from our own page (Origin says so) with a foreign Referer,
    // and a GET that fails the same way: the redirect stays on this site.
    let signup = client()
        .post(app.url("/api/account/sign_up"))
        .header(header::ACCEPT, "text/html")
        .header(header::ORIGIN, format!("http://{}", app.addr))
        .header(header::REFERER, "https://evil.example/x")
        .form(&[
            ("handle", "x"),
            ("display_name", "X"),
            ("password", "correct horse"),
        ])
        .send()
        .await
        .unwrap();
    let search = ann
        .get(app.url("/api/home/search"))
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, "https://evil.example/x")
        .query(&[("q", "l".repeat(61))])
        .send()
        .await
        .unwrap();
    for response in [signup, search] {
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert!(!location.contains("evil.example"), "{location}");
        assert!(
            location.is_empty() || location.starts_with('/') || location.starts_with(&app.url("/")),
            "{location}"
        );
    }
    assert_eq!(app.player_count().await, 1, "nothing stored");
}

#[tokio::test]
async fn forms_without_javascript_get_the_error_back_on_the_page() {
    let app = spawn_app().await;
    let browser = client();
    let referer = app.url("/signup");
    let response = browser
        .post(app.url("/api/account/sign_up"))
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, &referer)
        .form(&[
            ("handle", "x"),
            ("display_name", "X"),
            ("password", "correct horse"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        location.starts_with(&referer) && location.contains("__err="),
        "{location}"
    );
    let page = browser
        .get(&location)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Handle must be at least 3 characters."),
        "{page}"
    );
    assert_eq!(app.player_count().await, 0);

    let ok = browser
        .post(app.url("/api/account/sign_up"))
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, &referer)
        .form(&[
            ("handle", "nojs"),
            ("display_name", "No JS"),
            ("password", "correct horse"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::FOUND);
    assert_eq!(ok.headers()[header::LOCATION], "/home");
}

/// Names are stored in one form (NFC), and a name that shows nothing or turns the text
/// around is refused with nothing stored.
#[tokio::test]
async fn display_names_are_normalised_visible_and_keep_their_direction() {
    let app = spawn_app().await;
    let browser = client();
    let signed = app.sign_up(&browser, "zoe", "Zoe\u{301}").await;
    assert!(signed.status().is_success(), "{signed:?}");
    assert_eq!(app.me(&browser).await["display_name"], "Zo\u{e9}");
    for (handle, name) in [("blank", "\u{200B}\u{200B}"), ("turn", "abc\u{202E}def")] {
        let (status, body) = error_of(app.sign_up(&client(), handle, name).await).await;
        assert_eq!(
            (status, body["Invalid"]["field"].as_str()),
            (400, Some("display_name"))
        );
    }
    assert_eq!(app.player_count().await, 1);
}

#[tokio::test]
async fn display_names_are_rendered_as_text() {
    let app = spawn_app().await;
    let browser = client();
    app.sign_up(&browser, "html", "<script>alert(1)</script>")
        .await;
    let page = browser
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>alert(1)</script>"));
}
