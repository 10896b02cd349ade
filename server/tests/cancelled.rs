//! A request cut off while it begins a transaction (the browser navigated away; the server
//! drops the request's future) leaves no transaction open on the pooled connection. sqlx's own
//! `begin` does: its guard rolls back only a transaction it has counted, and it counts one
//! only once Postgres has answered the `BEGIN`. A connection returned to the pool inside that
//! transaction ran every later statement in it, uncommitted: a sign-up's player row stayed
//! invisible to the next statement, which failed on the foreign key (two Playwright tests in
//! one CI run), and a later rollback would have taken those rows with it.

mod common;

use std::{future::Future, pin::pin, task::Poll};

use app::backend::db;
use common::fresh_database;
use sqlx::{postgres::PgPoolOptions, PgPool};

/// Polls `future` `times` times, yielding to the runtime between polls, then drops it.
async fn cut_off<F: Future>(future: F, times: usize) {
    let mut future = pin!(future);
    for _ in 0..times {
        let done =
            std::future::poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx).is_ready())).await;
        if done {
            return;
        }
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn a_transaction_cut_off_while_it_begins_leaves_none_open() {
    let url = fresh_database().await;
    // One connection: whatever the cut-off begin leaves on it, the next statement meets.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap();
    let observer = PgPool::connect(&url).await.unwrap();
    sqlx::query("create table cut_off (n int primary key)")
        .execute(&pool)
        .await
        .unwrap();
    let mut left_open = Vec::new();
    for n in 0..300 {
        // Cut off after 1 to 6 polls: some before the BEGIN is written, some while its
        // answer is on the way, some after.
        cut_off(db::begin(&pool), 1 + n % 6).await;
        sqlx::query("insert into cut_off values ($1)")
            .bind(n as i32)
            .execute(&pool)
            .await
            .unwrap();
        // Committed on its own, the row is there for any other connection at once.
        let seen: bool = sqlx::query_scalar("select exists (select 1 from cut_off where n = $1)")
            .bind(n as i32)
            .fetch_one(&observer)
            .await
            .unwrap();
        if !seen {
            left_open.push(n);
            // End what was left open, so each attempt starts clean.
            sqlx::query("commit").execute(&pool).await.unwrap();
        }
    }
    assert!(
        left_open.is_empty(),
        "{} of 300 cut-off begins left the connection in a transaction (attempts {:?}…)",
        left_open.len(),
        &left_open[..left_open.len().min(10)]
    );
}
