//! Chats as the pages see them, and the pure rules by which a page folds live events into the
//! chat list and the open conversation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Live, PublicPlayer};

/// One stored message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub id: i64,
    pub chat_id: i64,
    pub sender_id: i64,
    pub body: String,
    /// The key the sending page chose, which lets it match its pending copy.
    pub client_key: Option<String>,
    #[serde(deserialize_with = "super::dates::instant")]
    pub sent_at: DateTime<Utc>,
}

/// A chat as one of its two members sees it. The same shape arrives in `chat` live events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatSummary {
    pub chat_id: i64,
    /// Rises with every change: a page keeps the newest it has seen.
    pub version: i64,
    pub other: PublicPlayer,
    /// Whether the other player is online. Live events leave it out: the page keeps what
    /// presence told it.
    #[serde(default)]
    pub online: bool,
    pub unread: i64,
    /// The last message this member has read.
    pub read_through: i64,
    pub last: Option<ChatMessage>,
    #[serde(deserialize_with = "super::dates::instant")]
    pub last_activity: DateTime<Utc>,
}

/// The chat list, newest activity first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatList {
    pub chats: Vec<ChatSummary>,
    /// The newest event id when the list was read: the live stream resumes from here.
    pub cursor: i64,
}

/// A page of history, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagePage {
    pub messages: Vec<ChatMessage>,
    /// There are older messages than the first of this page.
    pub has_older: bool,
}

/// An open conversation: the chat and its newest page of history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatPage {
    pub chat: ChatSummary,
    pub history: MessagePage,
    pub cursor: i64,
}

/// Applies a live message to the chat list; returns whether it changed. A chat event older
/// than what the list holds is ignored, so applying the same events twice, or events the
/// list was read after, changes nothing.
pub fn apply_to_list(list: &mut Vec<ChatSummary>, message: &Live) -> bool {
    match message {
        Live::Chat(chat) => {
            let known = list.iter().position(|c| c.chat_id == chat.chat_id);
            if known.is_some_and(|i| list[i].version >= chat.version) {
                return false;
            }
            let mut chat = chat.clone();
            chat.online = match known {
                Some(i) => list[i].online,
                // Someone who has just written to you is around.
                None => chat
                    .last
                    .as_ref()
                    .is_some_and(|m| m.sender_id == chat.other.id),
            };
            match known {
                Some(i) => list[i] = chat,
                None => list.push(chat),
            }
            list.sort_by_key(|c| std::cmp::Reverse((c.last_activity, c.chat_id)));
            true
        }
        Live::Presence(change) => set_online(list, |player| change.state_of(player)),
        Live::Online(now) => set_online(list, |player| Some(now.contains(player))),
        _ => false,
    }
}

/// Sets each chat's `online` to what `state` says of its other member, if anything; returns
/// whether any changed.
fn set_online(list: &mut [ChatSummary], state: impl Fn(i64) -> Option<bool>) -> bool {
    let mut changed = false;
    for chat in list.iter_mut() {
        if let Some(online) = state(chat.other.id) {
            changed |= chat.online != online;
            chat.online = online;
        }
    }
    changed
}

/// One chat's unread count, for the header's total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnreadCount {
    pub chat_id: i64,
    pub version: i64,
    pub unread: i64,
}

/// What the header needs for its unread total: every chat's count and version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Unread {
    pub chats: Vec<UnreadCount>,
    pub cursor: i64,
}

impl Unread {
    pub fn total(&self) -> i64 {
        self.chats.iter().map(|c| c.unread).sum()
    }

    /// Applies a live message, keeping the newest version of each chat; returns whether the
    /// counts changed.
    pub fn apply(&mut self, message: &Live) -> bool {
        let Live::Chat(chat) = message else {
            return false;
        };
        match self.chats.iter_mut().find(|c| c.chat_id == chat.chat_id) {
            Some(known) if known.version >= chat.version => false,
            Some(known) => {
                known.version = chat.version;
                let changed = known.unread != chat.unread;
                known.unread = chat.unread;
                changed
            }
            None => {
                self.chats.push(UnreadCount {
                    chat_id: chat.chat_id,
                    version: chat.version,
                    unread: chat.unread,
                });
                chat.unread != 0
            }
        }
    }
}

/// A message this page sent that the server has not confirmed yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub client_key: String,
    pub body: String,
    /// Why sending failed, when it did: the page offers a retry.
    pub failed: Option<String>,
}

/// The open conversation's messages: stored ones in id order, then this page's pending ones.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Thread {
    pub stored: Vec<ChatMessage>,
    pub pending: Vec<Pending>,
}

impl Thread {
    pub fn new(stored: Vec<ChatMessage>) -> Self {
        let mut thread = Self::default();
        thread.add(stored);
        thread
    }

    /// Adds stored messages, once each, and drops the pending copies they confirm. Returns
    /// whether anything was new.
    pub fn add(&mut self, messages: impl IntoIterator<Item = ChatMessage>) -> bool {
        let mut changed = false;
        for message in messages {
            if let Some(key) = &message.client_key {
                self.pending.retain(|p| &p.client_key != key);
            }
            if let Err(at) = self.stored.binary_search_by_key(&message.id, |m| m.id) {
                self.stored.insert(at, message);
                changed = true;
            }
        }
        changed
    }

