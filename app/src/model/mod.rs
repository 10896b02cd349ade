//! Types shared by the browser and the server, and the pure rules both sides check.

pub mod player;
pub mod rules;

pub use player::{CitySuggestion, Home, MapPlayer, MapView, Me};
