//! Many open streams on one instance.
//!
//! `--mode idle --clients 18000` opens that many event streams, one session each, and leaves
//! them idle: it prints the connect rate, the time each stream took to open (percentiles),
//! and the server's RSS before and after, per stream. Each process may hold 20,000 open files
//! here; the server runs in a process of its own, and the streams come from several loopback
//! source addresses (127.0.0.2, …), a few thousand each, so no one address runs out of
//! ephemeral ports.
//!
//! With `--connections N` the idle streams share N HTTP/2 connections instead (cleartext,
//! prior knowledge, as a proxy that speaks HTTP/2 to the server would send them).
//!
//! `--mode keepalive --clients 18000` is the same with plain HTTP connections instead: each
//! asks `GET /healthz` once and stays open, idle. The difference between the two is what a
//! stream costs beyond its connection.
//!
//! `--mode storm --clients 5000 --seconds 10` has that many players open a stream each,
//! spread evenly over the seconds (an instance restarting with tabs open). Every stream keeps
//! who it has been told is online (the first message's list, then each `presence` message);
//! it prints the resyncs, presence messages per stream and per stream-second, and how long
//! after the last connect each stream knew that everyone was online.

use std::{
    net::{IpAddr, Ipv4Addr},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use serde_json::Value;

use super::{bench_player, percentile, rss_kib, start_server, summary, Args, Server};

/// Streams opened from one source address.
const PER_ADDRESS: usize = 5000;

/// `connections` HTTP/2 clients (one connection each), spread over the source addresses.
fn http2_clients(connections: usize) -> Vec<reqwest::Client> {
    (0..connections)
        .map(|n| {
            reqwest::Client::builder()
                .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + (n % 4) as u8)))
                .http2_prior_knowledge()
                .build()
                .expect("client")
        })
        .collect()
}

/// One HTTP client per loopback source address, enough for `streams`.
fn clients(streams: usize) -> Vec<reqwest::Client> {
    (0..streams.div_ceil(PER_ADDRESS).max(1))
        .map(|n| {
            reqwest::Client::builder()
                .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + n as u8)))
                .pool_max_idle_per_host(0)
                .build()
                .expect("client")
        })
        .collect()
}

/// `GET /healthz` on a connection of its own, which then stays open, idle.
async fn keep_alive(base: &str, from: IpAddr) -> Result<reqwest::Client, String> {
    let client = reqwest::Client::builder()
        .local_address(from)
        .pool_idle_timeout(None)
        .build()
        .map_err(|e| e.to_string())?;
    let answer = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    answer.bytes().await.map_err(|e| e.to_string())?;
    Ok(client)
}

