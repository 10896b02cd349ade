//! The live world for anyone, signed in or not: counts by country, never a player or a city.

use leptos::prelude::*;

use crate::{error::AppError, model::WorldActivity};

/// Players online now, and players online and active today by country.
#[server(endpoint = "world/activity", input = server_fn::codec::GetUrl)]
pub async fn load_world_activity() -> Result<WorldActivity, AppError> {
    use crate::backend::{state, world};
    let state = state()?;
    world::activity(&state.pool, state.settings.presence_timeout).await
}
