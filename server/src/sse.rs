//! `GET /events`: one server-sent event stream per tab, for the signed-in player; and
//! `GET /events/public`, the stream of public events for anyone (the dashboard's and the
//! landing page's spectators), which carries no presence of its own and no player's home:
//! a spectator hears that a player joined or changed, never where they live (see
//! [`spectator_data`]).
//!
//! A stream first subscribes to the hub, then (when the browser says where it stopped, by
//! `Last-Event-ID` or `?after=`) replays from the log what the player missed and may see, then
//! streams live events, skipping any already replayed. Ids only ever increase. A resume point
//! older than retention, or a backlog larger than [`REPLAY_LIMIT`], gets `resync` instead; so
//! does a stream that falls behind, which then ends so the browser reconnects.
//!
//! A `resync` carries, as its id, the newest event id there was: the page refetches what it
//! shows (which then holds everything up to that id) and the stream goes on, or reconnects,
//! from there, so a tab that fell behind does not replay a thousand stale events and fall
//! behind again. Each stream's first message sets the browser's reconnection delay to a
//! random 1–5 s, so the streams that a shutdown or a lag ends do not all come back in the
//! same instant. The next is who is online now (`online`): presence is never replayed, so a
//! stream opened after a change would otherwise never hear of it.

use std::{collections::VecDeque, convert::Infallible, sync::Arc, time::Duration};

use app::{
    backend::{
        realtime::{hub::Ended, log, Message, Subscription},
        sessions, AppState,
    },
    error::AppError,
    model::Live,
};
use axum::{
    extract::{Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
    Json,
};
use futures::stream::{self, Stream};
use serde::Deserialize;

/// The most events a reconnecting stream replays; past that the page refetches instead.
pub const REPLAY_LIMIT: i64 = 1000;
/// How long a stream opened right after start waits for the listener before giving up (503).
const LISTENER_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Deserialize)]
pub struct Resume {
    after: Option<i64>,
}

pub async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(resume): Query<Resume>,
) -> Response {
    let opened = async {
        let token = sessions::token_from_headers(&headers).ok_or(AppError::NotSignedIn)?;
        let (player, _) = sessions::resolve(&state.pool, &token)
            .await?
            .ok_or(AppError::NotSignedIn)?;
        open(
            &state,
            &headers,
            resume,
            Some((player, sessions::key(&token))),
        )
        .await
    };
    match opened.await {
        Ok(response) => response,
        Err(err) => (err.status(), Json(err)).into_response(),
    }
}

pub async fn public_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(resume): Query<Resume>,
) -> Response {
    match open(&state, &headers, resume, None).await {
        Ok(response) => response,
        Err(err) => (err.status(), Json(err)).into_response(),
    }
}

/// A spectator's stream sees public events only: no player has this id.
const SPECTATOR: i64 = 0;

/// Opens a stream for `player` (their id and session key), or for a spectator.
async fn open(
    state: &AppState,
    headers: &HeaderMap,
    resume: Resume,
    player: Option<(i64, String)>,
) -> Result<Response, AppError> {
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(resume.after);

    let (subscription, player) = match player {
        Some((player, session)) => {
            // The presence task marks the player online within a moment (one query for
            // everyone who arrived meanwhile).
            let subscription = state
                .hub
                .subscribe_limited(player, session)
                .map_err(|_| AppError::TooManyStreams)?;
            (subscription, player)
        }
        None => (state.hub.subscribe(SPECTATOR, String::new()), SPECTATOR),
    };
    // Presence is never replayed: the stream starts with who is online now, read after
    // subscribing so that any change is in it or in a later message.
    let online = state.hub.online_message();
    // Right after start, the listener may not have taken its place in the log yet: a replay
    // read before then could miss what commits in between.
    tokio::time::timeout(LISTENER_WAIT, state.hub.until_following())
        .await
        .map_err(|_| AppError::Unavailable)?;
    let mut backlog = VecDeque::new();
    let mut resync = None;
    if let Some(after) = after {
        if after < log::pruned_through(&state.pool).await? {
            resync = Some(log::latest_id(&state.pool).await?);
        } else {
            let missed = log::replay(&state.pool, player, after, REPLAY_LIMIT + 1).await?;
            if missed.len() as i64 > REPLAY_LIMIT {
                resync = Some(log::latest_id(&state.pool).await?);
            } else {
                backlog.extend(missed.into_iter().map(|event| {
                    let message = Message::from(event);
                    match (player == SPECTATOR)
                        .then(|| spectator_data(&message))
                        .flatten()
                    {
                        Some(data) => Message { data, ..message },
                        None => message,
                    }
                }));
            }
        }
    }
    // After a resync the page refetches everything up to its id: live events at or below it
    // are in what it fetches.
    let last = resync
        .or(backlog.back().and_then(|e| e.id))
        .or(after)
        .unwrap_or(0);
    let body = Sse::new(stream(Feed {
        retry: Some(reconnect_delay()),
        online: Some(online),
        resync,
        backlog,
        last,
        subscription: Some(subscription),
        hub: state.hub.clone(),
        spectator: player == SPECTATOR,
    }))
    .keep_alive(KeepAlive::new().interval(state.settings.keep_alive));

    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Tells nginx-style proxies not to buffer the stream.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    *response.status_mut() = StatusCode::OK;
    Ok(response)
}

