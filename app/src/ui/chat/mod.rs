//! The chat pages: `/chats` (the list) and `/chats/:id` (the list and one conversation). The
//! list is kept current by the live feed; so is the conversation (see [`conversation`]).

mod browser;
mod conversation;

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};

use super::{
    form::Failed,
    live::{use_live, use_snapshot},
    loaded::Snapshot,
    page::{NotFoundNotice, PageTitle, SignInFirst},
    session::use_session,
    time::StampTime,
};
use crate::{
    api::chat::{list_chats, open_chat},
    error::AppError,
    model::{apply_to_list, ChatList, ChatPage, ChatSummary},
};
use conversation::Conversation;

/// Characters of the last message shown in the list.
const PREVIEW_CHARS: usize = 80;

/// `/chats`
#[component]
pub fn ChatsPage() -> impl IntoView {
    view! {
        <PageTitle text="Chats · Meridian" />
        <SignedInChats open=None />
    }
}

/// `/chats/:id`
#[component]
pub fn ChatPage() -> impl IntoView {
    let params = use_params_map();
    // A memo, so the page renders again only when the id really changes: a re-render drops
    // the resources of the first while they load, and their answers would be lost.
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    });
    move || match id.get() {
        Some(id) => view! { <SignedInChats open=Some(id) /> }.into_any(),
        None => view! { <ChatNotFound /> }.into_any(),
    }
}

#[component]
fn SignedInChats(open: Option<i64>) -> impl IntoView {
    let session = use_session();
    // Created here, above the suspense that reads them: the server runs what is inside a
    // suspense twice (once to find what it waits for), and resources made in there would be
    // made, and fetched, twice.
    let list: Snapshot<ChatList> = use_snapshot(|| (), |_| list_chats());
    let page: Option<Snapshot<ChatPage>> =
        open.map(|chat_id| use_snapshot(|| (), move |_| open_chat(chat_id)));
    view! {
        <Transition fallback=|| view! { <p class="notice">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.me.await {
                    Ok(Some(me)) => view! { <Chats me=me.id open list page /> }.into_any(),
                    Ok(None) => {
                        view! { <SignInFirst what="see your chats" /> }.into_any()
                    }
                    Err(error) => view! { <Failed error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// My chats beside the map on the play screen, kept current like the chats page's list.
#[component]
pub fn ChatsBeside(me: i64) -> impl IntoView {
    let list: Snapshot<ChatList> = use_snapshot(|| (), |_| list_chats());
    view! { <ChatListPanel me open=None list /> }
}

#[component]
fn Chats(
    me: i64,
    open: Option<i64>,
    list: Snapshot<ChatList>,
    page: Option<Snapshot<ChatPage>>,
) -> impl IntoView {
    let conversation = match page {
        Some(page) => view! { <OpenChat me page /> }.into_any(),
        None => view! {
            <div class="pick">
                <h1 class="visually-hidden">"Your chats"</h1>
                <p class="notice">"Pick a chat, or say hi to someone on the map."</p>
            </div>
        }
        .into_any(),
    };
    // On a narrow screen the list and an open chat are screens of their own.
    let class = if open.is_some() {
        "chats has-open"
    } else {
        "chats"
    };
    view! {
        <div class=class>
            <ChatListPanel me open list />
            {conversation}
        </div>
    }
}

#[component]
fn ChatListPanel(me: i64, open: Option<i64>, list: Snapshot<ChatList>) -> impl IntoView {
    view! {
        <nav class="chat-list-panel" aria-label="Chats">
            <Transition fallback=|| view! { <p class="notice">"Loading chats…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        (head, Ok(data)) => view! { <ChatListView data head me open /> }.into_any(),
                        (_, Err(error)) => view! { <Failed error /> }.into_any(),
                    }
                })}
            </Transition>
        </nav>
    }
}

#[component]
fn ChatListView(data: ChatList, head: u64, me: i64, open: Option<i64>) -> impl IntoView {
    let live = use_live();
    let chats = RwSignal::new(data.chats);
    let cursor = data.cursor;
    Effect::new(move || live.connect(cursor));
    let seen = StoredValue::new(head);
    Effect::new(move || {
        let last = live.since(seen.get_value(), |message| {
            chats.update(|list| {
                apply_to_list(list, message);
            });
        });
        seen.set_value(last);
    });
    view! {
        <Show
            when=move || !chats.read().is_empty()
            fallback=|| view! { <p class="notice">"No chats yet."</p> }
        >
            <ul class="chat-list">
                <For
                    each=move || chats.get()
                    key=|chat| (chat.chat_id, chat.version, chat.online)
                    let:chat
                >
                    <ChatRow chat me open />
                </For>
            </ul>
        </Show>
    }
}

#[component]
fn ChatRow(chat: ChatSummary, me: i64, open: Option<i64>) -> impl IntoView {
    let place = chat
        .other
        .home
        .as_ref()
        .map(|h| format!("{}, {}", h.city, h.country))
        .unwrap_or_default();
    let preview = match &chat.last {
        Some(m) => {
            let text: String = m
                .body
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
                .take(PREVIEW_CHARS)
                .collect();
            if m.sender_id == me {
                format!("You: {text}")
            } else {
                text
            }
        }
        None => "No messages yet".to_owned(),
    };
    // The chat on screen is being read: no count for it, whatever the list last heard.
    let unread = if open == Some(chat.chat_id) {
        0
    } else {
        chat.unread
    };
    view! {
        <li
            data-chat-id=chat.chat_id
            class:open={open == Some(chat.chat_id)}
            class:has-unread={unread > 0}
        >
            <A href=format!("/chats/{}", chat.chat_id)>
                <span
                    class="online-dot"
                    data-online=chat.online.to_string()
                    title=if chat.online { "Online" } else { "Offline" }
                ></span>
                <span class="chat-name">{chat.other.display_name.clone()}</span>
                <span class="chat-place">{place}</span>
                <span class="chat-preview">{preview}</span>
                <StampTime at=chat.last_activity />
                {(unread > 0)
                    .then(|| {
                        view! {
                            <span class="unread" title=format!("{unread} unread")>
                                {unread}
                            </span>
                        }
                    })}
            </A>
        </li>
    }
}

#[component]
fn OpenChat(me: i64, page: Snapshot<ChatPage>) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <p class="notice">"Loading the chat…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    (head, Ok(page)) => view! { <Conversation page head me /> }.into_any(),
                    (_, Err(AppError::NotFound(_))) => {
                        view! { <ChatNotFound /> }.into_any()
                    }
                    (_, Err(error)) => view! { <Failed error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// "Say hi" to a player: opens the chat with them, creating it if there is none. A plain form
/// answered with a redirect, so it works without JavaScript too.
#[component]
pub fn SayHi(with: i64) -> impl IntoView {
    view! {
        <form class="inline say-hi" method="post" action="/api/chat/start">
            <input type="hidden" name="with" value=with />
            <button type="submit">"Say hi"</button>
        </form>
    }
}

/// Not a chat of the player's (or none at all): the same answer, with status 404.
#[component]
fn ChatNotFound() -> impl IntoView {
    view! {
        <NotFoundNotice
            title="Chat not found."
            sentence="This chat does not exist, or it is between other players."
        />
    }
}
