//! Player profiles, black-box: what a profile counts, who may see it, and the page the server
//! renders for it.

mod common;

use common::{chat_between, client, error_of, sent, spawn_app, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::Value;

/// Gives the player a home near a known city centre.
async fn home_at(app: &TestApp, who: &Client, lat: &str, lon: &str) {
    let response = app
        .call(who, "home/from_position", &[("lat", lat), ("lon", lon)])
        .await;
    assert!(response.status().is_success(), "{response:?}");
}

async fn profile(app: &TestApp, viewer: &Client, handle: &str) -> Value {
    let response = app
        .get_fn(viewer, "player/profile", &[("handle", handle)])
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{handle}");
    response.json().await.expect("json")
}

async fn page(app: &TestApp, viewer: &Client, path: &str) -> (StatusCode, String) {
    let response = viewer.get(app.url(path)).send().await.expect("page");
    let status = response.status();
    (status, response.text().await.expect("html"))
}

#[tokio::test]
async fn a_profile_counts_messages_players_and_countries_talked_to() {
    let app = spawn_app().await;
    let (ana, ana_id) = app.signed_up("ana").await;
    let (ben, ben_id) = app.signed_up("ben").await;
    let (cho, cho_id) = app.signed_up("cho").await;
    let (dev, _) = app.signed_up("dev").await;
    home_at(&app, &ana, "48.86061", "2.33764").await; // Paris
    home_at(&app, &ben, "52.52", "13.405").await; // Berlin
    home_at(&app, &cho, "35.6895", "139.6917").await; // Tokyo
    home_at(&app, &dev, "52.37", "4.89").await; // Amsterdam

    let with_ben = chat_between(&app, &ana, ben_id).await;
    let with_cho = chat_between(&app, &ana, cho_id).await;
    sent(&app, &ana, with_ben, "hallo").await;
    sent(&app, &ana, with_ben, "wie geht's?").await;
    sent(&app, &ana, with_cho, "konnichiwa").await;
    // Dev starts a chat with Ana and says nothing: no one has been talked to.
    let with_dev = chat_between(&app, &dev, ana_id).await;

    // Any case finds the handle.
    let seen_by_ben = profile(&app, &ben, "ANA").await;
    assert_eq!(seen_by_ben["handle"], "ana");
    assert_eq!(seen_by_ben["display_name"], "Ana");
    assert_eq!(seen_by_ben["home"]["country"], "France");
    assert_eq!(seen_by_ben["messages_sent"], 3);
    assert_eq!(seen_by_ben["players_talked_to"], 2);
    assert_eq!(seen_by_ben["countries_talked_to"], 2);
    assert_eq!(seen_by_ben["chat_id"], with_ben);
    // Ana has no event stream open.
    assert_eq!(seen_by_ben["online"], false);

    // Receiving is not talking; another viewer has no chat with Ben.
    let ben_seen_by_cho = profile(&app, &cho, "ben").await;
    assert_eq!(ben_seen_by_cho["messages_sent"], 0);
    assert_eq!(ben_seen_by_cho["players_talked_to"], 0);
    assert_eq!(ben_seen_by_cho["countries_talked_to"], 0);
    assert_eq!(ben_seen_by_cho["chat_id"], Value::Null);
    assert_eq!(ben_seen_by_cho["home"]["country"], "Germany");

    // A chat with no messages from Dev: a chat to open, nobody talked to.
    let dev_seen_by_ana = profile(&app, &ana, "dev").await;
    assert_eq!(dev_seen_by_ana["chat_id"], with_dev);
    assert_eq!(dev_seen_by_ana["players_talked_to"], 0);

    // Ben answers twice: one more player and country for Ben, nothing new for Ana.
    sent(&app, &ben, with_ben, "gut, danke").await;
    sent(&app, &ben, with_ben, "und dir?").await;
    let ben_now = profile(&app, &cho, "ben").await;
    assert_eq!(ben_now["messages_sent"], 2);
    assert_eq!(ben_now["players_talked_to"], 1);
    assert_eq!(ben_now["countries_talked_to"], 1);
    assert_eq!(profile(&app, &ben, "ana").await["players_talked_to"], 2);
}

#[tokio::test]
async fn unknown_players_and_signed_out_viewers_are_refused() {
    let app = spawn_app().await;
    let (ana, _) = app.signed_up("ana").await;
    let (status, body) = error_of(
        app.get_fn(&ana, "player/profile", &[("handle", "nobody")])
            .await,
    )
    .await;
    assert_eq!(
        (status, body),
        (404, serde_json::json!({"NotFound": "Player"}))
    );
    let (status, html) = page(&app, &ana, "/players/nobody").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Player not found."), "{html}");

    let stranger = client();
    let (status, _) = error_of(
        app.get_fn(&stranger, "player/profile", &[("handle", "ana")])
            .await,
    )
    .await;
    assert_eq!(status, 401);
    let (status, html) = page(&app, &stranger, "/players/ana").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("to see players."), "{html}");
    assert!(!html.contains("Playing since"), "{html}");
}

#[tokio::test]
async fn the_profile_page_offers_a_chat_and_shows_names_as_text() {
    let app = spawn_app().await;
    let (ana, ana_id) = app.signed_up("ana").await;
    // 34 characters: a valid display name.
    let html_name = "</title><script>alert(1)</script>";
    let ben = client();
    let response = app.sign_up(&ben, "ben", html_name).await;
    assert!(response.status().is_success(), "{response:?}");

    // No chat yet: "Say hi", a form posting Ana's id.
    let (status, html) = page(&app, &ben, "/players/ana").await;
    assert_eq!(status, StatusCode::OK);
    // (`<!>` marks where text nodes meet, for hydration.)
    assert!(html.replace("<!>", "").contains("@ana"), "{html}");
    assert!(html.contains("Playing since"), "{html}");
    assert!(html.contains(r#"action="/api/chat/start""#), "{html}");
    assert!(html.contains(&format!(r#"value="{ana_id}""#)), "{html}");

    // Once there is a chat, the page links to it instead.
    let chat = chat_between(&app, &ben, ana_id).await;
    let (_, html) = page(&app, &ben, "/players/ana").await;
    assert!(html.contains(&format!(r#"href="/chats/{chat}""#)), "{html}");
    assert!(!html.contains(r#"action="/api/chat/start""#), "{html}");

    // A name that looks like markup is text, in the page and in its title.
    let (_, html) = page(&app, &ana, "/players/ben").await;
    assert!(
        html.contains(
            "<title>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; · Meridian</title>"
        ),
        "{html}"
    );
    assert!(!html.contains("<script>alert(1)"), "{html}");
    let (_, html) = page(&app, &ana, &format!("/chats/{chat}")).await;
    assert!(
        html.contains("<title>Chat with &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert(1)"), "{html}");

    // Your own page: no chat with yourself.
    let (_, html) = page(&app, &ana, "/players/ana").await;
    assert!(html.contains("(you)"), "{html}");
    assert!(html.contains(r#"href="/home""#), "{html}");
    assert!(!html.contains(r#"action="/api/chat/start""#), "{html}");
}
