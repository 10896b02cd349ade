//! Types shared by the browser and the server, and the pure rules both sides check.

pub mod chat;
pub mod live;
pub mod player;
pub mod rules;

pub use chat::{
    apply_to_list, ChatList, ChatMessage, ChatPage, ChatSummary, MessagePage, Pending, Thread,
    Unread, UnreadCount,
};
pub use live::{Live, PublicPlayer};
pub use player::{apply_live, CitySuggestion, Home, MapPlayer, MapView, Me, Profile};
