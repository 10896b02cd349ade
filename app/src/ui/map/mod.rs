//! The world map page: players at their city's centre, clustered where many share the view
//! (the server cuts the view into clusters per zoom), your own marker distinct, a popup per
//! player, kept current by the live feed. Leaflet draws it in the browser (over tiles, or over
//! the world's outlines when there are none); the server renders the frame, the legend and a
//! plain list of the players shown one by one. Signed out, `/` is the landing page instead.

#[cfg(any(feature = "hydrate", test))]
mod antimeridian;
mod browser;
#[cfg(feature = "hydrate")]
mod leaflet_map;
mod overlays;
mod refresh;
mod search;
#[cfg(feature = "hydrate")]
pub(crate) mod world;

use leptos::{html::Div, prelude::*};
use leptos_router::components::A;

use browser::MapHandle;
use overlays::{JoinNotice, Legend};
use refresh::ViewRefresh;
use search::PlaceSearch;

use super::{
    chat::{ChatsBeside, SayHi},
    form::Failed,
    game::GamePanel,
    landing::Landing,
    leaderboard::CompactBoard,
    live::{use_live, use_snapshot},
    loaded::Snapshot,
    page::PageTitle,
    session::use_session,
};
use crate::{
    api::map::load_map,
    model::{
        apply_live, map::grouped, moves_the_map, Live, MapPlayer, MapSlice, MapView, Me,
        PlaceSuggestion,
    },
};

