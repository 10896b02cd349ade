//! The game, against a real database and server: rounds, choosing tasks once per player and
//! round, completing them by messages exactly once, and the points ledger. Each test runs on a
//! fresh database.

mod common;

use std::time::Duration;

use app::{
    backend::{
        game::{self, HomeRegions},
        reference::Reference,
    },
    model::{Round, Task, Tasks},
};
use common::{
    chat_between, client, fresh_database, send, sent, spawn_app, spawn_app_on, spawn_app_with,
    test_settings, TestApp,
};
use reqwest::Client;
use sqlx::PgPool;

const HOUR: Duration = Duration::from_secs(3600);

// Positions whose cities lie in distinct first-level regions, and five in one (Lagos State).
const PARIS: (f64, f64) = (48.8606, 2.3376);
const TOKYO: (f64, f64) = (35.6895, 139.6917);
const LIMA: (f64, f64) = (-12.0432, -77.0282);
const BERLIN: (f64, f64) = (52.52, 13.40);
const SYDNEY: (f64, f64) = (-33.8688, 151.2093);
const LAGOS_STATE: [(f64, f64); 5] = [
    (6.4541, 3.3947),
    (6.5965, 3.3421),
    (6.5841, 3.9834),
    (6.4150, 2.8813),
    (6.6153, 3.5069),
];

/// A signed-up player whose home is the city at `at`; returns their client and id.
async fn player_at(app: &TestApp, handle: &str, at: (f64, f64)) -> (Client, i64) {
    let (browser, id) = app.signed_up(handle).await;
    set_home(app, &browser, at).await;
    (browser, id)
}

/// Sets the signed-in player's home to the city at `at`, as the home page does.
async fn set_home(app: &TestApp, browser: &Client, at: (f64, f64)) {
    let (lat, lon) = (at.0.to_string(), at.1.to_string());
    let response = app
        .call(
            browser,
            "home/from_position",
            &[("lat", &lat), ("lon", &lon)],
        )
        .await;
    assert!(response.status().is_success(), "{response:?}");
}

