//! The admin page's work: who is an admin (the handles in `MERIDIAN_ADMINS`), the task weights
//! with their history, and changing them (checked, and recorded with the admin's handle by the
//! weights' trigger, which also tells every instance to drop its cached copy).

use crate::backend::db;
use sqlx::{types::Json, PgPool};

use super::{game, Settings};
use crate::{
    error::AppError,
    model::{Weights, WeightsAdmin, WeightsChange},
};

/// How many of the latest changes the page lists.
const CHANGES_SHOWN: i64 = 20;

/// `player`'s handle when they are an admin; [`AppError::Forbidden`] otherwise.
pub async fn require_admin(
    pool: &PgPool,
    settings: &Settings,
    player: i64,
) -> Result<String, AppError> {
    let handle = sqlx::query_scalar!("select handle from players where id = $1", player)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::Forbidden)?;
    if settings.admins.contains(&handle) {
        Ok(handle)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The weights as stored (not the cache: the admin sees what is in force) and the latest
/// changes, newest first.
pub async fn weights(pool: &PgPool) -> Result<WeightsAdmin, AppError> {
    let weights = game::weights(pool).await?;
    let changes = sqlx::query!(
        r#"select changed_at, changed_by, before as "before: Json<Weights>",
                  after as "after: Json<Weights>"
           from task_weights_changes
           order by id desc
           limit $1"#,
        CHANGES_SHOWN
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|c| WeightsChange {
        changed_at: c.changed_at,
        changed_by: c.changed_by,
        before: c.before.map(|b| b.0),
        after: c.after.map(|a| a.0),
    })
    .collect();
    Ok(WeightsAdmin { weights, changes })
}

/// Stores new weights in the name of `actor` (an admin's handle).
pub async fn save(pool: &PgPool, actor: &str, weights: &Weights) -> Result<(), AppError> {
    weights.check()?;
    let mut tx = db::begin(pool).await?;
    // Read by the weights' trigger, for this transaction only.
    sqlx::query_scalar!("select set_config('meridian.actor', $1, true)", actor)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query!(
        "update task_weights
         set low_points = $1, medium_points = $2, high_points = $3,
             medium_from = $4, high_from = $5, updated_at = now()",
        weights.low_points,
        weights.medium_points,
        weights.high_points,
        weights.medium_from,
        weights.high_from
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(actor, ?weights, "task weights changed");
    Ok(())
}
