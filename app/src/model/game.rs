//! The game's shared types and its pure rules: rounds, tasks and how much a task is worth.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Half the Earth's circumference: no two places are farther apart.
pub const FARTHEST_KM: f64 = 20_015.0;
/// Tasks a player gets per round, when that many regions are eligible.
pub const TASKS_PER_ROUND: usize = 3;

/// A round of the game: a fixed slice of time (an hour by default, starting on UTC hours).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    /// The start, in seconds since the epoch.
    pub id: i64,
    #[serde(deserialize_with = "super::dates::instant")]
    pub starts_at: DateTime<Utc>,
    #[serde(deserialize_with = "super::dates::instant")]
    pub ends_at: DateTime<Utc>,
}

/// The round under way and the server's clock when it answered: a page counts down with the
/// server's time, whatever the browser's clock says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundClock {
    pub round: Round,
    #[serde(deserialize_with = "super::dates::instant")]
    pub server_now: DateTime<Utc>,
}

impl RoundClock {
    /// Whole seconds left in the round at `browser_now`, given the browser's clock when this
    /// answer arrived (`received_at`): the server's time runs on from its answer.
    pub fn seconds_left(&self, received_at_ms: f64, browser_now_ms: f64) -> i64 {
        let elapsed_ms = (browser_now_ms - received_at_ms).max(0.0);
        let server_now_ms = self.server_now.timestamp_millis() as f64 + elapsed_ms;
        let left_ms = self.round.ends_at.timestamp_millis() as f64 - server_now_ms;
        (left_ms / 1000.0).ceil().max(0.0) as i64
    }
}

/// "12:05", or "1:02:03" past an hour.
pub fn countdown(seconds: i64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Low,
    Medium,
    High,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

/// Points per level and the score at which each level starts (the `task_weights` row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    pub low_points: i32,
    pub medium_points: i32,
    pub high_points: i32,
    pub medium_from: f64,
    pub high_from: f64,
}

impl Weights {
    /// Points from 1 to 100 each, and thresholds in order (0 < medium < high ≤ 1). The
    /// error names the first input that breaks a rule.
    pub fn check(&self) -> Result<(), AppError> {
        for (field, points) in [
            ("low_points", self.low_points),
            ("medium_points", self.medium_points),
            ("high_points", self.high_points),
        ] {
            if !(1..=100).contains(&points) {
                return Err(AppError::invalid(field, "Points must be from 1 to 100."));
            }
        }
        if !(self.medium_from > 0.0 && self.medium_from < 1.0) {
            return Err(AppError::invalid(
                "medium_from",
                "Medium must start above 0 and below 1.",
            ));
        }
        if !(self.high_from > self.medium_from && self.high_from <= 1.0) {
            return Err(AppError::invalid(
                "high_from",
                "High must start above medium, at 1 at most.",
            ));
        }
        Ok(())
    }
}

/// One change of the weights, for the admin page: who (none when made outside the app), when,
/// and the values before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightsChange {
    #[serde(deserialize_with = "super::dates::instant")]
    pub changed_at: DateTime<Utc>,
    pub changed_by: Option<String>,
    pub before: Option<Weights>,
    pub after: Option<Weights>,
}

/// The admin page: the weights in force and their latest changes, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightsAdmin {
    pub weights: Weights,
    pub changes: Vec<WeightsChange>,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            low_points: 2,
            medium_points: 5,
            high_points: 10,
            medium_from: 0.35,
            high_from: 0.6,
        }
    }
}

/// How notable a region is for a player, from 0 to 1: the mean of its rarity (one over the
/// number of players from there, so a region of one player is 1) and its great-circle distance
/// from the player's home as a share of the farthest possible.
pub fn score(region_players: i32, km: f64) -> f64 {
    let rarity = 1.0 / f64::from(region_players.max(1));
    let distance = (km / FARTHEST_KM).clamp(0.0, 1.0);
    (rarity + distance) / 2.0
}

/// A task's level and points.
pub fn criticality(weights: &Weights, region_players: i32, km: f64) -> (Level, i32) {
    let score = score(region_players, km);
    if score >= weights.high_from {
        (Level::High, weights.high_points)
    } else if score >= weights.medium_from {
        (Level::Medium, weights.medium_points)
    } else {
        (Level::Low, weights.low_points)
    }
}

/// "Talk to someone from {region}, {country}".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: i64,
    pub round_id: i64,
    pub region_id: i32,
    pub region: String,
    pub country_code: String,
    pub country: String,
    /// The region's centre.
    pub lat: f64,
    pub lon: f64,
    pub level: Level,
    pub points: i32,
    /// Distance from the player's home to the region's centre.
    pub km: f64,
    /// Players whose home is in the region (when the task was chosen).
    pub region_players: i32,
    #[serde(default, deserialize_with = "super::dates::instant_opt")]
    pub completed_at: Option<DateTime<Utc>>,
}

impl Task {
    /// The task's region, as the map shows a place.
    pub fn region_place(&self) -> super::PlaceSuggestion {
        super::PlaceSuggestion {
            kind: super::PlaceKind::Region,
            label: self.place(),
            city_id: None,
            region: Some(self.region.clone()),
            country_code: self.country_code.clone(),
            lat: self.lat,
            lon: self.lon,
        }
    }

    pub fn place(&self) -> String {
        if self.region == self.country {
            self.country.clone()
        } else {
            format!("{}, {}", self.region, self.country)
        }
    }
}

