//! Presence over the live stream: a player opening a stream is announced online to others,
//! and, once they have had no stream anywhere for the presence timeout (2 s in tests),
//! offline. Presence messages are ephemeral: no id, never replayed. Each stream starts with
//! who is online now, and then hears of changes at most once a second, gathered.

mod common;
#[path = "common/sse.rs"]
mod sse;

use std::time::Duration;

use common::{client, fresh_database, spawn_app_on};
use sse::{Message, SseClient};

/// Reads until a presence message about `player`, skipping anything else; returns its id and
/// whether it says the player is online.
async fn presence_of(stream: &mut SseClient, player: i64) -> (Option<i64>, bool) {
    loop {
        let message = stream
            .next_within(Duration::from_secs(15))
            .await
            .expect("a presence message");
        if message.kind != "presence" {
            continue;
        }
        if let Some(online) = state_in(&message, player) {
            return (message.id, online);
        }
    }
}

/// What a `presence` message says of `player`, if anything.
fn state_in(message: &Message, player: i64) -> Option<bool> {
    let listed = |field: &str| {
        message.data[field]
            .as_array()
            .expect("a list of players")
            .iter()
            .any(|p| p.as_i64() == Some(player))
    };
    if listed("online") {
        Some(true)
    } else if listed("offline") {
        Some(false)
    } else {
        None
    }
}

/// The players a stream's first message says are online.
async fn online_at_open(stream: &mut SseClient) -> Vec<i64> {
    let first = stream
        .next_within(Duration::from_secs(5))
        .await
        .expect("a first message");
    assert_eq!(first.kind, "online", "a stream starts with who is online");
    assert_eq!(first.id, None, "ephemeral");
    first.data["players"]
        .as_array()
        .expect("players")
        .iter()
        .map(|p| p.as_i64().unwrap())
        .collect()
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

    // A reconnect that resumes from an id gets who is online now, and no presence replayed.
    let mut resumed = SseClient::connect(&one.url("/events"), &watcher, Some(0))
        .await
        .with_presence();
    let now = online_at_open(&mut resumed).await;
    assert!(!now.contains(&visitor_id), "the visitor left: {now:?}");
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
    // Within a moment of the stream's opening (the presence task marks arrivals in rounds).
    let started = tokio::time::Instant::now();
    loop {
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
        if online == [("anna".to_owned(), false), ("bert".to_owned(), true)] {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "Bert is not online on the map: {online:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Who a stream says is online: its first message sets everyone, later ones change some.
#[derive(Default)]
struct Seen {
    online: std::collections::BTreeSet<i64>,
    /// `presence` messages read (the first `online` one not counted).
    changes: usize,
}

impl Seen {
    /// Reads `stream` for `wait`, applying what it says.
    async fn read(&mut self, stream: &mut SseClient, wait: Duration) {
        let until = tokio::time::Instant::now() + wait;
        while let Some(message) = stream
            .next_within(until.saturating_duration_since(tokio::time::Instant::now()))
            .await
        {
            let ids = |field: &str| -> Vec<i64> {
                message.data[field]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| p.as_i64().unwrap())
                    .collect()
            };
            match message.kind.as_str() {
                "online" => self.online = ids("players").into_iter().collect(),
                "presence" => {
                    self.changes += 1;
                    self.online.extend(ids("online"));
                    for gone in ids("offline") {
                        self.online.remove(&gone);
                    }
                }
                _ => {}
            }
        }
    }
}

/// A page rendered while someone was online, whose stream opens after they left, learns that
/// they left: the stream starts with who is online now (presence is never replayed).
#[tokio::test]
async fn a_stream_opened_late_learns_who_left_before_it_opened() {
    let app = common::spawn_app().await;
    let (watcher, _) = app.signed_up("watcher").await;
    let (ann, ann_id) = app.signed_up("ann").await;
    let mut anns = SseClient::connect(&app.url("/events"), &ann, None)
        .await
        .with_presence();
    assert!(
        online_at_open(&mut anns).await.len() <= 1,
        "at most Ann herself"
    );

    // The watcher's page shows Ann online.
    let mut early = SseClient::connect(&app.url("/events"), &watcher, None)
        .await
        .with_presence();
    let mut seen = Seen::default();
    seen.read(&mut early, Duration::from_millis(1500)).await;
    assert!(seen.online.contains(&ann_id), "Ann is online");
    drop(early);

    // Ann leaves; once her presence has gone, the watcher's page opens its stream (again),
    // still showing her online.
    drop(anns);
    let started = tokio::time::Instant::now();
    loop {
        let rows: i64 = sqlx::query_scalar("select count(*) from presence where player_id = $1")
            .bind(ann_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        if rows == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "Ann never left"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut late = SseClient::connect(&app.url("/events"), &watcher, None)
        .await
        .with_presence();
    let mut seen = Seen {
        online: [ann_id].into(),
        ..Seen::default()
    };
    seen.read(&mut late, Duration::from_millis(2500)).await;
    assert!(
        !seen.online.contains(&ann_id),
        "the late stream still shows Ann online: {:?}",
        seen.online
    );
}

/// Forty players opening their streams at once reach a watching stream as a few gathered
/// messages (one a second at most), not forty, and it ends with every one of them online.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_connects_reach_a_stream_as_a_few_gathered_messages() {
    const PLAYERS: usize = 40;
    let app = common::spawn_app().await;
    let (watcher, _) = app.signed_up("watcher").await;
    let handles: Vec<String> = (0..PLAYERS).map(|n| format!("player{n}")).collect();
    let players = futures::future::join_all(handles.iter().map(|h| app.signed_up(h))).await;
    let mut watching = SseClient::connect(&app.url("/events"), &watcher, None)
        .await
        .with_presence();
    let mut seen = Seen::default();
    seen.read(&mut watching, Duration::from_millis(300)).await;
    let started = tokio::time::Instant::now();
    let url = app.url("/events");
    let streams = futures::future::join_all(
        players
            .iter()
            .map(|(who, _)| SseClient::connect(&url, who, None)),
    )
    .await;
    seen.read(&mut watching, Duration::from_secs(3)).await;
    let secs = started.elapsed().as_secs_f64();
    let ids: std::collections::BTreeSet<i64> = players.iter().map(|(_, id)| *id).collect();
    assert!(
        ids.is_subset(&seen.online),
        "missing: {:?}",
        ids.difference(&seen.online).collect::<Vec<_>>()
    );
    assert!(
        (seen.changes as f64) <= secs.ceil() + 1.0,
        "{} presence messages in {secs:.1} s",
        seen.changes
    );
    drop(streams);
}
