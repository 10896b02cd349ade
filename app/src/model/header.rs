//! What the header shows besides who is signed in, in one answer: the round's clock for
//! everyone, and for a player their all-time standing and unread counts.

use serde::{Deserialize, Serialize};

use super::{Board, RoundClock, Unread};

/// The header's answer (`api::header::load_header`). One answer rather than one per part:
/// each resource and server function is code of its own in every page's first download, and a
/// request of its own when the session changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeaderView {
    pub clock: RoundClock,
    /// Signed in only.
    pub player: Option<PlayerBar>,
}

/// A signed-in player's part of the header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayerBar {
    /// The all-time board with my row: awards move it like any board.
    pub standing: Board,
    pub unread: Unread,
}
