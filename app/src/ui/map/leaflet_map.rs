//! Draws the map with Leaflet (the global `L` from `public/leaflet`), in the browser build only.
//! Popups are built as DOM nodes with text content: a display name is never parsed as HTML.
//! Without tiles (none configured, or the first one failing) the map draws the world's
//! country outlines instead (`world`).

use leaflet::{
    DivIconOptions, Icon, LatLng, LatLngBounds, Map, MapOptions, Marker, MarkerOptions, Point,
    Popup, PopupOptions, TileLayer, TileLayerOptions,
};
use std::collections::HashMap;

use leptos::prelude::*;
use wasm_bindgen::{closure::Closure, prelude::wasm_bindgen, JsCast, JsValue};
use web_sys::{HtmlElement, ResizeObserver};

use super::world;
use crate::model::{MapPlayer, MapView};

#[wasm_bindgen]
extern "C" {
    /// `L.divIcon`. (The `leaflet` crate's `DivIcon::new` constructs a plain `L.Icon`, which
    /// throws without an image URL.)
    #[wasm_bindgen(js_namespace = L, js_name = divIcon)]
    fn div_icon(options: &DivIconOptions) -> Icon;
}

/// The closest the first view zooms in: a region around a lone player.
const MAX_START_ZOOM: f64 = 5.0;
const WORLD_ZOOM: f64 = 2.0;
/// Room kept around the markers when the map frames them, in pixels.
const PADDING: f64 = 28.0;

/// A mounted map and its markers by player id. Copy: it only holds handles.
#[derive(Clone, Copy)]
pub struct LiveMap {
    map: StoredValue<Map, LocalStorage>,
    markers: StoredValue<HashMap<i64, Marker>, LocalStorage>,
    me_id: i64,
}

impl LiveMap {
    /// Creates the map in `element`; it is removed when the owning component goes away.
    pub fn mount(element: &HtmlElement, data: &MapView, me_id: i64) -> Self {
        let options = MapOptions::new();
        options.set_world_copy_jump(true);
        let map = Map::new_with_element(element, &options).expect("Leaflet creates the map");
        map.set_view(&LatLng::new(20.0, 0.0), WORLD_ZOOM);
        let tiles = (!data.tile_url.is_empty()).then(|| {
            let tiles = TileLayerOptions::new();
            tiles.set_attribution(data.tile_attribution.clone());
            tiles.set_max_zoom(18.0);
            let tiles = TileLayer::new_options(&data.tile_url, &tiles);
            tiles.add_to(&map);
            tiles
        });
        let live = Self {
            map: StoredValue::new_local(map),
            markers: StoredValue::new_local(HashMap::new()),
            me_id,
        };
        for player in &data.players {
            live.upsert(player);
        }
        match tiles {
            None => live.draw_world(element),
            // A tile server out of reach: the outlines, once.
            Some(tiles) => {
                let element = element.clone();
                let on_error = Closure::once_into_js(move || live.draw_world(&element));
                tiles.once("tileerror", &on_error);
            }
        }

        // The zoom it settled at, on the element (tests wait for a flight to end by it).
        let settled = {
            let element = element.clone();
            let map = live.map;
            Closure::<dyn FnMut()>::new(move || {
                let zoom = map.with_value(|map| map.get_zoom());
                let _ = element.set_attribute("data-zoom", &zoom.to_string());
            })
        };
        live.map
            .with_value(|map| map.on("zoomend", settled.as_ref()));

        // Leaflet measures its element once. Frame the players when the element first has a
        // size (it may have none until styles apply), and re-measure whenever it changes.
        let map = live.map;
        let framed = StoredValue::new_local(false);
        let on_resize = Closure::<dyn FnMut()>::new(move || {
            let first = map.with_value(|map| {
                map.invalidate_size(false);
                !framed.get_value() && map.get_size().x() > 0.0
            });
            if first {
                framed.set_value(true);
                live.show_everyone(false);
            }
        });
        let observer = ResizeObserver::new(on_resize.as_ref().unchecked_ref()).ok();
        if let Some(observer) = &observer {
            observer.observe(element);
        }
        let observer = StoredValue::new_local((observer, on_resize, settled));
        on_cleanup(move || {
            observer.with_value(|(observer, _, _)| {
                if let Some(observer) = observer {
                    observer.disconnect();
                }
            });
            map.with_value(|map| {
                map.remove();
            });
        });
        live
    }

