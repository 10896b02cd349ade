//! The map as the page drives it: attached to its element, markers added or updated, flown to
//! a place, framed around everyone. Leaflet runs in the browser build only; the server renders
//! the frame, so there each call does nothing.

#[cfg(feature = "hydrate")]
mod imp {
    use leptos::{html::Div, prelude::*};

    use super::super::leaflet_map::LiveMap;
    use crate::model::{MapPlayer, MapView};

    /// The mounted map, once there is one. Copy: it only holds a handle.
    #[derive(Clone, Copy)]
    pub struct MapHandle(StoredValue<Option<LiveMap>, LocalStorage>);

    impl MapHandle {
        /// Draws the map in `container` once the element exists.
        pub fn attach(container: NodeRef<Div>, data: MapView, me_id: i64) -> Self {
            let handle = Self(StoredValue::new_local(None));
            Effect::new(move || {
                if let Some(element) = container.get() {
                    handle
                        .0
                        .set_value(Some(LiveMap::mount(&element, &data, me_id)));
                }
            });
            handle
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

    use crate::model::{MapPlayer, MapView};

    /// Nothing to draw on the server.
    #[derive(Clone, Copy)]
    pub struct MapHandle;

    impl MapHandle {
        pub fn attach(_: NodeRef<Div>, _: MapView, _: i64) -> Self {
            Self
        }

        pub fn upsert(self, _: &MapPlayer) {}

        pub fn fly_to(self, _: f64, _: f64, _: f64) {}

        pub fn show_everyone(self) {}

        pub fn in_view(self, _: f64, _: f64) -> bool {
            true
        }
    }
}

pub use imp::MapHandle;
