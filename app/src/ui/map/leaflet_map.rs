//! Draws the map with Leaflet (the global `L` from `public/leaflet`), in the browser build only:
//! the clusters and players of the view the server sent (`MapSlice`), updated in place by key
//! (a cluster's cell, a player's id) when a new answer comes, and players who share a city's
//! spot fanned out around it from street level on (their position stays the city centre).
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
use crate::model::{
    map::{grouped, MAX_ZOOM, STREET_ZOOM},
    Bounds, Cluster, MapPlayer, MapSlice, MapView, Viewport,
};

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

/// Room between the markers of players fanned out around one spot, in pixels.
const FAN_SPACING: f64 = 13.0;

/// A player's marker and what it was drawn from (the fan-out redraws it).
struct Shown {
    marker: Marker,
    player: MapPlayer,
    /// Its offset from the spot, in pixels, when fanned out.
    offset: (f64, f64),
}

/// A cluster's marker, what it was drawn from, and its click handler (dropped with it).
struct ClusterShown {
    marker: Marker,
    cluster: Cluster,
    _open: Closure<dyn FnMut()>,
}

/// A mounted map and its markers: players by id, clusters by key. Copy: it only holds handles.
#[derive(Clone, Copy)]
pub struct LiveMap {
    map: StoredValue<Map, LocalStorage>,
    markers: StoredValue<HashMap<i64, Shown>, LocalStorage>,
    clusters: StoredValue<HashMap<String, ClusterShown>, LocalStorage>,
    /// The bounds of every home, grown by live joins: what "Show everyone" frames.
    everyone: StoredValue<Option<Bounds>>,
    me_id: i64,
}

