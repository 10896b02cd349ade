//! The public dashboard: what the projector's aggregates say, as of its checkpoint.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashPlayer {
    pub handle: String,
    pub display_name: String,
    pub country_code: Option<String>,
    pub points: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashCountry {
    pub code: String,
    pub name: String,
    /// Players of this country active today (sent a message or earned points).
    pub players: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub top: Vec<DashPlayer>,
    pub countries: Vec<DashCountry>,
    pub messages_this_hour: i64,
    pub today_messages: i64,
    pub today_players: i64,
    pub today_tasks: i64,
    pub today_points: i64,
    /// Messages per UTC hour, the last 24 hours, oldest first (this hour last).
    #[serde(deserialize_with = "super::dates::dated")]
    pub hourly: Vec<(DateTime<Utc>, i64)>,
    /// Messages per UTC day, the last 30 days, oldest first (today last).
    #[serde(deserialize_with = "super::dates::dated")]
    pub daily: Vec<(NaiveDate, i64)>,
    /// Every event up to this id is counted.
    pub through_event: i64,
    /// The newest event when this was read: a live page resumes from here.
    pub cursor: i64,
    /// Events committed but not counted yet, and the age of the oldest of them in seconds.
    pub behind_events: i64,
    pub behind_secs: f64,
}
