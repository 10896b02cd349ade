//! The database pool: connecting, applying migrations and making sure the place catalogue is
//! loaded, in that order, before the server takes requests.

use std::time::Duration;

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    Connection, PgPool, Postgres, Transaction,
};

use super::places;

/// Shown in `pg_stat_activity` for the shared pool's connections (the event listener has a
/// connection of its own, with a name of its own).
pub const APPLICATION_NAME: &str = "meridian";

/// Connects, migrates and loads the catalogue. Fails loudly: a server that cannot migrate
/// must not start.
pub async fn prepare(database_url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = database_url.parse()?;
    let pool = pool_options()
        .max_connections(max_connections)
        // Short: while the database is out of reach, requests answer 503 soon rather than
        // hang (a restart takes a second or two).
        .acquire_timeout(Duration::from_secs(3))
        .connect_with(
            options
                .application_name(APPLICATION_NAME)
                // The server's queries are short lookups: compiling one with LLVM costs more
                // than running it. A misestimated row count (a singleton table no one has
                // analysed yet) pushed the dashboard's position query past the JIT's cost
                // threshold, and 94% of its time in a pages run was compiling (5.8 ms a page).
                .options([("jit", "off")]),
        )
        .await?;
    migrate(&pool).await?;
    places::ensure_catalogue(&pool).await?;
    Ok(pool)
}

/// How every pool of the server checks its connections. A connection used within the last
/// second is alive: pinging it before each use (sqlx's default) would cost a round trip per
/// query, as many as the queries themselves under load. One idle for longer (the database may
/// have restarted meanwhile) is pinged first.
pub fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > Duration::from_secs(1) {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

/// Applies the migrations in `migrations/`. Concurrent starters are serialised by sqlx's own
/// advisory lock.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::migrate!("../migrations").run(pool).await?;
    Ok(())
}

/// Begins a transaction on a pooled connection, and sees the `BEGIN` through even if the
/// caller is dropped meanwhile (a request whose browser went away). Use it instead of
/// `pool.begin()`, whose guard rolls back only a transaction it has counted, and counts one
/// only once Postgres has answered: cut off in between, it left the connection in the pool
/// inside a transaction, where every later statement ran uncommitted (`tests/cancelled.rs`).
/// Here the `BEGIN` runs in a task of its own; a caller gone by its end drops the transaction,
/// which queues its rollback before the connection goes back.
pub async fn begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let pool = pool.clone();
    match tokio::spawn(async move { pool.begin().await }).await {
        Ok(begun) => begun,
        Err(failed) if failed.is_panic() => std::panic::resume_unwind(failed.into_panic()),
        // The runtime is shutting down.
        Err(_) => Err(sqlx::Error::PoolClosed),
    }
}
