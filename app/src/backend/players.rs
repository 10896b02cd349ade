//! Players as the pages see them, and setting a player's home. Queries here read the exact
//! home position only to write it; every answer carries the city centre instead.

use std::time::Duration;

use sqlx::PgPool;

use super::places;
use crate::{
    error::AppError,
    model::{rules, Home, Me, Profile},
};

/// The newest event that says a player joined or changed home (or name): counts of homes
/// made after it hold every home, so those shared in memory key on it. One probe of
/// `events_home_changes_idx`, however many other events came since.
pub async fn home_changes(pool: &PgPool) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select coalesce(max(id), 0) as "id!" from events
           where kind in ('player_joined', 'player_updated')"#
    )
    .fetch_one(pool)
    .await?)
}

/// The signed-in player with their home.
pub async fn me(pool: &PgPool, player_id: i64) -> Result<Option<Me>, AppError> {
    let row = sqlx::query!(
        "select id, handle, display_name, home_city_id from players where id = $1",
        player_id
    )
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let home = match row.home_city_id {
        Some(city) => places::home_of_city(pool, city).await?,
        None => None,
    };
    Ok(Some(Me {
        id: row.id,
        handle: row.handle,
        display_name: row.display_name,
        home,
    }))
}

/// The profile of the player with `handle` (any case), as `viewer` sees it. "Talked to"
/// counts the players this one has sent a message to, and their home countries.
pub async fn profile(
    pool: &PgPool,
    boards: &super::boards::Boards,
    viewer: i64,
    handle: &str,
    presence_timeout: Duration,
) -> Result<Profile, AppError> {
    let cursor = super::realtime::log::latest_id(pool).await?;
    let row = sqlx::query!(
        r#"with p_id as (select id from players where handle = lower($1)),
           talked as (
               select distinct cm.other_id
               from chat_members cm
               join p_id on cm.player_id = p_id.id
               where exists (select 1 from messages m
                             where m.chat_id = cm.chat_id and m.sender_id = cm.player_id)
           )
           select p.id, p.handle, p.display_name, p.home_city_id, p.created_at,
                  exists (select 1 from presence pr
                          where pr.player_id = p.id
                            and pr.seen_at > now() - make_interval(secs => $3)) as "online!",
                  (select count(*) from messages m where m.sender_id = p.id) as "messages_sent!",
                  (select count(*) from talked) as "players_talked_to!",
                  (select count(distinct c.country_code)
                   from talked t
                   join players o on o.id = t.other_id
                   join city_places c on c.city_id = o.home_city_id) as "countries_talked_to!",
                  (select cm.chat_id from chat_members cm
                   where cm.player_id = $2 and cm.other_id = p.id) as chat_id
           from players p
           join p_id on p_id.id = p.id"#,
        handle,
        viewer,
        presence_timeout.as_secs_f64()
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::NotFound("Player".into()))?;
    let home = match row.home_city_id {
        Some(city) => places::home_of_city(pool, city).await?,
        None => None,
    };
    let game = super::game::profile(pool, boards, row.id).await?;
    Ok(Profile {
        game,
        cursor,
        id: row.id,
        handle: row.handle,
        display_name: row.display_name,
        home,
        online: row.online,
        joined: row.created_at,
        messages_sent: row.messages_sent,
        players_talked_to: row.players_talked_to,
        countries_talked_to: row.countries_talked_to,
        chat_id: row.chat_id,
    })
}

/// Sets the home from the browser's reported position: the city it snaps to, refused when
/// that city is too far away (a position at sea). The exact position is kept, private.
pub async fn set_home_from_position(
    pool: &PgPool,
    player_id: i64,
    lat: f64,
    lon: f64,
) -> Result<Home, AppError> {
    let (lat, lon) = rules::position(lat, lon)?;
    let nearest = places::snap_to_city(pool, lat, lon).await?;
    let city = match nearest {
        Some((city, km)) if places::within_reach(km) => city,
        Some((_, km)) => {
            return Err(AppError::invalid(
                "position",
                format!(
                    "That position is {km:.0} km from the nearest town we know (the limit is {:.0} km). Pick your city by name instead.",
                    places::MAX_SNAP_KM
                ),
            ))
        }
        None => return Err(AppError::invalid("position", "No towns are known yet.")),
    };
    store_home(pool, player_id, city, Some((lat, lon))).await
}

/// Sets the home to a city the player picked by name.
pub async fn set_home_city(pool: &PgPool, player_id: i64, city_id: i32) -> Result<Home, AppError> {
    store_home(pool, player_id, city_id, None).await
}

async fn store_home(
    pool: &PgPool,
    player_id: i64,
    city_id: i32,
    exact: Option<(f64, f64)>,
) -> Result<Home, AppError> {
    let home = places::home_of_city(pool, city_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("City {city_id}")))?;
    let (lat, lon) = exact.unzip();
    sqlx::query!(
        "update players set home_city_id = $2, home_lat = $3, home_lon = $4 where id = $1",
        player_id,
        city_id,
        lat,
        lon
    )
    .execute(pool)
    .await?;
    tracing::info!(player_id, city_id, "home set");
    Ok(home)
}
