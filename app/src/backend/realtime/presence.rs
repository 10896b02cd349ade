//! Presence: a player is online while they have a live stream open on any instance, and for
//! a grace period after the last one closes (a reload is not a departure). Each instance
//! refreshes a row per connected player; a sweep turns players with no fresh row offline.
//! Changes go out as ephemeral messages (no id, never replayed).

use std::time::Duration;

use sqlx::PgPool;

use super::{send_ephemeral, Message};
use crate::{error::AppError, model::Live};

/// Marks `players` as seen by `instance` now; returns those who were offline until now.
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
               select p, $1 from unnest($2::bigint[]) p
               where exists (select 1 from players where id = p)
               on conflict (player_id, instance) do update set seen_at = now()
           )
           select p as "player_id!" from unnest($2::bigint[]) p
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

/// Announces a change to every instance. Ephemeral: carries no id and is never stored.
pub async fn announce(pool: &PgPool, player_id: i64, online: bool) -> Result<(), AppError> {
    send_ephemeral(
        pool,
        &Message::ephemeral(&Live::Presence { player_id, online }),
    )
    .await
}
