//! `--mode map --players 100000`: the map in a big world. Makes `--players` players in real
//! cities, drawn in proportion to the cities' populations (GeoNames' catalogue, the `cities`
//! table), with one in twenty online, once (later runs on that database reuse them). Then
//! prints the bytes of the map page's first load (the page's HTML with its embedded snapshot,
//! `map/view`, and the view the page asks for once it has framed everyone) raw and as served
//! with `Accept-Encoding: br` and `gzip`, and the server's time to answer views of a
//! 1280×800 map at several zooms, p50/p95/p99.
//!
//! Making the world bypasses triggers (`session_replication_role = replica`), so it needs a
//! superuser's scratch database, like `--mode leaderboard`.

use std::time::Instant;

use sqlx::PgPool;

use super::{bench_player, start_server, summary, Args, Server};

/// Views a 1280×800 map shows: (label, centre lat, centre lon, zoom).
const VIEWS: [(&str, f64, f64, u8); 7] = [
    ("world z2", 20.0, 0.0, 2),
    ("Europe z4", 50.0, 10.0, 4),
    ("Europe z6", 48.8566, 2.3522, 6),
    ("Paris z9", 48.8566, 2.3522, 9),
    ("Paris z12 (street)", 48.8566, 2.3522, 12),
    ("Tokyo z12 (street)", 35.6895, 139.6917, 12),
    ("Tokyo z15", 35.6895, 139.6917, 15),
];

const WIDTH: f64 = 1280.0;
const HEIGHT: f64 = 800.0;

pub async fn run(args: Args) {
    let database_url = std::env::var("DATABASE_URL").expect("DATABASE_URL (a scratch database)");
    let pool = app::backend::db::prepare(&database_url, 4)
        .await
        .expect("database");
    make_world(&pool, args.players).await;
    let (with_home, cities): (i64, i64) = sqlx::query_as(
        "select count(*), count(distinct home_city_id) from players where home_city_id is not null",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    println!("players with a home {with_home} in {cities} cities");

    let Server {
        child: mut server,
        base,
        client,
        ..
    } = start_server(&args).await;
    // The viewer: a player of their own, at home in Paris.
    let (viewer, token) = bench_player(&pool).await;
    sqlx::query(
        "update players set home_city_id = (select id from cities where name = 'Paris'
                                            order by population desc limit 1) where id = $1",
    )
    .bind(viewer)
    .execute(&pool)
    .await
    .unwrap();
    // Presence rows of the seed are fresh for an hour; the server's sweep finds them online.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let cookie = format!("meridian_session={token}");

    let get = |path: String, encoding: &'static str, json: bool| {
        let (client, cookie) = (client.clone(), cookie.clone());
        async move {
            let at = Instant::now();
            let mut request = client
                .get(path)
                .header("cookie", cookie)
                .header("accept-encoding", encoding);
            if json {
                request = request.header("accept", "application/json");
            }
            let response = request.send().await.expect("request");
            assert!(response.status().is_success(), "{}", response.status());
            let bytes = response.bytes().await.expect("body").len();
            (bytes, at.elapsed().as_secs_f64() * 1000.0)
        }
    };
    let sizes = |path: String, json: bool| {
        let get = &get;
        async move {
            let (raw, _) = get(path.clone(), "identity", json).await;
            let (br, _) = get(path.clone(), "br", json).await;
            let (gzip, _) = get(path, "gzip", json).await;
            (raw, br, gzip)
        }
    };
    let kb = |b: usize| b as f64 / 1000.0;

    // The first load: the page, map/view, then the view the page asks for once it has framed
    // everyone: a world-wide frame is zoom 1 or 2 by the map's width, and 2 is the larger.
    let page = sizes(format!("{base}/"), false).await;
    let first = sizes(format!("{base}/api/map/view"), true).await;
    let (label, lat, lon, zoom) = VIEWS[0];
    let framed = sizes(view_url(&base, lat, lon, zoom), true).await;
    println!("first load, bytes raw / br / gzip:");
    for (what, (raw, br, gzip)) in [
        ("page HTML (map/view embedded)", page),
        ("map/view", first),
        (label, framed),
    ] {
        println!(
            "  {what:<30} {:>8.1} KB / {:>6.1} KB / {:>6.1} KB",
            kb(raw),
            kb(br),
            kb(gzip)
        );
    }
    println!(
        "  map data of a first load (the page, then its view): {:.1} KB br, {:.1} KB gzip",
        kb(page.1 + framed.1),
        kb(page.2 + framed.2)
    );

    // Each view: its size and what it holds, then the server's time to answer (br, as served).
    for (label, lat, lon, zoom) in VIEWS {
        let url = view_url(&base, lat, lon, zoom);
        let (raw, br, gzip) = sizes(url.clone(), true).await;
        let body: serde_json::Value = client
            .get(&url)
            .header("cookie", &cookie)
            .header("accept", "application/json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let clusters = body["clusters"].as_array().map_or(0, Vec::len);
        let one_by_one = body["players"].as_array().map_or(0, Vec::len);
        println!(
            "{label:<20} {clusters:>4} clusters, {one_by_one:>4} players one by one, {} more; \
             {:.1} KB raw, {:.1} KB br, {:.1} KB gzip",
            body["more"],
            kb(raw),
            kb(br),
            kb(gzip)
        );
        let mut ms = Vec::new();
        for _ in 0..100 {
            ms.push(get(url.clone(), "br", true).await.1);
        }
        summary(&format!("  answer {label}"), ms);
    }
    let mut ms = Vec::new();
    for _ in 0..50 {
        ms.push(get(format!("{base}/api/map/view"), "br", true).await.1);
    }
    summary("  answer map/view", ms);
    let _ = server.kill().await;
}

