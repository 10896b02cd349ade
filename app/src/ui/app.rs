//! The document shell and the router. What pages share lives in `session` and `page`.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use super::{
    account::{SignInPage, SignUpPage},
    admin::AdminPage,
    chat::{ChatPage, ChatsPage},
    dashboard::DashboardPage,
    game::TaskToast,
    home::HomePage,
    layout::Header,
    leaderboard::LeaderboardPage,
    live::LiveFeed,
    map::MapPage,
    page::NotFound,
    profile::ProfilePage,
    session::provide_session,
};

/// The HTML document around the app. Leaflet's script loads before the hydration scripts:
/// the map binds its global `L`. The app's stylesheet and the bundle go by the names in the
/// hash file when `options.hash_files` is on (the server decides: `server::assets`), else by
/// their plain names; the stylesheet follows Leaflet's, so its rules win.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="stylesheet" href="/leaflet/leaflet.css" />
                <HashedStylesheet options=options.clone() id="leptos" />
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

/// Every page renders whole on the server before it is sent (`SsrMode::Async`): the header
/// and forms must work without JavaScript, and out-of-order streaming needs scripts to place
/// its late parts.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let session = provide_session();
    let live = LiveFeed::new();
    provide_context(live);
    // Signed out: no stream.
    Effect::new(move || {
        if let Some(Ok(None)) = session.me.get() {
            live.disconnect();
        }
    });

    view! {
        <Title text="Meridian" />
        <Router>
            <Header />
            <TaskToast />
            <main>
                <Routes fallback=NotFound>
                    <Route path=path!("") view=MapPage ssr=SsrMode::Async />
                    <Route path=path!("signup") view=SignUpPage ssr=SsrMode::Async />
                    <Route path=path!("signin") view=SignInPage ssr=SsrMode::Async />
                    <Route path=path!("home") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("chats") view=ChatsPage ssr=SsrMode::Async />
                    <Route path=path!("chats/:id") view=ChatPage ssr=SsrMode::Async />
                    <Route path=path!("players/:handle") view=ProfilePage ssr=SsrMode::Async />
                    <Route path=path!("leaderboard") view=LeaderboardPage ssr=SsrMode::Async />
                    <Route path=path!("admin") view=AdminPage ssr=SsrMode::Async />
                    <Route path=path!("dashboard") view=DashboardPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}
