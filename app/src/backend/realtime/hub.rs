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
//!
//! Presence is gathered, not forwarded: the hub keeps who is online (from every instance's
//! announcements) and which players changed, and [`Hub::flush_presence`], called once a
//! second, hands every stream one message naming them all. A thousand tabs opening at once
//! cost each stream one message a second, not a thousand, and the database one query for
//! their arrival every [`take_arrivals`](Hub::take_arrivals) round, not one per tab. A new stream is told who is online
//! now ([`Hub::online_now`], read after subscribing, so that every change is either in it or
//! in a later message).

use std::{
    collections::{HashMap, HashSet},
    sync::{
        atomic::{AtomicBool, AtomicI64, Ordering},
        Arc, Mutex,
    },
};

use tokio::sync::{mpsc, Notify};

use super::Message;
use crate::model::{Live, OnlineNow, PresenceChange};

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

/// Who is online, as this instance heard it, and who changed since the streams were told.
#[derive(Default)]
struct Presence {
    online: HashSet<i64>,
    changed: HashSet<i64>,
    /// Players whose first stream here opened since [`Hub::take_arrivals`] was last called.
    arrived: Vec<i64>,
    /// The `online` message for `online` as it is, made once for every stream that opens
    /// until it changes (a thousand tabs opening a second would otherwise each serialise the
    /// whole list).
    message: Option<Arc<Message>>,
    /// Counts the changes to `online`: what was derived from presence is current while it
    /// stays the same.
    version: u64,
}

impl Presence {
    /// Everyone online, in increasing id order.
    fn now(&self) -> OnlineNow {
        let mut players: Vec<i64> = self.online.iter().copied().collect();
        players.sort_unstable();
        OnlineNow { players }
    }

