//! Presence: a player is online while they have a live stream open on any instance, and for
//! a grace period after the last one closes (a reload is not a departure). Each instance
//! refreshes a row per connected player; a sweep turns players with no fresh row offline.
//! Changes go to every instance on [`CHANNEL`] (no id, never replayed); each instance's hub
//! gathers them and hands its streams one message a second (see [`super::hub`]).

use std::time::Duration;

use sqlx::PgPool;

use crate::{error::AppError, model::PresenceChange};

/// The channel presence changes travel on, as JSON [`PresenceChange`]s.
pub const CHANNEL: &str = "meridian_presence";
/// Players named in one notification: a few kilobytes, well under NOTIFY's 8000-byte cap.
const PER_NOTIFICATION: usize = 400;

/// Marks `players` as seen by `instance` now; returns those who were offline until now. A
/// player named twice counts once (an upsert may touch a row only once per statement).
pub async fn seen(
    pool: &PgPool,
    instance: &str,
    players: &[i64],
    timeout: Duration,
) -> Result<Vec<i64>, AppError> {
    if players.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_scalar!(
        r#"with was_online as (
               select distinct player_id from presence
               where player_id = any($2) and seen_at > now() - make_interval(secs => $3)
           ), refreshed as (
               insert into presence (player_id, instance)
               select distinct p, $1 from unnest($2::bigint[]) p
               where exists (select 1 from players where id = p)
               on conflict (player_id, instance) do update set seen_at = now()
           )
           select distinct p as "player_id!" from unnest($2::bigint[]) p
           where p not in (select player_id from was_online)"#,
        instance,
        players,
        timeout.as_secs_f64()
    )
    .fetch_all(pool)
    .await?)
}

/// Forgets rows older than `timeout`; returns the players left with no fresh row anywhere.
pub async fn sweep(pool: &PgPool, timeout: Duration) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"with gone as (
               delete from presence where seen_at <= now() - make_interval(secs => $1)
               returning player_id
           )
           select distinct player_id as "player_id!" from gone g
           where not exists (
               select 1 from presence p
               where p.player_id = g.player_id and p.seen_at > now() - make_interval(secs => $1)
           )"#,
        timeout.as_secs_f64()
    )
    .fetch_all(pool)
    .await?)
}

/// Every player online now (with a fresh row on some instance), in increasing id order.
pub async fn online_now(pool: &PgPool, timeout: Duration) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select distinct player_id as "player_id!" from presence
           where seen_at > now() - make_interval(secs => $1)
           order by 1"#,
        timeout.as_secs_f64()
    )
    .fetch_all(pool)
    .await?)
}

/// Announces players who came online and went offline to every instance: a few
/// notifications, however many players. Lost, by design, when no instance is listening; an
/// instance that was not reads [`online_now`] when it listens again.
pub async fn announce(pool: &PgPool, online: &[i64], offline: &[i64]) -> Result<(), AppError> {
    let changes = online
        .chunks(PER_NOTIFICATION)
        .map(|players| PresenceChange {
            online: players.to_vec(),
            offline: Vec::new(),
        })
        .chain(
            offline
                .chunks(PER_NOTIFICATION)
                .map(|players| PresenceChange {
                    online: Vec::new(),
                    offline: players.to_vec(),
                }),
        );
    for change in changes {
        let payload =
            serde_json::to_string(&change).map_err(|e| AppError::internal("presence change", e))?;
        sqlx::query!("select pg_notify($1, $2)", CHANNEL, payload)
            .execute(pool)
            .await?;
    }
    Ok(())
}
