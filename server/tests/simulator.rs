//! `meridian simulate` against the real binary on a fresh database: fifty bots chat for
//! twenty seconds, every accepted message reaches its recipient's stream, the database holds
//! what the summary says, and a second run reuses the same fifty bots.

mod common;

use std::{collections::HashMap, time::Duration};

use common::{free_port, fresh_database, start_binary};
use sqlx::PgPool;

/// The summary's lines, by their first word (the rest of each line, split on spaces). The
/// `refused` lines are kept under `refused <kind>`.
fn summary(stdout: &str) -> HashMap<String, Vec<String>> {
    let mut facts = HashMap::new();
    for line in stdout.lines() {
        let mut words = line.split_whitespace().map(str::to_owned);
        let Some(mut name) = words.next() else {
            continue;
        };
        let mut rest: Vec<String> = words.collect();
        if name == "refused" && !rest.is_empty() {
            name = format!("refused {}", rest.remove(0));
        }
        assert!(
            facts.insert(name.clone(), rest).is_none(),
            "{name} twice in\n{stdout}"
        );
    }
    facts
}

fn number(facts: &HashMap<String, Vec<String>>, name: &str) -> u64 {
    let values = facts
        .get(name)
        .unwrap_or_else(|| panic!("no {name} line in {facts:?}"));
    values[0]
        .parse()
        .unwrap_or_else(|_| panic!("{name}: {values:?}"))
}

/// Runs the simulator and returns its summary; it must exit successfully.
async fn simulate(base: &str, seconds: &str) -> HashMap<String, Vec<String>> {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_meridian"))
        .args(["simulate", "--url", base, "--bots", "50", "--rate", "10"])
        .args(["--seconds", seconds])
        // No database: the simulator is a client.
        .env_remove("DATABASE_URL")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(90), output)
        .await
        .expect("the simulator finishes")
        .expect("the simulator runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("--- simulate --seconds {seconds}\n{stdout}{stderr}");
    assert!(
        output.status.success(),
        "{:?}\n{stdout}\n{stderr}",
        output.status
    );
    summary(&stdout)
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_bots_chat_every_message_arrives_and_a_rerun_reuses_them() {
    let database_url = fresh_database().await;
    let pool = PgPool::connect(&database_url).await.unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = start_binary(&database_url, port).await;

    let first = simulate(&base, "20").await;
    assert_eq!(number(&first, "bots"), 50);
    assert_eq!(number(&first, "signed_up"), 50, "a fresh world");
    assert_eq!(number(&first, "streams"), 50);
    assert_eq!(number(&first, "errors"), 0);
    let (sent, accepted) = (number(&first, "sent"), number(&first, "accepted"));
    assert!(sent > 0);
    assert!(
        accepted * 10 >= sent * 9,
        "accepted {accepted} of {sent} sent"
    );
    assert_eq!(
        number(&first, "delivered"),
        accepted,
        "every message arrives"
    );
    assert_ne!(first["delivery_ms"][1], "-", "latency measured");
    assert_eq!(number(&first, "signed_out"), 50);

    // The database agrees: fifty bots with homes, this run's messages from them, the tasks
    // their streams reported, and no session left.
    let bots = "select count(*) from players where handle like 'bot%'";
    assert_eq!(count(&pool, bots).await, 50);
    assert_eq!(
        count(
            &pool,
            "select count(*) from players where handle like 'bot%' and home_city_id is not null"
        )
        .await,
        50
    );
    let run = &first["run"][0];
    let from_bots = count(
        &pool,
        "select count(*) from messages m join players p on p.id = m.sender_id
         where p.handle like 'bot%'",
    )
    .await;
    assert!(from_bots >= accepted as i64, "{from_bots} < {accepted}");
    let this_run: i64 =
        sqlx::query_scalar("select count(*) from messages where client_key like $1")
            .bind(format!("sim-{run}-%"))
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        this_run, accepted as i64,
        "each accepted message stored once"
    );
    let completed = count(
        &pool,
        "select count(*) from tasks where completed_at is not null",
    )
    .await;
    assert!(completed > 0, "bots complete tasks by themselves");
    assert_eq!(number(&first, "tasks_completed"), completed as u64);
    assert_eq!(
        count(
            &pool,
            "select count(*) from sessions s join players p on p.id = s.player_id
             where p.handle like 'bot%'"
        )
        .await,
        0,
        "signed out"
    );

    // A rerun against the same world signs the same bots in.
    let second = simulate(&base, "3").await;
    assert_eq!(number(&second, "bots"), 50);
    assert_eq!(number(&second, "signed_up"), 0);
    assert_eq!(number(&second, "signed_in"), 50);
    assert_eq!(number(&second, "errors"), 0);
    assert_eq!(number(&second, "delivered"), number(&second, "accepted"));
    assert_eq!(count(&pool, bots).await, 50, "the same fifty");
}
