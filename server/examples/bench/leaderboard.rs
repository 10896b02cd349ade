//! `--mode leaderboard`: boards in a big world. Makes `--players` players (default 1,000,000)
//! in real cities and `--rows` ledger rows (default 10,000,000) spread over a year, once:
//! a later run on the same database reuses them. Then it starts the server (which loads its
//! standings from that ledger), reads every board (four windows, the world and the reader's
//! country: the top 50 and the reader's row) as random players, and times awards from the
//! ledger insert to an open board's stream and to a board read that shows them. In the same
//! run, as the baseline, it times `/healthz` (the HTTP round trip alone) and the board read
//! of old: counting the ledger in SQL.
//!
//! Making the data set bypasses triggers (`session_replication_role = replica`, so it needs
//! a superuser, as a scratch database on a private cluster has): a year of history has no
//! events to replay, and the FKs are kept by construction.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use sqlx::PgPool;

use super::{read_stream, rss_kib, start_server, summary, Args, Server};

const WINDOWS: [&str; 4] = ["round", "week", "month", "all"];

pub async fn run(args: Args) {
    let database_url = std::env::var("DATABASE_URL").expect("DATABASE_URL (a scratch database)");
    // Migrated, with the catalogue of cities, as the server would make it.
    let pool = app::backend::db::prepare(&database_url, 4)
        .await
        .expect("database");
    let generated = make_world(&pool, args.players, args.rows).await;
    let size: i64 = sqlx::query_scalar("select pg_database_size(current_database())")
        .fetch_one(&pool)
        .await
        .unwrap();
    let ledger_size: i64 = sqlx::query_scalar("select pg_total_relation_size('points_ledger')")
        .fetch_one(&pool)
        .await
        .unwrap();

    let started = Instant::now();
    let Server {
        child: mut server,
        pid,
        base,
        client,
        pool: _,
    } = start_server(&args).await;
    let load_secs = started.elapsed().as_secs_f64();
    let rss_loaded = rss_kib(pid);

    // Readers: random players of the world, each signed in, with their country.
    let readers: Vec<(String, String)> = sqlx::query_as(
        "select p.id::text, coalesce(c.country_code, '')
         from players p left join city_places c on c.city_id = p.home_city_id
         where p.handle like 'lb%' order by random() limit 500",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut sessions = Vec::new();
    for (id, country) in &readers {
        let token = app::backend::sessions::create(&pool, id.parse().unwrap())
            .await
            .expect("session");
        sessions.push((token, country.clone()));
    }

    // The baseline: the HTTP round trip alone.
    let mut health = Vec::new();
    for _ in 0..2000 {
        let at = Instant::now();
        let r = client.get(format!("{base}/healthz")).send().await.unwrap();
        assert!(r.status().is_success());
        health.push(at.elapsed().as_secs_f64() * 1000.0);
    }

    // Board reads, every window and scope.
    let reads_per = args.reads;
    let mut reads: HashMap<String, Vec<f64>> = HashMap::new();
    let mut all_reads = Vec::new();
    let mut rows_shown = 0usize;
    for window in WINDOWS {
        for scope in ["world", "country"] {
            let mut ms = Vec::with_capacity(reads_per);
            for i in 0..reads_per {
                let (token, country) = &sessions[i % sessions.len()];
                let country = if scope == "world" {
                    ""
                } else {
                    country.as_str()
                };
                let at = Instant::now();
                let r = client
                    .get(format!("{base}/api/board"))
                    .query(&[("window", window), ("country", country)])
                    .header("cookie", format!("meridian_session={token}"))
                    .header("accept", "application/json")
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success(), "board read: {}", r.status());
                let body: serde_json::Value = r.json().await.unwrap();
                ms.push(at.elapsed().as_secs_f64() * 1000.0);
                rows_shown += body["rows"].as_array().map_or(0, Vec::len);
            }
            all_reads.extend_from_slice(&ms);
            reads.insert(format!("read {window:<5} {scope}"), ms);
        }
    }

    // Awards: an open board's stream, and a board read right after the insert.
    let (watch_token, _) = &sessions[0];
    let stream = client
        .get(format!("{base}/events"))
        .header("cookie", format!("meridian_session={watch_token}"))
        .send()
        .await
        .expect("stream");
    let sent: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let heard: Arc<Mutex<Vec<f64>>> = Arc::default();
    {
        let (sent, heard) = (sent.clone(), heard.clone());
        tokio::spawn(read_stream(stream, move |event, now| {
            if !event.contains("points_awarded") {
                return;
            }
            if let Some(n) = super::tagged(event, "lbaward#") {
                if let Some(at) = sent.lock().unwrap().get(&n) {
                    heard
                        .lock()
                        .unwrap()
                        .push(now.duration_since(*at).as_secs_f64() * 1000.0);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let run = format!("{:x}", rand_u64());
    let mut shown = Vec::new();
    let awards = args.awards;
    for n in 0..awards as u64 {
        // Each award to a reader, who reads the board at once.
        let k = 1 + n as usize % (sessions.len() - 1);
        let (token, player) = (&sessions[k].0, readers[k].0.parse::<i64>().unwrap());
        let at = Instant::now();
        sent.lock().unwrap().insert(n, at);
        let total: i64 = sqlx::query_scalar(
            "with added as (
                 insert into points_ledger (player_id, points, source) values ($1, 10, $2)
                 returning points)
             select (select coalesce(sum(points), 0) from points_ledger where player_id = $1)
                    + (select points from added)",
        )
        .bind(player)
        .bind(format!("lbaward#{n}#{run}"))
        .fetch_one(&pool)
        .await
        .expect("award");
        let r = client
            .get(format!("{base}/api/board"))
            .query(&[("window", "all"), ("country", "")])
            .header("cookie", format!("meridian_session={token}"))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["mine"]["points"], total, "the read shows the award");
        shown.push(at.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    // The old read: counting the ledger (all time, the world), a few times.
    let mut counted = Vec::new();
    for _ in 0..3 {
        let at = Instant::now();
        sqlx::query(
            "select player_id, rank() over (order by points desc)
             from (select player_id, sum(points) as points from points_ledger group by player_id) s
             order by points desc limit 50",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        counted.push(at.elapsed().as_secs_f64() * 1000.0);
    }
    let rss_end = rss_kib(pid);
    let _ = server.kill().await;

    println!(
        "world: {} players, {} ledger rows ({}); database {:.0} MiB, ledger with indexes {:.0} MiB",
        args.players,
        args.rows,
        generated.map_or("reused".into(), |s| format!("generated in {s:.0} s")),
        size as f64 / 1048576.0,
        ledger_size as f64 / 1048576.0
    );
    println!(
        "server start to ready (standings loaded): {load_secs:.1} s; RSS {:.0} MiB loaded, {:.0} MiB at the end",
        rss_loaded as f64 / 1024.0,
        rss_end as f64 / 1024.0
    );
    let base = summary("baseline GET /healthz", health);
    let mut names: Vec<_> = reads.keys().cloned().collect();
    names.sort();
    for name in names {
        summary(&name, reads.remove(&name).unwrap());
    }
    let p50 = summary("read, every board", all_reads.clone());
    println!(
        "rows shown per read: {:.1}; ratio p50 read / p50 healthz = {:.1}x",
        rows_shown as f64 / all_reads.len().max(1) as f64,
        p50 / base
    );
    summary(
        "award -> open board's stream",
        heard.lock().unwrap().clone(),
    );
    summary("award -> board read shows it", shown);
    let old = summary("counting the ledger (old read)", counted);
    println!("ratio p50 counting / p50 read = {:.0}x", old / p50);
}

pub(super) fn rand_u64() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Makes the world unless this database already holds it; the seconds it took, if made.
async fn make_world(pool: &PgPool, players: usize, rows: usize) -> Option<f64> {
    sqlx::query("create table if not exists bench_world (players bigint, rows bigint)")
        .execute(pool)
        .await
        .unwrap();
    let made: Option<(i64, i64)> = sqlx::query_as("select players, rows from bench_world")
        .fetch_optional(pool)
        .await
        .unwrap();
    if made == Some((players as i64, rows as i64)) {
        println!("reusing the world made before: {players} players, {rows} ledger rows");
        return None;
    }
    assert!(
        made.is_none(),
        "this database holds another bench world ({made:?}): use a fresh scratch database"
    );
    let started = Instant::now();
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("set session_replication_role = replica")
        .execute(&mut *conn)
        .await
        .expect("session_replication_role = replica needs a superuser");
    // Homes in the 3,000 largest cities, the larger more often.
    const CHUNK_PLAYERS: usize = 100_000;
    for from in (0..players).step_by(CHUNK_PLAYERS) {
        let to = (from + CHUNK_PLAYERS).min(players);
        sqlx::query(
            "with big as (select array_agg(id order by population desc) as ids
                          from (select id, population from cities
                                order by population desc limit 3000) c)
             insert into players (handle, display_name, password_hash, home_city_id)
             select 'lb' || n, 'Player ' || n, 'x',
                    big.ids[1 + floor(power(random(), 2) * array_length(big.ids, 1))::int]
             from generate_series($1::bigint, $2::bigint) n, big",
        )
        .bind(from as i64)
        .bind(to as i64 - 1)
        .execute(&mut *conn)
        .await
        .expect("players");
        progress("players", to, players, started);
    }
    let (low, high): (i64, i64) =
        sqlx::query_as("select min(id), max(id) from players where handle like 'lb%'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(
        high - low + 1,
        players as i64,
        "the players' ids are contiguous"
    );
    // Awards over the last year; a few players far more active than most.
    const CHUNK_ROWS: usize = 500_000;
    for from in (0..rows).step_by(CHUNK_ROWS) {
        let to = (from + CHUNK_ROWS).min(rows);
        sqlx::query(
            "insert into points_ledger (player_id, points, source, awarded_at)
             select $3 + floor(power(random(), 2) * $4)::bigint,
                    (array[2, 5, 10])[1 + floor(random() * 3)::int],
                    'lb:' || n,
                    now() - random() * interval '365 days'
             from generate_series($1::bigint, $2::bigint) n",
        )
        .bind(from as i64)
        .bind(to as i64 - 1)
        .bind(low)
        .bind(players as i64)
        .execute(&mut *conn)
        .await
        .expect("ledger");
        progress("ledger rows", to, rows, started);
    }
    sqlx::raw_sql("analyze players; analyze points_ledger")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("insert into bench_world values ($1, $2)")
        .bind(players as i64)
        .bind(rows as i64)
        .execute(&mut *conn)
        .await
        .unwrap();
    let secs = started.elapsed().as_secs_f64();
    println!();
    Some(secs)
}

fn progress(what: &str, done: usize, of: usize, started: Instant) {
    use std::io::Write;
    print!(
        "\rmaking the world: {what} {done}/{of} ({:.0}%), {:.0} s",
        100.0 * done as f64 / of as f64,
        started.elapsed().as_secs_f64()
    );
    let _ = std::io::stdout().flush();
    if done == of {
        println!();
    }
}
