//! Configuration from environment variables, each with a default that works on a developer
//! machine. The README lists them.

use std::{env, net::SocketAddr, time::Duration};

use app::backend::Settings;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`.
    pub database_url: String,
    /// `MERIDIAN_DB_POOL` (default 16): connections per instance.
    pub db_pool: u32,
    /// `LEPTOS_SITE_ADDR` (default 127.0.0.1:3000; set by cargo-leptos).
    pub addr: SocketAddr,
    pub settings: Settings,
    /// `MERIDIAN_LOG_FORMAT`: `json` for one JSON object per line, else human-readable.
    pub json_logs: bool,
    /// `MERIDIAN_EVENT_RETENTION_HOURS` (default 24): how long the event log keeps events,
    /// and so how long a browser may be away and still resume without a full refetch.
    pub event_retention: Duration,
}

fn var(name: &str) -> Option<String> {
    env::var(name).ok()
}

fn parse<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|e: T::Err| ConfigError::Invalid {
                name,
                reason: format!("{raw:?}: {e}"),
            }),
    }
}

/// Like [`parse`], for a number of seconds that must be at least one and fit in 32 bits.
fn positive(name: &'static str, default: u64) -> Result<u64, ConfigError> {
    let value = parse(name, default)?;
    if value == 0 || value > i32::MAX as u64 {
        return Err(ConfigError::Invalid {
            name,
            reason: format!("{value}: must be from 1 to {}", i32::MAX),
        });
    }
    Ok(value)
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let defaults = Settings::default();
        let public_url = var("MERIDIAN_PUBLIC_URL").unwrap_or_default();
        Ok(Self {
            database_url: var("DATABASE_URL")
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/meridian".into()),
            db_pool: parse("MERIDIAN_DB_POOL", 16)?,
            addr: parse("LEPTOS_SITE_ADDR", SocketAddr::from(([127, 0, 0, 1], 3000)))?,
            settings: Settings {
                // Set but empty means "no tiles": the map draws markers on a plain background.
                tile_url: var("MERIDIAN_TILE_URL").unwrap_or(defaults.tile_url),
                tile_attribution: var("MERIDIAN_TILE_ATTRIBUTION")
                    .unwrap_or(defaults.tile_attribution),
                secure_cookies: public_url.starts_with("https://"),
                presence_timeout: Duration::from_secs(parse(
                    "MERIDIAN_PRESENCE_TIMEOUT_SECS",
                    defaults.presence_timeout.as_secs(),
                )?),
                keep_alive: Duration::from_secs(parse(
                    "MERIDIAN_KEEP_ALIVE_SECS",
                    defaults.keep_alive.as_secs(),
                )?),
                round_length: Duration::from_secs(positive(
                    "MERIDIAN_ROUND_SECS",
                    defaults.round_length.as_secs(),
                )?),
            },
            json_logs: var("MERIDIAN_LOG_FORMAT").is_some_and(|f| f == "json"),
            event_retention: Duration::from_secs(
                parse::<u64>("MERIDIAN_EVENT_RETENTION_HOURS", 24)? * 3600,
            ),
        })
    }
}
