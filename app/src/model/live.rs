//! Messages on the live stream (server-sent events), as the page receives them. Durable ones
//! come from the events table and carry its id in the SSE `id:` field; `Resync` carries none.

use serde::{Deserialize, Serialize};

use super::{Assigned, Award, ChatSummary, Home, Round, Task};

/// A player as everyone may see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicPlayer {
    pub id: i64,
    pub handle: String,
    pub display_name: String,
    pub home: Option<Home>,
}

/// The players whose presence changed, with their state now (the last change wins).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceChange {
    pub online: Vec<i64>,
    pub offline: Vec<i64>,
}

impl PresenceChange {
    /// Whether `player` is in this change, and if so, online.
    pub fn state_of(&self, player: i64) -> Option<bool> {
        if self.online.contains(&player) {
            Some(true)
        } else if self.offline.contains(&player) {
            Some(false)
        } else {
            None
        }
    }

    /// Every player in the change with their state.
    pub fn states(&self) -> impl Iterator<Item = (i64, bool)> + '_ {
        let online = self.online.iter().map(|p| (*p, true));
        online.chain(self.offline.iter().map(|p| (*p, false)))
    }
}

/// Every player online at one moment, in increasing id order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineNow {
    pub players: Vec<i64>,
}

impl OnlineNow {
    pub fn contains(&self, player: i64) -> bool {
        self.players.binary_search(&player).is_ok()
    }
}

/// The `data:` of one SSE message: `{"kind": "...", "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum Live {
    PlayerJoined(PublicPlayer),
    PlayerUpdated(PublicPlayer),
    /// Players who came online (opened a stream) or went offline since the last such
    /// message: at most one a second on a stream. Ephemeral: never replayed.
    Presence(PresenceChange),
    /// Who is online now (everyone else is offline): a stream's first message, since presence
    /// is never replayed. Ephemeral.
    Online(OnlineNow),
    /// A chat changed for this player: a message arrived or was sent, or they read it.
    Chat(ChatSummary),
    /// The other member of a chat is typing. Ephemeral: never stored or replayed.
    Typing {
        chat_id: i64,
        player_id: i64,
    },
    /// A new round began: every page moves to it.
    RoundStarted(Round),
    /// My tasks for a round were chosen (in another tab, say).
    TasksAssigned(Assigned),
    /// One of my tasks completed; its points follow as a `PointsAwarded`.
    TaskCompleted(Task),
    /// Someone won points: boards and headers move.
    PointsAwarded(Award),
    /// The dashboard after the projector counted more events (at most twice a second).
    Dashboard(Box<super::Dashboard>),
    /// What the page holds may be stale beyond replay: refetch it.
    Resync,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_shape() {
        assert_eq!(
            serde_json::to_string(&Live::Resync).unwrap(),
            r#"{"kind":"resync"}"#
        );
        let joined: Live = serde_json::from_str(
            r#"{"kind":"player_joined","data":{"id":7,"handle":"a_b","display_name":"A","home":null}}"#,
        )
        .unwrap();
        assert!(matches!(joined, Live::PlayerJoined(p) if p.id == 7 && p.home.is_none()));
    }
}
