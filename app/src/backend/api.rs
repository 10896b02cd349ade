//! The public API's work (the HTTP side is `server/src/api.rs`): API keys (issued, hashed,
//! revoked), the public profile of a player, creating or updating the players other game
//! systems own, and progress records written once per idempotency key.

use crate::backend::db;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use unicode_normalization::UnicodeNormalization;
use utoipa::ToSchema;

use super::{boards::Boards, places};
use crate::{
    error::AppError,
    model::{rules, ApiKey, Home, Scope, Window},
};

/// What a player made through the API has instead of a password hash: nothing matches it, so
/// they cannot sign in.
pub const NO_PASSWORD: &str = "!api";
/// Longest `Idempotency-Key` accepted.
pub const IDEMPOTENCY_KEY_MAX: usize = 64;

/// A handle as the API takes it: by the rules, and exactly (nothing around it to trim, which
/// the sign-up form forgives).
fn api_handle(input: &str) -> Result<String, AppError> {
    if input.trim() != input {
        return Err(AppError::invalid(
            "handle",
            "A handle has no spaces around it.",
        ));
    }
    rules::handle(input)
}

fn hash(text: &str) -> Vec<u8> {
    Sha256::digest(text.as_bytes()).to_vec()
}

/// Issues a key for `client`: the key itself (shown once) and its id.
pub async fn issue_key(pool: &PgPool, client: &str) -> Result<(i64, String), AppError> {
    let client = client.trim();
    if client.is_empty() || client.chars().count() > 60 {
        return Err(AppError::invalid(
            "client",
            "A client's name is 1 to 60 characters.",
        ));
    }
    let mut bytes = [0u8; 24];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let key = format!("mk_{}", hex::encode(bytes));
    let id = sqlx::query_scalar!(
        "insert into api_keys (client, key_hash) values ($1, $2) returning id",
        client,
        hash(&key)
    )
    .fetch_one(pool)
    .await?;
    Ok((id, key))
}

/// Every key, live ones first, newest first within each.
pub async fn keys(pool: &PgPool) -> Result<Vec<ApiKey>, AppError> {
    Ok(sqlx::query_as!(
        ApiKey,
        "select id, client, created_at, revoked_at from api_keys
         order by revoked_at is not null, id desc"
    )
    .fetch_all(pool)
    .await?)
}

/// Revokes the key `id` (a revoked key stays revoked); whether it was live.
pub async fn revoke_key(pool: &PgPool, id: i64) -> Result<bool, AppError> {
    let revoked = sqlx::query!(
        "update api_keys set revoked_at = now() where id = $1 and revoked_at is null",
        id
    )
    .execute(pool)
    .await?
    .rows_affected();
    if revoked == 0 {
        let exists = sqlx::query_scalar!("select id from api_keys where id = $1", id)
            .fetch_optional(pool)
            .await?;
        if exists.is_none() {
            return Err(AppError::NotFound("API key".into()));
        }
    }
    Ok(revoked > 0)
}

/// Revokes every live key of `client`; how many.
pub async fn revoke_keys(pool: &PgPool, client: &str) -> Result<u64, AppError> {
    Ok(sqlx::query!(
        "update api_keys set revoked_at = now() where client = $1 and revoked_at is null",
        client.trim()
    )
    .execute(pool)
    .await?
    .rows_affected())
}

/// The id of the live key `key`, if it is one.
pub async fn key_id(pool: &PgPool, key: &str) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar!(
        "select id from api_keys where key_hash = $1 and revoked_at is null",
        hash(key)
    )
    .fetch_optional(pool)
    .await?)
}

/// A player as other game systems see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PublicProfile {
    /// The player's handle, in lower case.
    #[schema(example = "quest_giver")]
    pub handle: String,
    #[schema(example = "Quest Giver")]
    pub display_name: String,
    /// The home city; none until the player has chosen one.
    #[schema(value_type = Option<City>)]
    pub city: Option<Home>,
    /// Points of all time.
    pub points: i64,
    /// All-time rank among everyone with points; none without points.
    #[schema(minimum = 1)]
    pub rank: Option<i64>,
    pub tasks_completed: i64,
}

