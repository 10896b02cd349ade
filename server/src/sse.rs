//! `GET /events`: one server-sent event stream per tab, for the signed-in player; and
//! `GET /events/public`, the stream of public events for anyone (the dashboard's spectators),
//! which carries no presence of its own.
//!
//! A stream first subscribes to the hub, then (when the browser says where it stopped, by
//! `Last-Event-ID` or `?after=`) replays from the log what the player missed and may see, then
//! streams live events, skipping any already replayed. Ids only ever increase. A resume point
//! older than retention, or a backlog larger than [`REPLAY_LIMIT`], gets `resync` instead; so
//! does a stream that falls behind, which then ends so the browser reconnects.

use std::{collections::VecDeque, convert::Infallible};

use app::{
    backend::{
        realtime::{hub::Ended, log, presence, Message, Subscription},
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
            let subscription = state.hub.subscribe(player, session);
            let timeout = state.settings.presence_timeout;
            let instance = state.hub.instance();
            for online in presence::seen(&state.pool, instance, &[player], timeout).await? {
                presence::announce(&state.pool, online, true).await?;
            }
            (subscription, player)
        }
        None => (state.hub.subscribe(SPECTATOR, String::new()), SPECTATOR),
    };
    let mut backlog = VecDeque::new();
    let mut resync = false;
    if let Some(after) = after {
        if after < log::pruned_through(&state.pool).await? {
            resync = true;
        } else {
            let missed = log::replay(&state.pool, player, after, REPLAY_LIMIT + 1).await?;
            if missed.len() as i64 > REPLAY_LIMIT {
                resync = true;
            } else {
                backlog.extend(missed.into_iter().map(Message::from));
            }
        }
    }
    let last = backlog.back().and_then(|e| e.id).or(after).unwrap_or(0);
    let body = Sse::new(stream(Feed {
        resync,
        backlog,
        last,
        subscription: Some(subscription),
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
    resync: bool,
    backlog: VecDeque<Message>,
    /// The highest id sent: durable events at or below it were replayed already.
    last: i64,
    subscription: Option<Subscription>,
}

fn sse(message: &Message) -> Event {
    let event = Event::default().data(&message.data);
    match message.id {
        Some(id) => event.id(id.to_string()),
        None => event,
    }
}

fn resync() -> Event {
    crate::metrics::resync();
    let data = serde_json::to_string(&Live::Resync).unwrap_or_default();
    Event::default().data(data)
}

fn stream(feed: Feed) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(feed, |mut feed| async move {
        if std::mem::take(&mut feed.resync) {
            return Some((Ok(resync()), feed));
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
                        return Some((Ok(sse(&message)), feed));
                    }
                    None => {
                        crate::metrics::delivered();
                        return Some((Ok(sse(&message)), feed));
                    }
                },
                Err(Ended::Lagged) => {
                    // Leave the hub now; the next turn ends the stream.
                    feed.subscription = None;
                    return Some((Ok(resync()), feed));
                }
                Err(Ended::Closed) => return None,
            }
        }
    })
}
