//! The landing page's map, in the browser build only: the world's outlines (never tiles: the
//! circles read best on them, and a visitor costs the tile server nothing) and, at each
//! country's centre, a wide pale circle for its players active today and a green one for those
//! online now, their areas growing with the counts. A country's tooltip says both numbers.

use std::collections::HashMap;

use leaflet::{CircleMarker, CircleOptions, LatLng, LatLngBounds, Map, MapOptions, TooltipOptions};
use leptos::prelude::*;
use wasm_bindgen::{closure::Closure, prelude::wasm_bindgen, JsCast, JsValue};
use web_sys::{HtmlElement, ResizeObserver};

use crate::{
    model::{CountryActivity, WorldActivity},
    ui::map::world,
};

#[wasm_bindgen]
extern "C" {
    /// A layer, for `bindTooltip(content, options)` (the `leaflet` crate's binding of it calls
    /// a `bindTooltipWithContent` that Leaflet does not have).
    type Tooltipped;

    #[wasm_bindgen(method, js_name = bindTooltip)]
    fn bind_tooltip(this: &Tooltipped, content: &JsValue, options: &JsValue);
}

/// The part of the world framed at first: the inhabited latitudes, every longitude.
const FRAME: ((f64, f64), (f64, f64)) = ((-48.0, -170.0), (72.0, 190.0));

#[derive(Clone, Copy)]
pub struct ActivityMap {
    map: StoredValue<Map, LocalStorage>,
    circles: StoredValue<HashMap<String, Circles>, LocalStorage>,
}

struct Circles {
    active: CircleMarker,
    online: CircleMarker,
    tooltip: HtmlElement,
    /// Players active today and online now.
    counts: (i64, i64),
}

/// The circles' sizes are for a map this wide; narrower maps (a phone's) scale them down.
const FULL_WIDTH: f64 = 720.0;

impl ActivityMap {
    /// Creates the map in `element`; it is removed when the owning component goes away.
    pub fn mount(element: &HtmlElement) -> Self {
        let options = MapOptions::new();
        options.set_world_copy_jump(true);
        // The page scrolls past the map; zooming is for its buttons and pinches.
        options.set_scroll_wheel_zoom(false);
        options.set_zoom_snap(0.25);
        options.set_min_zoom(0.0);
        options.set_max_zoom(6.0);
        // Sizes are followed below, for the element rather than the window: Leaflet's own
        // window listener would re-measure first and move the view the framing compares.
        options.set_track_resize(false);
        let map = Map::new_with_element(element, &options).expect("Leaflet creates the map");
        map.set_view(&LatLng::new(20.0, 10.0), 1.0);
        let _ = element.set_attribute("data-offline", "true");
        let this = Self {
            map: StoredValue::new_local(map),
            circles: StoredValue::new_local(HashMap::new()),
        };
        let map = this.map;
        world::with_countries(move |geojson| {
            map.try_with_value(|map| world::add_outlines(map, geojson, "landing-country"));
        });

        // Frame the world once the element has a size, and again whenever the size changes
        // while the view is still the one framed here (a phone turned, a window widened); a
        // visitor who zoomed or dragged keeps their view. The view is compared before Leaflet
        // measures the new size, which moves its centre.
        let framed = StoredValue::new_local(None::<(f64, f64, f64)>);
        let on_resize = Closure::<dyn FnMut()>::new(move || {
            map.with_value(|map| {
                let untouched = framed.get_value().is_none_or(|view| view == view_of(map));
                map.invalidate_size(false);
                if untouched && map.get_size().x() > 0.0 {
                    let ((south, west), (north, east)) = FRAME;
                    // No animation: the view is in place, and can be read back, at once.
                    let options = js_sys::Object::new();
                    let _ = js_sys::Reflect::set(&options, &"animate".into(), &false.into());
                    map.fit_bounds_with_options(
                        &LatLngBounds::new(&LatLng::new(south, west), &LatLng::new(north, east)),
                        &options,
                    );
                    framed.set_value(Some(view_of(map)));
                }
            });
            this.resize_circles();
        });
        let observer = ResizeObserver::new(on_resize.as_ref().unchecked_ref()).ok();
        if let Some(observer) = &observer {
            observer.observe(element);
        }
        let observer = StoredValue::new_local((observer, on_resize));
        on_cleanup(move || {
            observer.with_value(|(observer, _)| {
                if let Some(observer) = observer {
                    observer.disconnect();
                }
            });
            map.with_value(|map| {
                map.remove();
            });
        });
        this
    }

