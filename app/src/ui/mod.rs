//! Components, by feature. Components hold signals and view; deciding and fetching happen in
//! server functions and the backend.

pub mod account;
pub mod admin;
pub mod app;
pub mod chart;
pub mod chat;
pub mod clock;
pub mod dashboard;
pub mod form;
pub mod game;
pub mod home;
pub mod landing;
pub mod layout;
pub mod leaderboard;
pub mod live;
pub mod loaded;
pub mod map;
pub mod new_build;
pub mod page;
pub mod profile;
pub mod session;
pub mod time;
