//! Leaderboards, for everyone: signed in, my own row comes with the board.

use leptos::prelude::*;

use crate::{error::AppError, model::Board};

/// The board of `window` (round, week, month, all) for the world, or for the country whose
/// code `country` is.
#[server(endpoint = "board", input = server_fn::codec::GetUrl)]
pub async fn load_board(window: String, country: String) -> Result<Board, AppError> {
    use crate::{
        backend::{boards, sessions, state},
        model::{Scope, Window},
    };
    let window = Window::parse(&window)?;
    let scope = Scope::parse(&country)?;
    let me = sessions::current_player().await?;
    let state = state()?;
    boards::board(
        &state.pool,
        &state.boards,
        &state.reference,
        me,
        window,
        scope,
    )
    .await
}
