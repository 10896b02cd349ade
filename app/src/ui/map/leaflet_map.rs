//! Draws the map with Leaflet (the global `L` from `public/leaflet`), in the browser build only.
//! Popups are built as DOM nodes with text content: a display name is never parsed as HTML.

use leaflet::{
    DivIcon, DivIconOptions, LatLng, Map, MapOptions, Marker, MarkerOptions, Point, Popup,
    PopupOptions, TileLayer, TileLayerOptions,
};
use leptos::prelude::*;
use web_sys::HtmlElement;

use crate::model::{MapPlayer, MapView};

/// Zoom that shows the whole world, and the one that shows a player's region.
const WORLD_ZOOM: f64 = 2.0;
const HOME_ZOOM: f64 = 5.0;

/// Creates the map in `element` and removes it when the owning component goes away.
pub fn mount(element: &HtmlElement, data: &MapView, me_id: i64) {
    let options = MapOptions::new();
    options.set_world_copy_jump(true);
    let Ok(map) = Map::new_with_element(element, &options) else {
        leptos::logging::error!("Leaflet could not create the map");
        return;
    };
    let centre = data
        .players
        .iter()
        .find(|p| p.id == me_id)
        .map(|p| (LatLng::new(p.home.lat, p.home.lon), HOME_ZOOM))
        .unwrap_or_else(|| (LatLng::new(20.0, 0.0), WORLD_ZOOM));
    map.set_view(&centre.0, centre.1);

    if !data.tile_url.is_empty() {
        let tiles = TileLayerOptions::new();
        tiles.set_attribution(data.tile_attribution.clone());
        tiles.set_max_zoom(18.0);
        TileLayer::new_options(&data.tile_url, &tiles).add_to(&map);
    }

    for player in &data.players {
        marker(player, player.id == me_id).add_to(&map);
    }
    element.set_attribute("data-ready", "true").ok();

    let map = StoredValue::new_local(map);
    on_cleanup(move || {
        map.with_value(|map| {
            map.remove();
        })
    });
}

fn marker(player: &MapPlayer, is_me: bool) -> Marker {
    let icon = DivIconOptions::new();
    icon.set_class_name(if is_me { "marker marker-me" } else { "marker" }.into());
    icon.set_icon_size(Point::new(18.0, 18.0));
    icon.set_icon_anchor(Point::new(9.0, 9.0));
    let options = MarkerOptions::new();
    options.set_icon(DivIcon::new(&icon).into());
    let title = if is_me {
        format!("{} (you)", player.display_name)
    } else {
        player.display_name.clone()
    };
    options.set_title(title);
    options.set_keyboard(true);
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
    let name = document.create_element("strong").expect("strong");
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
    root
}