/// Opens a stream with `token`'s session; returns the response once its headers came.
async fn open(
    client: &reqwest::Client,
    base: &str,
    token: &str,
) -> Result<reqwest::Response, String> {
    let response = client
        .get(format!("{base}/events"))
        .header("cookie", format!("meridian_session={token}"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status().is_success() {
        Ok(response)
    } else {
        Err(response.status().to_string())
    }
}

pub async fn idle(args: Args) {
    let Server {
        child: mut server,
        pid,
        base,
        pool,
        ..
    } = start_server(&args).await;
    let (player, first) = bench_player(&pool).await;
    let mut tokens = vec![first];
    for _ in 1..args.clients {
        tokens.push(
            app::backend::sessions::create(&pool, player)
                .await
                .expect("session"),
        );
    }
    let (clients, per_client) = if args.connections > 0 {
        let per = args.clients.div_ceil(args.connections);
        (http2_clients(args.connections), per)
    } else {
        (clients(args.clients), PER_ADDRESS)
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_before = rss_kib(pid);

    let opened: Arc<Mutex<Vec<f64>>> = Arc::default();
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(args.clients);
    for (n, token) in tokens.into_iter().enumerate() {
        let client = clients[n / per_client].clone();
        let (base, opened, failed) = (base.clone(), opened.clone(), failed.clone());
        let plain = args.mode == "keepalive";
        tasks.push(tokio::spawn(async move {
            let at = Instant::now();
            if plain {
                let from = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + (n / PER_ADDRESS) as u8));
                match keep_alive(&base, from).await {
                    Ok(client) => {
                        opened
                            .lock()
                            .unwrap()
                            .push(at.elapsed().as_secs_f64() * 1000.0);
                        // Holding the client holds its idle connection.
                        std::future::pending::<()>().await;
                        drop(client);
                    }
                    Err(err) => {
                        if failed.fetch_add(1, Ordering::Relaxed) < 3 {
                            eprintln!("a connection did not open: {err}");
                        }
                    }
                }
                return;
            }
            match open(&client, &base, &token).await {
                Ok(response) => {
                    opened
                        .lock()
                        .unwrap()
                        .push(at.elapsed().as_secs_f64() * 1000.0);
                    // Hold the stream, reading what comes (the first messages, keep-alives).
                    let mut stream = server::simulator::sse::EventStream::new(response);
                    while let Ok(Some(_)) = stream.next().await {}
                }
                Err(err) => {
                    if failed.fetch_add(1, Ordering::Relaxed) < 3 {
                        eprintln!("a stream did not open: {err}");
                    }
                }
            }
        }));
        // At most `--rate` connects a second.
        let next = started + Duration::from_secs_f64((n + 1) as f64 / f64::from(args.rate));
        tokio::time::sleep_until(next.into()).await;
    }
    while opened.lock().unwrap().len() + (failed.load(Ordering::Relaxed) as usize) < args.clients
        && started.elapsed() < Duration::from_secs(600)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let connect_secs = started.elapsed().as_secs_f64();
    // Let the first messages drain and the allocator settle.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rss_after = rss_kib(pid);
    let open_now = opened.lock().unwrap().len();

    println!(
        "{}={} opened={open_now} failed={} in {connect_secs:.1} s ({:.0} connects/s), over {} {}",
        if args.mode == "keepalive" {
            "connections"
        } else {
            "streams"
        },
        args.clients,
        failed.load(Ordering::Relaxed),
        open_now as f64 / connect_secs,
        clients.len(),
        if args.connections > 0 {
            "HTTP/2 connections"
        } else {
            "source addresses (HTTP/1.1)"
        }
    );
    summary("connect -> headers", opened.lock().unwrap().clone());
    println!(
        "server RSS: {rss_before} KiB before, {rss_after} KiB with {open_now} open: {:.2} KiB each",
        rss_after.saturating_sub(rss_before) as f64 / open_now.max(1) as f64
    );
    let _ = server.kill().await;
    for task in tasks {
        task.abort();
    }
}

/// What one stream was told about presence.
#[derive(Default)]
struct Told {
    /// Bit `n` set: player `first + n` is online.
    online: Vec<u64>,
    count: usize,
    presence_messages: u64,
    resyncs: u64,
    last_presence: Option<Instant>,
    /// The shortest time between two presence messages.
    shortest_gap: Option<Duration>,
    /// When the stream first knew that all players were online.
    complete_at: Option<Instant>,
}

impl Told {
    fn set(&mut self, slot: usize, online: bool) {
        let (word, bit) = (slot / 64, 1u64 << (slot % 64));
        if word >= self.online.len() {
            self.online.resize(word + 1, 0);
        }
        let was = self.online[word] & bit != 0;
        if was != online {
            self.online[word] ^= bit;
            if online {
                self.count += 1;
            } else {
                self.count -= 1;
            }
        }
    }
}

pub async fn storm(args: Args) {
    let Server {
        child: mut server,
        pid,
        base,
        pool,
        ..
    } = start_server(&args).await;
    let mut players = Vec::with_capacity(args.clients);
    for _ in 0..args.clients {
        players.push(bench_player(&pool).await);
    }
    let first = players[0].0;
    let slot_of = move |id: i64| (id - first) as usize;
    assert!(
        players.iter().all(|(id, _)| slot_of(*id) < args.clients),
        "the players' ids are not consecutive: use a scratch database of its own"
    );
    let clients = clients(args.clients);
    let rss_before = rss_kib(pid);

    let everyone = args.clients;
    let results: Arc<Mutex<Vec<(Told, Instant)>>> = Arc::default();
    let failed = Arc::new(AtomicU64::new(0));
    let spread = Duration::from_secs(args.seconds);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(args.clients);
    let until = started + spread + Duration::from_secs(15);
    for (n, (_, token)) in players.into_iter().enumerate() {
        let at = started + spread.mul_f64(n as f64 / everyone as f64);
        tokio::time::sleep_until(at.into()).await;
        let client = clients[n / PER_ADDRESS].clone();
        let (base, results, failed) = (base.clone(), results.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            let opened = Instant::now();
            let response = match open(&client, &base, &token).await {
                Ok(response) => response,
                Err(err) => {
                    if failed.fetch_add(1, Ordering::Relaxed) < 3 {
                        eprintln!("a stream did not open: {err}");
                    }
                    return;
                }
            };
            let mut told = Told::default();
            let mut stream = server::simulator::sse::EventStream::new(response);
            let ids = |data: &Value, field: &str| -> Vec<usize> {
                data[field]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_i64)
                    .map(slot_of)
                    .filter(|slot| *slot < everyone)
                    .collect()
            };
            loop {
                let left = until.saturating_duration_since(Instant::now());
                let Ok(Ok(Some(event))) = tokio::time::timeout(left, stream.next()).await else {
                    break;
                };
                let Ok(message) = serde_json::from_str::<Value>(&event.data) else {
                    continue;
                };
                match message["kind"].as_str() {
                    Some("online") => {
                        told.online.clear();
                        told.count = 0;
                        for slot in ids(&message["data"], "players") {
                            told.set(slot, true);
                        }
                    }
                    Some("presence") => {
                        told.presence_messages += 1;
                        let now = Instant::now();
                        if let Some(last) = told.last_presence.replace(now) {
                            let gap = now - last;
                            told.shortest_gap = Some(told.shortest_gap.map_or(gap, |g| g.min(gap)));
                        }
                        for slot in ids(&message["data"], "online") {
                            told.set(slot, true);
                        }
                        for slot in ids(&message["data"], "offline") {
                            told.set(slot, false);
                        }
                    }
                    Some("resync") => told.resyncs += 1,
                    _ => {}
                }
                if told.count == everyone && told.complete_at.is_none() {
                    told.complete_at = Some(Instant::now());
                }
            }
            results.lock().unwrap().push((told, opened));
        }));
    }
    let last_connect = Instant::now();
    let connect_secs = started.elapsed().as_secs_f64();
    for task in tasks {
        let _ = task.await;
    }
    let rss_after = rss_kib(pid);
    let _ = server.kill().await;

    let results = results.lock().unwrap();
    let streams = results.len();
    let resyncs: u64 = results.iter().map(|(t, _)| t.resyncs).sum();
    let complete: Vec<f64> = results
        .iter()
        .filter_map(|(t, _)| t.complete_at)
        .map(|at| at.saturating_duration_since(last_connect).as_secs_f64() * 1000.0)
        .collect();
    let messages: Vec<f64> = results
        .iter()
        .map(|(t, _)| t.presence_messages as f64)
        .collect();
    let rates: Vec<f64> = results
        .iter()
        .map(|(t, opened)| {
            t.presence_messages as f64 / until.duration_since(*opened).as_secs_f64().max(1.0)
        })
        .collect();
    println!(
        "players={everyone} streams opened={streams} failed={} over {connect_secs:.1} s; resyncs {resyncs}",
        failed.load(Ordering::Relaxed)
    );
    let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    counts("presence messages/stream", messages.clone());
    println!("  most on one stream: {}", max(&messages));
    counts("presence messages/s/stream", rates.clone());
    let gaps: Vec<f64> = results
        .iter()
        .filter_map(|(t, _)| t.shortest_gap)
        .map(|g| g.as_secs_f64() * 1000.0)
        .collect();
    let shortest = gaps.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "  highest: {:.2}/s; shortest gap between two on one stream: {shortest:.0} ms",
        max(&rates)
    );
    println!(
        "streams that knew everyone was online: {} of {streams}",
        complete.len()
    );
    summary("last connect -> all online", complete);
    println!("server RSS: {rss_before} KiB before, {rss_after} KiB after");
}

/// Percentiles of a count (not of a time, as [`summary`] prints).
fn counts(name: &str, mut values: Vec<f64>) {
    values.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{name:<28} n={:<9} p50={:>8.2}  p95={:>8.2}  p99={:>8.2}",
        values.len(),
        percentile(&values, 0.5),
        percentile(&values, 0.95),
        percentile(&values, 0.99)
    );
}
