//! The real-time path inside one server instance: the event log's queries and the hub that
//! routes each event to the open streams allowed to see it. The listener task that feeds the
//! hub and the SSE endpoint live in the server crate.

pub mod hub;
pub mod log;

pub use hub::{Hub, Subscription};
pub use log::StoredEvent;
