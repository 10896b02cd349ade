//! Reference data cached in each instance: the task weights and the catalogue of countries
//! and regions (cities stay in the database: there are 170,000 of them, read by index). Every
//! change to them, made on the admin page or by hand in psql, fires a trigger's
//! `NOTIFY meridian_reference`, and each instance's listener drops the caches on hearing it.
//! A notification sent while a listener is down is lost, so the listener also drops them every
//! time it (re)connects: a cache is never older than the last moment its instance listened.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc, RwLock,
};

use sqlx::{PgExecutor, PgPool};

use super::game;
use crate::{error::AppError, model::Weights};

/// The channel the reference tables' triggers notify on (the payload names the table).
pub const CHANNEL: &str = "meridian_reference";

#[derive(Debug, Clone, PartialEq)]
pub struct Country {
    pub code: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub name: String,
    pub country_code: String,
    pub country: String,
    pub lat: f64,
    pub lon: f64,
}

/// Every country and region, each list by name.
#[derive(Debug, Default)]
pub struct Catalogue {
    pub countries: Vec<Country>,
    pub regions: Vec<Region>,
}

impl Catalogue {
    pub fn has_country(&self, code: &str) -> bool {
        self.countries.iter().any(|c| c.code == code)
    }
}

/// One cached value. A load that raced an invalidation is returned but not kept.
struct Slot<T> {
    value: RwLock<Option<Arc<T>>>,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Self {
            value: RwLock::new(None),
        }
    }
}

impl<T> Slot<T> {
    fn get(&self) -> Option<Arc<T>> {
        self.value.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn keep(&self, value: Arc<T>, loaded_at: u64, generation: &AtomicU64) {
        let mut slot = self.value.write().unwrap_or_else(|e| e.into_inner());
        if generation.load(Ordering::Acquire) == loaded_at {
            *slot = Some(value);
        }
    }

    fn clear(&self) {
        *self.value.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

#[derive(Default)]
pub struct Reference {
    weights: Slot<Weights>,
    catalogue: Slot<Catalogue>,
    /// Bumped by every invalidation.
    generation: AtomicU64,
    reloads: AtomicU64,
}

impl Reference {
    /// The task weights, from the cache, or read through `db` (and kept) when it is empty.
    pub async fn weights(&self, db: impl PgExecutor<'_>) -> Result<Weights, AppError> {
        if let Some(weights) = self.weights.get() {
            return Ok((*weights).clone());
        }
        let generation = self.generation.load(Ordering::Acquire);
        let weights = Arc::new(game::weights(db).await?);
        self.reloads.fetch_add(1, Ordering::Relaxed);
        self.weights
            .keep(weights.clone(), generation, &self.generation);
        Ok((*weights).clone())
    }

    /// The countries and regions, from the cache, or read (and kept) when it is empty.
    pub async fn catalogue(&self, pool: &PgPool) -> Result<Arc<Catalogue>, AppError> {
        if let Some(catalogue) = self.catalogue.get() {
            return Ok(catalogue);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let countries = sqlx::query_as!(
            Country,
            "select code, name, lat, lon from countries order by name, code"
        )
        .fetch_all(pool)
        .await?;
        let regions = sqlx::query_as!(
            Region,
            r#"select r.name, r.country_code, co.name as country, r.lat, r.lon
               from regions r join countries co on co.code = r.country_code
               order by r.name, co.name"#
        )
        .fetch_all(pool)
        .await?;
        let catalogue = Arc::new(Catalogue { countries, regions });
        self.reloads.fetch_add(1, Ordering::Relaxed);
        self.catalogue
            .keep(catalogue.clone(), generation, &self.generation);
        Ok(catalogue)
    }

    /// Forgets everything cached: the next reads load again.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.weights.clear();
        self.catalogue.clear();
    }

    /// How many times a cache was filled from the database.
    pub fn reloads(&self) -> u64 {
        self.reloads.load(Ordering::Relaxed)
    }
}
