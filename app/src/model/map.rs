//! What the map shows of a view: clusters of players where many share it, the players one by
//! one where few do (or at street level), and the numbers that say how the view is cut.
//! The server computes the clusters per zoom level and viewport (`backend::map`); the page asks
//! again whenever its view settles or the world changes.

use serde::{Deserialize, Serialize};

use super::MapPlayer;

/// The closest zoom the map offers (the tiles' deepest level).
pub const MAX_ZOOM: u8 = 18;
/// From this zoom on the players in view come one by one, never clustered, and players who
/// share a city's spot fan out around it.
pub const STREET_ZOOM: u8 = 12;
/// A view holding at most this many players shows them one by one at any zoom: clusters are
/// for views where many share the map.
pub const FEW: i64 = 200;
/// The most players one answer carries one by one (a street-level view of a city where
/// thousands play); `more` says how many more the view holds.
pub const INDIVIDUALS_MAX: i64 = 1000;
/// A cluster's cell: a square of this many pixels at the view's zoom.
pub const CELL_PX: f64 = 80.0;
/// Clusters closer than this many pixels (the largest disc and its ring) are one.
pub const MERGE_PX: f64 = 64.0;

/// A rectangle on the map in degrees. `west > east` means it spans the antimeridian (as in
/// GeoJSON's bounding boxes): 170 to -170 is the 20° around 180.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    pub south: f64,
    pub west: f64,
    pub north: f64,
    pub east: f64,
}

impl Bounds {
    /// The whole world (as far as Web Mercator draws it).
    pub const WORLD: Self = Self {
        south: -85.0,
        west: -180.0,
        north: 85.0,
        east: 180.0,
    };

    pub fn crosses_antimeridian(&self) -> bool {
        self.west > self.east
    }

    /// Whether a position lies inside (edges included).
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        let lon_in = if self.crosses_antimeridian() {
            lon >= self.west || lon <= self.east
        } else {
            (self.west..=self.east).contains(&lon)
        };
        (self.south..=self.north).contains(&lat) && lon_in
    }

    /// The bounds grown to hold a position (no wrapping: for framing players).
    pub fn extend(&mut self, lat: f64, lon: f64) {
        self.south = self.south.min(lat);
        self.north = self.north.max(lat);
        self.west = self.west.min(lon);
        self.east = self.east.max(lon);
    }

    pub fn point(lat: f64, lon: f64) -> Self {
        Self {
            south: lat,
            west: lon,
            north: lat,
            east: lon,
        }
    }
}

/// What the page asks for: the part of the world it shows and its zoom (checked by
/// `rules::viewport`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Viewport {
    pub bounds: Bounds,
    pub zoom: u8,
}

/// Many players shown as one marker: how many and how many are online, at the mean of their
/// homes, with the bounds of those homes (clicking it frames them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    /// Stable while the view's zoom is: `zoom/column/row` of its cell, so a page updates the
    /// marker in place when the counts move.
    pub key: String,
    pub lat: f64,
    pub lon: f64,
    pub players: i64,
    pub online: i64,
    pub bounds: Bounds,
}

/// One answer for a view: the clusters and the players one by one. The viewer is always among
/// `players` (when they have a home), never in a cluster's count.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MapSlice {
    pub zoom: u8,
    pub clusters: Vec<Cluster>,
    pub players: Vec<MapPlayer>,
    /// Players in view left out of `players` past [`INDIVIDUALS_MAX`].
    pub more: i64,
}

impl MapSlice {
    /// Players in view, clustered or not (the viewer included).
    pub fn in_view(&self) -> i64 {
        self.clusters.iter().map(|c| c.players).sum::<i64>() + self.players.len() as i64 + self.more
    }
}

/// 100008 → "100,008": a count as the map's words show it.
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_in_thousands() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (100_008, "100,008"),
            (1_234_567, "1,234,567"),
            (-4500, "-4,500"),
        ] {
            assert_eq!(grouped(n), text);
        }
    }

    #[test]
    fn bounds_across_the_antimeridian_hold_both_sides() {
        let fiji = Bounds {
            south: -30.0,
            west: 170.0,
            north: 0.0,
            east: -170.0,
        };
        assert!(fiji.crosses_antimeridian());
        assert!(fiji.contains(-18.1, 178.4), "Suva");
        assert!(fiji.contains(-13.8, -171.8), "Apia");
        assert!(!fiji.contains(-18.1, 0.0));
        assert!(Bounds::WORLD.contains(48.86, 2.34));
        assert!(!Bounds::WORLD.contains(89.0, 2.34));
    }
}
