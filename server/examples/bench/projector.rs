//! `--mode projector`: the dashboard projector's lag and ceiling. First its ceiling: with no
//! server running, `--backlog` awards (default 60,000) are written, each with its event; the
//! server starts and the time until its projector has counted them all gives events/s. Then
//! its lag under load: `--rate` events a second (default 2,000) for `--seconds`, written in
//! batches of 20 per transaction, while the log's head and the checkpoint are sampled every
//! 20 ms; a sample's lag is the age of the oldest event not yet counted. As the baseline in
//! the same run, the bare insert round trip of a batch.

use std::time::{Duration, Instant};

use sqlx::PgPool;

use super::{start_server, summary, Args, Server};

const BATCH: usize = 20;
const PLAYERS: i64 = 10_000;

pub async fn run(args: Args) {
    let database_url = std::env::var("DATABASE_URL").expect("DATABASE_URL (a scratch database)");
    let pool = app::backend::db::prepare(&database_url, 4)
        .await
        .expect("database");
    let players = bench_players(&pool).await;
    let run = format!("{:x}", super::leaderboard::rand_u64());

    // The ceiling: a backlog the projector meets at start.
    let started = Instant::now();
    let mut n = 0usize;
    while n < args.backlog {
        award_batch(&pool, players, &run, n).await;
        n += BATCH;
    }
    let made = started.elapsed().as_secs_f64();
    let head = head(&pool).await;
    let started = Instant::now();
    let Server {
        child: mut server,
        pid: _,
        base: _,
        client: _,
        pool: _,
    } = start_server(&args).await;
    loop {
        if checkpoint(&pool).await >= head {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the projector did not catch up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let caught_up = started.elapsed().as_secs_f64();

    // The lag under load.
    let sampling = {
        let pool = pool.clone();
        let seconds = args.seconds;
        tokio::spawn(async move {
            let mut seen: Vec<(Instant, i64)> = Vec::new();
            let mut lags = Vec::new();
            let end = Instant::now() + Duration::from_secs(seconds + 2);
            while Instant::now() < end {
                let (head, at) = sqlx::query_as::<_, (i64, i64)>(
                    "select (select coalesce(max(id), 0) from events), event_id
                     from projector_checkpoint",
                )
                .fetch_one(&pool)
                .await
                .unwrap();
                let now = Instant::now();
                seen.push((now, head));
                // The oldest event not counted is at + 1: when was it first seen?
                let lag = if head > at {
                    seen.iter()
                        .find(|(_, h)| *h > at)
                        .map_or(0.0, |(t, _)| now.duration_since(*t).as_secs_f64() * 1000.0)
                } else {
                    0.0
                };
                lags.push(lag);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            lags
        })
    };
    let mut inserts = Vec::new();
    let gap = Duration::from_secs_f64(BATCH as f64 / f64::from(args.rate));
    let started = Instant::now();
    let mut batches = 0u32;
    while started.elapsed() < Duration::from_secs(args.seconds) {
        let at = Instant::now();
        award_batch(&pool, players, &run, n).await;
        inserts.push(at.elapsed().as_secs_f64() * 1000.0);
        n += BATCH;
        batches += 1;
        tokio::time::sleep_until((started + gap * batches).into()).await;
    }
    let write_secs = started.elapsed().as_secs_f64();
    let lags = sampling.await.unwrap();
    let _ = server.kill().await;

    println!(
        "backlog: {} events written in {made:.1} s; the projector counted them in {caught_up:.1} s \
         ({:.0} events/s, start included)",
        args.backlog,
        args.backlog as f64 / caught_up
    );
    println!(
        "load: {} events in {write_secs:.1} s ({:.0}/s, asked {}/s)",
        batches as usize * BATCH,
        (batches as usize * BATCH) as f64 / write_secs,
        args.rate
    );
    let p99 = |ms: &[f64]| {
        let mut ms = ms.to_vec();
        ms.sort_by(|a, b| a.total_cmp(b));
        super::percentile(&ms, 0.99)
    };
    let (base99, lag99) = (p99(&inserts), p99(&lags));
    summary("baseline insert of a batch", inserts);
    summary("projector lag (oldest uncounted)", lags);
    println!("ratio p99 lag / p99 batch insert = {:.1}x", lag99 / base99);
}

async fn head(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select coalesce(max(id), 0) from events")
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn checkpoint(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select event_id from projector_checkpoint")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The lowest id of `PLAYERS` bench players, made once.
async fn bench_players(pool: &PgPool) -> i64 {
    let existing: Option<i64> =
        sqlx::query_scalar("select min(id) from players where handle like 'pj%'")
            .fetch_one(pool)
            .await
            .unwrap();
    if let Some(low) = existing {
        return low;
    }
    sqlx::query(
        "insert into players (handle, display_name, password_hash)
         select 'pj' || n, 'P' || n, 'x' from generate_series(1, $1) n",
    )
    .bind(PLAYERS)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query_scalar("select min(id) from players where handle like 'pj%'")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// `BATCH` awards in one transaction, each with its `points_awarded` event.
async fn award_batch(pool: &PgPool, low: i64, run: &str, n: usize) {
    sqlx::query(
        "insert into points_ledger (player_id, points, source)
         select $1 + (($3::bigint + g) % $4), 5, 'pj:' || $2 || ':' || ($3::bigint + g)
         from generate_series(0, $5 - 1) g",
    )
    .bind(low)
    .bind(run)
    .bind(n as i64)
    .bind(PLAYERS)
    .bind(BATCH as i64)
    .execute(pool)
    .await
    .expect("awards");
}
