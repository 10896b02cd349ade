//! The bots at play, once they are signed in: the shared world, the schedule of sends, and
//! each bot's event stream.
//!
//! Sends go round-robin over the bots in a shuffled order, so each bot sends every
//! `bots / rate` seconds and stays under the server's per-sender limit whenever the rate
//! allows it. A bot writes to another bot from the region of one of its open tasks when
//! there is one (so its tasks complete by themselves, as a player's would), otherwise to any
//! bot. Each message's `client_key` (`sim-{run}-{n}`) names it on the recipient's stream:
//! the time from the send to that `chat` event is its delivery latency.
//!
//! A stream that ends or breaks is opened again from the last event id it carried, so the
//! server replays what was missed; a `resync` at the start of a stream means the replay was
//! too long, and the bot fetches its game again (as a page refetches) and resumes from there.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering::Relaxed},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use app::model::{ChatSummary, Live, Task, Tasks};
use rand::{seq::SliceRandom, Rng};
use tokio::{sync::watch, task::JoinSet};

use super::{
    bot::{kind, Bot, Failure, Http},
    sse::{kind_of, Event, EventStream},
    stats::Stats,
    ui::Ui,
};

/// A bot and what it knows.
pub struct Seat {
    pub bot: Bot,
    /// Whether its stream is open: only listening bots are written to.
    pub listening: AtomicBool,
    state: Mutex<SeatState>,
}

#[derive(Default)]
struct SeatState {
    /// My tasks of the round under way.
    tasks: Vec<Task>,
    /// Chat ids by the other player's id.
    chats: HashMap<i64, i64>,
    /// A new round began: fetch my tasks before the next send.
    refresh: bool,
    /// When I last answered a person (with `--keep`), by chat.
    replied: HashMap<i64, Instant>,
}

pub struct World {
    pub http: Http,
    pub run: String,
    pub seats: Vec<Seat>,
    pub stats: Stats,
    pub ui: Ui,
    by_id: HashMap<i64, usize>,
    /// Bots by home region (country code, region name), as the server names them.
    regions: HashMap<(String, String), Vec<usize>>,
    /// Accepted or in-flight messages not yet seen by their recipient: number → sent at.
    awaiting: Mutex<HashMap<u64, Instant>>,
    completed: Mutex<HashSet<i64>>,
    next_message: AtomicU64,
    /// Streams end because the bots are leaving: not a reconnect.
    leaving: watch::Sender<bool>,
    /// Answer messages from people (not bots), as `--keep` does.
    replies: AtomicBool,
}

impl World {
    pub fn new(http: Http, run: String, bots: Vec<Bot>, stats: Stats, ui: Ui) -> Self {
        let by_id = bots.iter().enumerate().map(|(i, b)| (b.id, i)).collect();
        let mut regions: HashMap<(String, String), Vec<usize>> = HashMap::new();
        for (i, bot) in bots.iter().enumerate() {
            let key = (bot.home.country_code.clone(), bot.home.region.clone());
            regions.entry(key).or_default().push(i);
        }
        Self {
            http,
            run,
            seats: bots
                .into_iter()
                .map(|bot| Seat {
                    bot,
                    listening: AtomicBool::new(false),
                    state: Mutex::default(),
                })
                .collect(),
            stats,
            ui,
            by_id,
            regions,
            awaiting: Mutex::default(),
            completed: Mutex::default(),
            next_message: AtomicU64::new(0),
            leaving: watch::Sender::new(false),
            replies: AtomicBool::new(false),
        }
    }

    /// Counts an error and shows the first few.
    pub fn error(&self, what: impl std::fmt::Display) {
        self.stats.errors.fetch_add(1, Relaxed);
        self.ui.error(what);
    }

    /// Sorts a failed call: refusals by kind, anything else an error.
    fn failure(&self, bot: usize, what: &str, failure: Failure) {
        match failure {
            Failure::Refused(err) => self.stats.refused(kind(&err)),
            failed => self.error(format!("{} {what}: {failed}", self.seats[bot].bot.handle)),
        }
    }

