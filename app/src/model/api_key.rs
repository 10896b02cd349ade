//! API keys as the admin page shows them: who they were issued to, when, and whether they are
//! revoked. The key itself is shown once, when it is issued, and is never stored (only its
//! hash is).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An issued key, without the key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: i64,
    pub client: String,
    #[serde(deserialize_with = "super::dates::instant")]
    pub created_at: DateTime<Utc>,
    #[serde(default, deserialize_with = "super::dates::instant_opt")]
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A key just issued: the only time its text leaves the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedKey {
    pub id: i64,
    pub client: String,
    pub key: String,
}
