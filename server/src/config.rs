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

/// Reads variables by name: the environment, or a table in tests.
struct Vars<F: Fn(&str) -> Option<String>>(F);

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
    }

    fn parse<T: std::str::FromStr>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.get(name) {
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

    /// A whole number from 1 to `max`.
    fn within(&self, name: &'static str, default: u64, max: u64) -> Result<u64, ConfigError> {
        let value = self.parse(name, default)?;
        if value == 0 || value > max {
            return Err(ConfigError::Invalid {
                name,
                reason: format!("{value}: must be from 1 to {max}"),
            });
        }
        Ok(value)
    }

    /// A number of seconds, at least one and within what the database's intervals take.
    fn seconds(&self, name: &'static str, default: Duration) -> Result<Duration, ConfigError> {
        Ok(Duration::from_secs(self.within(
            name,
            default.as_secs(),
            i32::MAX as u64,
        )?))
    }

    /// An http(s) URL, or unset; `tile` also asks for the {z}, {x} and {y} of a tile template.
    fn url(&self, name: &'static str, tile: bool) -> Result<Option<String>, ConfigError> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        let invalid = |reason: &str| ConfigError::Invalid {
            name,
            reason: format!("{raw:?}: {reason}"),
        };
        if raw.is_empty() {
            return Ok(Some(raw));
        }
        if !(raw.starts_with("http://") || raw.starts_with("https://")) {
            return Err(invalid("must start with http:// or https://"));
        }
        if tile && !["{z}", "{x}", "{y}"].iter().all(|p| raw.contains(p)) {
            return Err(invalid("a tile URL must hold {z}, {x} and {y}"));
        }
        Ok(Some(raw))
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| env::var(name).ok())
    }

    /// The configuration the variables `lookup` knows describe, or the first one that is
    /// wrong, by name.
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars(lookup);
        let defaults = Settings::default();
        let public_url = vars.url("MERIDIAN_PUBLIC_URL", false)?.unwrap_or_default();
        let database_url = vars
            .get("DATABASE_URL")
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/meridian".into());
        let postgres = ["postgres://", "postgresql://"]
            .iter()
            .any(|scheme| database_url.starts_with(scheme));
        let parsed = database_url.parse::<sqlx::postgres::PgConnectOptions>();
        if !postgres || parsed.is_err() {
            return Err(ConfigError::Invalid {
                name: "DATABASE_URL",
                reason: match parsed {
                    Err(err) => format!("not a Postgres URL ({err})"),
                    Ok(_) => "must start with postgres:// or postgresql://".into(),
                },
            });
        }
        let json_logs = match vars.get("MERIDIAN_LOG_FORMAT").as_deref() {
            None | Some("" | "text") => false,
            Some("json") => true,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "MERIDIAN_LOG_FORMAT",
                    reason: format!("{other:?}: must be json or text"),
                })
            }
        };
        Ok(Self {
            database_url,
            db_pool: vars.within("MERIDIAN_DB_POOL", 16, 1000)? as u32,
            addr: vars.parse("LEPTOS_SITE_ADDR", SocketAddr::from(([127, 0, 0, 1], 3000)))?,
            settings: Settings {
                // Set but empty means "no tiles": the map draws markers on a plain background.
                tile_url: vars
                    .url("MERIDIAN_TILE_URL", true)?
                    .unwrap_or(defaults.tile_url),
                tile_attribution: vars
                    .get("MERIDIAN_TILE_ATTRIBUTION")
                    .unwrap_or(defaults.tile_attribution),
                secure_cookies: public_url.starts_with("https://"),
                presence_timeout: vars
                    .seconds("MERIDIAN_PRESENCE_TIMEOUT_SECS", defaults.presence_timeout)?,
                keep_alive: vars.seconds("MERIDIAN_KEEP_ALIVE_SECS", defaults.keep_alive)?,
                write_timeout: vars
                    .seconds("MERIDIAN_WRITE_TIMEOUT_SECS", defaults.write_timeout)?,
                round_length: vars.seconds("MERIDIAN_ROUND_SECS", defaults.round_length)?,
                api_rate_per_minute: vars.within(
                    "MERIDIAN_API_RATE_PER_MINUTE",
                    u64::from(defaults.api_rate_per_minute),
                    1_000_000,
                )? as u32,
                admins: vars
                    .get("MERIDIAN_ADMINS")
                    .unwrap_or_default()
                    .split(',')
                    .map(|h| h.trim().to_lowercase())
                    .filter(|h| !h.is_empty())
                    .collect(),
            },
            json_logs,
            event_retention: Duration::from_secs(
                vars.within("MERIDIAN_EVENT_RETENTION_HOURS", 24, 24 * 365 * 10)? * 3600,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        Config::from_vars(move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    fn refused(pairs: &[(&str, &str)]) -> String {
        with(pairs).expect_err("refused").to_string()
    }

    #[test]
    fn defaults_need_no_variable() {
        let config = with(&[]).unwrap();
        assert_eq!(config.db_pool, 16);
        assert_eq!(config.settings.round_length, Duration::from_secs(3600));
        assert!(!config.json_logs);
    }

    #[test]
    fn durations_are_from_one_to_what_fits() {
        for name in [
            "MERIDIAN_PRESENCE_TIMEOUT_SECS",
            "MERIDIAN_KEEP_ALIVE_SECS",
            "MERIDIAN_ROUND_SECS",
        ] {
            assert!(refused(&[(name, "0")]).starts_with(name), "{name} 0");
            assert!(
                refused(&[(name, "-5")]).starts_with(name),
                "{name} negative"
            );
            assert!(refused(&[(name, "2147483648")]).contains("must be from 1"));
            assert!(refused(&[(name, "99999999999999999999")]).starts_with(name));
            assert!(with(&[(name, "1")]).is_ok());
            assert!(with(&[(name, "2147483647")]).is_ok());
        }
        assert!(refused(&[("MERIDIAN_EVENT_RETENTION_HOURS", "0")]).contains("RETENTION"));
        assert!(refused(&[("MERIDIAN_EVENT_RETENTION_HOURS", "87601")]).contains("RETENTION"));
        assert!(with(&[("MERIDIAN_EVENT_RETENTION_HOURS", "87600")]).is_ok());
        assert!(refused(&[("MERIDIAN_DB_POOL", "0")]).starts_with("MERIDIAN_DB_POOL"));
    }

    #[test]
    fn formats_and_urls_are_checked_by_name() {
        assert!(refused(&[("MERIDIAN_LOG_FORMAT", "yaml")]).starts_with("MERIDIAN_LOG_FORMAT"));
        assert!(with(&[("MERIDIAN_LOG_FORMAT", "json")]).unwrap().json_logs);
        assert!(refused(&[("DATABASE_URL", "mysql://x")]).starts_with("DATABASE_URL"));
        assert!(refused(&[("DATABASE_URL", "not a url")]).starts_with("DATABASE_URL"));
        assert!(
            refused(&[("MERIDIAN_TILE_URL", "tiles.example/{z}/{x}/{y}.png")])
                .starts_with("MERIDIAN_TILE_URL")
        );
        assert!(refused(&[("MERIDIAN_TILE_URL", "https://tiles.example/a.png")]).contains("{z}"));
        assert!(with(&[("MERIDIAN_TILE_URL", "")])
            .unwrap()
            .settings
            .tile_url
            .is_empty());
        assert!(
            refused(&[("MERIDIAN_PUBLIC_URL", "example.org")]).starts_with("MERIDIAN_PUBLIC_URL")
        );
        let secure = with(&[("MERIDIAN_PUBLIC_URL", "https://meridian.example")]).unwrap();
        assert!(secure.settings.secure_cookies);
        assert!(refused(&[("LEPTOS_SITE_ADDR", "localhost")]).starts_with("LEPTOS_SITE_ADDR"));
    }
}