/// A player's tasks for the round under way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Tasks {
    /// No home yet: tasks are chosen relative to it.
    NoHome,
    /// Chosen; fewer than [`TASKS_PER_ROUND`] when fewer regions were eligible (the page says
    /// why).
    Assigned(Vec<Task>),
}

/// What the game panel shows: the round, my tasks and my points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GameView {
    pub clock: RoundClock,
    pub tasks: Tasks,
    /// My points, all time.
    pub points: i64,
    /// The newest event id when this was read: the live stream resumes from here.
    pub cursor: i64,
}

/// An award on the points ledger, as every board hears of it: who, how much, and the player's
/// points in every board's window with this award.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Award {
    pub player_id: i64,
    pub handle: String,
    pub display_name: String,
    pub country_code: Option<String>,
    pub points: i32,
    pub source: String,
    #[serde(deserialize_with = "super::dates::instant")]
    pub awarded_at: DateTime<Utc>,
    /// The round under way when it was awarded.
    pub round_id: Option<i64>,
    /// All time.
    pub total: i64,
    pub week_total: i64,
    pub month_total: i64,
    pub round_total: i64,
}

/// The game on a player's profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileGame {
    pub points: i64,
    pub points_week: i64,
    /// All-time rank among everyone with points (ties share it); none without points.
    pub rank: Option<i64>,
    pub tasks_completed: i64,
    /// Points per UTC day, the last 30 days, oldest first (today last).
    pub daily: Vec<DayPoints>,
    /// The latest completed tasks, newest first.
    pub latest: Vec<Task>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayPoints {
    #[serde(deserialize_with = "super::dates::day")]
    pub day: chrono::NaiveDate,
    pub points: i64,
}

impl ProfileGame {
    /// Applies an award of this player's (the profile is open while they play).
    pub fn apply(&mut self, award: &Award) {
        self.points = award.total;
        self.points_week = award.week_total;
        let day = award.awarded_at.date_naive();
        match self.daily.iter_mut().find(|d| d.day == day) {
            Some(today) => today.points += i64::from(award.points),
            None => {
                self.daily.push(DayPoints {
                    day,
                    points: i64::from(award.points),
                });
                if self.daily.len() > 30 {
                    self.daily.remove(0);
                }
            }
        }
        if award.source.starts_with("task:") {
            self.tasks_completed += 1;
        }
    }
}

/// Tasks chosen for a player, as their event carries them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assigned {
    pub round_id: i64,
    pub tasks: Vec<Task>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(players: i32, km: f64) -> Level {
        criticality(&Weights::default(), players, km).0
    }

    #[test]
    fn score_grows_with_rarity_and_distance() {
        assert_eq!(score(1, FARTHEST_KM), 1.0);
        assert_eq!(score(1, 0.0), 0.5);
        assert!(score(2, 5000.0) > score(3, 5000.0));
        assert!(score(2, 6000.0) > score(2, 5000.0));
        assert_eq!(score(0, 0.0), 0.5, "no players counts as one");
        assert_eq!(score(1, 2.0 * FARTHEST_KM), 1.0, "capped");
    }

    #[test]
    fn levels_on_both_sides_of_each_threshold() {
        let w = Weights::default();
        // score = (1/2 + km/FARTHEST_KM) / 2: medium from 0.35 means km/F = 0.2.
        let at = |share: f64| share * FARTHEST_KM;
        // (A kilometre either side of each threshold.)
        assert_eq!(level(2, at(0.2) + 1.0), Level::Medium);
        assert_eq!(level(2, at(0.2) - 1.0), Level::Low);
        // High from 0.6: km/F = 0.7.
        assert_eq!(level(2, at(0.7) + 1.0), Level::High);
        assert_eq!(level(2, at(0.7) - 1.0), Level::Medium);
        assert_eq!(criticality(&w, 2, at(0.7) + 1.0).1, 10);
        assert_eq!(criticality(&w, 2, at(0.2) + 1.0).1, 5);
        assert_eq!(criticality(&w, 2, 0.0).1, 2);
        // A lone player's region nearby is medium already; a crowded one far away is not high.
        assert_eq!(level(1, 0.0), Level::Medium);
        assert_eq!(level(1000, FARTHEST_KM), Level::Medium);
    }

    #[test]
    fn weights_from_the_table_apply() {
        let w = Weights {
            low_points: 1,
            medium_points: 50,
            high_points: 100,
            medium_from: 0.1,
            high_from: 0.2,
        };
        assert_eq!(criticality(&w, 1000, 0.0), (Level::Low, 1));
        assert_eq!(criticality(&w, 5, 0.0), (Level::Medium, 50));
        assert_eq!(criticality(&w, 2, 0.0), (Level::High, 100));
    }

    #[test]
    fn countdown_from_the_server_clock() {
        let at = |s: i64| DateTime::from_timestamp(s, 0).unwrap();
        let clock = RoundClock {
            round: Round {
                id: 3600,
                starts_at: at(3600),
                ends_at: at(7200),
            },
            server_now: at(7200 - 65),
        };
        // The browser's clock is ten minutes off: only the time since the answer counts.
        let received = 1_000_000.0;
        assert_eq!(clock.seconds_left(received, received), 65);
        assert_eq!(clock.seconds_left(received, received + 5_000.0), 60);
        assert_eq!(clock.seconds_left(received, received + 600_000.0), 0);
        assert_eq!(clock.seconds_left(received, received - 600_000.0), 65);
        assert_eq!(countdown(65), "1:05");
        assert_eq!(countdown(3600), "1:00:00");
        assert_eq!(countdown(0), "0:00");
    }
}