    /// Shows `world`: circles move to the new counts, new countries get theirs, countries no
    /// one is in any more lose them.
    pub fn show(&self, world: &WorldActivity) {
        let map = self.map;
        self.circles.update_value(|circles| {
            circles.retain(|code, c| {
                let kept = world.countries.iter().any(|w| &w.code == code);
                if !kept {
                    c.active.remove();
                    c.online.remove();
                }
                kept
            });
            let scale = map.with_value(scale);
            for country in &world.countries {
                let c = circles
                    .entry(country.code.clone())
                    .or_insert_with(|| map.with_value(|map| Circles::new(map, country)));
                c.counts = (country.active_today, country.online);
                c.size(scale);
                c.tooltip.set_text_content(Some(&summary(country)));
            }
            // Online circles above every pale one, whatever order countries came in.
            for c in circles.values() {
                c.online.bring_to_front();
            }
        });
    }

    /// Sizes the circles for the map's width now.
    fn resize_circles(&self) {
        let scale = self.map.with_value(scale);
        self.circles.with_value(|circles| {
            for c in circles.values() {
                c.size(scale);
            }
        });
    }
}

/// Where the map looks: its centre's latitude and longitude, and its zoom.
fn view_of(map: &Map) -> (f64, f64, f64) {
    let center = map.get_center();
    (center.lat(), center.lng(), map.get_zoom())
}

/// How much smaller than on a full-width map circles are drawn on this one.
fn scale(map: &Map) -> f64 {
    (map.get_size().x() / FULL_WIDTH).clamp(0.45, 1.0)
}

impl Circles {
    /// Radii for the counts, `scale` times the full-width ones; a circle with no one hides.
    fn size(&self, scale: f64) {
        let (active, online) = self.counts;
        for (circle, radius) in [
            (&self.active, active_radius(active)),
            (&self.online, online_radius(online)),
        ] {
            circle.set_radius(radius * scale);
            mark(circle, "data-empty", (radius == 0.0).then_some("true"));
        }
    }

    fn new(map: &Map, country: &CountryActivity) -> Self {
        let at = LatLng::new(country.lat, country.lon);
        let document = document();
        let tooltip: HtmlElement = document
            .create_element("span")
            .expect("span")
            .unchecked_into();
        let circle = |class: &str| {
            let options = CircleOptions::new();
            options.set_class_name(format!("activity {class}"));
            options.set_weight(1.5);
            options.set_bubbling_mouse_events(true);
            let circle = CircleMarker::new_with_options(&at, &JsValue::from(options));
            // The tooltip's content is a text node: a name is never parsed as HTML.
            let tip = TooltipOptions::new();
            tip.set_direction("top".into());
            circle
                .unchecked_ref::<Tooltipped>()
                .bind_tooltip(&tooltip, &JsValue::from(tip));
            circle.add_to(map);
            circle
        };
        let active = circle("activity-active");
        let online = circle("activity-online");
        for c in [&active, &online] {
            mark(c, "data-country", Some(&country.code));
        }
        Self {
            active,
            online,
            tooltip,
            counts: (0, 0),
        }
    }
}

/// Sets an attribute on a circle's SVG path (there once the circle is on the map), for
/// styles and tests: which country, and whether it has no one to show (`data-empty`).
fn mark(circle: &CircleMarker, name: &str, value: Option<&str>) {
    let path = js_sys::Reflect::get(circle, &"_path".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Element>().ok());
    if let Some(path) = path {
        let _ = match value {
            Some(value) => path.set_attribute(name, value),
            None => path.remove_attribute(name),
        };
    }
}

/// Circles' areas grow with the count (radius with its square root), within reason.
fn online_radius(n: i64) -> f64 {
    if n <= 0 {
        0.0
    } else {
        (4.0 + 4.0 * (n as f64).sqrt()).min(28.0)
    }
}

fn active_radius(n: i64) -> f64 {
    if n <= 0 {
        0.0
    } else {
        (7.0 + 5.0 * (n as f64).sqrt()).min(38.0)
    }
}

fn summary(c: &CountryActivity) -> String {
    format!(
        "{}: {} online, {} active today",
        c.name, c.online, c.active_today
    )
}
