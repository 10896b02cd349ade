//! The public API (`/api/v1`), black-box: keys, every endpoint, every refusal (as a problem
//! naming the field, with nothing stored), idempotent progress under a race, and writes that
//! reach the web's boards and profiles.

mod common;

use common::{client, fresh_database, spawn_app_with, test_settings, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const PARIS: i32 = 2_988_507;

async fn app_with_rate(rate: u32) -> TestApp {
    let settings = app::backend::Settings {
        api_rate_per_minute: rate,
        ..test_settings()
    };
    spawn_app_with(fresh_database().await, settings).await
}

async fn key(app: &TestApp, client_name: &str) -> String {
    app::backend::api::issue_key(&app.pool, client_name)
        .await
        .unwrap()
        .1
}

struct Api<'a> {
    app: &'a TestApp,
    http: Client,
    key: String,
}

impl Api<'_> {
    fn url(&self, path: &str) -> String {
        self.app.url(&format!("/api/v1{path}"))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        answer(r).await
    }

    async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .put(self.url(path))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await
            .unwrap();
        answer(r).await
    }

    async fn progress(&self, handle: &str, idempotency: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .post(self.url(&format!("/players/{handle}/progress")))
            .bearer_auth(&self.key)
            .header("idempotency-key", idempotency)
            .json(&body)
            .send()
            .await
            .unwrap();
        answer(r).await
    }
}

