//! Fan-out inside one instance: the listener publishes each event once, the hub hands it to
//! every open stream whose player may see it.
//!
//! Each stream has a bounded queue of [`QUEUE`] events. Publishing never waits: a stream
//! whose queue is full has fallen behind, so the hub drops it and marks it lagged; the stream
//! then sends `resync` and ends, and the browser reconnects. One slow reader never delays
//! the others.
//!
//! A public event goes to every stream; an event for some players (a chat message, say) goes
//! to their streams only, found through an index by player, without looking at anyone
//! else's. One session may hold at most [`PER_SESSION`] streams at once.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicI64, Ordering},
        Arc, Mutex,
    },
};

use tokio::sync::mpsc;

use super::Message;

/// Events a stream may have queued before it counts as fallen behind.
pub const QUEUE: usize = 256;
/// Streams one session may have open on an instance (a tab each; more is a runaway page).
pub const PER_SESSION: usize = 32;

struct Slot {
    player: i64,
    /// The session the stream was opened with (`sessions::key`).
    session: String,
    tx: mpsc::Sender<Arc<Message>>,
    lagged: Arc<AtomicBool>,
}

#[derive(Default)]
struct Streams {
    next_id: u64,
    open: HashMap<u64, Slot>,
    /// The streams of each player (spectators are player 0).
    by_player: HashMap<i64, Vec<u64>>,
}

impl Streams {
    fn insert(&mut self, slot: Slot) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        self.by_player.entry(slot.player).or_default().push(id);
        self.open.insert(id, slot);
        id
    }

    fn remove(&mut self, id: u64) {
        if let Some(slot) = self.open.remove(&id) {
            if let Some(ids) = self.by_player.get_mut(&slot.player) {
                ids.retain(|other| *other != id);
                if ids.is_empty() {
                    self.by_player.remove(&slot.player);
                }
            }
        }
    }

    /// Keeps the streams for which `keep` says so, and forgets the others.
    fn retain(&mut self, mut keep: impl FnMut(&Slot) -> bool) {
        let gone: Vec<u64> = self
            .open
            .iter()
            .filter(|(_, slot)| !keep(slot))
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            self.remove(id);
        }
    }
}

/// A stream refused because its session has [`PER_SESSION`] open already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyStreams;

/// Hands `event` to `slot`; false when the stream is to be dropped (fallen behind: marked
/// lagged; or gone).
fn deliver(slot: &Slot, event: &Arc<Message>) -> bool {
    match slot.tx.try_send(event.clone()) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => {
            slot.lagged.store(true, Ordering::Release);
            false
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    }
}

pub struct Hub {
    streams: Mutex<Streams>,
    /// In-process readers of every durable event, unbounded (see [`Hub::observe`]).
    observers: Mutex<Vec<mpsc::UnboundedSender<Arc<Message>>>>,
    listening: AtomicBool,
    /// The newest durable event id published: where a stream cut to `resync` resumes.
    latest: AtomicI64,
    /// Names this instance in shared state (presence rows).
    instance: String,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            streams: Mutex::default(),
            observers: Mutex::default(),
            listening: AtomicBool::new(false),
            latest: AtomicI64::new(0),
            instance: format!("{:016x}", rand::random::<u64>()),
        }
    }
}

/// One open stream's end of the hub. Dropping it leaves the hub.
pub struct Subscription {
    hub: Arc<Hub>,
    id: u64,
    rx: mpsc::Receiver<Arc<Message>>,
    lagged: Arc<AtomicBool>,
}

/// Why a subscription ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It fell behind and was dropped: the page must resync.
    Lagged,
    /// The server is shutting down.
    Closed,
}

