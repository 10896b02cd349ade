//! The place catalogue and homes: database tests on a fresh database each, and black-box
//! tests of choosing a home over HTTP.

mod common;

use app::backend::{db, places};
use common::{client, empty_database, error_of, spawn_app};
use sqlx::PgPool;

#[tokio::test]
async fn the_catalogue_loads_once_even_when_instances_start_together() {
    let url = empty_database().await;
    let pool = PgPool::connect(&url).await.unwrap();
    db::migrate(&pool).await.unwrap();
    let (a, b) = tokio::join!(
        places::ensure_catalogue(&pool),
        places::ensure_catalogue(&pool)
    );
    a.unwrap();
    b.unwrap();
    places::ensure_catalogue(&pool).await.unwrap();

    let (cities, loads): (i64, i64) = sqlx::query_as(
        "select (select count(*) from cities), (select count(*) from place_catalogue)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(cities > 100_000, "{cities}");
    assert_eq!(loads, 1);
    let recorded: i32 = sqlx::query_scalar("select cities from place_catalogue")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(i64::from(recorded), cities);
}

/// A database that holds an older catalogue (other ids, other names) and two players: one who
/// picked Paris by name, one whose browser reported a position in central Lagos that the old
/// catalogue snapped to a suburb.
#[tokio::test]
async fn an_older_catalogue_is_replaced_and_every_home_moves_to_its_new_city() {
    let url = empty_database().await;
    let pool = PgPool::connect(&url).await.unwrap();
    db::migrate(&pool).await.unwrap();
    sqlx::raw_sql(
        r"insert into countries values ('FR', 'France', 46, 2), ('NG', 'Nigeria', 9, 8);
          insert into regions values (1, 'FR', 'Ile-de-France', 48.8, 2.3),
                                     (2, 'NG', 'Lagos', 6.5, 3.4);
          insert into cities (id, region_id, name, lat, lon)
              values (1, 1, 'Paris', 48.85341, 2.3488), (2, 2, 'Somolu', 6.53891, 3.3742);
          insert into place_catalogue (source, cities) values ('an older extract', 2);
          insert into players (handle, display_name, password_hash, home_city_id)
              values ('amelie', 'Amélie', 'x', 1);
          insert into players (handle, display_name, password_hash, home_city_id, home_lat, home_lon)
              values ('tunde', 'Tunde', 'x', 2, 6.5244, 3.3792);",
    )
    .execute(&pool)
    .await
    .unwrap();
    let before: i64 =
        sqlx::query_scalar("select count(*) from events where kind = 'player_updated'")
            .fetch_one(&pool)
            .await
            .unwrap();

    places::ensure_catalogue(&pool).await.unwrap();

    let homes: Vec<(String, i32, String, String)> = sqlx::query_as(
        "select p.handle, c.city_id, c.city, c.region from players p
         join city_places c on c.city_id = p.home_city_id order by p.handle",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        homes,
        [
            (
                "amelie".into(),
                2_988_507,
                "Paris".into(),
                "Île-de-France".into()
            ),
            ("tunde".into(), 2_332_459, "Lagos".into(), "Lagos".into()),
        ]
    );
    let (source, cities): (String, i32) =
        sqlx::query_as("select source, cities from place_catalogue")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(source, places::SOURCE);
    assert!(cities > 150_000, "{cities}");
    let after: i64 =
        sqlx::query_scalar("select count(*) from events where kind = 'player_updated'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(after - before, 2, "open maps hear of both moves");
    // The foreign key holds again once the replacement has committed.
    let dangling = sqlx::query("update players set home_city_id = 1 where handle = 'amelie'")
        .execute(&pool)
        .await;
    assert!(dangling.is_err(), "city 1 is gone");
}

#[tokio::test]
async fn a_position_snaps_to_the_place_a_person_would_name() {
    let app = spawn_app().await;
    // (position, expected city, country): a much larger place a few km away wins over the
    // suburb or district whose centre is nearest; a town stays itself beside a big city.
    let cases = [
        ((6.5244, 3.3792), "Lagos", "NG"),  // nearest: the suburb Shomolu
        ((48.8606, 2.3376), "Paris", "FR"), // nearest: Paris 01 Louvre
        ((52.52, 13.40), "Berlin", "DE"),   // nearest: Mitte
        ((35.6895, 139.6917), "Tokyo", "JP"),
        ((48.9362, 2.3574), "Saint-Denis", "FR"), // 9 km from Paris, a town of its own
        ((48.8049, 2.1204), "Versailles", "FR"),
        ((78.22, 15.65), "Longyearbyen", "SJ"), // far north, where planar degrees mislead
    ];
    for ((lat, lon), city, country) in cases {
        let (id, km) = places::snap_to_city(&app.pool, lat, lon)
            .await
            .unwrap()
            .unwrap();
        let home = places::home_of_city(&app.pool, id).await.unwrap().unwrap();
        assert_eq!(
            (home.city.as_str(), home.country_code.as_str()),
            (city, country),
            "{lat},{lon}"
        );
        assert!(km < 10.0, "{city}: {km} km");
    }
}

#[tokio::test]
async fn search_ranks_exact_names_then_bigger_places() {
    let app = spawn_app().await;
    let labels = |found: Vec<app::model::CitySuggestion>| {
        found.into_iter().map(|c| c.label).collect::<Vec<_>>()
    };
    let lagos = labels(places::search_cities(&app.pool, "Lagos").await.unwrap());
    assert_eq!(lagos[0], "Lagos, Nigeria", "{lagos:?}");
    assert!(
        lagos.iter().position(|l| l.ends_with("Portugal")) > Some(0),
        "{lagos:?}"
    );
    let tokyo = labels(places::search_cities(&app.pool, "toky").await.unwrap());
    assert_eq!(tokyo[0], "Tokyo, Japan", "{tokyo:?}");
    // A small town is found by its full name even among bigger places that share its prefix.
    let small = labels(
        places::search_cities(&app.pool, "Longyearbyen")
            .await
            .unwrap(),
    );
    assert_eq!(
        small[0], "Longyearbyen, Svalbard, Svalbard and Jan Mayen",
        "{small:?}"
    );
}

#[tokio::test]
async fn snapping_and_search() {
    let app = spawn_app().await;
    let (paris, km) = places::snap_to_city(&app.pool, 48.8606, 2.3376)
        .await
        .unwrap()
        .unwrap();
    let home = places::home_of_city(&app.pool, paris)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (home.city.as_str(), home.country_code.as_str()),
        ("Paris", "FR")
    );
    assert!(km < 5.0, "{km}");

    let (_, km) = places::snap_to_city(&app.pool, 0.0, -30.0)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !places::within_reach(km),
        "mid-Atlantic is {km} km from land"
    );

    let found = places::search_cities(&app.pool, "pari").await.unwrap();
    assert!(
        found
            .iter()
            .any(|c| c.label == "Paris, Île-de-France, France"),
        "{found:?}"
    );
    assert!(found.len() <= 10);
    assert!(
        places::search_cities(&app.pool, "%")
            .await
            .unwrap()
            .is_empty(),
        "LIKE is literal"
    );
}

