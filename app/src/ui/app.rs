//! The document shell, the router and the session context every page reads.

use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes, A},
    path, SsrMode,
};

use super::{
    account::{SignInPage, SignUpPage},
    chat::{ChatPage, ChatsPage},
    home::HomePage,
    layout::Header,
    live::LiveFeed,
    map::MapPage,
    profile::ProfilePage,
};
use crate::{api::account::who_am_i, error::AppError, model::Me};

/// The HTML document around the app. Leaflet's script loads before the hydration scripts:
/// the map binds its global `L`.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="stylesheet" href="/leaflet/leaflet.css" />
                <script src="/leaflet/leaflet.js"></script>
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The signed-in player, refetched whenever an action that changes it (signing in or out,
/// choosing a home) completes. Provided at the root; pages read it with [`use_session`].
#[derive(Clone, Copy)]
pub struct Session {
    pub me: Resource<Result<Option<Me>, AppError>>,
    changed: RwSignal<u64>,
}

impl Session {
    fn new() -> Self {
        let changed = RwSignal::new(0);
        let me = Resource::new(move || changed.get(), |_| who_am_i());
        Self { me, changed }
    }

    /// Counts sessions changes (signing in or out, a new home); reading it subscribes.
    pub fn changes(&self) -> u64 {
        self.changed.get()
    }

    /// A server action after which the session is refetched. Pages create their own (under
    /// `<Routes>`), so that a form posted without JavaScript gets its error back from the URL.
    pub fn action<S>(&self) -> ServerAction<S>
    where
        S: ServerFn + Send + Sync + Clone + 'static,
        S::Output: Send + Sync + 'static,
        S::Error: Send + Sync + 'static,
    {
        let action = ServerAction::<S>::new();
        let changed = self.changed;
        Effect::watch(
            move || action.version().get(),
            move |_, _, _| changed.update(|n| *n += 1),
            false,
        );
        action
    }
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// Every page renders whole on the server before it is sent (`SsrMode::Async`): the header
/// and forms must work without JavaScript, and out-of-order streaming needs scripts to place
/// its late parts.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let session = Session::new();
    provide_context(session);
    let live = LiveFeed::new();
    provide_context(live);
    // Signed out: no stream.
    Effect::new(move || {
        if let Some(Ok(None)) = session.me.get() {
            live.disconnect();
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/meridian.css" />
        <Title text="Meridian" />
        <Router>
            <Header />
            <main>
                <Routes fallback=NotFound>
                    <Route path=path!("") view=MapPage ssr=SsrMode::Async />
                    <Route path=path!("signup") view=SignUpPage ssr=SsrMode::Async />
                    <Route path=path!("signin") view=SignInPage ssr=SsrMode::Async />
                    <Route path=path!("home") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("chats") view=ChatsPage ssr=SsrMode::Async />
                    <Route path=path!("chats/:id") view=ChatPage ssr=SsrMode::Async />
                    <Route path=path!("players/:handle") view=ProfilePage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}

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
fn NotFound() -> impl IntoView {
    not_found_status();
    view! { <p class="notice">"Page not found."</p> }
}

/// Answers the page being rendered on the server with status 404.
pub fn not_found_status() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
}
