//! What every page may use: its title, the notice for pages that need a signed-in player, and
//! the not-found answer.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// What a page for signed-in players shows a visitor: "Sign in to {what}."
#[component]
pub fn SignInFirst(what: &'static str) -> impl IntoView {
    view! {
        <p class="notice">
            <A href="/signin">"Sign in"</A>
            {format!(" to {what}.")}
        </p>
    }
}

/// The document's title. On the server, leptos_meta writes the text into `<title>` as it is,
/// so a player named `</title><script>…` would end the element and run a script; the server's
/// copy is escaped. In the browser the text goes to `document.title`, which is text already.
#[component]
pub fn PageTitle(#[prop(into)] text: String) -> impl IntoView {
    let text = if cfg!(feature = "ssr") {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    } else {
        text
    };
    view! { <Title text /> }
}

/// The page for unknown paths, answered with status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <NotFoundNotice
            title="Page not found."
            sentence="There is nothing at this address. It may have moved, or the link was mistyped."
        />
    }
}

/// A "not found" answer (status 404) with a heading, a sentence and the ways back.
#[component]
pub fn NotFoundNotice(title: &'static str, sentence: &'static str) -> impl IntoView {
    not_found_status();
    view! {
        <PageTitle text=format!("{} · Meridian", title.trim_end_matches('.')) />
        <section class="card narrow not-found" aria-labelledby="not-found-heading">
            <h1 id="not-found-heading">{title}</h1>
            <p>{sentence}</p>
            <ul class="ways-back">
                <li><A href="/">"Back to the map"</A></li>
                <li><A href="/chats">"Your chats"</A></li>
                <li><A href="/leaderboard">"Leaderboard"</A></li>
            </ul>
        </section>
    }
}

/// Answers the page being rendered on the server with status 404.
pub fn not_found_status() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
}