    /// Shows a message as sent at once, before the server answers.
    pub fn send(&mut self, client_key: String, body: String) {
        self.pending.retain(|p| p.client_key != client_key);
        self.pending.push(Pending {
            client_key,
            body,
            failed: None,
        });
    }

    pub fn fail(&mut self, client_key: &str, error: String) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.client_key == client_key) {
            p.failed = Some(error);
        }
    }

    pub fn oldest(&self) -> Option<i64> {
        self.stored.first().map(|m| m.id)
    }

    pub fn newest(&self) -> Option<&ChatMessage> {
        self.stored.last()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{OnlineNow, PresenceChange};

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn message(id: i64, sender_id: i64, key: Option<&str>) -> ChatMessage {
        ChatMessage {
            id,
            chat_id: 1,
            sender_id,
            body: format!("m{id}"),
            client_key: key.map(str::to_owned),
            sent_at: at(id),
        }
    }

    fn chat(chat_id: i64, version: i64, other: i64, last: Option<ChatMessage>) -> ChatSummary {
        ChatSummary {
            chat_id,
            version,
            other: PublicPlayer {
                id: other,
                handle: format!("p{other}"),
                display_name: format!("P{other}"),
                home: None,
            },
            online: false,
            unread: 0,
            read_through: 0,
            last_activity: last.as_ref().map_or(at(0), |m| m.sent_at),
            last,
        }
    }

    #[test]
    fn list_keeps_the_newest_version_and_orders_by_activity() {
        let mut list = vec![chat(1, 3, 10, Some(message(5, 10, None)))];
        list[0].online = true;
        // An older version (from before the list was read) changes nothing.
        assert!(!apply_to_list(&mut list, &Live::Chat(chat(1, 2, 10, None))));
        assert_eq!(list[0].version, 3);
        // A newer one replaces it and keeps presence.
        let mut newer = chat(1, 4, 10, Some(message(7, 10, None)));
        newer.unread = 2;
        assert!(apply_to_list(&mut list, &Live::Chat(newer.clone())));
        assert!(list[0].online && list[0].unread == 2);
        assert!(!apply_to_list(&mut list, &Live::Chat(newer)));
        // A new chat with a later message goes first; its writer counts as online.
        assert!(apply_to_list(
            &mut list,
            &Live::Chat(chat(2, 1, 11, Some(message(9, 11, None))))
        ));
        assert_eq!(list.iter().map(|c| c.chat_id).collect::<Vec<_>>(), [2, 1]);
        assert!(list[0].online);
        let offline = Live::Presence(PresenceChange {
            online: vec![12],
            offline: vec![11],
        });
        assert!(apply_to_list(&mut list, &offline));
        assert!(!list[0].online);
        assert!(!apply_to_list(&mut list, &offline));
        // A stream's snapshot of who is online sets every chat.
        let now = Live::Online(OnlineNow {
            players: vec![11, 20],
        });
        assert!(apply_to_list(&mut list, &now));
        assert!(list[0].online && !list[1].online);
        assert!(!apply_to_list(&mut list, &now));
    }

    #[test]
    fn unread_total_follows_the_newest_version_of_each_chat() {
        let mut unread = Unread {
            chats: vec![UnreadCount {
                chat_id: 1,
                version: 5,
                unread: 2,
            }],
            cursor: 0,
        };
        let with = |chat_id, version, n| {
            let mut c = chat(chat_id, version, 10, None);
            c.unread = n;
            Live::Chat(c)
        };
        assert!(!unread.apply(&with(1, 4, 7)), "older than the snapshot");
        assert!(unread.apply(&with(2, 1, 1)));
        assert_eq!(unread.total(), 3);
        assert!(unread.apply(&with(1, 6, 0)));
        assert_eq!(unread.total(), 1);
        assert!(!unread.apply(&Live::Resync));
    }

    #[test]
    fn thread_confirms_pending_once_whichever_comes_first() {
        let mut thread = Thread::new(vec![message(2, 1, None), message(1, 1, None)]);
        assert_eq!(thread.oldest(), Some(1));
        thread.send("k1".into(), "hi".into());
        thread.send("k2".into(), "there".into());
        // The event arrives before the answer, then the answer: one copy.
        assert!(thread.add([message(3, 1, Some("k1"))]));
        assert!(!thread.add([message(3, 1, Some("k1"))]));
        assert_eq!(thread.stored.len(), 3);
        assert_eq!(thread.pending.len(), 1);
        thread.fail("k2", "offline".into());
        assert_eq!(thread.pending[0].failed.as_deref(), Some("offline"));
        // Retrying clears the failure; the confirmation removes it.
        thread.send("k2".into(), "there".into());
        assert_eq!(thread.pending[0].failed, None);
        thread.add([message(4, 1, Some("k2"))]);
        assert!(thread.pending.is_empty());
        // Older history slots in before.
        thread.add([message(0, 2, None)]);
        let ids: Vec<_> = thread.stored.iter().map(|m| m.id).collect();
        assert_eq!(ids, [0, 1, 2, 3, 4]);
        assert_eq!(thread.newest().map(|m| m.id), Some(4));
    }
}
