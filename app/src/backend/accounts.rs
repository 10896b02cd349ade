//! Accounts: signing up and signing in, password hashing with argon2id, and the limit on
//! failed sign-in attempts.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use sqlx::PgPool;
use unicode_normalization::UnicodeNormalization;

use crate::{error::AppError, model::rules};

/// Failed sign-ins allowed per handle within [`SIGNIN_WINDOW_SECS`]; the next attempt is refused.
pub const SIGNIN_MAX_FAILURES: i64 = 5;
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

/// Checks a handle and password. After [`SIGNIN_MAX_FAILURES`] failures for a handle within
/// the window, attempts are refused until the oldest failure leaves it.
pub async fn sign_in(pool: &PgPool, handle: &str, password: &str) -> Result<i64, AppError> {
    let handle = rules::handle(handle)?;
    if password.chars().count() > rules::PASSWORD_MAX {
        return Err(AppError::WrongCredentials);
    }
    let recent = sqlx::query!(
        r#"select count(*) as "failures!",
                  extract(epoch from min(at) + make_interval(secs => $2) - now())::bigint as wait
           from signin_failures
           where handle = $1 and at > now() - make_interval(secs => $2)"#,
        handle,
        SIGNIN_WINDOW_SECS as f64
    )
    .fetch_one(pool)
    .await?;
    if recent.failures >= SIGNIN_MAX_FAILURES {
        return Err(AppError::TooManyAttempts {
            retry_after_secs: recent.wait.unwrap_or(SIGNIN_WINDOW_SECS).max(1) as u64,
        });
    }

    let player = sqlx::query!(
        "select id, password_hash from players where handle = $1",
        handle
    )
    .fetch_optional(pool)
    .await?;
    let (id, hash) = match player {
        Some(p) => (Some(p.id), p.password_hash),
        None => (None, DECOY_HASH.to_owned()),
    };
    let matches = verify_password(hash, password.to_owned()).await?;
    match (id, matches) {
        (Some(id), true) => {
            sqlx::query!("delete from signin_failures where handle = $1", handle)
                .execute(pool)
                .await?;
            Ok(id)
        }
        _ => {
            sqlx::query!(
                r#"with gone as (delete from signin_failures
                                 where at < now() - make_interval(secs => $2))
                   insert into signin_failures (handle) values ($1)"#,
                handle,
                SIGNIN_WINDOW_SECS as f64
            )
            .execute(pool)
            .await?;
            Err(AppError::WrongCredentials)
        }
    }
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
