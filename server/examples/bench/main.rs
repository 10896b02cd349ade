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
//! `--mode chat` measures a chat message from send to delivery instead: `--pairs` pairs of
//! players, each with a chat and both players on a live stream; `--rate` messages a second in
//! all, sent through `POST /api/chat/send` by alternating senders (each sender stays under the
//! send limit of 10 in 10 s), after 2 s at that rate that are not counted (warm-up). It prints
//! send→answer and send→delivery (the other player's stream carries the `chat` event with the
//! message) percentiles against the same baseline.
//!
//! It starts the `meridian` binary on a free port against `DATABASE_URL` (a scratch database:
//! the bench adds players), opens `--clients` SSE streams, then for `--seconds` renames a
//! player `--rate` times a second. Each rename goes the real way: the players trigger writes a
//! public event, the commit assigns its id and notifies, the listener reads it, the hub fans it
//! out. It prints write→delivery percentiles over every (event, stream) pair, deliveries per
//! second, resyncs, and the server's RSS per open stream. As a baseline measured in the same
//! run, it times the bare Postgres round trip: insert a row whose trigger notifies, until a
//! listening connection hears it. The ratio of the two p50s is what the server adds.

use std::{
    collections::HashMap,
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use sqlx::{postgres::PgListener, PgPool};
use tokio::{process::Command, sync::Barrier};

mod api;
mod ceiling;
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
        "events" => events(args).await,
        "chat" => {
            chat(args).await;
        }
        "sweep" => sweep(args).await,
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

async fn events(args: Args) {
    let Server {
        child: mut server,
        pid,
        base,
        client,
        pool,
    } = start_server(&args).await;

    // One writer player, and a session per stream (sessions are rows: no password hashing).
    let (writer, first) = bench_player(&pool).await;
    let mut tokens = vec![first];
    for _ in 1..args.clients {
        tokens.push(
            app::backend::sessions::create(&pool, writer)
                .await
                .expect("session"),
        );
    }

    let baseline_ms = baseline(&pool, args.rate, (args.rate as usize * 2).min(1000)).await;
    let rss_idle = rss_kib(pid);

    let sent: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
    let resyncs = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let ready = Arc::new(Barrier::new(args.clients + 1));
    for token in tokens {
        let (client, url) = (client.clone(), format!("{base}/events"));
        let (sent, latencies, resyncs, ready) = (
            sent.clone(),
            latencies.clone(),
            resyncs.clone(),
            ready.clone(),
        );
        tokio::spawn(async move {
            let response = client
                .get(url)
                .header("cookie", format!("meridian_session={token}"))
                .send()
                .await;
            ready.wait().await;
            let Ok(response) = response else { return };
            let mut local = Vec::new();
            read_stream(response, |event, now| {
                if event.contains("\"resync\"") {
                    resyncs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                } else if let Some(n) = tagged(event, "\"b#") {
                    if let Some(start) = sent.lock().unwrap().get(&n) {
                        local.push(now.duration_since(*start).as_secs_f64() * 1000.0);
                    }
                }
            })
            .await;
            latencies.lock().unwrap().append(&mut local);
        });
    }
    ready.wait().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_connected = rss_kib(pid);

    let gap = Duration::from_secs_f64(1.0 / f64::from(args.rate));
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < Duration::from_secs(args.seconds) {
        let at = Instant::now();
        sent.lock().unwrap().insert(n, at);
        sqlx::query("update players set display_name = $2 where id = $1")
            .bind(writer)
            .bind(format!("b#{n}"))
            .execute(&pool)
            .await
            .expect("write");
        n += 1;
        let next = started + gap * n as u32;
        tokio::time::sleep_until(next.into()).await;
    }
    let write_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let _ = server.kill().await;
    // Let every stream see its end and hand in what it measured.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let deliveries = latencies.lock().unwrap().clone();
    let expected = n as usize * args.clients;
    println!(
        "clients={} rate={}/s seconds={} events written={n} ({:.0}/s)",
        args.clients,
        args.rate,
        args.seconds,
        n as f64 / write_secs
    );
    let base_p50 = summary("baseline insert+notify", baseline_ms);
    let p50 = summary("write -> SSE delivery", deliveries.clone());
    println!(
        "deliveries {} of {expected} ({:.1}%), {:.0}/s; resyncs {}",
        deliveries.len(),
        100.0 * deliveries.len() as f64 / expected.max(1) as f64,
        deliveries.len() as f64 / write_secs,
        resyncs.load(std::sync::atomic::Ordering::Relaxed)
    );
    println!("ratio p50 delivery / p50 baseline = {:.1}x", p50 / base_p50);
    println!(
        "server RSS: {} KiB idle, {} KiB with {} streams: {:.1} KiB per stream",
        rss_idle,
        rss_connected,
        args.clients,
        (rss_connected.saturating_sub(rss_idle)) as f64 / args.clients.max(1) as f64
    );
}

/// Chat messages sent at the run's rate before the measured ones, and not counted: a server's
/// pooled connections each plan their statements the first time they run them (20–65 ms a
/// send in the first second, from Postgres's slow-statement log), which a running server
/// has long done.
const CHAT_WARMUP: Duration = Duration::from_secs(2);

/// What one chat run measured.
struct ChatRun {
    sent_per_sec: f64,
    answer_p99: f64,
    delivery_p99: f64,
    all_delivered: bool,
}

/// Chat messages from send to delivery: pairs of players, each with a chat and a stream.
async fn chat(args: Args) -> ChatRun {
    assert!(
        f64::from(args.rate) <= args.pairs as f64 * 2.0 * 0.9,
        "--rate {} would push senders past the send limit: use at most {} for {} pairs",
        args.rate,
        (args.pairs as f64 * 1.8) as u32,
        args.pairs
    );
    let Server {
        child: mut server,
        pid,
        base,
        client,
        pool,
    } = start_server(&args).await;

    // Each pair: two players, their chat, a session each.
    let mut pairs = Vec::with_capacity(args.pairs);
    for _ in 0..args.pairs {
        let (a, a_token) = bench_player(&pool).await;
        let (b, b_token) = bench_player(&pool).await;
        let chat: i64 = sqlx::query_scalar(
            "insert into chats (player_low, player_high, started_by) values ($1, $2, $1)
             returning id",
        )
        .bind(a.min(b))
        .bind(a.max(b))
        .fetch_one(&pool)
        .await
        .expect("chat");
        pairs.push((chat, [a_token, b_token]));
    }
    let baseline_ms = baseline(&pool, args.rate, (args.rate as usize * 2).min(1000)).await;

    let sent: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let deliveries: Arc<Mutex<Vec<f64>>> = Arc::default();
    let ready = Arc::new(Barrier::new(args.pairs * 2 + 1));
    let open = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let resyncs = Arc::new(std::sync::atomic::AtomicU64::new(0));
    for (i, (_, tokens)) in pairs.iter().enumerate() {
        // Every player coming online is news for every open stream: connecting all at once
        // would flood the queues with presence before a message is sent. Connect in waves.
        if i % 25 == 24 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for token in tokens {
            let request = client
                .get(format!("{base}/events"))
                .header("cookie", format!("meridian_session={token}"));
            let (sent, deliveries, ready, open, resyncs) = (
                sent.clone(),
                deliveries.clone(),
                ready.clone(),
                open.clone(),
                resyncs.clone(),
            );
            tokio::spawn(async move {
                let response = request.send().await;
                ready.wait().await;
                let Ok(response) = response else { return };
                if !response.status().is_success() {
                    return;
                }
                open.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let mut local = Vec::new();
                read_stream(response, |data, now| {
                    // Both members hear each message; the sender's own echo (where
                    // nothing is unread) is not a delivery.
                    let Ok(live) = serde_json::from_str::<serde_json::Value>(data) else {
                        return;
                    };
                    if live["kind"] == "resync" {
                        resyncs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    if live["kind"] != "chat" || live["data"]["unread"] == 0 {
                        return;
                    }
                    if let Some(n) = live["data"]["last"]["body"]
                        .as_str()
                        .and_then(|b| tagged(b, "c#"))
                    {
                        if let Some(start) = sent.lock().unwrap().get(&n) {
                            local.push(now.duration_since(*start).as_secs_f64() * 1000.0);
                        }
                    }
                })
                .await;
                deliveries.lock().unwrap().append(&mut local);
            });
        }
    }
    ready.wait().await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    let answers: Arc<Mutex<Vec<f64>>> = Arc::default();
    let refused = Arc::new(std::sync::atomic::AtomicU64::new(0));
    if args.sample > 0 {
        let every = Duration::from_secs(args.sample);
        sampler(pid, pool.clone(), every, refused.clone());
    }
    let gap = Duration::from_secs_f64(1.0 / f64::from(args.rate));
    let begun = Instant::now();
    let started = begun + CHAT_WARMUP;
    let mut n = 0u64;
    while begun.elapsed() < CHAT_WARMUP + Duration::from_secs(args.seconds) {
        // Pairs in turn, senders alternating: each sender writes every 2·pairs/rate seconds.
        let (chat, tokens) = &pairs[n as usize % args.pairs];
        let token = &tokens[(n as usize / args.pairs) % 2];
        let request = client
            .post(format!("{base}/api/chat/send"))
            .header("cookie", format!("meridian_session={token}"))
            .header("accept", "application/json")
            .form(&[("chat_id", chat.to_string()), ("body", format!("c#{n}"))]);
        let (sent, answers, refused) = (sent.clone(), answers.clone(), refused.clone());
        let at = Instant::now();
        // Only messages sent after the warm-up count (a delivery counts when its send does).
        let counted = at >= started;
        if counted {
            sent.lock().unwrap().insert(n, at);
        }
        tokio::spawn(async move {
            match request.send().await {
                Ok(r) if r.status().is_success() => {
                    if counted {
                        answers
                            .lock()
                            .unwrap()
                            .push(at.elapsed().as_secs_f64() * 1000.0);
                    }
                }
                _ => {
                    refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        });
        n += 1;
        tokio::time::sleep_until((begun + gap * n as u32).into()).await;
    }
    let n = sent.lock().unwrap().len() as u64;
    let write_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let _ = server.kill().await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    let delivered = deliveries.lock().unwrap().clone();
    println!(
        "pairs={} rate={}/s seconds={} messages sent={n} ({:.0}/s), refused {}",
        args.pairs,
        args.rate,
        args.seconds,
        n as f64 / write_secs,
        refused.load(std::sync::atomic::Ordering::Relaxed)
    );
    let base_p50 = summary("baseline insert+notify", baseline_ms);
    let answered = answers.lock().unwrap().clone();
    summary("send -> stored (answer)", answered.clone());
    let p50 = summary("send -> delivered", delivered.clone());
    println!(
        "delivered {} of {n} ({:.1}%); streams open {} of {}; resyncs {}",
        delivered.len(),
        100.0 * delivered.len() as f64 / n.max(1) as f64,
        open.load(std::sync::atomic::Ordering::Relaxed),
        args.pairs * 2,
        resyncs.load(std::sync::atomic::Ordering::Relaxed)
    );
    println!("ratio p50 delivery / p50 baseline = {:.1}x", p50 / base_p50);
    let p99 = |mut ms: Vec<f64>| {
        ms.sort_by(|a, b| a.total_cmp(b));
        percentile(&ms, 0.99)
    };
    ChatRun {
        sent_per_sec: n as f64 / write_secs,
        answer_p99: p99(answered),
        all_delivered: delivered.len() as u64 == n,
        delivery_p99: p99(delivered),
    }
}

/// The delivery p99 a chat rate must stay within to count.
const SWEEP_P99_MS: f64 = 25.0;

/// `--mode sweep`: the commit ceiling with 8 writers, then chat at rising rates (a step of
/// `--rate` messages a second, `--seconds` each, one pair per message a second) until the
/// delivery p99 passes 25 ms or a message is lost; prints the highest rate within it and its
/// share of the ceiling.
async fn sweep(args: Args) {
    let database_url = std::env::var("DATABASE_URL").expect("DATABASE_URL (a scratch database)");
    let seconds = Duration::from_secs(args.seconds);
    let ceiling = ceiling::with_writers(&database_url, 8, seconds).await;
    let step = args.rate.max(10);
    let mut rows = Vec::new();
    let mut rate = step;
    loop {
        println!("--- chat at {rate} messages/s");
        let run = chat(Args {
            rate,
            pairs: rate as usize,
            sample: 0,
            ..args.clone()
        })
        .await;
        let within = run.all_delivered && run.delivery_p99 <= SWEEP_P99_MS;
        rows.push((rate, run));
        if !within {
            break;
        }
        rate += step;
    }
    println!("\nrate/s  sent/s  answer p99  delivery p99");
    for (rate, run) in &rows {
        println!(
            "{rate:>6}  {:>6.0}  {:>8.2} ms  {:>9.2} ms{}",
            run.sent_per_sec,
            run.answer_p99,
            run.delivery_p99,
            if run.all_delivered { "" } else { "  (lost)" }
        );
    }
    let best = rows
        .iter()
        .filter(|(_, run)| run.all_delivered && run.delivery_p99 <= SWEEP_P99_MS)
        .map(|(_, run)| run.sent_per_sec)
        .fold(0.0, f64::max);
    println!(
        "highest chat rate with delivery p99 <= {SWEEP_P99_MS} ms: {best:.0}/s = {:.1}% of the \
         8-writer commit ceiling ({ceiling:.0} commits/s; the aim is 50%)",
        100.0 * best / ceiling
    );
}
