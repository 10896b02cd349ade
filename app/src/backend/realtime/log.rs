//! Reading the durable event log. Ids become visible in commit order (see the events
//! migration), so "everything after my cursor, in id order" is complete.

use std::time::Duration;

use sqlx::PgPool;

use crate::error::AppError;

/// One event as the streams send it: `data` is the SSE payload, already serialised.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub id: i64,
    pub public: bool,
    pub audience: Vec<i64>,
    pub data: String,
}

/// The newest committed event id (0 when there is none).
pub async fn latest_id(pool: &PgPool) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar!(r#"select coalesce(max(id), 0) as "id!" from events"#)
            .fetch_one(pool)
            .await?,
    )
}

/// Every committed event after `cursor`, oldest first, at most `limit` events. An event with
/// per-member `views` comes as one row per member, each with that member alone as its
/// audience and their view as its data; the rows of one event are adjacent.
pub async fn after(pool: &PgPool, cursor: i64, limit: i64) -> Result<Vec<StoredEvent>, AppError> {
    Ok(sqlx::query_as!(
        StoredEvent,
        r#"with batch as (
               select id, public, audience, kind, payload, views from events
               where id > $1
               order by id
               limit $2)
           select b.id as "id!", b.public as "public!",
                  case when m.member is null then b.audience else array[m.member] end
                      as "audience!",
                  jsonb_build_object('kind', b.kind,
                                     'data', coalesce(b.views -> m.member::text, b.payload))::text
                      as "data!"
           from batch b
           left join lateral unnest(case when b.views is not null then b.audience end)
               as m(member) on true
           order by b.id, m.member"#,
        cursor,
        limit
    )
    .fetch_all(pool)
    .await?)
}

/// The events after `cursor` that `player` may see, oldest first, at most `limit`.
pub async fn replay(
    pool: &PgPool,
    player: i64,
    cursor: i64,
    limit: i64,
) -> Result<Vec<StoredEvent>, AppError> {
    Ok(sqlx::query_as!(
        StoredEvent,
        r#"select id as "id!", public, audience,
                  jsonb_build_object('kind', kind,
                                     'data', coalesce(views -> $2::bigint::text, payload))::text as "data!"
           from events
           where id > $1 and (public or $2 = any(audience))
           order by id
           limit $3"#,
        cursor,
        player,
        limit
    )
    .fetch_all(pool)
    .await?)
}

/// Events up to this id have been deleted: resuming from before it is impossible.
pub async fn pruned_through(pool: &PgPool) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!("select pruned_through from event_log")
        .fetch_one(pool)
        .await?)
}

/// Deletes events older than `keep`, recording how far the log is now pruned.
pub async fn prune(pool: &PgPool, keep: Duration) -> Result<u64, AppError> {
    let done = sqlx::query!(
        r#"with cut as (
               select max(id) as through from events
               where created_at < now() - make_interval(secs => $1)
           ), gone as (
               delete from events using cut where events.id <= cut.through returning 1
           )
           update event_log set pruned_through = greatest(pruned_through, cut.through)
           from cut where cut.through is not null
           returning (select count(*) from gone) as "deleted!""#,
        keep.as_secs_f64()
    )
    .fetch_optional(pool)
    .await?;
    Ok(done.map_or(0, |d| d.deleted as u64))
}
