//! Benchmark of the real-time path, run as a command (never as a test):
//!
//! ```sh
//! cargo build --release -p server --bin meridian
//! DATABASE_URL=postgres://…/scratch cargo run --release -p server --example bench -- \
//!     --clients 2000 --rate 500 --seconds 10
//! DATABASE_URL=postgres://…/scratch cargo run --release -p server --example bench -- \
//!     --mode chat --pairs 100 --rate 100 --seconds 10
//! ```
//!
//! `--sample SECONDS` adds a line every so often with the server's RSS, open files, the
//! events table's rows and size and the sends refused so far: a soak is the chat mode run
//! long, e.g. `--mode chat --pairs 500 --rate 200 --seconds 1800 --sample 60`.
//!
//! `--mode leaderboard` measures boards in a big world (see `leaderboard.rs`):
//!
//! ```sh
//! DATABASE_URL=postgres://postgres@…/scratch cargo run --release -p server --example bench -- \
//!     --mode leaderboard --players 1000000 --rows 10000000
//! ```
//!
//! `--mode projector` measures the dashboard projector's ceiling and lag (see `projector.rs`):
//! `--mode projector --rate 2000 --seconds 60`.
//!
//! `--mode map --players 100000` measures the map in a big world: the bytes of the map page's
//! first load and the server's time to answer views at several zooms (see `map.rs`).
//!
//! `--mode api` measures the public API: `GET` and `PUT` requests a second and the time from a
//! progress write until the profile shows it (see `api.rs`): `--mode api --seconds 10`.
//!
//! `--mode pages --clients 50 --seconds 5` measures server-rendered pages as 50 signed-in
//! players load them back to back, the map of 1,000 players among them (see `pages.rs`);
//! `--pause 1000` has each of them wait about a second between pages instead.
//!
//! `--mode ceiling --seconds 5` measures the raw commit ceiling of the event path with 1, 8
//! and 32 writers, no server (see `ceiling.rs`). `--mode sweep --rate 50 --seconds 10`
//! measures, in one run, the 8-writer ceiling and then chat at 50, 100, 150… messages a
//! second until the delivery p99 passes 25 ms, and prints the best rate's share of the ceiling.
//!
//! `--mode idle --clients 18000 --rate 2000` and `--mode storm --clients 5000 --seconds 10`
//! measure many open streams: memory per idle stream, and presence when thousands connect at
//! once (see `streams.rs`).
//!
//! By default (`--mode events`) it measures an event from commit to every open stream (see
//! `events.rs`); `--mode chat` measures a chat message from send to delivery (see `chat.rs`).
//! Every mode starts the `meridian` binary on a free port against `DATABASE_URL` (a scratch
//! database: the bench adds players) and prints percentiles against a baseline measured in
//! the same run.

use std::{
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant},
};

use sqlx::{postgres::PgListener, PgPool};
use tokio::process::Command;

mod api;
mod ceiling;
mod chat;
mod cpu;
mod events;
mod leaderboard;
mod map;
mod pages;
mod projector;
mod streams;

#[derive(Clone)]
struct Args {
    mode: String,
    players: usize,
    rows: usize,
    reads: usize,
    awards: usize,
    /// Events written before the server starts (`--mode projector`).
    backlog: usize,
    /// Seconds between samples of the server's RSS, open files and event table (0: none).
    sample: u64,
    pairs: usize,
    clients: usize,
    /// HTTP/2 connections to carry the streams (`--mode idle`); 0: one HTTP/1.1 connection
    /// per stream.
    connections: usize,
    rate: u32,
    seconds: u64,
    /// Milliseconds a client waits between its requests, on average (`--mode pages`); 0: none,
    /// each client asks again as soon as it has its answer.
    pause_ms: u64,
    binary: String,
}

fn args() -> Args {
    let mut args = Args {
        mode: "events".into(),
        players: 1_000_000,
        rows: 10_000_000,
        reads: 1000,
        awards: 200,
        sample: 0,
        backlog: 60_000,
        pairs: 100,
        clients: 2000,
        connections: 0,
        rate: 500,
        seconds: 10,
        pause_ms: 0,
        binary: "target/release/meridian".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--mode" => args.mode = value,
            "--pairs" => args.pairs = value.parse().expect("--pairs N"),
            "--clients" => args.clients = value.parse().expect("--clients N"),
            "--connections" => args.connections = value.parse().expect("--connections N"),
            "--rate" => args.rate = value.parse().expect("--rate N"),
            "--seconds" => args.seconds = value.parse().expect("--seconds N"),
            "--pause" => args.pause_ms = value.parse().expect("--pause MS"),
            "--binary" => args.binary = value,
            "--players" => args.players = value.parse().expect("--players N"),
            "--rows" => args.rows = value.parse().expect("--rows N"),
            "--reads" => args.reads = value.parse().expect("--reads N"),
            "--awards" => args.awards = value.parse().expect("--awards N"),
            "--sample" => args.sample = value.parse().expect("--sample SECONDS"),
            "--backlog" => args.backlog = value.parse().expect("--backlog N"),
            other => panic!(
                "unknown flag {other} (use --mode events|chat|leaderboard|projector|api|ceiling|pages|idle|keepalive|storm|map, --clients, --pairs, \
                 --connections, --rate, --seconds, --pause, --binary, --players, --rows, --reads, --awards, --sample, --backlog)"
            ),
        }
    }
    args
}

fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// Every `every`, one line: the server's RSS and open files, the events table's rows and
/// size, and the sends refused so far. Runs until the bench ends.
fn sampler(pid: u32, pool: PgPool, every: Duration, refused: Arc<std::sync::atomic::AtomicU64>) {
    tokio::spawn(async move {
        let started = Instant::now();
        loop {
            let (rows, bytes): (i64, i64) =
                sqlx::query_as("select count(*), pg_total_relation_size('events') from events")
                    .fetch_one(&pool)
                    .await
                    .unwrap_or((-1, -1));
            println!(
                "sample t={:>5.0}s rss={:>7} KiB fds={:>5} events={rows:>9} ({:.1} MiB) refused={}",
                started.elapsed().as_secs_f64(),
                rss_kib(pid),
                open_files(pid),
                bytes as f64 / 1048576.0,
                refused.load(std::sync::atomic::Ordering::Relaxed)
            );
            tokio::time::sleep(every).await;
        }
    });
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summary(name: &str, mut ms: Vec<f64>) -> f64 {
    ms.sort_by(|a, b| a.total_cmp(b));
    let (p50, p95, p99) = (
        percentile(&ms, 0.5),
        percentile(&ms, 0.95),
        percentile(&ms, 0.99),
    );
    println!(
        "{name:<28} n={:<9} p50={p50:>8.2} ms  p95={p95:>8.2} ms  p99={p99:>8.2} ms",
        ms.len()
    );
    p50
}

/// The bare Postgres round trip at the same rate: insert, trigger, NOTIFY, a listener hears it.
async fn baseline(pool: &PgPool, rate: u32, count: usize) -> Vec<f64> {
    sqlx::raw_sql(
        "create table if not exists bench_baseline (n bigint);
         create or replace function bench_baseline_notify() returns trigger language plpgsql as
           $$ begin perform pg_notify('bench_baseline', new.n::text); return null; end $$;
         drop trigger if exists bench_baseline_notify on bench_baseline;
         create trigger bench_baseline_notify after insert on bench_baseline
           for each row execute function bench_baseline_notify();",
    )
    .execute(pool)
    .await
    .expect("baseline table");
    let mut listener = PgListener::connect_with(pool).await.expect("listener");
    listener.listen("bench_baseline").await.expect("listen");
    let mut out = Vec::with_capacity(count);
    let gap = Duration::from_secs_f64(1.0 / f64::from(rate));
    for n in 0..count {
        let start = Instant::now();
        sqlx::query("insert into bench_baseline values ($1)")
            .bind(n as i64)
            .execute(pool)
            .await
            .expect("insert");
        loop {
            let note = listener.recv().await.expect("notification");
            if note.payload() == n.to_string() {
                break;
            }
        }
        out.push(start.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(gap.saturating_sub(start.elapsed())).await;
    }
    out
}

/// The release server, started as a child process on a free port, and ready.
struct Server {
    child: tokio::process::Child,
    pid: u32,
    base: String,
    client: reqwest::Client,
    pool: PgPool,
}

async fn start_server(args: &Args) -> Server {
    let database_url = std::env::var("DATABASE_URL").expect("DATABASE_URL (a scratch database)");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let child = Command::new(&args.binary)
        .env("DATABASE_URL", &database_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .env("LEPTOS_OUTPUT_NAME", "meridian")
        .env("MERIDIAN_DB_POOL", "32")
        // The API's per-key limit is not what is measured.
        .env("MERIDIAN_API_RATE_PER_MINUTE", "1000000")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("start {} (build it first): {e}", args.binary));
    let pid = child.id().expect("pid");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    for _ in 0..600 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pool = PgPool::connect(&database_url).await.expect("database");
    Server {
        child,
        pid,
        base,
        client,
        pool,
    }
}

/// A player added directly (no password hashing), and a session token for them.
async fn bench_player(pool: &PgPool) -> (i64, String) {
    let id: i64 = sqlx::query_scalar(
        "insert into players (handle, display_name, password_hash)
         values ('bench_' || substr(md5(random()::text), 1, 12), 'bench', 'x') returning id",
    )
    .fetch_one(pool)
    .await
    .expect("bench player");
    let token = app::backend::sessions::create(pool, id)
        .await
        .expect("session");
    (id, token)
}

/// Reads one SSE stream, calling `seen` with each event's data as it arrives.
async fn read_stream(response: reqwest::Response, mut seen: impl FnMut(&str, Instant)) {
    let mut stream = server::simulator::sse::EventStream::new(response);
    while let Ok(Some(event)) = stream.next().await {
        seen(&event.data, Instant::now());
    }
}

/// The number after `tag` in `text` (as in `"b#17"`), if any.
fn tagged(text: &str, tag: &str) -> Option<u64> {
    let rest = &text[text.find(tag)? + tag.len()..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

#[tokio::main]
async fn main() {
    let args = args();
    match args.mode.as_str() {
        "events" => events::run(args).await,
        "chat" => {
            chat::run(args).await;
        }
        "sweep" => chat::sweep(args).await,
        "leaderboard" => leaderboard::run(args).await,
        "projector" => projector::run(args).await,
        "map" => map::run(args).await,
        "api" => api::run(args).await,
        "ceiling" => ceiling::run(args).await,
        "pages" => pages::run(args).await,
        "idle" | "keepalive" => streams::idle(args).await,
        "storm" => streams::storm(args).await,
        other => panic!(
            "unknown mode {other} (events, chat, sweep, leaderboard, projector, api, ceiling, pages, idle, keepalive, storm or map)"
        ),
    }
}
