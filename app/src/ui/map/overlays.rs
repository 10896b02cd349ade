//! What sits on the map: the legend (drawn with the markers' own classes, so it always looks
//! like them) and the notice that a player joined somewhere the map does not show, with a
//! button that flies there.

use std::time::Duration;

use leptos::prelude::*;

use crate::model::MapPlayer;

/// How long a join stays announced.
const NOTICE_SECS: u64 = 30;

/// You, online, offline: the three looks a marker has.
#[component]
pub fn Legend() -> impl IntoView {
    view! {
        <ul class="map-legend" aria-label="Map legend">
            <li>
                <span class="marker marker-me" aria-hidden="true"></span>
                "You"
            </li>
            <li>
                <span class="marker marker-online" aria-hidden="true"></span>
                "Online"
            </li>
            <li>
                <span class="marker" aria-hidden="true"></span>
                "Offline"
            </li>
        </ul>
    }
}

/// "Kenji just joined from Tokyo, Japan — Show on map", for a while or until used. The region
/// is a live one: a screen reader hears the news too.
#[component]
pub fn JoinNotice(
    joined: RwSignal<Option<MapPlayer>>,
    on_show: Callback<MapPlayer>,
) -> impl IntoView {
    Effect::new(move || {
        if let Some(id) = joined.with(|p| p.as_ref().map(|p| p.id)) {
            set_timeout(
                move || {
                    if joined.try_with_untracked(|p| p.as_ref().map(|p| p.id)) == Some(Some(id)) {
                        joined.try_set(None);
                    }
                },
                Duration::from_secs(NOTICE_SECS),
            );
        }
    });
    let notice = move || {
        joined.get().map(|player| {
            let place = format!("{}, {}", player.home.city, player.home.country);
            let name = player.display_name.clone();
            view! {
                <p class="join-card">
                    <span class="join-text">
                        <strong>{name}</strong>
                        " just joined from "
                        {place}
                    </span>
                    <button
                        type="button"
                        class="join-show"
                        on:click=move |_| {
                            on_show.run(player.clone());
                            joined.set(None);
                        }
                    >
                        "Show on map"
                    </button>
                    <button
                        type="button"
                        class="join-dismiss"
                        aria-label="Dismiss"
                        on:click=move |_| joined.set(None)
                    >
                        "×"
                    </button>
                </p>
            }
        })
    };
    view! {
        <div class="join-notice" role="status" aria-label="Who just joined">
            {notice}
        </div>
    }
}
