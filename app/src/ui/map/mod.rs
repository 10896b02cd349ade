//! The world map page: every player with a home at their city's centre, your own marker
//! distinct, a popup per marker, kept current by the live feed. Leaflet draws it in the
//! browser; the server renders the frame and a plain list of the same players.

mod browser;
#[cfg(feature = "hydrate")]
mod leaflet_map;

use leptos::{html::Div, prelude::*};
use leptos_router::components::A;

use browser::MapHandle;

use super::{
    chat::SayHi, form::Failed, game::GamePanel, leaderboard::CompactBoard, live::use_live,
    session::use_session,
};
use crate::{
    api::map::load_map,
    error::AppError,
    model::{apply_live, MapView, Me, Task},
};

/// How close the map flies to a task's region.
const REGION_ZOOM: f64 = 5.0;

#[component]
pub fn MapPage() -> impl IntoView {
    let session = use_session();
    let live = use_live();
    // Created above the suspense that reads it (the server runs a suspense's contents twice),
    // and refetched when the live feed says the page fell too far behind.
    let view_data = Resource::new(move || live.resyncs.get(), |_| load_map());
    view! {
        <Transition fallback=|| view! { <p class="notice">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.me.await {
                    Ok(Some(me)) => view! { <SignedInMap me view_data /> }.into_any(),
                    Ok(None) => view! { <Welcome /> }.into_any(),
                    Err(error) => view! { <Failed error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Welcome() -> impl IntoView {
    view! {
        <section class="card narrow welcome">
            <h1>"Meet the world, one chat at a time"</h1>
            <p>
                "Meridian puts every player on a world map. Say hi to someone far away, win points for hourly tasks, climb the board."
            </p>
            <p>
                <A href="/signup" attr:class="button">"Sign up"</A>
                " or "
                <A href="/signin">"sign in"</A>
            </p>
        </section>
    }
}

#[component]
fn SignedInMap(me: Me, view_data: Resource<Result<MapView, AppError>>) -> impl IntoView {
    let no_home = me.home.is_none().then(|| {
        view! {
            <p class="notice" role="note">
                "You are not on the map yet. " <A href="/home">"Set your home"</A>
            </p>
        }
    });
    // The task picked last: the map flies to its region and lists its players.
    let focus = RwSignal::new(None::<Task>);
    let me_id = me.id;
    view! {
        {no_home}
        <div class="play">
            <Transition fallback=|| view! { <div class="map map-loading"></div> }>
                {move || Suspend::new(async move {
                    match view_data.await {
                        Ok(data) => view! { <WorldMap data me_id focus /> }.into_any(),
                        Err(error) => view! { <Failed error /> }.into_any(),
                    }
                })}
            </Transition>
            <GamePanel me=me_id on_task=Callback::new(move |task| focus.set(Some(task))) />
            <CompactBoard me=me_id />
        </div>
    }
}

#[component]
fn WorldMap(data: MapView, me_id: i64, focus: RwSignal<Option<Task>>) -> impl IntoView {
    let live = use_live();
    let container = NodeRef::<Div>::new();
    let players = RwSignal::new(data.players.clone());

    let map = MapHandle::attach(container, data.clone(), me_id);
    let cursor = data.cursor;
    Effect::new(move || live.connect(cursor));

    // Apply what the live feed brings after this snapshot.
    let seen = StoredValue::new(live.head());
    Effect::new(move || {
        let last = live.since(seen.get_value(), |message| {
            if let Some(player) = players
                .try_update(|list| apply_live(list, message))
                .flatten()
            {
                map.upsert(&player);
            }
        });
        seen.set_value(last);
    });

    Effect::new(move || {
        if let Some(task) = focus.get() {
            map.fly_to(task.lat, task.lon, REGION_ZOOM);
        }
    });
    let from_there = move || {
        focus.get().map(|task| {
            let here: Vec<_> = players.with(|list| {
                list.iter()
                    .filter(|p| {
                        p.home.region == task.region && p.home.country_code == task.country_code
                    })
                    .cloned()
                    .collect()
            });
            view! {
                <section class="from-there card" aria-label=format!("Players from {}", task.place())>
                    <h3>{format!("Players from {}", task.place())}</h3>
                    <ul>
                        {here
                            .into_iter()
                            .map(|p| {
                                view! {
                                    <li class:online=p.online>
                                        <A href=format!("/players/{}", p.handle)>
                                            {p.display_name.clone()}
                                        </A>
                                        " — "
                                        {p.home.city.clone()}
                                        " "
                                        <SayHi with=p.id />
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </section>
            }
        })
    };

    view! {
        <div class="map" node_ref=container role="region" aria-label="World map"></div>
        {from_there}
        <details class="player-list">
            <summary>{move || format!("Players on the map ({})", players.read().len())}</summary>
            <ul>
                <For
                    each=move || players.get()
                    key=|p| (p.id, p.home.city_id, p.display_name.clone(), p.online)
                    let:p
                >
                    <li class:online=p.online>
                        <A href=format!("/players/{}", p.handle)>
                            <strong>{p.display_name.clone()}</strong>
                        </A>
                        {(p.id == me_id).then_some(" (you)")}
                        " — "
                        {p.home.label()}
                        " "
                        {(p.id != me_id).then(|| view! { <SayHi with=p.id /> })}
                    </li>
                </For>
            </ul>
        </details>
    }
}