async fn region_of(pool: &PgPool, player: i64) -> i32 {
    sqlx::query_scalar(
        "select c.region_id from players p join cities c on c.id = p.home_city_id where p.id = $1",
    )
    .bind(player)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn round(pool: &PgPool) -> Round {
    game::clock(pool, HOUR).await.unwrap().round
}

/// My tasks, chosen as the app's own requests choose them: with its cached weights and its
/// count of home regions, shared with every other first visit.
async fn my_tasks(app: &TestApp, me: i64) -> Vec<Task> {
    let state = &app.running.state;
    match game::tasks(
        &app.pool,
        &state.reference,
        &state.homes,
        me,
        &round(&app.pool).await,
    )
    .await
    .unwrap()
    {
        Tasks::Assigned(tasks) => tasks,
        Tasks::NoHome => panic!("player {me} has no home"),
    }
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// How many events of `kind` the log holds.
async fn events_of(pool: &PgPool, kind: &str) -> i64 {
    sqlx::query_scalar("select count(*) from events where kind = $1")
        .bind(kind)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn rounds_are_hours_and_a_round_is_announced_once() {
    let app = spawn_app().await;
    let clock = game::clock(&app.pool, HOUR).await.unwrap();
    let round = &clock.round;
    assert_eq!(round.id % 3600, 0, "starts on a UTC hour");
    assert_eq!((round.ends_at - round.starts_at).num_seconds(), 3600);
    assert!(round.starts_at <= clock.server_now && clock.server_now < round.ends_at);
    let (a, b) = tokio::join!(game::clock(&app.pool, HOUR), game::clock(&app.pool, HOUR));
    assert_eq!(a.unwrap().round, b.unwrap().round);
    let announced = count(
        &app.pool,
        &format!(
            "select count(*) from events where kind = 'round_started' and (payload->>'id')::bigint = {}",
            round.id
        ),
    )
    .await;
    assert_eq!(announced, 1);

    // Over HTTP, signed out too: the header counts down from it.
    let answer: serde_json::Value = app
        .get_fn(&client(), "game/round", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["round"]["id"], round.id);
    assert!(answer["server_now"].is_string(), "{answer}");
    // And the header's answer.
    let header: serde_json::Value = app
        .get_fn(&client(), "header", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(header["clock"]["round"]["id"], round.id, "{header}");
    assert!(header["clock"]["server_now"].is_string(), "{header}");
}

#[tokio::test]
async fn the_scheduler_starts_each_round_without_anyone_asking() {
    let url = fresh_database().await;
    let settings = app::backend::Settings {
        round_length: Duration::from_secs(1),
        ..test_settings()
    };
    let app = spawn_app_with(url, settings).await;
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let rounds: Vec<i64> = sqlx::query_scalar(
        "select (payload->>'id')::bigint from events where kind = 'round_started' order by id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(rounds.len() >= 3, "{rounds:?}");
    for pair in rounds.windows(2) {
        assert_eq!(
            pair[1] - pair[0],
            1,
            "one announcement per round, in order: {rounds:?}"
        );
    }
}

#[tokio::test]
async fn tasks_are_three_distinct_regions_of_other_players_never_mine() {
    let app = spawn_app().await;
    let (_, me) = player_at(&app, "amelie", PARIS).await;
    // Another player from my own region, and four from elsewhere.
    player_at(&app, "pierre", (48.85, 2.35)).await;
    for (handle, at) in [
        ("kenji", TOKYO),
        ("rosa", LIMA),
        ("jonas", BERLIN),
        ("mia", SYDNEY),
    ] {
        player_at(&app, handle, at).await;
    }
    let mine = region_of(&app.pool, me).await;
    let tasks = my_tasks(&app, me).await;
    assert_eq!(tasks.len(), 3, "{tasks:?}");
    let mut regions: Vec<_> = tasks.iter().map(|t| t.region_id).collect();
    regions.sort_unstable();
    regions.dedup();
    assert_eq!(regions.len(), 3, "distinct");
    assert!(!regions.contains(&mine), "never my own region");
    for task in &tasks {
        assert_eq!(task.region_players, 1);
        assert!(task.km > 800.0, "{task:?}");
        assert!(task.completed_at.is_none());
        assert_eq!(
            task.points,
            app::model::game::criticality(&Default::default(), 1, task.km).1
        );
    }
    // Asking again in the same round changes nothing.
    assert_eq!(my_tasks(&app, me).await, tasks);
    assert_eq!(events_of(&app.pool, "tasks_assigned").await, 1);
}

#[tokio::test]
async fn twenty_first_visits_at_once_choose_once() {
    let app = spawn_app().await;
    let (_, me) = player_at(&app, "amelie", PARIS).await;
    for (handle, at) in [
        ("kenji", TOKYO),
        ("rosa", LIMA),
        ("jonas", BERLIN),
        ("mia", SYDNEY),
    ] {
        player_at(&app, handle, at).await;
    }
    let round = round(&app.pool).await;
    let visits: Vec<_> = (0..20)
        .map(|_| {
            let (pool, round) = (app.pool.clone(), round.clone());
            tokio::spawn(async move {
                game::tasks(
                    &pool,
                    &Reference::default(),
                    &HomeRegions::default(),
                    me,
                    &round,
                )
                .await
                .unwrap()
            })
        })
        .collect();
    let mut answers = Vec::new();
    for visit in visits {
        answers.push(visit.await.unwrap());
    }
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "twenty identical answers"
    );
    assert_eq!(count(&app.pool, "select count(*) from tasks").await, 3);
    assert_eq!(
        count(&app.pool, "select count(*) from task_assignments").await,
        1
    );
}

#[tokio::test]
async fn fewer_regions_mean_fewer_tasks_and_no_home_means_none() {
    let app = spawn_app().await;
    let (_, me) = player_at(&app, "amelie", PARIS).await;
    // A world of one region: mine.
    player_at(&app, "pierre", (48.85, 2.35)).await;
    assert_eq!(my_tasks(&app, me).await, []);
    let (homeless_client, homeless) = app.signed_up("nomad").await;
    assert_eq!(
        game::tasks(
            &app.pool,
            &Reference::default(),
            &HomeRegions::default(),
            homeless,
            &round(&app.pool).await
        )
        .await
        .unwrap(),
        Tasks::NoHome
    );
    // One other region: one task, for a player who had none this round yet.
    player_at(&app, "kenji", TOKYO).await;
    let (lagos_client, lagos) = player_at(&app, "tunde", LAGOS_STATE[0]).await;
    let tasks = my_tasks(&app, lagos).await;
    assert_eq!(tasks.len(), 2, "Île-de-France and Tokyo: {tasks:?}");
    let _ = (homeless_client, lagos_client);
}

/// Regions are counted once and shared by first visits; a player who moves home takes their
/// region with them for every first visit after the move, however soon.
#[tokio::test]
async fn a_move_home_shows_in_the_next_first_visit() {
    let app = spawn_app().await;
    let (_, amelie) = player_at(&app, "amelie", PARIS).await;
    let (kenji_client, kenji) = player_at(&app, "kenji", TOKYO).await;
    let (_, jonas) = player_at(&app, "jonas", BERLIN).await;
    let (paris, tokyo, berlin) = (
        region_of(&app.pool, amelie).await,
        region_of(&app.pool, kenji).await,
        region_of(&app.pool, jonas).await,
    );
    let regions = |tasks: Vec<Task>| {
        let mut ids: Vec<i32> = tasks.iter().map(|t| t.region_id).collect();
        ids.sort_unstable();
        ids
    };
    let mut expected = vec![tokyo, berlin];
    expected.sort_unstable();
    assert_eq!(regions(my_tasks(&app, amelie).await), expected);

    // Kenji moves to Lima; no one joins.
    set_home(&app, &kenji_client, LIMA).await;
    let lima = region_of(&app.pool, kenji).await;
    assert_ne!(lima, tokyo);
    let mut expected = vec![paris, lima];
    expected.sort_unstable();
    assert_eq!(
        regions(my_tasks(&app, jonas).await),
        expected,
        "Tokyo is gone"
    );
}

/// A sends to B, whose home region is one of A's tasks: the task completes in the message's
/// transaction and its points are awarded once, however often A writes to B afterwards.
#[tokio::test]
async fn a_message_to_the_region_completes_the_task_once() {
    let app = spawn_app().await;
    let (amelie, me) = player_at(&app, "amelie", PARIS).await;
    let (kenji, kenji_id) = player_at(&app, "kenji", TOKYO).await;
    let tasks = my_tasks(&app, me).await;
    assert_eq!(tasks.len(), 1);
    let task = &tasks[0];

    let chat = chat_between(&app, &amelie, kenji_id).await;
    let message = sent(&app, &amelie, chat, "Konnichiwa!").await;
    for i in 0..3 {
        sent(&app, &amelie, chat, &format!("again {i}")).await;
    }
    // Kenji writing back completes nothing of Amélie's, nor of his (he has no tasks yet).
    sent(&app, &kenji, chat, "Bonjour!").await;

    let (completed, by): (bool, Option<i64>) =
        sqlx::query_as("select completed_at is not null, message_id from tasks where id = $1")
            .bind(task.id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(completed);
    assert_eq!(by, message["id"].as_i64());
    let ledger: Vec<(i64, i32, String)> =
        sqlx::query_as("select player_id, points, source from points_ledger")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(ledger, [(me, task.points, format!("task:{}", task.id))]);
    for kind in ["task_completed", "points_awarded"] {
        assert_eq!(events_of(&app.pool, kind).await, 1, "{kind}");
    }
    let view: serde_json::Value = app
        .get_fn(&amelie, "game/view", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["points"], task.points);
    assert!(
        view["tasks"]["Assigned"][0]["completed_at"].is_string(),
        "{view}"
    );

    // Kenji sees it on Amélie's profile: points, rank, the task, and today's bar.
    let profile: serde_json::Value = app
        .get_fn(&kenji, "player/profile", &[("handle", "amelie")])
        .await
        .json()
        .await
        .unwrap();
    let game = &profile["game"];
    assert_eq!(game["points"], task.points, "{profile}");
    assert_eq!(game["points_week"], task.points);
    assert_eq!(game["rank"], 1);
    assert_eq!(game["tasks_completed"], 1);
    let daily = game["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 30);
    assert_eq!(daily[29]["points"], task.points, "today is last");
    assert!(daily[..29].iter().all(|d| d["points"] == 0));
    assert_eq!(game["latest"][0]["region"], "Tokyo");
    let kenjis: serde_json::Value = app
        .get_fn(&amelie, "player/profile", &[("handle", "kenji")])
        .await
        .json()
        .await
        .unwrap();
    assert!(kenjis["game"]["rank"].is_null(), "no points, no rank");

    // The ledger is append-only.
    let edit = sqlx::query("update points_ledger set points = 100")
        .execute(&app.pool)
        .await;
    assert!(edit.is_err(), "the ledger refused an update");
}

/// Five tabs of one player, on two instances, send at the same instant to five players of the
/// task's region: one completes it, one award.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_completing_sends_at_once_award_once() {
    let url = fresh_database().await;
    let app = spawn_app_on(url.clone()).await;
    let other = spawn_app_on(url).await;
    let (amelie, me) = player_at(&app, "amelie", PARIS).await;
    let mut chats = Vec::new();
    for (i, at) in LAGOS_STATE.iter().enumerate() {
        let (_, id) = player_at(&app, &format!("lagos{i}"), *at).await;
        chats.push(chat_between(&app, &amelie, id).await);
    }
    let tasks = my_tasks(&app, me).await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0].region_players, 5);

    let sends: Vec<_> = chats
        .iter()
        .enumerate()
        .map(|(i, chat)| {
            let instance = if i % 2 == 0 { &app } else { &other };
            let (url, amelie, chat) = (instance.url("/api/chat/send"), amelie.clone(), *chat);
            tokio::spawn(async move {
                amelie
                    .post(url)
                    .header("accept", "application/json")
                    .form(&[
                        ("chat_id", chat.to_string()),
                        ("body", format!("Hello {i}")),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    for send in sends {
        assert!(send.await.unwrap().is_success());
    }
    assert_eq!(
        count(&app.pool, "select count(*) from points_ledger").await,
        1
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from tasks where completed_at is not null"
        )
        .await,
        1
    );
    assert_eq!(events_of(&app.pool, "points_awarded").await, 1);
}

/// Only the sender's own open task of the round under way completes: not another player's,
/// not one of a round that has ended, not by a message sent a second after the round's end.
#[tokio::test]
async fn only_my_open_task_of_the_round_under_way_completes() {
    let app = spawn_app().await;
    let (amelie, me) = player_at(&app, "amelie", PARIS).await;
    let (_, kenji) = player_at(&app, "kenji", TOKYO).await;
    let (pierre, _) = player_at(&app, "pierre", (48.85, 2.35)).await;
    let tokyo = region_of(&app.pool, kenji).await;

    // Amélie's task for Tokyo, in a round that ended a second ago.
    sqlx::raw_sql(&format!(
        "insert into rounds values (1, now() - interval '11 seconds', now() - interval '1 second');
         insert into task_assignments (round_id, player_id, tasks) values (1, {me}, 1);
         insert into tasks (round_id, player_id, region_id, level, points, km, region_players)
             values (1, {me}, {tokyo}, 'high', 10, 9700, 1);"
    ))
    .execute(&app.pool)
    .await
    .unwrap();
    let chat = chat_between(&app, &amelie, kenji).await;
    sent(&app, &amelie, chat, "Too late?").await;
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from tasks where completed_at is not null"
        )
        .await,
        0,
        "a task of an ended round does not complete"
    );

    // Amélie's task of this round, and Pierre (same city, no such task) writes to Kenji.
    let tasks = my_tasks(&app, me).await;
    assert_eq!(
        tasks.iter().map(|t| t.region_id).collect::<Vec<_>>(),
        [tokyo]
    );
    let pierre_chat = chat_between(&app, &pierre, kenji).await;
    let response = send(&app, &pierre, pierre_chat, "Salut").await;
    assert!(response.status().is_success());
    assert_eq!(
        count(&app.pool, "select count(*) from points_ledger").await,
        0,
        "not Pierre's task"
    );
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from tasks where completed_at is not null"
        )
        .await,
        0,
        "nor Amélie's, by Pierre's message"
    );
    sent(&app, &amelie, chat, "Now!").await;
    assert_eq!(
        count(&app.pool, "select count(*) from points_ledger").await,
        1
    );
}
