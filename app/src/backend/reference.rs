//! Reference data cached in each instance: the task weights. Every change to them, made on
//! the admin page or by hand in psql, fires a trigger's `NOTIFY meridian_reference`, and each
//! instance's listener drops the cache on hearing it. A notification sent while a listener is
//! down is lost, so the listener also drops the cache every time it (re)connects: a cache is
//! never older than the last moment its instance was listening.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    RwLock,
};

use sqlx::PgExecutor;

use super::game;
use crate::{error::AppError, model::Weights};

/// The channel the reference tables' triggers notify on (the payload names the table).
pub const CHANNEL: &str = "meridian_reference";

#[derive(Default)]
pub struct Reference {
    weights: RwLock<Option<Weights>>,
    /// Bumped by every invalidation, so that a load that raced one is not kept.
    generation: AtomicU64,
    reloads: AtomicU64,
}

impl Reference {
    /// The task weights, from the cache, or read through `db` (and kept) when it is empty.
    pub async fn weights(&self, db: impl PgExecutor<'_>) -> Result<Weights, AppError> {
        if let Some(weights) = self
            .weights
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Ok(weights);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let weights = game::weights(db).await?;
        self.reloads.fetch_add(1, Ordering::Relaxed);
        let mut cached = self.weights.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::Acquire) == generation {
            *cached = Some(weights.clone());
        }
        Ok(weights)
    }

    /// Forgets everything cached: the next read loads again.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        *self.weights.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// How many times the cache was filled from the database.
    pub fn reloads(&self) -> u64 {
        self.reloads.load(Ordering::Relaxed)
    }
}