#[component]
pub fn MapPage() -> impl IntoView {
    let session = use_session();
    // Created above the suspense that reads it (the server runs a suspense's contents twice),
    // refetched when the live feed says the page fell too far behind, and answered with the
    // feed's position when the fetch began: what arrives during the fetch is applied after.
    let view_data = use_snapshot(|| (), |_| load_map());
    view! {
        <Transition fallback=|| view! { <p class="notice">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.me.await {
                    Ok(Some(me)) => view! {
                        <PageTitle text="Map · Meridian" />
                        <SignedInMap me view_data />
                    }
                    .into_any(),
                    Ok(None) => view! {
                        <PageTitle text="Meridian · meet the world, one chat at a time" />
                        <Landing />
                    }
                    .into_any(),
                    Err(error) => view! { <Failed error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SignedInMap(me: Me, view_data: Snapshot<MapView>) -> impl IntoView {
    let no_home = me.home.is_none().then(|| {
        view! {
            <p class="notice" role="note">
                "You are not on the map yet. " <A href="/home">"Set your home"</A>
            </p>
        }
    });
    // The place picked last (found by search, or a task's region): the map flies there and
    // lists its players.
    let focus = RwSignal::new(None::<PlaceSuggestion>);
    let me_id = me.id;
    view! {
        <h1 class="visually-hidden">"The world map"</h1>
        {no_home}
        <div class="play">
            <PlaceSearch on_pick=Callback::new(move |place| focus.set(Some(place))) />
            <Transition fallback=|| view! { <div class="map map-loading"></div> }>
                {move || Suspend::new(async move {
                    match view_data.await {
                        (head, Ok(data)) => view! { <WorldMap data head me_id focus /> }.into_any(),
                        (_, Err(error)) => view! { <Failed error /> }.into_any(),
                    }
                })}
            </Transition>
            <GamePanel
                me=me_id
                on_task=Callback::new(move |task: crate::model::Task| focus.set(Some(task.region_place())))
            />
            <CompactBoard me=me_id />
            <ChatsBeside me=me_id />
        </div>
    }
}

/// How close the map flies to show a player who just joined: their region.
const JOINER_ZOOM: f64 = 5.0;

#[component]
fn WorldMap(
    data: MapView,
    head: u64,
    me_id: i64,
    focus: RwSignal<Option<PlaceSuggestion>>,
) -> impl IntoView {
    let live = use_live();
    let container = NodeRef::<Div>::new();
    // The players shown one by one, and how many more the view holds in clusters.
    let players = RwSignal::new(data.slice.players.clone());
    let clustered = RwSignal::new(clustered_in(&data.slice));

    // The map, once attached: answers to the view's questions go to it.
    let drawn = StoredValue::new(None::<MapHandle>);
    let refresh = ViewRefresh::new(Callback::new(move |slice: MapSlice| {
        players.set(slice.players.clone());
        clustered.set(clustered_in(&slice));
        if let Some(map) = drawn.get_value() {
            map.apply(&slice);
        }
    }));
    let map = MapHandle::attach(
        container,
        data.clone(),
        me_id,
        Callback::new(move |_| refresh.moved()),
    );
    drawn.set_value(Some(map));
    refresh.watch(map);
    let cursor = data.cursor;
    Effect::new(move || live.connect(cursor));

    // Apply what the live feed brings after this snapshot: players shown one by one change in
    // place at once, and the view is asked for again (clusters' counts, players arriving). A
    // player new on the map outside what it shows raises the notice.
    let joined = RwSignal::new(None::<MapPlayer>);
    // Players who joined while this page was open, not yet with a home.
    let joining = StoredValue::new(std::collections::HashSet::<i64>::new());
    let seen = StoredValue::new(head);
    Effect::new(move || {
        let last = live.since(seen.get_value(), |message| {
            if moves_the_map(message) {
                refresh.world_changed();
            }
            let changed = players
                .try_update(|list| apply_live(list, message))
                .unwrap_or_default();
            for player in &changed {
                map.upsert(player);
            }
            let (p, new) = match message {
                Live::PlayerJoined(p) => (p, true),
                Live::PlayerUpdated(p) => (p, joining.with_value(|j| j.contains(&p.id))),
                _ => return,
            };
            let Some(player) = MapPlayer::from_public(p, false) else {
                joining.update_value(|j| {
                    j.insert(p.id);
                });
                return;
            };
            joining.update_value(|j| {
                j.remove(&p.id);
            });
            map.include(player.home.lat, player.home.lon);
            if new && player.id != me_id && !map.in_view(player.home.lat, player.home.lon) {
                joined.set(Some(player));
            }
        });
        seen.set_value(last);
    });

    Effect::new(move || {
        if let Some(place) = focus.get() {
            map.fly_to(place.lat, place.lon, place.zoom());
        }
    });
    let from_there = move || {
        focus.get().map(|place| {
            let here: Vec<_> = players.with(|list| {
                list.iter()
                    .filter(|p| place.holds(&p.home))
                    .cloned()
                    .collect()
            });
            view! {
                <section class="from-there card" aria-label=format!("Players from {}", place.label)>
                    <h3>{format!("Players from {}", place.label)}</h3>
                    {here.is_empty().then(|| {
                        // In a busy view they are counted in clusters, not listed.
                        let text = if clustered.get() > 0 {
                            "Zoom in on the map to list who plays from there."
                        } else {
                            "No one plays from there yet."
                        };
                        view! { <p class="notice">{text}</p> }
                    })}
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
        <div class="map-frame">
            <div class="map" node_ref=container role="region" aria-label="World map"></div>
            <button type="button" class="show-everyone" on:click=move |_| map.show_everyone()>
                "Show everyone"
            </button>
            <Legend />
            <JoinNotice
                joined
                on_show=Callback::new(move |p: MapPlayer| {
                    map.fly_to(p.home.lat, p.home.lon, JOINER_ZOOM)
                })
            />
        </div>
        {from_there}
        <details class="player-list">
            <summary>
                {move || format!("Players shown on the map ({})", players.read().len())}
                {move || {
                    let more = clustered.get();
                    (more > 0)
                        .then(|| {
                            format!(" and {} more in clusters: zoom in to list them", grouped(more))
                        })
                }}
            </summary>
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

/// Players in view counted in clusters (or past the one-by-one limit) rather than listed.
fn clustered_in(slice: &MapSlice) -> i64 {
    slice.in_view() - slice.players.len() as i64
}
