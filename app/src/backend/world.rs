//! The world as the landing page shows it to anyone: players online now (fresh presence rows,
//! as the map counts them) and, by country, players online and players active today (the
//! dashboard projector's `dash_active`). Only countries and counts leave here; both reads are
//! bounded by activity (presence rows, today's active players), not by the number of players.

use std::time::Duration;

use sqlx::PgPool;

use crate::{
    error::AppError,
    model::{CountryActivity, WorldActivity},
};

pub async fn activity(
    pool: &PgPool,
    presence_timeout: Duration,
) -> Result<WorldActivity, AppError> {
    // The cursor first: a change committed while the counts are read is then replayed.
    let cursor = super::realtime::log::latest_id(pool).await?;
    let secs = presence_timeout.as_secs_f64();
    let online = sqlx::query_scalar!(
        r#"select count(distinct player_id) as "online!" from presence
           where seen_at > now() - make_interval(secs => $1)"#,
        secs
    )
    .fetch_one(pool)
    .await?;
    let countries = sqlx::query_as!(
        CountryActivity,
        r#"with online as (
               select c.country_code, count(*) as n
               from (select distinct player_id from presence
                     where seen_at > now() - make_interval(secs => $1)) o
               join players p on p.id = o.player_id
               join city_places c on c.city_id = p.home_city_id
               group by c.country_code
           ), active as (
               select c.country_code, count(*) as n
               from dash_active a
               join players p on p.id = a.player_id
               join city_places c on c.city_id = p.home_city_id
               where a.day = (now() at time zone 'UTC')::date
               group by c.country_code
           )
           select co.code as "code!", co.name as "name!", co.lat as "lat!", co.lon as "lon!",
                  coalesce(o.n, 0) as "online!", coalesce(a.n, 0) as "active_today!"
           from countries co
           left join online o on o.country_code = co.code
           left join active a on a.country_code = co.code
           where o.n is not null or a.n is not null
           order by coalesce(o.n, 0) desc, coalesce(a.n, 0) desc, co.name"#,
        secs
    )
    .fetch_all(pool)
    .await?;
    Ok(WorldActivity {
        online,
        countries,
        cursor,
    })
}
