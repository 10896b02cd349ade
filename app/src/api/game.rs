//! The game: the round under way (for everyone, signed in or not) and my game panel.

use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{GameView, RoundClock},
};

/// The round under way and the server's clock, for the header's countdown.
#[server(endpoint = "game/round", input = server_fn::codec::GetUrl)]
pub async fn get_round() -> Result<RoundClock, AppError> {
    use crate::backend::{game, state};
    let state = state()?;
    game::clock(&state.pool, state.settings.round_length).await
}

/// My tasks for the round under way (chosen at my first visit of the round) and my points.
#[server(endpoint = "game/view", input = server_fn::codec::GetUrl)]
pub async fn load_game() -> Result<GameView, AppError> {
    use crate::backend::{game, sessions, state};
    let me = sessions::require_player().await?;
    let state = state()?;
    game::view(
        &state.pool,
        &state.reference,
        &state.homes,
        me,
        state.settings.round_length,
    )
    .await
}
