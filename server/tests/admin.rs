//! The admin page and its functions, and the cache of the task weights on every instance:
//! who may, what is refused (by name, with nothing stored), and how soon a change made on
//! the page or by hand in psql reaches every instance, even one whose listener was down.

mod common;

use std::time::{Duration, Instant};

use app::model::Weights;
use common::{client, error_of, fresh_database, spawn_app_with, test_settings, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::Value;

async fn app_with_admin(url: String) -> TestApp {
    let settings = app::backend::Settings {
        admins: vec!["boss".into()],
        ..test_settings()
    };
    spawn_app_with(url, settings).await
}

fn form(w: [&str; 5]) -> Vec<(&'static str, &str)> {
    [
        "low_points",
        "medium_points",
        "high_points",
        "medium_from",
        "high_from",
    ]
    .into_iter()
    .zip(w)
    .collect()
}

async fn save(app: &TestApp, who: &Client, w: [&str; 5]) -> reqwest::Response {
    app.call(who, "admin/weights/save", &form(w)).await
}

async fn stored(app: &TestApp) -> (Weights, i64) {
    let weights = app::backend::game::weights(&app.pool).await.unwrap();
    let changes: i64 = sqlx::query_scalar("select count(*) from task_weights_changes")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    (weights, changes)
}

#[tokio::test]
async fn only_admins_see_the_page_and_call_its_functions() {
    let app = app_with_admin(fresh_database().await).await;
    let (player, _) = app.signed_up("someone").await;
    for who in [&player, &client()] {
        let page = who.get(app.url("/admin")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::NOT_FOUND);
        assert!(!page.text().await.unwrap().contains("Task weights"));
    }
    let read = app.get_fn(&player, "admin/weights", &[]).await;
    assert_eq!(read.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get_fn(&client(), "admin/weights", &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // A forged flag in the form, the query or a header changes nothing.
    let mut forged = form(["50", "50", "50", "0.3", "0.6"]);
    forged.push(("admin", "true"));
    let response = player
        .post(app.url("/api/admin/weights/save?admin=true"))
        .header("accept", "application/json")
        .header("x-admin", "true")
        .form(&forged)
        .send()
        .await
        .unwrap();
    assert!(
        response.status() == StatusCode::FORBIDDEN || response.status() == StatusCode::BAD_REQUEST,
        "{response:?}"
    );
    assert_eq!(
        save(&app, &player, ["50", "50", "50", "0.3", "0.6"])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        stored(&app).await,
        (Weights::default(), 0),
        "nothing changed"
    );

    let (boss, _) = app.signed_up("boss").await;
    let page = boss.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Task weights"));
}

#[tokio::test]
async fn weights_out_of_range_or_order_are_refused_by_name() {
    let app = app_with_admin(fresh_database().await).await;
    let (boss, _) = app.signed_up("boss").await;
    for (w, field) in [
        (["0", "5", "10", "0.35", "0.6"], "low_points"),
        (["2", "101", "10", "0.35", "0.6"], "medium_points"),
        (["2", "5", "-1", "0.35", "0.6"], "high_points"),
        (["2", "5", "10", "0", "0.6"], "medium_from"),
        (["2", "5", "10", "0.7", "0.6"], "high_from"),
        (["2", "5", "10", "0.6", "0.6"], "high_from"),
        (["2", "5", "10", "0.35", "1.01"], "high_from"),
    ] {
        let (status, body) = error_of(save(&app, &boss, w).await).await;
        assert_eq!(
            (status, body["Invalid"]["field"].as_str()),
            (400, Some(field)),
            "{w:?}: {body}"
        );
    }
    assert_eq!(
        stored(&app).await,
        (Weights::default(), 0),
        "nothing stored"
    );
    // The edges themselves are allowed.
    let ok = save(&app, &boss, ["1", "100", "100", "0.01", "1"]).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["weights"]["low_points"], 1);
    assert_eq!(body["changes"][0]["changed_by"], "boss");
    assert_eq!(body["changes"][0]["before"]["low_points"], 2);
    assert_eq!(body["changes"][0]["after"]["high_from"], 1.0);
}

/// Waits until `app`'s cached weights have `low_points`; how long that took.
async fn cached(app: &TestApp, low_points: i32) -> Duration {
    let started = Instant::now();
    let reference = &app.running.state.reference;
    loop {
        let w = reference.weights(&app.pool).await.unwrap();
        if w.low_points == low_points {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still {w:?} after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_change_by_hand_reaches_every_instance_even_one_whose_listener_was_down() {
    let url = fresh_database().await;
    let (a, b) = (app_with_admin(url.clone()).await, app_with_admin(url).await);
    // Both caches warm: without a notification they would keep the old value.
    for app in [&a, &b] {
        cached(app, 2).await;
    }
    let reloads = b.running.state.reference.reloads();
    sqlx::query("update task_weights set low_points = 3")
        .execute(&a.pool)
        .await
        .unwrap();
    for app in [&a, &b] {
        let took = cached(app, 3).await;
        println!("psql update reached an instance in {took:?}");
    }
    assert_eq!(b.running.state.reference.reloads(), reloads + 1);
    // The change is recorded as made outside the app.
    let by: Option<String> =
        sqlx::query_scalar("select changed_by from task_weights_changes order by id desc limit 1")
            .fetch_one(&a.pool)
            .await
            .unwrap();
    assert_eq!(by, None);

    // Listeners cut, and the weights changed in the same breath: a notification sent while
    // a listener reconnects is lost, and the reconnect must drop the cache anyway.
    sqlx::raw_sql(
        "select pg_terminate_backend(pid) from pg_stat_activity
         where datname = current_database() and application_name = 'meridian-listener';
         update task_weights set low_points = 4;",
    )
    .execute(&a.pool)
    .await
    .unwrap();
    for app in [&a, &b] {
        let took = cached(app, 4).await;
        println!("update during a reconnect reached an instance in {took:?}");
    }
}

#[tokio::test]
async fn new_tasks_take_the_weights_an_admin_saved() {
    let app = app_with_admin(fresh_database().await).await;
    let (boss, _) = app.signed_up("boss").await;
    let ok = save(&app, &boss, ["77", "78", "79", "0.35", "0.6"]).await;
    assert_eq!(ok.status(), StatusCode::OK);
    // A player of Paris and one of Tokyo: the first's task is the second's region.
    let mut ids = Vec::new();
    for (handle, city) in [("anne", 2_988_507), ("kenji", 1_850_147)] {
        let id: i64 = sqlx::query_scalar(
            "insert into players (handle, display_name, password_hash, home_city_id)
             values ($1, $1, 'x', $2) returning id",
        )
        .bind(handle)
        .bind(city)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        ids.push(id);
    }
    let round = app::backend::game::clock(&app.pool, Duration::from_secs(3600))
        .await
        .unwrap()
        .round;
    let tasks = app::backend::game::tasks(
        &app.pool,
        &app.running.state.reference,
        &app.running.state.homes,
        ids[0],
        &round,
    )
    .await
    .unwrap();
    let app::model::Tasks::Assigned(tasks) = tasks else {
        panic!("tasks assigned: {tasks:?}")
    };
    assert_eq!(tasks.len(), 1);
    assert!((77..=79).contains(&tasks[0].points), "{tasks:?}");
}

#[tokio::test]
async fn saving_the_same_weights_again_records_no_change() {
    let app = app_with_admin(fresh_database().await).await;
    let (boss, _) = app.signed_up("boss").await;
    for _ in 0..2 {
        let ok = save(&app, &boss, ["3", "5", "10", "0.35", "0.6"]).await;
        assert_eq!(ok.status(), StatusCode::OK);
    }
    assert_eq!(stored(&app).await.1, 1, "one change, not two");
}

/// Waits until `app`'s place search, from its cached catalogue, lists `label`.
async fn searched(app: &TestApp, query: &str, label: &str) -> Duration {
    let started = Instant::now();
    let reference = &app.running.state.reference;
    loop {
        let found = app::backend::places::search_places(&app.pool, reference, query)
            .await
            .unwrap();
        if found.iter().any(|p| p.label == label) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{label} not found after 5 s: {found:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_region_renamed_by_hand_is_found_under_its_new_name_on_every_instance() {
    let url = fresh_database().await;
    let (a, b) = (app_with_admin(url.clone()).await, app_with_admin(url).await);
    for app in [&a, &b] {
        searched(app, "Lagos", "Lagos, Nigeria").await;
    }
    sqlx::query("update regions set name = 'Eko' where country_code = 'NG' and name = 'Lagos'")
        .execute(&a.pool)
        .await
        .unwrap();
    for app in [&a, &b] {
        let took = searched(app, "Eko", "Eko, Nigeria").await;
        println!("a renamed region reached an instance's cache in {took:?}");
    }
}

#[tokio::test]
async fn an_admin_issues_a_key_that_works_once_shown_and_revokes_it() {
    let app = app_with_admin(fresh_database().await).await;
    let (boss, _) = app.signed_up("boss").await;
    let (someone, _) = app.signed_up("someone").await;
    // Not an admin: refused, and nothing issued.
    let refused = app
        .call(&someone, "admin/keys/issue", &[("client", "quests")])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get_fn(&someone, "admin/keys", &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    // A client's name out of bounds, on both sides.
    for bad in ["", "   ", &"q".repeat(61)] {
        let response = app
            .call(&boss, "admin/keys/issue", &[("client", bad)])
            .await;
        let (status, body) = error_of(response).await;
        assert_eq!(
            (status, body["Invalid"]["field"].as_str()),
            (400, Some("client")),
            "{bad:?}: {body}"
        );
    }
    let keys: i64 = sqlx::query_scalar("select count(*) from api_keys")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(keys, 0, "nothing issued");

    let issued: Value = app
        .call(&boss, "admin/keys/issue", &[("client", &"q".repeat(60))])
        .await
        .json()
        .await
        .unwrap();
    let key = issued["key"].as_str().unwrap().to_owned();
    let id = issued["id"].as_i64().unwrap();
    let profile = |key: String| {
        let url = app.url("/api/v1/players/boss");
        async move {
            client()
                .get(url)
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(profile(key.clone()).await, StatusCode::OK, "the key works");
    // Listed without the key itself.
    let list = app
        .get_fn(&boss, "admin/keys", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        list.contains(&"q".repeat(60)) && !list.contains(&key),
        "{list}"
    );

    let revoked = app
        .call(&boss, "admin/keys/revoke", &[("id", &id.to_string())])
        .await;
    assert!(revoked.status().is_success(), "{revoked:?}");
    assert_eq!(profile(key).await, StatusCode::UNAUTHORIZED, "revoked");
    let listed: Value = app
        .get_fn(&boss, "admin/keys", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(listed[0]["revoked_at"].is_string(), "{listed}");
    // An unknown key is named as such.
    let unknown = app
        .call(&boss, "admin/keys/revoke", &[("id", "999999")])
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}
