//! Chats, black-box: the real server on port 0 (two of them where instances matter) against a
//! fresh database, spoken to over HTTP as the pages do. One chat per pair however it is
//! started, every message rule on both sides of its limit, membership on every read, write
//! and event, the send rate limit, paging, live delivery with unread counts, and typing.

mod common;
#[path = "common/sse.rs"]
mod sse;

use std::time::Duration;

use common::{
    chat_between, client, error_of, fresh_database, send, sent, spawn_app, spawn_app_on, start,
    TestApp,
};
use reqwest::{header, Client, StatusCode};
use serde_json::Value;
use sse::{Message, SseClient};
use tokio::time::{timeout_at, Instant};

/// How long a test waits for something that should arrive.
const ARRIVES: Duration = Duration::from_secs(10);
/// How long a test watches for something that must not arrive.
const QUIET: Duration = Duration::from_millis(700);

/// The JSON answer of a GET server function without arguments.
async fn get_json(app: &TestApp, who: &Client, endpoint: &str) -> Value {
    app.get_fn(who, endpoint, &[])
        .await
        .json()
        .await
        .expect("json")
}

/// How many rows `table` holds.
async fn rows(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(&app.pool)
        .await
        .expect("count")
}

/// The next message of `kind` on the stream, skipping others (players joining, presence).
async fn next_of(stream: &mut SseClient, kind: &str, wait: Duration) -> Option<Message> {
    let deadline = Instant::now() + wait;
    loop {
        match timeout_at(deadline, stream.next()).await {
            Ok(Some(message)) if message.kind == kind => return Some(message),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return None,
        }
    }
}

async fn expect_chat_event(stream: &mut SseClient, who: &str) -> Value {
    next_of(stream, "chat", ARRIVES)
        .await
        .unwrap_or_else(|| panic!("{who} expected a chat event"))
        .data
}

#[tokio::test]
async fn one_chat_per_pair_whoever_starts_it() {
    let app = spawn_app().await;
    let (ann, ann_id) = app.signed_up("ann").await;
    let (ben, ben_id) = app.signed_up("ben").await;
    let chat = chat_between(&app, &ann, ben_id).await;
    assert_eq!(chat_between(&app, &ben, ann_id).await, chat);
    assert_eq!(chat_between(&app, &ann, ben_id).await, chat);

    // Without JavaScript, the popup's form posts and the browser follows the redirect.
    let response = ann
        .post(app.url("/api/chat/start"))
        .header(header::ACCEPT, "text/html")
        .header(header::ORIGIN, app.url(""))
        .form(&[("with", ben_id.to_string())])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "{response:?}");
    assert_eq!(
        response.headers()[header::LOCATION],
        format!("/chats/{chat}").as_str()
    );

    // Started but silent: in the starter's list only.
    let listed = |list: Value| list["chats"].as_array().unwrap().len();
    let ann_list = get_json(&app, &ann, "chat/list").await;
    let ben_list = get_json(&app, &ben, "chat/list").await;
    assert_eq!((listed(ann_list), listed(ben_list)), (1, 0));
}

/// Both players press "Say hi" at the same moment, each on another instance: the pair's
/// unique key, not a check before inserting, leaves exactly one chat.
#[tokio::test]
async fn simultaneous_say_hi_on_two_instances_makes_one_chat() {
    let url = fresh_database().await;
    let (one, two) = (spawn_app_on(url.clone()).await, spawn_app_on(url).await);
    const PAIRS: usize = 12;
    let mut players = Vec::new();
    for i in 0..PAIRS {
        players.push((
            one.signed_up(&format!("left{i}")).await,
            one.signed_up(&format!("right{i}")).await,
        ));
    }
    let races = players.iter().map(|((left, left_id), (right, right_id))| {
        let (one, two) = (&one, &two);
        async move {
            tokio::join!(
                chat_between(one, left, *right_id),
                chat_between(two, right, *left_id)
            )
        }
    });
    for (from_left, from_right) in futures::future::join_all(races).await {
        assert_eq!(from_left, from_right, "both sides got the same chat");
    }
    let chats = rows(&one, "chats").await;
    assert_eq!(chats, PAIRS as i64);
}

