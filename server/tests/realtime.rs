//! The real-time pipeline, black-box: rows in `events`, written by the app or by hand, reach
//! the players allowed to see them over `GET /events` (Server-Sent Events), in commit order and
//! exactly once, through the loss of the server's LISTEN connection and across server
//! instances. Reconnecting with a last event id replays what was missed; a resume point older
//! than retention, or a reader too slow to keep up, gets `resync`.
//!
//! Each test runs the real server on port 0 against a fresh database.

mod common;
#[path = "common/sse.rs"]
mod sse;

use std::time::Duration;

use common::{client, fresh_database, spawn_app, spawn_app_on, TestApp};
use reqwest::{
    header::{self, HeaderMap},
    Client, StatusCode,
};
use serde_json::json;
use sqlx::{postgres::PgPoolOptions, Connection, Executor, PgConnection, PgPool};
use sse::{Message, SseClient};
use tokio::time::{sleep, timeout_at, Instant};

/// How long a test waits for something that should arrive.
const ARRIVES: Duration = Duration::from_secs(10);
/// How long a test watches for something that must not arrive.
const QUIET: Duration = Duration::from_millis(500);

/// A live event goes to everyone when public, else only to its audience; the stream is
/// served as an unbuffered event stream, and only to a signed-in player.
#[tokio::test]
async fn live_events_reach_the_audience_and_no_one_else() {
    let app = spawn_app().await;
    let (ann, ann_id) = app.signed_up("ann").await;
    let (ben, _) = app.signed_up("ben").await;
    let (_cat, cat_id) = app.signed_up("cat").await;
    wait_for_fan_out(&app, &ann).await;

    let mut to_ann = SseClient::connect(&app.url("/events"), &ann, None).await;
    let mut to_ben = SseClient::connect(&app.url("/events"), &ben, None).await;
    let headers = to_ann.headers();
    assert!(
        header_of(headers, header::CONTENT_TYPE.as_str()).starts_with("text/event-stream"),
        "{headers:?}"
    );
    assert!(
        header_of(headers, header::CACHE_CONTROL.as_str()).contains("no-cache"),
        "{headers:?}"
    );
    assert_eq!(header_of(headers, "x-accel-buffering"), "no");

    let for_ann = insert_private_event(&app.pool, "for_ann", &[ann_id]).await;
    let for_cat = insert_private_event(&app.pool, "for_cat", &[cat_id]).await;
    let for_all = insert_public_event(&app.pool, "for_all").await;
    assert!(for_ann < for_cat && for_cat < for_all, "ids follow commits");

    let first = expect_next(&mut to_ann, "ann").await;
    assert_eq!((first.id, first.kind.as_str()), (Some(for_ann), "for_ann"));
    assert_eq!(first.data, json!({ "note": "for_ann" }));
    let second = expect_next(&mut to_ann, "ann").await;
    assert_eq!(
        (second.id, second.kind.as_str()),
        (Some(for_all), "for_all"),
        "cat's private event is not ann's"
    );
    assert_quiet(&mut to_ann, "ann").await;

    let only = expect_next(&mut to_ben, "ben").await;
    assert_eq!(
        (only.id, only.kind.as_str()),
        (Some(for_all), "for_all"),
        "ben sees the public event and nothing private"
    );
    assert_quiet(&mut to_ben, "ben").await;

    let anonymous = client().get(app.url("/events")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let forged = client()
        .get(app.url("/events"))
        .header(
            header::COOKIE,
            format!("meridian_session={}", "0".repeat(64)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}

/// A change made in psql reaches browsers: nothing but the row itself is needed.
#[tokio::test]
async fn a_row_inserted_by_hand_is_delivered() {
    let url = fresh_database().await;
    let app = spawn_app_on(url.clone()).await;
    let (ann, _) = app.signed_up("ann").await;
    wait_for_fan_out(&app, &ann).await;
    let mut sse = SseClient::connect(&app.url("/events"), &ann, None).await;

    // As in psql: a connection of its own, a literal statement, autocommit.
    let mut psql = PgConnection::connect(&url).await.unwrap();
    psql.execute(
        r#"insert into events (kind, public, payload)
           values ('by_hand', true, '{"note": "typed in psql"}')"#,
    )
    .await
    .unwrap();
    let stored: Option<i64> = sqlx::query_scalar("select id from events where kind = 'by_hand'")
        .fetch_one(&mut psql)
        .await
        .unwrap();
    let stored = stored.expect("the commit assigned an id");

    let message = expect_next(&mut sse, "ann").await;
    assert_eq!(message.id, Some(stored));
    assert_eq!(message.kind, "by_hand");
    assert_eq!(message.data, json!({ "note": "typed in psql" }));
}

/// Ids are assigned at commit, so a transaction that inserts first but commits last gets the
/// higher id and is delivered after, not skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ids_that_commit_out_of_order_are_not_skipped() {
    let app = spawn_app().await;
    let (ann, _) = app.signed_up("ann").await;
    wait_for_fan_out(&app, &ann).await;
    let mut sse = SseClient::connect(&app.url("/events"), &ann, None).await;

    let mut late = app.pool.begin().await.unwrap();
    let late_row: i64 = sqlx::query_scalar(
        "insert into events (kind, public, payload) values ('late', true, '{}') returning row_key",
    )
    .fetch_one(&mut *late)
    .await
    .unwrap();
    let id_while_open: Option<i64> = sqlx::query_scalar("select id from events where row_key = $1")
        .bind(late_row)
        .fetch_one(&mut *late)
        .await
        .unwrap();
    assert_eq!(id_while_open, None, "no id before the commit");

    let early = insert_public_event(&app.pool, "early").await;
    let first = expect_next(&mut sse, "ann").await;
    assert_eq!((first.id, first.kind.as_str()), (Some(early), "early"));
    assert_quiet(&mut sse, "ann while the late transaction is open").await;

    late.commit().await.unwrap();
    let late_id = committed_id(&app.pool, late_row).await;
    assert!(late_id > early, "{late_id} committed after {early}");
    let second = expect_next(&mut sse, "ann").await;
    assert_eq!((second.id, second.kind.as_str()), (Some(late_id), "late"));
    assert_quiet(&mut sse, "ann after both commits").await;
}

/// Sixteen writers at once while the server's LISTEN connection is killed twice: every event
/// arrives once, in id order, and exactly the stored ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_writers_while_the_listener_connection_is_killed() {
    const WRITERS: usize = 16;
    const ROWS_EACH: usize = 500;
    const TOTAL: usize = WRITERS * ROWS_EACH;

    let url = fresh_database().await;
    let app = spawn_app_on(url.clone()).await;
    let (ann, _) = app.signed_up("ann").await;
    wait_for_fan_out(&app, &ann).await;
    let before: i64 = sqlx::query_scalar("select coalesce(max(id), 0) from events")
        .fetch_one(&app.pool)
        .await
        .unwrap();

    let events_url = app.url("/events");
    let sse = SseClient::connect(&events_url, &ann, None).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let reader = tokio::spawn(read_storm(
        events_url,
        ann.clone(),
        sse,
        before,
        TOTAL,
        deadline,
    ));

    // The writers' own pool, so they do not starve the server's.
    let writers_pool = PgPoolOptions::new()
        .max_connections(WRITERS as u32)
        .connect(&url)
        .await
        .unwrap();
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| tokio::spawn(write_storm(writers_pool.clone(), writer, ROWS_EACH)))
        .collect();

    // One connection of its own, so the kill query never matches the connection running it.
    let mut killer = PgConnection::connect(&url).await.unwrap();
    let mut terminated = 0;
    for committed in [TOTAL / 4, TOTAL / 2] {
        wait_until_committed(&mut killer, "storm", committed).await;
        terminated += terminate_listener(&mut killer).await;
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let (received, resyncs) = reader.await.unwrap();

    assert!(
        terminated >= 1,
        "no LISTEN backend was found to terminate while writing"
    );
    let stored = ids_of_kind(&app.pool, "storm").await;
    assert_eq!(stored.len(), TOTAL);
    assert_eq!(
        received.len(),
        TOTAL,
        "received {} of {TOTAL} events ({resyncs} lag resyncs, {terminated} listener kills)",
        received.len()
    );
    assert_strictly_increasing(&received, "the storm");
    assert_same_ids(&received, &stored);
}

/// Resuming (by `Last-Event-ID` or `?after=`) replays, in order, exactly the missed events the
/// player may see, then carries on live.
#[tokio::test]
async fn reconnect_with_last_event_id_replays_only_what_was_missed_and_may_be_seen() {
    let app = spawn_app().await;
    let (ann, ann_id) = app.signed_up("ann").await;
    let (_ben, ben_id) = app.signed_up("ben").await;
    wait_for_fan_out(&app, &ann).await;
    let events = app.url("/events");

    let mut first_visit = SseClient::connect(&events, &ann, None).await;
    let e1 = insert_public_event(&app.pool, "e1").await;
    assert_eq!(expect_next(&mut first_visit, "ann").await.id, Some(e1));
    drop(first_visit);

    let e2 = insert_public_event(&app.pool, "e2").await;
    let e3 = insert_private_event(&app.pool, "e3", &[ann_id]).await;
    let _e4 = insert_private_event(&app.pool, "e4", &[ben_id]).await;

    let mut by_header = SseClient::connect(&events, &ann, Some(e1)).await;
    let mut by_query =
        SseClient::connect(&app.url(&format!("/events?after={e1}")), &ann, None).await;
    for (sse, how) in [
        (&mut by_header, "Last-Event-ID"),
        (&mut by_query, "?after="),
    ] {
        let replayed = sse.collect(2, ARRIVES).await;
        assert_eq!(
            ids_and_kinds(&replayed),
            [(Some(e2), "e2"), (Some(e3), "e3")],
            "resuming with {how}"
        );
        assert_eq!(replayed[1].data, json!({ "note": "e3" }));
        assert_quiet(sse, &format!("ann resuming with {how}")).await;
    }

    // After the replay the stream carries on live, without a gap or a repeat.
    let e5 = insert_public_event(&app.pool, "e5").await;
    for (sse, how) in [
        (&mut by_header, "Last-Event-ID"),
        (&mut by_query, "?after="),
    ] {
        let live = expect_next(sse, how).await;
        assert_eq!((live.id, live.kind.as_str()), (Some(e5), "e5"), "{how}");
        assert_quiet(sse, how).await;
    }
}

/// A resume point from before the pruned range cannot be replayed: the first message is
/// `resync`, whose id is the newest event there is (the page refetches, then goes on from
/// there); the stream then carries only what is newer.
#[tokio::test]
async fn an_id_older_than_retention_gets_resync() {
    let app = spawn_app().await;
    let (ann, _) = app.signed_up("ann").await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(insert_public_event(&app.pool, "old_news").await);
    }
    let pruned_through = ids[2];
    sqlx::query("delete from events where id <= $1")
        .bind(pruned_through)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("update event_log set pruned_through = $1")
        .bind(pruned_through)
        .execute(&app.pool)
        .await
        .unwrap();

    let by_header = SseClient::connect(&app.url("/events"), &ann, Some(ids[0])).await;
    let by_query =
        SseClient::connect(&app.url(&format!("/events?after={}", ids[0])), &ann, None).await;
    let mut cut = Vec::new();
    for (mut sse, how) in [(by_header, "Last-Event-ID"), (by_query, "?after=")] {
        let first = expect_next(&mut sse, how).await;
        assert_eq!(first.kind, "resync", "{how}: {first:?}");
        let resume = first.id.expect("a resync says where to resume");
        assert!(
            resume >= ids[4],
            "{how}: resumes from {resume}, before {}",
            ids[4]
        );
        cut.push((sse, how, resume));
    }
    let fresh = insert_public_event(&app.pool, "fresh").await;
    for (sse, how, resume) in &mut cut {
        let next = expect_next(sse, how).await;
        assert_eq!(
            (next.id, next.kind.as_str()),
            (Some(fresh), "fresh"),
            "{how}"
        );
        assert!(fresh > *resume);
    }

    // Resuming exactly at the pruned edge loses nothing: it is a plain replay.
    let mut at_edge = SseClient::connect(&app.url("/events"), &ann, Some(pruned_through)).await;
    assert_eq!(
        at_edge.collect_ids(3, ARRIVES).await,
        [ids[3], ids[4], fresh]
    );
    assert_quiet(&mut at_edge, "ann at the pruned edge").await;
}