impl Subscription {
    /// The next event for this stream, or why there will be none.
    pub async fn recv(&mut self) -> Result<Arc<Message>, Ended> {
        match self.rx.recv().await {
            Some(event) => Ok(event),
            None if self.lagged.load(Ordering::Acquire) => Err(Ended::Lagged),
            None => Err(Ended::Closed),
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.lock().remove(self.id);
    }
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, Streams> {
        // A panic while holding this lock cannot leave the map inconsistent.
        self.streams.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens a stream for `player`, signed in with `session`. Subscribe before reading any
    /// backlog, so nothing falls between the two.
    pub fn subscribe(self: &Arc<Self>, player: i64, session: String) -> Subscription {
        let unlimited = self.open(player, session, None);
        unlimited.unwrap_or_else(|TooManyStreams| unreachable!("no limit to reach"))
    }

    /// Like [`subscribe`](Self::subscribe), refused when `session` has [`PER_SESSION`]
    /// streams open here already.
    pub fn subscribe_limited(
        self: &Arc<Self>,
        player: i64,
        session: String,
    ) -> Result<Subscription, TooManyStreams> {
        self.open(player, session, Some(PER_SESSION))
    }

    fn open(
        self: &Arc<Self>,
        player: i64,
        session: String,
        limit: Option<usize>,
    ) -> Result<Subscription, TooManyStreams> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let lagged = Arc::new(AtomicBool::new(false));
        let mut streams = self.lock();
        if let Some(limit) = limit {
            let mine = streams.by_player.get(&player).map_or(0, |ids| {
                ids.iter()
                    .filter(|id| streams.open.get(id).is_some_and(|s| s.session == session))
                    .count()
            });
            if mine >= limit {
                return Err(TooManyStreams);
            }
        }
        let id = streams.insert(Slot {
            player,
            session,
            tx,
            lagged: lagged.clone(),
        });
        Ok(Subscription {
            hub: self.clone(),
            id,
            rx,
            lagged,
        })
    }

    /// Every durable event published from now on, whoever may see it, never dropped for
    /// lagging: for state this instance keeps from the log (the leaderboards), which must
    /// see every event and cannot resync the way a page does.
    pub fn observe(&self) -> mpsc::UnboundedReceiver<Arc<Message>> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.observers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tx);
        rx
    }

    /// Hands an event to every stream allowed to see it, without waiting on any.
    pub fn publish(&self, event: Arc<Message>) {
        if let Some(id) = event.id {
            self.latest.fetch_max(id, Ordering::AcqRel);
            self.observers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|tx| tx.send(event.clone()).is_ok());
        }
        let mut streams = self.lock();
        if event.public {
            streams.retain(|slot| deliver(slot, &event));
            return;
        }
        let mut gone = Vec::new();
        for player in &event.audience {
            for id in streams.by_player.get(player).into_iter().flatten() {
                if let Some(slot) = streams.open.get(id) {
                    if !deliver(slot, &event) {
                        gone.push(*id);
                    }
                }
            }
        }
        for id in gone {
            streams.remove(id);
        }
    }

    /// Ends the streams opened with `session` (it was signed out).
    pub fn end_session(&self, session: &str) {
        self.lock().retain(|slot| slot.session != session);
    }

    /// Ends every stream (at shutdown), so browsers reconnect to another instance.
    pub fn close_all(&self) {
        let mut streams = self.lock();
        streams.open.clear();
        streams.by_player.clear();
    }

    /// The newest durable event id published so far (0 before the first): a page that
    /// refetches after hearing it has everything up to it, so its stream resumes there.
    pub fn latest(&self) -> i64 {
        self.latest.load(Ordering::Acquire)
    }

    /// This instance's name.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The players with at least one stream open here (spectators' streams, whose player
    /// id is 0, are not players).
    pub fn connected_players(&self) -> Vec<i64> {
        let mut players: Vec<i64> = self
            .lock()
            .by_player
            .keys()
            .copied()
            .filter(|p| *p > 0)
            .collect();
        players.sort_unstable();
        players
    }

    /// How many streams are open on this instance.
    pub fn open_streams(&self) -> usize {
        self.lock().open.len()
    }

    pub fn set_listening(&self, up: bool) {
        self.listening.store(up, Ordering::Release);
    }

    /// Whether the listener is connected (for `/readyz`).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: i64, public: bool, audience: Vec<i64>) -> Arc<Message> {
        Arc::new(Message {
            id: Some(id),
            public,
            audience,
            data: String::new(),
        })
    }

    #[tokio::test]
    async fn routes_by_audience() {
        let hub = Arc::new(Hub::default());
        let (mut a, mut b) = (hub.subscribe(1, "a".into()), hub.subscribe(2, "b".into()));
        hub.publish(event(1, false, vec![1]));
        hub.publish(event(2, true, vec![]));
        assert_eq!(a.recv().await.unwrap().id, Some(1));
        assert_eq!(a.recv().await.unwrap().id, Some(2));
        assert_eq!(b.recv().await.unwrap().id, Some(2));
        assert!(b.rx.try_recv().is_err(), "b never sees a's private event");
    }

    #[tokio::test]
    async fn a_full_queue_drops_only_that_stream_as_lagged() {
        let hub = Arc::new(Hub::default());
        let (mut slow, mut fast) = (hub.subscribe(1, "s".into()), hub.subscribe(2, "f".into()));
        for id in 1..=QUEUE as i64 + 1 {
            hub.publish(event(id, true, vec![]));
            assert_eq!(fast.recv().await.unwrap().id, Some(id));
        }
        for id in 1..=QUEUE as i64 {
            assert_eq!(slow.recv().await.unwrap().id, Some(id));
        }
        assert_eq!(slow.recv().await.unwrap_err(), Ended::Lagged);
        assert_eq!(hub.open_streams(), 1);
        assert_eq!(hub.connected_players(), [2]);
    }

    #[test]
    fn latest_is_the_newest_durable_id_published() {
        let hub = Arc::new(Hub::default());
        assert_eq!(hub.latest(), 0);
        hub.publish(event(7, true, vec![]));
        hub.publish(event(5, true, vec![]));
        hub.publish(Arc::new(Message {
            id: None,
            public: true,
            audience: vec![],
            data: String::new(),
        }));
        assert_eq!(hub.latest(), 7);
    }

    #[tokio::test]
    async fn a_private_event_reaches_every_stream_of_its_audience_and_no_other() {
        let hub = Arc::new(Hub::default());
        let mut ann = [hub.subscribe(1, "a1".into()), hub.subscribe(1, "a2".into())];
        let mut ben = hub.subscribe(2, "b".into());
        let mut cid = hub.subscribe(3, "c".into());
        hub.publish(event(1, false, vec![1, 2]));
        for s in &mut ann {
            assert_eq!(s.recv().await.unwrap().id, Some(1));
        }
        assert_eq!(ben.recv().await.unwrap().id, Some(1));
        assert!(cid.rx.try_recv().is_err());
        // A stream that left is no longer in the index.
        let [first, mut second] = ann;
        drop(first);
        hub.publish(event(2, false, vec![1]));
        assert_eq!(second.recv().await.unwrap().id, Some(2));
        assert_eq!(hub.open_streams(), 3);
        drop(second);
        assert_eq!(hub.connected_players(), [2, 3]);
    }

    #[test]
    fn a_session_may_hold_only_so_many_streams() {
        let hub = Arc::new(Hub::default());
        let held: Vec<_> = (0..PER_SESSION)
            .map(|_| hub.subscribe_limited(1, "s".into()).unwrap())
            .collect();
        assert_eq!(
            hub.subscribe_limited(1, "s".into()).err(),
            Some(TooManyStreams)
        );
        // Another session of the same player, and a stream closed, make room.
        assert!(hub.subscribe_limited(1, "t".into()).is_ok());
        drop(held);
        assert!(hub.subscribe_limited(1, "s".into()).is_ok());
    }

    #[tokio::test]
    async fn closing_ends_streams_without_lag() {
        let hub = Arc::new(Hub::default());
        let mut s = hub.subscribe(1, "s".into());
        hub.close_all();
        assert_eq!(s.recv().await.unwrap_err(), Ended::Closed);
        drop(s);
        assert_eq!(hub.open_streams(), 0);
    }

    #[tokio::test]
    async fn ending_a_session_ends_only_its_streams() {
        let hub = Arc::new(Hub::default());
        let (mut gone, mut kept) = (
            hub.subscribe(1, "old".into()),
            hub.subscribe(1, "new".into()),
        );
        hub.end_session("old");
        assert_eq!(gone.recv().await.unwrap_err(), Ended::Closed);
        hub.publish(event(1, true, vec![]));
        assert_eq!(kept.recv().await.unwrap().id, Some(1));
        assert_eq!(hub.open_streams(), 1);
    }
}
