//! One bot's session with a running server, through the interface a browser uses: the server
//! functions under `/api/` (form-encoded, `accept: application/json`, JSON answers), the
//! session cookie, and the `GET /events` stream.
//!
//! Every answer is sorted three ways: done (2xx with the expected JSON), refused (a 4xx
//! carrying the server's [`AppError`]: a rule said no, as it would to a player) and failed
//! (the request did not get through, a 5xx, or an answer of the wrong shape: something is
//! wrong with the server or the simulator).

use std::time::Duration;

use app::{
    backend::sessions::COOKIE,
    error::AppError,
    model::{ChatMessage, GameView, Home, Me},
};
use reqwest::{header, redirect::Policy, Client, RequestBuilder, Response};
use serde::de::{DeserializeOwned, IgnoredAny};

use super::sse::EventStream;

/// Every bot's password. Bots are for development worlds: knowing it lets anyone sign in as
/// one, which is why the simulator's handles carry a prefix of their own.
pub const PASSWORD: &str = "meridian-simulator";

/// How long an API call may take before it counts as failed.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Sign-in attempts a bot makes while the server says "too many attempts" (see [`Bot::enter`]).
const SIGN_IN_TRIES: u32 = 8;

/// Why a call did not do what was asked.
#[derive(Debug, Clone)]
pub enum Failure {
    /// The server refused it by a rule (a 4xx with its error).
    Refused(AppError),
    /// Transport error, 5xx, or an answer that is not what the endpoint returns.
    Failed(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused(err) => write!(f, "refused ({}): {err}", kind(err)),
            Self::Failed(why) => f.write_str(why),
        }
    }
}

pub type Answer<T> = Result<T, Failure>;

/// The server's error kind, as the summary names refusals: the [`AppError`] variant.
pub fn kind(err: &AppError) -> &'static str {
    match err {
        AppError::Invalid { .. } => "invalid",
        AppError::HandleTaken => "handle_taken",
        AppError::WrongCredentials => "wrong_credentials",
        AppError::NotSignedIn => "not_signed_in",
        AppError::TooManyAttempts { .. } => "too_many_attempts",
        AppError::TooManyMessages { .. } => "too_many_messages",
        AppError::TooManyStreams => "too_many_streams",
        AppError::NotFound(_) => "not_found",
        AppError::Forbidden => "forbidden",
        AppError::CrossSite => "cross_site",
        AppError::TooLarge { .. } => "too_large",
        AppError::NotAForm => "not_a_form",
        AppError::Unavailable => "unavailable",
        AppError::Internal => "internal",
        AppError::Transport(_) => "transport",
    }
}

/// The server's address and one HTTP client for every bot (each request carries its bot's
/// cookie), so a thousand bots share connections rather than holding two sockets each.
#[derive(Clone)]
pub struct Http {
    client: Client,
    base: String,
}

impl Http {
    pub fn new(base: &str) -> Result<Self, String> {
        let client = Client::builder()
            .redirect(Policy::none())
            .connect_timeout(Duration::from_secs(10))
            // Streams carry a keep-alive every 15 s by default: a minute of silence is a
            // dead connection.
            .read_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Whether the server answers `/healthz`.
    pub async fn check(&self) -> Result<(), String> {
        let url = format!("{}/healthz", self.base);
        match self.client.get(&url).timeout(CALL_TIMEOUT).send().await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("{url} answered {}", r.status())),
            Err(e) => Err(format!("cannot reach {url}: {e}")),
        }
    }

    fn post(
        &self,
        endpoint: &str,
        cookie: Option<&str>,
        form: &[(&str, String)],
    ) -> RequestBuilder {
        with_cookie(
            self.client
                .post(format!("{}/api/{endpoint}", self.base))
                .header(header::ACCEPT, "application/json")
                .timeout(CALL_TIMEOUT)
                .form(form),
            cookie,
        )
    }

    fn get(&self, endpoint: &str, cookie: &str) -> RequestBuilder {
        with_cookie(
            self.client
                .get(format!("{}/api/{endpoint}", self.base))
                .header(header::ACCEPT, "application/json")
                .timeout(CALL_TIMEOUT),
            Some(cookie),
        )
    }
}

fn with_cookie(request: RequestBuilder, cookie: Option<&str>) -> RequestBuilder {
    match cookie {
        Some(cookie) => request.header(header::COOKIE, cookie),
        None => request,
    }
}

/// Sends a request and reads its answer as `T`.
async fn call<T: DeserializeOwned>(request: RequestBuilder) -> Answer<T> {
    let response = request
        .send()
        .await
        .map_err(|e| Failure::Failed(format!("transport: {e}")))?;
    read(response).await
}

async fn read<T: DeserializeOwned>(response: Response) -> Answer<T> {
    let status = response.status();
    let url = response.url().path().to_owned();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| Failure::Failed(format!("{url}: reading the answer: {e}")))?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|e| {
            Failure::Failed(format!(
                "{url}: unexpected answer ({e}): {}",
                excerpt(&bytes)
            ))
        });
    }
    if status.is_client_error() {
        if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
            return Err(Failure::Refused(err));
        }
    }
    Err(Failure::Failed(format!(
        "{url}: {status}: {}",
        excerpt(&bytes)
    )))
}

fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.chars().take(200).collect()
}

/// How a bot came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    SignedUp,
    /// The handle existed (an earlier run): signed in with the simulator's password.
    SignedIn,
}