/// Instances share nothing but the database: an event written through one reaches a stream
/// served by the other, both ways.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_deliver_each_others_events() {
    let url = fresh_database().await;
    let one = spawn_app_on(url.clone()).await;
    let two = spawn_app_on(url).await;
    let (xena, xena_id) = two.signed_up("xena").await;
    let (zed, _) = one.signed_up("zed").await;
    let probes = vec![
        SseClient::connect(&one.url("/events"), &zed, None).await,
        SseClient::connect(&two.url("/events"), &xena, None).await,
    ];
    settle(&one.pool, probes).await;
    let mut on_two = SseClient::connect(&two.url("/events"), &xena, None).await;
    let mut on_one = SseClient::connect(&one.url("/events"), &zed, None).await;

    // Written through instance one.
    let (_yuri, yuri_id) = one.signed_up("yuri").await;
    for (sse, who) in [(&mut on_two, "xena on two"), (&mut on_one, "zed on one")] {
        let joined = expect_next(sse, who).await;
        assert_eq!(joined.kind, "player_joined", "{who}: {joined:?}");
        assert_eq!(joined.data["id"], yuri_id, "{who}: {joined:?}");
        assert_eq!(joined.data["handle"], "yuri", "{who}: {joined:?}");
    }

    // Written through instance two.
    let response = two
        .call(
            &xena,
            "home/from_position",
            &[("lat", "48.8606"), ("lon", "2.3376")],
        )
        .await;
    assert!(response.status().is_success(), "{response:?}");
    for (sse, who) in [(&mut on_one, "zed on one"), (&mut on_two, "xena on two")] {
        let updated = expect_next(sse, who).await;
        assert_eq!(updated.kind, "player_updated", "{who}: {updated:?}");
        assert_eq!(updated.data["id"], xena_id, "{who}: {updated:?}");
        assert_eq!(updated.data["home"]["city"], "Paris", "{who}: {updated:?}");
    }
}

