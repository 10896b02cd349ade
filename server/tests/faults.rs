//! Postgres stopped under load for a few seconds and started again (`pg_ctl -m fast`), on a
//! cluster of this test's own (the shared test cluster serves every other test): requests fail
//! within the pool's 3 s wait with 503, never 500, `/readyz` goes 503 and back to 200, the pool
//! and the listener recover by themselves, and an open stream receives every event committed
//! before and after the outage exactly once, in order.

mod common;
#[path = "common/sse.rs"]
mod sse;

use std::{
    path::PathBuf,
    process::Command,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use common::{spawn_app_with, test_settings};
use sqlx::PgPool;
use sse::SseClient;

/// One request of the outage test's readers: the readiness probe or a search, what it got,
/// and when (since the test began) it was sent and answered.
#[derive(Clone, Debug)]
struct Answer {
    ready: bool,
    status: u16,
    sent: Duration,
    answered: Duration,
}

/// A throwaway cluster in a directory of its own, stopped and removed when dropped.
struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
}

impl Cluster {
    fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL is installed under /usr/lib/postgresql")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .max()
            .expect("a PostgreSQL version");
        let dir = std::env::temp_dir().join(format!("meridian-faults-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = common::free_port();
        let cluster = Self { dir, bin, port };
        if is_root() {
            run("chown", &["-R", "postgres", cluster.dir.to_str().unwrap()]);
        }
        cluster.pg(
            "initdb",
            &["-D", &cluster.data(), "-U", "postgres", "--auth=trust"],
        );
        cluster.pg_ctl(&["start"]);
        cluster
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    fn pg_ctl(&self, action: &[&str]) {
        let data = self.data();
        let log = self.dir.join("server.log").display().to_string();
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        let mut args = vec![
            "-D",
            data.as_str(),
            "-l",
            log.as_str(),
            "-w",
            "-o",
            options.as_str(),
        ];
        args.extend_from_slice(action);
        self.pg("pg_ctl", &args);
    }

    /// Runs a PostgreSQL program, as the postgres user when we are root (initdb refuses root).
    fn pg(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program).display().to_string();
        if is_root() {
            let mut all = vec!["-u", "postgres", "--", program.as_str()];
            all.extend_from_slice(args);
            run("runuser", &all);
        } else {
            run(&program, args);
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        let program = self.bin.join("pg_ctl").display().to_string();
        let args = ["-D", data.as_str(), "-m", "immediate", "stop"];
        let _ = if is_root() {
            Command::new("runuser")
                .args(["-u", "postgres", "--", &program])
                .args(args)
                .output()
        } else {
            Command::new(&program).args(args).output()
        };
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"))
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_going_down_under_load_fails_fast_and_loses_nothing() {
    let cluster = Cluster::start();
    let admin = PgPool::connect(&cluster.url("postgres")).await.unwrap();
    sqlx::query("create database meridian")
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let url = cluster.url("meridian");
    let app = spawn_app_with(url.clone(), test_settings()).await;
    let (ann, _) = app.signed_up("ann").await;
    let mut stream = SseClient::connect(&app.url("/events"), &ann, None).await;

    let stop = Arc::new(AtomicBool::new(false));
    // Writers commit events straight into the log, retrying through the restart; every id
    // the writer saw commit is recorded. (An insert can commit while its connection dies
    // before the answer arrives, so the log itself, read after the restart, is the truth.)
    let committed = Arc::new(Mutex::new(Vec::<i64>::new()));
    let writer = {
        let (url, stop, committed) = (url.clone(), stop.clone(), committed.clone());
        tokio::spawn(async move {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(2)
                .acquire_timeout(Duration::from_secs(1))
                .connect(&url)
                .await
                .unwrap();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let inserted: Result<i64, _> = sqlx::query_scalar(
                    "insert into events (kind, public, payload) values ('fault', true, '{}')
                     returning row_key",
                )
                .fetch_one(&pool)
                .await;
                if let Ok(row_key) = inserted {
                    if let Ok(Some(id)) = sqlx::query_scalar::<_, Option<i64>>(
                        "select id from events where row_key = $1",
                    )
                    .bind(row_key)
                    .fetch_one(&pool)
                    .await
                    {
                        committed.lock().unwrap().push(id);
                        n += 1;
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            n
        })
    };
    // Readers: a page's server function and the readiness probe, each asked every 50 ms by a
    // request of its own (so one slow answer holds up no other), stamped with when it was
    // sent and when it was answered.
    let epoch = Instant::now();
    let answers = Arc::new(Mutex::new(Vec::<Answer>::new()));
    let reader = {
        let (stop, answers, ann) = (stop.clone(), answers.clone(), ann.clone());
        let (search, ready) = (app.url("/api/home/search"), app.url("/readyz"));
        tokio::spawn(async move {
            let mut asked = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                for (url, ready) in [(search.clone(), false), (ready.clone(), true)] {
                    let (answers, ann) = (answers.clone(), ann.clone());
                    asked.push(tokio::spawn(async move {
                        let sent = epoch.elapsed();
                        let status = ann
                            .get(&url)
                            .header("accept", "application/json")
                            .query(&[("q", "Par")])
                            .send()
                            .await
                            .map_or(0, |r| r.status().as_u16());
                        let answered = epoch.elapsed();
                        answers.lock().unwrap().push(Answer {
                            ready,
                            status,
                            sent,
                            answered,
                        });
                    }));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            for request in asked {
                request.await.unwrap();
            }
        })
    };

    tokio::time::sleep(Duration::from_secs(2)).await;
    // Down for longer than a request waits for a connection (3 s), so requests meet it.
    cluster.pg_ctl(&["-m", "fast", "stop"]);
    let down = epoch.elapsed();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let up = epoch.elapsed();
    cluster.pg_ctl(&["start"]);
    // Ready again by itself.
    let back = Instant::now();
    loop {
        let ok = answers
            .lock()
            .unwrap()
            .iter()
            .any(|a| a.ready && a.status == 200 && a.sent > up);
        if ok && back.elapsed() > Duration::from_secs(1) {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(30),
            "never ready again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let written: i32 = writer.await.unwrap();
    reader.await.unwrap();

    let mut answers = answers.lock().unwrap().clone();
    answers.sort_by_key(|a| a.sent);
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    let outage = format!("down from {down:?} to {up:?}; answers: {answers:?}");
    assert!(
        !statuses.contains(&500),
        "a 500 during the restart: {outage}"
    );
    // Asked and answered while the database was down: the answer can only be 503.
    let inside: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.sent > down && a.answered < up)
        .collect();
    assert!(
        inside.iter().any(|a| !a.ready) && inside.iter().any(|a| a.ready),
        "no search and no probe lay wholly inside the outage: {outage}"
    );
    assert!(
        inside.iter().all(|a| a.status == 503),
        "an answer other than 503 while the database was down: {outage}"
    );
    let slowest = answers.iter().map(|a| a.answered - a.sent).max().unwrap();
    eprintln!(
        "{} requests: {} answered 503, slowest {slowest:?}; {written} events written",
        statuses.len(),
        statuses.iter().filter(|s| **s == 503).count()
    );
    assert!(
        slowest < Duration::from_secs(6),
        "a request hung for {slowest:?}"
    );
    assert!(
        statuses.iter().all(|s| matches!(s, 200 | 503)),
        "only 200 or 503: {outage}"
    );

    // The open stream got every committed event once, in order: every one in the log,
    // which holds every id a writer saw commit.
    let pool = PgPool::connect(&url).await.unwrap();
    let expected: Vec<i64> =
        sqlx::query_scalar("select id from events where kind = 'fault' order by id")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    let seen = committed.lock().unwrap().clone();
    assert!(
        seen.iter().all(|id| expected.binary_search(id).is_ok()),
        "a writer saw {seen:?} commit, the log holds {expected:?}"
    );
    assert!(written > 50, "{written} events written");
    let last = *expected.last().unwrap();
    let mut received = Vec::new();
    while received.last() != Some(&last) {
        let message = stream
            .next_within(Duration::from_secs(10))
            .await
            .unwrap_or_else(|| {
                panic!(
                    "stream ended after {} of {}",
                    received.len(),
                    expected.len()
                )
            });
        if message.kind == "fault" {
            received.push(message.id.unwrap());
        }
    }
    assert_eq!(received, expected, "each committed event once, in order");
}