    /// Reads bot `seat`'s game: its tasks, and the event id its stream should resume after.
    pub async fn fetch_game(&self, seat: usize) -> Option<i64> {
        match self.seats[seat].bot.game(&self.http).await {
            Ok(view) => {
                let mut state = self.seats[seat].state.lock().unwrap();
                state.tasks = match view.tasks {
                    Tasks::Assigned(tasks) => tasks,
                    Tasks::NoHome => Vec::new(),
                };
                state.refresh = false;
                Some(view.cursor)
            }
            Err(failure) => {
                self.failure(seat, "game/view", failure);
                None
            }
        }
    }

    /// Answer people who write to a bot from now on (`--keep`).
    pub fn answer_people(&self) {
        self.replies.store(true, Relaxed);
    }

    /// The bots are leaving: their streams' ends are not reconnected.
    pub fn leave(&self) {
        self.leaving.send_replace(true);
    }

    /// Accepted messages whose delivery has not been seen yet.
    pub fn undelivered(&self) -> usize {
        self.awaiting.lock().unwrap().len()
    }

    /// Whom bot `from` writes to next: a bot from one of its open tasks' regions if any is
    /// listening, else any other listening bot.
    fn recipient(&self, from: usize) -> Option<usize> {
        let mut rng = rand::thread_rng();
        let listening = |i: &usize| *i != from && self.seats[*i].listening.load(Relaxed);
        let mut open: Vec<(String, String)> = {
            let completed = self.completed.lock().unwrap();
            let state = self.seats[from].state.lock().unwrap();
            state
                .tasks
                .iter()
                .filter(|t| t.completed_at.is_none() && !completed.contains(&t.id))
                .map(|t| (t.country_code.clone(), t.region.clone()))
                .collect()
        };
        open.shuffle(&mut rng);
        for region in open {
            let candidates: Vec<usize> = self
                .regions
                .get(&region)
                .map(|bots| bots.iter().copied().filter(listening).collect())
                .unwrap_or_default();
            if let Some(to) = candidates.choose(&mut rng) {
                return Some(*to);
            }
        }
        for _ in 0..8 {
            let to = rng.gen_range(0..self.seats.len());
            if listening(&to) {
                return Some(to);
            }
        }
        let all: Vec<usize> = (0..self.seats.len()).filter(listening).collect();
        all.choose(&mut rng).copied()
    }

    /// Bot `from`'s chat with player `other`, started if it knows of none.
    async fn chat_with(&self, from: usize, other: i64) -> Option<i64> {
        let known = self.seats[from]
            .state
            .lock()
            .unwrap()
            .chats
            .get(&other)
            .copied();
        if known.is_some() {
            return known;
        }
        match self.seats[from].bot.start_chat(&self.http, other).await {
            Ok(chat) => {
                let mut state = self.seats[from].state.lock().unwrap();
                state.chats.insert(other, chat);
                Some(chat)
            }
            Err(failure) => {
                self.failure(from, "chat/start", failure);
                None
            }
        }
    }

    /// One message from bot `from`, to the bot it picks.
    async fn send_one(self: Arc<Self>, from: usize) {
        let refresh = self.seats[from].state.lock().unwrap().refresh;
        if refresh {
            self.fetch_game(from).await;
        }
        let Some(to) = self.recipient(from) else {
            return;
        };
        let (sender, recipient) = (&self.seats[from].bot, &self.seats[to].bot);
        let Some(chat) = self.chat_with(from, recipient.id).await else {
            return;
        };
        let n = self.next_message.fetch_add(1, Relaxed);
        let key = format!("sim-{}-{n}", self.run);
        let body = greeting(sender, recipient, n);
        let at = Instant::now();
        self.awaiting.lock().unwrap().insert(n, at);
        self.stats.sent.fetch_add(1, Relaxed);
        let answer = sender.send(&self.http, chat, &body, &key).await;
        self.stats.answered(at.elapsed().as_secs_f64() * 1000.0);
        match answer {
            Ok(_) => {
                self.stats.accepted.fetch_add(1, Relaxed);
            }
            Err(failure) => {
                self.awaiting.lock().unwrap().remove(&n);
                self.failure(from, "chat/send", failure);
            }
        }
    }

