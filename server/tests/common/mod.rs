//! Test support: a fresh database per test, cloned from a template that holds the migrated
//! schema and the place catalogue, and the real server started on port 0 against it.
//!
//! `MERIDIAN_TEST_DATABASE_URL` names a Postgres the tests may create databases in (the
//! README's test command starts a throwaway cluster and sets it).

#![allow(dead_code)] // Each test binary uses its own subset of these helpers.

use std::{
    collections::hash_map::DefaultHasher,
    hash::{Hash, Hasher},
    net::SocketAddr,
    sync::atomic::{AtomicU32, Ordering},
};

use app::backend::{db, places, Settings};
use reqwest::{header, redirect::Policy, Client, Response};
use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection, PgPool};
use tokio::sync::OnceCell;

static TEMPLATE: OnceCell<String> = OnceCell::const_new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

fn admin_url() -> String {
    std::env::var("MERIDIAN_TEST_DATABASE_URL").expect(
        "MERIDIAN_TEST_DATABASE_URL must name a Postgres the tests may create databases in \
         (scripts/test sets it)",
    )
}

fn url_for(database: &str) -> String {
    let admin = admin_url();
    let base = admin
        .rsplit_once('/')
        .map_or(admin.as_str(), |(base, _)| base);
    format!("{base}/{database}")
}

/// A name that changes whenever a migration or the place extract does, so a kept cluster never
/// serves a stale template.
fn template_name() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("migrations directory")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let mut hasher = DefaultHasher::new();
    places::SOURCE.hash(&mut hasher);
    for file in files {
        file.file_name().hash(&mut hasher);
        std::fs::read(&file).expect("migration").hash(&mut hasher);
    }
    format!("meridian_tpl_{:016x}", hasher.finish())
}

async fn template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            let name = template_name();
            let mut admin = PgConnection::connect(&admin_url())
                .await
                .expect("admin connection");
            // Test binaries may run side by side: one builds the template, the others wait.
            admin
                .execute("select pg_advisory_lock(727274)")
                .await
                .expect("lock");
            let exists: bool =
                sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
                    .bind(&name)
                    .fetch_one(&mut admin)
                    .await
                    .expect("lookup template");
            drop_leftovers(&mut admin).await;
            if !exists {
                let building = format!("{name}_building");
                admin
                    .execute(format!("drop database if exists \"{building}\"").as_str())
                    .await
                    .expect("drop half-built template");
                admin
                    .execute(format!("create database \"{building}\"").as_str())
                    .await
                    .expect("create template");
                let pool = PgPool::connect(&url_for(&building))
                    .await
                    .expect("template pool");
                db::migrate(&pool).await.expect("migrate template");
                places::ensure_catalogue(&pool)
                    .await
                    .expect("load catalogue");
                pool.close().await;
                admin
                    .execute(format!("alter database \"{building}\" rename to \"{name}\"").as_str())
                    .await
                    .expect("publish template");
            }
            admin
                .execute("select pg_advisory_unlock(727274)")
                .await
                .expect("unlock");
            name
        })
        .await
}

/// Drops the databases of test processes that are no longer running. Each test's database
/// outlives the test (dropping it from a destructor is not possible in async code), so a kept
/// cluster would otherwise grow by tens of megabytes a test. Names carry the process id; a
/// process is alive when `/proc` has it, so this assumes the cluster serves test runs of this
/// machine only, and does nothing where there is no `/proc`.
async fn drop_leftovers(admin: &mut PgConnection) {
    if !std::path::Path::new("/proc/self").exists() {
        return;
    }
    let names: Vec<String> = sqlx::query_scalar(
        r"select datname from pg_database
          where datname like 'meridian\_t\_%' or datname like 'meridian\_e\_%'",
    )
    .fetch_all(&mut *admin)
    .await
    .expect("list test databases");
    for name in names {
        let pid = name.split('_').nth(2).unwrap_or_default();
        if pid.is_empty() || std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        admin
            .execute(format!("drop database if exists \"{name}\" with (force)").as_str())
            .await
            .expect("drop a leftover test database");
    }
}

/// A new database with the schema and the catalogue, and its URL.
pub async fn fresh_database() -> String {
    let template = template().await;
    let name = format!(
        "meridian_t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        rand_suffix()
    );
    let mut admin = PgConnection::connect(&admin_url())
        .await
        .expect("admin connection");
    admin
        .execute(format!("create database \"{name}\" template \"{template}\"").as_str())
        .await
        .expect("clone template");
    url_for(&name)
}

/// A new, empty database (no migrations), and its URL.
pub async fn empty_database() -> String {
    let name = format!("meridian_e_{}_{}", std::process::id(), rand_suffix());
    let mut admin = PgConnection::connect(&admin_url())
        .await
        .expect("admin connection");
    admin
        .execute(format!("create database \"{name}\"").as_str())
        .await
        .expect("create database");
    url_for(&name)
}

fn rand_suffix() -> u32 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

/// A real server on a free port with its own database, and a cookie-keeping HTTP client.
pub struct TestApp {
    pub addr: SocketAddr,
    pub pool: PgPool,
    pub client: Client,
    pub running: server::Running,
}

pub async fn spawn_app() -> TestApp {
    let database_url = fresh_database().await;
    spawn_app_on(database_url).await
}

pub async fn spawn_app_on(database_url: String) -> TestApp {
    spawn_app_with(database_url, test_settings()).await
}

