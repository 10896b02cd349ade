//! Signing up, in and out, and who the current player is.

use leptos::prelude::*;

use crate::{error::AppError, model::Me};

/// Creates an account, signs it in and sends the player on to choose a home.
#[server(endpoint = "account/sign_up")]
pub async fn sign_up(
    handle: String,
    display_name: String,
    password: String,
) -> Result<(), AppError> {
    use crate::backend::{accounts, sessions, state};
    let state = state()?;
    let player = accounts::sign_up(&state.pool, &handle, &display_name, &password).await?;
    sessions::start(&state, player).await?;
    leptos_axum::redirect("/home");
    Ok(())
}

/// Signs in and returns to the map.
#[server(endpoint = "account/sign_in")]
pub async fn sign_in(handle: String, password: String) -> Result<(), AppError> {
    use crate::backend::{accounts, sessions, state};
    use axum::extract::ConnectInfo;
    let state = state()?;
    // The peer's address (behind a proxy, the proxy's: see docs/DESIGN.md).
    let address = leptos_axum::extract::<ConnectInfo<std::net::SocketAddr>>()
        .await
        .ok()
        .map(|info| info.0.ip());
    let player = accounts::sign_in(&state.pool, &handle, &password, address).await?;
    sessions::start(&state, player).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Ends the session.
#[server(endpoint = "account/sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::backend::{sessions, state};
    sessions::end(&state()?).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// The signed-in player, or `None`.
#[server(endpoint = "account/me", input = server_fn::codec::GetUrl)]
pub async fn who_am_i() -> Result<Option<Me>, AppError> {
    use crate::backend::{players, sessions, state};
    let Some(player) = sessions::current_player().await? else {
        return Ok(None);
    };
    players::me(&state()?.pool, player).await
}
