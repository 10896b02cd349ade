//! Players as the pages see them. Positions here are always city centres: a player's exact
//! position stays on the server.

use serde::{Deserialize, Serialize};

/// A player's home as others may see it: the city and its centre.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Home {
    pub city_id: i32,
    pub city: String,
    pub region: String,
    pub country_code: String,
    pub country: String,
    pub lat: f64,
    pub lon: f64,
}

impl Home {
    /// "City, Region, Country", dropping the region when it only repeats a name.
    pub fn label(&self) -> String {
        if self.region == self.city || self.region == self.country {
            format!("{}, {}", self.city, self.country)
        } else {
            format!("{}, {}, {}", self.city, self.region, self.country)
        }
    }
}

/// The signed-in player.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub id: i64,
    pub handle: String,
    pub display_name: String,
    pub home: Option<Home>,
}

/// A marker on the map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapPlayer {
    pub id: i64,
    pub handle: String,
    pub display_name: String,
    pub home: Home,
}

/// Everything the map page needs in one answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapView {
    /// Leaflet tile URL template; empty when the map runs without tiles.
    pub tile_url: String,
    pub tile_attribution: String,
    pub players: Vec<MapPlayer>,
}

/// One answer of the city type-ahead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CitySuggestion {
    pub city_id: i32,
    pub label: String,
}
