//! `--mode chat`: a chat message from send to delivery. `--pairs` pairs of players, each with
//! a chat and both players on a live stream; `--rate` messages a second in all, sent through
//! `POST /api/chat/send` by alternating senders (each sender stays under the send limit of 10
//! in 10 s), after 2 s at that rate that are not counted (warm-up). It prints send→answer and
//! send→delivery (the other player's stream carries the `chat` event with the message)
//! percentiles against the bare Postgres baseline (see `events.rs`), and the CPU each message
//! cost the server, Postgres and the bench's own clients (see `cpu.rs`). `--mode sweep` runs it
//! at rising rates after measuring the commit ceiling (and its CPU per commit).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::sync::Barrier;

use super::{
    baseline, bench_player, ceiling, cpu, percentile, read_stream, sampler, start_server, summary,
    tagged, Args, Server,
};

/// Chat messages sent at the run's rate before the measured ones, and not counted: a server's
/// pooled connections each plan their statements the first time they run them (20–65 ms a
/// send in the first second, from Postgres's slow-statement log), which a running server
/// has long done.
const CHAT_WARMUP: Duration = Duration::from_secs(2);

/// What one chat run measured.
pub struct ChatRun {
    sent_per_sec: f64,
    answer_p99: f64,
    delivery_p99: f64,
    all_delivered: bool,
}

/// Chat messages from send to delivery: pairs of players, each with a chat and a stream.
pub async fn run(args: Args) -> ChatRun {
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
    let mut cpu_at_start = None;
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
            cpu_at_start.get_or_insert_with(|| cpu::Snapshot::take(Some(pid)));
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
    // The last messages' deliveries are in the window; the quiet seconds after it are not.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let used = cpu_at_start.map(|at_start| cpu::Snapshot::take(Some(pid)).since(&at_start));
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
    if let Some(used) = used {
        used.print("message", n as f64, write_secs + 0.1);
    }
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
pub async fn sweep(args: Args) {
    let database_url = std::env::var("DATABASE_URL").expect("DATABASE_URL (a scratch database)");
    let seconds = Duration::from_secs(args.seconds);
    let ceiling = ceiling::with_writers(&database_url, 8, seconds).await;
    let step = args.rate.max(10);
    let mut rows = Vec::new();
    let mut rate = step;
    loop {
        println!("--- chat at {rate} messages/s");
        let run = run(Args {
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