    /// What one event on bot `seat`'s stream means. Returns whether it is a `resync`.
    fn on_event(self: &Arc<Self>, seat: usize, event: &Event) -> bool {
        // An envelope of another shape has no kind here: decode it below to be sure.
        let kind = kind_of(&event.data).unwrap_or("");
        if !matches!(
            kind,
            "" | "chat" | "task_completed" | "tasks_assigned" | "round_started" | "resync"
        ) {
            return false; // Presence, the map, boards, the dashboard: a page's business.
        }
        let live: Live = match serde_json::from_str(&event.data) {
            Ok(live) => live,
            Err(e) => {
                self.error(format!(
                    "{}: an event that does not decode ({e}): {}",
                    self.seats[seat].bot.handle,
                    event.data.chars().take(200).collect::<String>()
                ));
                return false;
            }
        };
        match live {
            Live::Chat(chat) => self.on_chat(seat, chat),
            Live::TaskCompleted(task) => {
                if self.completed.lock().unwrap().insert(task.id) {
                    self.stats.tasks_completed.fetch_add(1, Relaxed);
                }
                let mut state = self.seats[seat].state.lock().unwrap();
                if let Some(mine) = state.tasks.iter_mut().find(|t| t.id == task.id) {
                    *mine = task;
                }
            }
            Live::TasksAssigned(assigned) => {
                self.seats[seat].state.lock().unwrap().tasks = assigned.tasks;
            }
            Live::RoundStarted(_) => self.seats[seat].state.lock().unwrap().refresh = true,
            Live::Resync => return true,
            _ => {}
        }
        false
    }

    fn on_chat(self: &Arc<Self>, seat: usize, chat: ChatSummary) {
        let now = Instant::now();
        let me = self.seats[seat].bot.id;
        self.seats[seat]
            .state
            .lock()
            .unwrap()
            .chats
            .insert(chat.other.id, chat.chat_id);
        let Some(last) = &chat.last else { return };
        if last.sender_id == me {
            return; // My own message, echoed to my tabs.
        }
        let prefix = format!("sim-{}-", self.run);
        let number = last
            .client_key
            .as_deref()
            .and_then(|key| key.strip_prefix(&prefix))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(n) = number {
            if let Some(sent) = self.awaiting.lock().unwrap().remove(&n) {
                self.stats
                    .delivered(now.duration_since(sent).as_secs_f64() * 1000.0);
            }
        } else if !self.by_id.contains_key(&last.sender_id) && self.replies.load(Relaxed) {
            self.reply(seat, chat);
        }
    }

    /// Answers a person who wrote to bot `seat`: "typing", then a short message, at most
    /// once per chat every ten seconds (well under the send limit).
    fn reply(self: &Arc<Self>, seat: usize, chat: ChatSummary) {
        {
            let mut state = self.seats[seat].state.lock().unwrap();
            let recent = state
                .replied
                .get(&chat.chat_id)
                .is_some_and(|at| at.elapsed() < Duration::from_secs(10));
            if recent {
                return;
            }
            state.replied.insert(chat.chat_id, Instant::now());
        }
        let world = self.clone();
        tokio::spawn(async move {
            let bot = &world.seats[seat].bot;
            tokio::time::sleep(Duration::from_millis(800)).await;
            let _ = bot.typing(&world.http, chat.chat_id).await;
            tokio::time::sleep(Duration::from_millis(1600)).await;
            let body = format!(
                "Hi {}! Greetings from {}, {}. I am a simulated player: the bots here chat \
                 among themselves to keep the map lively.",
                chat.other.display_name, bot.home.city, bot.home.country
            );
            let key = format!("sim-{}-reply-{}", world.run, rand::random::<u32>());
            if let Err(failure) = bot.send(&world.http, chat.chat_id, &body, &key).await {
                world.ui.say(format!("{}: reply: {failure}", bot.handle));
            }
        });
    }
}

