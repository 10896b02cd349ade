//! The map by viewport (`map/clusters`) against a real server: clusters whose counts add up
//! to the players in view, online counts, players one by one where few share a view or at
//! street level (in view only, the viewer always), a view across the antimeridian, and every
//! bad input refused with 400 naming its field, on both sides of each limit.

mod common;

use std::time::{Duration, Instant};

use common::{error_of, fresh_database, spawn_app_with, test_settings, TestApp};
use reqwest::Client;
use serde_json::Value;

/// A server whose players stay online for a minute after their presence row was written, so
/// rows the test writes count as online.
async fn app() -> TestApp {
    let settings = app::backend::Settings {
        presence_timeout: Duration::from_secs(60),
        ..test_settings()
    };
    spawn_app_with(fresh_database().await, settings).await
}

/// Adds `n` players (`prefix1`, …) at home in the most populous city named `city`, straight
/// into the table (signing up hundreds through the API would hash hundreds of passwords).
async fn seed(app: &TestApp, prefix: &str, city: &str, n: i64) {
    let added = sqlx::query(
        "insert into players (handle, display_name, password_hash, home_city_id)
         select $1 || i, $1 || ' ' || i, 'x',
                (select id from cities where name = $2 order by population desc limit 1)
         from generate_series(1, $3) i",
    )
    .bind(prefix)
    .bind(city)
    .bind(n)
    .execute(&app.pool)
    .await
    .expect("seed")
    .rows_affected();
    assert_eq!(added, n as u64);
}

/// Marks the first `n` players whose handle starts with `prefix` online.
async fn online(app: &TestApp, prefix: &str, n: i64) {
    sqlx::query(
        "insert into presence (player_id, instance)
         select id, 'test' from players where handle like $1 || '%' order by id limit $2
         on conflict do nothing",
    )
    .bind(prefix)
    .bind(n)
    .execute(&app.pool)
    .await
    .expect("presence");
}

async fn view(app: &TestApp, who: &Client, bounds: [f64; 4], zoom: i64) -> Value {
    let [south, west, north, east] = bounds.map(|v| v.to_string());
    let zoom = zoom.to_string();
    let response = app
        .get_fn(
            who,
            "map/clusters",
            &[
                ("south", &south),
                ("west", &west),
                ("north", &north),
                ("east", &east),
                ("zoom", &zoom),
            ],
        )
        .await;
    assert_eq!(response.status(), 200, "{bounds:?} z{zoom}");
    response.json().await.expect("json")
}

