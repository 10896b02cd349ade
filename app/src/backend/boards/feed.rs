//! Keeps an instance's standings current: loads them from one database snapshot, then applies
//! every award and change of home the event log carries, in id order, from the hub.
//!
//! The hub is observed, and the listener has its starting point, before the snapshot is read,
//! so nothing falls between the two: an event the snapshot already holds has an id at or below
//! its cursor and is skipped; every later one arrives from the hub. Ids become visible in
//! commit order, so the snapshot's newest id says exactly which events it holds.

use crate::backend::db;
use std::{sync::Arc, time::Duration};

use serde::Deserialize;
use sqlx::PgPool;
use tokio::sync::{mpsc, watch};

use super::{
    index::{round_of, RoundSpan, Snapshot, MONTH_MICROS},
    Boards,
};
use crate::{
    backend::realtime::{Hub, Message},
    error::AppError,
    model::Award,
};

/// Runs until `stop` turns true: loads, then applies; reloads after a failed load.
pub async fn keep_current(
    pool: PgPool,
    hub: Arc<Hub>,
    boards: Arc<Boards>,
    mut stop: watch::Receiver<bool>,
) {
    while !*stop.borrow() {
        let mut events = hub.observe();
        // The listener publishes what commits after its own starting point: a snapshot read
        // before it has one could miss what commits in between.
        while !hub.is_listening() {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(10)) => {}
                _ = stop.changed() => return,
            }
        }
        let started = std::time::Instant::now();
        let snapshot = tokio::select! {
            loaded = load(&pool, boards.round_length) => loaded,
            _ = stop.changed() => return,
        };
        match snapshot {
            Ok(snapshot) => {
                boards.install(snapshot);
                let (players, recent) = boards.size();
                tracing::info!(
                    players,
                    recent_awards = recent,
                    ms = started.elapsed().as_millis() as u64,
                    "leaderboards loaded"
                );
            }
            Err(err) => {
                tracing::warn!(%err, "loading the leaderboards failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => return,
                }
                continue;
            }
        }
        if apply_all(&mut events, &boards, &mut stop).await {
            return;
        }
    }
}

/// Applies what the hub hands over, a batch per wake-up. True when it is time to stop.
async fn apply_all(
    events: &mut mpsc::UnboundedReceiver<Arc<Message>>,
    boards: &Boards,
    stop: &mut watch::Receiver<bool>,
) -> bool {
    let mut batch = Vec::new();
    loop {
        tokio::select! {
            n = events.recv_many(&mut batch, 1024) => {
                if n == 0 {
                    return true;
                }
                boards.apply(batch.drain(..).map(|m| Change::of(&m)));
            }
            _ = stop.changed() => return true,
        }
    }
}

/// What one event means to the standings.
pub enum Change {
    Award(i64, Award),
    Home {
        id: i64,
        player: i64,
        country: Option<String>,
    },
    /// Anything else: only the cursor moves.
    Other(i64),
}

#[derive(Deserialize)]
struct Kind<'a> {
    #[serde(borrow)]
    kind: std::borrow::Cow<'a, str>,
}

#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

#[derive(Deserialize)]
struct PublicPlayer {
    id: i64,
    home: Option<Home>,
}

#[derive(Deserialize)]
struct Home {
    country_code: String,
}

impl Change {
    pub fn of(message: &Message) -> Self {
        let id = message.id.unwrap_or(0);
        let kind = serde_json::from_str::<Kind>(&message.data).map(|k| k.kind);
        let read = match kind.as_deref() {
            Ok("points_awarded") => serde_json::from_str::<Envelope<Award>>(&message.data)
                .map(|e| Change::Award(id, e.data)),
            Ok("player_joined" | "player_updated") => {
                serde_json::from_str::<Envelope<PublicPlayer>>(&message.data).map(|e| {
                    Change::Home {
                        id,
                        player: e.data.id,
                        country: e.data.home.map(|h| h.country_code),
                    }
                })
            }
            _ => return Change::Other(id),
        };
        read.unwrap_or_else(|err| {
            tracing::error!(%err, id, "an event the leaderboards cannot read");
            Change::Other(id)
        })
    }

    pub fn id(&self) -> i64 {
        match self {
            Self::Award(id, _) | Self::Home { id, .. } | Self::Other(id) => *id,
        }
    }
}

/// The standings' starting point, read in one snapshot. The clock is read in the first
/// statement, after the snapshot is taken: every award the snapshot holds was made before it.
async fn load(pool: &PgPool, round_length: Duration) -> Result<Snapshot, AppError> {
    let mut tx = db::begin(pool).await?;
    sqlx::query!("set transaction isolation level repeatable read, read only")
        .execute(&mut *tx)
        .await?;
    let head = sqlx::query!(
        r#"select coalesce(max(id), 0) as "cursor!",
                  (extract(epoch from clock_timestamp()) * 1000000)::bigint as "now!"
           from events"#
    )
    .fetch_one(&mut *tx)
    .await?;
    let length = round_length.as_secs().max(1) as i64;
    let round = sqlx::query!(
        r#"select id, (extract(epoch from starts_at) * 1000000)::bigint as "starts!",
                  (extract(epoch from ends_at) * 1000000)::bigint as "ends!"
           from rounds where starts_at <= to_timestamp($1::bigint / 1e6)
           order by starts_at desc limit 1"#,
        head.now
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| RoundSpan {
        id: r.id,
        starts: r.starts,
        ends: r.ends,
    })
    .filter(|r| r.ends > head.now)
    .or(Some(RoundSpan {
        id: round_of(head.now, length),
        starts: 0,
        ends: 0,
    }));
    let players = sqlx::query!(
        r#"select p.id, r.country_code as "country?"
           from players p
           left join cities c on c.id = p.home_city_id
           left join regions r on r.id = c.region_id"#
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|p| (p.id, p.country))
    .collect();
    let totals = sqlx::query!(
        r#"select player_id, sum(points)::bigint as "total!"
           from points_ledger group by player_id"#
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|t| (t.player_id, t.total))
    .collect();
    let recent = sqlx::query!(
        r#"select (extract(epoch from awarded_at) * 1000000)::bigint as "at!",
                  player_id, points::bigint as "points!"
           from points_ledger
           where awarded_at > to_timestamp($1::bigint / 1e6)
           order by awarded_at"#,
        head.now - MONTH_MICROS
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (r.at, r.player_id, r.points))
    .collect();
    tx.commit().await?;
    Ok(Snapshot {
        cursor: head.cursor,
        now: head.now,
        round,
        players,
        totals,
        recent,
    })
}
