//! Chats: start one, list them, open one, page back through history, send, mark read, typing.
//! The acting player is always the session's; a chat the player is not in is "not found".

use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{ChatList, ChatMessage, ChatPage, MessagePage},
};

/// Opens the chat with player `with`, creating it if needed, and goes there.
#[server(endpoint = "chat/start")]
pub async fn start_chat(with: i64) -> Result<i64, AppError> {
    use crate::backend::{chats, sessions, state};
    let me = sessions::require_player().await?;
    let chat = chats::start(&state()?.pool, me, with).await?;
    leptos_axum::redirect(&format!("/chats/{chat}"));
    Ok(chat)
}

/// My chats, newest activity first.
#[server(endpoint = "chat/list", input = server_fn::codec::GetUrl)]
pub async fn list_chats() -> Result<ChatList, AppError> {
    use crate::backend::{chats, realtime::log, sessions, state};
    let me = sessions::require_player().await?;
    let state = state()?;
    // The cursor first: whatever commits while the list is read is then replayed.
    let cursor = log::latest_id(&state.pool).await?;
    let chats = chats::list(&state.pool, me, state.settings.presence_timeout).await?;
    Ok(ChatList { chats, cursor })
}

/// One chat and its newest page of history. Opening a chat reads it: its unread count is
/// cleared here, so a page rendered on the server (with JavaScript off too) leaves it read;
/// messages that come while it is open are marked read by the page while it is visible.
#[server(endpoint = "chat/open", input = server_fn::codec::GetUrl)]
pub async fn open_chat(chat_id: i64) -> Result<ChatPage, AppError> {
    use crate::backend::{chats, realtime::log, sessions, state};
    let me = sessions::require_player().await?;
    let state = state()?;
    chats::mark_read(&state.pool, me, chat_id, i64::MAX).await?;
    let cursor = log::latest_id(&state.pool).await?;
    let chat = chats::summary(&state.pool, me, chat_id, state.settings.presence_timeout).await?;
    let history = chats::history(&state.pool, me, chat_id, None).await?;
    Ok(ChatPage {
        chat,
        history,
        cursor,
    })
}

/// The page of history before message `before`.
#[server(endpoint = "chat/history", input = server_fn::codec::GetUrl)]
pub async fn chat_history(chat_id: i64, before: i64) -> Result<MessagePage, AppError> {
    use crate::backend::{chats, sessions, state};
    let me = sessions::require_player().await?;
    chats::history(&state()?.pool, me, chat_id, Some(before)).await
}

/// Sends a message as the signed-in player. `client_key`, chosen by the page, makes a retry
/// store the message once.
#[server(endpoint = "chat/send")]
pub async fn send_message(
    chat_id: i64,
    body: String,
    client_key: Option<String>,
) -> Result<ChatMessage, AppError> {
    use crate::backend::{chats, sessions, state};
    let me = sessions::require_player().await?;
    let state = state()?;
    let sent = chats::send(&state.pool, me, chat_id, &body, client_key.as_deref()).await?;
    // The message ends the typing: the next keystroke is news at once.
    state.typing.reset(me);
    Ok(sent)
}

/// Marks the chat read through message `through`.
#[server(endpoint = "chat/read")]
pub async fn mark_read(chat_id: i64, through: i64) -> Result<bool, AppError> {
    use crate::backend::{chats, sessions, state};
    let me = sessions::require_player().await?;
    chats::mark_read(&state()?.pool, me, chat_id, through).await
}

/// Tells the other member that I am typing (throttled; nothing is stored).
#[server(endpoint = "chat/typing")]
pub async fn typing(chat_id: i64) -> Result<bool, AppError> {
    use crate::backend::{chats, sessions, state};
    let me = sessions::require_player().await?;
    let state = state()?;
    chats::typing(&state.pool, &state.typing, me, chat_id).await
}
