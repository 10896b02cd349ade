//! Leaderboards: a window (the round under way, the last 7 or 30 days, all time) and a scope
//! (the world or one country), ranked with ties sharing a rank.
//!
//! Each instance keeps the standings in memory ([`index`]), loaded from the ledger at start
//! and kept current by the event log ([`feed`]); a read takes the top and a rank from there
//! and the names of the rows shown from the database. A read first waits (briefly) until the
//! standings hold every event committed before it began, so a board never shows less than
//! what was already written. docs/DESIGN.md says why this structure and what it costs.

pub mod feed;
pub mod index;

use std::{
    sync::{Mutex, MutexGuard},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use sqlx::PgPool;
use tokio::sync::watch;

use super::{realtime::log, reference::Reference};
use crate::{
    error::AppError,
    model::{board::TOP, Board, BoardRow, Scope, Window},
};
use feed::Change;
use index::{Index, Snapshot, Standing};

/// How long a read waits for the standings to catch up with the log before it answers with
/// what they hold (their cursor tells the page where its live feed must resume).
const CATCH_UP: Duration = Duration::from_secs(1);

/// One instance's standings, shared by every request.
pub struct Boards {
    index: Mutex<Option<Index>>,
    /// The newest event the standings hold; -1 until they are loaded.
    cursor: watch::Sender<i64>,
    /// The database's clock minus this machine's, in microseconds, as of the load.
    offset: Mutex<i64>,
    round_length: Duration,
}

fn local_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

impl Boards {
    pub fn new(round_length: Duration) -> Self {
        Self {
            index: Mutex::default(),
            cursor: watch::Sender::new(-1),
            offset: Mutex::new(0),
            round_length,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Index>> {
        // The index is changed only by whole operations that do not panic halfway.
        self.index.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Now by the database's clock, and the round under way then.
    fn clock(&self) -> (i64, i64) {
        let now = local_micros() + *self.offset.lock().unwrap_or_else(|e| e.into_inner());
        (
            now,
            index::round_of(now, self.round_length.as_secs() as i64),
        )
    }

    /// Whether the standings are loaded (for `/readyz`).
    pub fn is_loaded(&self) -> bool {
        *self.cursor.borrow() >= 0
    }

    fn install(&self, snapshot: Snapshot) {
        *self.offset.lock().unwrap_or_else(|e| e.into_inner()) = snapshot.now - local_micros();
        let index = Index::build(snapshot);
        let cursor = index.cursor;
        *self.lock() = Some(index);
        self.cursor.send_replace(cursor);
    }

    fn apply(&self, changes: impl Iterator<Item = Change>) {
        let (now, round) = self.clock();
        let mut guard = self.lock();
        let Some(index) = guard.as_mut() else { return };
        index.slide(now, round);
        for change in changes {
            if change.id() <= index.cursor {
                continue;
            }
            index.cursor = change.id();
            match change {
                Change::Award(_, a) => {
                    index.set_country(a.player_id, a.country_code.as_deref());
                    let at = a.awarded_at.timestamp_micros();
                    index.award(a.player_id, a.points.into(), at, a.round_id);
                }
                Change::Home {
                    player, country, ..
                } => index.set_country(player, country.as_deref()),
                Change::Other(_) => {}
            }
        }
        let cursor = index.cursor;
        drop(guard);
        self.cursor.send_replace(cursor);
    }

    fn size(&self) -> (usize, usize) {
        self.lock().as_ref().map_or((0, 0), Index::size)
    }

    /// Runs `f` on the standings once they hold every event committed before the call.
    async fn read<T>(&self, pool: &PgPool, f: impl FnOnce(&Index) -> T) -> Result<T, AppError> {
        let latest = log::latest_id(pool).await?;
        let mut cursor = self.cursor.subscribe();
        let caught_up = tokio::time::timeout(CATCH_UP, cursor.wait_for(|c| *c >= latest))
            .await
            .is_ok();
        let (now, round) = self.clock();
        let mut guard = self.lock();
        let Some(index) = guard.as_mut() else {
            tracing::warn!("a leaderboard was asked for before the standings were loaded");
            return Err(AppError::Unavailable);
        };
        if !caught_up {
            tracing::warn!(
                latest,
                held = index.cursor,
                "leaderboards behind the event log"
            );
        }
        index.slide(now, round);
        Ok(f(index))
    }

    /// `player`'s place on one board, when they have points in its window.
    pub async fn rank(
        &self,
        pool: &PgPool,
        player: i64,
        window: Window,
        scope: &Scope,
    ) -> Result<Option<i64>, AppError> {
        self.read(pool, |index| {
            index.rank_of(player, window, scope).map(|s| s.rank)
        })
        .await
    }
}

/// The board for `window` and `scope`: every player ranked [`TOP`] or better, and `me`'s row.
pub async fn board(
    pool: &PgPool,
    boards: &Boards,
    reference: &Reference,
    me: Option<i64>,
    window: Window,
    scope: Scope,
) -> Result<Board, AppError> {
    let (top, mine, cursor, round_id, known) = boards
        .read(pool, |index| {
            (
                index.top(window, &scope, TOP),
                me.and_then(|me| index.rank_of(me, window, &scope)),
                index.cursor,
                index.round(),
                scope.country().is_none_or(|c| index.knows_country(c)),
            )
        })
        .await?;
    if let Some(code) = scope.country().filter(|_| !known) {
        if !reference.catalogue(pool).await?.has_country(code) {
            return Err(AppError::invalid(
                "country",
                format!("There is no country with the code {code}."),
            ));
        }
    }
    let mut rows = named(pool, top.into_iter().chain(mine.clone())).await?;
    let mine = mine.and_then(|m| {
        let at = rows.iter().rposition(|r| r.player_id == m.player_id)?;
        Some(rows.remove(at))
    });
    rows.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.handle.cmp(&b.handle)));
    Ok(Board {
        window,
        scope,
        rows,
        mine,
        round_id,
        cursor,
    })
}

/// The rows of `standings` with their players' names, in one query; a player deleted since
/// drops out.
async fn named(
    pool: &PgPool,
    standings: impl Iterator<Item = Standing>,
) -> Result<Vec<BoardRow>, AppError> {
    let standings: Vec<Standing> = standings.collect();
    let ids: Vec<i64> = standings.iter().map(|s| s.player_id).collect();
    let names: std::collections::HashMap<i64, (String, String)> = sqlx::query!(
        "select id, handle, display_name from players where id = any($1)",
        &ids
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|p| (p.id, (p.handle, p.display_name)))
    .collect();
    Ok(standings
        .into_iter()
        .filter_map(|s| {
            let (handle, display_name) = names.get(&s.player_id)?.clone();
            Some(BoardRow {
                rank: s.rank,
                player_id: s.player_id,
                handle,
                display_name,
                country_code: s.country_code,
                points: s.points,
            })
        })
        .collect())
}