struct Feed {
    /// The reconnection delay to tell the browser, in the first message.
    retry: Option<Duration>,
    /// Who was online when the stream opened (an `online` message), to send next.
    online: Option<Arc<Message>>,
    /// A `resync` to send before anything else of the log, with the id to resume from.
    resync: Option<i64>,
    backlog: VecDeque<Message>,
    /// The highest id sent: durable events at or below it were replayed already.
    last: i64,
    subscription: Option<Subscription>,
    /// Where a stream that falls behind resumes: the newest event published.
    hub: Arc<app::backend::realtime::Hub>,
    /// A spectator's stream: player events come without the player's home.
    spectator: bool,
}

/// A random 1–5 s: how long a browser waits before reconnecting this stream.
fn reconnect_delay() -> Duration {
    Duration::from_millis(rand::Rng::gen_range(&mut rand::thread_rng(), 1000..5000))
}

/// What a spectator gets instead of a public event's data, when it differs. A player's events
/// (`player_joined`, `player_updated`) carry their home city, which only players see
/// (PRODUCT §2: a visitor never sees a city): a spectator gets them with no home, which still
/// tells the landing page that the world changed. Everything else goes as it is; a cheap look
/// for the two kinds' names comes first, since this runs for every event on every spectator's
/// stream.
fn spectator_data(message: &Message) -> Option<String> {
    if !(message.data.contains("player_joined") || message.data.contains("player_updated")) {
        return None;
    }
    let mut envelope = serde_json::from_str::<serde_json::Value>(&message.data).ok()?;
    if !matches!(
        envelope["kind"].as_str(),
        Some("player_joined" | "player_updated")
    ) {
        return None;
    }
    envelope["data"]["home"] = serde_json::Value::Null;
    Some(envelope.to_string())
}

fn sse(message: &Message) -> Event {
    let event = Event::default().data(&message.data);
    match message.id {
        Some(id) => with_id(event, id),
        None => event,
    }
}

fn with_id(event: Event, id: i64) -> Event {
    event.id(id.to_string())
}

/// `resync`, with the id the stream resumes from once the page has refetched.
fn resync(resume: i64) -> Event {
    crate::metrics::resync();
    let data = serde_json::to_string(&Live::Resync).unwrap_or_default();
    Event::default().data(data).id(resume.to_string())
}

fn stream(feed: Feed) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(feed, |mut feed| async move {
        if let Some(delay) = feed.retry.take() {
            return Some((Ok(Event::default().retry(delay)), feed));
        }
        if let Some(online) = feed.online.take() {
            return Some((Ok(sse(&online)), feed));
        }
        if let Some(resume) = feed.resync.take() {
            return Some((Ok(resync(resume)), feed));
        }
        if let Some(event) = feed.backlog.pop_front() {
            crate::metrics::delivered();
            return Some((Ok(sse(&event)), feed));
        }
        let subscription = feed.subscription.as_mut()?;
        loop {
            match subscription.recv().await {
                Ok(message) => match message.id {
                    Some(id) if id <= feed.last => continue,
                    Some(id) => {
                        feed.last = id;
                        crate::metrics::delivered();
                        let event = match feed.spectator.then(|| spectator_data(&message)).flatten()
                        {
                            Some(data) => with_id(Event::default().data(data), id),
                            None => sse(&message),
                        };
                        return Some((Ok(event), feed));
                    }
                    None => {
                        crate::metrics::delivered();
                        return Some((Ok(sse(&message)), feed));
                    }
                },
                Err(Ended::Lagged) => {
                    // Leave the hub now; the next turn ends the stream, and the browser
                    // reconnects from the newest event there was.
                    feed.subscription = None;
                    return Some((Ok(resync(feed.hub.latest())), feed));
                }
                Err(Ended::Closed) => return None,
            }
        }
    })
}
