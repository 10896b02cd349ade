//! `--mode api`: the public API on this machine. `--seconds` per phase, 16 clients with
//! keep-alive connections:
//!
//! 1. `GET /healthz` (the baseline: the same HTTP stack doing nothing),
//! 2. `GET /api/v1/players/{handle}` over 200 players,
//! 3. `PUT /api/v1/players/{handle}` renaming them (each a real change: one transaction, one
//!    durable event),
//! 4. write→readable, one at a time: `POST …/progress` with points, then the profile read
//!    again and again until it shows them.
//!
//! Each phase prints requests a second and latency percentiles, with ratios to the baseline.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::{json, Value};

use super::{percentile, start_server, summary, Args};

const CLIENTS: usize = 16;
const PLAYERS: usize = 200;

pub(super) struct Phase {
    pub per_second: f64,
    pub p50: f64,
}

/// Runs `clients` loops of `request` for `seconds`; requests a second and p50. Panics if any
/// request failed. With a `pause`, each client waits between its requests as a person would
/// (half to one and a half times the pause, varied per request), and the clients start spread
/// over one pause: the load is then what that many people make, not a closed loop as fast as
/// the server answers.
pub(super) async fn phase<F, Fut>(
    name: &str,
    clients: usize,
    seconds: u64,
    pause: Duration,
    request: F,
) -> Phase
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let request = Arc::new(request);
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(Mutex::new(0usize));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|worker| {
            let (request, latencies, failures) =
                (request.clone(), latencies.clone(), failures.clone());
            tokio::spawn(async move {
                let mut n = 0;
                let mut mine = Vec::new();
                // Seeded per client, so runs repeat.
                let mut rng = StdRng::seed_from_u64(worker as u64);
                tokio::time::sleep(pause.mul_f64(worker as f64 / clients as f64)).await;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    if request(worker, n).await {
                        let ms = sent.elapsed().as_secs_f64() * 1000.0;
                        mine.push((ms, sent - started, worker, n));
                    } else {
                        *failures.lock().unwrap() += 1;
                    }
                    n += 1;
                    if !pause.is_zero() {
                        tokio::time::sleep(pause.mul_f64(rng.gen_range(0.5..1.5))).await;
                    }
                }
                latencies.lock().unwrap().extend(mine);
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut each = std::mem::take(&mut *latencies.lock().unwrap());
    let per_second = each.len() as f64 / elapsed;
    let failed = *failures.lock().unwrap();
    // The slowest few, with when they were sent and which of their client's requests they
    // were (#0 is a client's first): a tail that gathers at one moment or on first requests
    // says where to look.
    each.sort_by(|a, b| b.0.total_cmp(&a.0));
    let slowest: Vec<String> = each
        .iter()
        .take(5)
        .map(|(ms, at, worker, n)| {
            format!(
                "{ms:.1} ms (at {:.2} s, client {worker} #{n})",
                at.as_secs_f64()
            )
        })
        .collect();
    let p50 = summary(name, each.into_iter().map(|(ms, ..)| ms).collect());
    println!("{:<28} {per_second:>9.0} req/s, {failed} failed", "");
    println!("{:<28} slowest: {}", "", slowest.join(", "));
    assert_eq!(failed, 0, "{name}: {failed} requests failed");
    Phase { per_second, p50 }
}

pub async fn run(args: Args) {
    let server = start_server(&args).await;
    let (_, key) = app::backend::api::issue_key(&server.pool, "bench")
        .await
        .expect("an API key");
    let http = reqwest::Client::new();
    let base = server.base.clone();
    let run_id = std::process::id();
    let handle = move |n: usize| format!("api{run_id}_{n}");
    for n in 0..PLAYERS {
        let put = http
            .put(format!("{base}/api/v1/players/{}", handle(n)))
            .bearer_auth(&key)
            .json(&json!({"display_name": format!("Bench {n}"), "home_city_id": 2_988_507}))
            .send()
            .await
            .expect("create a player");
        assert_eq!(put.status().as_u16(), 202, "create {}", handle(n));
    }
    println!(
        "api: {CLIENTS} clients, {} s per phase, {PLAYERS} players",
        args.seconds
    );

    let baseline = {
        let (http, base) = (http.clone(), base.clone());
        phase(
            "GET /healthz (baseline)",
            CLIENTS,
            args.seconds,
            Duration::ZERO,
            move |_, _| {
                let request = http.get(format!("{base}/healthz"));
                async move { request.send().await.is_ok_and(|r| r.status().is_success()) }
            },
        )
        .await
    };
    let get = {
        let (http, base, key) = (http.clone(), base.clone(), key.clone());
        phase(
            "GET /api/v1/players/{h}",
            CLIENTS,
            args.seconds,
            Duration::ZERO,
            move |w, n| {
                let url = format!("{base}/api/v1/players/{}", handle((w * 31 + n) % PLAYERS));
                let request = http.get(url).bearer_auth(&key);
                async move { request.send().await.is_ok_and(|r| r.status() == 200) }
            },
        )
        .await
    };
    let put = {
        let (http, base, key) = (http.clone(), base.clone(), key.clone());
        phase(
            "PUT /api/v1/players/{h}",
            CLIENTS,
            args.seconds,
            Duration::ZERO,
            move |w, n| {
                // Each client renames its own players, so every request changes something.
                let player = (w + CLIENTS * (n % (PLAYERS / CLIENTS))) % PLAYERS;
                let url = format!("{base}/api/v1/players/{}", handle(player));
                let request = http
                    .put(url)
                    .bearer_auth(&key)
                    .json(&json!({"display_name": format!("Bench {w}.{n}")}));
                async move { request.send().await.is_ok_and(|r| r.status() == 202) }
            },
        )
        .await
    };
    for (name, p) in [("GET", &get), ("PUT", &put)] {
        println!(
            "{name}: {:.0} req/s = {:.2}× the baseline's; p50 {:.2}× the baseline's",
            p.per_second,
            p.per_second / baseline.per_second,
            p.p50 / baseline.p50
        );
    }

    // Write → readable, one at a time.
    let mut readable = Vec::new();
    let mut reads_per_write = Vec::new();
    let player = handle(0);
    let profile_url = format!("{base}/api/v1/players/{player}");
    let points_now = |v: &Value| v["points"].as_i64().unwrap_or(-1);
    let mut expected = points_now(
        &http
            .get(&profile_url)
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap(),
    );
    for n in 0..200 {
        let sent = Instant::now();
        let post = http
            .post(format!("{profile_url}/progress"))
            .bearer_auth(&key)
            .header("idempotency-key", format!("bench-{run_id}-{n}"))
            .json(&json!({"kind": "bench", "points": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(post.status().as_u16(), 202);
        expected += 1;
        let mut reads = 0;
        loop {
            reads += 1;
            let profile: Value = http
                .get(&profile_url)
                .bearer_auth(&key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if points_now(&profile) >= expected {
                break;
            }
            assert!(sent.elapsed() < Duration::from_secs(5), "never readable");
        }
        readable.push(sent.elapsed().as_secs_f64() * 1000.0);
        reads_per_write.push(reads as f64);
    }
    let p50 = summary("progress write → readable", readable.clone());
    reads_per_write.sort_by(f64::total_cmp);
    readable.sort_by(f64::total_cmp);
    println!(
        "write → readable: p50 {p50:.2} ms, p99 {:.2} ms ({:.1}× the baseline's p50); reads until readable: p50 {}, max {}",
        percentile(&readable, 0.99),
        p50 / baseline.p50,
        percentile(&reads_per_write, 0.5),
        reads_per_write.last().unwrap()
    );
    drop(server);
}
