//! The admin's server functions: 403 for anyone who is not an admin.

use leptos::prelude::*;

use crate::{error::AppError, model::WeightsAdmin};

/// The task weights in force and their latest changes.
#[server(endpoint = "admin/weights", input = server_fn::codec::GetUrl)]
pub async fn load_weights_admin() -> Result<WeightsAdmin, AppError> {
    use crate::backend::{admin, sessions, state};
    let state = state()?;
    let me = sessions::require_player().await?;
    admin::require_admin(&state.pool, &state.settings, me).await?;
    admin::weights(&state.pool).await
}

/// New task weights: points from 1 to 100, thresholds in order. Every instance uses them
/// within a second.
#[server(endpoint = "admin/weights/save")]
pub async fn save_weights(
    low_points: i32,
    medium_points: i32,
    high_points: i32,
    medium_from: f64,
    high_from: f64,
) -> Result<WeightsAdmin, AppError> {
    use crate::{
        backend::{admin, sessions, state},
        model::Weights,
    };
    let state = state()?;
    let me = sessions::require_player().await?;
    let actor = admin::require_admin(&state.pool, &state.settings, me).await?;
    let weights = Weights {
        low_points,
        medium_points,
        high_points,
        medium_from,
        high_from,
    };
    admin::save(&state.pool, &actor, &weights).await?;
    admin::weights(&state.pool).await
}
