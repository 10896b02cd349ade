//! The page's live feed: one server-sent event stream per tab, opened once the components on
//! the page have snapshots to apply it to, and a small log of what arrived that components
//! read in order.
//!
//! Every component that holds a snapshot asks to connect from the event id its snapshot is
//! current to; the stream opens once the first render is done, from the oldest of those ids,
//! so no component misses an event. A component may then see events its snapshot already
//! had: applying one is idempotent everywhere (upserts, versions, ids, totals).
//!
//! Components keep the sequence number of the last entry they applied and apply the newer
//! ones; reading one "latest message" signal could miss messages that arrive in one tick.

#[cfg(feature = "hydrate")]
mod stream;

use leptos::prelude::*;

use super::loaded::{load, Loaded};
use crate::model::Live;

/// Entries kept for components that have not caught up yet.
const KEEP: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// No stream yet (signed out, or no page needs one).
    Idle,
    Connecting,
    Live,
    /// Lost; the browser is reconnecting by itself.
    Reconnecting,
}

impl Connection {
    /// The badge's `data-state` (the stylesheet and the tests read it).
    pub fn key(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Connecting => "connecting",
            Self::Live => "live",
            Self::Reconnecting => "reconnecting",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Idle => "",
            Self::Connecting => "Connecting…",
            Self::Live => "Live",
            Self::Reconnecting => "Reconnecting…",
        }
    }
}

/// Provided at the root; read with [`use_live`].
#[derive(Clone, Copy)]
pub struct LiveFeed {
    /// (sequence, message), oldest first, at most [`KEEP`].
    log: RwSignal<Vec<(u64, Live)>>,
    next: StoredValue<u64>,
    pub connection: RwSignal<Connection>,
    /// The oldest id asked for while the stream is about to open.
    pending: StoredValue<Option<i64>>,
    /// Bumped on `resync`: pages refetch what they hold.
    pub resyncs: RwSignal<u64>,
    /// A spectator's feed: the public stream, for someone not signed in.
    public: StoredValue<bool>,
}

impl LiveFeed {
    pub fn new() -> Self {
        Self {
            log: RwSignal::new(Vec::new()),
            next: StoredValue::new(1),
            connection: RwSignal::new(Connection::Idle),
            pending: StoredValue::new(None),
            resyncs: RwSignal::new(0),
            public: StoredValue::new(false),
        }
    }

    /// Starts the stream from `after` (the event id a component's snapshot is current to), or
    /// from an older id another component asks for before it opens; once it runs, later
    /// components apply what arrives after [`head`](Self::head) when their fetch began.
    pub fn connect(self, after: i64) {
        match self.connection.get_untracked() {
            Connection::Idle => {
                self.connection.set(Connection::Connecting);
                self.pending.set_value(Some(after));
                // After the components of this render have asked.
                set_timeout(
                    move || {
                        let pending = self.pending.try_update_value(Option::take).flatten();
                        if let Some(after) = pending {
                            #[cfg(feature = "hydrate")]
                            stream::open(self, after);
                            #[cfg(not(feature = "hydrate"))]
                            let _ = after;
                        }
                    },
                    std::time::Duration::ZERO,
                );
            }
            Connection::Connecting => self.pending.update_value(|pending| {
                if let Some(oldest) = pending {
                    *oldest = (*oldest).min(after);
                }
            }),
            Connection::Live | Connection::Reconnecting => {}
        }
    }

    /// Like [`connect`](Self::connect), for a visitor who is not signed in: the stream of
    /// public events (`/events/public`), unless a player's stream is already asked for.
    pub fn connect_public(self, after: i64) {
        if self.connection.get_untracked() == Connection::Idle {
            self.public.set_value(true);
        }
        self.connect(after);
    }

    /// Whether the stream is the spectators' public one.
    pub fn is_public(self) -> bool {
        self.public.get_value()
    }

    /// Stops the stream (on signing out).
    pub fn disconnect(self) {
        self.pending.set_value(None);
        self.public.set_value(false);
        #[cfg(feature = "hydrate")]
        stream::close();
        self.connection.set(Connection::Idle);
    }

    /// Adds a message that arrived on the stream.
    pub fn push(self, message: Live) {
        if matches!(message, Live::Resync) {
            self.resyncs.update(|n| *n += 1);
            return;
        }
        let seq = self.next.get_value();
        self.next.set_value(seq + 1);
        self.log.update(|log| {
            log.push((seq, message));
            if log.len() > KEEP {
                log.drain(..log.len() - KEEP);
            }
        });
    }

    /// The sequence number of the newest message so far: a component that takes a fresh
    /// snapshot starts applying after it.
    pub fn head(self) -> u64 {
        self.next.get_value() - 1
    }

    /// Calls `apply` with every message newer than `seen`, in order, and returns the new `seen`.
    /// Reading inside an effect subscribes it to the log.
    pub fn since(self, seen: u64, mut apply: impl FnMut(&Live)) -> u64 {
        self.log.with(|log| {
            let mut last = seen;
            for (seq, message) in log.iter().filter(|(seq, _)| *seq > seen) {
                apply(message);
                last = *seq;
            }
            last
        })
    }
}

impl Default for LiveFeed {
    fn default() -> Self {
        Self::new()
    }
}

pub fn use_live() -> LiveFeed {
    expect_context::<LiveFeed>()
}

/// A snapshot for a component to keep live: fetched again whenever `source` changes or the
/// feed says the page fell behind (`resync`), and answered with the feed's head when the fetch
/// began, so the component applies what arrives after it. Create it above the suspense that
/// reads it (the server runs a suspense's contents twice).
pub fn use_snapshot<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetch: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Loaded<(u64, T)>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let live = use_live();
    load(
        move || (source(), live.resyncs.get()),
        move |(source, _)| {
            let head = live.head();
            let answer = fetch(source);
            async move { (head, answer.await) }
        },
    )
}

/// The connection state, for the header.
#[component]
pub fn ConnectionBadge() -> impl IntoView {
    let live = use_live();
    view! {
        <span
            class="connection"
            role="status"
            aria-label="Connection"
            data-state=move || live.connection.get().key()
        >
            {move || live.connection.get().label()}
        </span>
    }
}
