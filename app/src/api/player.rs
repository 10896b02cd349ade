//! Players' profiles.

use leptos::prelude::*;

use crate::{error::AppError, model::Profile};

/// The profile of the player with `handle`. Signed-in players only, like the map.
#[server(endpoint = "player/profile", input = server_fn::codec::GetUrl)]
pub async fn player_profile(handle: String) -> Result<Profile, AppError> {
    use crate::backend::{players, sessions, state};
    let me = sessions::require_player().await?;
    let state = state()?;
    players::profile(
        &state.pool,
        &state.boards,
        me,
        &handle,
        state.settings.presence_timeout,
    )
    .await
}
