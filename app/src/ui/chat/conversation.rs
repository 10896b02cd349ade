//! One open conversation: its messages (newest page first, older pages on demand), the
//! composer, the other player's typing, and marking the chat read while the page is visible.
//!
//! A sent message shows at once as pending under a key the page chose; the stored copy, from
//! the server's answer or the live event, whichever comes first, replaces it, and the other
//! changes nothing. A failed send stays with its error and a retry, which reuses the key, so
//! the server stores it once however often it is tried.
//!
//! Sends leave one at a time, in the order they were typed: two requests in flight at once may
//! travel on two connections and commit in either order, and the thread shows the server's order.
//! A send unanswered after [`SEND_TIMEOUT`] is given up (its request aborted) and shows as
//! failed, so a stalled connection holds the messages behind it that long at most.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::{select, Either};

use leptos::{
    ev::SubmitEvent,
    html::{Ol, Textarea},
    prelude::*,
    task::spawn_local,
};
use leptos_router::components::A;

use super::browser;
use crate::ui::live::use_live;
use crate::ui::page::PageTitle;
use crate::ui::time::{day_of, use_local, ClockTime};
use crate::{
    api::chat::{chat_history, mark_read, send_message, typing},
    model::{rules, ChatPage, Live, Thread},
};

/// What the page holds of one chat: its thread and list, shared by the parts below.
#[derive(Clone, Copy)]
struct Chat {
    id: i64,
    me: i64,
    thread: RwSignal<Thread>,
    list: NodeRef<Ol>,
    error: RwSignal<Option<String>>,
    outbox: StoredValue<Arc<Mutex<Outbox>>>,
}

/// Messages waiting for the one in flight to be answered, as (key, body). Shared with the task
/// that sends them, which finishes the queue even if the page is left meanwhile.
#[derive(Default)]
struct Outbox {
    waiting: VecDeque<(String, String)>,
    sending: bool,
}