/// A message from one bot to another, in a handful of shapes.
fn greeting(from: &Bot, to: &Bot, n: u64) -> String {
    let name = to
        .display_name
        .split_whitespace()
        .next()
        .unwrap_or(&to.display_name);
    match n % 5 {
        0 => format!("Hello from {}!", from.home.city),
        1 => format!("Hi {name}, how is {} today?", to.home.city),
        2 => format!(
            "Greetings from {}, {}. What is the weather like in {}?",
            from.home.city, from.home.country, to.home.city
        ),
        3 => format!("Good to meet someone from {}!", to.home.region),
        _ => format!("{} says hi to {}.", from.home.city, to.home.country),
    }
}

/// Sends `rate` messages a second in all, round-robin over the bots in a shuffled order,
/// until `duration` has passed (forever without one) or `stop` turns true. Returns how long
/// it sent for, once every send has been answered.
pub async fn chat(
    world: &Arc<World>,
    rate: f64,
    duration: Option<Duration>,
    stop: &mut watch::Receiver<bool>,
) -> Duration {
    let mut order: Vec<usize> = (0..world.seats.len()).collect();
    order.shuffle(&mut rand::thread_rng());
    let gap = Duration::from_secs_f64(1.0 / rate);
    let started = tokio::time::Instant::now();
    let mut sends = JoinSet::new();
    for n in 0u64.. {
        let at = started + gap.mul_f64(n as f64);
        if duration.is_some_and(|d| at >= started + d) {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep_until(at) => {}
            _ = stop.wait_for(|stop| *stop) => break,
        }
        let from = order[n as usize % order.len()];
        sends.spawn(world.clone().send_one(from));
        // Reap finished sends as we go, so the set stays small.
        while sends.try_join_next().is_some() {}
    }
    let sent_for = started.elapsed();
    while sends.join_next().await.is_some() {}
    sent_for
}

/// Reads bot `seat`'s stream until the bots leave, opening it again whenever it ends.
pub async fn listen(
    world: Arc<World>,
    seat: usize,
    mut stream: EventStream,
    mut after: Option<i64>,
) {
    let mut leaving = world.leaving.subscribe();
    let mut fresh = true;
    loop {
        // Read until the stream ends, breaks or says `resync`.
        let resync_at_start = loop {
            let next = tokio::select! {
                next = stream.next() => next,
                _ = leaving.wait_for(|l| *l) => return,
            };
            match next {
                Ok(Some(event)) => {
                    if let Some(id) = event.id.as_deref().and_then(|id| id.parse().ok()) {
                        after = Some(id);
                    }
                    let resync = world.on_event(seat, &event);
                    if resync {
                        world.stats.resyncs.fetch_add(1, Relaxed);
                        break fresh;
                    }
                    fresh = false;
                }
                Ok(None) => break false,
                Err(e) => {
                    if !*leaving.borrow() {
                        world.ui.note(format!(
                            "{}: stream broke ({e}); reconnecting",
                            world.seats[seat].bot.handle
                        ));
                    }
                    break false;
                }
            }
        };
        if *leaving.borrow() {
            return;
        }
        world.seats[seat].listening.store(false, Relaxed);
        if resync_at_start {
            // Too much to replay: start again from what the game says now.
            after = world.fetch_game(seat).await.or(after);
        }
        let mut pause = Duration::from_millis(100);
        stream = loop {
            world.stats.reconnects.fetch_add(1, Relaxed);
            match world.seats[seat].bot.events(&world.http, after).await {
                Ok(stream) => break stream,
                Err(failure) => {
                    world.failure(seat, "reconnecting /events", failure);
                    tokio::select! {
                        () = tokio::time::sleep(pause) => {}
                        _ = leaving.wait_for(|l| *l) => return,
                    }
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
            }
        };
        world.seats[seat].listening.store(true, Relaxed);
        fresh = true;
    }
}
