//! The database pool: connecting, applying migrations and making sure the place catalogue is
//! loaded, in that order, before the server takes requests.

use std::time::Duration;

use sqlx::{postgres::PgPoolOptions, PgPool};

use super::places;

/// Connects, migrates and loads the catalogue. Fails loudly: a server that cannot migrate
/// must not start.
pub async fn prepare(database_url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect(database_url)
        .await?;
    migrate(&pool).await?;
    places::ensure_catalogue(&pool).await?;
    Ok(pool)
}

/// Applies the migrations in `migrations/`. Concurrent starters are serialised by sqlx's own
/// advisory lock.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::migrate!("../migrations").run(pool).await?;
    Ok(())
}