/// A signed-in bot.
#[derive(Debug, Clone)]
pub struct Bot {
    pub id: i64,
    pub handle: String,
    pub display_name: String,
    pub home: Home,
    /// The `cookie` header value carrying the session.
    cookie: String,
}

impl Bot {
    /// Signs up as `handle`, or signs in when the handle is taken (a rerun against the same
    /// world), then makes `city_id` the bot's home unless it is already.
    ///
    /// Sign-up comes first because a failed sign-in counts against the client address for
    /// 15 minutes (20 failures from one address lock it out, developers included): signing
    /// in first to find out whether a bot exists would spend that allowance on a new world.
    /// A sign-in in flight counts as a failure until it succeeds, so many at once from one
    /// address are refused with "too many attempts" although every password is right; those
    /// are retried after a short pause.
    pub async fn enter(
        http: &Http,
        handle: &str,
        display_name: &str,
        city_id: i32,
    ) -> Answer<(Bot, Entry)> {
        let form = [
            ("handle", handle.to_owned()),
            ("display_name", display_name.to_owned()),
            ("password", PASSWORD.to_owned()),
        ];
        let (cookie, entry) = match session(http.post("account/sign_up", None, &form)).await {
            Ok(cookie) => (cookie, Entry::SignedUp),
            Err(Failure::Refused(AppError::HandleTaken)) => {
                (sign_in(http, handle).await?, Entry::SignedIn)
            }
            Err(other) => return Err(other),
        };
        let me: Option<Me> = call(http.get("account/me", &cookie)).await?;
        let me = me.ok_or_else(|| {
            Failure::Failed(format!(
                "{handle}: signed in, but account/me says signed out"
            ))
        })?;
        let home = match me.home {
            Some(home) if home.city_id == city_id => home,
            _ => {
                call(http.post(
                    "home/city",
                    Some(&cookie),
                    &[("city_id", city_id.to_string())],
                ))
                .await?
            }
        };
        let bot = Bot {
            id: me.id,
            handle: me.handle,
            display_name: me.display_name,
            home,
            cookie,
        };
        Ok((bot, entry))
    }

    /// My tasks for the round under way (chosen now if this is my first visit) and where the
    /// event log stood.
    pub async fn game(&self, http: &Http) -> Answer<GameView> {
        call(http.get("game/view", &self.cookie)).await
    }

    /// The chat with player `with`, started if there is none.
    pub async fn start_chat(&self, http: &Http, with: i64) -> Answer<i64> {
        call(http.post(
            "chat/start",
            Some(&self.cookie),
            &[("with", with.to_string())],
        ))
        .await
    }

    /// Sends a message; `key` is the page's idempotency key, which also names the message on
    /// the recipient's stream.
    pub async fn send(&self, http: &Http, chat: i64, body: &str, key: &str) -> Answer<ChatMessage> {
        call(http.post(
            "chat/send",
            Some(&self.cookie),
            &[
                ("chat_id", chat.to_string()),
                ("body", body.to_owned()),
                ("client_key", key.to_owned()),
            ],
        ))
        .await
    }

    /// Tells the other member of `chat` that I am typing.
    pub async fn typing(&self, http: &Http, chat: i64) -> Answer<bool> {
        call(http.post(
            "chat/typing",
            Some(&self.cookie),
            &[("chat_id", chat.to_string())],
        ))
        .await
    }

    /// Ends the session (the server also ends its streams).
    pub async fn sign_out(&self, http: &Http) -> Answer<()> {
        call::<IgnoredAny>(http.post("account/sign_out", Some(&self.cookie), &[]))
            .await
            .map(|_| ())
    }

    /// Opens my event stream, resuming after event `after` when given (as a browser's
    /// `EventSource` does with `Last-Event-ID`).
    pub async fn events(&self, http: &Http, after: Option<i64>) -> Answer<EventStream> {
        let mut request = http
            .client
            .get(format!("{}/events", http.base))
            .header(header::ACCEPT, "text/event-stream")
            .header(header::COOKIE, &self.cookie);
        if let Some(after) = after {
            request = request.header("last-event-id", after.to_string());
        }
        let response = request
            .send()
            .await
            .map_err(|e| Failure::Failed(format!("/events: transport: {e}")))?;
        if response.status().is_success() {
            return Ok(EventStream::new(response));
        }
        Err(read::<IgnoredAny>(response)
            .await
            .err()
            .unwrap_or_else(|| Failure::Failed("/events: not a stream".into())))
    }
}

/// Sends a sign-up or sign-in and returns the `cookie` header for the session it starts.
async fn session(request: RequestBuilder) -> Answer<String> {
    let response = request
        .send()
        .await
        .map_err(|e| Failure::Failed(format!("transport: {e}")))?;
    let token = response
        .cookies()
        .find(|c| c.name() == COOKIE && !c.value().is_empty())
        .map(|c| c.value().to_owned());
    read::<IgnoredAny>(response).await?;
    let token =
        token.ok_or_else(|| Failure::Failed(format!("signed in without a {COOKIE} cookie")))?;
    Ok(format!("{COOKIE}={token}"))
}

async fn sign_in(http: &Http, handle: &str) -> Answer<String> {
    let form = [
        ("handle", handle.to_owned()),
        ("password", PASSWORD.to_owned()),
    ];
    let mut pause = Duration::from_millis(250);
    for _ in 1..SIGN_IN_TRIES {
        match session(http.post("account/sign_in", None, &form)).await {
            Err(Failure::Refused(AppError::TooManyAttempts { .. })) => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(4));
            }
            done => return done,
        }
    }
    session(http.post("account/sign_in", None, &form)).await
}