/// A reader that stops reading is cut off with `resync` once its queue overflows; a reader
/// that keeps up gets everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_client_is_cut_to_resync_while_a_fast_one_keeps_up() {
    // Batches stay well under the 256-event queue and the fast reader drains each before the
    // next is written, so only the slow one can fall behind. In all about 15 MB: more than
    // the socket buffers between the server and an unread response can absorb (a few MB on
    // loopback), so the slow reader's queue must overflow.
    const BATCH: usize = 100;
    const BATCHES: usize = 50;
    const TOTAL: usize = BATCH * BATCHES;
    const PAD: i32 = 3000;

    let app = spawn_app().await;
    let (hare, _) = app.signed_up("hare").await;
    let (tortoise, _) = app.signed_up("tortoise").await;
    wait_for_fan_out(&app, &hare).await;
    let mut fast = SseClient::connect(&app.url("/events"), &hare, None).await;
    let mut slow = SseClient::connect(&app.url("/events"), &tortoise, None).await;

    let mut fast_ids = Vec::with_capacity(TOTAL);
    for batch in 0..BATCHES {
        sqlx::query(
            "insert into events (kind, public, payload)
             select 'bulk', true, jsonb_build_object('n', g, 'pad', repeat('x', $2))
             from generate_series(1, $1) g",
        )
        .bind(BATCH as i32)
        .bind(PAD)
        .execute(&app.pool)
        .await
        .unwrap();
        let ids = fast.collect_ids(BATCH, 3 * ARRIVES).await;
        assert_eq!(
            ids.len(),
            BATCH,
            "the fast reader fell short in batch {batch}"
        );
        fast_ids.extend(ids);
    }
    assert_strictly_increasing(&fast_ids, "the fast reader");
    assert_same_ids(&fast_ids, &ids_of_kind(&app.pool, "bulk").await);

    let mut before_resync = Vec::new();
    let resync = loop {
        match slow.next_within(ARRIVES).await {
            Some(message) if message.kind == "resync" => break message,
            Some(message) => {
                assert_eq!(message.kind, "bulk", "{message:?}");
                before_resync.push(message.id.expect("durable events carry ids"));
            }
            None => panic!(
                "the slow reader was never cut off: it read {} of {TOTAL} events, then {}",
                before_resync.len(),
                if slow.ended() {
                    "the stream ended"
                } else {
                    "nothing more came"
                }
            ),
        }
    };
    // It says where to resume: the newest event there was, so the tab refetches and goes on
    // from there instead of replaying what it fell behind on (and falling behind again).
    let newest = *fast_ids.last().unwrap();
    assert_eq!(resync.id, Some(newest), "{resync:?}");
    assert!(before_resync.len() < TOTAL);
    assert_strictly_increasing(&before_resync, "the slow reader");
    assert!(
        before_resync
            .iter()
            .all(|id| fast_ids.binary_search(id).is_ok()),
        "the slow reader got only real events"
    );
    let after = slow.next_within(ARRIVES).await;
    assert!(
        after.is_none() && slow.ended(),
        "the stream ends after a lag resync; got {after:?}"
    );
    // Reconnecting as a browser does (the resync's id as Last-Event-ID) replays nothing stale.
    let mut back = SseClient::connect(&app.url("/events"), &tortoise, resync.id).await;
    let fresh = insert_public_event(&app.pool, "fresh").await;
    let first = expect_next(&mut back, "the tortoise, back").await;
    assert_eq!((first.id, first.kind.as_str()), (Some(fresh), "fresh"));
}

