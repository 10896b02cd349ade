//! The world map page: every player with a home at their city's centre, your own marker
//! distinct, a popup per marker. Leaflet draws it in the browser; the server renders the
//! frame and, for pages without JavaScript, a plain list of the same players.

#[cfg(feature = "hydrate")]
mod leaflet_map;

use leptos::{html::Div, prelude::*};
use leptos_router::components::A;

use super::app::use_session;
use crate::{
    api::map::load_map,
    model::{MapView, Me},
};

#[component]
pub fn MapPage() -> impl IntoView {
    let session = use_session();
    view! {
        <Transition fallback=|| view! { <p class="notice">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.me.await {
                    Ok(Some(me)) => view! { <SignedInMap me /> }.into_any(),
                    Ok(None) => view! { <Welcome /> }.into_any(),
                    Err(err) => {
                        view! {
                            <p class="error" role="alert">
                                {err.to_string()}
                            </p>
                        }
                            .into_any()
                    }
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
fn SignedInMap(me: Me) -> impl IntoView {
    let view_data = Resource::new(|| (), |_| load_map());
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
                    Err(err) => {
                        view! {
                            <p class="error" role="alert">
                                {err.to_string()}
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn WorldMap(data: MapView, me_id: i64) -> impl IntoView {
    let container = NodeRef::<Div>::new();
    let count = data.players.len();
    let list = data
        .players
        .iter()
        .map(|p| {
            let me = (p.id == me_id).then_some(" (you)");
            view! {
                <li>
                    <strong>{p.display_name.clone()}</strong>
                    {me}
                    " — "
                    {p.home.label()}
                </li>
            }
        })
        .collect_view();

    #[cfg(feature = "hydrate")]
    {
        let data = data.clone();
        Effect::new(move || {
            if let Some(element) = container.get() {
                leaflet_map::mount(&element, &data, me_id);
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = data;

    view! {
        <div class="map" node_ref=container role="region" aria-label="World map"></div>
        <details class="player-list">
            <summary>{format!("Players on the map ({count})")}</summary>
            <ul>{list}</ul>
        </details>
    }
}
