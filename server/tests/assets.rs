//! The site's files and their cache lifetimes, black-box: the real binary serves a site laid out
//! as `cargo leptos build` leaves it with `hash-files` (the bundle under hashed names, their
//! hashes in a hash file), and pages name those files, which go out compressed and cached for a
//! year; the rest of `public/` is cached an hour. Without a hash file that describes the site
//! (none, or an older build's), pages name the plain files, which are never cached unchecked.
//! The site is made here, so the test needs no bundle build; the Playwright suite checks the
//! real bundle (`end2end/tests/assets.spec.ts`).

mod common;

use std::{
    path::{Path, PathBuf},
    sync::atomic::{AtomicU32, Ordering},
};

use common::{client, free_port, fresh_database, start_binary_with};
use reqwest::{header, StatusCode};

const JS: &str = "Jq3mX0Fv6Zr2Tn8Bq1Wc4A";
const WASM: &str = "k9Pd2Lx7Rf5Vb3Ns0Ht6Yg";
const CSS: &str = "Cz4Ew8Qa1Um6Io2Kd9Sj7B";
const YEAR: &str = "public, max-age=31536000, immutable";
const HOUR: &str = "public, max-age=3600";

/// A site directory (and a place for its hash file), removed on drop.
struct Site {
    dir: PathBuf,
}

