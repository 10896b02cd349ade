//! Server-side sessions. The cookie holds a random token; the database holds its SHA-256, the
//! player and when the session was last used. A session idle for 30 days is gone. Within one
//! request the session is read once ([`RequestSession`]).

use std::sync::Arc;

use axum::http::{header, request::Parts, HeaderMap, HeaderValue};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::{state, AppState};
use crate::error::AppError;

pub const COOKIE: &str = "meridian_session";
pub const IDLE_DAYS: i32 = 30;
/// Tokens are 32 random bytes in hex; anything longer is not ours and is not even hashed.
const TOKEN_LEN: usize = 64;

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The `Set-Cookie` value for a session token.
pub fn cookie(token: &str, secure: bool) -> String {
    let max_age = i64::from(IDLE_DAYS) * 24 * 60 * 60;
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clearing_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

/// The session token in a request's cookies, if it has the shape of one.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|token| token.len() == TOKEN_LEN && token.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Creates a session for the player and returns its token.
pub async fn create(pool: &PgPool, player_id: i64) -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    sqlx::query!(
        "insert into sessions (token_hash, player_id) values ($1, $2)",
        hash(&token),
        player_id
    )
    .execute(pool)
    .await?;
    Ok(token)
}

/// The player a token belongs to, if the session exists and is not idle-expired. Marks the
/// session used at most once an hour, and says whether it did.
pub async fn resolve(pool: &PgPool, token: &str) -> Result<Option<(i64, bool)>, AppError> {
    let row = sqlx::query!(
        r#"with live as (
               select token_hash, player_id, last_seen_at from sessions
               where token_hash = $1 and last_seen_at > now() - make_interval(days => $2)
           ), touched as (
               update sessions set last_seen_at = now()
               from live
               where sessions.token_hash = live.token_hash
                 and live.last_seen_at < now() - interval '1 hour'
               returning 1
           )
           select player_id, exists (select 1 from touched) as "touched!" from live"#,
        hash(token),
        IDLE_DAYS
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.player_id, r.touched)))
}

/// A session's name in shared state and notifications: the hex of its token's hash, never
/// the token.
pub fn key(token: &str) -> String {
    hex::encode(hash(token))
}

/// Where an ended session is announced, so that every instance ends its event streams: a
/// signed-out tab must stop hearing its player's private events.
pub const ENDED_CHANNEL: &str = "meridian_session_ended";

/// Ends the session with this token, and tells every instance.
pub async fn delete(pool: &PgPool, token: &str) -> Result<(), AppError> {
    sqlx::query!(
        r#"with gone as (delete from sessions where token_hash = $1 returning token_hash)
           select pg_notify($2, encode(token_hash, 'hex')) as "notified" from gone"#,
        hash(token),
        ENDED_CHANNEL
    )
    .fetch_optional(pool)
    .await?;
    Ok(())
}

/// Forgets sessions idle for longer than the limit.
pub async fn delete_expired(pool: &PgPool) -> Result<u64, AppError> {
    let done = sqlx::query!(
        "delete from sessions where last_seen_at < now() - make_interval(days => $1)",
        IDLE_DAYS
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

fn set_cookie(value: &str) -> Result<(), AppError> {
    let response = use_context::<ResponseOptions>().ok_or_else(|| {
        AppError::internal("set cookie", "ResponseOptions missing from the context")
    })?;
    let value = HeaderValue::from_str(value).map_err(|e| AppError::internal("cookie header", e))?;
    response.append_header(header::SET_COOKIE, value);
    Ok(())
}

/// Starts a session for the player in the current response.
pub async fn start(state: &AppState, player_id: i64) -> Result<(), AppError> {
    let token = create(&state.pool, player_id).await?;
    RequestSession::set(Some(player_id)).await;
    set_cookie(&cookie(&token, state.settings.secure_cookies))
}

/// Ends the current request's session, if any, and clears its cookie.
pub async fn end(state: &AppState) -> Result<(), AppError> {
    if let Some(token) = use_context::<Parts>().and_then(|p| token_from_headers(&p.headers)) {
        delete(&state.pool, &token).await?;
    }
    RequestSession::set(None).await;
    set_cookie(&clearing_cookie(state.settings.secure_cookies))
}

/// Who the current request is signed in as, once read: a page's resources each ask (the
/// header, the map, the game, the chats), and one read answers them all. The server provides
/// one per request with the app's state (`server::router`); starting or ending a session in
/// the request updates it. Errors are not kept, so a later ask reads again.
#[derive(Clone, Default)]
pub struct RequestSession(Arc<tokio::sync::Mutex<Option<Option<i64>>>>);

impl RequestSession {
    async fn set(player: Option<i64>) {
        if let Some(known) = use_context::<Self>() {
            *known.0.lock().await = Some(player);
        }
    }
}

/// The signed-in player of the current request, if any. "Who am I" always comes from here.
pub async fn current_player() -> Result<Option<i64>, AppError> {
    let Some(known) = use_context::<RequestSession>() else {
        return read_player().await;
    };
    // Held while reading, so resources asking at once wait for the one read.
    let mut known = known.0.lock().await;
    if let Some(player) = *known {
        return Ok(player);
    }
    let player = read_player().await?;
    *known = Some(player);
    Ok(player)
}

/// The session's player from the database, refreshing the cookie when the session was marked
/// used.
async fn read_player() -> Result<Option<i64>, AppError> {
    let state = state()?;
    let Some(token) = use_context::<Parts>().and_then(|p| token_from_headers(&p.headers)) else {
        return Ok(None);
    };
    let Some((player_id, touched)) = resolve(&state.pool, &token).await? else {
        return Ok(None);
    };
    if touched {
        // Keep the cookie alive as long as the session.
        set_cookie(&cookie(&token, state.settings.secure_cookies))?;
    }
    Ok(Some(player_id))
}

/// The signed-in player, or [`AppError::NotSignedIn`].
pub async fn require_player() -> Result<i64, AppError> {
    current_player().await?.ok_or(AppError::NotSignedIn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_read_only_from_its_own_cookie_and_shape() {
        let token = "ab".repeat(32);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {COOKIE}={token}")).unwrap(),
        );
        assert_eq!(token_from_headers(&headers), Some(token));

        for forged in ["abc", &"zz".repeat(32), &"ab".repeat(40)] {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::COOKIE,
                HeaderValue::from_str(&format!("{COOKIE}={forged}")).unwrap(),
            );
            assert_eq!(token_from_headers(&headers), None, "{forged}");
        }
    }

    #[test]
    fn cookie_attributes() {
        let c = cookie("t", false);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && !c.contains("Secure"));
        assert!(cookie("t", true).ends_with("; Secure"));
        assert!(clearing_cookie(false).contains("Max-Age=0"));
    }
}
