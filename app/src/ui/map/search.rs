//! The map's place search: a type-ahead over countries, regions and cities; picking one flies
//! the map there and lists the players from there.

use leptos::{prelude::*, task::spawn_local};

use crate::{
    api::map::search_places,
    model::{rules::PLACE_QUERY_MAX, PlaceKind, PlaceSuggestion},
};

#[component]
pub fn PlaceSearch(on_pick: Callback<PlaceSuggestion>) -> impl IntoView {
    let found = RwSignal::new(Vec::<PlaceSuggestion>::new());
    let error = RwSignal::new(None::<String>);
    // Answers may arrive out of order: only the latest query's is shown.
    let asked = StoredValue::new(0u64);
    let on_input = move |ev| {
        let q = event_target_value(&ev);
        let n = asked.get_value() + 1;
        asked.set_value(n);
        if q.trim().is_empty() {
            found.set(Vec::new());
            return;
        }
        spawn_local(async move {
            let answer = search_places(q).await;
            if asked.get_value() != n {
                return;
            }
            match answer {
                Ok(list) => {
                    error.set(None);
                    found.set(list);
                }
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    };
    view! {
        <div class="place-search" role="search" aria-label="Find a place">
            <label>
                <span class="visually-hidden">"Find a place"</span>
                <input
                    type="search"
                    placeholder="Find a city, region or country…"
                    maxlength=PLACE_QUERY_MAX
                    autocomplete="off"
                    on:input=on_input
                />
            </label>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <ul class="suggestions" aria-label="Places">
                {move || {
                    found
                        .get()
                        .into_iter()
                        .map(|place| {
                            let label = place.label.clone();
                            let kind = match place.kind {
                                PlaceKind::City => "city",
                                PlaceKind::Region => "region",
                                PlaceKind::Country => "country",
                            };
                            view! {
                                <li>
                                    <button
                                        type="button"
                                        on:click=move |_| {
                                            on_pick.run(place.clone());
                                            found.set(Vec::new());
                                        }
                                    >
                                        {label}
                                        <span class="place-kind">{kind}</span>
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </div>
    }
}