/// How the document describes a home (`model::Home`, which the browser shares and which
/// therefore carries no server-only derive). Schemathesis checks every answer against it, so
/// the two cannot drift apart unnoticed.
#[derive(ToSchema)]
#[allow(dead_code)]
struct City {
    /// The GeoNames id: what `home_city_id` takes.
    #[schema(example = 2988507)]
    city_id: i32,
    #[schema(example = "Paris")]
    city: String,
    #[schema(example = "Île-de-France")]
    region: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "FR")]
    country_code: String,
    #[schema(example = "France")]
    country: String,
    /// The city centre, in degrees.
    lat: f64,
    lon: f64,
}

pub async fn profile(
    pool: &PgPool,
    boards: &Boards,
    handle: &str,
) -> Result<PublicProfile, AppError> {
    let row = sqlx::query!(
        r#"select p.id, p.handle, p.display_name, p.home_city_id,
                  (select coalesce(sum(points), 0) from points_ledger l
                   where l.player_id = p.id)::bigint as "points!",
                  (select count(*) from tasks t
                   where t.player_id = p.id and t.completed_at is not null) as "tasks!"
           from players p where p.handle = lower($1)"#,
        handle
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::NotFound("Player".into()))?;
    let city = match row.home_city_id {
        Some(city) => places::home_of_city(pool, city).await?,
        None => None,
    };
    let rank = boards
        .rank(pool, row.id, Window::All, &Scope::Global)
        .await?;
    Ok(PublicProfile {
        handle: row.handle,
        display_name: row.display_name,
        city,
        points: row.points,
        rank,
        tasks_completed: row.tasks,
    })
}

/// The fields of a player other game systems own; a field left out keeps its value. A new
/// player needs a display name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlayerFields {
    /// 1 to 40 characters (after trimming), no control characters.
    #[schema(min_length = 1, max_length = 40, example = "Quest Giver")]
    pub display_name: Option<String>,
    /// A city's GeoNames id (see `city.city_id` in a profile).
    #[schema(example = 2988507)]
    pub home_city_id: Option<i32>,
}

/// What a write answers: the event it was accepted into (none when nothing changed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Accepted {
    pub handle: String,
    /// Whether this request created the player.
    pub created: bool,
    /// The durable event the change was written as; none when nothing changed.
    pub event_id: Option<i64>,
}