#[tokio::test]
async fn a_home_from_a_position_shows_only_the_city_centre() {
    let app = spawn_app().await;
    let browser = client();
    app.sign_up(&browser, "pierre", "Pierre").await;
    let response = app
        .call(
            &browser,
            "home/from_position",
            &[("lat", "48.86061"), ("lon", "2.33764")],
        )
        .await;
    assert!(response.status().is_success(), "{response:?}");
    let home: serde_json::Value = response.json().await.unwrap();
    assert_eq!(home["city"], "Paris");
    assert_eq!(home["country"], "France");
    assert_eq!(home["region"], "Île-de-France");

    // The exact position is stored, but no answer carries it.
    let (lat, lon): (f64, f64) = sqlx::query_as("select home_lat, home_lon from players")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!((lat, lon), (48.86061, 2.33764));
    let map = app
        .get_fn(&browser, "map/view", &[])
        .await
        .text()
        .await
        .unwrap();
    let me = app.me(&browser).await.to_string();
    let page = browser
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for answer in [&map, &me, &page] {
        assert!(
            !answer.contains("48.86061") && !answer.contains("2.33764"),
            "{answer}"
        );
    }
    let map: serde_json::Value = serde_json::from_str(&map).unwrap();
    assert_eq!(map["slice"]["players"][0]["home"]["lat"], 48.85341);
    assert_eq!(map["slice"]["players"][0]["home"]["lon"], 2.3488);
}

