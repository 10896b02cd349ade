//! Meridian's server: the router (pages, server functions, operations endpoints) and its
//! start-up and shutdown. `main.rs` only reads the configuration and calls [`run`]; tests call
//! [`start`] on port 0.

pub mod api;
pub mod assets;
pub mod config;
pub mod guard;
pub mod housekeeping;
pub mod listener;
pub mod metrics;
pub mod ops;
pub mod presence;
pub mod projector;
pub mod requests;
pub mod rounds;
pub mod simulator;
pub mod sse;
pub mod supervisor;
pub mod telemetry;

use std::{
    future::Future,
    net::SocketAddr,
    sync::{Arc, OnceLock},
    time::Duration,
};

use app::{
    backend::{
        boards::{self, Boards},
        db,
        error::with_error_status,
        realtime::Throttle,
        AppState,
    },
    model::rules,
    shell, App,
};
use axum::{
    body::Body,
    extract::Request,
    handler::Handler,
    middleware::{self, Next},
    response::Response,
    routing::get,
    Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use supervisor::Supervisor;
use tokio::{
    net::TcpListener,
    sync::{oneshot, watch},
    task::JoinHandle,
};
use tower_http::{compression::CompressionLayer, trace::TraceLayer};

pub use config::Config;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(#[from] config::ConfigError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("Leptos configuration: {0}")]
    Leptos(String),
    #[error("serving: {0}")]
    Serve(std::io::Error),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Leptos' options from the environment cargo-leptos sets, with this project's defaults when
/// the binary runs on its own (tests, a plain `cargo run`). The bundle's hashed names are used
/// when the hash file beside the binary describes the site ([`assets::use_hash_file`]).
pub fn leptos_options(addr: SocketAddr) -> Result<LeptosOptions, StartError> {
    let mut options = get_configuration(None)
        .map_err(|e| StartError::Leptos(e.to_string()))?
        .leptos_options;
    if options.output_name.is_empty() {
        options.output_name = "meridian".into();
    }
    options.site_addr = addr;
    assets::use_hash_file(&mut options);
    Ok(options)
}

/// Connects to the database (migrating it and loading the catalogue) and gathers the state.
pub async fn state(config: &Config, options: LeptosOptions) -> Result<AppState, StartError> {
    let pool = db::prepare(&config.database_url, config.db_pool).await?;
    Ok(AppState {
        pool,
        leptos_options: options,
        settings: Arc::new(config.settings.clone()),
        hub: Arc::default(),
        boards: Arc::new(Boards::new(config.settings.round_length)),
        reference: Arc::default(),
        typing: Arc::new(Throttle::new(Duration::from_secs(rules::TYPING_EVERY_SECS))),
        census: Arc::default(),
        homes: Arc::default(),
    })
}

/// The app's page routes, listed once per process.
///
/// Listing them renders the whole app outside any request. Doing that again while another
/// server in the same process is rendering a page (tests start many servers side by side) left
/// that page pending forever: 6 of 12 runs of four servers starting while serving hung. The
/// routes are a property of the binary, so the first listing serves every later server.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole HTTP surface; `/readyz` asks `supervisor` which tasks are up.
pub fn router(state: AppState, supervisor: Supervisor) -> Router {
    let routes = page_routes();
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            provide_context(app::backend::sessions::RequestSession::default());
        }
    };
    let page = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    // The site's files (the bundle, `public/`) with the lifetime each may be cached for.
    let files =
        leptos_axum::file_and_error_handler_with_context::<AppState, _>(context.clone(), shell)
            .layer(middleware::from_fn_with_state(
                Arc::new(assets::Bundle::of(&state.leptos_options)),
                assets::cache_control,
            ));
    Router::new()
        .leptos_routes_with_context(&state, routes, context.clone(), page)
        .route("/events", get(sse::events))
        .route("/events/public", get(sse::public_events))
        .merge(ops::routes(supervisor.clone()))
        .merge(metrics::routes(supervisor))
        .merge(api::routes(state.clone()))
        .route_layer(middleware::from_fn(metrics::track))
        // Unknown paths render the app's 404 page, which needs the state like any page.
        .fallback(files)
        .layer(middleware::from_fn(server_fn_status))
        .layer(middleware::from_fn(metrics::track_unmatched))
        .layer(middleware::from_fn(requests::readable))
        .layer(middleware::from_fn(guard::same_site))
        // Pages, the WASM bundle, scripts, styles and JSON go out compressed when the browser
        // takes it (brotli at quality 4, else gzip). Event streams and images are left alone
        // (tower-http's default predicate), so a stream is never held back to fill a block.
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Server functions (which `leptos_routes_with_context` mounts under `/api/`) answer errors
/// with the status their variant stands for.
async fn server_fn_status(request: Request<Body>, next: Next) -> Response {
    let path = request.uri().path();
    let is_server_fn = path.starts_with("/api/") && !path.starts_with("/api/v1/");
    let response = next.run(request).await;
    if is_server_fn {
        with_error_status(response).await
    } else {
        response
    }
}

/// A server running in this process.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    /// Whether this instance is the one projecting the dashboard.
    pub projector: Arc<projector::Status>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops taking connections, lets open requests finish, and waits.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// Starts a server on `config.addr` (port 0 picks a free port) in the background.
pub async fn start(config: Config) -> Result<Running, StartError> {
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.addr,
        source,
    })?;
    let state = state(&config, leptos_options(addr)?).await?;
    metrics::init();
    let (stop_tx, stop) = watch::channel(false);
    let supervisor = Supervisor::new(stop);
    {
        let (pool, hub, cache) = (
            state.pool.clone(),
            state.hub.clone(),
            state.reference.clone(),
        );
        let timeout = state.settings.presence_timeout;
        supervisor.spawn("listener", true, move |stop| {
            listener::run(pool.clone(), hub.clone(), cache.clone(), timeout, stop)
        });
    }
    {
        let (pool, hub, boards) = (state.pool.clone(), state.hub.clone(), state.boards.clone());
        supervisor.spawn("leaderboards", true, move |stop| {
            boards::feed::keep_current(pool.clone(), hub.clone(), boards.clone(), stop)
        });
    }
    {
        let (pool, keep) = (state.pool.clone(), config.event_retention);
        supervisor.spawn("housekeeping", false, move |stop| {
            housekeeping::run(pool.clone(), keep, stop)
        });
    }
    {
        let (pool, length) = (state.pool.clone(), config.settings.round_length);
        supervisor.spawn("rounds", false, move |stop| {
            rounds::run(pool.clone(), length, stop)
        });
    }
    {
        let state = state.clone();
        supervisor.spawn("presence", false, move |stop| {
            presence::run(state.clone(), stop)
        });
    }
    {
        let hub = state.hub.clone();
        supervisor.spawn("presence_flush", false, move |stop| {
            presence::flush(hub.clone(), stop)
        });
    }
    let projector = Arc::new(projector::Status::default());
    {
        let (pool, hub, status) = (state.pool.clone(), state.hub.clone(), projector.clone());
        supervisor.spawn("projector", false, move |stop| {
            projector::run(pool.clone(), hub.clone(), status.clone(), stop)
        });
    }
    // Take requests once events flow and the standings are loaded (or after a few seconds
    // regardless: `/readyz` tells).
    for _ in 0..500 {
        if state.hub.is_listening() && state.boards.is_loaded() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let (tx, rx) = oneshot::channel::<()>();
    let app = router(state.clone(), supervisor);
    let hub = state.hub.clone();
    let write_timeout = state.settings.write_timeout;
    let task = tokio::spawn(serve(listener, app, write_timeout, async move {
        let _ = rx.await;
        // Background tasks stop, and open event streams end so browsers reconnect to
        // another instance; then axum finishes the remaining requests.
        let _ = stop_tx.send(true);
        hub.close_all();
    }));
    Ok(Running {
        addr,
        state,
        projector,
        shutdown: Some(tx),
        task,
    })
}

