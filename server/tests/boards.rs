//! Leaderboards over HTTP, on a fresh database each: ranks with ties, the top 50 and my row,
//! sliding windows, countries, bad requests, and the award event that moves open boards.

mod common;

use common::{client, error_of, fresh_database, spawn_app, spawn_app_on, TestApp};
use serde_json::Value;
use sqlx::PgPool;

const PARIS: i32 = 2_988_507;
const TOKYO: i32 = 1_850_147;
const LAGOS: i32 = 2_332_459;

/// Players `p001`… with homes in `city`, each with one award of `points[i]`, `ago` before now.
async fn seed(pool: &PgPool, first: usize, city: i32, points: &[i32], ago: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let id: i64 = sqlx::query_scalar(
            "insert into players (handle, display_name, password_hash, home_city_id)
             values ($1, $1, 'x', $2) returning id",
        )
        .bind(format!("p{:03}", first + i))
        .bind(city)
        .fetch_one(pool)
        .await
        .unwrap();
        award(pool, id, *p, ago).await;
        ids.push(id);
    }
    ids
}

async fn award(pool: &PgPool, player: i64, points: i32, ago: &str) {
    sqlx::query(&format!(
        "insert into points_ledger (player_id, points, source, awarded_at)
         values ($1, $2, 'test:' || gen_random_uuid(), now() - interval '{ago}')"
    ))
    .bind(player)
    .bind(points)
    .execute(pool)
    .await
    .unwrap();
}

async fn board(app: &TestApp, who: &reqwest::Client, window: &str, country: &str) -> Value {
    let response = app
        .get_fn(who, "board", &[("window", window), ("country", country)])
        .await;
    assert!(response.status().is_success(), "{response:?}");
    response.json().await.unwrap()
}