#[component]
pub fn Conversation(page: ChatPage, head: u64, me: i64) -> impl IntoView {
    let live = use_live();
    let chat = Chat {
        id: page.chat.chat_id,
        me,
        thread: RwSignal::new(Thread::new(page.history.messages)),
        list: NodeRef::new(),
        error: RwSignal::new(sent_without_javascript_failed()),
        outbox: StoredValue::new(Arc::default()),
    };
    let other = page.chat.other.clone();
    let other_id = other.id;
    let typing = use_typing_indicator();

    let cursor = page.cursor;
    Effect::new(move || live.connect(cursor));

    // What the live feed brings after the page was fetched.
    let seen = StoredValue::new(head);
    Effect::new(move || {
        let last = live.since(seen.get_value(), |message| match message {
            Live::Chat(summary) if summary.chat_id == chat.id => {
                if let Some(last) = &summary.last {
                    let at_end = browser::near_bottom(chat.list);
                    let added = chat
                        .thread
                        .try_update(|t| t.add([last.clone()]))
                        .unwrap_or(false);
                    if last.sender_id == other_id {
                        typing.hide();
                    }
                    if added && (at_end || last.sender_id == me) {
                        browser::scroll_to_bottom(chat.list);
                    }
                }
            }
            Live::Typing { chat_id, player_id }
                if *chat_id == chat.id && *player_id == other_id =>
            {
                typing.show()
            }
            _ => {}
        });
        seen.set_value(last);
    });
    use_mark_read(chat, page.chat.read_through);
    Effect::new(move || browser::scroll_to_bottom(chat.list));

    let name = other.display_name.clone();
    let place = other.home.as_ref().map(|h| h.label()).unwrap_or_default();
    let typing_name = name.clone();
    let title = format!("Chat with {name} · Meridian");
    let label = format!("Chat with {name}");
    view! {
        <PageTitle text=title />
        <section class="conversation" aria-label=label>
            <A href="/chats" attr:class="back-to-chats">"← All chats"</A>
            <h1>
                <A href=format!("/players/{}", other.handle)>{name}</A>
            </h1>
            <p class="chat-with-place">{place}</p>
            <Messages chat has_older=page.history.has_older />
            <div class="typing-line" aria-live="polite">
                {move || {
                    typing
                        .shown
                        .get()
                        .then(|| view! { <p class="typing">{format!("{typing_name} is typing…")}</p> })
                }}
            </div>
            {move || chat.error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Composer chat />
        </section>
    }
}

/// "… is typing" for a few seconds after each signal, hidden early when their message comes.
#[derive(Clone, Copy)]
struct TypingIndicator {
    shown: RwSignal<bool>,
    seq: StoredValue<u64>,
}

impl TypingIndicator {
    fn show(self) {
        let seq = self.seq.get_value() + 1;
        self.seq.set_value(seq);
        self.shown.set(true);
        set_timeout(
            move || {
                if self.seq.get_value() == seq {
                    self.shown.set(false);
                }
            },
            std::time::Duration::from_secs(rules::TYPING_SHOWN_SECS),
        );
    }

    fn hide(self) {
        self.seq.update_value(|n| *n += 1);
        self.shown.set(false);
    }
}

fn use_typing_indicator() -> TypingIndicator {
    TypingIndicator {
        shown: RwSignal::new(false),
        seq: StoredValue::new(0),
    }
}

/// Marks the chat read while it is open and visible: whenever a newer message from the other
/// player is here, and when the page becomes visible again.
fn use_mark_read(chat: Chat, read_through: i64) {
    let read_through = StoredValue::new(read_through);
    let mark = move || {
        if !browser::page_visible() {
            return;
        }
        let newest = chat.thread.with_untracked(|t| {
            t.stored
                .iter()
                .rev()
                .find(|m| m.sender_id != chat.me)
                .map(|m| m.id)
        });
        if let Some(newest) = newest.filter(|id| *id > read_through.get_value()) {
            read_through.set_value(newest);
            spawn_local(async move {
                let _ = mark_read(chat.id, newest).await;
            });
        }
    };
    Effect::new(move || {
        chat.thread.track();
        mark();
    });
    let visibility = window_event_listener_untyped("visibilitychange", move |_| mark());
    on_cleanup(move || visibility.remove());
}

/// Sends `body` under `key` after every message queued before it; the thread confirms or fails
/// the pending copy.
fn deliver(chat: Chat, key: String, body: String) {
    let Some(outbox) = chat.outbox.try_get_value() else {
        return;
    };
    let start = {
        let mut o = outbox.lock().unwrap_or_else(|e| e.into_inner());
        o.waiting.push_back((key, body));
        !std::mem::replace(&mut o.sending, true)
    };
    if !start {
        return;
    }
    spawn_local(async move {
        loop {
            let next = {
                let mut o = outbox.lock().unwrap_or_else(|e| e.into_inner());
                let next = o.waiting.pop_front();
                o.sending = next.is_some();
                next
            };
            let Some((key, body)) = next else { break };
            let send = send_message(chat.id, body, Some(key.clone()));
            let failed = match within(SEND_TIMEOUT, send).await {
                Some(Ok(message)) => {
                    chat.thread.try_update(|t| {
                        t.add([message]);
                    });
                    continue;
                }
                Some(Err(err)) => err.to_string(),
                None => "No answer from the server.".to_string(),
            };
            chat.thread.try_update(|t| t.fail(&key, failed));
        }
    });
}

/// How long a send may go unanswered. Given up, it may still have been stored: the live event
/// then replaces the failed copy, and a retry (same key) gets the stored message back.
const SEND_TIMEOUT: Duration = Duration::from_secs(15);

/// `future`'s output, or `None` once `limit` has passed first. The future is dropped then,
/// which aborts a server function's request.
async fn within<T>(limit: Duration, future: impl Future<Output = T>) -> Option<T> {
    let (done, timer) = futures::channel::oneshot::channel::<()>();
    set_timeout(
        move || {
            let _ = done.send(());
        },
        limit,
    );
    match select(pin!(future), timer).await {
        Either::Left((out, _)) => Some(out),
        Either::Right(_) => None,
    }
}

/// The messages, stored and pending, with "Load older" above them.
#[component]
fn Messages(chat: Chat, has_older: bool) -> impl IntoView {
    let has_older = RwSignal::new(has_older);
    let loading_older = RwSignal::new(false);
    let load_older = move |_| {
        let Some(before) = chat.thread.with_untracked(Thread::oldest) else {
            return;
        };
        loading_older.set(true);
        spawn_local(async move {
            match chat_history(chat.id, before).await {
                Ok(older) => {
                    let restore = browser::keep_position(chat.list);
                    chat.thread.update(|t| {
                        t.add(older.messages);
                    });
                    has_older.set(older.has_older);
                    restore();
                }
                Err(err) => chat.error.set(Some(err.to_string())),
            }
            loading_older.set(false);
        });
    };
    let retry = move |key: String, body: String| {
        chat.thread.update(|t| t.send(key.clone(), body.clone()));
        deliver(chat, key, body);
    };
    let me = chat.me;
    let local = use_local();
    view! {
        <ol class="messages" node_ref=chat.list aria-label="Messages">
            <Show when=move || has_older.get()>
                <li class="older">
                    <button
                        type="button"
                        class="load-older"
                        on:click=load_older
                        disabled=move || loading_older.get()
                    >
                        "Load older"
                    </button>
                </li>
            </Show>
            // Type-erased items: the nested view types would pass rustc's query depth in the
            // release build otherwise.
            <For each=move || chat.thread.read().stored.clone() key=|m| m.id let:m>
                {view! {
                    <DaySeparator chat id=m.id at=m.sent_at local />
                    <li class="message" data-id=m.id data-mine=(m.sender_id == me).to_string()>
                        <p class="body">{m.body.clone()}</p>
                        <ClockTime at=m.sent_at />
                    </li>
                }
                    .into_any()}
            </For>
            <For
                each=move || chat.thread.read().pending.clone()
                key=|p| (p.client_key.clone(), p.failed.clone())
                let:p
            >
                <li
                    class="message pending"
                    data-mine="true"
                    data-pending="true"
                    data-failed=p.failed.is_some().to_string()
                >
                    <p class="body">{p.body.clone()}</p>
                    {match p.failed.clone() {
                        Some(why) => {
                            let (key, body) = (p.client_key.clone(), p.body.clone());
                            view! {
                                <span class="send-error">{why}</span>
                                <button type="button" on:click=move |_| retry(key.clone(), body.clone())>
                                    "Retry"
                                </button>
                            }
                                .into_any()
                        }
                        None => view! { <span class="sending">"Sending…"</span> }.into_any(),
                    }}
                </li>
            </For>
        </ol>
    }
}

/// The message box: Enter sends (Shift+Enter is a new line), typing tells the other player at
/// most once per throttle interval. Without JavaScript it posts as a plain form.
///
/// What is sent is read from the box itself: text typed before the page hydrated (a split
/// page hydrates when its chunk arrives, after the header already shows "Live") never went
/// through `on:input`, and sending the draft alone sent nothing ("Message is empty.").
#[component]
fn Composer(chat: Chat) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let field = NodeRef::<Textarea>::new();
    let last_typing_sent = StoredValue::new(f64::MIN);
    let submit = move || {
        let text = field
            .get_untracked()
            .map(|box_| box_.value())
            .unwrap_or_else(|| draft.get_untracked());
        match rules::message_body(&text) {
            Err(err) => chat.error.set(Some(err.to_string())),
            Ok(body) => {
                chat.error.set(None);
                draft.set(String::new());
                if let Some(box_) = field.get_untracked() {
                    box_.set_value("");
                }
                let key = browser::new_client_key();
                chat.thread.update(|t| t.send(key.clone(), body.clone()));
                browser::scroll_to_bottom(chat.list);
                deliver(chat, key, body);
                // The next message's first keystroke tells the other player at once.
                last_typing_sent.set_value(f64::MIN);
            }
        }
    };
    let on_input = move |ev| {
        draft.set(event_target_value(&ev));
        let now = browser::now_ms();
        if now - last_typing_sent.get_value() >= (rules::TYPING_EVERY_SECS * 1000) as f64 {
            last_typing_sent.set_value(now);
            spawn_local(async move {
                let _ = typing(chat.id).await;
            });
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            submit();
        }
    };
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        submit();
    };
    view! {
        <form
            class="composer"
            aria-label="Send a message"
            method="post"
            action="/api/chat/send"
            on:submit=on_submit
        >
            <input type="hidden" name="chat_id" value=chat.id />
            <label>
                <span class="visually-hidden">"Message"</span>
                <textarea
                    node_ref=field
                    name="body"
                    rows="2"
                    placeholder="Write a message…"
                    prop:value=move || draft.get()
                    on:input=on_input
                    on:keydown=on_keydown
                ></textarea>
            </label>
            <button type="submit">"Send"</button>
        </form>
    }
}

