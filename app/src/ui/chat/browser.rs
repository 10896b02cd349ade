//! What the conversation needs from the browser: the clock (from `ui::clock`), fresh message
//! keys, whether the page is visible, and the scroll position of the message list. The server
//! build renders without any of it, so there each is a plain answer.

use leptos::html::Ol;
use leptos::prelude::*;

#[cfg(feature = "hydrate")]
mod imp {
    use leptos::prelude::*;

    /// A key no other send of this player is likely to have: the time and 48 random bits.
    pub fn new_client_key() -> String {
        let random = (js_sys::Math::random() * 2f64.powi(48)) as u64;
        format!("{:x}-{random:x}", js_sys::Date::now() as u64)
    }

    pub fn page_visible() -> bool {
        document().visibility_state() == web_sys::VisibilityState::Visible
    }

    /// Runs `f` once the pending DOM updates are drawn.
    pub fn after_render(f: impl FnOnce() + 'static) {
        request_animation_frame(f);
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    pub fn new_client_key() -> String {
        String::new()
    }

    pub fn page_visible() -> bool {
        false
    }

    pub fn after_render(_: impl FnOnce() + 'static) {}
}

pub use crate::ui::clock::now_ms;
pub use imp::{new_client_key, page_visible};

/// Whether the list is scrolled to (nearly) its end.
pub fn near_bottom(list: NodeRef<Ol>) -> bool {
    list.get_untracked()
        .is_none_or(|el| el.scroll_height() - el.scroll_top() - el.client_height() < 80)
}

/// Scrolls the list to its newest message once it is drawn.
pub fn scroll_to_bottom(list: NodeRef<Ol>) {
    imp::after_render(move || {
        if let Some(el) = list.get_untracked() {
            el.set_scroll_top(el.scroll_height());
        }
    });
}

/// Keeps what the player is looking at in place while older messages are added above it:
/// call before the change, and the returned closure after it.
pub fn keep_position(list: NodeRef<Ol>) -> impl FnOnce() {
    let from_bottom = list
        .get_untracked()
        .map(|el| el.scroll_height() - el.scroll_top());
    move || {
        imp::after_render(move || {
            if let (Some(el), Some(from_bottom)) = (list.get_untracked(), from_bottom) {
                el.set_scroll_top(el.scroll_height() - from_bottom);
            }
        });
    }
}
