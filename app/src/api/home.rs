//! Choosing a home: from the browser's position, or a city picked by name.

use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{CitySuggestion, Home},
};

/// Sets the home to the city nearest the browser's position.
#[server(endpoint = "home/from_position")]
pub async fn set_home_from_position(lat: f64, lon: f64) -> Result<Home, AppError> {
    use crate::backend::{players, sessions, state};
    let player = sessions::require_player().await?;
    players::set_home_from_position(&state()?.pool, player, lat, lon).await
}

/// Sets the home to a city chosen by search, then returns to the map.
#[server(endpoint = "home/city")]
pub async fn set_home_city(city_id: i32) -> Result<Home, AppError> {
    use crate::backend::{players, sessions, state};
    let player = sessions::require_player().await?;
    let home = players::set_home_city(&state()?.pool, player, city_id).await?;
    leptos_axum::redirect("/");
    Ok(home)
}

/// Cities whose name starts with `q`, for the type-ahead.
#[server(endpoint = "home/search", input = server_fn::codec::GetUrl)]
pub async fn search_cities(q: String) -> Result<Vec<CitySuggestion>, AppError> {
    use crate::{
        backend::{places, state},
        model::rules,
    };
    let q = rules::place_query(&q)?;
    places::search_cities(&state()?.pool, &q).await
}
