//! `/` for a visitor who is not signed in: the live world without an account. Players online
//! now, messages this hour, the round's countdown and its leaders, and activity by country on
//! the offline map, all kept live by the public stream (`/events/public`).
//!
//! Nothing here names a city: the counts come by country only (`api::world`), the leaders are
//! the public round board (handles and country codes, as on `/leaderboard`), the message count
//! is the dashboard's. The numbers reuse the dashboard's snapshot and its `dashboard` events;
//! the counts by country are read again, at most once a second, whenever the stream says
//! someone came or went or the dashboard moved.

#[cfg(feature = "hydrate")]
mod activity_map;
mod browser;
mod live_world;

use leptos::prelude::*;
use leptos_router::components::A;

use live_world::LiveWorld;

use super::{
    form::Failed,
    live::use_snapshot,
    loaded::{self, load},
};
use crate::{
    api::{
        board::load_board, dashboard::load_dashboard, game::get_round, world::load_world_activity,
    },
    error::AppError,
    model::{Board, Dashboard, RoundClock, WorldActivity},
};

/// What the landing page starts from, read together.
#[derive(Clone)]
pub(crate) struct Snapshot {
    pub(crate) dashboard: Dashboard,
    pub(crate) world: WorldActivity,
    pub(crate) board: Board,
    pub(crate) clock: RoundClock,
}

#[component]
pub fn Landing() -> impl IntoView {
    // Above the suspense that reads them, like every resource.
    let dashboard: loaded::Snapshot<Dashboard> = use_snapshot(|| (), |_| load_dashboard());
    let world: loaded::Snapshot<WorldActivity> = use_snapshot(|| (), |_| load_world_activity());
    let board: loaded::Snapshot<Board> =
        use_snapshot(|| (), |_| load_board("round".into(), String::new()));
    let clock = load(|| (), |_| get_round());
    view! {
        <section class="landing" aria-labelledby="landing-heading">
            <div class="landing-hero">
                <h1 id="landing-heading">"Meet the world, one chat at a time"</h1>
                <p class="landing-pitch">
                    "Meridian puts every player on a world map. Say hi to someone far away, win points for hourly tasks, climb the board."
                </p>
                <p class="landing-actions">
                    <A href="/signup" attr:class="button">"Sign up"</A>
                    <A href="/signin" attr:class="button secondary">"Sign in"</A>
                </p>
            </div>
            <Suspense fallback=|| view! { <p class="notice">"Loading the world…"</p> }>
                {move || Suspend::new(async move {
                    let ((head_d, dashboard), (head_w, world), (head_b, board), clock) = (
                        dashboard.await,
                        world.await,
                        board.await,
                        clock.await,
                    );
                    let snapshot = (|| {
                        Ok::<_, AppError>(Snapshot {
                            dashboard: dashboard?,
                            world: world?,
                            board: board?,
                            clock: clock?,
                        })
                    })();
                    match snapshot {
                        Ok(snapshot) => {
                            let head = head_d.min(head_w);
                            view! { <LiveWorld snapshot head board_head=head_b /> }.into_any()
                        }
                        Err(error) => view! { <Failed error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
