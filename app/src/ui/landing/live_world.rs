//! The landing page's live parts: the numbers, the map and list of countries, the round's
//! leaders. One reader of the live feed keeps the dashboard's numbers and the counts by
//! country current; the leaders' board applies the feed itself, as on every page.

use std::time::Duration;

use leptos::{html::Div, prelude::*, task::spawn_local};
use leptos_router::components::A;

use super::{browser::ActivityMapHandle, Snapshot};
use crate::{
    api::{game::get_round, world::load_world_activity},
    model::{game::countdown, CountryActivity, Live, RoundClock, WorldActivity},
    ui::{
        clock::{now_ms, use_ticking_clock},
        leaderboard::BoardTable,
        live::use_live,
    },
};

/// The counts by country are read again at most this often, however busy the stream is.
const REFRESH_MS: u64 = 1000;
/// Countries listed beside the map.
const LISTED: usize = 8;
/// How long after the round's end the countdown asks for the next round, if the stream has
/// not announced it by then.
const ASK_AFTER_END_MS: u64 = 2000;

#[component]
pub fn LiveWorld(snapshot: Snapshot, head: u64, board_head: u64) -> impl IntoView {
    let live = use_live();
    let Snapshot {
        dashboard,
        world,
        board,
        clock,
    } = snapshot;
    let cursor = dashboard.cursor.min(world.cursor);
    let dashboard = RwSignal::new(dashboard);
    let world = RwSignal::new(world);
    Effect::new(move || live.connect_public(cursor));

    let refresher = Refresher::new(world);
    let seen = StoredValue::new(head);
    Effect::new(move || {
        let last = live.since(seen.get_value(), |message| match message {
            Live::Dashboard(next) => {
                // Never back: an older announcement replayed after a newer one changes nothing.
                if next.through_event >= dashboard.with_untracked(|d| d.through_event) {
                    dashboard.set((**next).clone());
                }
                // Someone was active: today's counts by country may have moved.
                refresher.ask();
            }
            Live::Presence(_)
            | Live::Online(_)
            | Live::PlayerJoined(_)
            | Live::PlayerUpdated(_) => refresher.ask(),
            _ => {}
        });
        seen.set_value(last);
    });

    let online = Signal::derive(move || world.with(|w| w.online));
    let this_hour = Signal::derive(move || dashboard.with(|d| d.messages_this_hour));
    let countries = Signal::derive(move || world.with(|w| w.countries_online() as i64));
    view! {
        <div class="landing-stats" role="group" aria-label="The world right now">
            <Stat value=online label="players online now" name="online" />
            <Stat value=this_hour label="messages this hour" name="messages_this_hour" />
            <RoundStat clock />
            <Stat value=countries label="countries online" name="countries_online" />
        </div>
        <div class="landing-grid">
            <section class="card landing-world" aria-labelledby="world-heading">
                <h2 id="world-heading">"Where the players are"</h2>
                <ActivityMap world />
            </section>
            <div class="landing-side">
                <section class="card landing-board" aria-labelledby="leaders-heading">
                    <h2 id="leaders-heading">"This round's leaders"</h2>
                    {view! { <BoardTable board head=board_head me=None compact=true /> }.into_any()}
                    <A href="/leaderboard">"All leaderboards"</A>
                </section>
                <section class="card landing-places" aria-labelledby="countries-heading">
                    <h2 id="countries-heading">"Countries right now"</h2>
                    <CountryList world />
                </section>
            </div>
        </div>
        <p class="landing-privacy notice">
            "Only countries and counts show here: who plays from which city is for players to see."
        </p>
    }
}

/// Reads the counts by country again, once at a time and at most every [`REFRESH_MS`]; a
/// request made meanwhile is served by one more read when the pause ends.
#[derive(Clone, Copy)]
struct Refresher {
    world: RwSignal<WorldActivity>,
    busy: StoredValue<bool>,
    again: StoredValue<bool>,
}

impl Refresher {
    fn new(world: RwSignal<WorldActivity>) -> Self {
        Self {
            world,
            busy: StoredValue::new(false),
            again: StoredValue::new(false),
        }
    }

