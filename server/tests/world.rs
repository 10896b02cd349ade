//! The world as a signed-out visitor sees it, black-box: players online now and activity by
//! country (`world/activity`), and the spectators' stream, which carries countries and counts
//! but never a player's city.

mod common;
#[path = "common/sse.rs"]
mod sse;

use std::time::{Duration, Instant};

use common::{chat_between, client, sent, spawn_app, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use sse::SseClient;

/// Gives the player a home near a known city centre.
async fn home_at(app: &TestApp, who: &Client, lat: &str, lon: &str) {
    let response = app
        .call(who, "home/from_position", &[("lat", lat), ("lon", lon)])
        .await;
    assert!(response.status().is_success(), "{response:?}");
}

/// The world as anyone sees it, with the answer's text (to check what it does not say).
async fn activity(app: &TestApp) -> (Value, String) {
    let response = app.get_fn(&client(), "world/activity", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("text");
    (serde_json::from_str(&text).expect("json"), text)
}

fn country<'a>(world: &'a Value, code: &str) -> Option<&'a Value> {
    world["countries"]
        .as_array()
        .expect("countries")
        .iter()
        .find(|c| c["code"] == code)
}

/// Waits until `check` holds for the world's activity (the projector counts in the background).
async fn until(app: &TestApp, what: &str, check: impl Fn(&Value) -> bool) -> (Value, String) {
    let started = Instant::now();
    loop {
        let (world, text) = activity(app).await;
        if check(&world) {
            return (world, text);
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{what}: {world}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_world_counts_players_online_and_active_by_country_and_names_no_city() {
    let app = spawn_app().await;
    let (ann, _) = app.signed_up("ann").await;
    let (ben, ben_id) = app.signed_up("ben").await;
    let (cho, _) = app.signed_up("cho").await;
    let (dev, _) = app.signed_up("dev").await;
    home_at(&app, &ann, "48.86061", "2.33764").await; // Paris
    home_at(&app, &ben, "35.6895", "139.6917").await; // Tokyo
    home_at(&app, &cho, "35.0116", "135.7681").await; // Kyoto
                                                      // Dev has no home: online, but in no country.

    let (world, _) = activity(&app).await;
    assert_eq!(world["online"], 0, "no stream open yet: {world}");
    assert_eq!(world["countries"], serde_json::json!([]));

    // Online while a stream is open.
    let mut streams = Vec::new();
    for who in [&ann, &ben, &dev] {
        streams.push(SseClient::connect(&app.url("/events"), who, None).await);
    }
    let (world, _) = until(&app, "three online", |w| w["online"] == 3).await;
    let japan = country(&world, "JP").expect("Japan");
    assert_eq!(
        (japan["online"].as_i64(), japan["name"].as_str()),
        (Some(1), Some("Japan"))
    );
    assert_eq!(country(&world, "FR").expect("France")["online"], 1);
    assert!(world["cursor"].as_i64() > Some(0));

    // Ann writes to Ben: once counted, France has a player active today; Japan has none
    // (receiving is not activity), though Ben is online there.
    let chat = chat_between(&app, &ann, ben_id).await;
    sent(&app, &ann, chat, "hello from Paris").await;
    let (world, text) = until(&app, "France active today", |w| {
        country(w, "FR").is_some_and(|c| c["active_today"] == 1)
    })
    .await;
    assert_eq!(country(&world, "JP").expect("Japan")["active_today"], 0);
    // Most online first: one each, so the order is by activity, then by name.
    let codes: Vec<_> = world["countries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes, ["FR", "JP"]);
    for city in ["Paris", "Tokyo", "Kyoto", "hello"] {
        assert!(!text.contains(city), "{city} in {text}");
    }
    for key in ["handle", "display_name", "city", "region"] {
        assert!(!text.contains(&format!("\"{key}\"")), "{key} in {text}");
    }

    // Offline again once the streams close (after the presence timeout).
    drop(streams);
    until(&app, "no one online", |w| w["online"] == 0).await;
    let (world, _) = activity(&app).await;
    // France stays, for its activity today.
    assert_eq!(country(&world, "FR").expect("France")["online"], 0);
    assert!(country(&world, "JP").is_none(), "{world}");
}

#[tokio::test]
async fn spectators_hear_the_world_move_but_no_players_home() {
    let app = spawn_app().await;
    let (ben, ben_id) = app.signed_up("ben").await;
    home_at(&app, &ben, "35.6895", "139.6917").await; // Tokyo
                                                      // Ben's own stream hears everything public, players' homes included.
    let mut player = SseClient::connect(&app.url("/events"), &ben, None).await;
    let mut spectator = SseClient::connect(&app.url("/events/public"), &client(), None)
        .await
        .with_dashboard()
        .with_presence();

    // Ann arrives from Paris, opens the map (comes online) and writes to Ben.
    let (ann, _) = app.signed_up("ann").await;
    home_at(&app, &ann, "48.86061", "2.33764").await;
    let _ann_stream = SseClient::connect(&app.url("/events"), &ann, None).await;
    let chat = chat_between(&app, &ann, ben_id).await;
    sent(&app, &ann, chat, "hello").await;

    // The player hears Ann's home...
    let mut heard_home = false;
    while let Some(message) = player.next_within(Duration::from_secs(5)).await {
        if message.kind == "player_updated" && message.raw.contains("Paris") {
            heard_home = true;
            break;
        }
    }
    assert!(heard_home, "a player hears where a new player lives");

    // ... the spectator hears that she joined and moved in, came online and wrote (the
    // dashboard moves), and never where she lives. The dashboard's announcement comes after
    // her home's events in the log, so every one of them was sent before it.
    let started = Instant::now();
    let (mut moved_in, mut presence, mut dashboard) = (false, false, false);
    while !(moved_in && presence && dashboard) && started.elapsed() < Duration::from_secs(10) {
        let Some(message) = spectator.next_within(Duration::from_secs(10)).await else {
            break;
        };
        assert!(
            !message.raw.contains("Paris") && !message.raw.contains("Tokyo"),
            "a spectator heard a player's home: {}",
            message.raw
        );
        if message.kind.starts_with("player_") {
            assert!(message.data["home"].is_null(), "{}", message.raw);
            moved_in |= message.kind == "player_updated" && message.data["handle"] == "ann";
        }
        presence |= message.kind == "presence";
        dashboard |= message.kind == "dashboard" && message.data["today_messages"] == 1;
    }
    assert!(
        moved_in && presence && dashboard,
        "moved in {moved_in}, presence {presence}, dashboard {dashboard}"
    );

    // Nor does a spectator who resumes from the start of the log.
    let mut replayed = SseClient::connect(&app.url("/events/public?after=0"), &client(), None)
        .await
        .with_dashboard();
    let mut kinds = Vec::new();
    while let Some(message) = replayed.next_within(Duration::from_millis(1500)).await {
        assert!(
            !message.raw.contains("Paris") && !message.raw.contains("Tokyo"),
            "replayed a player's home: {}",
            message.raw
        );
        kinds.push(message.kind);
    }
    assert!(kinds.iter().any(|k| k == "dashboard"), "{kinds:?}");
    assert!(kinds.iter().any(|k| k == "player_updated"), "{kinds:?}");
}
