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

impl MapPlayer {
    /// The marker for a player as a live event describes them, if they have a home.
    pub fn from_public(player: &super::PublicPlayer) -> Option<Self> {
        Some(Self {
            id: player.id,
            handle: player.handle.clone(),
            display_name: player.display_name.clone(),
            home: player.home.clone()?,
        })
    }
}

/// A marker on the map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapPlayer {
    pub id: i64,
    pub handle: String,
    pub display_name: String,
    pub home: Home,
}

/// Adds a player to a list of markers, or replaces their entry.
pub fn upsert_player(players: &mut Vec<MapPlayer>, player: MapPlayer) {
    match players.iter_mut().find(|p| p.id == player.id) {
        Some(entry) => *entry = player,
        None => players.push(player),
    }
}

/// Everything the map page needs in one answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapView {
    /// Leaflet tile URL template; empty when the map runs without tiles.
    pub tile_url: String,
    pub tile_attribution: String,
    pub players: Vec<MapPlayer>,
    /// The newest event id when the players were read: the live stream resumes from here.
    pub cursor: i64,
}

/// One answer of the city type-ahead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CitySuggestion {
    pub city_id: i32,
    pub label: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn player(id: i64, city: &str) -> MapPlayer {
        MapPlayer {
            id,
            handle: format!("p{id}"),
            display_name: format!("P{id}"),
            home: Home {
                city_id: 1,
                city: city.into(),
                region: "R".into(),
                country_code: "FR".into(),
                country: "France".into(),
                lat: 0.0,
                lon: 0.0,
            },
        }
    }

    #[test]
    fn upsert_replaces_or_appends() {
        let mut list = vec![player(1, "Lyon")];
        upsert_player(&mut list, player(2, "Paris"));
        upsert_player(&mut list, player(1, "Nice"));
        let cities: Vec<_> = list.iter().map(|p| (p.id, p.home.city.as_str())).collect();
        assert_eq!(cities, [(1, "Nice"), (2, "Paris")]);
    }

    #[test]
    fn home_labels_skip_repeated_names() {
        let mut home = player(1, "Paris").home;
        assert_eq!(home.label(), "Paris, R, France");
        home.region = "France".into();
        assert_eq!(home.label(), "Paris, France");
    }
}
