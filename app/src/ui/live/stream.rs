//! The browser's `EventSource`, in the browser build only. It reconnects by itself after a
//! dropped connection, sending `Last-Event-ID`; when it gives up (the server answered with an
//! error), this reopens it from the last id after a pause.

use std::cell::RefCell;

use leptos::prelude::*;
use wasm_bindgen::{closure::Closure, JsCast};
use web_sys::{EventSource, MessageEvent};

use super::{Connection, LiveFeed};
use crate::{model::Live, ui::loaded::read};

const RETRY_MS: i32 = 3000;

struct Open {
    source: EventSource,
    _handlers: [Closure<dyn FnMut(web_sys::Event)>; 3],
}

thread_local! {
    static OPEN: RefCell<Option<Open>> = const { RefCell::new(None) };
    static LAST_ID: RefCell<i64> = const { RefCell::new(0) };
}

pub fn open(feed: LiveFeed, after: i64) {
    LAST_ID.with(|last| *last.borrow_mut() = after);
    start(feed);
}

fn start(feed: LiveFeed) {
    close();
    let after = LAST_ID.with(|last| *last.borrow());
    let path = if feed.is_public() {
        "/events/public"
    } else {
        "/events"
    };
    let Ok(source) = EventSource::new(&format!("{path}?after={after}")) else {
        feed.connection.set(Connection::Reconnecting);
        return;
    };
    let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        feed.connection.set(Connection::Live);
    });
    let on_message = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
        let Ok(message) = event.dyn_into::<MessageEvent>() else {
            return;
        };
        if let Ok(id) = message.last_event_id().parse::<i64>() {
            LAST_ID.with(|last| *last.borrow_mut() = id);
        }
        let Some(text) = message.data().as_string() else {
            return;
        };
        // A kind this page does not know yet has nothing to apply.
        if let Ok(live) = read::<Live>(&text) {
            feed.push(live);
        }
    });
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        let closed = OPEN.with(|open| {
            open.borrow()
                .as_ref()
                .is_some_and(|o| o.source.ready_state() == EventSource::CLOSED)
        });
        feed.connection.set(Connection::Reconnecting);
        if closed {
            set_timeout(
                move || {
                    if feed.connection.get_untracked() == Connection::Reconnecting {
                        start(feed);
                    }
                },
                std::time::Duration::from_millis(RETRY_MS as u64),
            );
        }
    });
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    OPEN.with(|open| {
        *open.borrow_mut() = Some(Open {
            source,
            _handlers: [on_open, on_message, on_error],
        })
    });
}

pub fn close() {
    OPEN.with(|open| {
        if let Some(open) = open.borrow_mut().take() {
            open.source.close();
        }
    });
}