/// Creates the player `handle` or updates the fields given, in one transaction; idempotent.
pub async fn put_player(
    pool: &PgPool,
    handle: &str,
    fields: &PlayerFields,
) -> Result<Accepted, AppError> {
    let handle = api_handle(handle)?;
    let name = match &fields.display_name {
        Some(name) => {
            let name: String = name.nfc().collect();
            Some(rules::display_name(&name)?)
        }
        None => None,
    };
    if let Some(city) = fields.home_city_id {
        if places::home_of_city(pool, city).await?.is_none() {
            return Err(AppError::invalid(
                "home_city_id",
                format!("There is no city with the id {city}."),
            ));
        }
    }
    let mut tx = db::begin(pool).await?;
    let existing = sqlx::query!(
        "select id from players where handle = $1 for update",
        handle
    )
    .fetch_optional(&mut *tx)
    .await?;
    let created = existing.is_none();
    match existing {
        None => {
            let Some(name) = &name else {
                return Err(AppError::invalid(
                    "display_name",
                    "A new player needs a display name.",
                ));
            };
            sqlx::query!(
                "insert into players (handle, display_name, password_hash, home_city_id)
                 values ($1, $2, $3, $4)
                 on conflict (handle) do nothing",
                handle,
                name,
                NO_PASSWORD,
                fields.home_city_id
            )
            .execute(&mut *tx)
            .await?;
        }
        Some(row) => {
            sqlx::query!(
                "update players set display_name = coalesce($2, display_name),
                                    home_city_id = coalesce($3, home_city_id)
                 where id = $1",
                row.id,
                name,
                fields.home_city_id
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    let event = own_event(&mut tx).await?;
    tx.commit().await?;
    Ok(Accepted {
        handle,
        created,
        event_id: committed_id(pool, event).await?,
    })
}

/// The newest event this transaction wrote (its id comes at commit), if it wrote one.
async fn own_event(tx: &mut sqlx::PgConnection) -> Result<Option<i64>, AppError> {
    Ok(
        sqlx::query_scalar!("select max(row_key) from events where id is null")
            .fetch_one(tx)
            .await?,
    )
}

async fn committed_id(pool: &PgPool, row_key: Option<i64>) -> Result<Option<i64>, AppError> {
    let Some(row_key) = row_key else {
        return Ok(None);
    };
    Ok(
        sqlx::query_scalar!("select id from events where row_key = $1", row_key)
            .fetch_optional(pool)
            .await?
            .flatten(),
    )
}

/// A progress record as a client sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    /// What was achieved, in the client's own words: 1 to 40 characters.
    #[schema(min_length = 1, max_length = 40, example = "quest")]
    pub kind: String,
    /// Points to award, 0 to 100; they reach the leaderboards.
    #[schema(minimum = 0, maximum = 100, example = 25)]
    pub points: i32,
    /// At most 500 characters.
    #[serde(default)]
    #[schema(max_length = 500, example = "Slew the dragon")]
    pub note: String,
}

impl Progress {
    fn check(&self) -> Result<(), AppError> {
        let kind = self.kind.trim();
        if kind.is_empty() || kind.chars().count() > 40 {
            return Err(AppError::invalid(
                "kind",
                "Kind must be 1 to 40 characters.",
            ));
        }
        if !(0..=100).contains(&self.points) {
            return Err(AppError::invalid("points", "Points must be from 0 to 100."));
        }
        if self.note.chars().count() > 500 {
            return Err(AppError::invalid(
                "note",
                "A note is at most 500 characters.",
            ));
        }
        if self
            .kind
            .chars()
            .chain(self.note.chars())
            .any(|c| c.is_control() && c != '\n')
        {
            return Err(AppError::invalid(
                "note",
                "Kind and note may not hold control characters.",
            ));
        }
        Ok(())
    }
}

/// What a progress write answers, the same for every retry of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Recorded {
    pub progress_id: i64,
    pub handle: String,
    pub points: i32,
    /// The `points_awarded` event it was accepted into.
    pub event_id: Option<i64>,
}

/// Why a progress write was refused that is not a field's fault.
#[derive(Debug)]
pub enum Conflict {
    /// The key was used before for another request.
    KeyReused,
}

/// Records `progress` for `handle` once per (`api_key`, `idempotency_key`): a retry with the
/// same body is answered as the first; with another body, [`Conflict::KeyReused`].
pub async fn record_progress(
    pool: &PgPool,
    api_key: i64,
    idempotency_key: &str,
    handle: &str,
    progress: &Progress,
) -> Result<Result<Recorded, Conflict>, AppError> {
    check_idempotency_key(idempotency_key)?;
    progress.check()?;
    let handle = api_handle(handle).map_err(|_| AppError::NotFound("Player".into()))?;
    let player = sqlx::query_scalar!("select id from players where handle = $1", handle)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| AppError::NotFound("Player".into()))?;
    let request = hash(&format!(
        "{handle}\n{}\n{}\n{}",
        progress.kind.trim(),
        progress.points,
        progress.note
    ));
    // Concurrent requests with one key wait here for the first to commit, then find it.
    let inserted = sqlx::query_scalar!(
        "insert into progress (api_key_id, idempotency_key, request_hash, player_id, kind, points, note)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (api_key_id, idempotency_key) do nothing
         returning id",
        api_key,
        idempotency_key,
        request,
        player,
        progress.kind.trim(),
        progress.points,
        progress.note
    )
    .fetch_optional(pool)
    .await?;
    let stored = sqlx::query!(
        "select id, request_hash, points from progress
         where api_key_id = $1 and idempotency_key = $2",
        api_key,
        idempotency_key
    )
    .fetch_one(pool)
    .await?;
    if inserted.is_none() && stored.request_hash != request {
        return Ok(Err(Conflict::KeyReused));
    }
    let event_id = sqlx::query_scalar!(
        "select id from events where kind = 'points_awarded' and payload->>'source' = $1",
        format!("progress:{}", stored.id)
    )
    .fetch_optional(pool)
    .await?
    .flatten();
    Ok(Ok(Recorded {
        progress_id: stored.id,
        handle,
        points: stored.points,
        event_id,
    }))
}

/// 1–64 printable ASCII characters, as clients make them (a UUID, say).
pub fn check_idempotency_key(key: &str) -> Result<(), AppError> {
    if key.is_empty()
        || key.len() > IDEMPOTENCY_KEY_MAX
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(AppError::invalid(
            "Idempotency-Key",
            format!(
                "The Idempotency-Key header must be 1 to {IDEMPOTENCY_KEY_MAX} printable ASCII characters."
            ),
        ));
    }
    Ok(())
}
