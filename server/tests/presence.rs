//! Presence over the live stream: a player opening a stream is announced online to others,
//! and, once they have had no stream anywhere for the presence timeout (2 s in tests),
//! offline. Presence messages are ephemeral: no id, never replayed.

mod common;
#[path = "common/sse.rs"]
mod sse;

use std::time::Duration;

use common::{client, fresh_database, spawn_app_on};
use sse::SseClient;

/// Reads until a presence message about `player`, skipping anything else.
async fn presence_of(stream: &mut SseClient, player: i64) -> (Option<i64>, bool) {
    loop {
        let message = stream
            .next_within(Duration::from_secs(15))
            .await
            .expect("a presence message");
        if message.kind == "presence" && message.data["player_id"] == player {
            return (
                message.id,
                message.data["online"].as_bool().expect("online flag"),
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn players_come_online_and_go_offline_across_instances() {
    let url = fresh_database().await;
    let (one, two) = (spawn_app_on(url.clone()).await, spawn_app_on(url).await);
    let (watcher, visitor) = (client(), client());
    one.sign_up(&watcher, "watcher", "Watcher").await;
    two.sign_up(&visitor, "visitor", "Visitor").await;
    let visitor_id = two.me(&visitor).await["id"].as_i64().unwrap();

    let mut watching = SseClient::connect(&one.url("/events"), &watcher, None)
        .await
        .with_presence();
    let visiting = SseClient::connect(&two.url("/events"), &visitor, None).await;
    assert_eq!(presence_of(&mut watching, visitor_id).await, (None, true));

    let map: serde_json::Value = one
        .get_fn(&watcher, "map/view", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(
        map["players"].as_array().unwrap().is_empty(),
        "no homes yet"
    );

    drop(visiting);
    assert_eq!(presence_of(&mut watching, visitor_id).await, (None, false));
    let online: i64 = sqlx::query_scalar("select count(*) from presence where player_id = $1")
        .bind(visitor_id)
        .fetch_one(&one.pool)
        .await
        .unwrap();
    assert_eq!(online, 0, "the departed player's rows are gone");

    // A reconnect that resumes from an id gets no presence replayed.
    let mut resumed = SseClient::connect(&one.url("/events"), &watcher, Some(0))
        .await
        .with_presence();
    while let Some(message) = resumed.next_within(Duration::from_millis(500)).await {
        assert!(
            message.id.is_some(),
            "only durable events are replayed: {message:?}"
        );
    }
}

#[tokio::test]
async fn the_map_says_who_is_online() {
    let url = fresh_database().await;
    let app = spawn_app_on(url).await;
    let (a, b) = (client(), client());
    app.sign_up(&a, "anna", "Anna").await;
    app.sign_up(&b, "bert", "Bert").await;
    for who in [&a, &b] {
        app.call(
            who,
            "home/from_position",
            &[("lat", "52.52"), ("lon", "13.40")],
        )
        .await;
    }
    let _stream = SseClient::connect(&app.url("/events"), &b, None).await;
    let map: serde_json::Value = app.get_fn(&a, "map/view", &[]).await.json().await.unwrap();
    let online: Vec<(String, bool)> = map["players"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["handle"].as_str().unwrap().to_owned(),
                p["online"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        online,
        [("anna".to_owned(), false), ("bert".to_owned(), true)]
    );
}
