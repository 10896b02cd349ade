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
        map["slice"]["players"].as_array().unwrap().is_empty(),
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
        let online: Vec<(String, bool)> = map["slice"]["players"]
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
            self.apply(&message);
        }
    }

    /// Applies one message, if it is about presence.
    fn apply(&mut self, message: &Message) {
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

/// A flood of 5,000 connects (an instance restarting with that many tabs open): every stream
/// opens, none is cut to `resync`, a watching stream hears of it in a few gathered messages,
/// and the watcher and a sample of the new streams end knowing that all of them are online.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_five_thousand_connects() {
    const TABS: i64 = 5000;
    let app = common::spawn_app().await;
    let (watcher, _) = app.signed_up("watcher").await;
    // Players and sessions straight into the database: signing up hashes a password.
    let ids: Vec<i64> = sqlx::query_scalar(
        "insert into players (handle, display_name, password_hash)
         select 'flood_' || n, 'Flood ' || n, 'x' from generate_series(1, $1) n returning id",
    )
    .bind(TABS)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let mut tokens = Vec::new();
    for id in &ids {
        tokens.push(
            app::backend::sessions::create(&app.pool, *id)
                .await
                .unwrap(),
        );
    }
    let everyone: std::collections::BTreeSet<i64> = ids.iter().copied().collect();

    let mut watching = SseClient::connect(&app.url("/events"), &watcher, None)
        .await
        .with_presence();
    let mut seen = Seen::default();
    seen.read(&mut watching, Duration::from_millis(300)).await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let opening: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(n, token)| {
            let request = http
                .get(app.url("/events"))
                .header("cookie", format!("meridian_session={token}"));
            tokio::spawn(async move {
                // Spread over ten seconds, as browsers coming back after a restart would be.
                tokio::time::sleep(Duration::from_micros(n as u64 * 2000)).await;
                SseClient::open(request).await.with_presence()
            })
        })
        .collect();
    let mut streams = Vec::new();
    for task in opening {
        streams.push(task.await.expect("every stream opens"));
    }
    // The watcher: a few gathered messages, and everyone online.
    let deadline = started + Duration::from_secs(30);
    while !everyone.is_subset(&seen.online) && tokio::time::Instant::now() < deadline {
        seen.read(&mut watching, Duration::from_millis(500)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    assert!(
        everyone.is_subset(&seen.online),
        "the watcher knows {} of {TABS} online after {secs:.1} s",
        everyone.intersection(&seen.online).count()
    );
    assert!(
        (seen.changes as f64) <= secs.ceil() + 1.0,
        "{} presence messages in {secs:.1} s",
        seen.changes
    );
    // A sample of the flood's own streams: no resync, and they too know everyone is online.
    for stream in streams.iter_mut().step_by(250) {
        let mut told = Seen::default();
        let until = tokio::time::Instant::now() + Duration::from_secs(10);
        while !everyone.is_subset(&told.online) && tokio::time::Instant::now() < until {
            let Some(message) = stream.next_within(Duration::from_millis(500)).await else {
                continue;
            };
            assert_ne!(message.kind, "resync", "a stream was cut to resync");
            told.apply(&message);
        }
        assert!(
            everyone.is_subset(&told.online),
            "a flood stream knows {} of {TABS} online",
            everyone.intersection(&told.online).count()
        );
    }
}

/// A player named twice in one round of arrivals (gone and back within it) is marked once:
/// the upsert may touch a row only once per statement, and a failed round would leave every
/// other arrival in it offline until the next refresh.
#[tokio::test]
async fn a_player_named_twice_is_seen_once() {
    use app::backend::realtime::presence;
    let app = common::spawn_app().await;
    let (_, ann) = app.signed_up("ann").await;
    let (_, ben) = app.signed_up("ben").await;
    let timeout = Duration::from_secs(2);
    let mut arrived = presence::seen(&app.pool, "one", &[ann, ben, ann], timeout)
        .await
        .expect("seen");
    arrived.sort_unstable();
    assert_eq!(arrived, [ann, ben]);
    assert_eq!(
        presence::seen(&app.pool, "one", &[ben, ben], timeout)
            .await
            .expect("seen again"),
        Vec::<i64>::new(),
        "already online"
    );
}
