//! A tab that outlived its build. Pages split off the first bundle fetch their code when the
//! router first shows them, by the names of the build that rendered the tab; after a deploy
//! the server holds the new build's files only, so that fetch fails. The router then loads the
//! page whole instead, which brings the new build. A tab that has just done so for the same
//! address and fails again (a server that names files it does not have, a connection that
//! keeps dropping) does not load it again but says the page could not be loaded, with a link
//! to try again. (A page being hydrated cannot say so: nothing but the page's own view matches
//! what the server rendered, so Leptos gives up hydrating it and the page keeps the server's
//! content, while the router and header, hydrated before it, go on.)

use std::{future::Future, pin::Pin};

use leptos::{prelude::*, wasm_split::SplitLoaderError};

/// How long after loading an address whole a second failure for it is not answered with
/// another load.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const AGAIN_AFTER_MS: u64 = 30_000;

/// A split page's view from `load`, its code's load and call; or, when that code could not be
/// fetched, what [`page_code_missing`] shows. Compiled once, whatever the page.
pub async fn split_page(
    load: Pin<Box<dyn Future<Output = Result<AnyView, SplitLoaderError>>>>,
) -> AnyView {
    // Where the router is going, read before the load is first polled (the address bar still
    // shows the page the tab is leaving).
    let target = imp::target();
    match load.await {
        Ok(view) => view,
        Err(_) => page_code_missing(target).await,
    }
}

/// What a split page shows when its code could not be fetched. While the browser loads
/// `target` whole, nothing new: this never answers, so the page being left stays on screen
/// until the next one replaces it, as any link does. When it has just done so, a way to try
/// again.
async fn page_code_missing(target: String) -> AnyView {
    if imp::load_whole(&target) {
        std::future::pending().await
    } else {
        view! {
            <section class="card narrow" aria-labelledby="page-missing-heading">
                <h1 id="page-missing-heading">"This page could not be loaded."</h1>
                <p>"Its code did not arrive; the connection may have dropped."</p>
                <p>
                    <a href=target rel="external" class="button">"Try again"</a>
                </p>
            </section>
        }
        .into_any()
    }
}

#[cfg(feature = "hydrate")]
mod imp {
    use leptos::prelude::*;
    use leptos_router::hooks::use_url;

    use super::AGAIN_AFTER_MS;

    /// The router's address: path, query and fragment.
    pub fn target() -> String {
        use_url().with_untracked(|url| {
            let mut target = url.path().to_string();
            if !url.search().is_empty() {
                target.push('?');
                target.push_str(url.search());
            }
            if !url.hash().is_empty() {
                if !url.hash().starts_with('#') {
                    target.push('#');
                }
                target.push_str(url.hash());
            }
            target
        })
    }

    /// Where this tab keeps its last whole load: "<ms since 1970> <address>".
    const KEY: &str = "meridian-loaded-whole";

    /// Starts loading `target` as a new page, unless this tab did so within the last
    /// [`AGAIN_AFTER_MS`]. Whether it did.
    pub fn load_whole(target: &str) -> bool {
        let window = window();
        let now = js_sys::Date::now() as u64;
        if let Ok(Some(storage)) = window.session_storage() {
            let last = storage.get_item(KEY).ok().flatten();
            let recent = last
                .as_deref()
                .and_then(|last| last.split_once(' '))
                .is_some_and(|(at, address)| {
                    address == target
                        && at
                            .parse::<u64>()
                            .is_ok_and(|at| now.saturating_sub(at) < AGAIN_AFTER_MS)
                });
            if recent {
                return false;
            }
            let _ = storage.set_item(KEY, &format!("{now} {target}"));
        }
        window.location().assign(target).is_ok()
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    /// Empty: the server never needs it.
    pub fn target() -> String {
        String::new()
    }

    /// The server renders split pages from its own code: nothing to load.
    pub fn load_whole(_: &str) -> bool {
        false
    }
}
