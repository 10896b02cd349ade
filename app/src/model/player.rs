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
    #[serde(deserialize_with = "super::dates::instant")]
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

/// Applies a live message to the players the map shows one by one; returns the entries that
/// changed. A player not shown (out of view, or in a cluster) changes nothing here: the page
/// asks for its view again, and the answer places them.
pub fn apply_live(players: &mut [MapPlayer], message: &super::Live) -> Vec<MapPlayer> {
    use super::Live;
    match message {
        Live::PlayerJoined(p) | Live::PlayerUpdated(p) => {
            let Some(entry) = players.iter_mut().find(|e| e.id == p.id) else {
                return Vec::new();
            };
            match MapPlayer::from_public(p, entry.online) {
                Some(player) if player != *entry => {
                    *entry = player.clone();
                    vec![player]
                }
                // Homeless now (no such change exists) or the same: keep the marker.
                _ => Vec::new(),
            }
        }
        Live::Presence(change) => players
            .iter_mut()
            .filter_map(|entry| {
                let online = change.state_of(entry.id)?;
                (entry.online != online).then(|| {
                    entry.online = online;
                    entry.clone()
                })
            })
            .collect(),
        Live::Online(now) => players
            .iter_mut()
            .filter(|entry| entry.online != now.contains(entry.id))
            .map(|entry| {
                entry.online = !entry.online;
                entry.clone()
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether a live message may change what the map shows (counts, markers): the page then asks
/// for its view again.
pub fn moves_the_map(message: &super::Live) -> bool {
    use super::Live;
    matches!(
        message,
        Live::PlayerJoined(_) | Live::PlayerUpdated(_) | Live::Presence(_) | Live::Online(_)
    )
}

/// Everything the map page needs in one answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapView {
    /// Leaflet tile URL template; empty when the map runs without tiles.
    pub tile_url: String,
    pub tile_attribution: String,
    /// The homes of every player (no wrapping): "Show everyone" frames them.
    pub everyone: Option<super::Bounds>,
    /// The whole world at [`FIRST_ZOOM`](MapView::FIRST_ZOOM), for the first paint; the page
    /// asks for its own view once it has one. Nested, not flattened: a flattened field makes
    /// serde buffer the whole answer before decoding it, code the first download would carry.
    pub slice: super::MapSlice,
    /// The newest event id when the players were read: the live stream resumes from here.
    pub cursor: i64,
}

impl MapView {
    /// The zoom of the first answer's clusters: the world on a page-wide map.
    pub const FIRST_ZOOM: u8 = 2;
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

    use crate::model::{Live, OnlineNow, PresenceChange, PublicPlayer};

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

    fn presence(online: &[i64], offline: &[i64]) -> Live {
        Live::Presence(PresenceChange {
            online: online.to_vec(),
            offline: offline.to_vec(),
        })
    }

    #[test]
    fn live_messages_update_the_markers() {
        let mut list = vec![player(1, "Lyon"), player(2, "Paris")];
        let changed = apply_live(&mut list, &presence(&[1], &[]));
        assert!(changed.len() == 1 && changed[0].online);
        // Saying it again changes nothing.
        assert!(apply_live(&mut list, &presence(&[1], &[])).is_empty());
        // A move keeps what the page knew of presence.
        let nice = public(&player(1, "Nice"));
        let moved = apply_live(&mut list, &Live::PlayerUpdated(nice.clone()));
        assert!(moved[0].online && moved[0].home.city == "Nice");
        assert!(apply_live(&mut list, &Live::PlayerUpdated(nice)).is_empty());
        let cities: Vec<_> = list.iter().map(|p| (p.id, p.home.city.as_str())).collect();
        assert_eq!(cities, [(1, "Nice"), (2, "Paris")]);
        // A player not shown one by one, or presence of one, changes nothing here (the page
        // asks for its view again).
        let oslo = Live::PlayerJoined(public(&player(9, "Oslo")));
        assert!(apply_live(&mut list, &oslo).is_empty());
        assert!(apply_live(&mut list, &presence(&[9, 10], &[])).is_empty());
        assert_eq!(list.len(), 2);
        assert!(moves_the_map(&oslo) && moves_the_map(&presence(&[9], &[])));
        assert!(!moves_the_map(&Live::Resync));
    }

    #[test]
    fn a_presence_snapshot_sets_every_marker() {
        let mut list = vec![player(1, "Lyon"), player(2, "Paris"), player(3, "Nice")];
        apply_live(&mut list, &presence(&[1, 2], &[]));
        // Now 2 and 3 are online, and 8 (not on the map); 1 is not.
        let now = Live::Online(OnlineNow {
            players: vec![2, 3, 8],
        });
        let changed: Vec<_> = apply_live(&mut list, &now)
            .into_iter()
            .map(|p| (p.id, p.online))
            .collect();
        assert_eq!(changed, [(1, false), (3, true)]);
        let states: Vec<_> = list.iter().map(|p| (p.id, p.online)).collect();
        assert_eq!(states, [(1, false), (2, true), (3, true)]);
    }

    #[test]
    fn home_labels_skip_repeated_names() {
        let mut home = player(1, "Paris").home;
        assert_eq!(home.label(), "Paris, R, France");
        home.region = "France".into();
        assert_eq!(home.label(), "Paris, France");
    }
}
