//! Server functions, one file per feature. Each is thin: it takes "who am I" from the session,
//! calls the backend and returns its typed error; the server gives each error its HTTP status
//! (`backend::error::with_error_status`).

pub mod account;
pub mod admin;
pub mod board;
pub mod chat;
pub mod dashboard;
pub mod game;
pub mod header;
pub mod home;
pub mod map;
pub mod player;
pub mod world;