/// Every stream first tells the browser how long to wait before reconnecting, a random 1–5 s,
/// so the streams a shutdown ends do not all reconnect at once.
#[tokio::test]
async fn each_stream_sets_a_random_reconnection_delay() {
    let app = spawn_app().await;
    let (ann, _) = app.signed_up("ann").await;
    let mut delays = std::collections::BTreeSet::new();
    for _ in 0..5 {
        let mut response = ann
            .get(app.url("/events"))
            .header("accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        let first = tokio::time::timeout(ARRIVES, response.chunk())
            .await
            .expect("the first message comes at once")
            .unwrap()
            .unwrap();
        let text = String::from_utf8_lossy(&first).to_string();
        let delay: u64 = text
            .lines()
            .find_map(|l| l.strip_prefix("retry:"))
            .unwrap_or_else(|| panic!("no retry field first: {text:?}"))
            .trim()
            .parse()
            .unwrap();
        assert!((1000..5000).contains(&delay), "{delay}");
        delays.insert(delay);
    }
    assert!(delays.len() > 1, "five streams, one delay: {delays:?}");
}

/// The app's own changes are events: signing up and choosing a home, which shows the city
/// centre and never the reported position.
#[tokio::test]
async fn signing_up_and_setting_a_home_are_events() {
    let app = spawn_app().await;
    let (ann, _) = app.signed_up("ann").await;
    wait_for_fan_out(&app, &ann).await;
    let mut sse = SseClient::connect(&app.url("/events"), &ann, None).await;

    let (bea, bea_id) = app.signed_up("bea").await;
    let joined = expect_next(&mut sse, "ann").await;
    assert_eq!(joined.kind, "player_joined", "{joined:?}");
    assert!(joined.id.is_some(), "{joined:?}");
    assert_eq!(
        joined.data,
        json!({ "id": bea_id, "handle": "bea", "display_name": "Bea", "home": null })
    );

    let response = app
        .call(
            &bea,
            "home/from_position",
            &[("lat", "48.8606"), ("lon", "2.3376")],
        )
        .await;
    assert!(response.status().is_success(), "{response:?}");
    let updated = expect_next(&mut sse, "ann").await;
    assert_eq!(updated.kind, "player_updated", "{updated:?}");
    assert!(updated.id > joined.id, "{updated:?}");
    assert_eq!(updated.data["id"], bea_id);
    assert_eq!(updated.data["handle"], "bea");
    assert_eq!(updated.data["display_name"], "Bea");
    let home = &updated.data["home"];
    assert_eq!(home["city"], "Paris", "{home}");
    assert_eq!(home["country_code"], "FR", "{home}");
    assert_eq!(home["lat"], 48.85341, "the city centre: {home}");
    assert_eq!(home["lon"], 2.3488, "the city centre: {home}");
    assert_eq!(*home, app.me(&bea).await["home"]);

    // The exact position is neither sent nor kept in the replayable log.
    assert!(
        !updated.raw.contains("48.8606") && !updated.raw.contains("2.3376"),
        "{}",
        updated.raw
    );
    let leaked: i64 = sqlx::query_scalar(
        "select count(*) from events where payload::text like '%48.8606%' or payload::text like '%2.3376%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(leaked, 0);
}

// Helpers.

/// A new player signed in in a client of their own, and their id.
/// Returns once the server has fanned out everything committed so far, so a live connection
/// opened afterwards sees only what is written later (signing up writes an event too).
async fn wait_for_fan_out(app: &TestApp, client: &Client) {
    let probe = SseClient::connect(&app.url("/events"), client, None).await;
    settle(&app.pool, vec![probe]).await;
}

/// Writes a marker event and reads each probe (a live stream, one per instance) up to it:
/// then every instance has fanned out everything committed before the marker.
async fn settle(pool: &PgPool, probes: Vec<SseClient>) {
    let marker = insert_public_event(pool, "fan_out_marker").await;
    for mut probe in probes {
        while expect_next(&mut probe, "a fan-out probe").await.id != Some(marker) {}
    }
}

/// Inserts a committed event with `{"note": kind}` as payload, and returns its id.
async fn insert_event(pool: &PgPool, kind: &str, public: bool, audience: &[i64]) -> i64 {
    let row_key: i64 = sqlx::query_scalar(
        "insert into events (kind, public, audience, payload) values ($1, $2, $3, $4)
         returning row_key",
    )
    .bind(kind)
    .bind(public)
    .bind(audience)
    .bind(json!({ "note": kind }))
    .fetch_one(pool)
    .await
    .expect("insert event");
    committed_id(pool, row_key).await
}

async fn insert_public_event(pool: &PgPool, kind: &str) -> i64 {
    insert_event(pool, kind, true, &[]).await
}

async fn insert_private_event(pool: &PgPool, kind: &str, audience: &[i64]) -> i64 {
    insert_event(pool, kind, false, audience).await
}

/// The id the commit gave the row (`returning id` is still NULL inside the statement).
async fn committed_id(pool: &PgPool, row_key: i64) -> i64 {
    let id: Option<i64> = sqlx::query_scalar("select id from events where row_key = $1")
        .bind(row_key)
        .fetch_one(pool)
        .await
        .expect("read event id");
    id.expect("a committed event has an id")
}

/// The stored ids of one kind, in order.
async fn ids_of_kind(pool: &PgPool, kind: &str) -> Vec<i64> {
    let ids: Option<Vec<i64>> =
        sqlx::query_scalar("select array_agg(id order by id) from events where kind = $1")
            .bind(kind)
            .fetch_one(pool)
            .await
            .expect("stored ids");
    ids.unwrap_or_default()
}

async fn expect_next(sse: &mut SseClient, who: &str) -> Message {
    let next = sse.next_within(ARRIVES).await;
    next.unwrap_or_else(|| {
        panic!(
            "{who}: nothing arrived within {ARRIVES:?} (stream ended: {}, error: {:?})",
            sse.ended(),
            sse.error()
        )
    })
}

/// Nothing arrives for a while, and the stream is still open.
async fn assert_quiet(sse: &mut SseClient, who: &str) {
    if let Some(extra) = sse.next_within(QUIET).await {
        panic!("{who} got an unexpected message: {extra:?}");
    }
    assert!(!sse.ended(), "{who}'s stream ended ({:?})", sse.error());
}

fn ids_and_kinds(messages: &[Message]) -> Vec<(Option<i64>, &str)> {
    messages.iter().map(|m| (m.id, m.kind.as_str())).collect()
}

fn header_of<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header: {headers:?}"))
}

fn assert_strictly_increasing(ids: &[i64], what: &str) {
    if let Some(at) = ids.windows(2).position(|pair| pair[0] >= pair[1]) {
        panic!(
            "{what}: id {} came after {} (position {})",
            ids[at + 1],
            ids[at],
            at + 1
        );
    }
}

/// Compares long id lists, reporting the first difference rather than thousands of numbers.
fn assert_same_ids(received: &[i64], stored: &[i64]) {
    if let Some(at) = received.iter().zip(stored).position(|(r, s)| r != s) {
        panic!(
            "received id {} where the database has {} (position {at})",
            received[at], stored[at]
        );
    }
    assert_eq!(received.len(), stored.len(), "received vs stored count");
}

/// One storm writer: single-row autocommit inserts, or for every fourth writer transactions
/// of five rows (one commit, five ids).
async fn write_storm(pool: PgPool, writer: usize, rows: usize) {
    const INSERT: &str = "insert into events (kind, public, payload) values ('storm', true, $1)";
    if writer.is_multiple_of(4) {
        for start in (0..rows).step_by(5) {
            let mut tx = pool.begin().await.expect("begin");
            for n in start..(start + 5).min(rows) {
                sqlx::query(INSERT)
                    .bind(json!({ "writer": writer, "n": n }))
                    .execute(&mut *tx)
                    .await
                    .expect("insert in transaction");
            }
            tx.commit().await.expect("commit");
        }
    } else {
        for n in 0..rows {
            sqlx::query(INSERT)
                .bind(json!({ "writer": writer, "n": n }))
                .execute(&pool)
                .await
                .expect("insert");
        }
    }
}

/// Reads storm events until `want` have arrived or `deadline` passes.
///
/// Publishing never waits for a stream, so a burst (a catch-up after the listener reconnects)
/// may overflow even a reader that keeps up; the stream then says `resync` and ends. That is
/// the documented signal, not a loss, so the reader resumes from the last id it received, as
/// the contract allows: any gap or repeat still shows in the ids. Returns the ids and how
/// many resyncs there were.
async fn read_storm(
    url: String,
    client: Client,
    mut sse: SseClient,
    mut last: i64,
    want: usize,
    deadline: Instant,
) -> (Vec<i64>, usize) {
    let mut ids = Vec::with_capacity(want);
    let mut resyncs = 0;
    // Whether nothing has arrived yet on a stream opened to resume.
    let mut just_resumed = false;
    while ids.len() < want {
        let Ok(next) = timeout_at(deadline, sse.next()).await else {
            break;
        };
        match next {
            // A `resync` carries an id too (where a page that refetched would resume).
            Some(Message {
                id: Some(id), kind, ..
            }) if kind != "resync" => {
                assert_eq!(kind, "storm", "only storm events are written (id {id})");
                ids.push(id);
                last = id;
                just_resumed = false;
            }
            Some(message) => {
                assert_eq!(message.kind, "resync", "{message:?}");
                assert!(
                    !just_resumed,
                    "resuming from {last} was refused: the reader fell too far behind"
                );
                resyncs += 1;
                just_resumed = true;
                sse = SseClient::connect(&url, &client, Some(last)).await;
            }
            None => panic!(
                "the stream ended without a resync after {} events ({:?})",
                ids.len(),
                sse.error()
            ),
        }
    }
    (ids, resyncs)
}

async fn wait_until_committed(conn: &mut PgConnection, kind: &str, rows: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let committed: i64 = sqlx::query_scalar("select count(*) from events where kind = $1")
            .bind(kind)
            .fetch_one(&mut *conn)
            .await
            .expect("count events");
        if committed as usize >= rows {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "only {committed} of {rows} events committed after a minute"
        );
        sleep(Duration::from_millis(10)).await;
    }
}

