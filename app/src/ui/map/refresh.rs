//! Keeps what the map shows current: asks the server for the view's clusters and players when
//! the view settles (after a pan or zoom, debounced) and when the live feed says the world
//! changed (at most once a second, always after the last such change), and hands over only
//! the answer to the newest question.

use std::time::Duration;

use leptos::{prelude::*, task::spawn_local};

use super::browser::MapHandle;
use crate::{api::map::load_view, model::MapSlice};

/// How long the view must rest before it is asked for: a drag's many `moveend`s ask once.
const SETTLE: Duration = Duration::from_millis(150);
/// At most one question a second for changes in the world (joins, presence).
const WORLD_EVERY: Duration = Duration::from_secs(1);

/// Copy: it only holds handles.
#[derive(Clone, Copy)]
pub struct ViewRefresh {
    map: StoredValue<Option<MapHandle>>,
    settle: StoredValue<Option<TimeoutHandle>>,
    waiting: StoredValue<bool>,
    asked: StoredValue<u64>,
    shown: StoredValue<u64>,
    on_slice: Callback<MapSlice>,
}

impl ViewRefresh {
    /// `on_slice` gets each newer answer.
    pub fn new(on_slice: Callback<MapSlice>) -> Self {
        Self {
            map: StoredValue::new(None),
            settle: StoredValue::new(None),
            waiting: StoredValue::new(false),
            asked: StoredValue::new(0),
            shown: StoredValue::new(0),
            on_slice,
        }
    }

    /// The map whose view is asked for.
    pub fn watch(self, map: MapHandle) {
        self.map.set_value(Some(map));
    }

    /// The view moved: ask once it rests; the first framing at once, since the map is empty
    /// until then (a framing that moves again asks again, and the newest answer is shown).
    pub fn moved(self) {
        // A `moveend` can come after the page has gone: then there is nothing to do.
        let Some(pending) = self.settle.try_get_value() else {
            return;
        };
        if let Some(pending) = pending {
            pending.clear();
        }
        if self.asked.try_get_value() == Some(0) {
            self.ask();
            return;
        }
        let handle = set_timeout_with_handle(move || self.ask(), SETTLE).ok();
        self.settle.try_set_value(handle);
    }

    /// Something in the world changed: ask within a second, once for all changes until then.
    pub fn world_changed(self) {
        if self.waiting.try_get_value() != Some(false) {
            return;
        }
        self.waiting.try_set_value(true);
        set_timeout(
            move || {
                self.waiting.try_set_value(false);
                self.ask();
            },
            WORLD_EVERY,
        );
    }

    fn ask(self) {
        let Some(viewport) = self
            .map
            .try_get_value()
            .flatten()
            .and_then(MapHandle::viewport)
        else {
            return;
        };
        let Some(n) = self.asked.try_update_value(|n| {
            *n += 1;
            *n
        }) else {
            return;
        };
        let b = viewport.bounds;
        spawn_local(async move {
            match load_view(b.south, b.west, b.north, b.east, i64::from(viewport.zoom)).await {
                Ok(slice) => {
                    let newest = self.shown.try_update_value(|shown| {
                        let newer = n > *shown;
                        if newer {
                            *shown = n;
                        }
                        newer
                    });
                    if newest == Some(true) {
                        self.on_slice.run(slice);
                    }
                }
                // The next move or change asks again.
                Err(error) => leptos::logging::warn!("map view: {error}"),
            }
        });
    }
}
