//! The game on the server: the round under way, choosing a player's tasks once per round, and
//! reading them with the player's points.
//!
//! Completing a task needs nothing here: the `messages_complete_tasks` trigger does it in the
//! transaction of the message that completes it, and awards the points through the ledger.
//! Every change is broadcast by the game's triggers: `round_started` (everyone),
//! `tasks_assigned` and `task_completed` (the player), `points_awarded` (everyone).

use crate::backend::db;
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use rand::seq::SliceRandom;

use sqlx::{types::Json, PgExecutor, PgPool};

use super::reference::Reference;
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
///
/// Every visit but the round's first is one statement: the cursor, the round, my tasks and my
/// points are read in one snapshot, so the live feed resumes from exactly what was read (an
/// event this read does not see commits later, with a larger id). The first visit of a round
/// chooses the tasks in [`tasks`], after that read; the feed then repeats at most what the
/// choosing committed, which every listener takes idempotently.
pub async fn view(
    pool: &PgPool,
    reference: &Reference,
    homes: &HomeRegions,
    me: i64,
    length: Duration,
) -> Result<GameView, AppError> {
    let row = sqlx::query!(
        r#"select (select coalesce(max(id), 0) from events) as "cursor!",
                  r.id as "id!", r.starts_at as "starts_at!", r.ends_at as "ends_at!",
                  clock_timestamp() as "now!",
                  exists (select 1 from players p
                          where p.id = $1 and p.home_city_id is not null) as "home!",
                  exists (select 1 from task_assignments a
                          where a.round_id = r.id and a.player_id = $1) as "assigned!",
                  coalesce((select jsonb_agg(task_view(t) order by t.id) from tasks t
                            where t.round_id = r.id and t.player_id = $1),
                           '[]') as "tasks!: Json<Vec<Task>>",
                  (select coalesce(sum(points), 0)::bigint from points_ledger
                   where player_id = $1) as "points!"
           from current_round($2) r"#,
        me,
        length_secs(length)
    )
    .fetch_one(pool)
    .await?;
    let clock = RoundClock {
        round: Round {
            id: row.id,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
        },
        server_now: row.now,
    };
    let tasks = match (row.home, row.assigned) {
        (false, _) => Tasks::NoHome,
        (true, true) => Tasks::Assigned(row.tasks.0),
        (true, false) => tasks(pool, reference, homes, me, &clock.round).await?,
    };
    Ok(GameView {
        clock,
        tasks,
        points: row.points,
        cursor: row.cursor,
    })
}

/// How long a count of home regions is used while no player has joined or changed home
/// since: who was active lately (online in the last hour, a message in the last day) only
/// orders the choice, and may be this much behind.
const HOMES_FRESH: Duration = Duration::from_secs(10);

/// A region where players live, as task choice sees it.
#[derive(Debug, Clone)]
pub struct HomeRegion {
    pub region_id: i32,
    pub players: i32,
    pub lat: f64,
    pub lon: f64,
    /// Someone from here was online in the last hour or sent a message in the last day.
    pub active: bool,
}

/// Every region where players live, counted once and shared by every player's first visit
/// of a round on this instance until a player joins or changes home (or [`HOMES_FRESH`]).
///
/// Counting reads every player: 3–5 ms at 1,000 players, and a round's start brings every
/// player online to their first visit at once, so counted per visit the work grew with
/// players times visits (the map's p99 was the 50 first visits of a paced pages run).
#[derive(Default)]
pub struct HomeRegions {
    counted: tokio::sync::Mutex<Option<CountedHomes>>,
}

struct CountedHomes {
    /// The newest `player_joined` or `player_updated` event when counting began.
    key: i64,
    at: Instant,
    regions: Arc<[HomeRegion]>,
}

impl HomeRegions {
    /// The count, made again when a player has joined or changed home since the last one
    /// began, or after [`HOMES_FRESH`]. Concurrent callers wait for one count.
    pub async fn regions(&self, pool: &PgPool) -> Result<Arc<[HomeRegion]>, AppError> {
        let mut counted = self.counted.lock().await;
        // Read under the lock and before counting: a change that commits meanwhile has a
        // larger id, so the next caller counts again.
        let key = super::players::home_changes(pool).await?;
        if let Some(c) = counted
            .as_ref()
            .filter(|c| c.key == key && c.at.elapsed() < HOMES_FRESH)
        {
            return Ok(c.regions.clone());
        }
        let at = Instant::now();
        let regions: Arc<[HomeRegion]> = sqlx::query_as!(
            HomeRegion,
            r#"select c.region_id as "region_id!", count(*)::int as "players!",
                      rg.lat, rg.lon,
                      bool_or(exists (select 1 from presence pr where pr.player_id = p.id
                                      and pr.seen_at > now() - interval '1 hour')
                              or exists (select 1 from messages m where m.sender_id = p.id
                                         and m.sent_at > now() - interval '1 day'))
                          as "active!"
               from players p
               join cities c on c.id = p.home_city_id
               join regions rg on rg.id = c.region_id
               group by c.region_id, rg.lat, rg.lon"#
        )
        .fetch_all(pool)
        .await?
        .into();
        *counted = Some(CountedHomes {
            key,
            at,
            regions: regions.clone(),
        });
        Ok(regions)
    }
}

/// The distance between two points on the Earth (a sphere of 6,371 km), in km.
fn great_circle_km((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    let half_dlat = (lat2 - lat1).to_radians() / 2.0;
    let half_dlon = (lon2 - lon1).to_radians() / 2.0;
    let a = half_dlat.sin().powi(2)
        + lat1.to_radians().cos() * lat2.to_radians().cos() * half_dlon.sin().powi(2);
    2.0 * 6371.0 * a.sqrt().asin()
}

/// My tasks in `round`, choosing them first if no one has. Chosen once per player and round:
/// the assignment row's key decides which of several concurrent first visits chooses (the
/// others wait for its commit, then find the row), never a check before the insert.
pub async fn tasks(
    pool: &PgPool,
    reference: &Reference,
    homes: &HomeRegions,
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

    // Before the transaction: the count may need a connection of its own (see below).
    let regions = homes.regions(pool).await?;
    let mut tx = db::begin(pool).await?;
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
        // Other regions than mine (so other players): regions with someone active lately
        // first, then at random.
        let mut candidates: Vec<&HomeRegion> = regions
            .iter()
            .filter(|r| r.region_id != home.region_id)
            .collect();
        candidates.shuffle(&mut rand::thread_rng());
        candidates.sort_by_key(|r| !r.active);
        candidates.truncate(TASKS_PER_ROUND);
        let km: Vec<f64> = candidates
            .iter()
            .map(|r| great_circle_km((home.lat, home.lon), (r.lat, r.lon)))
            .collect();
        // On this transaction's connection (if not cached): the first visit holds one while
        // the others wait for its commit, so asking the pool for another could wait on them.
        let weights = reference.weights(&mut *tx).await?;
        let worth: Vec<_> = candidates
            .iter()
            .zip(&km)
            .map(|(c, km)| criticality(&weights, c.players, *km))
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
            &km,
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