#[tokio::test]
async fn positions_at_sea_or_off_the_globe_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let browser = client();
    app.sign_up(&browser, "sailor", "Sailor").await;
    let cases = [
        ("0", "-30", "position"),
        ("-60", "-120", "position"),
        ("90.5", "0", "lat"),
        ("0", "180.5", "lon"),
        ("NaN", "0", "lat"),
    ];
    for (lat, lon, field) in cases {
        let response = app
            .call(
                &browser,
                "home/from_position",
                &[("lat", lat), ("lon", lon)],
            )
            .await;
        let (status, body) = error_of(response).await;
        assert_eq!(status, 400, "{lat},{lon}: {body}");
        assert_eq!(body["Invalid"]["field"], field, "{body}");
    }
    let message = error_of(
        app.call(
            &browser,
            "home/from_position",
            &[("lat", "0"), ("lon", "-30")],
        )
        .await,
    )
    .await
    .1["Invalid"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("km from the nearest town"), "{message}");
    let home: Option<i32> = sqlx::query_scalar("select home_city_id from players")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(home, None);
    let (status, _) = error_of(
        app.call(
            &client(),
            "home/from_position",
            &[("lat", "48.8"), ("lon", "2.3")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 401, "signed-out players cannot set a home");
}

#[tokio::test]
async fn a_home_picked_by_search() {
    let app = spawn_app().await;
    let browser = client();
    app.sign_up(&browser, "denied", "Denied").await;

    let at_limit = "l".repeat(60);
    assert!(app
        .get_fn(&browser, "home/search", &[("q", at_limit.as_str())])
        .await
        .status()
        .is_success());
    let over = "l".repeat(61);
    let (status, body) = error_of(
        app.get_fn(&browser, "home/search", &[("q", over.as_str())])
            .await,
    )
    .await;
    assert_eq!(
        (status, body["Invalid"]["field"].as_str()),
        (400, Some("q"))
    );

    let found: serde_json::Value = app
        .get_fn(&browser, "home/search", &[("q", "Lyon")])
        .await
        .json()
        .await
        .unwrap();
    let lyon = found
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["label"].as_str().unwrap().ends_with("France"))
        .expect("Lyon, France");
    let id = lyon["city_id"].to_string();
    let response = app.call(&browser, "home/city", &[("city_id", &id)]).await;
    assert!(response.status().is_success(), "{response:?}");
    assert_eq!(app.me(&browser).await["home"]["city"], "Lyon");

    let (status, _) = error_of(
        app.call(&browser, "home/city", &[("city_id", "999999999")])
            .await,
    )
    .await;
    assert_eq!(status, 404);
    let (status, body) = error_of(
        app.call(&browser, "home/city", &[("city_id", "lyon")])
            .await,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(app.me(&browser).await["home"]["city"], "Lyon", "unchanged");
}

#[tokio::test]
async fn the_map_lists_players_with_a_home() {
    let app = spawn_app().await;
    let (a, b, c) = (client(), client(), client());
    app.sign_up(&a, "tokyo", "Tokyo Player").await;
    app.sign_up(&b, "lima", "Lima Player").await;
    app.sign_up(&c, "nohome", "No Home").await;
    app.call(
        &a,
        "home/from_position",
        &[("lat", "35.6895"), ("lon", "139.6917")],
    )
    .await;
    app.call(
        &b,
        "home/from_position",
        &[("lat", "-12.0432"), ("lon", "-77.0282")],
    )
    .await;

    let map: serde_json::Value = app.get_fn(&c, "map/view", &[]).await.json().await.unwrap();
    let players = map["slice"]["players"].as_array().unwrap();
    let names: Vec<_> = players
        .iter()
        .map(|p| p["display_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Tokyo Player", "Lima Player"]);
    assert_eq!(players[1]["home"]["country"], "Peru");
    assert_eq!(map["tile_url"], "", "tests run without tiles");
}

#[tokio::test]
async fn the_place_search_finds_countries_regions_and_cities() {
    use app::model::PlaceKind;
    let app = spawn_app().await;
    let kinds = |found: &[app::model::PlaceSuggestion]| {
        found
            .iter()
            .map(|p| (p.kind, p.label.clone()))
            .collect::<Vec<_>>()
    };
    let japan = places::search_places(&app.pool, &app.running.state.reference, "japan")
        .await
        .unwrap();
    assert_eq!(kinds(&japan)[0], (PlaceKind::Country, "Japan".into()));
    let lagos = places::search_places(&app.pool, &app.running.state.reference, "Lagos")
        .await
        .unwrap();
    let found = kinds(&lagos);
    assert!(
        found.contains(&(PlaceKind::Region, "Lagos, Nigeria".into())),
        "{found:?}"
    );
    let city = lagos
        .iter()
        .position(|p| p.kind == PlaceKind::City)
        .unwrap();
    assert_eq!(
        lagos[city].label, "Lagos, Nigeria",
        "the biggest Lagos first among cities"
    );
    assert!(lagos.len() <= 10);
    // A place holds the players whose home is in it.
    let home = places::home_of_city(&app.pool, lagos[city].city_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        lagos.iter().filter(|p| p.holds(&home)).count() >= 2,
        "the city and its region"
    );
    let nigeria = &places::search_places(&app.pool, &app.running.state.reference, "Nigeria")
        .await
        .unwrap()[0];
    assert!(nigeria.holds(&home));
    assert!(
        places::search_places(&app.pool, &app.running.state.reference, "%")
            .await
            .unwrap()
            .is_empty()
    );
}
