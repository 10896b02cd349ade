//! Chats: starting one, listing them, reading history, sending, marking read and typing.
//! Every function takes the acting player from the session (never from the request) and
//! checks that they are a member of the chat; to anyone else a chat does not exist.
//!
//! Writers to a chat lock rows in one order, the sender's player row and then the chat's row,
//! so messages of one chat take ids, times and versions in the order their senders got the
//! lock, and two writers never wait on each other crosswise.

use crate::backend::db;
use std::time::Duration;

use sqlx::{types::Json, PgConnection, PgPool};

use super::realtime::{log, send_ephemeral, Message, Throttle};
use crate::{
    error::AppError,
    model::{rules, ChatMessage, ChatSummary, Live, MessagePage, Unread, UnreadCount},
};

fn no_chat() -> AppError {
    AppError::NotFound("Chat".into())
}

/// The chat between `me` and `with`, created if there is none. Exactly one chat exists per
/// pair however many start it at once: the pair's unique key decides, not a prior check.
pub async fn start(pool: &PgPool, me: i64, with: i64) -> Result<i64, AppError> {
    if me == with {
        return Err(AppError::invalid("with", "You cannot chat with yourself."));
    }
    let (low, high) = (me.min(with), me.max(with));
    let created = sqlx::query_scalar!(
        "insert into chats (player_low, player_high, started_by) values ($1, $2, $3)
         on conflict (player_low, player_high) do nothing
         returning id",
        low,
        high,
        me
    )
    .fetch_optional(pool)
    .await?;
    if let Some(id) = created {
        return Ok(id);
    }
    // Someone else created it, perhaps a moment ago: this statement sees their commit.
    sqlx::query_scalar!(
        "select id from chats where player_low = $1 and player_high = $2",
        low,
        high
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::internal("start chat", "chat vanished after a conflict"))
}

/// My chats, newest activity first: those with messages, and those I started.
pub async fn list(pool: &PgPool, me: i64, timeout: Duration) -> Result<Vec<ChatSummary>, AppError> {
    summaries(pool, me, None, timeout).await
}

/// One of my chats; [`AppError::NotFound`] when it is not mine.
pub async fn summary(
    pool: &PgPool,
    me: i64,
    chat_id: i64,
    timeout: Duration,
) -> Result<ChatSummary, AppError> {
    summaries(pool, me, Some(chat_id), timeout)
        .await?
        .pop()
        .ok_or_else(no_chat)
}

async fn summaries(
    pool: &PgPool,
    me: i64,
    only: Option<i64>,
    timeout: Duration,
) -> Result<Vec<ChatSummary>, AppError> {
    let rows = sqlx::query!(
        r#"select chat_view(c.id, $1) as "view!: Json<ChatSummary>",
                  exists (select 1 from presence pr
                          where pr.player_id = m.other_id
                            and pr.seen_at > now() - make_interval(secs => $3)) as "online!"
           from chat_members m join chats c on c.id = m.chat_id
           where m.player_id = $1
             and case when $2::bigint is null
                      then c.last_message_id is not null or c.started_by = $1
                      else c.id = $2 end
           order by c.last_activity desc, c.id desc"#,
        me,
        only,
        timeout.as_secs_f64()
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| ChatSummary {
            online: row.online,
            ..row.view.0
        })
        .collect())
}

/// Every chat of mine with its unread count and version (for the header's total), and the
/// newest event id, read first: whatever commits while the counts are read is then replayed.
pub async fn unread(pool: &PgPool, me: i64) -> Result<Unread, AppError> {
    let cursor = log::latest_id(pool).await?;
    let chats = sqlx::query_as!(
        UnreadCount,
        r#"select m.chat_id, c.version, m.unread::bigint as "unread!"
           from chat_members m join chats c on c.id = m.chat_id
           where m.player_id = $1"#,
        me
    )
    .fetch_all(pool)
    .await?;
    Ok(Unread { chats, cursor })
}

