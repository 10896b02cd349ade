//! The event listener's connection, black-box: killed again and again under NOTIFY traffic it
//! never hands a listening connection to the shared pool (whose next query would meet a
//! `NotificationResponse` and answer 500), and `/readyz` says 503 while it cannot listen.

mod common;
#[path = "common/sse.rs"]
mod sse;

use std::{
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use common::{client, fresh_database, spawn_app_on};
use reqwest::StatusCode;
use sqlx::{Connection, Executor, PgConnection};
use sse::SseClient;
use tokio::time::{sleep, Instant};

/// A hundred kills of the listener's backend while another connection notifies every few
/// milliseconds and four clients search places: no request fails, the shared pool's
/// connections never run `LISTEN`, and events still arrive afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_the_listener_never_poisons_the_shared_pool() {
    const KILLS: usize = 100;
    let url = fresh_database().await;
    let app = spawn_app_on(url.clone()).await;
    let (ann, _) = app.signed_up("ann").await;
    let stop = Arc::new(AtomicBool::new(false));

    // Wake-ups with nothing behind them, as many other instances' writes would be.
    let notifier = {
        let (url, stop) = (url.clone(), stop.clone());
        tokio::spawn(async move {
            let mut conn = PgConnection::connect(&url).await.unwrap();
            while !stop.load(Ordering::Relaxed) {
                conn.execute("select pg_notify('meridian_events', '0')")
                    .await
                    .unwrap();
                sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let (requests, failures) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let searchers: Vec<_> = (0..4)
        .map(|_| {
            let (search, stop) = (app.url("/api/home/search"), stop.clone());
            let (requests, failures, ann) = (requests.clone(), failures.clone(), ann.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let status = ann
                        .get(&search)
                        .header("accept", "application/json")
                        .query(&[("q", "Par")])
                        .send()
                        .await
                        .map(|r| r.status());
                    requests.fetch_add(1, Ordering::Relaxed);
                    if !matches!(status, Ok(StatusCode::OK)) {
                        failures.fetch_add(1, Ordering::Relaxed);
                        eprintln!("search failed: {status:?}");
                    }
                }
            })
        })
        .collect();

    let mut killer = PgConnection::connect(&url).await.unwrap();
    let mut kills = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while kills < KILLS {
        assert!(Instant::now() < deadline, "only {kills} kills in 120 s");
        let pooled_listeners: i64 = sqlx::query_scalar(
            "select count(*) from pg_stat_activity
             where datname = current_database() and application_name = 'meridian'
               and query ilike '%listen%'",
        )
        .fetch_one(&mut killer)
        .await
        .unwrap();
        let killed = terminate(&mut killer, "query ilike 'listen%'").await;
        assert_eq!(pooled_listeners, 0, "a shared-pool connection ran LISTEN");
        kills += killed as usize;
        sleep(Duration::from_millis(if killed > 0 { 20 } else { 2 })).await;
    }
    stop.store(true, Ordering::Relaxed);
    for task in searchers {
        task.await.unwrap();
    }
    notifier.await.unwrap();

    let requests = requests.load(Ordering::Relaxed);
    assert!(requests > KILLS, "{requests} searches");
    assert_eq!(
        failures.load(Ordering::Relaxed),
        0,
        "failed searches out of {requests} during {kills} listener kills"
    );
    // And the listener is back: an event written now arrives.
    let mut sse = SseClient::connect(&app.url("/events"), &ann, None).await;
    let id = insert_public_event(&mut killer).await;
    loop {
        let message = sse
            .next_within(Duration::from_secs(10))
            .await
            .expect("an event after the kills");
        if message.id == Some(id) {
            break;
        }
    }
}

/// While the database refuses new connections, a killed listener cannot listen again:
/// `/readyz` answers 503 until it can, then 200, and an event committed meanwhile still
/// reaches an open stream.
#[tokio::test]
async fn readiness_follows_the_listener() {
    let url = fresh_database().await;
    let app = spawn_app_on(url.clone()).await;
    let (ann, _) = app.signed_up("ann").await;
    let mut sse = SseClient::connect(&app.url("/events"), &ann, None).await;
    let ready = || async {
        client()
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(ready().await, StatusCode::OK);

    // Connected before the database refuses connections; the refusal is set from another
    // database (Postgres will not set it from inside).
    let mut admin = PgConnection::connect(&url).await.unwrap();
    let (server, database) = url.rsplit_once('/').unwrap();
    let mut outside = PgConnection::connect(&format!("{server}/postgres"))
        .await
        .unwrap();
    outside
        .execute(format!("alter database \"{database}\" allow_connections false").as_str())
        .await
        .unwrap();
    let killed = terminate(&mut admin, "true").await;
    assert_eq!(killed, 1, "one listening connection");
    let missed = insert_public_event(&mut admin).await;
    wait_for_status(&ready, StatusCode::SERVICE_UNAVAILABLE).await;
    // Still down a while later: it does not claim to listen while it cannot.
    sleep(Duration::from_millis(500)).await;
    assert_eq!(ready().await, StatusCode::SERVICE_UNAVAILABLE);

    outside
        .execute(format!("alter database \"{database}\" allow_connections true").as_str())
        .await
        .unwrap();
    wait_for_status(&ready, StatusCode::OK).await;
    loop {
        let message = sse
            .next_within(Duration::from_secs(10))
            .await
            .expect("the event committed while the listener was down");
        if message.id == Some(missed) {
            break;
        }
    }
}

async fn wait_for_status<F, Fut>(ready: &F, want: StatusCode)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = StatusCode>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while ready().await != want {
        assert!(Instant::now() < deadline, "/readyz never answered {want}");
        sleep(Duration::from_millis(20)).await;
    }
}

/// Terminates the listener's backends that also match `condition`; returns how many.
async fn terminate(conn: &mut PgConnection, condition: &str) -> i64 {
    let terminated: Vec<bool> = sqlx::query_scalar(&format!(
        "select pg_terminate_backend(pid) from pg_stat_activity
         where datname = current_database() and application_name = 'meridian-listener'
           and {condition}"
    ))
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    terminated.into_iter().filter(|done| *done).count() as i64
}

/// Inserts a public event and returns the id its commit gave it.
async fn insert_public_event(conn: &mut PgConnection) -> i64 {
    let row_key: i64 = sqlx::query_scalar(
        "insert into events (kind, public, payload) values ('probe', true, '{}') returning row_key",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    sqlx::query_scalar("select id from events where row_key = $1")
        .bind(row_key)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

/// Right after start the listener may not have read where the log ends. A stream opened
/// before then waits for it: an event committed between the stream's replay and the
/// listener's first cursor would otherwise be in neither.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_opened_before_the_listener_follows_the_log_misses_nothing() {
    let url = fresh_database().await;
    let config = server::Config {
        database_url: url,
        db_pool: 5,
        addr: "127.0.0.1:0".parse().unwrap(),
        settings: common::test_settings(),
        json_logs: false,
        event_retention: Duration::from_secs(3600),
    };
    // The server without its background tasks: no listener yet.
    let tcp = tokio::net::TcpListener::bind(config.addr).await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let state = server::state(&config, server::leptos_options(addr).unwrap())
        .await
        .unwrap();
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let app = server::router(
        state.clone(),
        server::supervisor::Supervisor::new(stop.clone()),
    );
    let serving = tokio::spawn(server::serve(
        tcp,
        app,
        Duration::from_secs(30),
        std::future::pending(),
    ));
    let base = format!("http://{addr}");
    let sign_up = |http: reqwest::Client, handle: &'static str| {
        let base = base.clone();
        async move {
            let form = [
                ("handle", handle),
                ("display_name", handle),
                ("password", "correct horse"),
            ];
            let answer = http
                .post(format!("{base}/api/account/sign_up"))
                .header("accept", "application/json")
                .form(&form)
                .send()
                .await
                .unwrap();
            assert!(answer.status().is_success(), "{}", answer.status());
        }
    };
    let ann = client();
    sign_up(ann.clone(), "ann").await;
    let after: i64 = sqlx::query_scalar("select coalesce(max(id), 0) from events")
        .fetch_one(&state.pool)
        .await
        .unwrap();

    // Ann's page opens its stream from where its snapshot was...
    let opening = tokio::spawn({
        let (url, ann) = (format!("{base}/events?after={after}"), ann.clone());
        async move { SseClient::connect(&url, &ann, None).await }
    });
    sleep(Duration::from_millis(500)).await;
    // ... Bob joins ...
    sign_up(client(), "bob").await;
    // ... and only then does the listener start.
    let listening = tokio::spawn(server::listener::run(
        state.pool.clone(),
        state.hub.clone(),
        state.reference.clone(),
        state.settings.presence_timeout,
        stop,
    ));
    let mut stream = tokio::time::timeout(Duration::from_secs(10), opening)
        .await
        .expect("the stream opens once the listener follows the log")
        .unwrap();
    let mut heard = false;
    while let Some(message) = stream.next_within(Duration::from_secs(5)).await {
        if message.kind == "player_joined" && message.data["handle"] == "bob" {
            heard = true;
            break;
        }
    }
    assert!(heard, "Ann's stream heard that Bob joined");
    let _ = stop_tx.send(true);
    listening.await.unwrap();
    serving.abort();
}
