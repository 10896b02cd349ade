//! The game on the server: the round under way, choosing a player's tasks once per round, and
//! reading them with the player's points.
//!
//! Completing a task needs nothing here: the `messages_complete_tasks` trigger does it in the
//! transaction of the message that completes it, and awards the points through the ledger.
//! Every change is broadcast by the game's triggers: `round_started` (everyone),
//! `tasks_assigned` and `task_completed` (the player), `points_awarded` (everyone).

use std::time::Duration;

use sqlx::{types::Json, PgExecutor, PgPool};

use super::{realtime::log, reference::Reference};
use crate::{
    error::AppError,
    model::{
        game::{criticality, TASKS_PER_ROUND},
        DayPoints, GameView, ProfileGame, Round, RoundClock, Scope, Task, Tasks, Weights, Window,
    },
};

/// The round under way, with the database's clock (the one clock every instance shares).
/// Inserts the round if no one has yet, which announces it.
pub async fn clock(pool: &PgPool, length: Duration) -> Result<RoundClock, AppError> {
    let row = sqlx::query!(
        r#"select (r).id as "id!", (r).starts_at as "starts_at!", (r).ends_at as "ends_at!",
                  clock_timestamp() as "now!"
           from current_round($1) r"#,
        length_secs(length)
    )
    .fetch_one(pool)
    .await?;
    Ok(RoundClock {
        round: Round {
            id: row.id,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
        },
        server_now: row.now,
    })
}

fn length_secs(length: Duration) -> i32 {
    length.as_secs().clamp(1, i32::MAX as u64) as i32
}

/// The task weights as stored. Readers go through [`super::reference::Reference::weights`],
/// the cache in front of this.
pub async fn weights(db: impl PgExecutor<'_>) -> Result<Weights, AppError> {
    Ok(sqlx::query_as!(
        Weights,
        "select low_points, medium_points, high_points, medium_from, high_from
         from task_weights"
    )
    .fetch_one(db)
    .await?)
}

/// The game panel for `me`: the round, my tasks (chosen now if this is my first visit of the
/// round) and my points.
pub async fn view(
    pool: &PgPool,
    reference: &Reference,
    me: i64,
    length: Duration,
) -> Result<GameView, AppError> {
    // The live feed resumes from before anything below was read.
    let cursor = log::latest_id(pool).await?;
    let clock = clock(pool, length).await?;
    let tasks = tasks(pool, reference, me, &clock.round).await?;
    let points = sqlx::query_scalar!(
        r#"select coalesce(sum(points), 0)::bigint as "points!" from points_ledger
           where player_id = $1"#,
        me
    )
    .fetch_one(pool)
    .await?;
    Ok(GameView {
        clock,
        tasks,
        points,
        cursor,
    })
}

