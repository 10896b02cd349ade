//! `--mode events` (the default): an event from commit to every open stream. It opens
//! `--clients` SSE streams, then for `--seconds` renames a player `--rate` times a second.
//! Each rename goes the real way: the players trigger writes a public event, the commit
//! assigns its id and notifies, the listener reads it, the hub fans it out. It prints
//! write→delivery percentiles over every (event, stream) pair, deliveries per second, resyncs,
//! and the server's RSS per open stream. As a baseline measured in the same run, it times the
//! bare Postgres round trip: insert a row whose trigger notifies, until a listening connection
//! hears it. The ratio of the two p50s is what the server adds.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::sync::Barrier;

use super::{
    baseline, bench_player, read_stream, rss_kib, start_server, summary, tagged, Args, Server,
};

pub async fn run(args: Args) {
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
