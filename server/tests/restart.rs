//! The real binary killed with SIGKILL and started again on the same port and database: a
//! browser that reconnects with `Last-Event-ID` gets exactly what it missed.

mod common;
#[path = "common/sse.rs"]
mod sse;

use std::{process::Stdio, time::Duration};

use common::{client, fresh_database};
use serde_json::json;
use sqlx::PgPool;
use sse::SseClient;
use tokio::process::{Child, Command};

/// Starts `meridian` on `port` and waits until it is ready.
async fn start(database_url: &str, port: u16) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_meridian"))
        .env("DATABASE_URL", database_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("MERIDIAN_TILE_URL", "")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the server binary");
    let ready = format!("http://127.0.0.1:{port}/readyz");
    for _ in 0..300 {
        if let Ok(response) = reqwest::get(&ready).await {
            if response.status().is_success() {
                return child;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not become ready on port {port}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn insert(pool: &PgPool, n: i64) -> i64 {
    let row_key: i64 = sqlx::query_scalar(
        "insert into events (kind, public, payload) values ('restart_test', true, $1) returning row_key",
    )
    .bind(json!({ "n": n }))
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query_scalar::<_, Option<i64>>("select id from events where row_key = $1")
        .bind(row_key)
        .fetch_one(pool)
        .await
        .unwrap()
        .expect("committed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_restarts_and_reconnecting_clients_miss_nothing() {
    let database_url = fresh_database().await;
    let pool = PgPool::connect(&database_url).await.unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(&database_url, port).await;

    let browser = client();
    let signed_up = browser
        .post(format!("{base}/api/account/sign_up"))
        .header("accept", "application/json")
        .form(&[
            ("handle", "phoenix"),
            ("display_name", "Phoenix"),
            ("password", "correct horse"),
        ])
        .send()
        .await
        .unwrap();
    assert!(signed_up.status().is_success(), "{signed_up:?}");
    let after_sign_up: i64 = sqlx::query_scalar("select max(id) from events")
        .fetch_one(&pool)
        .await
        .unwrap();

    let mut stream =
        SseClient::connect(&format!("{base}/events"), &browser, Some(after_sign_up)).await;
    let first = insert(&pool, 1).await;
    let got = stream
        .next_within(Duration::from_secs(10))
        .await
        .expect("first event");
    assert_eq!(got.id, Some(first));

    server.kill().await.expect("SIGKILL");
    assert!(
        stream.next_within(Duration::from_secs(10)).await.is_none(),
        "the stream ends"
    );
    let missed = [insert(&pool, 2).await, insert(&pool, 3).await];

    let _server = start(&database_url, port).await;
    let mut stream = SseClient::connect(&format!("{base}/events"), &browser, got.id).await;
    for id in missed {
        let message = stream
            .next_within(Duration::from_secs(10))
            .await
            .expect("a missed event");
        assert_eq!(message.id, Some(id));
    }
    let later = insert(&pool, 4).await;
    let message = stream
        .next_within(Duration::from_secs(10))
        .await
        .expect("a live event");
    assert_eq!(message.id, Some(later), "live again, nothing repeated");
}
