//! Everything that runs only on the server: state, queries and game rules. Server functions
//! in `api` call into here; nothing here renders.

pub mod accounts;
pub mod admin;
pub mod api;
pub mod boards;
pub mod chats;
pub mod dashboard;
pub mod db;
pub mod error;
pub mod game;
pub mod map;
pub mod places;
pub mod players;
pub mod realtime;
pub mod reference;
pub mod sessions;
pub mod world;

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::*;
use sqlx::PgPool;

use crate::error::AppError;

/// Settings the backend reads, taken from the environment by the server at start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Leaflet tile URL template; empty means no tile layer (markers on a plain background).
    pub tile_url: String,
    pub tile_attribution: String,
    /// Mark the session cookie `Secure` (the site is served over https).
    pub secure_cookies: bool,
    /// How long a player stays online after their last stream closes.
    pub presence_timeout: std::time::Duration,
    /// How often an idle event stream carries a keep-alive comment. A stream whose browser
    /// has gone is only noticed when something is written to it, so this also bounds how
    /// late a departure is noticed.
    pub keep_alive: std::time::Duration,
    /// How long what the server wrote to a connection may stay unacknowledged (a client that
    /// stopped reading) before the connection is cut (`TCP_USER_TIMEOUT`).
    pub write_timeout: std::time::Duration,
    /// How long a round of the game lasts (an hour; tests and demos use seconds).
    pub round_length: std::time::Duration,
    /// Handles (lower-case) of the players who may use the admin page.
    pub admins: Vec<String>,
    /// Requests an API key may make in a minute, on each instance.
    pub api_rate_per_minute: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            tile_url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png".into(),
            tile_attribution: "&copy; OpenStreetMap contributors".into(),
            secure_cookies: false,
            presence_timeout: std::time::Duration::from_secs(20),
            keep_alive: std::time::Duration::from_secs(15),
            write_timeout: std::time::Duration::from_secs(30),
            round_length: std::time::Duration::from_secs(3600),
            admins: Vec::new(),
            api_rate_per_minute: 600,
        }
    }
}

/// Shared by the router, the SSR renderer and every server function.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub leptos_options: LeptosOptions,
    pub settings: Arc<Settings>,
    pub hub: Arc<realtime::Hub>,
    /// The leaderboards' standings, kept current from the event log.
    pub boards: Arc<boards::Boards>,
    /// Reference data cached in this instance (the task weights).
    pub reference: Arc<reference::Reference>,
    /// Typing signals relayed per sender (see [`realtime::Throttle`]).
    pub typing: Arc<realtime::Throttle>,
    /// Every home counted by city, shared by the map's wide views.
    pub census: Arc<map::Census>,
    /// Every region where players live, shared by first visits choosing tasks.
    pub homes: Arc<game::HomeRegions>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The state, from the context that leptos_axum provides to server functions and rendering.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState is missing from the Leptos context");
        AppError::Internal
    })
}
