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

/// The `data:` of one SSE message: `{"kind": "...", "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
pub enum Live {
    PlayerJoined(PublicPlayer),
    PlayerUpdated(PublicPlayer),
    /// A player came online (opened a stream) or went offline. Ephemeral: never replayed.
    Presence {
        player_id: i64,
        online: bool,
    },
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