/// The settings tests run with: no tiles, and short presence and keep-alive intervals.
pub fn test_settings() -> Settings {
    Settings {
        tile_url: String::new(),
        // Short, so presence tests see a departure in seconds.
        presence_timeout: std::time::Duration::from_secs(2),
        keep_alive: std::time::Duration::from_secs(1),
        ..Settings::default()
    }
}

pub async fn spawn_app_with(database_url: String, settings: Settings) -> TestApp {
    server::telemetry::init(false);
    let config = server::Config {
        database_url,
        db_pool: 5,
        addr: "127.0.0.1:0".parse().expect("addr"),
        settings,
        json_logs: false,
        event_retention: std::time::Duration::from_secs(24 * 3600),
    };
    let running = server::start(config).await.expect("server starts");
    TestApp {
        addr: running.addr,
        pool: running.state.pool.clone(),
        client: client(),
        running,
    }
}

/// A client with its own cookie jar that does not follow redirects (tests look at them).
/// A server that stops answering fails the test in 30 s instead of hanging the run (event
/// streams send a keep-alive every second, so they never wait that long for a byte).
pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .connect_timeout(std::time::Duration::from_secs(10))
        .read_timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Calls a server function the way the page's JavaScript does (form-encoded, JSON back).
    pub async fn call(&self, client: &Client, endpoint: &str, form: &[(&str, &str)]) -> Response {
        client
            .post(self.url(&format!("/api/{endpoint}")))
            .header(header::ACCEPT, "application/json")
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// A GET server function.
    pub async fn get_fn(
        &self,
        client: &Client,
        endpoint: &str,
        query: &[(&str, &str)],
    ) -> Response {
        client
            .get(self.url(&format!("/api/{endpoint}")))
            .header(header::ACCEPT, "application/json")
            .query(query)
            .send()
            .await
            .expect("request")
    }

    /// Signs up a new player in `client`'s cookie jar.
    pub async fn sign_up(&self, client: &Client, handle: &str, name: &str) -> Response {
        self.call(
            client,
            "account/sign_up",
            &[
                ("handle", handle),
                ("display_name", name),
                ("password", "correct horse"),
            ],
        )
        .await
    }

    /// A new player signed in with a client of their own; the display name is the handle
    /// capitalised.
    pub async fn signed_up(&self, handle: &str) -> (Client, i64) {
        let browser = client();
        let name = handle[..1].to_uppercase() + &handle[1..];
        let response = self.sign_up(&browser, handle, &name).await;
        assert!(response.status().is_success(), "{handle}: {response:?}");
        let id = self.me(&browser).await["id"]
            .as_i64()
            .expect("signed in with an id");
        (browser, id)
    }

    pub async fn me(&self, client: &Client) -> Value {
        self.get_fn(client, "account/me", &[])
            .await
            .json()
            .await
            .expect("json")
    }

    pub async fn player_count(&self) -> i64 {
        sqlx::query_scalar("select count(*) from players")
            .fetch_one(&self.pool)
            .await
            .expect("count")
    }
}

/// Starts (or opens) a chat the way the "Say hi" form does.
pub async fn start(app: &TestApp, who: &Client, with: i64) -> Response {
    app.call(who, "chat/start", &[("with", &with.to_string())])
        .await
}

/// Starts (or opens) the chat and returns its id.
pub async fn chat_between(app: &TestApp, who: &Client, with: i64) -> i64 {
    let response = start(app, who, with).await;
    assert!(response.status().is_success(), "{response:?}");
    response.json().await.expect("a chat id")
}

/// Sends a message in a chat, whatever the answer.
pub async fn send(app: &TestApp, who: &Client, chat: i64, body: &str) -> Response {
    app.call(
        who,
        "chat/send",
        &[("chat_id", &chat.to_string()), ("body", body)],
    )
    .await
}

/// Sends a message that must be accepted, and returns it as stored.
pub async fn sent(app: &TestApp, who: &Client, chat: i64, body: &str) -> Value {
    let response = send(app, who, chat, body).await;
    assert!(response.status().is_success(), "{response:?}");
    response.json().await.expect("the stored message")
}

/// The JSON body of an error answer, and its status.
pub async fn error_of(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json().await.expect("json error body");
    (status, body)
}

/// Starts the `meridian` binary on `port` against `database_url` and waits until it is ready.
/// Dropping the child kills it.
pub async fn start_binary(database_url: &str, port: u16) -> tokio::process::Child {
    start_binary_with(database_url, port, &[]).await
}

/// [`start_binary`] with more environment variables (`LEPTOS_SITE_ROOT`, …).
pub async fn start_binary_with(
    database_url: &str,
    port: u16,
    env: &[(&str, &str)],
) -> tokio::process::Child {
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_meridian"))
        .env("DATABASE_URL", database_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("MERIDIAN_TILE_URL", "")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the server binary");
    let ready = format!("http://127.0.0.1:{port}/readyz");
    for _ in 0..300 {
        if let Ok(response) = reqwest::get(&ready).await {
            if response.status().is_success() {
                return child;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the server did not become ready on port {port}");
}

/// A free port below the kernel's ephemeral range (32768 and up here), for a server that a
/// test stops and starts again on the same port: a port the kernel handed out for `:0` may be
/// handed to another socket of a parallel test while the server is down, and the restarted
/// server (or its clients) would meet a stranger there.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    // Processes start apart (by their id), tests within one take the next ports.
    let start = std::process::id() % 1_000 * 20;
    for _ in 0..20_000 {
        let port = (12_000 + (start + NEXT.fetch_add(1, Ordering::Relaxed)) % 20_000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in 12000..32000")
}
