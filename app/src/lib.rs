//! Meridian's Leptos application, shared by the browser and the server.
//!
//! - [`model`]: serde types and pure rules that both sides use.
//! - [`error`]: the one application error type.
//! - [`api`]: server functions, thin: parse, call the backend, map the error.
//! - [`ui`]: components, by feature.
//! - `backend` (feature `ssr` only): state, queries and rules that run on the server.

pub mod api;
pub mod error;
pub mod model;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod backend;

pub use ui::app::{shell, App};