/// Serves until `shutdown` resolves, then finishes open requests. A connection whose client
/// leaves what was written to it unacknowledged for `write_timeout` (it stopped reading: its
/// window stays shut) is cut by the kernel, instead of holding its stream and buffers until
/// the kernel gives up by itself, which for a shut window can be never.
///
/// Every connection sends at once what is written to it (`TCP_NODELAY`). With Nagle's
/// algorithm on, a page written in several parts, or an event frame written while the last
/// one is unacknowledged, waited for the client's delayed acknowledgement: 40 ms on Linux,
/// which was the map page's whole p99 (DESIGN.md's Next, on first paint).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    write_timeout: std::time::Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(move |tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::warn!(%err, "could not turn off the connection's send delay");
        }
        if let Err(err) = socket2::SockRef::from(&*tcp).set_tcp_user_timeout(Some(write_timeout)) {
            tracing::warn!(%err, "could not set the connection's write timeout");
        }
    });
    // With the peer's address, which sign-in limits count by.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received: finishing open requests");
}

/// Runs the server until a shutdown signal.
pub async fn run(config: Config) -> Result<(), StartError> {
    let running = start(config).await?;
    tracing::info!(addr = %running.addr, "listening");
    shutdown_signal().await;
    running.stop().await.map_err(StartError::Serve)?;
    tracing::info!("stopped");
    Ok(())
}
