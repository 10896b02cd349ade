//! What the map shows.

use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{MapSlice, MapView, PlaceSuggestion},
};

/// The tile settings, the bounds of every home and the whole world's clusters at the first
/// zoom. Signed-in players only.
#[server(endpoint = "map/view", input = server_fn::codec::GetUrl)]
pub async fn load_map() -> Result<MapView, AppError> {
    use crate::{
        backend::{map, realtime::log, sessions, state},
        model::{Bounds, Viewport},
    };
    let me = sessions::require_player().await?;
    let state = state()?;
    // The cursor first: an event committed while the players are read is then replayed.
    let cursor = log::latest_id(&state.pool).await?;
    let world = Viewport {
        bounds: Bounds::WORLD,
        zoom: MapView::FIRST_ZOOM,
    };
    Ok(MapView {
        tile_url: state.settings.tile_url.clone(),
        tile_attribution: state.settings.tile_attribution.clone(),
        everyone: map::everyone(&state).await?,
        slice: map::view(&state, me, world).await?,
        cursor,
    })
}

/// What the map shows of one view: clusters where many players share it, players one by one
/// where few do or from street level on. `west` east of `east` is a view across the
/// antimeridian. Signed-in players only.
#[server(endpoint = "map/clusters", input = server_fn::codec::GetUrl)]
pub async fn load_view(
    south: f64,
    west: f64,
    north: f64,
    east: f64,
    zoom: i64,
) -> Result<MapSlice, AppError> {
    use crate::{
        backend::{map, sessions, state},
        model::rules,
    };
    let me = sessions::require_player().await?;
    let viewport = rules::viewport(south, west, north, east, zoom)?;
    let state = state()?;
    map::view(&state, me, viewport).await
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
