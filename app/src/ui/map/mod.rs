//! The world map page: every player with a home at their city's centre, your own marker
//! distinct, a popup per marker, kept current by the live feed. Leaflet draws it in the
//! browser; the server renders the frame and a plain list of the same players.

#[cfg(feature = "hydrate")]
mod leaflet_map;

use leptos::{html::Div, prelude::*};
use leptos_router::components::A;

use super::{app::use_session, chat::SayHi, form::Failed, live::use_live};
use crate::{
    api::map::load_map,
    error::AppError,
    model::{apply_live, MapView, Me},
};

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
    view! {
        {no_home}
        <Transition fallback=|| view! { <div class="map map-loading"></div> }>
            {move || Suspend::new(async move {
                match view_data.await {
                    Ok(data) => view! { <WorldMap data me_id=me.id /> }.into_any(),
                    Err(error) => view! { <Failed error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn WorldMap(data: MapView, me_id: i64) -> impl IntoView {
    let live = use_live();
    let container = NodeRef::<Div>::new();
    let players = RwSignal::new(data.players.clone());

    #[cfg(feature = "hydrate")]
    let map = {
        let map = StoredValue::new_local(None::<leaflet_map::LiveMap>);
        let data = data.clone();
        Effect::new(move || {
            if let Some(element) = container.get() {
                map.set_value(Some(leaflet_map::LiveMap::mount(&element, &data, me_id)));
                live.connect(data.cursor);
            }
        });
        map
    };
    #[cfg(not(feature = "hydrate"))]
    let _ = (&data, container);

    // Apply what the live feed brings after this snapshot.
    let seen = StoredValue::new(live.head());
    Effect::new(move || {
        let last = live.since(seen.get_value(), |message| {
            let changed = players
                .try_update(|list| apply_live(list, message))
                .flatten();
            #[cfg(feature = "hydrate")]
            if let Some(player) = changed {
                map.with_value(|map| {
                    if let Some(map) = map {
                        map.upsert(&player);
                    }
                });
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = changed;
        });
        seen.set_value(last);
    });

    view! {
        <div class="map" node_ref=container role="region" aria-label="World map"></div>
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
