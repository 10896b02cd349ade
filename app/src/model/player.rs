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

/// A player's profile page: who they are and how much they have talked so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub id: i64,
    pub handle: String,
    pub display_name: String,
    pub home: Option<Home>,
    pub online: bool,
    pub joined: chrono::DateTime<chrono::Utc>,
    pub messages_sent: i64,
    /// Distinct players this player has sent a message to.
    pub players_talked_to: i64,
    /// Distinct home countries of those players.
    pub countries_talked_to: i64,
    /// The chat between the viewer and this player, if there is one.
    pub chat_id: Option<i64>,
    pub game: super::ProfileGame,
    /// The newest event id when this was read: the live stream resumes from here.
    pub cursor: i64,
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
    /// Events say nothing of presence: `online` is what the page knew.
    pub fn from_public(player: &super::PublicPlayer, online: bool) -> Option<Self> {
        Some(Self {
            id: player.id,
            handle: player.handle.clone(),
            display_name: player.display_name.clone(),
            home: player.home.clone()?,
            online,
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
    /// Has a live stream open (or had, within the presence grace period).
    pub online: bool,
}

/// Applies a live message to the list of markers; returns the entry that changed, if any.
///
/// A player can come online before they are on the map (their tab is open while they choose
/// a home): `online_off_map` keeps who is online among players not on it, so the marker they
/// get later starts in the right state.
pub fn apply_live(
    players: &mut Vec<MapPlayer>,
    online_off_map: &mut std::collections::HashSet<i64>,
    message: &super::Live,
) -> Option<MapPlayer> {
    use super::Live;
    match message {
        Live::PlayerJoined(p) | Live::PlayerUpdated(p) => {
            let known = players.iter().position(|e| e.id == p.id);
            let online = match known {
                Some(i) => players[i].online,
                None => online_off_map.contains(&p.id),
            };
            let player = MapPlayer::from_public(p, online)?;
            online_off_map.remove(&p.id);
            match known {
                Some(i) => players[i] = player.clone(),
                None => players.push(player.clone()),
            }
            Some(player)
        }
        Live::Presence { player_id, online } => {
            let Some(entry) = players.iter_mut().find(|e| e.id == *player_id) else {
                if *online {
                    online_off_map.insert(*player_id);
                } else {
                    online_off_map.remove(player_id);
                }
                return None;
            };
            entry.online = *online;
            Some(entry.clone())
        }
        _ => None,
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

/// What a place search found: a city, a region or a country, with its centre.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaceSuggestion {
    pub kind: PlaceKind,
    pub label: String,
    /// The city, for a city.
    pub city_id: Option<i32>,
    /// The region's name, for a region or a city.
    pub region: Option<String>,
    pub country_code: String,
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlaceKind {
    City,
    Region,
    Country,
}

impl PlaceSuggestion {
    /// How close the map flies to show it.
    pub fn zoom(&self) -> f64 {
        match self.kind {
            PlaceKind::City => 9.0,
            PlaceKind::Region => 6.0,
            PlaceKind::Country => 4.0,
        }
    }

    /// Whether a player's home is in this place.
    pub fn holds(&self, home: &Home) -> bool {
        home.country_code == self.country_code
            && match self.kind {
                PlaceKind::City => self.city_id == Some(home.city_id),
                PlaceKind::Region => self.region.as_deref() == Some(home.region.as_str()),
                PlaceKind::Country => true,
            }
    }
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

    use crate::model::{Live, PublicPlayer};

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
            online: false,
        }
    }

    fn public(p: &MapPlayer) -> PublicPlayer {
        PublicPlayer {
            id: p.id,
            handle: p.handle.clone(),
            display_name: p.display_name.clone(),
            home: Some(p.home.clone()),
        }
    }

    #[test]
    fn live_messages_update_the_markers() {
        let mut list = vec![player(1, "Lyon")];
        let mut off = std::collections::HashSet::new();
        let off = &mut off;
        let paris = public(&player(2, "Paris"));
        assert!(apply_live(&mut list, off, &Live::PlayerJoined(paris)).is_some());
        let online = Live::Presence {
            player_id: 1,
            online: true,
        };
        assert!(apply_live(&mut list, off, &online).unwrap().online);
        // A move keeps what the page knew of presence.
        let nice = public(&player(1, "Nice"));
        let moved = apply_live(&mut list, off, &Live::PlayerUpdated(nice)).unwrap();
        assert!(moved.online && moved.home.city == "Nice");
        let cities: Vec<_> = list.iter().map(|p| (p.id, p.home.city.as_str())).collect();
        assert_eq!(cities, [(1, "Nice"), (2, "Paris")]);
        // A player without a home, or presence of an unknown player, changes nothing.
        let mut homeless = public(&player(3, "X"));
        homeless.home = None;
        assert!(apply_live(&mut list, off, &Live::PlayerJoined(homeless)).is_none());
        let stranger = Live::Presence {
            player_id: 9,
            online: true,
        };
        assert!(apply_live(&mut list, off, &stranger).is_none());
        assert_eq!(list.len(), 2);
        // ... but once they are placed, their marker says they are online.
        let placed = apply_live(
            &mut list,
            off,
            &Live::PlayerUpdated(public(&player(9, "Oslo"))),
        );
        assert!(placed.unwrap().online, "online before they had a home");
        let gone = Live::Presence {
            player_id: 10,
            online: true,
        };
        apply_live(&mut list, off, &gone);
        apply_live(
            &mut list,
            off,
            &Live::Presence {
                player_id: 10,
                online: false,
            },
        );
        let late = apply_live(
            &mut list,
            off,
            &Live::PlayerJoined(public(&player(10, "Rome"))),
        );
        assert!(
            !late.unwrap().online,
            "went offline again before being placed"
        );
    }

    #[test]
    fn home_labels_skip_repeated_names() {
        let mut home = player(1, "Paris").home;
        assert_eq!(home.label(), "Paris, R, France");
        home.region = "France".into();
        assert_eq!(home.label(), "Paris, France");
    }
}
