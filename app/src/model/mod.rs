//! Types shared by the browser and the server, and the pure rules both sides check.

pub mod live;
pub mod player;
pub mod rules;

pub use live::{Live, PublicPlayer};
pub use player::{apply_live, CitySuggestion, Home, MapPlayer, MapView, Me};