    /// Draws the country outlines under the markers (once they have loaded), and gives the
    /// element the offline look (`data-offline`: a sea-coloured background).
    fn draw_world(self, element: &HtmlElement) {
        let _ = element.set_attribute("data-offline", "true");
        let map = self.map;
        world::with_countries(move |geojson| {
            // The map may be gone by now (the page changed).
            map.try_with_value(|map| world::add_outlines(map, geojson, "map-country"));
        });
    }

    /// Frames every marker, no closer than a region; the whole world when there is none.
    /// `animate` glides there (the "Show everyone" button); the first framing jumps.
    pub fn show_everyone(&self, animate: bool) {
        let bounds = self.markers.with_value(|markers| {
            let mut at = markers.values().map(|m| m.get_lat_lng());
            let first = at.next()?;
            let bounds = LatLngBounds::new(&first, &first);
            for position in at {
                bounds.extend(&position);
            }
            Some(bounds)
        });
        self.map
            .with_value(|map| frame(map, bounds.as_ref(), animate));
    }

    /// Whether a position is inside what the map shows now.
    pub fn in_view(&self, lat: f64, lon: f64) -> bool {
        self.map
            .with_value(|map| map.get_bounds().contains(&LatLng::new(lat, lon)))
    }

    /// Flies to a place at `zoom` (or the current zoom, if closer).
    pub fn fly_to(&self, lat: f64, lon: f64, zoom: f64) {
        self.map.with_value(|map| {
            let zoom = zoom.max(map.get_zoom());
            map.fly_to_with_zoom(&LatLng::new(lat, lon), zoom);
        });
    }

    /// Adds a player's marker, or updates it in place (they moved, were renamed, came online
    /// or left): an open popup stays open and a focused marker keeps the focus.
    pub fn upsert(&self, player: &MapPlayer) {
        let is_me = player.id == self.me_id;
        let known = self
            .markers
            .with_value(|markers| markers.get(&player.id).cloned());
        match known {
            Some(marker) => {
                // A div icon reuses its node, so the marker (and its focus) survives
                // `setIcon`; Leaflet only titles new nodes, so the title is set here.
                marker.set_lat_lng(&LatLng::new(player.home.lat, player.home.lon));
                marker.set_icon(&icon(player, is_me));
                if let Some(node) = marker_node(&marker) {
                    node.set_title(&title(player, is_me));
                }
                marker.set_popup_content(&popup_content(player, is_me).into());
            }
            None => {
                let marker = marker(player, is_me);
                self.map.with_value(|map| {
                    marker.add_to(map);
                });
                self.markers.update_value(|markers| {
                    markers.insert(player.id, marker);
                });
            }
        }
    }
}

/// Shows `bounds` (every player), no closer than a region, with room around the markers.
fn frame(map: &Map, bounds: Option<&LatLngBounds>, animate: bool) {
    match bounds {
        Some(bounds) => {
            // Leaflet's fitBounds options (the `leaflet` crate has no type for them).
            let options = js_sys::Object::new();
            let padding = js_sys::Array::of2(&PADDING.into(), &PADDING.into());
            for (key, value) in [
                ("padding", JsValue::from(padding)),
                ("maxZoom", MAX_START_ZOOM.into()),
                ("animate", animate.into()),
            ] {
                let _ = js_sys::Reflect::set(&options, &key.into(), &value);
            }
            map.fit_bounds_with_options(bounds, &options);
        }
        None => {
            map.set_view(&LatLng::new(20.0, 0.0), WORLD_ZOOM);
        }
    }
}

