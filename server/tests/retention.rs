//! Retention of the event log: old events are deleted and the log records how far, so a
//! browser resuming from before that point is told to resync.

mod common;

use std::time::Duration;

use app::backend::realtime::log;
use common::spawn_app;

#[tokio::test]
async fn pruning_deletes_old_events_and_records_how_far() {
    let app = spawn_app().await;
    // Events the server wrote at start (its round's announcement) come before the test's, so
    // pruning up to the old ones takes them too.
    let earlier: i64 = sqlx::query_scalar("select count(*) from events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    for kind in ["old_a", "old_b", "recent"] {
        sqlx::query("insert into events (kind, public, payload) values ($1, true, '{}')")
            .bind(kind)
            .execute(&app.pool)
            .await
            .unwrap();
    }
    sqlx::query(
        "update events set created_at = now() - interval '2 hours' where kind like 'old_%'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let old_max: i64 = sqlx::query_scalar("select max(id) from events where kind like 'old_%'")
        .fetch_one(&app.pool)
        .await
        .unwrap();

    // Keeping three hours deletes nothing; keeping one hour deletes the two old ones (and what
    // came before them).
    assert_eq!(
        log::prune(&app.pool, Duration::from_secs(3 * 3600))
            .await
            .unwrap(),
        0
    );
    assert_eq!(log::pruned_through(&app.pool).await.unwrap(), 0);
    assert_eq!(
        log::prune(&app.pool, Duration::from_secs(3600))
            .await
            .unwrap(),
        earlier as u64 + 2
    );
    assert_eq!(log::pruned_through(&app.pool).await.unwrap(), old_max);
    let left: Vec<String> =
        sqlx::query_scalar("select kind from events where kind in ('old_a', 'old_b', 'recent')")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(left, ["recent"]);
    // Pruning again changes nothing.
    assert_eq!(
        log::prune(&app.pool, Duration::from_secs(3600))
            .await
            .unwrap(),
        0
    );
    assert_eq!(log::pruned_through(&app.pool).await.unwrap(), old_max);
}
