//! The browser's Geolocation API, in the browser build only.

use wasm_bindgen::{closure::Closure, JsCast};
use web_sys::{Position, PositionError, PositionOptions};

/// Asks the browser for its position once and calls `done` with (lat, lon) or a reason.
pub fn current_position(done: impl FnOnce(Result<(f64, f64), String>) + 'static) {
    let Some(geolocation) = web_sys::window().and_then(|w| w.navigator().geolocation().ok()) else {
        done(Err("This browser cannot share its location.".into()));
        return;
    };
    // Either callback may fire, once; both share the one `done`.
    let done = std::rc::Rc::new(std::cell::Cell::new(Some(done)));
    let on_ok = {
        let done = done.clone();
        Closure::once_into_js(move |position: Position| {
            let coords = position.coords();
            if let Some(done) = done.take() {
                done(Ok((coords.latitude(), coords.longitude())));
            }
        })
    };
    let on_err = {
        let done = done.clone();
        Closure::once_into_js(move |error: PositionError| {
            let reason = match error.code() {
                PositionError::PERMISSION_DENIED => "Location permission was denied.",
                PositionError::TIMEOUT => "Finding your location took too long.",
                _ => "Your location is not available.",
            };
            if let Some(done) = done.take() {
                done(Err(reason.into()));
            }
        })
    };
    let options = PositionOptions::new();
    options.set_timeout(10_000);
    options.set_maximum_age(600_000);
    if let Err(err) = geolocation.get_current_position_with_error_callback_and_options(
        on_ok.unchecked_ref(),
        Some(on_err.unchecked_ref()),
        &options,
    ) {
        if let Some(done) = done.take() {
            done(Err(format!("Your location is not available ({err:?}).")));
        }
    }
}