/// The marker's look: whose it is and whether they are online.
fn icon(player: &MapPlayer, is_me: bool) -> Icon {
    let icon = DivIconOptions::new();
    let mut class = String::from("marker");
    if is_me {
        class.push_str(" marker-me");
    }
    if player.online {
        class.push_str(" marker-online");
    }
    icon.set_class_name(class);
    icon.set_icon_size(Point::new(18.0, 18.0));
    icon.set_icon_anchor(Point::new(9.0, 9.0));
    div_icon(&icon)
}

/// `marker.getElement()`: the icon's node, once the marker is on the map. (The `leaflet` crate
/// does not bind it.)
fn marker_node(marker: &Marker) -> Option<HtmlElement> {
    let get = js_sys::Reflect::get(marker, &"getElement".into()).ok()?;
    get.dyn_into::<js_sys::Function>()
        .ok()?
        .call0(marker)
        .ok()?
        .dyn_into::<HtmlElement>()
        .ok()
}

/// The marker's accessible name (Leaflet gives keyboard markers the button role).
fn title(player: &MapPlayer, is_me: bool) -> String {
    if is_me {
        format!("{} (you)", player.display_name)
    } else {
        player.display_name.clone()
    }
}

fn marker(player: &MapPlayer, is_me: bool) -> Marker {
    let options = MarkerOptions::new();
    options.set_icon(icon(player, is_me));
    options.set_title(title(player, is_me));
    options.set_keyboard(true);
    if is_me {
        options.set_z_index_offset(1000.0);
    }
    let marker = Marker::new_with_options(&LatLng::new(player.home.lat, player.home.lon), &options);

    let popup = Popup::new(&PopupOptions::new(), None);
    popup.set_content(&popup_content(player, is_me).into());
    marker.bind_popup(&popup);
    marker
}

fn popup_content(player: &MapPlayer, is_me: bool) -> web_sys::Element {
    let document = document();
    let root = document.create_element("div").expect("div");
    root.set_class_name("popup");
    // The name links to the player's profile.
    let name = document.create_element("a").expect("a");
    name.set_class_name("popup-name");
    name.set_attribute("href", &format!("/players/{}", player.handle))
        .ok();
    name.set_text_content(Some(&player.display_name));
    let place = document.create_element("div").expect("div");
    place.set_text_content(Some(&format!(
        "{}, {}",
        player.home.city, player.home.country
    )));
    root.append_child(&name).ok();
    if is_me {
        let you = document.create_element("span").expect("span");
        you.set_text_content(Some(" (you)"));
        root.append_child(&you).ok();
    }
    root.append_child(&place).ok();
    let state = document.create_element("div").expect("div");
    state.set_class_name(if player.online {
        "state online"
    } else {
        "state"
    });
    state.set_text_content(Some(if player.online { "Online" } else { "Offline" }));
    root.append_child(&state).ok();
    if !is_me {
        root.append_child(&say_hi(player.id)).ok();
    }
    root
}

/// "Say hi": a plain form that posts to the server function, which answers with a redirect
/// to the chat (opened, or created if there was none).
fn say_hi(player_id: i64) -> web_sys::Element {
    let document = document();
    let form = document.create_element("form").expect("form");
    form.set_class_name("say-hi");
    form.set_attribute("method", "post").ok();
    form.set_attribute("action", "/api/chat/start").ok();
    let with = document.create_element("input").expect("input");
    with.set_attribute("type", "hidden").ok();
    with.set_attribute("name", "with").ok();
    with.set_attribute("value", &player_id.to_string()).ok();
    let button = document.create_element("button").expect("button");
    button.set_attribute("type", "submit").ok();
    button.set_text_content(Some("Say hi"));
    form.append_child(&with).ok();
    form.append_child(&button).ok();
    form
}
