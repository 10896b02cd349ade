//! The document shell and the router, with every page but the map split off the first
//! bundle. What pages share lives in `session` and `page`.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, Lazy, LazyRoute, SsrMode,
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
                    <Route path=path!("signup") view={Lazy::<SignUp>::new()} ssr=SsrMode::Async />
                    <Route path=path!("signin") view={Lazy::<SignIn>::new()} ssr=SsrMode::Async />
                    <Route path=path!("home") view={Lazy::<Home>::new()} ssr=SsrMode::Async />
                    <Route path=path!("chats") view={Lazy::<Chats>::new()} ssr=SsrMode::Async />
                    <Route path=path!("chats/:id") view={Lazy::<Chat>::new()} ssr=SsrMode::Async />
                    <Route
                        path=path!("players/:handle")
                        view={Lazy::<Profile>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("leaderboard")
                        view={Lazy::<Leaderboard>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("admin") view={Lazy::<Admin>::new()} ssr=SsrMode::Async />
                    <Route
                        path=path!("dashboard")
                        view={Lazy::<Dashboard>::new()}
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
        </Router>
    }
}

/// A route whose page is split off the first bundle: built with `cargo leptos --split
/// --features split`, its code is a WASM chunk of its own (named after `$chunk`), fetched the
/// first time the route is shown (before a server-rendered page of it hydrates, or on
/// navigation). The map, where visits start, stays in the first bundle. Each page loads its
/// own data, so the route's data is nothing. Without the feature (`cargo leptos watch`, the
/// debug suite) it is a lazy route in the one bundle: split code needs the splitter's output
/// to load.
///
/// This is what `#[lazy_route]` writes, but with a load that can fail: after a deploy the
/// server no longer has the chunks an open tab's build names, and `#[lazy_route]`'s load
/// panics, which stops the whole page. Here the router loads the page whole instead
/// (`new_build`). The server still names the chunk for the browser to fetch early.
#[cfg(feature = "split")]
macro_rules! split_page {
    ($($route:ident => $page:ident in $chunk:ident),* $(,)?) => {$(
        struct $route;

        mod $chunk {
            use super::*;

            #[leptos::wasm_split::wasm_split(
                $chunk,
                wasm_split_path = ::leptos::wasm_split,
                preload(preload),
                fallible
            )]
            pub fn view(_this: super::$route) -> Result<AnyView, leptos::wasm_split::SplitLoaderError> {
                Ok(view! { <$page /> }.into_any())
            }
        }

        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            async fn preload() {
                // A failure shows when the view is asked for.
                let _ = $chunk::preload().await;
            }

            async fn view(this: Self) -> AnyView {
                leptos::prefetch_lazy_fn_on_server(stringify!($chunk));
                super::new_build::split_page(Box::pin($chunk::view(this))).await
            }
        }
    )*};
}

#[cfg(not(feature = "split"))]
macro_rules! split_page {
    ($($route:ident => $page:ident in $chunk:ident),* $(,)?) => {$(
        struct $route;

        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            async fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    )*};
}

split_page! {
    SignUp => SignUpPage in signup_page,
    SignIn => SignInPage in signin_page,
    Home => HomePage in home_page,
    Chats => ChatsPage in chats_page,
    Chat => ChatPage in chat_page,
    Profile => ProfilePage in profile_page,
    Leaderboard => LeaderboardPage in leaderboard_page,
    Admin => AdminPage in admin_page,
    Dashboard => DashboardPage in dashboard_page,
}
