//! A small Server-Sent Events reader for the black-box tests of `GET /events`.
//!
//! The wire format (fields, comments, every line ending) is read by the server's own client
//! reader, `server::simulator::sse`, which the simulator and the benchmark use too; this adds
//! what tests want on top. Each event's data is decoded as the `{"kind": ..., "data": ...}`
//! envelope, panicking when it is not one. Presence messages (`presence`, and `online`, a
//! stream's first message) are skipped unless asked for ([`SseClient::with_presence`]), and so are the dashboard projector's announcements, which
//! come whenever it has counted something ([`SseClient::with_dashboard`]).
//!
//! Reads are cancel-safe (as that reader's are): a `next_within` that times out loses nothing
//! and the next read resumes where it stopped.
//!
//! `realtime.rs` includes this file with `#[path = "common/sse.rs"] mod sse;`.

#![allow(dead_code)] // Each test uses its own subset of these helpers.

use std::time::Duration;

use reqwest::{
    header::{self, HeaderMap},
    Client, RequestBuilder, StatusCode,
};
use serde_json::Value;
use server::simulator::sse::{Event, EventStream};
use tokio::time::{timeout, timeout_at, Instant};

/// One event from the stream.
#[derive(Debug, Clone)]
pub struct Message {
    /// The `id:` field: set on durable events, absent on `resync` and ephemeral messages.
    pub id: Option<i64>,
    /// The envelope's `kind`.
    pub kind: String,
    /// The envelope's `data` (`Null` when the envelope has none, as for `resync`).
    pub data: Value,
    /// The event's data text exactly as received, to check what was sent at all.
    pub raw: String,
}

/// Whether a message of `kind` is about presence.
fn is_presence(kind: &str) -> bool {
    matches!(kind, "presence" | "online")
}

/// An open `GET /events` stream.
pub struct SseClient {
    stream: EventStream,
    headers: HeaderMap,
    /// The server ended the stream, or the connection broke.
    ended: bool,
    /// Why the connection broke, if it did not end cleanly.
    error: Option<String>,
    /// Whether presence messages are returned; most tests are about durable events and skip
    /// them.
    presence: bool,
    /// Whether `dashboard` announcements are returned.
    dashboard: bool,
}

impl SseClient {
    /// Opens `url` (the full address of `/events`, query string included) with `client`'s
    /// cookies, sending `Last-Event-ID` when `last_event_id` is given. Panics unless the server
    /// answers 200.
    pub async fn connect(url: &str, client: &Client, last_event_id: Option<i64>) -> SseClient {
        let mut request = client.get(url);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        Self::open(request).await
    }

    /// Sends a prepared request (for instance with an explicit `cookie` header) and starts
    /// reading its stream. Panics unless the server answers 200.
    pub async fn open(request: RequestBuilder) -> SseClient {
        let response = request
            .header(header::ACCEPT, "text/event-stream")
            .send()
            .await
            .expect("GET /events");
        let status = response.status();
        if status != StatusCode::OK {
            let body = response.text().await.unwrap_or_default();
            panic!("GET /events answered {status}: {body}");
        }
        SseClient {
            headers: response.headers().clone(),
            stream: EventStream::new(response),
            ended: false,
            error: None,
            presence: false,
            dashboard: false,
        }
    }

    /// Returns the dashboard's announcements too, instead of skipping them.
    pub fn with_dashboard(mut self) -> Self {
        self.dashboard = true;
        self
    }

    /// Returns presence messages too, instead of skipping them.
    pub fn with_presence(mut self) -> Self {
        self.presence = true;
        self
    }

    /// The response's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Whether the server has ended the stream (or the connection broke). Once this is true
    /// and [`next`](Self::next) has returned `None`, nothing more will come.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Why the connection broke, when it did not end cleanly.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The next event, or `None` once the stream has ended. Comment lines are skipped, and so
    /// are events without data; an unfinished event at the end of the stream is dropped.
    pub async fn next(&mut self) -> Option<Message> {
        while !self.ended {
            match self.stream.next().await {
                Ok(Some(event)) => match decode(event) {
                    message if is_presence(&message.kind) && !self.presence => {}
                    message if message.kind == "dashboard" && !self.dashboard => {}
                    message => return Some(message),
                },
                Ok(None) => self.ended = true,
                Err(error) => {
                    self.ended = true;
                    self.error = Some(error.to_string());
                }
            }
        }
        None
    }

    /// The next event if one arrives within `wait`; `None` on timeout or at the end of the
    /// stream (tell them apart with [`ended`](Self::ended)).
    pub async fn next_within(&mut self, wait: Duration) -> Option<Message> {
        timeout(wait, self.next()).await.unwrap_or(None)
    }

    /// Up to `count` events, stopping early at the end of the stream or when `overall` has
    /// passed.
    pub async fn collect(&mut self, count: usize, overall: Duration) -> Vec<Message> {
        let deadline = Instant::now() + overall;
        let mut messages = Vec::with_capacity(count);
        while messages.len() < count {
            match timeout_at(deadline, self.next()).await {
                Ok(Some(message)) => messages.push(message),
                Ok(None) | Err(_) => break,
            }
        }
        messages
    }

    /// The ids of up to `count` durable events, stopping early at the end of the stream or
    /// when `overall` has passed. Panics on a message without an id (such as `resync`): the
    /// caller expects only durable events.
    pub async fn collect_ids(&mut self, count: usize, overall: Duration) -> Vec<i64> {
        let deadline = Instant::now() + overall;
        let mut ids = Vec::with_capacity(count);
        while ids.len() < count {
            let message = match timeout_at(deadline, self.next()).await {
                Ok(Some(message)) => message,
                Ok(None) | Err(_) => break,
            };
            let Some(id) = message.id else {
                panic!(
                    "expected durable events only, got {message:?} after {} of {count}",
                    ids.len()
                );
            };
            ids.push(id);
        }
        ids
    }
}

/// An event's data as the envelope every message is.
fn decode(event: Event) -> Message {
    let raw = event.data;
    let envelope: Value = serde_json::from_str(&raw)
        .unwrap_or_else(|error| panic!("event data is not JSON ({error}): {raw}"));
    let kind = envelope["kind"]
        .as_str()
        .unwrap_or_else(|| panic!("event without a kind: {raw}"))
        .to_owned();
    let id = event.id.map(|id| {
        id.parse::<i64>()
            .unwrap_or_else(|_| panic!("event id {id:?} is not an integer: {raw}"))
    });
    Message {
        id,
        kind,
        data: envelope["data"].clone(),
        raw,
    }
}