/// The day, above the first message of each day shown ("Today", "Yesterday", a date).
#[component]
fn DaySeparator(
    chat: Chat,
    id: i64,
    at: chrono::DateTime<chrono::Utc>,
    local: ReadSignal<bool>,
) -> impl IntoView {
    let first_of_day = move || {
        let local = local.get();
        chat.thread.with(|t| {
            let at_day = day_of(at, local).0;
            match t.stored.iter().position(|m| m.id == id) {
                Some(i) if i > 0 => day_of(t.stored[i - 1].sent_at, local).0 != at_day,
                _ => true,
            }
        })
    };
    view! {
        <Show when=first_of_day>
            <li class="day">
                <span>{move || day_of(at, local.get()).1}</span>
            </li>
        </Show>
    }
    .into_any()
}

/// The error of a message posted without JavaScript, which the server answered by sending the
/// browser back here with the error in the address (`__path`, `__err`).
fn sent_without_javascript_failed() -> Option<String> {
    let query = leptos_router::hooks::use_query_map().get_untracked();
    if query.get("__path").as_deref() != Some("/api/chat/send") {
        return None;
    }
    let encoded = query.get("__err")?;
    let error =
        leptos::server_fn::error::ServerFnUrlError::<crate::error::AppError>::decode_err(&encoded);
    Some(error.to_string())
}
