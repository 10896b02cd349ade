//! The admin's server functions: 403 for anyone who is not an admin.

use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{ApiKey, IssuedKey, WeightsAdmin},
};

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

/// Every API key issued, live ones first.
#[server(endpoint = "admin/keys", input = server_fn::codec::GetUrl)]
pub async fn load_api_keys() -> Result<Vec<ApiKey>, AppError> {
    use crate::backend::{admin, api, sessions, state};
    let state = state()?;
    let me = sessions::require_player().await?;
    admin::require_admin(&state.pool, &state.settings, me).await?;
    api::keys(&state.pool).await
}

/// Issues a key to the client named; the answer is the only time the key is shown.
#[server(endpoint = "admin/keys/issue")]
pub async fn issue_api_key(client: String) -> Result<IssuedKey, AppError> {
    use crate::backend::{admin, api, sessions, state};
    let state = state()?;
    let me = sessions::require_player().await?;
    let actor = admin::require_admin(&state.pool, &state.settings, me).await?;
    let (id, key) = api::issue_key(&state.pool, &client).await?;
    tracing::info!(actor, id, client = client.trim(), "API key issued");
    Ok(IssuedKey {
        id,
        client: client.trim().to_owned(),
        key,
    })
}

/// Revokes one key: requests with it are refused (401) from then on.
#[server(endpoint = "admin/keys/revoke")]
pub async fn revoke_api_key(id: i64) -> Result<(), AppError> {
    use crate::backend::{admin, api, sessions, state};
    let state = state()?;
    let me = sessions::require_player().await?;
    let actor = admin::require_admin(&state.pool, &state.settings, me).await?;
    if api::revoke_key(&state.pool, id).await? {
        tracing::info!(actor, id, "API key revoked");
    }
    Ok(())
}