impl Site {
    /// The files of `public/` and the bundle, hashed or under its plain names.
    fn new(hashed: bool) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "meridian-assets-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let pkg = dir.join("site/pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::create_dir_all(dir.join("site/leaflet")).unwrap();
        // Big and repetitive enough that compressing them pays.
        let js = "export function hydrate() { return globalThis.meridian; }\n".repeat(100);
        let css = "body { margin: 0; font-family: system-ui, sans-serif; }\n".repeat(100);
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.resize(8192, 0);
        let name = |hash: &str, ext: &str| match hashed {
            true => format!("meridian.{hash}.{ext}"),
            false => format!("meridian.{ext}"),
        };
        std::fs::write(pkg.join(name(JS, "js")), &js).unwrap();
        std::fs::write(pkg.join(name(WASM, "wasm")), &wasm).unwrap();
        std::fs::write(pkg.join(name(CSS, "css")), &css).unwrap();
        std::fs::write(dir.join("site/leaflet/leaflet.js"), &js).unwrap();
        std::fs::write(
            dir.join("site/favicon.svg"),
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7"/></svg>"#,
        )
        .unwrap();
        Self { dir }
    }

    fn root(&self) -> PathBuf {
        self.dir.join("site")
    }

    /// Where the binary is told the hash file is (absolute, so not beside the binary).
    fn hash_file(&self) -> PathBuf {
        self.dir.join("hash.txt")
    }

    /// Writes the hash file as cargo-leptos does.
    fn write_hashes(&self) {
        std::fs::write(
            self.hash_file(),
            format!("js: {JS}\nwasm: {WASM}\ncss: {CSS}\n"),
        )
        .unwrap();
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The binary serving `site`, and its base URL. Dropping the child stops it.
async fn serve(site: &Site) -> (tokio::process::Child, String) {
    let port = free_port();
    let (root, hash_file) = (site.root(), site.hash_file());
    let child = start_binary_with(
        &fresh_database().await,
        port,
        &[
            ("LEPTOS_SITE_ROOT", path(&root)),
            ("LEPTOS_SITE_PKG_DIR", "pkg"),
            ("LEPTOS_OUTPUT_NAME", "meridian"),
            ("LEPTOS_HASH_FILE_NAME", path(&hash_file)),
        ],
    )
    .await;
    (child, format!("http://127.0.0.1:{port}"))
}

fn path(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary directory")
}

/// A GET with brotli accepted: the status, `Content-Encoding` and `Cache-Control`.
async fn get(url: &str) -> (StatusCode, Option<String>, Option<String>) {
    let response = client()
        .get(url)
        .header(header::ACCEPT_ENCODING, "br, gzip")
        .send()
        .await
        .unwrap();
    let text = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &header::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let (encoding, cache) = (text(header::CONTENT_ENCODING), text(header::CACHE_CONTROL));
    (response.status(), encoding, cache)
}

async fn page(base: &str) -> (String, Option<String>) {
    let response = client().get(format!("{base}/signin")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cache = response
        .headers()
        .get(header::CACHE_CONTROL)
        .map(|v| v.to_str().unwrap().to_owned());
    (response.text().await.unwrap(), cache)
}

#[tokio::test]
async fn the_bundle_goes_out_under_hashed_names_compressed_and_cached_for_a_year() {
    let site = Site::new(true);
    site.write_hashes();
    // A split build's chunk and the chunks' loader: named by their hashes, but by no page.
    let split = [
        "/pkg/chunk_3.P0q9WmT3cXv8Kd2Lr5Ny7A.wasm",
        "/pkg/__wasm_split.Y7u5Ri3Oe1Wq9Ty7Ui5Op3.js",
    ];
    for file in split {
        std::fs::write(site.root().join(&file[1..]), "x".repeat(2048)).unwrap();
    }
    let (_server, base) = serve(&site).await;

    let (html, page_cache) = page(&base).await;
    let bundle = [
        format!("/pkg/meridian.{JS}.js"),
        format!("/pkg/meridian.{WASM}.wasm"),
        format!("/pkg/meridian.{CSS}.css"),
    ];
    for file in &bundle {
        assert!(
            html.contains(&format!("\"{file}\"")),
            "the page names {file}: {html}"
        );
    }
    assert!(!html.contains("/pkg/meridian.js"), "{html}");
    // Pages are as before: no lifetime of their own.
    assert_eq!(page_cache, None);

    for file in &bundle {
        let (status, encoding, cache) = get(&format!("{base}{file}")).await;
        assert_eq!(status, StatusCode::OK, "{file}");
        assert_eq!(encoding.as_deref(), Some("br"), "{file} in brotli");
        assert_eq!(cache.as_deref(), Some(YEAR), "{file}");
    }
    for file in split {
        let (status, _, cache) = get(&format!("{base}{file}")).await;
        assert_eq!(status, StatusCode::OK, "{file}");
        assert_eq!(cache.as_deref(), Some(YEAR), "{file}");
    }
    for file in ["/leaflet/leaflet.js", "/favicon.svg"] {
        let (status, _, cache) = get(&format!("{base}{file}")).await;
        assert_eq!(status, StatusCode::OK, "{file}");
        assert_eq!(cache.as_deref(), Some(HOUR), "{file}");
    }
    // An older build's file is the app's 404 page, which no one may keep.
    let (status, _, cache) = get(&format!("{base}/pkg/meridian.AAAAAAAAAAAAAAAAAAAAAA.js")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(cache, None);
}

/// A release build made with `cargo leptos build --release --precompress` leaves a brotli
/// (quality 11) and a gzip file beside each of the bundle's files: those go out as they are,
/// with the bundle's lifetime, instead of being compressed again (at quality 4) per request.
#[tokio::test]
async fn a_precompressed_bundle_goes_out_as_built() {
    let site = Site::new(true);
    site.write_hashes();
    let wasm = site.root().join(format!("pkg/meridian.{WASM}.wasm"));
    // Not real brotli or gzip: the server sends the file, it does not read it.
    let (br, gz) = (b"built with brotli".to_vec(), b"built with gzip".to_vec());
    std::fs::write(wasm.with_extension("wasm.br"), &br).unwrap();
    std::fs::write(wasm.with_extension("wasm.gz"), &gz).unwrap();
    let (_server, base) = serve(&site).await;
    let url = format!("{base}/pkg/meridian.{WASM}.wasm");

    for (accepted, encoding, body) in [
        (Some("br, gzip"), Some("br"), br),
        (Some("gzip"), Some("gzip"), gz),
        (None, None, std::fs::read(&wasm).unwrap()),
    ] {
        let mut request = client().get(&url);
        if let Some(accepted) = accepted {
            request = request.header(header::ACCEPT_ENCODING, accepted);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{accepted:?}");
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|v: &header::HeaderValue| v.to_str().unwrap().to_owned())
        };
        assert_eq!(
            header(header::CONTENT_ENCODING).as_deref(),
            encoding,
            "{accepted:?}"
        );
        assert_eq!(
            header(header::CACHE_CONTROL).as_deref(),
            Some(YEAR),
            "{accepted:?}"
        );
        assert_eq!(
            response.bytes().await.unwrap().to_vec(),
            body,
            "{accepted:?}"
        );
    }
}

#[tokio::test]
async fn without_a_hash_file_that_describes_the_site_pages_name_the_plain_bundle() {
    // No hash file at all (a plain `cargo build`), and one from another build.
    for stale in [false, true] {
        let site = Site::new(false);
        if stale {
            site.write_hashes();
        }
        let (_server, base) = serve(&site).await;
        let (html, _) = page(&base).await;
        for file in ["/pkg/meridian.js", "/pkg/meridian.css"] {
            assert!(
                html.contains(&format!("\"{file}\"")),
                "stale {stale}: the page names {file}: {html}"
            );
        }
        assert!(!html.contains(JS), "stale {stale}: {html}");
        let (status, encoding, cache) = get(&format!("{base}/pkg/meridian.js")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(encoding.as_deref(), Some("br"));
        assert_eq!(cache.as_deref(), Some("no-cache"), "stale {stale}");
        let (_, _, cache) = get(&format!("{base}/favicon.svg")).await;
        assert_eq!(cache.as_deref(), Some(HOUR), "stale {stale}");
    }
}