/// My tasks in `round`, choosing them first if no one has. Chosen once per player and round:
/// the assignment row's key decides which of several concurrent first visits chooses (the
/// others wait for its commit, then find the row), never a check before the insert.
pub async fn tasks(
    pool: &PgPool,
    reference: &Reference,
    me: i64,
    round: &Round,
) -> Result<Tasks, AppError> {
    let home = sqlx::query!(
        r#"select c.region_id, c.lat, c.lon from players p join cities c on c.id = p.home_city_id
           where p.id = $1"#,
        me
    )
    .fetch_optional(pool)
    .await?;
    let Some(home) = home else {
        return Ok(Tasks::NoHome);
    };

    let mut tx = pool.begin().await?;
    let claimed = sqlx::query_scalar!(
        "insert into task_assignments (round_id, player_id) values ($1, $2)
         on conflict (round_id, player_id) do nothing
         returning round_id",
        round.id,
        me
    )
    .fetch_optional(&mut *tx)
    .await?;
    if claimed.is_some() {
        // The home regions of other players, not mine; regions with someone active lately
        // first (online in the last hour, or a message in the last day), then at random.
        let candidates = sqlx::query!(
            r#"select c.region_id as "region_id!", count(*)::int as "players!",
                      2 * 6371.0 * asin(sqrt(
                          power(sin(radians(rg.lat - $2) / 2), 2)
                          + cos(radians($2)) * cos(radians(rg.lat))
                            * power(sin(radians(rg.lon - $3) / 2), 2))) as "km!"
               from players p
               join cities c on c.id = p.home_city_id
               join regions rg on rg.id = c.region_id
               where p.id <> $1 and c.region_id <> $4
               group by c.region_id, rg.lat, rg.lon
               order by bool_or(
                            exists (select 1 from presence pr where pr.player_id = p.id
                                    and pr.seen_at > now() - interval '1 hour')
                            or exists (select 1 from messages m where m.sender_id = p.id
                                       and m.sent_at > now() - interval '1 day')) desc,
                        random()
               limit $5"#,
            me,
            home.lat,
            home.lon,
            home.region_id,
            TASKS_PER_ROUND as i64
        )
        .fetch_all(&mut *tx)
        .await?;
        // On this transaction's connection (if not cached): the first visit holds one while
        // the others wait for its commit, so asking the pool for another could wait on them.
        let weights = reference.weights(&mut *tx).await?;
        let worth: Vec<_> = candidates
            .iter()
            .map(|c| criticality(&weights, c.players, c.km))
            .collect();
        sqlx::query!(
            "insert into tasks (round_id, player_id, region_id, level, points, km, region_players)
             select $1, $2, * from unnest($3::int[], $4::text[], $5::int[], $6::float8[], $7::int[])",
            round.id,
            me,
            &candidates.iter().map(|c| c.region_id).collect::<Vec<_>>(),
            &worth
                .iter()
                .map(|(level, _)| level.as_str().to_owned())
                .collect::<Vec<_>>(),
            &worth.iter().map(|(_, points)| *points).collect::<Vec<_>>(),
            &candidates.iter().map(|c| c.km).collect::<Vec<_>>(),
            &candidates.iter().map(|c| c.players).collect::<Vec<_>>(),
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "update task_assignments set tasks = $3 where round_id = $1 and player_id = $2",
            round.id,
            me,
            candidates.len() as i16
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;

    let rows = sqlx::query_scalar!(
        r#"select task_view(t) as "task!: Json<Task>" from tasks t
           where t.round_id = $1 and t.player_id = $2
           order by t.id"#,
        round.id,
        me
    )
    .fetch_all(pool)
    .await?;
    Ok(Tasks::Assigned(rows.into_iter().map(|t| t.0).collect()))
}

/// The game on a player's profile: points, rank, tasks, points per day over 30 days.
pub async fn profile(
    pool: &PgPool,
    boards: &super::boards::Boards,
    player: i64,
) -> Result<ProfileGame, AppError> {
    let rank = boards
        .rank(pool, player, Window::All, &Scope::Global)
        .await?;
    let totals = sqlx::query!(
        r#"select (select coalesce(sum(points), 0)::bigint from points_ledger
                   where player_id = $1) as "points!",
                  (select coalesce(sum(points), 0)::bigint from points_ledger
                   where player_id = $1 and awarded_at > now() - interval '7 days') as "week!",
                  (select count(*) from tasks
                   where player_id = $1 and completed_at is not null) as "tasks!""#,
        player
    )
    .fetch_one(pool)
    .await?;
    let daily = sqlx::query_as!(
        DayPoints,
        r#"select d.day as "day!", coalesce(sum(l.points), 0)::bigint as "points!"
           from generate_series(0, 29) n
           cross join lateral (select (now() at time zone 'utc')::date - n as day) d
           left join points_ledger l
                  on l.player_id = $1 and (l.awarded_at at time zone 'utc')::date = d.day
           group by d.day
           order by d.day"#,
        player
    )
    .fetch_all(pool)
    .await?;
    let latest = sqlx::query_scalar!(
        r#"select task_view(t) as "task!: Json<Task>" from tasks t
           where t.player_id = $1 and t.completed_at is not null
           order by t.completed_at desc
           limit 5"#,
        player
    )
    .fetch_all(pool)
    .await?;
    Ok(ProfileGame {
        points: totals.points,
        points_week: totals.week,
        rank,
        tasks_completed: totals.tasks,
        daily,
        latest: latest.into_iter().map(|t| t.0).collect(),
    })
}
