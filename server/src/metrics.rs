//! `/metrics`: Prometheus text, through the `metrics` facade and its Prometheus exporter
//! (installed once per process; the server serves the text itself, no listener of the
//! exporter's own).
//!
//! Counted as they happen: HTTP requests by matched route and status, with a latency
//! histogram (routes are the router's templates, so page URLs cannot grow the label set;
//! a path no route matches is `unmatched`), events delivered to streams, resyncs, listener
//! reconnects. Read at each scrape: open event streams, the database pool, the dashboard
//! projector's lag, cache reloads, and each supervised task's state and restarts.

use std::{sync::OnceLock, time::Instant};

use axum::{
    body::Body,
    extract::{MatchedPath, State},
    http::{header, Request, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
    Extension, Router,
};
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use app::backend::AppState;

use crate::supervisor::Supervisor;

/// Seconds: from a millisecond to ten.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The process's exporter, installed on first use; `None` if another recorder was set.
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets(LATENCY_BUCKETS)
                .and_then(PrometheusBuilder::install_recorder)
                .map_err(|err| tracing::error!(%err, "metrics recorder not installed"))
                .ok()
        })
        .as_ref()
}

/// Installs the exporter (so counts start with the server).
pub fn init() {
    let _ = handle();
}

pub fn routes(supervisor: Supervisor) -> Router<AppState> {
    Router::new()
        .route("/metrics", get(scrape))
        .layer(Extension(supervisor))
}

/// Counts a request under its route's template (`route_layer`, so the route is known).
pub async fn track(request: Request<Body>, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();
    let mut response = next.run(request).await;
    record(&route, response.status(), started);
    response.extensions_mut().insert(Counted);
    response
}

/// Marks a response [`track`] counted.
#[derive(Clone, Copy)]
struct Counted;

/// Counts, as `unmatched`, a request no route matched (around the whole router, so it sees
/// the fallback's answers: those [`track`] did not mark).
pub async fn track_unmatched(request: Request<Body>, next: Next) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    if response.extensions().get::<Counted>().is_none() {
        record("unmatched", response.status(), started);
    }
    response
}

fn record(route: &str, status: StatusCode, started: Instant) {
    let labels = [
        ("route", route.to_owned()),
        ("status", status.as_u16().to_string()),
    ];
    counter!("meridian_http_requests_total", &labels).increment(1);
    histogram!("meridian_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
}

/// An event written to a stream.
pub fn delivered() {
    counter!("meridian_events_delivered_total").increment(1);
}

/// A stream told to refetch.
pub fn resync() {
    counter!("meridian_resyncs_total").increment(1);
}

/// The listener lost its connection.
pub fn listener_reconnect() {
    counter!("meridian_listener_reconnects_total").increment(1);
}

async fn scrape(
    State(state): State<AppState>,
    Extension(supervisor): Extension<Supervisor>,
) -> Response {
    let Some(handle) = handle() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "metrics unavailable").into_response();
    };
    gauge!("meridian_event_streams_open").set(state.hub.open_streams() as f64);
    gauge!("meridian_event_listener_up").set(f64::from(u8::from(state.hub.is_listening())));
    gauge!("meridian_leaderboards_loaded").set(f64::from(u8::from(state.boards.is_loaded())));
    gauge!("meridian_db_pool_connections").set(f64::from(state.pool.size()));
    gauge!("meridian_db_pool_idle").set(state.pool.num_idle() as f64);
    counter!("meridian_reference_cache_reloads_total").absolute(state.reference.reloads());
    for task in supervisor.tasks() {
        let labels = [("task", task.name)];
        gauge!("meridian_task_up", &labels).set(f64::from(u8::from(task.is_up())));
        counter!("meridian_task_restarts_total", &labels).absolute(task.restarts());
    }
    match app::backend::dashboard::lag(&state.pool).await {
        Ok((events, secs)) => {
            gauge!("meridian_projector_lag_events").set(events as f64);
            gauge!("meridian_projector_lag_seconds").set(secs);
        }
        Err(err) => tracing::warn!(%err, "reading the projector's lag failed"),
    }
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}
