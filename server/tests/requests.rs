//! Malformed requests, black-box: bytes that are not text, bodies over the limit, bodies that
//! are not forms and arguments that do not decode get a 4xx that says so, never a 500, and
//! nothing is stored.

mod common;

use common::{chat_between, client, error_of, spawn_app};
use reqwest::{header, StatusCode};
use server::requests::FORM_LIMIT;

async fn messages(app: &common::TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from messages")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn bytes_that_are_not_text_are_refused_raw_or_percent_encoded() {
    let app = spawn_app().await;
    let (ann, _) = app.signed_up("ann").await;
    let (_, ben) = app.signed_up("ben").await;
    let chat = chat_between(&app, &ann, ben).await;
    let post = |body: Vec<u8>| {
        ann.post(app.url("/api/chat/send"))
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let raw = [
        format!("chat_id={chat}&body=").into_bytes(),
        b"\xff\xfehello".to_vec(),
    ]
    .concat();
    let encoded = format!("chat_id={chat}&body=%FF%FEhello").into_bytes();
    for body in [raw, encoded] {
        let (status, error) = error_of(post(body).await.unwrap()).await;
        assert_eq!(status, 400, "{error}");
        assert_eq!(error["Invalid"]["field"], "request");
    }
    // A sign-up whose handle is not text stores no player either.
    let signup = client()
        .post(app.url("/api/account/sign_up"))
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(b"handle=\xc3&display_name=X&password=correct+horse".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(signup.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.player_count().await, 2);
    // So does a query string.
    let search = ann
        .get(format!("{}?q=%FF", app.url("/api/home/search")))
        .header(header::ACCEPT, "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(search.status(), StatusCode::BAD_REQUEST);
    // Text still goes through, whatever its script.
    let ok = post(format!("chat_id={chat}&body=Zo%C3%AB+%E5%90%8D").into_bytes())
        .await
        .unwrap();
    assert!(ok.status().is_success(), "{ok:?}");
    assert_eq!(messages(&app).await, 1);
}

#[tokio::test]
async fn bodies_over_the_limit_or_not_forms_are_refused() {
    let app = spawn_app().await;
    let (ann, _) = app.signed_up("ann").await;
    let (_, ben) = app.signed_up("ben").await;
    let chat = chat_between(&app, &ann, ben).await;
    let post = |body: String, content_type: &'static str| {
        ann.post(app.url("/api/chat/send"))
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
    };
    let form = "application/x-www-form-urlencoded";
    // The limit on both sides: a body of exactly FORM_LIMIT bytes is read (and then refused
    // for its message's length, by name); one byte more is 413.
    let head = format!("chat_id={chat}&body=");
    let at_limit = format!("{head}{}", "a".repeat(FORM_LIMIT - head.len()));
    let (status, error) = error_of(post(at_limit, form).await.unwrap()).await;
    assert_eq!(
        (status, error["Invalid"]["field"].as_str()),
        (400, Some("body"))
    );
    let over = format!("{head}{}", "a".repeat(FORM_LIMIT - head.len() + 1));
    let (status, error) = error_of(post(over, form).await.unwrap()).await;
    assert_eq!(status, 413, "{error}");
    assert_eq!(error["TooLarge"]["limit_bytes"], FORM_LIMIT);
    let (status, _) = error_of(
        post(
            format!("{{\"chat_id\":{chat},\"body\":\"hi\"}}"),
            "application/json",
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 415);
    // Two megabytes: refused as too large, not a 500.
    let huge = format!("{head}{}", "a".repeat(2 * 1024 * 1024));
    assert_eq!(
        post(huge, form).await.unwrap().status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(messages(&app).await, 0);
}

#[tokio::test]
async fn arguments_that_do_not_decode_say_so_without_the_decoders_words() {
    let app = spawn_app().await;
    let (ann, _) = app.signed_up("ann").await;
    let (status, error) = error_of(app.call(&ann, "home/city", &[("city_id", "lyon")]).await).await;
    assert_eq!(status, 400);
    assert_eq!(error["Invalid"]["field"], "request");
    let text = error.to_string();
    assert!(
        !text.contains("invalid digit") && !text.contains("deserializ"),
        "{text}"
    );
}