    fn set(&mut self, player: i64, online: bool) {
        let was = if online {
            !self.online.insert(player)
        } else {
            self.online.remove(&player)
        };
        if was != online {
            self.changed.insert(player);
            self.message = None;
            self.version += 1;
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
    /// Whether the listener has taken its place in the log (see [`Hub::until_following`]).
    following: AtomicBool,
    follows: Notify,
    presence: Mutex<Presence>,
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
            following: AtomicBool::new(false),
            follows: Notify::new(),
            presence: Mutex::default(),
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
        if player != 0 && !streams.by_player.contains_key(&player) {
            self.presence().arrived.push(player);
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

    /// Takes in presence changes announced by some instance.
    pub fn record_presence(&self, change: &PresenceChange) {
        let mut presence = self.presence();
        for (player, online) in change.states() {
            presence.set(player, online);
        }
    }

    /// Replaces what this instance knows of presence with `online` (read from the database
    /// when the listener connects: announcements made while it was away went unheard).
    pub fn reset_presence(&self, online: Vec<i64>) {
        let now: HashSet<i64> = online.into_iter().collect();
        let mut presence = self.presence();
        let gone: Vec<i64> = presence.online.difference(&now).copied().collect();
        for player in gone {
            presence.set(player, false);
        }
        for player in now {
            presence.set(player, true);
        }
    }

    /// The players whose first stream on this instance opened since the last call: the
    /// presence task marks them seen in one query, however many arrive at once.
    pub fn take_arrivals(&self) -> Vec<i64> {
        let mut arrived = std::mem::take(&mut self.presence().arrived);
        // Back again within the round: once.
        arrived.sort_unstable();
        arrived.dedup();
        arrived
    }

    /// Everyone online, as this instance knows it now.
    pub fn online_now(&self) -> OnlineNow {
        self.presence().now()
    }

    /// How many times presence, as this instance heard it, has changed: the same number
    /// means the same players online.
    pub fn presence_version(&self) -> u64 {
        self.presence().version
    }

    /// [`online_now`](Self::online_now) as the message a new stream starts with, made once
    /// (under the lock, so a change cannot slip between reading the list and keeping it).
    pub fn online_message(&self) -> Arc<Message> {
        let mut presence = self.presence();
        if let Some(message) = &presence.message {
            return message.clone();
        }
        let message = Arc::new(Message::ephemeral(&Live::Online(presence.now())));
        presence.message = Some(message.clone());
        message
    }

    /// Hands every stream one message with the players whose presence changed since the last
    /// call, in their state now; nothing when none did.
    pub fn flush_presence(&self) {
        let change = {
            let mut presence = self.presence();
            if presence.changed.is_empty() {
                return;
            }
            let mut change = PresenceChange::default();
            for player in std::mem::take(&mut presence.changed) {
                if presence.online.contains(&player) {
                    change.online.push(player);
                } else {
                    change.offline.push(player);
                }
            }
            change.online.sort_unstable();
            change.offline.sort_unstable();
            change
        };
        self.publish(Arc::new(Message::ephemeral(&Live::Presence(change))));
    }

    fn presence(&self) -> std::sync::MutexGuard<'_, Presence> {
        self.presence.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Says that the listener has read where the log ends and publishes every event after it.
    pub fn set_following(&self) {
        self.following.store(true, Ordering::Release);
        self.follows.notify_waiters();
    }

    /// Returns once the listener has taken its place in the log. A stream replays from the
    /// log only after that: an event committed before the listener's starting point is not
    /// published, so a replay read earlier could miss it.
    pub async fn until_following(&self) {
        loop {
            let notified = self.follows.notified();
            if self.following.load(Ordering::Acquire) {
                return;
            }
            notified.await;
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

    fn change(online: &[i64], offline: &[i64]) -> PresenceChange {
        PresenceChange {
            online: online.to_vec(),
            offline: offline.to_vec(),
        }
    }

    fn presence_in(message: &Message) -> PresenceChange {
        match serde_json::from_str(&message.data).unwrap() {
            Live::Presence(change) => change,
            other => panic!("not presence: {other:?}"),
        }
    }

    #[tokio::test]
    async fn presence_goes_out_gathered_with_the_last_state_of_each_player() {
        let hub = Arc::new(Hub::default());
        let mut s = hub.subscribe(1, "s".into());
        // Fifty changes of one player and one of another: one message, the last state each.
        for n in 0..50 {
            hub.record_presence(&change(&[7], &[]));
            hub.record_presence(&change(&[], &[7]));
            if n == 10 {
                hub.record_presence(&change(&[8], &[]));
            }
        }
        hub.record_presence(&change(&[7], &[]));
        assert!(s.rx.try_recv().is_err(), "nothing before the flush");
        hub.flush_presence();
        assert_eq!(presence_in(&s.recv().await.unwrap()), change(&[7, 8], &[]));
        assert!(s.rx.try_recv().is_err(), "one message");
        // Nothing changed since: nothing goes out.
        hub.flush_presence();
        hub.record_presence(&change(&[7], &[]));
        hub.flush_presence();
        assert!(s.rx.try_recv().is_err(), "no message without a change");
        assert_eq!(hub.online_now().players, [7, 8]);
    }

    #[tokio::test]
    async fn a_reset_announces_only_the_differences() {
        let hub = Arc::new(Hub::default());
        hub.record_presence(&change(&[1, 2, 3], &[]));
        hub.flush_presence();
        let mut s = hub.subscribe(9, "s".into());
        assert_eq!(hub.online_now().players, [1, 2, 3]);
        // While the listener was away, 1 left and 4 came.
        hub.reset_presence(vec![4, 3, 2]);
        hub.flush_presence();
        assert_eq!(presence_in(&s.recv().await.unwrap()), change(&[4], &[1]));
        assert_eq!(hub.online_now().players, [2, 3, 4]);
    }

    #[test]
    fn the_online_message_is_made_once_and_follows_every_change() {
        let hub = Arc::new(Hub::default());
        hub.record_presence(&change(&[3, 1], &[]));
        let first = hub.online_message();
        assert!(Arc::ptr_eq(&first, &hub.online_message()), "made once");
        let players = |m: &Message| match serde_json::from_str(&m.data).unwrap() {
            Live::Online(now) => now.players,
            other => panic!("not online: {other:?}"),
        };
        assert_eq!(players(&first), [1, 3]);
        hub.record_presence(&change(&[1], &[]));
        assert!(Arc::ptr_eq(&first, &hub.online_message()), "no change");
        hub.record_presence(&change(&[2], &[3]));
        assert_eq!(players(&hub.online_message()), [1, 2]);
        hub.reset_presence(vec![5]);
        assert_eq!(players(&hub.online_message()), [5]);
    }

    #[test]
    fn a_players_first_stream_here_is_an_arrival() {
        let hub = Arc::new(Hub::default());
        let first = hub.subscribe(1, "a".into());
        let _second = hub.subscribe(1, "b".into());
        let _spectator = hub.subscribe(0, String::new());
        let _other = hub.subscribe(2, "c".into());
        assert_eq!(hub.take_arrivals(), [1, 2]);
        assert!(hub.take_arrivals().is_empty());
        // Back after all their streams had closed: an arrival again.
        drop(first);
        drop(_second);
        let again = hub.subscribe(1, "a".into());
        assert_eq!(hub.take_arrivals(), [1]);
        // Gone and back twice before the next round: one arrival.
        drop(again);
        let again = hub.subscribe(1, "a".into());
        drop(again);
        let _again = hub.subscribe(1, "a".into());
        assert_eq!(hub.take_arrivals(), [1]);
    }

    #[tokio::test]
    async fn streams_wait_for_the_listener_to_follow_the_log() {
        let hub = Arc::new(Hub::default());
        let waiting = tokio::spawn({
            let hub = hub.clone();
            async move { hub.until_following().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        hub.set_following();
        tokio::time::timeout(std::time::Duration::from_secs(1), waiting)
            .await
            .expect("woken")
            .unwrap();
        // Once following, no wait at all.
        hub.until_following().await;
    }
}
