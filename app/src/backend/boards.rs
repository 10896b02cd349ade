//! Leaderboards, read from the points ledger: a window (the round under way, the last 7 or 30
//! days, all time) and a scope (the world or one country), ranked with ties sharing a rank.
//!
//! Today every read aggregates the ledger rows of the window. That is exact and simple, and
//! fast for the worlds this project runs; the scale the product aims at (a million players)
//! needs the per-day buckets or the in-memory index that docs/DESIGN.md sketches.

use std::time::Duration;

use sqlx::PgPool;

use super::{game, realtime::log};
use crate::{
    error::AppError,
    model::{board::TOP, Board, BoardRow, Scope, Window},
};

/// The board for `window` and `scope`: every player ranked [`TOP`] or better, and `me`'s row.
pub async fn board(
    pool: &PgPool,
    me: Option<i64>,
    window: Window,
    scope: Scope,
    round_length: Duration,
) -> Result<Board, AppError> {
    if let Some(code) = scope.country() {
        let known = sqlx::query_scalar!(
            r#"select exists (select 1 from countries where code = $1) as "known!""#,
            code
        )
        .fetch_one(pool)
        .await?;
        if !known {
            return Err(AppError::invalid(
                "country",
                format!("There is no country with the code {code}."),
            ));
        }
    }
    // The live feed resumes from before the board was read.
    let cursor = log::latest_id(pool).await?;
    let round = game::clock(pool, round_length).await?.round;
    let rows = sqlx::query_as!(
        BoardRow,
        r#"with scores as (
               select l.player_id, sum(l.points)::bigint as points
               from points_ledger l
               where case $1::text
                         when 'round' then l.awarded_at >= $2
                         when 'week' then l.awarded_at > now() - interval '7 days'
                         when 'month' then l.awarded_at > now() - interval '30 days'
                         else true end
               group by l.player_id
           ), ranked as (
               select s.player_id, s.points, p.handle, p.display_name, r.country_code,
                      rank() over (order by s.points desc) as rank
               from scores s
               join players p on p.id = s.player_id
               left join cities c on c.id = p.home_city_id
               left join regions r on r.id = c.region_id
               where $3::text is null or r.country_code = $3
           )
           select rank as "rank!", player_id as "player_id!", handle as "handle!",
                  display_name as "display_name!", country_code as "country_code?",
                  points as "points!"
           from ranked
           where rank <= $4 or player_id = $5
           order by rank, handle"#,
        window.as_str(),
        round.starts_at,
        scope.country(),
        TOP,
        me
    )
    .fetch_all(pool)
    .await?;
    let mine = me.and_then(|me| rows.iter().find(|r| r.player_id == me).cloned());
    let rows = rows.into_iter().filter(|r| r.rank <= TOP).collect();
    Ok(Board {
        window,
        scope,
        rows,
        mine,
        round_id: round.id,
        cursor,
    })
}
