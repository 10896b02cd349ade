//! The world without tiles: Natural Earth's country outlines (the `world-atlas` package, 1:110m,
//! TopoJSON), served by our own server from `/world`, turned into GeoJSON in the browser by
//! `topojson-client` and drawn by Leaflet in a pane of their own under every marker and circle.
//! Browser build only. The outlines are fetched once per page load, and only when a map needs
//! them (no tiles configured, or tiles failing): a map whose tiles load never downloads them.

use std::cell::RefCell;

use js_sys::{Array, Function, Promise, Reflect};
use leaflet::{GeoJson, Map, PathOptions};
use wasm_bindgen::{closure::Closure, prelude::wasm_bindgen, JsCast, JsValue};

use super::antimeridian::mend_ring;

/// The TopoJSON, as the package ships it (108 KB; 38 KB gzipped).
const TOPOLOGY: &str = "/world/countries-110m.json";
/// topojson-client's UMD build (7 KB): defines the global `topojson`.
const CLIENT: &str = "/world/topojson-client.min.js";
/// The pane the outlines draw in: above tiles (200), below overlays (400) and markers (600),
/// so circles and markers drawn before the outlines arrive stay on top.
const PANE: &str = "world";

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn fetch(url: &str) -> Promise;

    /// A promise whose `then` takes plain functions (the `js_sys` binding takes a `Closure`
    /// the caller must keep alive; these are one-shot and free themselves).
    type Thenable;

    #[wasm_bindgen(method, js_name = then)]
    fn and_then(this: &Thenable, on_fulfilled: &Function) -> Promise;

    #[wasm_bindgen(method, js_name = then)]
    fn and_then_or(this: &Thenable, on_fulfilled: &Function, on_rejected: &Function) -> Promise;

    /// `L.geoJSON(data, options)` (the `leaflet` crate binds the type, not the factory).
    #[wasm_bindgen(js_namespace = L, js_name = geoJSON)]
    fn geo_json(data: &JsValue, options: &JsValue) -> GeoJson;

    /// `topojson.feature(topology, object)`: a GeoJSON FeatureCollection.
    #[wasm_bindgen(js_namespace = topojson, js_name = feature)]
    fn topo_feature(topology: &JsValue, object: &JsValue) -> JsValue;
}

thread_local! {
    /// The countries as GeoJSON, once asked for: every map on the page shares one download.
    static COUNTRIES: RefCell<Option<Promise>> = const { RefCell::new(None) };
}

/// A one-shot JavaScript callback (freed once called).
fn once(f: impl FnOnce(JsValue) -> JsValue + 'static) -> Function {
    Closure::once_into_js(f).unchecked_into()
}

fn thenable(promise: &Promise) -> &Thenable {
    promise.unchecked_ref()
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Loads a script once: resolves when it has run.
fn load_script(src: &'static str) -> Promise {
    if !get(&js_sys::global(), "topojson").is_undefined() {
        return Promise::resolve(&JsValue::UNDEFINED);
    }
    Promise::new(&mut |resolve, reject| {
        let document = leptos::prelude::document();
        let Ok(script) = document.create_element("script") else {
            let _ = reject.call1(&JsValue::NULL, &"no script element".into());
            return;
        };
        let _ = script.set_attribute("src", src);
        let _ = Reflect::set(&script, &"onload".into(), &resolve);
        let _ = Reflect::set(&script, &"onerror".into(), &reject);
        if let Some(body) = document.body() {
            let _ = body.append_child(&script);
        }
    })
}

/// The countries as a GeoJSON FeatureCollection.
fn countries() -> Promise {
    if let Some(ready) = COUNTRIES.with(|c| c.borrow().clone()) {
        return ready;
    }
    let topology = thenable(&fetch(TOPOLOGY)).and_then(&once(|response| {
        if get(&response, "ok").as_bool() == Some(true) {
            Reflect::get(&response, &"json".into())
                .ok()
                .and_then(|json| json.dyn_into::<Function>().ok())
                .and_then(|json| json.call0(&response).ok())
                .unwrap_or(JsValue::UNDEFINED)
        } else {
            Promise::reject(&"the world's outlines did not load".into()).into()
        }
    }));
    let both = Promise::all(&Array::of2(&load_script(CLIENT), &topology));
    let geojson = thenable(&both).and_then(&once(|both| {
        let topology = both.unchecked_into::<Array>().get(1);
        let object = get(&get(&topology, "objects"), "countries");
        let countries = topo_feature(&topology, &object);
        mend_antimeridian(&countries);
        countries
    }));
    COUNTRIES.with(|c| *c.borrow_mut() = Some(geojson.clone()));
    geojson
}

/// Mends every ring that crosses the antimeridian (see `antimeridian`), in place.
fn mend_antimeridian(collection: &JsValue) {
    // The arrays themselves, not copies (`Array::from` would copy): the points change in place.
    let array = |value: JsValue| value.unchecked_into::<Array>();
    for feature in array(get(collection, "features")).iter() {
        let geometry = get(&feature, "geometry");
        let coordinates = array(get(&geometry, "coordinates"));
        let polygons: Vec<Array> = match get(&geometry, "type").as_string().as_deref() {
            Some("Polygon") => vec![coordinates],
            Some("MultiPolygon") => coordinates.iter().map(array).collect(),
            _ => continue,
        };
        for ring in polygons.iter().flat_map(|p| p.iter()) {
            let points: Vec<Array> = array(ring).iter().map(array).collect();
            let mut lons: Vec<f64> = points
                .iter()
                .map(|p| p.get(0).as_f64().unwrap_or_default())
                .collect();
            if mend_ring(&mut lons) {
                for (point, lon) in points.iter().zip(lons) {
                    point.set(0, lon.into());
                }
            }
        }
    }
}

/// Calls `draw` with the countries as GeoJSON once they are here; a failed load is logged
/// and forgotten, so the next map asks again.
pub fn with_countries(draw: impl FnOnce(&JsValue) + 'static) {
    let failed = once(|error| {
        COUNTRIES.with(|c| *c.borrow_mut() = None);
        leptos::logging::warn!("world outlines: {error:?}");
        JsValue::UNDEFINED
    });
    let _ = thenable(&countries()).and_then_or(
        &once(move |geojson| {
            draw(&geojson);
            JsValue::UNDEFINED
        }),
        &failed,
    );
}

/// The outlines as a Leaflet layer on `map`, each country a `path.world-country` (styled in
/// `style/main.css`; `class` adds a class of the page's own), not interactive.
pub fn add_outlines(map: &Map, geojson: &JsValue, class: &str) -> GeoJson {
    if map.get_pane_by_name(PANE).is_undefined() {
        // A new pane has no z-index of its own: without one it would cover the overlays.
        let _ = map
            .create_pane_by_name(PANE)
            .set_attribute("style", "z-index: 350");
    }
    let options = PathOptions::new();
    options.set_pane(PANE.into());
    options.set_interactive(false);
    options.set_class_name(format!("world-country {class}"));
    options.set_color("#9fb3c2".into());
    options.set_weight(0.7);
    options.set_fill_color("#f7f5ef".into());
    options.set_fill_opacity(1.0);
    let layer = geo_json(geojson, &options);
    layer.add_to(map);
    layer
}