/// Terminates the server's LISTEN connection, retrying briefly while it reconnects; returns
/// how many backends were terminated.
async fn terminate_listener(conn: &mut PgConnection) -> usize {
    for _ in 0..100 {
        let terminated: Vec<bool> = sqlx::query_scalar(
            "select pg_terminate_backend(pid) from pg_stat_activity
             where datname = current_database()
               and pid <> pg_backend_pid()
               and query ilike '%listen%'",
        )
        .fetch_all(&mut *conn)
        .await
        .expect("terminate listener");
        let count = terminated.into_iter().filter(|done| *done).count();
        if count > 0 {
            return count;
        }
        sleep(Duration::from_millis(20)).await;
    }
    0
}

/// One session may hold so many streams and no more (a runaway page cannot pile them up);
/// closing one makes room, and another session of the same player is not counted.
#[tokio::test]
async fn a_session_may_hold_only_so_many_streams() {
    let app = spawn_app().await;
    let (ann, _) = app.signed_up("ann").await;
    let mut open = Vec::new();
    for _ in 0..app::backend::realtime::hub::PER_SESSION {
        open.push(SseClient::connect(&app.url("/events"), &ann, None).await);
    }
    let refused = ann.get(app.url("/events")).send().await.unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!("TooManyStreams")
    );
    drop(open.pop());
    // The server notices the closed stream when it next writes to it, or at once on drop.
    let reopened = async {
        loop {
            let response = ann.get(app.url("/events")).send().await.unwrap();
            if response.status().is_success() {
                return response;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(ARRIVES, reopened)
        .await
        .expect("a closed stream makes room");
}

/// A client that stops reading is cut once what was written to it stays unacknowledged for
/// the write timeout, instead of holding its connection (and the stream's buffers) open for as
/// long as the kernel keeps probing a shut window.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_that_stops_reading_is_cut_by_the_write_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let settings = app::backend::Settings {
        write_timeout: Duration::from_secs(2),
        ..common::test_settings()
    };
    let app = common::spawn_app_with(fresh_database().await, settings).await;
    let (_, ann) = app.signed_up("ann").await;
    let token = app::backend::sessions::create(&app.pool, ann)
        .await
        .unwrap();

    // A tiny receive buffer, and never a read: the window shuts soon.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let addr = app
        .url("/")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let mut tcp = socket.connect(addr.parse().unwrap()).await.unwrap();
    tcp.write_all(
        format!(
            "GET /events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\
             Cookie: {}={token}\r\n\r\n",
            app::backend::sessions::COOKIE
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    // Far more than the socket buffers between the two hold.
    for _ in 0..20 {
        sqlx::query(
            "insert into events (kind, public, payload)
             select 'bulk', true, jsonb_build_object('pad', repeat('x', 3000))
             from generate_series(1, 100)",
        )
        .execute(&app.pool)
        .await
        .unwrap();
    }
    // The write timeout runs out while the window is shut (zero-window probes are answered,
    // but nothing written is acknowledged)...
    sleep(Duration::from_secs(8)).await;
    // ...so by now the server has given the connection up: reading opens the window, and the
    // answer is the end of the connection, not more of the stream.
    let mut buffer = vec![0; 64 * 1024];
    let cut = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match tcp.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(cut.is_ok(), "the connection was still open 23 s later");
}
