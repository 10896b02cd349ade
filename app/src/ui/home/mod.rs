//! Choosing a home. On a player's first visit the browser is asked for its position; the
//! server snaps it to the nearest city. If the player declines (or has no JavaScript), a city
//! search does the same job. Nothing else waits on this choice.

#[cfg(feature = "hydrate")]
mod geolocation;

use leptos::prelude::*;
use leptos_router::{components::Form, hooks::use_query_map};

use super::{
    form::{action_error, ErrorNote, Failed},
    loaded::load,
    page::PageTitle,
    session::use_session,
};
use crate::{
    api::home::{search_cities, SetHomeCity, SetHomeFromPosition},
    model::rules::PLACE_QUERY_MAX,
};

/// Where asking the browser for its position stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Locating {
    Idle,
    Asking,
    /// The browser refused or failed; the reason, for the page.
    Unavailable(String),
}

#[component]
pub fn HomePage() -> impl IntoView {
    let session = use_session();
    let from_position = session.action::<SetHomeFromPosition>();
    let locating = RwSignal::new(Locating::Idle);

    let ask = move || {
        locating.set(Locating::Asking);
        #[cfg(feature = "hydrate")]
        geolocation::current_position(move |result| match result {
            Ok((lat, lon)) => {
                locating.set(Locating::Idle);
                from_position.dispatch(SetHomeFromPosition { lat, lon });
            }
            Err(reason) => locating.set(Locating::Unavailable(reason)),
        });
    };

    // First visit without a home: ask straight away, once.
    Effect::new(move |asked: Option<bool>| {
        if asked == Some(true) {
            return true;
        }
        match session.me.get() {
            Some(Ok(Some(me))) if me.home.is_none() => {
                ask();
                true
            }
            _ => false,
        }
    });

    // A home from the position is set: back to the map, loaded whole, so the header renders
    // the new home on the server. (Navigating in the page left the header's suspense showing
    // the old session now and then, in the release build.)
    Effect::new(move || {
        if let Some(Ok(_)) = from_position.value().get() {
            #[cfg(feature = "hydrate")]
            let _ = window().location().set_href("/");
        }
    });

    view! {
        <PageTitle text="Your home · Meridian" />
        <section class="card">
            <h1>"Your home"</h1>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match session.me.await {
                        Ok(Some(me)) => {
                            view! {
                                <p data-testid="current-home">
                                    {me
                                        .home
                                        .map(|h| format!("Home: {}", h.label()))
                                        .unwrap_or_else(|| {
                                            "You have no home yet: other players see you once you pick one."
                                                .into()
                                        })}
                                </p>
                            }
                                .into_any()
                        }
                        _ => {
                            view! {
                                <p class="notice">
                                    "Sign in to choose your home. " <a href="/signin">"Sign in"</a>
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
            <div class="locate">
                <button type="button" on:click=move |_| ask()>
                    "Use my location"
                </button>
                <span role="status" aria-label="Location">
                    {move || match locating.get() {
                        Locating::Idle => String::new(),
                        Locating::Asking => "Asking your browser where you are…".into(),
                        Locating::Unavailable(reason) => {
                            format!("{reason} Pick your city below instead.")
                        }
                    }}
                </span>
                <ErrorNote error=action_error(from_position) />
            </div>
            <CitySearch />
        </section>
    }
}

/// A type-ahead over cities. Without JavaScript it is a GET form whose results are buttons
/// that post the choice.
#[component]
fn CitySearch() -> impl IntoView {
    let pick = use_session().action::<SetHomeCity>();
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let suggestions = load(q, search_cities);

    view! {
        <Form method="GET" action="" replace=true noscroll=true attr:role="search" attr:aria-label="Find your city">
            <label>
                "Find your city"
                <input
                    type="search"
                    name="q"
                    maxlength=PLACE_QUERY_MAX
                    autocomplete="off"
                    prop:value=q
                    oninput="this.form.requestSubmit()"
                />
            </label>
            <button type="submit">"Search"</button>
        </Form>
        <ErrorNote error=action_error(pick) />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match suggestions.await {
                    Ok(list) if list.is_empty() && !q().is_empty() => {
                        view! { <p class="notice">"No city starts with that."</p> }.into_any()
                    }
                    Ok(list) => {
                        view! {
                            <ul class="suggestions" aria-label="Cities">
                                {list
                                    .into_iter()
                                    .map(|city| {
                                        view! {
                                            <li>
                                                <ActionForm action=pick>
                                                    <input type="hidden" name="city_id" value=city.city_id />
                                                    <button type="submit">{city.label}</button>
                                                </ActionForm>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    }
                    Err(error) => view! { <Failed error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
