//! The `meridian` binary: configuration from the environment, then serve until a signal.
//! `meridian rebuild-dashboard` instead recomputes the dashboard's aggregates from the domain
//! tables (as of one snapshot, with the projector's checkpoint) and exits.

use std::process::ExitCode;

use server::{config::Config, run, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
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
        Some(other) => {
            eprintln!("meridian: unknown command {other:?} (known: rebuild-dashboard)");
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
