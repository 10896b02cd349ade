//! One open conversation: its messages (newest page first, older pages on demand), the
//! composer, the other player's typing, and marking the chat read while the page is visible.
//!
//! A sent message shows at once as pending under a key the page chose; the stored copy, from
//! the server's answer or the live event, whichever comes first, replaces it, and the other
//! changes nothing. A failed send stays with its error and a retry, which reuses the key, so
//! the server stores it once however often it is tried.

use leptos::{ev::SubmitEvent, html::Ol, prelude::*, task::spawn_local};
use leptos_router::components::A;

use super::browser;
use crate::ui::live::use_live;
use crate::ui::page::PageTitle;
use crate::{
    api::chat::{chat_history, mark_read, send_message, typing},
    model::{rules, ChatPage, Live, Thread},
};

#[component]
pub fn Conversation(page: ChatPage, head: u64, me: i64) -> impl IntoView {
    let live = use_live();
    let chat_id = page.chat.chat_id;
    let other = page.chat.other.clone();
    let other_id = other.id;
    let thread = RwSignal::new(Thread::new(page.history.messages));
    let has_older = RwSignal::new(page.history.has_older);
    let loading_older = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let draft = RwSignal::new(String::new());
    let typing_shown = RwSignal::new(false);
    let typing_seq = StoredValue::new(0u64);
    let last_typing_sent = StoredValue::new(f64::MIN);
    let read_through = StoredValue::new(page.chat.read_through);
    let list = NodeRef::<Ol>::new();

    let cursor = page.cursor;
    Effect::new(move || live.connect(cursor));

    let hide_typing_later = move || {
        let seq = typing_seq.get_value() + 1;
        typing_seq.set_value(seq);
        typing_shown.set(true);
        set_timeout(
            move || {
                if typing_seq.get_value() == seq {
                    typing_shown.set(false);
                }
            },
            std::time::Duration::from_secs(rules::TYPING_SHOWN_SECS),
        );
    };

    // What the live feed brings after the page was fetched.
    let seen = StoredValue::new(head);
    Effect::new(move || {
        let last = live.since(seen.get_value(), |message| match message {
            Live::Chat(chat) if chat.chat_id == chat_id => {
                if let Some(last) = &chat.last {
                    let at_end = browser::near_bottom(list);
                    let added = thread
                        .try_update(|t| t.add([last.clone()]))
                        .unwrap_or(false);
                    if last.sender_id == other_id {
                        typing_seq.update_value(|n| *n += 1);
                        typing_shown.set(false);
                    }
                    if added && (at_end || last.sender_id == me) {
                        browser::scroll_to_bottom(list);
                    }
                }
            }
            Live::Typing {
                chat_id: c,
                player_id,
            } if *c == chat_id && *player_id == other_id => hide_typing_later(),
            _ => {}
        });
        seen.set_value(last);
    });

    // Read while open and visible: whenever a newer message from the other player is here,
    // and when the page becomes visible again.
    let mark = move || {
        if !browser::page_visible() {
            return;
        }
        let newest = thread.with_untracked(|t| {
            t.stored
                .iter()
                .rev()
                .find(|m| m.sender_id != me)
                .map(|m| m.id)
        });
        if let Some(newest) = newest.filter(|id| *id > read_through.get_value()) {
            read_through.set_value(newest);
            spawn_local(async move {
                let _ = mark_read(chat_id, newest).await;
            });
        }
    };
    Effect::new(move || {
        thread.track();
        mark();
    });
    let visibility = window_event_listener_untyped("visibilitychange", move |_| mark());
    on_cleanup(move || visibility.remove());
    Effect::new(move || browser::scroll_to_bottom(list));

    let deliver = move |key: String, body: String| {
        spawn_local(async move {
            match send_message(chat_id, body, Some(key.clone())).await {
                Ok(message) => {
                    thread.update(|t| {
                        t.add([message]);
                    });
                }
                Err(err) => thread.update(|t| t.fail(&key, err.to_string())),
            }
        });
    };
    let submit = move || {
        let text = draft.get_untracked();
        match rules::message_body(&text) {
            Err(err) => error.set(Some(err.to_string())),
            Ok(body) => {
                error.set(None);
                draft.set(String::new());
                let key = browser::new_client_key();
                thread.update(|t| t.send(key.clone(), body.clone()));
                browser::scroll_to_bottom(list);
                deliver(key, body);
            }
        }
    };
    let retry = move |key: String, body: String| {
        thread.update(|t| t.send(key.clone(), body.clone()));
        deliver(key, body);
    };
    let on_input = move |ev| {
        draft.set(event_target_value(&ev));
        let now = browser::now_ms();
        if now - last_typing_sent.get_value() >= (rules::TYPING_EVERY_SECS * 1000) as f64 {
            last_typing_sent.set_value(now);
            spawn_local(async move {
                let _ = typing(chat_id).await;
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
    let load_older = move |_| {
        let Some(before) = thread.with_untracked(Thread::oldest) else {
            return;
        };
        loading_older.set(true);
        spawn_local(async move {
            match chat_history(chat_id, before).await {
                Ok(older) => {
                    let restore = browser::keep_position(list);
                    thread.update(|t| {
                        t.add(older.messages);
                    });
                    has_older.set(older.has_older);
                    restore();
                }
                Err(err) => error.set(Some(err.to_string())),
            }
            loading_older.set(false);
        });
    };

    let name = other.display_name.clone();
    let place = other.home.as_ref().map(|h| h.label()).unwrap_or_default();
    let typing_name = name.clone();
    let heading = name.clone();
    view! {
        <PageTitle text=format!("Chat with {name} · Meridian") />
        <section class="conversation" aria-label=format!("Chat with {name}")>
            <h1>
                <A href=format!("/players/{}", other.handle)>{heading}</A>
            </h1>
            <p class="chat-with-place">{place}</p>
            <ol class="messages" node_ref=list aria-label="Messages">
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
                <For each=move || thread.read().stored.clone() key=|m| m.id let:m>
                    <li class="message" data-id=m.id data-mine=(m.sender_id == me).to_string()>
                        <p class="body">{m.body.clone()}</p>
                        <time datetime=m.sent_at.to_rfc3339()>
                            {m.sent_at.format("%H:%M").to_string()}
                        </time>
                    </li>
                </For>
                <For
                    each=move || thread.read().pending.clone()
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
                                    <button
                                        type="button"
                                        on:click=move |_| retry(key.clone(), body.clone())
                                    >
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
            <div class="typing-line" aria-live="polite">
                {move || {
                    typing_shown
                        .get()
                        .then(|| view! { <p class="typing">{format!("{typing_name} is typing…")}</p> })
                }}
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            // Posts as a plain form without JavaScript; with it, sends in place.
            <form
                class="composer"
                aria-label="Send a message"
                method="post"
                action="/api/chat/send"
                on:submit=on_submit
            >
                <input type="hidden" name="chat_id" value=chat_id />
                <label>
                    <span class="visually-hidden">"Message"</span>
                    <textarea
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
        </section>
    }
}
