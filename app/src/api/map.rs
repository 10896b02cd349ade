//! What the map shows.

use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{MapView, PlaceSuggestion},
};

/// The tile settings and every player with a home. Signed-in players only.
#[server(endpoint = "map/view", input = server_fn::codec::GetUrl)]
pub async fn load_map() -> Result<MapView, AppError> {
    use crate::backend::{players, realtime::log, sessions, state};
    sessions::require_player().await?;
    let state = state()?;
    // The cursor first: an event committed while the players are read is then replayed.
    let cursor = log::latest_id(&state.pool).await?;
    Ok(MapView {
        tile_url: state.settings.tile_url.clone(),
        tile_attribution: state.settings.tile_attribution.clone(),
        players: players::on_map(&state.pool, state.settings.presence_timeout).await?,
        cursor,
    })
}

/// Countries, regions and cities whose name starts with `q`, for the map's place search.
#[server(endpoint = "map/places", input = server_fn::codec::GetUrl)]
pub async fn search_places(q: String) -> Result<Vec<PlaceSuggestion>, AppError> {
    use crate::{
        backend::{places, sessions, state},
        model::rules,
    };
    sessions::require_player().await?;
    let q = rules::place_query(&q)?;
    let state = state()?;
    places::search_places(&state.pool, &state.reference, &q).await
}