async fn answer(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    let problem = r
        .headers()
        .get("content-type")
        .is_some_and(|v| v == "application/problem+json");
    let body: Value = r.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        assert!(problem, "{status}: an error is a problem: {body}");
        assert_eq!(body["status"], status.as_u16(), "{body}");
    }
    (status, body)
}

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn players_are_made_read_and_updated_and_bad_fields_are_named() {
    let app = app_with_rate(1000).await;
    let api = Api {
        app: &app,
        http: client(),
        key: key(&app, "quests").await,
    };
    let (status, body) = api.get("/players/nobody").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    let (status, made) = api
        .put(
            "/players/Quest_Giver",
            json!({"display_name": "Quest Giver", "home_city_id": PARIS}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{made}");
    assert_eq!(
        (made["handle"].as_str(), made["created"].as_bool()),
        (Some("quest_giver"), Some(true))
    );
    assert!(made["event_id"].as_i64().is_some());
    // Again, the same: idempotent, nothing new to tell.
    let (status, again) = api
        .put(
            "/players/quest_giver",
            json!({"display_name": "Quest Giver"}),
        )
        .await;
    assert_eq!(
        (status, again["event_id"].clone()),
        (StatusCode::OK, Value::Null)
    );
    let (status, profile) = api.get("/players/QUEST_GIVER").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(profile["display_name"], "Quest Giver");
    assert_eq!(profile["city"]["country_code"], "FR");
    assert_eq!(
        (profile["points"].as_i64(), profile["rank"].clone()),
        (Some(0), Value::Null)
    );

    let players = count(&app, "players").await;
    for (handle, body, field) in [
        ("a b", json!({"display_name": "X"}), "handle"),
        ("ab", json!({"display_name": "X"}), "handle"),
        ("newbie", json!({"display_name": ""}), "display_name"),
        (
            "newbie",
            json!({"display_name": "x".repeat(41)}),
            "display_name",
        ),
        ("newbie", json!({"home_city_id": PARIS}), "display_name"),
        (
            "newbie",
            json!({"display_name": "N", "home_city_id": 1}),
            "home_city_id",
        ),
        (
            "newbie",
            json!({"display_name": "N", "admin": true}),
            "body",
        ),
        // Serde would read a struct from an array; the API takes objects only.
        ("newbie", json!(["N", PARIS]), "body"),
        // The form trims a handle; the API takes it exactly.
        ("%20newbie", json!({"display_name": "N"}), "handle"),
    ] {
        let (status, problem) = api.put(&format!("/players/{handle}"), body).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{handle}: {problem}"
        );
    }
    assert_eq!(count(&app, "players").await, players, "nothing stored");
    // Both sides of the display name's limits.
    for name in ["N".to_owned(), "n".repeat(40)] {
        let (status, _) = api
            .put(
                &format!("/players/len{}", name.len()),
                json!({"display_name": name}),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    // Made here, such a player cannot sign in.
    let signin = app
        .call(
            &client(),
            "account/sign_in",
            &[("handle", "quest_giver"), ("password", "!api")],
        )
        .await;
    assert_eq!(signin.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn keys_are_required_revocable_and_rate_limited() {
    let app = app_with_rate(5).await;
    let http = client();
    let url = app.url("/api/v1/players/nobody");
    let (status, problem) = answer(http.get(&url).send().await.unwrap()).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("Authorization"))
    );
    let (status, _) = answer(
        http.get(&url)
            .bearer_auth("mk_forged")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let live = key(&app, "ranked").await;
    for _ in 0..5 {
        let r = http.get(&url).bearer_auth(&live).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "within the rate");
    }
    let over = http.get(&url).bearer_auth(&live).send().await.unwrap();
    assert_eq!(over.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = over.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    // Another key has its own allowance; a revoked one has none.
    let other = key(&app, "other").await;
    assert_eq!(
        http.get(&url)
            .bearer_auth(&other)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app::backend::api::revoke_keys(&app.pool, "other")
            .await
            .unwrap(),
        1
    );
    let (status, _) = answer(http.get(&url).bearer_auth(&other).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn progress_is_recorded_once_per_key_and_reaches_the_boards() {
    let app = app_with_rate(1000).await;
    let api = Api {
        app: &app,
        http: client(),
        key: key(&app, "arena").await,
    };
    api.put(
        "/players/hero",
        json!({"display_name": "Hero", "home_city_id": PARIS}),
    )
    .await;
    let body = json!({"kind": "quest", "points": 7, "note": "dragon"});
    let (status, first) = api.progress("hero", "k-1", body.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    assert!(first["event_id"].as_i64().is_some(), "{first}");
    // A retry is the first answer again; another body under the key is a conflict.
    let (status, retry) = api.progress("hero", "k-1", body.clone()).await;
    assert_eq!((status, &retry), (StatusCode::ACCEPTED, &first));
    let (status, problem) = api
        .progress("hero", "k-1", json!({"kind": "quest", "points": 8}))
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (StatusCode::CONFLICT, Some("Idempotency-Key"))
    );
    assert_eq!(count(&app, "progress").await, 1);

    // The award is on the web's board and the profile at once (a read waits for the log).
    let board: Value = app
        .get_fn(&client(), "board", &[("window", "all"), ("country", "FR")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(board["rows"][0]["handle"], "hero");
    assert_eq!(board["rows"][0]["points"], 7);
    let (_, profile) = api.get("/players/hero").await;
    assert_eq!(
        (profile["points"].as_i64(), profile["rank"].as_i64()),
        (Some(7), Some(1))
    );

    // Refusals, each naming its field, with nothing stored.
    let records = count(&app, "progress").await;
    let awards = count(&app, "points_ledger").await;
    for (idempotency, body, status, field) in [
        (
            "k-2",
            json!({"kind": "quest", "points": -1}),
            400,
            Some("points"),
        ),
        (
            "k-2",
            json!({"kind": "quest", "points": 101}),
            400,
            Some("points"),
        ),
        ("k-2", json!({"kind": "", "points": 1}), 400, Some("kind")),
        ("k-2", json!({"kind": "quest"}), 400, Some("body")),
        (
            "",
            json!({"kind": "quest", "points": 1}),
            400,
            Some("Idempotency-Key"),
        ),
        (
            &"k".repeat(65),
            json!({"kind": "quest", "points": 1}),
            400,
            Some("Idempotency-Key"),
        ),
        (
            "has space",
            json!({"kind": "quest", "points": 1}),
            400,
            Some("Idempotency-Key"),
        ),
    ] {
        let (got, problem) = api.progress("hero", idempotency, body.clone()).await;
        assert_eq!(
            (got.as_u16(), problem["field"].as_str()),
            (status, field),
            "{body}: {problem}"
        );
    }
    let (got, _) = api
        .progress("nobody", "k-3", json!({"kind": "quest", "points": 1}))
        .await;
    assert_eq!(got, StatusCode::NOT_FOUND);
    // The limits themselves are accepted.
    for (n, points) in [(4, 0), (5, 100)] {
        let (got, _) = api
            .progress(
                "hero",
                &format!("k-{n}"),
                json!({"kind": "quest", "points": points}),
            )
            .await;
        assert_eq!(got, StatusCode::ACCEPTED);
    }
    assert_eq!(count(&app, "progress").await, records + 2);
    assert_eq!(count(&app, "points_ledger").await, awards + 2);

    // Not JSON, too big.
    let url = api.url("/players/hero/progress");
    let (status, _) = answer(
        api.http
            .post(&url)
            .bearer_auth(&api.key)
            .header("idempotency-key", "k-6")
            .header("content-type", "text/plain")
            .body("points=1")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, _) = answer(
        api.http
            .post(&url)
            .bearer_auth(&api.key)
            .header("idempotency-key", "k-7")
            .json(&json!({"kind": "quest", "points": 1, "note": "n".repeat(17 * 1024)}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(count(&app, "progress").await, records + 2);
}

#[tokio::test]
async fn ten_concurrent_retries_of_one_key_store_one_record_and_answer_alike() {
    let app = app_with_rate(1000).await;
    let key = key(&app, "race").await;
    let api = Api {
        app: &app,
        http: client(),
        key: key.clone(),
    };
    api.put("/players/racer", json!({"display_name": "Racer"}))
        .await;
    let url = api.url("/players/racer/progress");
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (url, key) = (url.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            let r = client()
                .post(url)
                .bearer_auth(key)
                .header("idempotency-key", "same")
                .json(&json!({"kind": "lap", "points": 3}))
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    assert_eq!(answers[0].0, StatusCode::ACCEPTED);
    assert_eq!(count(&app, "progress").await, 1);
    let points: i64 = sqlx::query_scalar("select coalesce(sum(points), 0) from points_ledger")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(points, 3, "awarded once");
}

#[tokio::test]
async fn the_openapi_document_and_its_docs_page_are_served_by_the_server_itself() {
    let app = app_with_rate(1000).await;
    // Open to all: no key needed to read how to use a key.
    let http = client();
    let document: Value = http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        document["openapi"]
    );
    let paths = &document["paths"];
    for (path, method) in [
        ("/api/v1/players/{handle}", "get"),
        ("/api/v1/players/{handle}", "put"),
        ("/api/v1/players/{handle}/progress", "post"),
    ] {
        let operation = &paths[path][method];
        assert!(operation.is_object(), "{method} {path} is documented");
        for status in ["401", "429", "503"] {
            assert!(
                operation["responses"][status]["content"]["application/problem+json"].is_object(),
                "{method} {path} documents {status} as a problem"
            );
        }
    }
    let progress = &paths["/api/v1/players/{handle}/progress"]["post"];
    assert!(progress["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header" && p["required"] == true));
    let schemas = &document["components"]["schemas"];
    assert_eq!(schemas["Progress"]["properties"]["points"]["maximum"], 100);
    assert_eq!(
        schemas["PlayerFields"]["properties"]["display_name"]["maxLength"],
        40
    );
    assert_eq!(
        document["components"]["securitySchemes"]["api_key"]["scheme"],
        "bearer"
    );

    // The docs page and every asset it loads come from this server.
    let page = http.get(app.url("/api/v1/docs/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    for asset in [
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "swagger-initializer.js",
    ] {
        assert!(html.contains(asset), "the page loads {asset}");
        let got = http
            .get(app.url(&format!("/api/v1/docs/{asset}")))
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), StatusCode::OK, "{asset}");
        assert!(
            got.bytes().await.unwrap().len() > 100,
            "{asset} has content"
        );
    }
    let initializer = http
        .get(app.url("/api/v1/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        initializer.contains("/api/v1/openapi.json"),
        "the page reads this server's document: {initializer}"
    );
}
