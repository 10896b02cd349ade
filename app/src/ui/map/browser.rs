//! The map as the page drives it: attached to its element, told what its view holds (clusters
//! and players) and asked what it shows, markers updated, flown to a place, framed around
//! everyone. Leaflet runs in the browser build only; the server renders
//! the frame, so there each call does nothing.

#[cfg(feature = "hydrate")]
mod imp {
    use leptos::{html::Div, prelude::*};

    use super::super::leaflet_map::LiveMap;
    use crate::model::{MapPlayer, MapSlice, MapView, Viewport};

    /// The mounted map, once there is one. Copy: it only holds a handle.
    #[derive(Clone, Copy)]
    pub struct MapHandle(StoredValue<Option<LiveMap>, LocalStorage>);

    impl MapHandle {
        /// Draws the map in `container` once the element exists; `on_moved` runs whenever
        /// its view settles.
        pub fn attach(
            container: NodeRef<Div>,
            data: MapView,
            me_id: i64,
            on_moved: Callback<()>,
        ) -> Self {
            let handle = Self(StoredValue::new_local(None));
            Effect::new(move || {
                if let Some(element) = container.get() {
                    let map = LiveMap::mount(&element, &data, me_id, on_moved);
                    handle.0.set_value(Some(map));
                }
            });
            handle
        }

        /// What the map shows now, once it is drawn.
        pub fn viewport(self) -> Option<Viewport> {
            self.0.with_value(|map| map.as_ref().map(LiveMap::viewport))
        }

        /// Shows a new answer for the view, in place.
        pub fn apply(self, slice: &MapSlice) {
            self.0.with_value(|map| {
                if let Some(map) = map {
                    map.apply(slice);
                }
            });
        }

        /// A home "Show everyone" must now include.
        pub fn include(self, lat: f64, lon: f64) {
            self.0.with_value(|map| {
                if let Some(map) = map {
                    map.include(lat, lon);
                }
            });
        }

        pub fn upsert(self, player: &MapPlayer) {
            self.0.with_value(|map| {
                if let Some(map) = map {
                    map.upsert(player);
                }
            });
        }

        pub fn fly_to(self, lat: f64, lon: f64, zoom: f64) {
            self.0.with_value(|map| {
                if let Some(map) = map {
                    map.fly_to(lat, lon, zoom);
                }
            });
        }

        pub fn show_everyone(self) {
            self.0.with_value(|map| {
                if let Some(map) = map {
                    map.show_everyone(true);
                }
            });
        }

        /// Whether the map shows this position now (true before it is drawn).
        pub fn in_view(self, lat: f64, lon: f64) -> bool {
            self.0
                .with_value(|map| map.as_ref().is_none_or(|map| map.in_view(lat, lon)))
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use leptos::{html::Div, prelude::*};

    use crate::model::{MapPlayer, MapSlice, MapView, Viewport};

    /// Nothing to draw on the server.
    #[derive(Clone, Copy)]
    pub struct MapHandle;

    impl MapHandle {
        pub fn attach(_: NodeRef<Div>, _: MapView, _: i64, _: Callback<()>) -> Self {
            Self
        }

        pub fn viewport(self) -> Option<Viewport> {
            None
        }

        pub fn apply(self, _: &MapSlice) {}

        pub fn include(self, _: f64, _: f64) {}

        pub fn upsert(self, _: &MapPlayer) {}

        pub fn fly_to(self, _: f64, _: f64, _: f64) {}

        pub fn show_everyone(self) {}

        pub fn in_view(self, _: f64, _: f64) -> bool {
            true
        }
    }
}

pub use imp::MapHandle;