    fn ask(self) {
        if self.busy.get_value() {
            self.again.set_value(true);
            return;
        }
        self.busy.set_value(true);
        spawn_local(async move {
            if let Ok(next) = load_world_activity().await {
                let _ = self.world.try_set(next);
            }
            set_timeout(
                move || {
                    if self.busy.try_set_value(false).is_some() {
                        return; // The page is gone.
                    }
                    if self.again.try_update_value(std::mem::take) == Some(true) {
                        self.ask();
                    }
                },
                Duration::from_millis(REFRESH_MS),
            );
        });
    }
}

#[component]
fn Stat(value: Signal<i64>, label: &'static str, name: &'static str) -> impl IntoView {
    view! {
        <div class="landing-stat" data-stat=name>
            <span class="landing-stat-value">{move || value.get()}</span>
            <span class="landing-stat-label">{label}</span>
        </div>
    }
}

/// The round's countdown on the server's clock; a new round (announced, or asked for once
/// this one is over) starts it again.
#[component]
fn RoundStat(clock: RoundClock) -> impl IntoView {
    let live = use_live();
    let clock = RwSignal::new((clock, now_ms()));
    let now = use_ticking_clock();
    let seen = StoredValue::new(live.head());
    Effect::new(move || {
        let last = live.since(seen.get_value(), |message| {
            if let Live::RoundStarted(next) = message {
                if next.id > clock.with_untracked(|(c, _)| c.round.id) {
                    clock.update(|(c, _)| c.round = next.clone());
                }
            }
        });
        seen.set_value(last);
    });
    let left = Memo::new(move |_| clock.with(|(c, received)| c.seconds_left(*received, now.get())));
    Effect::new(move || {
        if left.get() == 0 {
            let ended = clock.with_untracked(|(c, _)| c.round.id);
            set_timeout(
                move || {
                    if clock.try_with_untracked(|(c, _)| c.round.id) == Some(ended) {
                        spawn_local(async move {
                            if let Ok(next) = get_round().await {
                                let _ = clock.try_set((next, now_ms()));
                            }
                        });
                    }
                },
                Duration::from_millis(ASK_AFTER_END_MS),
            );
        }
    });
    view! {
        <div class="landing-stat" data-stat="round">
            <span class="landing-stat-value" data-testid="landing-countdown">
                {move || countdown(left.get())}
            </span>
            <span class="landing-stat-label">"left in this round"</span>
        </div>
    }
}

#[component]
fn ActivityMap(world: RwSignal<WorldActivity>) -> impl IntoView {
    let container = NodeRef::<Div>::new();
    ActivityMapHandle::attach(container, world);
    view! {
        <div class="landing-map-frame">
            <div
                class="landing-map"
                node_ref=container
                role="region"
                aria-label="World map of players by country"
            ></div>
            <ul class="map-legend landing-legend" aria-label="Map legend">
                <li>
                    <span class="activity-key online" aria-hidden="true"></span>
                    "Online now"
                </li>
                <li>
                    <span class="activity-key active" aria-hidden="true"></span>
                    "Active today"
                </li>
            </ul>
        </div>
    }
}

/// The countries with the most players online (then active today), as text: what the map
/// shows, readable without it.
#[component]
fn CountryList(world: RwSignal<WorldActivity>) -> impl IntoView {
    let rows = move || {
        world.with(|w| {
            if w.countries.is_empty() {
                return view! {
                    <p class="notice">"No one is about yet today. Be the first!"</p>
                }
                .into_any();
            }
            view! {
                <ol class="landing-countries" aria-label="Countries by players online">
                    {w.countries.iter().take(LISTED).map(country_row).collect_view()}
                </ol>
            }
            .into_any()
        })
    };
    view! { {rows} }
}

fn country_row(c: &CountryActivity) -> impl IntoView {
    view! {
        <li data-country=c.code.clone()>
            <span class="landing-country">{c.name.clone()}</span>
            <span class="landing-online" data-count=c.online>
                {format!("{} online", c.online)}
            </span>
            <span class="landing-active">{format!("{} active today", c.active_today)}</span>
        </li>
    }
}
