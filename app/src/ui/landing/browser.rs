//! The landing page's map as the page drives it: drawn once its element exists, its circles
//! following the counts by country. Leaflet runs in the browser build only; the server
//! renders the frame (and the list of countries beside it), so there this does nothing.

#[cfg(feature = "hydrate")]
mod imp {
    use leptos::{html::Div, prelude::*};

    use super::super::activity_map::ActivityMap;
    use crate::model::WorldActivity;

    pub struct ActivityMapHandle;

    impl ActivityMapHandle {
        /// Draws the map in `container` once the element exists, and shows `world` on it
        /// whenever it changes.
        pub fn attach(container: NodeRef<Div>, world: RwSignal<WorldActivity>) {
            let map = StoredValue::new_local(None::<ActivityMap>);
            Effect::new(move || {
                if let Some(element) = container.get() {
                    map.set_value(Some(ActivityMap::mount(&element)));
                }
            });
            Effect::new(move || {
                world.with(|world| {
                    map.with_value(|map| {
                        if let Some(map) = map {
                            map.show(world);
                        }
                    })
                })
            });
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use leptos::{html::Div, prelude::*};

    use crate::model::WorldActivity;

    /// Nothing to draw on the server.
    pub struct ActivityMapHandle;

    impl ActivityMapHandle {
        pub fn attach(_: NodeRef<Div>, _: RwSignal<WorldActivity>) {}
    }
}

pub use imp::ActivityMapHandle;
