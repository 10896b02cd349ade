//! The `meridian` binary: configuration from the environment, then serve until a signal.

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
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(%err, "meridian stopped");
            ExitCode::FAILURE
        }
    }
}
