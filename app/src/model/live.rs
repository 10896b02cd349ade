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

/// The `data:` of one SSE message: `{"kind": "...", "data": {...}}`. Decoded by hand (below),
/// not derived: the derive for an adjacently tagged enum buffers a `data` that comes before
/// its `kind` and compiles a second decoder per payload type for the buffer, all of it in the
/// browser's first module. A new variant needs its arm there and its name in `KINDS`.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

/// `{"kind": …, "data": …}` with `data` kept as its JSON text, whatever the order of the two,
/// then decoded as the type `kind` names. JSON only (the stream is JSON): a `RawValue` is
/// serde_json's own.
impl<'de> Deserialize<'de> for Live {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        use serde_json::value::RawValue;

        #[derive(Deserialize)]
        struct Message<'a> {
            #[serde(borrow)]
            kind: std::borrow::Cow<'a, str>,
            #[serde(borrow)]
            data: Option<&'a RawValue>,
        }
        #[derive(Deserialize)]
        struct Typing {
            chat_id: i64,
            player_id: i64,
        }
        // Read as bytes, as the stream's messages and every other answer are: the browser
        // then carries one decoder per type, not one per type and reader (`ui::loaded`).
        fn data<'a, T: Deserialize<'a>, E: Error>(data: Option<&'a RawValue>) -> Result<T, E> {
            let data = data.ok_or_else(|| E::missing_field("data"))?;
            serde_json::from_slice(data.get().as_bytes()).map_err(E::custom)
        }

        let Message { kind, data: d } = Message::deserialize(deserializer)?;
        Ok(match kind.as_ref() {
            "player_joined" => Live::PlayerJoined(data(d)?),
            "player_updated" => Live::PlayerUpdated(data(d)?),
            "presence" => Live::Presence(data(d)?),
            "online" => Live::Online(data(d)?),
            "chat" => Live::Chat(data(d)?),
            "typing" => {
                let Typing { chat_id, player_id } = data(d)?;
                Live::Typing { chat_id, player_id }
            }
            "round_started" => Live::RoundStarted(data(d)?),
            "tasks_assigned" => Live::TasksAssigned(data(d)?),
            "task_completed" => Live::TaskCompleted(data(d)?),
            "points_awarded" => Live::PointsAwarded(data(d)?),
            "dashboard" => Live::Dashboard(data(d)?),
            "resync" => Live::Resync,
            other => return Err(D::Error::unknown_variant(other, KINDS)),
        })
    }
}

/// Every `kind` a message may have, as [`Live`] writes them.
const KINDS: &[&str] = &[
    "player_joined",
    "player_updated",
    "presence",
    "online",
    "chat",
    "typing",
    "round_started",
    "tasks_assigned",
    "task_completed",
    "points_awarded",
    "dashboard",
    "resync",
];

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

    /// What the hand-written decoder reads is what the derived encoder writes, for every
    /// kind, whichever of `kind` and `data` comes first, with escapes in both.
    #[test]
    fn every_kind_reads_back_in_either_order() {
        let player = PublicPlayer {
            id: 7,
            handle: "a_b".into(),
            display_name: "A \"quoted\" \u{e9}".into(),
            home: None,
        };
        let messages = [
            Live::PlayerJoined(player.clone()),
            Live::PlayerUpdated(player),
            Live::Presence(PresenceChange {
                online: vec![1],
                offline: vec![2],
            }),
            Live::Online(OnlineNow { players: vec![3] }),
            Live::Typing {
                chat_id: 4,
                player_id: 5,
            },
            Live::Dashboard(Box::new(crate::model::Dashboard {
                top: vec![],
                countries: vec![],
                messages_this_hour: 1,
                today_messages: 2,
                today_players: 3,
                today_tasks: 4,
                today_points: 5,
                hourly: vec![],
                daily: vec![],
                through_event: 6,
                cursor: 7,
                behind_events: 8,
                behind_secs: 0.5,
            })),
            Live::Resync,
        ];
        for message in messages {
            let text = serde_json::to_string(&message).unwrap();
            let back: Live = serde_json::from_str(&text).unwrap();
            assert_eq!(back, message, "{text}");
            // The same fields, `data` first.
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            let swapped = match value.get("data") {
                Some(data) => format!(r#"{{"data":{data},"kind":{}}}"#, value["kind"]),
                None => text.clone(),
            };
            let back: Live = serde_json::from_str(&swapped).unwrap();
            assert_eq!(back, message, "{swapped}");
        }
        // An escaped kind is still the kind.
        let escaped: Live = serde_json::from_str(r#"{"kind":"re\u0073ync"}"#).unwrap();
        assert_eq!(escaped, Live::Resync);
        // A kind that is not one, or one without its data, is an error.
        assert!(serde_json::from_str::<Live>(r#"{"kind":"nonsense","data":1}"#).is_err());
        assert!(serde_json::from_str::<Live>(r#"{"kind":"chat"}"#).is_err());
    }
}
