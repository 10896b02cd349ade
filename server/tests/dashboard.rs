//! The dashboard's projector against a real database: it counts every message, task and
//! award once, whatever happens to it mid-step, one instance projects at a time, another
//! takes over, and its aggregates always equal a rebuild from the domain tables.

mod common;
#[path = "common/sse.rs"]
mod sse;

use std::time::{Duration, Instant};

use common::{fresh_database, spawn_app_on, TestApp};
use sqlx::PgPool;

const PARIS: i32 = 2_988_507;
const TOKYO: i32 = 1_850_147;

/// Every aggregate, as text, in a fixed order.
async fn aggregates(pool: &PgPool) -> String {
    sqlx::query_scalar(
        "select concat_ws(' | ',
             (select string_agg(concat_ws(',', hour, messages, tasks, points), ';' order by hour)
              from dash_hours),
             (select string_agg(concat_ws(',', day, player_id), ';' order by day, player_id)
              from dash_active),
             (select string_agg(concat_ws(',', player_id, points), ';' order by player_id)
              from dash_points))",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Waits until the projector has counted every event committed so far.
async fn caught_up(pool: &PgPool) {
    let latest: i64 = sqlx::query_scalar("select max(id) from events")
        .fetch_one(pool)
        .await
        .unwrap();
    let started = Instant::now();
    loop {
        let at: i64 = sqlx::query_scalar("select event_id from projector_checkpoint")
            .fetch_one(pool)
            .await
            .unwrap();
        if at >= latest {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "projector at {at}, log at {latest}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn rebuilt_equals(pool: &PgPool) {
    let incremental = aggregates(pool).await;
    assert!(!incremental.is_empty());
    app::backend::dashboard::rebuild(pool).await.unwrap();
    assert_eq!(
        aggregates(pool).await,
        incremental,
        "rebuild equals the projection"
    );
}

/// Players in Paris and Tokyo, chats between neighbours, and `n` random writes: messages
/// and awards, some back-dated across the last days and hours.
async fn workload(pool: &PgPool, n: usize, seed: u64) {
    let mut state = seed;
    let mut next = |m: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % m
    };
    let mut players = Vec::new();
    for i in 0..8 {
        let id: i64 = sqlx::query_scalar(
            "insert into players (handle, display_name, password_hash, home_city_id)
             values ($1, $1, 'x', $2) returning id",
        )
        .bind(format!("w{seed}_{i}"))
        .bind(if i % 2 == 0 { PARIS } else { TOKYO })
        .fetch_one(pool)
        .await
        .unwrap();
        players.push(id);
    }
    let mut chats = Vec::new();
    for pair in players.chunks(2) {
        let chat: i64 = sqlx::query_scalar(
            "insert into chats (player_low, player_high, started_by) values ($1, $2, $1)
             returning id",
        )
        .bind(pair[0].min(pair[1]))
        .bind(pair[0].max(pair[1]))
        .fetch_one(pool)
        .await
        .unwrap();
        chats.push((chat, pair[0], pair[1]));
    }
    for i in 0..n {
        let ago = format!("{} minutes", next(60 * 24 * 3));
        if next(3) == 0 {
            let player = players[next(players.len() as u64) as usize];
            sqlx::query(&format!(
                "insert into points_ledger (player_id, points, source, awarded_at)
                 values ($1, $2, $3, now() - interval '{ago}')"
            ))
            .bind(player)
            .bind(next(11) as i32)
            .bind(format!("w{seed}:{i}"))
            .execute(pool)
            .await
            .unwrap();
        } else {
            let (chat, a, b) = chats[next(chats.len() as u64) as usize];
            sqlx::query(&format!(
                "insert into messages (chat_id, sender_id, body, sent_at)
                 values ($1, $2, $3, now() - interval '{ago}')"
            ))
            .bind(chat)
            .bind(if next(2) == 0 { a } else { b })
            .bind(format!("m{i}"))
            .execute(pool)
            .await
            .unwrap();
        }
    }
}

#[tokio::test]
async fn the_projection_counts_each_write_once_and_equals_a_rebuild() {
    let app = spawn_app_on(fresh_database().await).await;
    workload(&app.pool, 300, 1).await;
    caught_up(&app.pool).await;
    let dash = app::backend::dashboard::read(&app.pool).await.unwrap();
    let messages: i64 = sqlx::query_scalar(
        "select count(*) from messages where sent_at >= date_trunc('day', now(), 'UTC')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(dash.today_messages, messages);
    assert_eq!(dash.daily.len(), 30);
    assert_eq!(dash.hourly.len(), 24);
    assert_eq!(
        dash.daily.iter().map(|d| d.1).sum::<i64>(),
        300 - count_awards(&app).await
    );
    assert!(dash.top.len() <= 10 && !dash.top.is_empty());
    assert!(dash.top.windows(2).all(|w| w[0].points >= w[1].points));
    rebuilt_equals(&app.pool).await;
}

async fn count_awards(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from points_ledger")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_projector_cut_off_mid_step_again_and_again_counts_nothing_twice() {
    let app = spawn_app_on(fresh_database().await).await;
    let writing = {
        let pool = app.pool.clone();
        tokio::spawn(async move { workload(&pool, 1500, 2).await })
    };
    // Kill the projector's connection every few milliseconds while it works: each cut ends
    // its step's transaction wherever it was.
    let mut kills = 0;
    while !writing.is_finished() {
        let killed: Vec<bool> = sqlx::query_scalar(
            "select pg_terminate_backend(pid) from pg_stat_activity
             where datname = current_database() and application_name = 'meridian-projector'",
        )
        .fetch_all(&app.pool)
        .await
        .unwrap();
        kills += killed.len();
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    writing.await.unwrap();
    assert!(kills > 3, "the projector was cut off {kills} times");
    caught_up(&app.pool).await;
    rebuilt_equals(&app.pool).await;
}

#[tokio::test]
async fn one_instance_projects_and_another_takes_over_when_it_stops() {
    let url = fresh_database().await;
    let a = spawn_app_on(url.clone()).await;
    let b = spawn_app_on(url).await;
    let started = Instant::now();
    while !(a.running.projector.is_active() || b.running.projector.is_active()) {
        assert!(started.elapsed() < Duration::from_secs(5), "no projector");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        a.running.projector.is_active() != b.running.projector.is_active(),
        "exactly one projects"
    );
    let (active, standby) = if a.running.projector.is_active() {
        (a, b)
    } else {
        (b, a)
    };
    let pool = standby.pool.clone();
    active.running.stop().await.unwrap();
    let stopped = Instant::now();
    while !standby.running.projector.is_active() {
        assert!(stopped.elapsed() < Duration::from_secs(5), "no takeover");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("took over in {:?}", stopped.elapsed());
    workload(&pool, 50, 3).await;
    caught_up(&pool).await;
    rebuilt_equals(&pool).await;
}

#[tokio::test]
async fn a_spectator_hears_the_dashboard_move_and_nothing_private() {
    let app = spawn_app_on(fresh_database().await).await;
    let (ann, _) = app.signed_up("ann").await;
    let (_, ben_id) = app.signed_up("ben").await;
    let chat = common::chat_between(&app, &ann, ben_id).await;
    let before: serde_json::Value = app
        .get_fn(&common::client(), "dashboard", &[])
        .await
        .json()
        .await
        .unwrap();
    let mut spectator =
        sse::SseClient::connect(&app.url("/events/public"), &common::client(), None)
            .await
            .with_dashboard();
    let sent = Instant::now();
    common::sent(&app, &ann, chat, "hello from the dashboard test").await;
    let mut moved = None;
    while sent.elapsed() < Duration::from_secs(5) {
        let Some(message) = spectator.next_within(Duration::from_secs(5)).await else {
            break;
        };
        assert!(
            !message.raw.contains("hello from the dashboard test"),
            "a spectator never sees a message: {}",
            message.raw
        );
        assert_ne!(message.kind, "chat");
        if message.kind == "dashboard"
            && message.data["today_messages"].as_i64() > before["today_messages"].as_i64()
        {
            moved = Some(message);
            break;
        }
    }
    let moved = moved.expect("a dashboard event within 5 s");
    println!(
        "message -> spectator's dashboard event in {:?}",
        sent.elapsed()
    );
    assert_eq!(moved.data["messages_this_hour"].as_i64(), Some(1));
    assert_eq!(moved.data["today_players"].as_i64(), Some(1));
    // Readable with JavaScript off: the page is whole on the server.
    let page = common::client()
        .get(app.url("/dashboard"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Meridian right now")
            && page.contains("Messages per day over the last 30 days")
    );
    assert!(page.contains(r#"data-stat="today_messages""#));
}

#[tokio::test]
async fn a_projecting_process_killed_mid_step_is_replaced_and_nothing_counts_twice() {
    let url = fresh_database().await;
    let pool = PgPool::connect(&url).await.unwrap();
    let mut first = common::start_binary(&url, common::free_port()).await;
    let writing = {
        let pool = pool.clone();
        tokio::spawn(async move { workload(&pool, 1500, 4).await })
    };
    // Once the projector is at work, SIGKILL its process: no shutdown, no rollback sent.
    let started = Instant::now();
    loop {
        let at: i64 = sqlx::query_scalar("select event_id from projector_checkpoint")
            .fetch_one(&pool)
            .await
            .unwrap();
        if at > 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the projector never started"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.start_kill().unwrap();
    first.wait().await.unwrap();
    let second = common::start_binary(&url, common::free_port()).await;
    writing.await.unwrap();
    caught_up(&pool).await;
    rebuilt_equals(&pool).await;
    drop(second);
}

#[tokio::test]
async fn a_dashboard_read_while_the_projector_is_held_back_shows_the_lag_and_old_numbers() {
    let app = spawn_app_on(fresh_database().await).await;
    workload(&app.pool, 40, 5).await;
    caught_up(&app.pool).await;
    let before = app::backend::dashboard::read(&app.pool).await.unwrap();
    assert_eq!(before.behind_events, 0);
    // Hold the checkpoint: the projector's next step waits on its row lock.
    let mut holder = app.pool.begin().await.unwrap();
    sqlx::query("select event_id from projector_checkpoint for update")
        .execute(&mut *holder)
        .await
        .unwrap();
    workload(&app.pool, 30, 6).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let behind = app::backend::dashboard::read(&app.pool).await.unwrap();
    assert!(behind.behind_events > 0, "the lag is shown");
    assert!(behind.behind_secs > 0.0);
    assert_eq!(
        (
            behind.today_messages,
            behind.today_points,
            behind.through_event
        ),
        (
            before.today_messages,
            before.today_points,
            before.through_event
        ),
        "numbers as of the checkpoint, never half a step"
    );
    holder.rollback().await.unwrap();
    caught_up(&app.pool).await;
    let after = app::backend::dashboard::read(&app.pool).await.unwrap();
    assert!(after.through_event > before.through_event);
    rebuilt_equals(&app.pool).await;
}
