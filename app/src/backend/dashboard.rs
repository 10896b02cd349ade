//! The dashboard's aggregates: one projection step (in SQL, `dashboard_project`), the rebuild
//! from the domain tables, and the read the page shows. The projector task that runs the
//! steps, one instance at a time, is in the server crate.

use crate::backend::db;
use sqlx::{PgConnection, PgPool};

use crate::{
    error::AppError,
    model::{DashCountry, DashPlayer, Dashboard},
};

/// Events read per projection step.
pub const BATCH: i32 = 2000;
/// How many players and countries the dashboard lists.
const TOP_PLAYERS: i64 = 10;
const TOP_COUNTRIES: i64 = 5;

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Events read (every kind).
    pub read: i32,
    /// Of those, the ones that count on the dashboard.
    pub counted: i32,
}

/// Applies the next events after the checkpoint to the aggregates, in one transaction on
/// `conn` (the checkpoint moves in the same transaction).
pub async fn project(conn: &mut PgConnection) -> Result<Step, AppError> {
    let mut tx = sqlx::Connection::begin(conn).await?;
    let step = sqlx::query!(
        r#"select read_events as "read!", counted as "counted!" from dashboard_project($1)"#,
        BATCH
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Step {
        read: step.read,
        counted: step.counted,
    })
}

/// Tells open dashboards the new numbers: a public `dashboard` event carrying them.
pub async fn announce(conn: &mut PgConnection) -> Result<(), AppError> {
    let dashboard = read_on(conn).await?;
    let payload =
        serde_json::to_value(&dashboard).map_err(|e| AppError::internal("dashboard event", e))?;
    sqlx::query!(
        "insert into events (kind, public, payload) values ('dashboard', true, $1)",
        payload
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Recomputes every aggregate from the domain tables, as of one snapshot; returns the event id
/// the aggregates are now current to. A projector's step running meanwhile makes this retry.
pub async fn rebuild(pool: &PgPool) -> Result<i64, AppError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut tx = db::begin(pool).await?;
        sqlx::query!("set transaction isolation level repeatable read")
            .execute(&mut *tx)
            .await?;
        match sqlx::query_scalar!(r#"select dashboard_rebuild() as "through!""#)
            .fetch_one(&mut *tx)
            .await
        {
            Ok(through) => {
                tx.commit().await?;
                return Ok(through);
            }
            // 40001: a projector step changed the checkpoint after this snapshot.
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("40001") && attempt < 10 =>
            {
                continue
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Whether events the projector has not read yet were pruned (it was down past retention):
/// then only a rebuild gives right numbers again.
pub async fn fell_past_retention(conn: &mut PgConnection) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select c.event_id < l.pruned_through as "behind!"
           from projector_checkpoint c, event_log l"#
    )
    .fetch_one(conn)
    .await?)
}

/// How far the projector is behind the log: events committed and not counted, and the age
/// in seconds of the oldest of them.
pub async fn lag(pool: &PgPool) -> Result<(i64, f64), AppError> {
    let mut conn = pool.acquire().await?;
    let at = position(&mut conn).await?;
    Ok((at.behind, at.behind_secs))
}

/// Where the projector stands against the log.
struct Position {
    through: i64,
    latest: i64,
    behind: i64,
    behind_secs: f64,
}

async fn position(conn: &mut PgConnection) -> Result<Position, AppError> {
    Ok(sqlx::query_as!(
        Position,
        // One pass over the events after the checkpoint, by id: `min(created_at)` alone
        // would walk the created_at index from the oldest event kept, past every counted one.
        r#"select c.event_id as "through!",
                  (select coalesce(max(id), 0) from events) as "latest!",
                  b.behind as "behind!",
                  coalesce(extract(epoch from now() - b.oldest), 0)::float8 as "behind_secs!"
           from projector_checkpoint c,
                lateral (select count(*) as behind, min(e.created_at) as oldest
                         from events e where e.id > c.event_id) b"#
    )
    .fetch_one(conn)
    .await?)
}

/// The dashboard as of the projector's checkpoint, with how far behind the log it is.
pub async fn read(pool: &PgPool) -> Result<Dashboard, AppError> {
    let mut conn = pool.acquire().await?;
    read_on(&mut conn).await
}

async fn read_on(conn: &mut PgConnection) -> Result<Dashboard, AppError> {
    let top = sqlx::query_as!(
        DashPlayer,
        r#"select p.handle, p.display_name, c.country_code as "country_code?", d.points
           from dash_points d
           join players p on p.id = d.player_id
           left join city_places c on c.city_id = p.home_city_id
           where d.points > 0
           order by d.points desc, p.handle
           limit $1"#,
        TOP_PLAYERS
    )
    .fetch_all(&mut *conn)
    .await?;
    let countries = sqlx::query_as!(
        DashCountry,
        r#"select c.country_code as "code!", c.country as "name!", count(*) as "players!"
           from dash_active a
           join players p on p.id = a.player_id
           join city_places c on c.city_id = p.home_city_id
           where a.day = (now() at time zone 'UTC')::date
           group by c.country_code, c.country
           order by count(*) desc, c.country
           limit $1"#,
        TOP_COUNTRIES
    )
    .fetch_all(&mut *conn)
    .await?;
    let today = sqlx::query!(
        r#"select coalesce(sum(messages) filter (where hour = date_trunc('hour', now(), 'UTC')), 0)::bigint as "this_hour!",
                  coalesce(sum(messages), 0)::bigint as "messages!",
                  coalesce(sum(tasks), 0)::bigint as "tasks!",
                  coalesce(sum(points), 0)::bigint as "points!",
                  (select count(*) from dash_active
                   where day = (now() at time zone 'UTC')::date) as "players!"
           from dash_hours
           where hour >= date_trunc('day', now(), 'UTC')"#
    )
    .fetch_one(&mut *conn)
    .await?;
    let hourly = sqlx::query!(
        r#"select h.hour as "hour!", coalesce(d.messages, 0)::bigint as "messages!"
           from generate_series(date_trunc('hour', now(), 'UTC') - interval '23 hours',
                                date_trunc('hour', now(), 'UTC'), interval '1 hour') h(hour)
           left join dash_hours d on d.hour = h.hour
           order by h.hour"#
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.hour, r.messages))
    .collect();
    let daily = sqlx::query!(
        r#"select d.day as "day!", coalesce(sum(h.messages), 0)::bigint as "messages!"
           from generate_series(0, 29) n
           cross join lateral (select (now() at time zone 'UTC')::date - n as day) d
           left join dash_hours h on (h.hour at time zone 'UTC')::date = d.day
           group by d.day
           order by d.day"#
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.day, r.messages))
    .collect();
    let at = position(conn).await?;
    Ok(Dashboard {
        top,
        countries,
        messages_this_hour: today.this_hour,
        today_messages: today.messages,
        today_players: today.players,
        today_tasks: today.tasks,
        today_points: today.points,
        hourly,
        daily,
        through_event: at.through,
        cursor: at.latest,
        behind_events: at.behind,
        behind_secs: at.behind_secs,
    })
}