/// The `map/clusters` request of a 1280×800 map centred on (`lat`, `lon`) at `zoom`, as the
/// page makes it (longitudes within ±180, the whole width when the view is wider).
fn view_url(base: &str, lat: f64, lon: f64, zoom: u8) -> String {
    let world = 256.0 * f64::from(1u32 << zoom);
    let y = (1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0 * world;
    let lat_at = |y: f64| {
        let n = std::f64::consts::PI * (1.0 - 2.0 * y / world);
        n.sinh().atan().to_degrees()
    };
    let north = lat_at((y - HEIGHT / 2.0).max(0.0));
    let south = lat_at((y + HEIGHT / 2.0).min(world));
    let span = WIDTH / world * 360.0;
    let (west, east) = if span >= 360.0 {
        (-180.0, 180.0)
    } else {
        let west = (lon - span / 2.0 + 180.0).rem_euclid(360.0) - 180.0;
        let east = west + span;
        (west, if east > 180.0 { east - 360.0 } else { east })
    };
    format!(
        "{base}/api/map/clusters?south={south}&west={west}&north={north}&east={east}&zoom={zoom}"
    )
}

/// `players` players in cities drawn by population, one in twenty online for the next hour,
/// made once per database.
async fn make_world(pool: &PgPool, players: usize) {
    sqlx::query("create table if not exists bench_map_world (players bigint)")
        .execute(pool)
        .await
        .unwrap();
    let made: Option<i64> = sqlx::query_scalar("select players from bench_map_world")
        .fetch_optional(pool)
        .await
        .unwrap();
    if made == Some(players as i64) {
        println!("reusing the world made before: {players} players");
        return;
    }
    assert!(
        made.is_none(),
        "this database holds another map world ({made:?}): use a fresh scratch database"
    );
    let started = Instant::now();
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("set session_replication_role = replica")
        .execute(&mut *conn)
        .await
        .expect("session_replication_role = replica needs a superuser");
    // Each city's share of all the people, cumulated: a uniform draw picks a city with a
    // chance in proportion to its population.
    sqlx::raw_sql(
        "create temporary table bench_cities as
             select id, sum(population::float8) over (order by id)
                        / sum(population::float8) over () as upto
             from cities where population > 0;
         create index on bench_cities (upto);",
    )
    .execute(&mut *conn)
    .await
    .expect("cities by population");
    sqlx::query(
        "insert into players (handle, display_name, password_hash, home_city_id)
         select 'map' || n, 'Map player ' || n, 'x',
                (select id from bench_cities where upto >= d.r order by upto limit 1)
         from (select n, random() as r from generate_series(1, $1::bigint) n) d",
    )
    .bind(players as i64)
    .execute(&mut *conn)
    .await
    .expect("players");
    sqlx::query(
        "insert into presence (player_id, instance, seen_at)
         select id, 'bench', now() + interval '1 hour'
         from players where handle like 'map%' and id % 20 = 0",
    )
    .execute(&mut *conn)
    .await
    .expect("presence");
    sqlx::raw_sql("analyze players; analyze presence")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("insert into bench_map_world values ($1)")
        .bind(players as i64)
        .execute(&mut *conn)
        .await
        .unwrap();
    println!(
        "made the world: {players} players in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