/// The other member of `chat_id`, when `me` is a member.
async fn other_member(pool: &PgPool, me: i64, chat_id: i64) -> Result<i64, AppError> {
    sqlx::query_scalar!(
        "select other_id from chat_members where chat_id = $1 and player_id = $2",
        chat_id,
        me
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(no_chat)
}

/// Locks a chat for a write by `me`, which must be a member.
async fn lock_chat(tx: &mut PgConnection, me: i64, chat_id: i64) -> Result<(), AppError> {
    sqlx::query_scalar!(
        "select id from chats where id = $1 and $2 in (player_low, player_high) for update",
        chat_id,
        me
    )
    .fetch_optional(tx)
    .await?
    .map(drop)
    .ok_or_else(no_chat)
}

/// A page of history: the newest [`rules::MESSAGE_PAGE`] messages before `before` (or the
/// newest of all), returned oldest first.
pub async fn history(
    pool: &PgPool,
    me: i64,
    chat_id: i64,
    before: Option<i64>,
) -> Result<MessagePage, AppError> {
    other_member(pool, me, chat_id).await?;
    let mut messages = sqlx::query_as!(
        ChatMessage,
        "select id, chat_id, sender_id, body, client_key, sent_at from messages
         where chat_id = $1 and ($2::bigint is null or id < $2)
         order by id desc
         limit $3",
        chat_id,
        before,
        rules::MESSAGE_PAGE + 1
    )
    .fetch_all(pool)
    .await?;
    let has_older = messages.len() as i64 > rules::MESSAGE_PAGE;
    messages.truncate(rules::MESSAGE_PAGE as usize);
    messages.reverse();
    Ok(MessagePage {
        messages,
        has_older,
    })
}

/// Stores a message from `me`. The body is checked here (and again by the table's
/// constraints); the sender is always `me`. Sending again with the same `client_key` returns
/// the stored message instead of storing a second one.
pub async fn send(
    pool: &PgPool,
    me: i64,
    chat_id: i64,
    body: &str,
    client_key: Option<&str>,
) -> Result<ChatMessage, AppError> {
    let body = rules::message_body(body)?;
    let client_key = client_key.map(rules::client_key).transpose()?;
    // One round trip: the function locks, checks and stores (see its migration).
    let sent = sqlx::query!(
        r#"select s.outcome as "outcome!", s.retry_after,
                  (s.message).id as "id?", (s.message).chat_id as "chat_id?",
                  (s.message).sender_id as "sender_id?", (s.message).body as "body?",
                  (s.message).client_key, (s.message).sent_at as "sent_at?"
           from send_message($1, $2, $3, $4, $5, $6) s"#,
        me,
        chat_id,
        body,
        client_key,
        rules::SEND_WINDOW_SECS as f64,
        rules::SEND_LIMIT
    )
    .fetch_one(pool)
    .await?;
    let message = match (
        sent.id,
        sent.chat_id,
        sent.sender_id,
        sent.body,
        sent.sent_at,
    ) {
        (Some(id), Some(chat_id), Some(sender_id), Some(body), Some(sent_at)) => {
            Some(ChatMessage {
                id,
                chat_id,
                sender_id,
                body,
                client_key: sent.client_key,
                sent_at,
            })
        }
        _ => None,
    };
    match (sent.outcome.as_str(), message) {
        ("sent" | "earlier", Some(message)) => Ok(message),
        ("no_chat", _) => Err(no_chat()),
        ("key_elsewhere", _) => Err(AppError::invalid(
            "client_key",
            "This message key was used in another chat.",
        )),
        ("too_many", _) => Err(AppError::TooManyMessages {
            retry_after_secs: sent.retry_after.unwrap_or(1).max(1) as u64,
        }),
        (other, _) => Err(AppError::internal(
            "send message",
            format!("outcome {other} without its message"),
        )),
    }
}

/// Marks `chat_id` read by `me` through message `through` (at most its last message).
/// Returns whether anything changed; a change reaches every tab of `me` as a `chat` event.
pub async fn mark_read(
    pool: &PgPool,
    me: i64,
    chat_id: i64,
    through: i64,
) -> Result<bool, AppError> {
    let mut tx = db::begin(pool).await?;
    lock_chat(&mut tx, me, chat_id).await?;
    let done = sqlx::query!(
        r#"update chat_members m
           set read_through = t.through,
               unread = (select count(*) from messages
                         where chat_id = $1 and id > t.through and sender_id <> $2)::int
           from (select least($3, coalesce(last_message_id, 0)) as through
                 from chats where id = $1) t
           where m.chat_id = $1 and m.player_id = $2 and m.read_through < t.through"#,
        chat_id,
        me,
        through
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

/// Tells the other member that `me` is typing, at most once per throttle interval. Nothing
/// is stored. Returns whether the signal went out.
pub async fn typing(
    pool: &PgPool,
    throttle: &Throttle,
    me: i64,
    chat_id: i64,
) -> Result<bool, AppError> {
    let other = other_member(pool, me, chat_id).await?;
    if !throttle.allow(me) {
        return Ok(false);
    }
    let live = Live::Typing {
        chat_id,
        player_id: me,
    };
    send_ephemeral(pool, &Message::ephemeral_to(vec![other], &live)).await?;
    Ok(true)
}
