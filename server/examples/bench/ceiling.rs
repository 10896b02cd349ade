//! `--mode ceiling`: the raw commit ceiling of the event path, no server and no HTTP. For 1, 8
//! and 32 concurrent writers in turn, each commits single-event transactions as fast as it can
//! for `--seconds`: an insert into `events`, whose commit-time trigger takes the log's lock,
//! assigns the id and notifies. Every event-writing commit in the cluster passes that lock, so
//! this is the most events a second any number of instances can write. It prints commits a
//! second and commit latency percentiles per writer count; the 1-writer row is the baseline the
//! others are read against. `--mode sweep` starts with the 8-writer ceiling.

use std::time::{Duration, Instant};

use sqlx::{postgres::PgPoolOptions, PgPool};

use super::{cpu, summary, Args};

const WRITERS: [usize; 3] = [1, 8, 32];

pub async fn run(args: Args) {
    let database_url = std::env::var("DATABASE_URL").expect("DATABASE_URL (a scratch database)");
    app::backend::db::prepare(&database_url, 2)
        .await
        .expect("migrated database");
    let pool = PgPoolOptions::new()
        .max_connections(WRITERS[WRITERS.len() - 1] as u32 + 2)
        .connect(&database_url)
        .await
        .expect("database");
    let mut base = None;
    for writers in WRITERS {
        let (rate, all) = commits(&pool, writers, Duration::from_secs(args.seconds)).await;
        print!("writers={writers:<3} {rate:>8.0} commits/s  ");
        summary("commit", all);
        let base = *base.get_or_insert(rate);
        println!("  ratio to 1 writer: {:.2}x", rate / base);
    }
    clean_up(&pool).await;
}

/// The commit ceiling with `writers` for `seconds`, as `--mode sweep` reads it first.
pub async fn with_writers(database_url: &str, writers: usize, seconds: Duration) -> f64 {
    app::backend::db::prepare(database_url, 2)
        .await
        .expect("migrated database");
    let pool = PgPoolOptions::new()
        .max_connections(writers as u32 + 2)
        .connect(database_url)
        .await
        .expect("database");
    let at_start = cpu::Snapshot::take(None);
    let (rate, all) = commits(&pool, writers, seconds).await;
    let used = cpu::Snapshot::take(None).since(&at_start);
    print!("ceiling, {writers} writers {rate:>8.0} commits/s  ");
    let commits = all.len() as f64;
    summary("commit", all);
    used.print("commit", commits, seconds.as_secs_f64());
    clean_up(&pool).await;
    rate
}

/// `writers` committing one event each per transaction for `seconds`: commits a second, and
/// every commit's time in milliseconds.
async fn commits(pool: &PgPool, writers: usize, seconds: Duration) -> (f64, Vec<f64>) {
    let until = Instant::now() + seconds;
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut ms = Vec::new();
                while Instant::now() < until {
                    let at = Instant::now();
                    sqlx::query(
                        "insert into events (kind, public, payload)
                         values ('bench_ceiling', false, jsonb_build_object('w', $1::int))",
                    )
                    .bind(w as i32)
                    .execute(&pool)
                    .await
                    .expect("insert");
                    ms.push(at.elapsed().as_secs_f64() * 1000.0);
                }
                ms
            })
        })
        .collect();
    let started = Instant::now();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("writer"));
    }
    (all.len() as f64 / started.elapsed().as_secs_f64(), all)
}

async fn clean_up(pool: &PgPool) {
    sqlx::query("delete from events where kind = 'bench_ceiling'")
        .execute(pool)
        .await
        .expect("clean up");
}