fn sum(slice: &Value, field: &str) -> i64 {
    slice["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[field].as_i64().unwrap())
        .sum()
}

fn handles(slice: &Value) -> Vec<String> {
    slice["players"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["handle"].as_str().unwrap().to_owned())
        .collect()
}

const WORLD: [f64; 4] = [-85.0, -180.0, 85.0, 180.0];
/// Central Paris, without Versailles (2.13° E).
const PARIS: [f64; 4] = [48.80, 2.25, 48.92, 2.45];
const TOKYO: [f64; 4] = [35.60, 139.60, 35.80, 139.85];

#[tokio::test]
async fn views_cluster_many_and_list_few() {
    let app = app().await;
    let (viewer, viewer_id) = app.signed_up("viewer").await;
    // The viewer lives in Lima, far from every other view.
    app.call(
        &viewer,
        "home/from_position",
        &[("lat", "-12.0432"), ("lon", "-77.0282")],
    )
    .await;
    seed(&app, "paris", "Paris", 300).await;
    seed(&app, "versailles", "Versailles", 50).await;
    seed(&app, "tokyo", "Tokyo", 1100).await;
    seed(&app, "nairobi", "Nairobi", 1).await;
    online(&app, "paris", 20).await;
    online(&app, "tokyo", 7).await;

    // The world: clusters and lone players add up to everyone but the viewer, who is listed.
    let world = view(&app, &viewer, WORLD, 2).await;
    let listed = handles(&world);
    assert_eq!(listed[0], "viewer", "the viewer comes first: {listed:?}");
    assert!(
        listed.contains(&"nairobi1".to_owned()),
        "a lone player stands alone"
    );
    assert_eq!(sum(&world, "players") + listed.len() as i64 - 1, 1451);
    assert_eq!(sum(&world, "online"), 27);
    let clusters = world["clusters"].as_array().unwrap();
    let paris = clusters
        .iter()
        .find(|c| c["players"] == 350)
        .expect("Paris and Versailles share a cluster at zoom 2");
    assert_eq!(paris["online"], 20);
    assert!(paris["key"].as_str().unwrap().starts_with("2/"));
    let lat = paris["lat"].as_f64().unwrap();
    assert!(
        (48.7..48.9).contains(&lat),
        "at the mean of the homes: {paris}"
    );
    assert!(world["players"].as_array().unwrap()[0]["home"]["city"] == "Lima");

    // Closer in, Paris and Versailles part (two clusters), and the counts still add up.
    let ile_de_france = view(&app, &viewer, [48.5, 1.8, 49.1, 2.8], 11).await;
    let parts: Vec<i64> = ile_de_france["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["players"].as_i64().unwrap())
        .collect();
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert_eq!(parts.iter().sum::<i64>(), 350);
    assert_eq!(handles(&ile_de_france), ["viewer"]);

    // Street level: the players in view one by one, Versailles' out of view left out.
    let street = view(&app, &viewer, PARIS, 12).await;
    assert!(street["clusters"].as_array().unwrap().is_empty());
    let players = street["players"].as_array().unwrap();
    assert_eq!(players.len(), 301, "300 Parisians and the viewer");
    assert_eq!(players[0]["id"], viewer_id);
    assert!(players[1..].iter().all(|p| p["home"]["city"] == "Paris"));
    assert_eq!(players.iter().filter(|p| p["online"] == true).count(), 20);
    assert_eq!(street["more"], 0);

    // A city with more players than one answer lists: the first thousand, and how many more.
    let tokyo = view(&app, &viewer, TOKYO, 14).await;
    assert_eq!(tokyo["players"].as_array().unwrap().len(), 1001);
    assert_eq!(tokyo["more"], 100);

    // A view where few players are: one by one, whatever the zoom.
    let kenya = view(&app, &viewer, [-5.0, 33.0, 5.0, 42.0], 4).await;
    assert!(kenya["clusters"].as_array().unwrap().is_empty());
    assert_eq!(handles(&kenya), ["viewer", "nairobi1"]);

    // The first load carries the world at zoom 2 and the bounds of every home.
    let first: Value = app
        .get_fn(&viewer, "map/view", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["slice"]["zoom"], 2);
    assert_eq!(first["slice"]["clusters"], world["clusters"]);
    let everyone = &first["everyone"];
    assert!(
        everyone["south"].as_f64().unwrap() < -12.0,
        "Lima: {everyone}"
    );
    assert!(
        everyone["east"].as_f64().unwrap() > 139.0,
        "Tokyo: {everyone}"
    );
}

/// Wide views share one count of the world until something changes: joins committed just
/// before a view are in it, and so is presence once this instance has heard it announced.
#[tokio::test]
async fn a_wide_view_counts_what_changed_just_before_it() {
    let app = app().await;
    let (viewer, _) = app.signed_up("viewer").await;
    seed(&app, "paris", "Paris", 300).await;
    let first = view(&app, &viewer, WORLD, 2).await;
    assert_eq!(sum(&first, "players"), 300);
    assert_eq!(sum(&first, "online"), 0);

    seed(&app, "lyon", "Lyon", 250).await;
    let joined = view(&app, &viewer, WORLD, 2).await;
    assert_eq!(
        sum(&joined, "players"),
        550,
        "the joins committed before the view are counted"
    );
    let counted = Instant::now();

    // Ten Parisians come online, announced as the presence task does. The next view comes
    // well within the time a count is kept unchanged, so a count kept regardless of
    // presence would still say 0.
    let hub = &app.running.state.hub;
    let heard = hub.presence_version();
    online(&app, "paris", 10).await;
    let ids: Vec<i64> = sqlx::query_scalar(
        "select id from players where handle like 'paris%' order by id limit 10",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    app::backend::realtime::presence::announce(&app.pool, &ids, &[])
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while hub.presence_version() == heard {
        assert!(
            Instant::now() < deadline,
            "the announcement was never heard"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let seen = view(&app, &viewer, WORLD, 2).await;
    assert_eq!(sum(&seen, "online"), 10);
    assert_eq!(sum(&seen, "players"), 550);
    if counted.elapsed() > Duration::from_secs(1) {
        eprintln!("slow machine: the count would have been made again anyway");
    }
}

#[tokio::test]
async fn a_view_across_the_antimeridian_wraps() {
    let app = app().await;
    let (viewer, _) = app.signed_up("viewer").await;
    seed(&app, "suva", "Suva", 3).await;
    seed(&app, "apia", "Apia", 2).await;
    seed(&app, "paris", "Paris", 4).await;

    // 170° E to 170° W: Suva (178° E) and Apia (172° W), nothing else.
    let pacific = [-20.0, 170.0, -10.0, -170.0];
    for zoom in [4, 12] {
        let slice = view(&app, &viewer, pacific, zoom).await;
        let mut listed = handles(&slice);
        listed.sort();
        assert_eq!(
            listed,
            ["apia1", "apia2", "suva1", "suva2", "suva3"],
            "z{zoom}"
        );
    }
    // West of the antimeridian only.
    let fiji = view(&app, &viewer, [-20.0, 170.0, -10.0, 180.0], 6).await;
    assert_eq!(handles(&fiji).len(), 3);
}

#[tokio::test]
async fn bad_views_are_refused_naming_the_field() {
    let app = app().await;
    let (viewer, _) = app.signed_up("viewer").await;
    let ask = |bounds: [&'static str; 4], zoom: &'static str| {
        let (app, viewer) = (&app, &viewer);
        async move {
            let [south, west, north, east] = bounds;
            app.get_fn(
                viewer,
                "map/clusters",
                &[
                    ("south", south),
                    ("west", west),
                    ("north", north),
                    ("east", east),
                    ("zoom", zoom),
                ],
            )
            .await
        }
    };
    // Each limit, just inside (200) and just outside (400 naming the field).
    let cases: [([&str; 4], &str, Option<&str>); 16] = [
        (["-90", "0", "1", "1"], "3", None),
        (["-90.0001", "0", "1", "1"], "3", Some("south")),
        (["0", "0", "90", "1"], "3", None),
        (["0", "0", "90.0001", "1"], "3", Some("north")),
        (["0", "-180", "1", "1"], "3", None),
        (["0", "-180.0001", "1", "1"], "3", Some("west")),
        (["0", "0", "1", "180"], "3", None),
        (["0", "0", "1", "180.0001"], "3", Some("east")),
        (["10", "0", "10", "1"], "3", None),
        (["10.0001", "0", "10", "1"], "3", Some("north")),
        (["0", "0", "1", "1"], "0", None),
        (["0", "0", "1", "1"], "-1", Some("zoom")),
        (["0", "0", "1", "1"], "18", None),
        (["0", "0", "1", "1"], "19", Some("zoom")),
        (["NaN", "0", "1", "1"], "3", Some("south")),
        (["0", "0", "1", "inf"], "3", Some("east")),
    ];
    for (bounds, zoom, field) in cases {
        let response = ask(bounds, zoom).await;
        match field {
            None => assert_eq!(response.status(), 200, "{bounds:?} z{zoom}"),
            Some(field) => {
                let (status, body) = error_of(response).await;
                assert_eq!(status, 400, "{bounds:?} z{zoom}: {body}");
                assert_eq!(
                    body["Invalid"]["field"], field,
                    "{bounds:?} z{zoom}: {body}"
                );
            }
        }
    }
    // Not a number at all: refused by the decoder, still 400.
    assert_eq!(ask(["x", "0", "1", "1"], "3").await.status(), 400);
    assert_eq!(ask(["0", "0", "1", "1"], "2.5").await.status(), 400);
    // Signed out: 401.
    let anonymous = common::client();
    let response = app
        .get_fn(
            &anonymous,
            "map/clusters",
            &[
                ("south", "0"),
                ("west", "0"),
                ("north", "1"),
                ("east", "1"),
                ("zoom", "3"),
            ],
        )
        .await;
    assert_eq!(response.status(), 401);
}
