//! A small Server-Sent Events reader for the black-box tests of `GET /events`.
//!
//! It reads a streaming `reqwest::Response` chunk by chunk and parses the wire format the
//! server speaks: `id:` and `data:` fields, events ended by a blank line, `:` comment lines
//! (keep-alives) skipped, lines ended by `\n`, `\r\n` or `\r`. Each event's data is decoded as
//! the `{"kind": ..., "data": ...}` envelope. Presence messages are skipped unless asked for
//! ([`SseClient::with_presence`]), and so are the dashboard projector's announcements, which
//! come whenever it has counted something ([`SseClient::with_dashboard`]).
//!
//! Reads are cancel-safe: the event being assembled lives in the reader, not in the read's
//! future, so a `next_within` that times out loses nothing and the next read resumes where it
//! stopped.
//!
//! `realtime.rs` includes this file with `#[path = "common/sse.rs"] mod sse;`.

#![allow(dead_code)] // Each test uses its own subset of these helpers.

use std::time::Duration;

use reqwest::{
    header::{self, HeaderMap},
    Client, RequestBuilder, Response, StatusCode,
};
use serde_json::Value;
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

/// An open `GET /events` stream.
pub struct SseClient {
    response: Response,
    /// Bytes received; those before `consumed` have been split into lines already.
    buffer: Vec<u8>,
    consumed: usize,
    /// The `id:` of the event being assembled.
    pending_id: Option<String>,
    /// The `data:` lines of the event being assembled.
    pending_data: Vec<String>,
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
            response,
            buffer: Vec::new(),
            consumed: 0,
            pending_id: None,
            pending_data: Vec::new(),
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
        self.response.headers()
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
        loop {
            while let Some(line) = self.take_line() {
                match self.process(&line) {
                    Some(message) if message.kind == "presence" && !self.presence => {}
                    Some(message) if message.kind == "dashboard" && !self.dashboard => {}
                    Some(message) => return Some(message),
                    None => {}
                }
            }
            if self.ended {
                return None;
            }
            // The only await: cancelling here leaves the unread bytes in the response.
            match self.response.chunk().await {
                Ok(Some(bytes)) => {
                    self.buffer.drain(..self.consumed);
                    self.consumed = 0;
                    self.buffer.extend_from_slice(&bytes);
                }
                Ok(None) => self.ended = true,
                Err(error) => {
                    self.ended = true;
                    self.error = Some(error.to_string());
                }
            }
        }
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

    /// Takes one complete line off the buffer, without its terminator.
    fn take_line(&mut self) -> Option<String> {
        let start = self.consumed;
        let end = start
            + self.buffer[start..]
                .iter()
                .position(|&b| b == b'\n' || b == b'\r')?;
        let terminator = if self.buffer[end] == b'\n' {
            1
        } else {
            match self.buffer.get(end + 1) {
                Some(b'\n') => 2,
                Some(_) => 1,
                // A `\r` at the end of what has arrived may be the first half of `\r\n`.
                None if self.ended => 1,
                None => return None,
            }
        };
        let line = String::from_utf8_lossy(&self.buffer[start..end]).into_owned();
        self.consumed = end + terminator;
        Some(line)
    }

    /// Applies one line to the event being assembled; a blank line finishes it.
    fn process(&mut self, line: &str) -> Option<Message> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None; // A comment: keep-alive.
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "id" => self.pending_id = Some(value.to_owned()),
            "data" => self.pending_data.push(value.to_owned()),
            _ => {} // `event`, `retry` and unknown fields carry nothing the tests look at.
        }
        None
    }

    fn dispatch(&mut self) -> Option<Message> {
        let id = self.pending_id.take().filter(|id| !id.is_empty());
        if self.pending_data.is_empty() {
            return None;
        }
        let raw = std::mem::take(&mut self.pending_data).join("\n");
        let envelope: Value = serde_json::from_str(&raw)
            .unwrap_or_else(|error| panic!("event data is not JSON ({error}): {raw}"));
        let kind = envelope["kind"]
            .as_str()
            .unwrap_or_else(|| panic!("event without a kind: {raw}"))
            .to_owned();
        let id = id.map(|id| {
            id.parse::<i64>()
                .unwrap_or_else(|_| panic!("event id {id:?} is not an integer: {raw}"))
        });
        Some(Message {
            id,
            kind,
            data: envelope["data"].clone(),
            raw,
        })
    }
}
