//! The browser's clock, and a tick every second for countdowns. The server renders with
//! neither: there the time is zero and nothing ticks.

use leptos::prelude::*;

#[cfg(feature = "hydrate")]
mod imp {
    pub fn now_ms() -> f64 {
        js_sys::Date::now()
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    pub fn now_ms() -> f64 {
        0.0
    }
}

pub use imp::now_ms;

/// The browser's time in milliseconds, refreshed every second while the component lives.
pub fn use_ticking_clock() -> ReadSignal<f64> {
    let (now, set_now) = signal(now_ms());
    Effect::new(move || {
        set_now.set(now_ms());
        if let Ok(handle) = set_interval_with_handle(
            move || set_now.set(now_ms()),
            std::time::Duration::from_secs(1),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    now
}
