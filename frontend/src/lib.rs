//! The browser entry point: hydrates the server-rendered page. `hydrate_lazy`, because pages
//! other than the map are lazy routes (`app::ui::app`; `hydrate_body` panics on one): built
//! with `--split --features split`, a page of one of them hydrates once its chunk is in.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
