//! Types shared by the browser and the server, and the pure rules both sides check.

pub mod api_key;
pub mod board;
pub mod chat;
pub mod dashboard;
pub mod dates;
pub mod game;
pub mod header;
pub mod live;
pub mod map;
pub mod player;
pub mod rules;
pub mod world;

pub use api_key::{ApiKey, IssuedKey};
pub use board::{Board, BoardRow, Scope, Window};
pub use chat::{
    apply_to_list, ChatList, ChatMessage, ChatPage, ChatSummary, MessagePage, Pending, Thread,
    Unread, UnreadCount,
};
pub use dashboard::{DashCountry, DashPlayer, Dashboard};
pub use game::{
    Assigned, Award, DayPoints, GameView, Level, ProfileGame, Round, RoundClock, Task, Tasks,
    Weights, WeightsAdmin, WeightsChange,
};
pub use header::{HeaderView, PlayerBar};
pub use live::{Live, OnlineNow, PresenceChange, PublicPlayer};
pub use map::{Bounds, Cluster, MapSlice, Viewport};
pub use player::{
    apply_live, moves_the_map, CitySuggestion, Home, MapPlayer, MapView, Me, PlaceKind,
    PlaceSuggestion, Profile,
};
pub use world::{CountryActivity, WorldActivity};