#[tokio::test]
async fn no_chat_with_yourself_a_stranger_or_while_signed_out() {
    let app = spawn_app().await;
    let (ann, ann_id) = app.signed_up("ann").await;

    let (status, body) = error_of(start(&app, &ann, ann_id).await).await;
    assert_eq!(status, 400);
    assert_eq!(body["Invalid"]["field"], "with");
    assert!(body["Invalid"]["message"]
        .as_str()
        .unwrap()
        .contains("yourself"));

    let (status, body) = error_of(start(&app, &ann, ann_id + 1000).await).await;
    assert_eq!(
        (status, body),
        (404, serde_json::json!({"NotFound": "Player"}))
    );

    let (status, _) = error_of(start(&app, &client(), ann_id).await).await;
    assert_eq!(status, 401);
    let chats = rows(&app, "chats").await;
    assert_eq!(chats, 0);
}

#[tokio::test]
async fn each_message_rule_is_checked_on_both_sides_and_refusals_store_nothing() {
    let app = spawn_app().await;
    let (ann, _) = app.signed_up("ann").await;
    let (_, ben_id) = app.signed_up("ben").await;
    let chat = chat_between(&app, &ann, ben_id).await;

    let too_long = "é".repeat(1001);
    for (body, says) in [
        ("", "empty"),
        ("  \n\t  ", "empty"),
        (too_long.as_str(), "at most 1000"),
        ("bell\u{7}", "control"),
        ("a\rb", "control"),
        ("esc \u{1b}[2J", "control"),
    ] {
        let (status, error) = error_of(send(&app, &ann, chat, body).await).await;
        assert_eq!(status, 400, "{body:?}");
        assert_eq!(error["Invalid"]["field"], "body", "{body:?}");
        let message = error["Invalid"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{body:?}: {message}");
    }
    assert_eq!(rows(&app, "messages").await, 0);

    // The limits themselves are allowed: 1 and 1000 characters after trimming, line breaks.
    let full = "é".repeat(1000);
    assert_eq!(
        sent(&app, &ann, chat, &format!("  {full}  ")).await["body"],
        full.as_str()
    );
    assert_eq!(sent(&app, &ann, chat, " x ").await["body"], "x");
    assert_eq!(
        sent(&app, &ann, chat, "two\r\nlines").await["body"],
        "two\nlines"
    );
    // Markup is text: stored and returned exactly as typed, for the page to show as text.
    let html = r#"<img src=x onerror="alert(1)"><script>alert(2)</script>"#;
    assert_eq!(sent(&app, &ann, chat, html).await["body"], html);
    assert_eq!(rows(&app, "messages").await, 4);

    // The table refuses what the server function would, for writers that bypass it.
    let direct = sqlx::query("insert into messages (chat_id, sender_id, body) values ($1, $2, $3)")
        .bind(chat)
        .bind(ben_id)
        .bind(" padded ")
        .execute(&app.pool)
        .await;
    assert!(direct.is_err());
}

#[tokio::test]
async fn only_the_two_members_can_read_post_or_hear_a_chat() {
    let app = spawn_app().await;
    let (ann, _) = app.signed_up("ann").await;
    let (ben, ben_id) = app.signed_up("ben").await;
    let (cat, _) = app.signed_up("cat").await;
    let chat = chat_between(&app, &ann, ben_id).await;
    let mut to_ben = SseClient::connect(&app.url("/events"), &ben, None).await;
    let mut to_cat = SseClient::connect(&app.url("/events"), &cat, None).await;
    sent(&app, &ann, chat, "secret").await;
    assert_eq!(
        expect_chat_event(&mut to_ben, "ben").await["last"]["body"],
        "secret"
    );
    assert!(next_of(&mut to_cat, "chat", QUIET).await.is_none());

    let chat_id = chat.to_string();
    let not_found = serde_json::json!({"NotFound": "Chat"});
    for response in [
        app.get_fn(&cat, "chat/open", &[("chat_id", &chat_id)])
            .await,
        app.get_fn(
            &cat,
            "chat/history",
            &[("chat_id", &chat_id), ("before", "999999")],
        )
        .await,
        send(&app, &cat, chat, "let me in").await,
        app.call(
            &cat,
            "chat/read",
            &[("chat_id", &chat_id), ("through", "999999")],
        )
        .await,
        app.call(&cat, "chat/typing", &[("chat_id", &chat_id)])
            .await,
    ] {
        assert_eq!(error_of(response).await, (404, not_found.clone()));
    }
    // A chat that does not exist answers the same: ids reveal nothing.
    let missing = (chat + 100).to_string();
    let response = app
        .get_fn(&ann, "chat/open", &[("chat_id", &missing)])
        .await;
    assert_eq!(error_of(response).await, (404, not_found));

    // The page itself says so, with status 404, and shows nothing of the chat.
    let page = cat
        .get(app.url(&format!("/chats/{chat}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let html = page.text().await.unwrap();
    assert!(html.contains("Chat not found.") && !html.contains("secret"));

    // Replaying from the start gives the stranger none of it either.
    let mut replay = SseClient::connect(&app.url("/events"), &cat, Some(0)).await;
    assert!(next_of(&mut replay, "chat", QUIET).await.is_none());
    let cat_list = get_json(&app, &cat, "chat/list").await;
    assert_eq!(cat_list["chats"], serde_json::json!([]));
    assert_eq!(rows(&app, "messages").await, 1);
}

#[tokio::test]
async fn the_sender_is_the_session_whatever_the_request_says() {
    let app = spawn_app().await;
    let (ann, ann_id) = app.signed_up("ann").await;
    let (_, ben_id) = app.signed_up("ben").await;
    let chat = chat_between(&app, &ann, ben_id).await;
    let forged = app
        .call(
            &ann,
            "chat/send",
            &[
                ("chat_id", &chat.to_string()),
                ("body", "from ann"),
                ("sender_id", &ben_id.to_string()),
                ("sender", &ben_id.to_string()),
            ],
        )
        .await;
    assert!(forged.status().is_success(), "{forged:?}");
    let stored: i64 = sqlx::query_scalar("select sender_id from messages")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, ann_id);
}

#[tokio::test]
async fn sending_is_limited_to_ten_messages_in_ten_seconds_per_player() {
    let app = spawn_app().await;
    let (ann, _) = app.signed_up("ann").await;
    let (ben, ben_id) = app.signed_up("ben").await;
    let (cat, cat_id) = app.signed_up("cat").await;
    let (with_ben, with_cat) = (
        chat_between(&app, &ann, ben_id).await,
        chat_between(&app, &ann, cat_id).await,
    );
    // The limit is per player, across chats.
    for i in 0..10 {
        let chat = if i % 2 == 0 { with_ben } else { with_cat };
        sent(&app, &ann, chat, &format!("message {i}")).await;
    }
    let refused = send(&app, &ann, with_ben, "one too many").await;
    let retry_after: u64 = refused.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let (status, body) = error_of(refused).await;
    assert_eq!(status, 429);
    let said = body["TooManyMessages"]["retry_after_secs"]
        .as_u64()
        .unwrap();
    assert_eq!(said, retry_after);
    assert!((1..=10).contains(&retry_after), "{retry_after}");
    assert_eq!(rows(&app, "messages").await, 10);
    // Others are not held back by it.
    sent(&app, &cat, with_cat, "still fine").await;

    // Ann's list: newest activity first.
    let list = get_json(&app, &ann, "chat/list").await;
    let order: Vec<i64> = list["chats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["chat_id"].as_i64().unwrap())
        .collect();
    assert_eq!(order, [with_cat, with_ben]);
    sent(&app, &ben, with_ben, "ben here").await;
    let list = get_json(&app, &ann, "chat/list").await;
    assert_eq!(list["chats"][0]["chat_id"], with_ben);
    assert_eq!(list["chats"][0]["last"]["body"], "ben here");
}

#[tokio::test]
async fn a_retried_send_is_stored_once() {
    let app = spawn_app().await;
    let (ann, _) = app.signed_up("ann").await;
    let (_, ben_id) = app.signed_up("ben").await;
    let chat = chat_between(&app, &ann, ben_id).await;
    let form = [
        ("chat_id", chat.to_string()),
        ("body", "hello?".to_owned()),
        ("client_key", "tab1-42".to_owned()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let first: Value = app
        .call(&ann, "chat/send", &form)
        .await
        .json()
        .await
        .unwrap();
    let again: Value = app
        .call(&ann, "chat/send", &form)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["id"], again["id"]);
    assert_eq!(first["client_key"], "tab1-42");
    assert_eq!(rows(&app, "messages").await, 1);

    let bad_key = [
        ("chat_id", form[0].1),
        ("body", "x"),
        ("client_key", "no spaces"),
    ];
    let (status, body) = error_of(app.call(&ann, "chat/send", &bad_key).await).await;
    assert_eq!(
        (status, body["Invalid"]["field"].as_str()),
        (400, Some("client_key"))
    );
}

/// Every tab of both players hears each message, on whichever instance it is; the
/// recipient's unread count rises, and falls in all their tabs when one reads the chat.
#[tokio::test]
async fn messages_reach_every_tab_of_both_players_on_any_instance() {
    let url = fresh_database().await;
    let (one, two) = (spawn_app_on(url.clone()).await, spawn_app_on(url).await);
    let (ann, ann_id) = one.signed_up("ann").await;
    let (ben, ben_id) = one.signed_up("ben").await;
    let chat = chat_between(&one, &ann, ben_id).await;
    let mut ann_tab = SseClient::connect(&one.url("/events"), &ann, None).await;
    let mut ben_tabs = [
        SseClient::connect(&one.url("/events"), &ben, None).await,
        SseClient::connect(&two.url("/events"), &ben, None).await,
    ];

    let before: i64 = sqlx::query_scalar("select coalesce(max(id), 0) from events")
        .fetch_one(&one.pool)
        .await
        .unwrap();
    let message = sent(&two, &ann, chat, "hello ben").await;
    for (i, tab) in ben_tabs.iter_mut().enumerate() {
        let event = expect_chat_event(tab, &format!("ben's tab {i}")).await;
        assert_eq!(event["chat_id"], chat);
        assert_eq!(event["other"]["id"], ann_id);
        assert_eq!(event["unread"], 1);
        for field in ["id", "chat_id", "sender_id", "body"] {
            assert_eq!(event["last"][field], message[field], "{field}");
        }
    }
    let mine = expect_chat_event(&mut ann_tab, "ann").await;
    assert_eq!(
        (mine["unread"].as_i64(), mine["other"]["id"].as_i64()),
        (Some(0), Some(ben_id))
    );
    // One event carried the message to both; each stream had its own member's view, and a
    // replay from before it gives each member that view again, never the other's.
    let stored: Vec<(String, Vec<i64>)> =
        sqlx::query_as("select kind, audience from events where payload->>'message_id' = $1")
            .bind(message["id"].to_string())
            .fetch_all(&one.pool)
            .await
            .unwrap();
    let pair = vec![ann_id.min(ben_id), ann_id.max(ben_id)];
    assert_eq!(stored, vec![("chat".to_owned(), pair)]);
    for (who, client, other, unread) in [("ann", &ann, ben_id, 0), ("ben", &ben, ann_id, 1)] {
        let mut replay = SseClient::connect(&one.url("/events"), client, Some(before)).await;
        let event = next_of(&mut replay, "chat", ARRIVES)
            .await
            .unwrap_or_else(|| panic!("{who}'s replay has the message"));
        assert_eq!(
            (
                event.data["other"]["id"].as_i64(),
                event.data["unread"].as_i64()
            ),
            (Some(other), Some(unread)),
            "{who}: {}",
            event.raw
        );
        assert!(!event.raw.contains("views"), "{who}: {}", event.raw);
    }

    let listed = get_json(&two, &ben, "chat/list").await;
    assert_eq!(listed["chats"][0]["unread"], 1);
    assert_eq!(listed["chats"][0]["last"]["body"], "hello ben");
    // The header's answer carries the counts.
    let header = get_json(&two, &ben, "header").await;
    let counts = &header["player"]["unread"];
    assert_eq!(counts["chats"][0]["chat_id"], chat);
    assert_eq!(counts["chats"][0]["unread"], 1);

    // Ben reads it in one tab: both his tabs hear the count drop; Ann hears nothing.
    let read = two
        .call(
            &ben,
            "chat/read",
            &[
                ("chat_id", &chat.to_string()),
                ("through", &message["id"].to_string()),
            ],
        )
        .await;
    assert!(read.status().is_success(), "{read:?}");
    for tab in ben_tabs.iter_mut() {
        let event = expect_chat_event(tab, "ben").await;
        assert_eq!(event["unread"], 0);
        assert_eq!(event["read_through"], message["id"]);
    }
    assert!(next_of(&mut ann_tab, "chat", QUIET).await.is_none());
    let listed = get_json(&one, &ben, "chat/list").await;
    assert_eq!(listed["chats"][0]["unread"], 0);
    let header = get_json(&one, &ben, "header").await;
    assert_eq!(header["player"]["unread"]["chats"][0]["unread"], 0);
}

/// Both players write at once: every tab sees the chat's versions rise and its messages
/// arrive in the order they were stored, each once.
#[tokio::test]
async fn concurrent_messages_arrive_once_each_in_order() {
    let app = spawn_app().await;
    let (ann, _) = app.signed_up("ann").await;
    let (ben, ben_id) = app.signed_up("ben").await;
    let chat = chat_between(&app, &ann, ben_id).await;
    let mut ann_tab = SseClient::connect(&app.url("/events"), &ann, None).await;
    let burst = |who: &Client, name: &str| {
        let who = who.clone();
        let name = name.to_owned();
        let app = &app;
        async move {
            for i in 0..8 {
                sent(app, &who, chat, &format!("{name} {i}")).await;
            }
        }
    };
    tokio::join!(burst(&ann, "ann"), burst(&ben, "ben"));

    let mut seen = Vec::new();
    let mut version = 0;
    while seen.len() < 16 {
        let event = expect_chat_event(&mut ann_tab, "ann").await;
        let v = event["version"].as_i64().unwrap();
        assert!(v > version, "versions rise: {v} after {version}");
        version = v;
        seen.push(event["last"]["id"].as_i64().unwrap());
    }
    let stored: Vec<i64> = sqlx::query_scalar("select id from messages order by id")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(seen, stored);
}

#[tokio::test]
async fn history_comes_in_pages_of_fifty_newest_first() {
    let app = spawn_app().await;
    let (ann, ann_id) = app.signed_up("ann").await;
    let (_, ben_id) = app.signed_up("ben").await;
    let chat = chat_between(&app, &ann, ben_id).await;
    // Written directly: the send rate limit is not what this test is about.
    sqlx::query(
        "insert into messages (chat_id, sender_id, body)
         select $1, case when n % 2 = 0 then $2 else $3 end, 'message ' || n
         from generate_series(1, 120) n",
    )
    .bind(chat)
    .bind(ann_id)
    .bind(ben_id)
    .execute(&app.pool)
    .await
    .unwrap();

    let bodies = |page: &Value| -> Vec<String> {
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_owned())
            .collect()
    };
    let expect = |from: i32, to: i32| -> Vec<String> {
        (from..=to).map(|n| format!("message {n}")).collect()
    };
    let opened: Value = app
        .get_fn(&ann, "chat/open", &[("chat_id", &chat.to_string())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bodies(&opened["history"]), expect(71, 120));
    assert_eq!(opened["history"]["has_older"], true);
    assert_eq!(opened["chat"]["other"]["id"], ben_id);

    let mut before = opened["history"]["messages"][0]["id"].to_string();
    let mut pages = Vec::new();
    loop {
        let page: Value = app
            .get_fn(
                &ann,
                "chat/history",
                &[("chat_id", &chat.to_string()), ("before", &before)],
            )
            .await
            .json()
            .await
            .unwrap();
        pages.push(bodies(&page));
        if page["has_older"] == false {
            break;
        }
        before = page["messages"][0]["id"].to_string();
    }
    assert_eq!(pages, [expect(21, 70), expect(1, 20)]);
}

/// Typing reaches the other member only, without an id (never replayed, never stored), at
/// most once per two seconds per sender.
#[tokio::test]
async fn typing_is_ephemeral_and_throttled() {
    let app = spawn_app().await;
    let (ann, ann_id) = app.signed_up("ann").await;
    let (ben, ben_id) = app.signed_up("ben").await;
    let chat = chat_between(&app, &ann, ben_id).await;
    let mut to_ben = SseClient::connect(&app.url("/events"), &ben, None).await;
    let mut to_ann = SseClient::connect(&app.url("/events"), &ann, None).await;
    let events_before = rows(&app, "events").await;
    let chat_id = chat.to_string();
    let form = [("chat_id", chat_id.as_str())];
    let typing = || app.call(&ann, "chat/typing", &form);

    let relayed: bool = typing().await.json().await.unwrap();
    assert!(relayed);
    let signal = next_of(&mut to_ben, "typing", ARRIVES)
        .await
        .expect("typing");
    assert_eq!(signal.id, None);
    assert_eq!(
        signal.data,
        serde_json::json!({"chat_id": chat, "player_id": ann_id})
    );

    // Straight away again: accepted, not relayed.
    let relayed: bool = typing().await.json().await.unwrap();
    assert!(!relayed);
    assert!(next_of(&mut to_ben, "typing", QUIET).await.is_none());
    assert!(next_of(&mut to_ann, "typing", QUIET).await.is_none());
    assert_eq!(rows(&app, "events").await, events_before);

    tokio::time::sleep(Duration::from_secs(2)).await;
    let relayed: bool = typing().await.json().await.unwrap();
    assert!(relayed, "relayed again after two seconds");
    assert!(next_of(&mut to_ben, "typing", ARRIVES).await.is_some());

    // Sending ends the typing: the next message's first keystroke is relayed at once.
    let relayed: bool = typing().await.json().await.unwrap();
    assert!(!relayed, "throttled");
    sent(&app, &ann, chat, "done typing").await;
    let relayed: bool = typing().await.json().await.unwrap();
    assert!(relayed, "relayed at once after a send");
}

/// Signing out ends that session's streams on every instance, so a tab left open stops
/// hearing the player's chats; the player's other sessions keep theirs.
#[tokio::test]
async fn signing_out_ends_that_sessions_streams_everywhere() {
    let url = fresh_database().await;
    let (one, two) = (spawn_app_on(url.clone()).await, spawn_app_on(url).await);
    let (ann_laptop, _) = one.signed_up("ann").await;
    let ann_phone = client();
    let signed_in = one
        .call(
            &ann_phone,
            "account/sign_in",
            &[("handle", "ann"), ("password", "correct horse")],
        )
        .await;
    assert!(signed_in.status().is_success(), "{signed_in:?}");
    let (ben, _) = one.signed_up("ben").await;
    let ann_id = one.me(&ann_phone).await["id"].as_i64().unwrap();
    let chat = chat_between(&one, &ben, ann_id).await;

    let mut laptop = SseClient::connect(&two.url("/events"), &ann_laptop, None).await;
    let mut phone = SseClient::connect(&one.url("/events"), &ann_phone, None).await;
    let signed_out = one.call(&ann_laptop, "account/sign_out", &[]).await;
    assert!(signed_out.status().is_success(), "{signed_out:?}");

    sent(&one, &ben, chat, "are you there?").await;
    assert_eq!(
        expect_chat_event(&mut phone, "ann's phone").await["last"]["body"],
        "are you there?"
    );
    assert!(next_of(&mut laptop, "chat", ARRIVES).await.is_none());
    assert!(laptop.ended(), "the signed-out stream ended");
}

#[tokio::test]
async fn an_empty_message_sent_without_javascript_shows_its_error_on_the_chat() {
    let app = spawn_app().await;
    let (ann, _) = app.signed_up("ann").await;
    let (_, ben_id) = app.signed_up("ben").await;
    let chat = chat_between(&app, &ann, ben_id).await;
    let page = app.url(&format!("/chats/{chat}"));
    let response = ann
        .post(app.url("/api/chat/send"))
        .header(header::ACCEPT, "text/html")
        .header(header::ORIGIN, app.url(""))
        .header(header::REFERER, &page)
        .form(&[("chat_id", chat.to_string()), ("body", "   ".to_owned())])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "{response:?}");
    let location = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(location.contains("__err="), "{location}");
    let back = if location.starts_with('/') {
        app.url(&location)
    } else {
        location
    };
    let html = ann.get(&back).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains(r#"role="alert" class="error">Message is empty."#),
        "the error is on the page it returns to: {html}"
    );
    let stored: i64 = sqlx::query_scalar("select count(*) from messages")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}
