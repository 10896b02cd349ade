//! The real binary killed with SIGKILL: started again on the same port and database, or with
//! a second instance taking over, a browser that reconnects with `Last-Event-ID` gets exactly
//! what it missed, and a send retried with its key is stored once.

mod common;
#[path = "common/sse.rs"]
mod sse;

use std::time::Duration;

use common::{client, free_port, fresh_database, start_binary as start};
use serde_json::json;
use sqlx::PgPool;
use sse::SseClient;

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

/// Two instances on one database; one is killed with SIGKILL while events are being written
/// and a message is being sent through it. The browser reconnects to the other with its last
/// event id and receives every event once, in order; the send, retried there with the same
/// key, is stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_killed_mid_write_hands_its_browsers_to_the_other() {
    const EVENTS: i64 = 150;
    let database_url = fresh_database().await;
    let pool = PgPool::connect(&database_url).await.unwrap();
    let (port_a, port_b) = (free_port(), free_port());
    let (base_a, base_b) = (
        format!("http://127.0.0.1:{port_a}"),
        format!("http://127.0.0.1:{port_b}"),
    );
    let mut server_a = start(&database_url, port_a).await;
    let _server_b = start(&database_url, port_b).await;

    // Cookies are kept per host, so one session serves both instances.
    let browser = client();
    for (handle, who) in [("ann", &browser), ("ben", &client())] {
        let signed_up = who
            .post(format!("{base_a}/api/account/sign_up"))
            .header("accept", "application/json")
            .form(&[
                ("handle", handle),
                ("display_name", handle),
                ("password", "correct horse"),
            ])
            .send()
            .await
            .unwrap();
        assert!(signed_up.status().is_success(), "{signed_up:?}");
    }
    let ben: i64 = sqlx::query_scalar("select id from players where handle = 'ben'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let chat: i64 = browser
        .post(format!("{base_a}/api/chat/start"))
        .header("accept", "application/json")
        .form(&[("with", ben.to_string())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let start_id: i64 = sqlx::query_scalar("select max(id) from events")
        .fetch_one(&pool)
        .await
        .unwrap();
    let mut stream =
        SseClient::connect(&format!("{base_a}/events"), &browser, Some(start_id)).await;

    let writer = {
        let pool = pool.clone();
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in 0..EVENTS {
                ids.push(insert(&pool, n).await);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            ids
        })
    };
    // Read from A until a third of the events are in, then kill it, with a send in flight.
    let mut received = Vec::new();
    while received.len() < (EVENTS / 3) as usize {
        let message = stream
            .next_within(Duration::from_secs(10))
            .await
            .expect("events from A");
        if message.kind == "restart_test" {
            received.push(message.id.unwrap());
        }
    }
    let send = |base: String| {
        let browser = browser.clone();
        async move {
            browser
                .post(format!("{base}/api/chat/send"))
                .header("accept", "application/json")
                .form(&[
                    ("chat_id", chat.to_string()),
                    ("body", "are you there?".into()),
                    ("client_key", "k-1".into()),
                ])
                .send()
                .await
        }
    };
    let in_flight = tokio::spawn(send(base_a.clone()));
    server_a.kill().await.expect("SIGKILL");
    let _ = in_flight.await.unwrap();
    // Whatever A answered (or not), the page retries the send on B with the same key.
    let retried = send(base_b.clone()).await.unwrap();
    assert!(retried.status().is_success(), "{retried:?}");

    // The stream ends with A; the browser reconnects to B from the last id it saw.
    while stream.next_within(Duration::from_secs(10)).await.is_some() {}
    let mut stream = SseClient::connect(
        &format!("{base_b}/events"),
        &browser,
        received.last().copied(),
    )
    .await;
    let written = writer.await.unwrap();
    while received.last() != written.last() {
        let message = stream
            .next_within(Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("{} of {EVENTS} received", received.len()));
        if message.kind == "restart_test" {
            received.push(message.id.unwrap());
        }
    }
    assert_eq!(
        received, written,
        "every event once, in order, across the kill"
    );
    let stored: i64 = sqlx::query_scalar("select count(*) from messages where client_key = 'k-1'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 1, "the send, retried, is stored once");
}
