//! The world as a signed-out visitor may see it: how many players are online, and activity
//! by country. Countries and counts only: no player, no city.

use serde::{Deserialize, Serialize};

/// One country with players online now or active today (sent a message or won points).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountryActivity {
    /// ISO 3166 alpha-2.
    pub code: String,
    pub name: String,
    /// The country's centre (the mean of its cities), where the map draws its circle.
    pub lat: f64,
    pub lon: f64,
    pub online: i64,
    /// Players of this country active today (UTC), as the dashboard counts them.
    pub active_today: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorldActivity {
    /// Players online now, with a home or not.
    pub online: i64,
    /// Countries with anyone online or active today: most online first.
    pub countries: Vec<CountryActivity>,
    /// The newest event id when this was read: the live stream resumes from here.
    pub cursor: i64,
}

impl WorldActivity {
    /// How many countries have someone online now.
    pub fn countries_online(&self) -> usize {
        self.countries.iter().filter(|c| c.online > 0).count()
    }
}
