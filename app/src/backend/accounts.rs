//! Accounts: signing up and signing in, password hashing with argon2id, and the limit on
//! failed sign-in attempts.

use crate::backend::db;
use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use std::net::IpAddr;

use sqlx::{types::ipnetwork::IpNetwork, PgPool};
use unicode_normalization::UnicodeNormalization;

use crate::{error::AppError, model::rules};

/// Failed sign-ins allowed for one handle from one client address within
/// [`SIGNIN_WINDOW_SECS`]; the next attempt from that address is refused.
pub const SIGNIN_MAX_FAILURES: i64 = 5;
/// Failed sign-ins allowed from one address, whatever the handles, in the window.
pub const SIGNIN_MAX_FAILURES_PER_ADDRESS: i64 = 20;
/// Failed sign-ins allowed for one handle from all addresses together: far above what a
/// person mistypes, so locking a player out takes this many addresses.
pub const SIGNIN_MAX_FAILURES_PER_HANDLE: i64 = 100;
pub const SIGNIN_WINDOW_SECS: i64 = 15 * 60;

/// Hashes off the async runtime: argon2id is deliberately slow.
async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| AppError::internal("hash task", e))?
    .map_err(|e| AppError::internal("hash password", e))
}

async fn verify_password(hash: String, password: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash)?;
        Ok::<_, argon2::password_hash::Error>(
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
        )
    })
    .await
    .map_err(|e| AppError::internal("verify task", e))?
    .map_err(|e| AppError::internal("stored password hash", e))
}

/// A hash of a password nobody has, verified when the handle does not exist so that a wrong
/// handle takes as long as a wrong password.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$bWVyaWRpYW5kZWNveQ$1yfr0RIJZsW3tQqJrV3ug6Uu1hQ4vGqIfP8V+7GRnPY";

/// Creates a player. Every field is checked; nothing is stored unless all pass.
pub async fn sign_up(
    pool: &PgPool,
    handle: &str,
    display_name: &str,
    password: &str,
) -> Result<i64, AppError> {
    let handle = rules::handle(handle)?;
    // One name, one form: "é" typed as e + accent and as é are the same name.
    let display_name: String = display_name.nfc().collect();
    let display_name = rules::display_name(&display_name)?;
    rules::new_password(password)?;
    let password_hash = hash_password(password.to_owned()).await?;
    let id = sqlx::query_scalar!(
        "insert into players (handle, display_name, password_hash) values ($1, $2, $3) returning id",
        handle,
        display_name,
        password_hash
    )
    .fetch_one(pool)
    .await?;
    tracing::info!(player_id = id, %handle, "player signed up");
    Ok(id)
}

/// Checks a handle and password from a client `address`.
///
/// Failures are counted per handle and address, per address, and per handle (see the limits
/// above), and the count is atomic: each attempt takes the handle's lock, then the address's,
/// checks the counts and records itself as a failure before the password is checked, so 20
/// concurrent wrong attempts are 5 checks and 15 refusals on any number of instances. A
/// success removes its own record and the failures of that handle from that address.
pub async fn sign_in(
    pool: &PgPool,
    handle: &str,
    password: &str,
    address: Option<IpAddr>,
) -> Result<i64, AppError> {
    let handle = rules::handle(handle)?;
    if password.chars().count() > rules::PASSWORD_MAX {
        return Err(AppError::WrongCredentials);
    }
    let address = address.map(IpNetwork::from);
    let attempt = reserve_attempt(pool, &handle, address).await?;

    let player = sqlx::query!(
        "select id, password_hash from players where handle = $1",
        handle
    )
    .fetch_optional(pool)
    .await?;
    // A player made through the API has no password: checked against the decoy, so the answer
    // takes as long, and refused whatever it says.
    let (id, hash, can_sign_in) = match player {
        Some(p) if p.password_hash == super::api::NO_PASSWORD => {
            (Some(p.id), DECOY_HASH.to_owned(), false)
        }
        Some(p) => (Some(p.id), p.password_hash, true),
        None => (None, DECOY_HASH.to_owned(), false),
    };
    let matches = verify_password(hash, password.to_owned()).await? && can_sign_in;
    match (id, matches) {
        (Some(id), true) => {
            sqlx::query!(
                "delete from signin_failures
                 where id = $1 or (handle = $2 and address is not distinct from $3)",
                attempt,
                handle,
                address
            )
            .execute(pool)
            .await?;
            Ok(id)
        }
        // The attempt stays recorded as a failure.
        _ => Err(AppError::WrongCredentials),
    }
}

/// Checks the limits and records the attempt as a failure, atomically; returns its id.
async fn reserve_attempt(
    pool: &PgPool,
    handle: &str,
    address: Option<IpNetwork>,
) -> Result<i64, AppError> {
    let mut tx = db::begin(pool).await?;
    // Always the handle first, then the address: no two attempts wait on each other crosswise.
    sqlx::query!(
        "select pg_advisory_xact_lock(hashtext('meridian.signin.handle.' || $1::text)),
                pg_advisory_xact_lock(hashtext('meridian.signin.address.'
                                               || coalesce($2::inet::text, '')))",
        handle,
        address
    )
    .execute(&mut *tx)
    .await?;
    let counts = sqlx::query!(
        r#"with recent as (
               select handle = $1 and address is not distinct from $2 as pair,
                      address is not distinct from $2 as from_address,
                      handle = $1 as on_handle,
                      extract(epoch from at + make_interval(secs => $3) - now()) as leaves_in
               from signin_failures
               where at > now() - make_interval(secs => $3)
                 and (handle = $1 or address is not distinct from $2)
           )
           select count(*) filter (where pair) as "pair!",
                  count(*) filter (where from_address) as "from_address!",
                  count(*) filter (where on_handle) as "on_handle!",
                  ceil(min(leaves_in) filter (where pair))::bigint as pair_wait,
                  ceil(min(leaves_in) filter (where from_address))::bigint as address_wait,
                  ceil(min(leaves_in) filter (where on_handle))::bigint as handle_wait
           from recent"#,
        handle,
        address,
        SIGNIN_WINDOW_SECS as f64
    )
    .fetch_one(&mut *tx)
    .await?;
    // Until the oldest failure of each exceeded count leaves the window.
    let wait = [
        (counts.pair >= SIGNIN_MAX_FAILURES, counts.pair_wait),
        (
            counts.from_address >= SIGNIN_MAX_FAILURES_PER_ADDRESS,
            counts.address_wait,
        ),
        (
            counts.on_handle >= SIGNIN_MAX_FAILURES_PER_HANDLE,
            counts.handle_wait,
        ),
    ]
    .into_iter()
    .filter(|(exceeded, _)| *exceeded)
    .map(|(_, wait)| wait.unwrap_or(SIGNIN_WINDOW_SECS))
    .max();
    if let Some(wait) = wait {
        return Err(AppError::TooManyAttempts {
            retry_after_secs: wait.max(1) as u64,
        });
    }
    let id = sqlx::query_scalar!(
        r#"with gone as (delete from signin_failures
                         where at < now() - make_interval(secs => $3))
           insert into signin_failures (handle, address) values ($1, $2) returning id"#,
        handle,
        address,
        SIGNIN_WINDOW_SECS as f64
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password(hash.clone(), "correct horse".into())
            .await
            .unwrap());
        assert!(!verify_password(hash, "wrong horse".into()).await.unwrap());
    }

    #[tokio::test]
    async fn the_decoy_hash_parses_and_matches_nothing_typed() {
        assert!(!verify_password(DECOY_HASH.into(), "password".into())
            .await
            .unwrap());
    }
}
