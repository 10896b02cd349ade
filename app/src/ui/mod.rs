//! Components, by feature. Components hold signals and view; deciding and fetching happen in
//! server functions and the backend.

pub mod account;
pub mod app;
pub mod chat;
pub mod form;
pub mod home;
pub mod layout;
pub mod live;
pub mod map;
pub mod profile;