fn ranks(board: &Value) -> Vec<(String, i64, i64)> {
    board["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["handle"].as_str().unwrap().to_owned(),
                r["rank"].as_i64().unwrap(),
                r["points"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn ties_share_a_rank_and_a_tie_at_the_cut_shows_whole() {
    let app = spawn_app().await;
    // 48 players with distinct points, then three tied at rank 49, then more below.
    let mut points: Vec<i32> = (0..48).map(|i| 100 - i).collect();
    points.extend([20, 20, 20, 10, 5]);
    seed(&app.pool, 1, PARIS, &points, "1 minute").await;
    let b = board(&app, &client(), "all", "").await;
    let rows = ranks(&b);
    assert_eq!(
        rows.len(),
        51,
        "ranks 1..48, then three at 49 (the 52nd ranks 52)"
    );
    assert_eq!(rows[0], ("p001".into(), 1, 100));
    assert!(rows[48..]
        .iter()
        .all(|(_, rank, points)| (*rank, *points) == (49, 20)));
    assert!(b["mine"].is_null(), "signed out: no row of mine");

    // Exactly 50 at the cut: the 51st player is not shown, but is told their own row.
    let (me, _) = app.signed_up("late").await;
    let my_id = app.me(&me).await["id"].as_i64().unwrap();
    award(&app.pool, my_id, 1, "1 minute").await;
    let b = board(&app, &me, "all", "").await;
    assert_eq!(b["mine"]["rank"], 54);
    assert_eq!(b["mine"]["points"], 1);
    assert!(ranks(&b).iter().all(|(handle, _, _)| handle != "late"));

    // The header's answer carries the same row of the same board; signed out, no player part.
    let header: Value = app.get_fn(&me, "header", &[]).await.json().await.unwrap();
    let standing = &header["player"]["standing"];
    assert_eq!(standing["mine"], b["mine"], "{header}");
    assert_eq!(standing["window"], b["window"]);
    assert_eq!(header["player"]["unread"]["chats"], serde_json::json!([]));
    let header: Value = app
        .get_fn(&client(), "header", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(header["player"].is_null(), "{header}");
}

#[tokio::test]
async fn windows_slide_and_count_only_their_time() {
    let app = spawn_app().await;
    let ids = seed(&app.pool, 1, PARIS, &[1, 2, 4], "1 minute").await;
    // Just inside and just outside each window.
    award(&app.pool, ids[0], 10, "6 days 23 hours 59 minutes").await;
    award(&app.pool, ids[0], 30, "7 days 1 minute").await;
    award(&app.pool, ids[1], 50, "29 days 23 hours 59 minutes").await;
    award(&app.pool, ids[1], 90, "30 days 1 minute").await;
    let points = |b: &Value, handle: &str| {
        ranks(b)
            .into_iter()
            .find(|(h, _, _)| h == handle)
            .map(|(_, _, p)| p)
    };
    let week = board(&app, &client(), "week", "").await;
    assert_eq!(points(&week, "p001"), Some(11));
    assert_eq!(points(&week, "p002"), Some(2));
    let month = board(&app, &client(), "month", "").await;
    assert_eq!(points(&month, "p001"), Some(41));
    assert_eq!(points(&month, "p002"), Some(52));
    let all = board(&app, &client(), "all", "").await;
    assert_eq!(points(&all, "p002"), Some(142));
    // The round counts from its start: an award before it does not.
    let round = board(&app, &client(), "round", "").await;
    let started: bool = sqlx::query_scalar(
        "select now() - interval '1 minute' >= starts_at from rounds where id = $1",
    )
    .bind(round["round_id"].as_i64().unwrap())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    if started {
        assert_eq!(points(&round, "p003"), Some(4));
    }
    award(&app.pool, ids[2], 3, "0 seconds").await;
    let round = board(&app, &client(), "round", "").await;
    assert!(points(&round, "p003") >= Some(3));
    assert_eq!(points(&round, "p002"), if started { Some(2) } else { None });
}

#[tokio::test]
async fn a_country_board_ranks_its_players_only() {
    let app = spawn_app().await;
    seed(&app.pool, 1, PARIS, &[5, 3], "1 minute").await;
    seed(&app.pool, 3, TOKYO, &[9], "1 minute").await;
    let fr = board(&app, &client(), "all", "fr").await;
    assert_eq!(ranks(&fr), [("p001".into(), 1, 5), ("p002".into(), 2, 3)]);
    assert_eq!(fr["scope"]["Country"], "FR");
    let world = board(&app, &client(), "all", "").await;
    assert_eq!(ranks(&world)[0], ("p003".into(), 1, 9));
}

#[tokio::test]
async fn an_unknown_window_or_country_is_refused_by_name() {
    let app = spawn_app().await;
    for (window, country, field) in [
        ("year", "", "window"),
        ("", "", "window"),
        ("all", "ZZ", "country"),
        ("all", "France", "country"),
    ] {
        let (status, body) = error_of(
            app.get_fn(
                &client(),
                "board",
                &[("window", window), ("country", country)],
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, body["Invalid"]["field"].as_str()),
            (400, Some(field)),
            "{body}"
        );
    }
}

#[tokio::test]
async fn an_award_event_carries_the_points_of_every_window() {
    let app = spawn_app().await;
    let ids = seed(&app.pool, 1, TOKYO, &[7], "8 days").await;
    award(&app.pool, ids[0], 3, "0 seconds").await;
    let payload: Value = sqlx::query_scalar(
        "select payload from events where kind = 'points_awarded' order by id desc limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(payload["handle"], "p001");
    assert_eq!(payload["country_code"], "JP");
    assert_eq!(payload["points"], 3);
    assert_eq!(payload["total"], 10);
    assert_eq!(payload["week_total"], 3);
    assert_eq!(payload["month_total"], 10);
    let award: app::model::Award = serde_json::from_value(payload).unwrap();
    assert_eq!(
        award.round_total,
        if award.round_id.is_some() { 3 } else { 0 }
    );
}

/// The board as counting the ledger row by row says it should be (what every read did before
/// the standings moved into memory): (handle, rank, points), ranked 50th or better.
async fn counted(
    pool: &PgPool,
    window: &str,
    country: &str,
    round_id: i64,
) -> Vec<(String, i64, i64)> {
    sqlx::query_as(
        "with scores as (
             select l.player_id, sum(l.points)::bigint as points
             from points_ledger l
             where case $1
                       when 'round' then l.awarded_at >= (select starts_at from rounds where id = $3)
                       when 'week' then l.awarded_at > now() - interval '7 days'
                       when 'month' then l.awarded_at > now() - interval '30 days'
                       else true end
             group by l.player_id
         ), ranked as (
             select p.handle, s.points, rank() over (order by s.points desc) as rank
             from scores s
             join players p on p.id = s.player_id
             left join city_places c on c.city_id = p.home_city_id
             where s.points > 0 and ($2 = '' or c.country_code = $2)
         )
         select handle, rank, points from ranked where rank <= 50 order by rank, handle",
    )
    .bind(window)
    .bind(country)
    .bind(round_id)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn standings_kept_by_events_and_loaded_at_start_agree_with_the_ledger() {
    let url = fresh_database().await;
    let before = spawn_app_on(url.clone()).await;
    // A workload the running instance hears as events: players in three countries, awards
    // spread over 40 days (inside and outside every window), players moving home.
    let mut state = 0x2545_f491_u64;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 33) % n
    };
    let cities = [PARIS, TOKYO, LAGOS];
    let mut ids = Vec::new();
    for i in 0..60 {
        let city = cities[next(3) as usize];
        ids.push(player_at(&before.pool, 100 + i, city).await);
    }
    for step in 0..400 {
        let player = ids[next(ids.len() as u64) as usize];
        // Moves in the middle and at the end, where no award follows to tell the country.
        if step % 25 == 0 || step >= 390 {
            sqlx::query("update players set home_city_id = $2 where id = $1")
                .bind(player)
                .bind(cities[next(3) as usize])
                .execute(&before.pool)
                .await
                .unwrap();
            continue;
        }
        let ago = match next(4) {
            0 => format!("{} seconds", next(600)),
            1 => format!("{} hours", next(24 * 8)),
            _ => format!("{} hours", next(24 * 40)),
        };
        award(&before.pool, player, next(11) as i32, &ago).await;
    }
    let after = spawn_app_on(url).await;
    for window in ["round", "week", "month", "all"] {
        for country in ["", "FR", "JP", "NG"] {
            let heard = board(&before, &client(), window, country).await;
            let loaded = board(&after, &client(), window, country).await;
            let round_id = heard["round_id"].as_i64().unwrap();
            let expected = counted(&before.pool, window, country, round_id).await;
            assert!(
                !expected.is_empty() || window == "round",
                "{window} {country} has rows"
            );
            assert_eq!(
                ranks(&heard),
                expected,
                "kept by events: {window} {country:?}"
            );
            assert_eq!(
                ranks(&loaded),
                expected,
                "loaded at start: {window} {country:?}"
            );
        }
    }
}

/// One player `p{n}` at home in `city`, without points.
async fn player_at(pool: &PgPool, n: usize, city: i32) -> i64 {
    sqlx::query_scalar(
        "insert into players (handle, display_name, password_hash, home_city_id)
         values ($1, $1, 'x', $2) returning id",
    )
    .bind(format!("p{n:03}"))
    .bind(city)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_week_slides_on_the_clock_with_nothing_written() {
    let app = spawn_app().await;
    let ids = seed(&app.pool, 1, PARIS, &[1], "1 minute").await;
    award(
        &app.pool,
        ids[0],
        20,
        "6 days 23 hours 59 minutes 57 seconds",
    )
    .await;
    let week = board(&app, &client(), "week", "").await;
    assert_eq!(ranks(&week), [("p001".into(), 1, 21)]);
    // Four seconds later that award is more than 7 days old; nothing was written meanwhile.
    let cursor = week["cursor"].as_i64().unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let week = board(&app, &client(), "week", "").await;
    // Events may come (the dashboard's), but no award and no move.
    let awards_since: i64 = sqlx::query_scalar(
        "select count(*) from events
         where id > $1 and kind in ('points_awarded', 'player_updated')",
    )
    .bind(cursor)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(awards_since, 0, "nothing written in between");
    assert_eq!(ranks(&week), [("p001".into(), 1, 1)]);
    let all = board(&app, &client(), "all", "").await;
    assert_eq!(ranks(&all), [("p001".into(), 1, 21)]);
}

#[tokio::test]
async fn an_instance_starting_while_awards_are_written_counts_every_one() {
    let url = fresh_database().await;
    let first = spawn_app_on(url.clone()).await;
    let ids = seed(&first.pool, 1, PARIS, &[1, 1, 1], "1 minute").await;
    // Awards every few milliseconds while a second instance starts, loads and listens.
    let writing = {
        let pool = first.pool.clone();
        tokio::spawn(async move {
            for n in 0..400 {
                award(&pool, ids[n % 3], 1, "0 seconds").await;
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        })
    };
    let second = spawn_app_on(url).await;
    writing.await.unwrap();
    for app in [&first, &second] {
        // Read before the board: the projector may write a `dashboard` event at any moment,
        // so the newest id read after it can be newer than the answer, and rightly so.
        let latest: i64 = sqlx::query_scalar("select max(id) from events")
            .fetch_one(&first.pool)
            .await
            .unwrap();
        let all = board(app, &client(), "all", "").await;
        assert_eq!(ranks(&all), counted(&first.pool, "all", "", 0).await);
        let cursor = all["cursor"].as_i64().unwrap();
        assert!(
            cursor >= latest,
            "the standings hold every event: cursor {cursor}, newest before {latest}"
        );
    }
}
