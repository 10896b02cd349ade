//! The header's answer: the round's clock, and for a player their all-time standing and
//! unread counts, in one request (`model::header`).

use leptos::prelude::*;

use crate::{error::AppError, model::HeaderView};

/// What the header shows on every page, signed in or not.
#[server(endpoint = "header", input = server_fn::codec::GetUrl)]
pub async fn load_header() -> Result<HeaderView, AppError> {
    use crate::{
        backend::{boards, chats, game, sessions, state},
        model::{PlayerBar, Scope, Window},
    };
    let state = state()?;
    let clock = game::clock(&state.pool, state.settings.round_length).await?;
    let player = match sessions::current_player().await? {
        None => None,
        Some(me) => Some(PlayerBar {
            standing: boards::board(
                &state.pool,
                &state.boards,
                &state.reference,
                Some(me),
                Window::All,
                Scope::Global,
            )
            .await?,
            unread: chats::unread(&state.pool, me).await?,
        }),
    };
    Ok(HeaderView { clock, player })
}
