//! The `meridian` binary: configuration from the environment, then serve until a signal.
//! `meridian rebuild-dashboard` instead recomputes the dashboard's aggregates from the domain
//! tables (as of one snapshot, with the projector's checkpoint) and exits.
//! `meridian api-key issue <client>` prints a new API key (shown this once);
//! `meridian api-key revoke <client>` revokes that client's keys.
//! `meridian simulate [--url …] [--bots N] [--rate R] [--seconds S] [--keep]` runs bot players
//! against a running server over HTTP (see `server::simulator`); it needs no database.

use std::process::ExitCode;

use server::{config::Config, run, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    // A client of a running server: no configuration, no database.
    if let Some("simulate") = std::env::args().nth(1).as_deref() {
        return server::simulator::command(std::env::args().skip(2)).await;
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("meridian: {err}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(config.json_logs);
    match std::env::args().nth(1).as_deref() {
        None => {}
        Some("rebuild-dashboard") => return rebuild_dashboard(&config).await,
        Some("api-key") => return api_key(&config).await,
        Some(other) => {
            eprintln!(
                "meridian: unknown command {other:?} (known: rebuild-dashboard, api-key, simulate)"
            );
            return ExitCode::FAILURE;
        }
    }
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(%err, "meridian stopped");
            ExitCode::FAILURE
        }
    }
}

async fn rebuild_dashboard(config: &Config) -> ExitCode {
    let rebuilt = async {
        let pool = app::backend::db::prepare(&config.database_url, 2)
            .await
            .map_err(app::error::AppError::from)?;
        app::backend::dashboard::rebuild(&pool).await
    };
    match rebuilt.await {
        Ok(through) => {
            println!("dashboard rebuilt through event {through}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("meridian: rebuilding the dashboard failed: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn api_key(config: &Config) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(2).collect();
    let pool = match app::backend::db::prepare(&config.database_url, 2).await {
        Ok(pool) => pool,
        Err(err) => {
            eprintln!("meridian: the database: {err}");
            return ExitCode::FAILURE;
        }
    };
    let done = match (args.first().map(String::as_str), args.get(1)) {
        (Some("issue"), Some(client)) => {
            app::backend::api::issue_key(&pool, client)
                .await
                .map(|(id, key)| {
                    format!("key {id} for {client}: {key}\n(shown this once; keep it secret)")
                })
        }
        (Some("revoke"), Some(client)) => app::backend::api::revoke_keys(&pool, client)
            .await
            .map(|n| format!("revoked {n} key(s) of {client}")),
        _ => {
            eprintln!("meridian: use `meridian api-key issue <client>` or `meridian api-key revoke <client>`");
            return ExitCode::FAILURE;
        }
    };
    match done {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("meridian: {err}");
            ExitCode::FAILURE
        }
    }
}