impl LiveMap {
    /// Creates the map in `element`; it is removed when the owning component goes away.
    /// `on_moved` runs whenever the view settles (after a pan, a zoom or a flight).
    pub fn mount(
        element: &HtmlElement,
        data: &MapView,
        me_id: i64,
        on_moved: Callback<()>,
    ) -> Self {
        let options = MapOptions::new();
        options.set_world_copy_jump(true);
        options.set_max_zoom(f64::from(MAX_ZOOM));
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
            clusters: StoredValue::new_local(HashMap::new()),
            everyone: StoredValue::new(data.everyone),
            me_id,
        };
        // The snapshot's players now; its clusters once the map is framed, and only if it is
        // framed at their zoom (cells of another zoom would overlap or gape until the page's
        // own view arrives).
        live.apply(&MapSlice {
            clusters: Vec::new(),
            ..data.slice.clone()
        });
        let snapshot = StoredValue::new_local(Some(data.slice.clone()));
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
        let moved = Closure::<dyn FnMut()>::new(move || {
            live.fan_out();
            on_moved.run(());
        });
        live.map.with_value(|map| {
            map.on("zoomend", settled.as_ref());
            map.on("moveend", moved.as_ref());
        });

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
                let zoom = map.with_value(|map| map.get_zoom());
                if let Some(slice) = snapshot.try_update_value(Option::take).flatten() {
                    if zoom == f64::from(slice.zoom) {
                        live.apply(&slice);
                    }
                }
            }
        });
        let observer = ResizeObserver::new(on_resize.as_ref().unchecked_ref()).ok();
        if let Some(observer) = &observer {
            observer.observe(element);
        }
        let observer = StoredValue::new_local((observer, on_resize, settled, moved));
        on_cleanup(move || {
            observer.with_value(|(observer, _, _, _)| {
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

    /// Frames every player's home, no closer than a region; the whole world when there is
    /// none. `animate` glides there (the "Show everyone" button); the first framing jumps.
    pub fn show_everyone(&self, animate: bool) {
        let bounds = self.everyone.get_value().map(|b| {
            LatLngBounds::new(&LatLng::new(b.south, b.west), &LatLng::new(b.north, b.east))
        });
        self.map
            .with_value(|map| frame(map, bounds.as_ref(), animate));
    }

    /// A home that "Show everyone" must now include (a player joined or moved).
    pub fn include(&self, lat: f64, lon: f64) {
        self.everyone.update_value(|everyone| match everyone {
            Some(bounds) => bounds.extend(lat, lon),
            None => *everyone = Some(Bounds::point(lat, lon)),
        });
    }

    /// What the map shows now, as the server takes it: longitudes within ±180 (`west` east of
    /// `east` across the antimeridian), the whole width once the view is wider than the world.
    pub fn viewport(&self) -> Viewport {
        self.map.with_value(|map| {
            let bounds = map.get_bounds();
            let (sw, ne) = (bounds.get_south_west(), bounds.get_north_east());
            let zoom = map.get_zoom().round().clamp(0.0, f64::from(MAX_ZOOM)) as u8;
            let (south, north) = (sw.lat().clamp(-90.0, 90.0), ne.lat().clamp(-90.0, 90.0));
            let span = ne.lng() - sw.lng();
            let (west, east) = if span >= 360.0 {
                (-180.0, 180.0)
            } else {
                let west = (sw.lng() + 180.0).rem_euclid(360.0) - 180.0;
                let east = west + span;
                (west, if east > 180.0 { east - 360.0 } else { east })
            };
            Viewport {
                bounds: Bounds {
                    south,
                    west,
                    north,
                    east,
                },
                zoom,
            }
        })
    }

    /// Shows a new answer for the view: markers it no longer holds go, the others are added or
    /// updated in place by key.
    pub fn apply(&self, slice: &MapSlice) {
        let keep: std::collections::HashSet<i64> = slice.players.iter().map(|p| p.id).collect();
        self.markers.update_value(|markers| {
            markers.retain(|id, shown| {
                let kept = keep.contains(id);
                if !kept {
                    shown.marker.remove();
                }
                kept
            });
        });
        for player in &slice.players {
            self.upsert(player);
        }
        let keys: std::collections::HashSet<&str> =
            slice.clusters.iter().map(|c| c.key.as_str()).collect();
        self.clusters.update_value(|clusters| {
            clusters.retain(|key, shown| {
                let kept = keys.contains(key.as_str());
                if !kept {
                    shown.marker.remove();
                }
                kept
            });
        });
        for cluster in &slice.clusters {
            self.upsert_cluster(cluster);
        }
        self.fan_out();
    }

    fn upsert_cluster(&self, cluster: &Cluster) {
        let known = self.clusters.with_value(|clusters| {
            clusters
                .get(&cluster.key)
                .map(|shown| (shown.marker.clone(), shown.cluster == *cluster))
        });
        match known {
            Some((_, true)) => {}
            Some((marker, false)) => {
                marker.set_lat_lng(&LatLng::new(cluster.lat, cluster.lon));
                marker.set_icon(&cluster_icon(cluster));
                if let Some(node) = marker_node(&marker) {
                    label_cluster(&node, cluster);
                }
                self.clusters.update_value(|clusters| {
                    if let Some(shown) = clusters.get_mut(&cluster.key) {
                        shown.cluster = cluster.clone();
                    }
                });
            }
            None => {
                let options = MarkerOptions::new();
                options.set_icon(cluster_icon(cluster));
                options.set_title(cluster_title(cluster));
                options.set_keyboard(true);
                let marker =
                    Marker::new_with_options(&LatLng::new(cluster.lat, cluster.lon), &options);
                // Clicking (or Enter) frames its players: the cell opens into smaller ones.
                let map = self.map;
                let bounds = cluster.bounds;
                let open = Closure::<dyn FnMut()>::new(move || {
                    map.with_value(|map| open_cluster(map, &bounds));
                });
                marker.on("click", open.as_ref());
                self.map.with_value(|map| {
                    marker.add_to(map);
                });
                if let Some(node) = marker_node(&marker) {
                    label_cluster(&node, cluster);
                }
                self.clusters.update_value(|clusters| {
                    clusters.insert(
                        cluster.key.clone(),
                        ClusterShown {
                            marker,
                            cluster: cluster.clone(),
                            _open: open,
                        },
                    );
                });
            }
        }
    }

    /// From street level on, players who share a spot are drawn around it (a sunflower, the
    /// lowest id at the centre) so each can be clicked; further out they sit on the spot.
    fn fan_out(&self) {
        let fanned = self.map.with_value(|map| map.get_zoom()) >= f64::from(STREET_ZOOM);
        let mut spots: HashMap<(u64, u64), Vec<i64>> = HashMap::new();
        self.markers.with_value(|markers| {
            for (id, shown) in markers {
                let spot = (
                    shown.player.home.lat.to_bits(),
                    shown.player.home.lon.to_bits(),
                );
                spots.entry(spot).or_default().push(*id);
            }
        });
        let me_id = self.me_id;
        self.markers.update_value(|markers| {
            for ids in spots.values_mut() {
                ids.sort_unstable();
                for (i, id) in ids.iter().enumerate() {
                    let offset = if fanned && ids.len() > 1 {
                        fan_offset(i)
                    } else {
                        (0.0, 0.0)
                    };
                    if let Some(shown) = markers.get_mut(id) {
                        if shown.offset != offset {
                            shown.offset = offset;
                            shown.marker.set_icon(&icon(
                                &shown.player,
                                shown.player.id == me_id,
                                offset,
                            ));
                            if let Some(node) = marker_node(&shown.marker) {
                                node.set_title(&title(&shown.player, shown.player.id == me_id));
                            }
                        }
                    }
                }
            }
        });
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
        let known = self.markers.with_value(|markers| {
            markers
                .get(&player.id)
                .map(|s| (s.marker.clone(), s.player.clone(), s.offset))
        });
        match known {
            Some((_, was, _)) if was == *player => {}
            Some((marker, was, offset)) => {
                // A move leaves the fan; `fan_out` places it again.
                let offset = if was.home == player.home {
                    offset
                } else {
                    (0.0, 0.0)
                };
                // A div icon reuses its node, so the marker (and its focus) survives
                // `setIcon`; Leaflet only titles new nodes, so the title is set here.
                marker.set_lat_lng(&LatLng::new(player.home.lat, player.home.lon));
                marker.set_icon(&icon(player, is_me, offset));
                if let Some(node) = marker_node(&marker) {
                    node.set_title(&title(player, is_me));
                }
                marker.set_popup_content(&popup_content(player, is_me).into());
                self.markers.update_value(|markers| {
                    markers.insert(
                        player.id,
                        Shown {
                            marker,
                            player: player.clone(),
                            offset,
                        },
                    );
                });
            }
            None => {
                let marker = marker(player, is_me);
                self.map.with_value(|map| {
                    marker.add_to(map);
                });
                self.markers.update_value(|markers| {
                    markers.insert(
                        player.id,
                        Shown {
                            marker,
                            player: player.clone(),
                            offset: (0.0, 0.0),
                        },
                    );
                });
            }
        }
    }
}

/// The `i`-th place of a fan around a spot, in pixels: a sunflower (golden-angle spiral),
/// which packs any number of markers evenly without overlap.
fn fan_offset(i: usize) -> (f64, f64) {
    if i == 0 {
        return (0.0, 0.0);
    }
    let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
    let r = FAN_SPACING * (i as f64 + 0.5).sqrt();
    let a = i as f64 * golden;
    // JavaScript's sine and cosine: Rust's own would bring libm's (about 8 KB) into the first
    // module for this alone.
    let (cos, sin) = (js_sys::Math::cos(a), js_sys::Math::sin(a));
    ((r * cos).round(), (r * sin).round())
}

/// Frames a cluster's homes, no closer than street level (where its players stand alone).
fn open_cluster(map: &Map, bounds: &Bounds) {
    let options = js_sys::Object::new();
    let padding = js_sys::Array::of2(&PADDING.into(), &PADDING.into());
    let zoom = (map.get_zoom() + 1.0).max(f64::from(STREET_ZOOM));
    for (key, value) in [
        ("padding", JsValue::from(padding)),
        ("maxZoom", zoom.into()),
    ] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value);
    }
    let bounds = LatLngBounds::new(
        &LatLng::new(bounds.south, bounds.west),
        &LatLng::new(bounds.north, bounds.east),
    );
    map.fit_bounds_with_options(&bounds, &options);
}

/// "128 players, 12 online": a cluster's accessible name (and tooltip).
fn cluster_title(cluster: &Cluster) -> String {
    format!(
        "{} players here, {} online. Zoom in",
        grouped(cluster.players),
        grouped(cluster.online)
    )
}

/// Names a cluster's node by its counts: its visible text (the numbers alone) would otherwise
/// be its accessible name.
fn label_cluster(node: &HtmlElement, cluster: &Cluster) {
    let name = cluster_title(cluster);
    node.set_title(&name);
    let _ = node.set_attribute("aria-label", &name);
}

/// A cluster's look: a disc sized by its count (drawn in steps, so one more player does not
/// resize it), the count inside and, when any are online, their number on a green badge.
fn cluster_icon(cluster: &Cluster) -> Icon {
    let size = match cluster.players {
        ..=9 => 34.0,
        10..=99 => 40.0,
        100..=999 => 48.0,
        _ => 56.0,
    };
    let icon = DivIconOptions::new();
    let mut class = String::from("cluster");
    if cluster.online > 0 {
        class.push_str(" cluster-has-online");
    }
    icon.set_class_name(class);
    // Numbers only: nothing a player wrote goes into this HTML.
    let mut html = format!(
        r#"<span class="cluster-count">{}</span>"#,
        short_count(cluster.players)
    );
    if cluster.online > 0 {
        html.push_str(&format!(
            r#"<span class="cluster-online">{}</span>"#,
            short_count(cluster.online)
        ));
    }
    icon.set_html(html);
    icon.set_icon_size(Point::new(size, size));
    icon.set_icon_anchor(Point::new(size / 2.0, size / 2.0));
    div_icon(&icon)
}

/// 1234 → "1.2k", 56789 → "57k": what fits a cluster's disc.
fn short_count(n: i64) -> String {
    match n {
        ..=999 => n.to_string(),
        1000..=9999 => format!("{:.1}k", n as f64 / 1000.0),
        _ => format!("{}k", (n as f64 / 1000.0).round()),
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

/// The marker's look: whose it is and whether they are online, `offset` pixels from its spot
/// (fanned out); its popup opens over it.
fn icon(player: &MapPlayer, is_me: bool, offset: (f64, f64)) -> Icon {
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
    icon.set_icon_anchor(Point::new(9.0 - offset.0, 9.0 - offset.1));
    icon.set_popup_anchor(Point::new(offset.0, offset.1));
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
    options.set_icon(icon(player, is_me, (0.0, 0.0)));
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
