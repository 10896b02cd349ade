//! The hydrate bundle's file names, and how long browsers may keep the files the site serves.
//!
//! With `hash-files = true` (the workspace's Cargo.toml), cargo-leptos names the bundle after
//! its content (`pkg/meridian.<md5 in base64url>.js`, `.wasm`, `.css`) and writes the three
//! hashes to `hash.txt` beside the server binary; Leptos' `HydrationScripts` and
//! `HashedStylesheet` read that file on each render when `hash_files` is on. [`use_hash_file`]
//! turns it on only when the file is there and describes the site being served, so a binary
//! built by plain `cargo build`, a test process with no site, or a site that `cargo leptos watch`
//! rebuilt without hashing still gets pages that name files that exist (the plain names).
//!
//! [`cache_control`] gives the content-addressed files a year (a new build is a new name), the
//! plain-named bundle none (it changes under the same name with every build), and the other
//! files of `public/` an hour. See "Assets and caching" in docs/DESIGN.md.

use std::{
    fmt,
    path::{Path, PathBuf},
    sync::Arc,
};

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};
use leptos::prelude::LeptosOptions;

/// For a file whose name carries its content's hash: it never changes.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For the bundle under its plain names: a new build replaces it under the same name.
pub const REVALIDATE: &str = "no-cache";
/// For the rest of `public/` (Leaflet, the world outlines, the icon): changed only by a deploy.
pub const PUBLIC_FILES: &str = "public, max-age=3600";

/// The bundle's three hashes, as cargo-leptos writes them.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Hashes {
    js: String,
    wasm: String,
    css: String,
}

impl Hashes {
    /// Reads `js: …`, `wasm: …` and `css: …` lines; other lines (a split build's) are ignored.
    fn parse(text: &str) -> Option<Self> {
        let get = |key: &str| {
            text.lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(k, _)| k.trim() == key)
                .map(|(_, hash)| hash.trim().to_owned())
                // base64url, so a hash can only ever be part of a file name.
                .filter(|hash| !hash.is_empty() && base64url(hash))
        };
        Some(Self {
            js: get("js")?,
            wasm: get("wasm")?,
            css: get("css")?,
        })
    }

    /// The file names in the pkg directory.
    fn files(&self, output: &str) -> [String; 3] {
        [
            format!("{output}.{}.js", self.js),
            format!("{output}.{}.wasm", self.wasm),
            format!("{output}.{}.css", self.css),
        ]
    }
}

/// Why a hash file is not used.
#[derive(Debug, PartialEq, Eq)]
enum Unusable {
    Unreadable,
    Missing(String),
    Rebuilt(String),
}

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreadable => write!(f, "it lacks a js, wasm or css hash"),
            Self::Missing(name) => write!(f, "the site has no {name} (an older build's file)"),
            Self::Rebuilt(name) => write!(
                f,
                "the site has {name} under its plain name, so the bundle was rebuilt without \
                 hashing since (cargo leptos watch does that: run it with LEPTOS_HASH_FILES=false, \
                 as scripts/run does)"
            ),
        }
    }
}

/// The hashes in `text` when the pkg directory `pkg` holds the files they name and no bundle
/// under the plain names beside them (hashing renames the files, so a plain one was written
/// since, and the hash file is out of date).
fn current(text: &str, pkg: &Path, output: &str) -> Result<Hashes, Unusable> {
    let hashes = Hashes::parse(text).ok_or(Unusable::Unreadable)?;
    for name in hashes.files(output) {
        if !pkg.join(&name).is_file() {
            return Err(Unusable::Missing(name));
        }
    }
    for plain in [format!("{output}.js"), format!("{output}.wasm")] {
        if pkg.join(&plain).is_file() {
            return Err(Unusable::Rebuilt(plain));
        }
    }
    Ok(hashes)
}

/// Where Leptos looks for the hash file: `options.hash_file` (`LEPTOS_HASH_FILE_NAME`, by
/// default `hash.txt`) in the running binary's directory, or that path itself when absolute.
fn hash_file_path(options: &LeptosOptions) -> PathBuf {
    let name = Path::new(options.hash_file.as_ref());
    if name.is_absolute() {
        return name.to_path_buf();
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .unwrap_or_default()
        .join(name)
}

fn pkg_dir(options: &LeptosOptions) -> PathBuf {
    Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref())
}

/// Turns Leptos' hashed names on, with the hash file's absolute path, when that file describes
/// the site being served; otherwise off, so pages name the bundle's plain files. Whatever
/// `LEPTOS_HASH_FILES` says: a page that names files the site lacks never hydrates, and Leptos
/// panics on a missing hash file when its hashing is on.
pub fn use_hash_file(options: &mut LeptosOptions) {
    const PLAIN: &str = "serving the bundle under its plain names";
    let path = hash_file_path(options);
    let said = options.hash_files;
    options.hash_files = false;
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        // Expected where no site was built with hashing (tests, a plain `cargo build`).
        Err(err) if !said => {
            tracing::debug!(path = %path.display(), %err, "no hash file: {PLAIN}");
            return;
        }
        Err(err) => {
            tracing::warn!(path = %path.display(), %err, "no hash file: {PLAIN}");
            return;
        }
    };
    let Some(absolute) = path.to_str() else {
        tracing::warn!(path = %path.display(), "the hash file's path is not UTF-8: {PLAIN}");
        return;
    };
    match current(&text, &pkg_dir(options), &options.output_name) {
        Ok(hashes) => {
            tracing::info!(
                js = %hashes.js, wasm = %hashes.wasm, css = %hashes.css,
                "serving the bundle under hashed names"
            );
            options.hash_files = true;
            options.hash_file = absolute.into();
        }
        // Expected after `cargo leptos watch` with hashing off rebuilt the site.
        Err(why) if !said => {
            tracing::info!(path = %path.display(), "hash file not used, {why}: {PLAIN}");
        }
        Err(why) => {
            tracing::warn!(path = %path.display(), "hash file not used, {why}: {PLAIN}");
        }
    }
}

/// What the cache headers need to know: whether the site's bundle is hashed, and where it is.
#[derive(Clone, Debug)]
pub struct Bundle {
    hashed: bool,
    pkg_route: String,
}

impl Bundle {
    /// The bundle `options` names, after [`use_hash_file`].
    pub fn of(options: &LeptosOptions) -> Self {
        Self {
            hashed: options.hash_files,
            pkg_route: options.site_pkg_dir_route_base(),
        }
    }

    /// The `Cache-Control` for a file at `path`. In a hashed site every file of the bundle
    /// whose name carries its content's hash is immutable: the three the pages name, and a
    /// split build's chunks, their loader and its manifest (`chunk_3.<hash>.wasm`,
    /// `__wasm_split.<hash>.js`, `__wasm_split_manifest.<hash>.json`).
    pub fn lifetime(&self, path: &str) -> &'static str {
        match path.strip_prefix(&self.pkg_route) {
            Some(file) if self.hashed && named_by_hash(file) => IMMUTABLE,
            Some(_) => REVALIDATE,
            None => PUBLIC_FILES,
        }
    }
}

/// Whether `file` is `<name>.<hash>.<extension>` with cargo-leptos's hash: 22 characters of
/// base64url (an MD5). The loader's unhashed placeholder, 22 underscores, is not a hash.
fn named_by_hash(file: &str) -> bool {
    let mut parts = file.rsplit('.');
    let (Some(_extension), Some(hash), Some(name)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    !name.is_empty()
        && !file.contains('/')
        && hash.len() == 22
        && base64url(hash)
        && hash.bytes().any(|b| b.is_ascii_alphanumeric())
}

/// Whether `text` is made of base64url's characters only.
fn base64url(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Middleware for the static-file fallback: sets `Cache-Control` on the files it serves. Its
/// other answers (the app's 404 page, also for an old build's file name) are left as they are.
pub async fn cache_control(
    State(bundle): State<Arc<Bundle>>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let lifetime = bundle.lifetime(request.uri().path());
    let mut response = next.run(request).await;
    let status = response.status();
    if status.is_success() || status == axum::http::StatusCode::NOT_MODIFIED {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(lifetime));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASHES: &str =
        "js: Jq3mX0Fv6Zr2Tn8Bq1Wc4A\nwasm: k9Pd2Lx7Rf5Vb3Ns0Ht6Yg\ncss: Cz4Ew8Qa1Um6Io2Kd9Sj7B\n";

    /// A pkg directory holding `files`, removed on drop.
    struct Pkg(PathBuf);

    impl Pkg {
        fn with(files: &[&str]) -> Self {
            static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dir = std::env::temp_dir()
                .join(format!("meridian-assets-unit-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            for file in files {
                std::fs::write(dir.join(file), b"x").unwrap();
            }
            Self(dir)
        }
    }

    impl Drop for Pkg {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const HASHED: [&str; 3] = [
        "meridian.Jq3mX0Fv6Zr2Tn8Bq1Wc4A.js",
        "meridian.k9Pd2Lx7Rf5Vb3Ns0Ht6Yg.wasm",
        "meridian.Cz4Ew8Qa1Um6Io2Kd9Sj7B.css",
    ];

    #[test]
    fn a_hash_file_is_used_when_the_site_holds_what_it_names() {
        let pkg = Pkg::with(&HASHED);
        let hashes = current(HASHES, &pkg.0, "meridian").unwrap();
        assert_eq!(hashes.wasm, "k9Pd2Lx7Rf5Vb3Ns0Ht6Yg");
        // A split build's extra lines change nothing.
        let split = format!("{HASHES}manifest: abc\nsplit: def\n");
        assert_eq!(current(&split, &pkg.0, "meridian").unwrap(), hashes);
    }

    #[test]
    fn a_hash_file_of_another_build_or_a_rebuilt_site_is_not_used() {
        let pkg = Pkg::with(&HASHED[..2]);
        assert_eq!(
            current(HASHES, &pkg.0, "meridian"),
            Err(Unusable::Missing(HASHED[2].into()))
        );
        // `cargo leptos watch` rebuilt the bundle under its plain names beside the old one.
        let pkg = Pkg::with(&[
            HASHED[0],
            HASHED[1],
            HASHED[2],
            "meridian.js",
            "meridian.wasm",
        ]);
        assert_eq!(
            current(HASHES, &pkg.0, "meridian"),
            Err(Unusable::Rebuilt("meridian.js".into()))
        );
    }

    #[test]
    fn a_hash_file_without_all_three_hashes_or_with_a_path_in_one_is_not_used() {
        let pkg = Pkg::with(&HASHED);
        for text in [
            "",
            "js: Jq3mX0Fv6Zr2Tn8Bq1Wc4A\nwasm: k9Pd2Lx7Rf5Vb3Ns0Ht6Yg\n",
            "js: ../../etc/passwd\nwasm: a\ncss: b\n",
            "js:\nwasm: a\ncss: b\n",
        ] {
            assert_eq!(
                current(text, &pkg.0, "meridian"),
                Err(Unusable::Unreadable),
                "{text:?}"
            );
        }
    }

    #[test]
    fn hashed_files_are_immutable_the_plain_bundle_revalidates_and_public_files_keep_an_hour() {
        let bundle = Bundle {
            hashed: true,
            pkg_route: "/pkg/".into(),
        };
        let split = [
            "chunk_12.Pr-Y7xY8HaBRcn4j-RtN4g.wasm",
            "split___sign_up_view_3420142448303920151.NnCNqjv1-pYbaTlBi8pKrw.wasm",
            "__wasm_split.fZOWmljh2N_UD--1KKOccA.js",
            "__wasm_split_manifest.MyzznsOX0Hy-QxMoOA50Xg.json",
        ];
        for name in HASHED.iter().chain(&split) {
            assert_eq!(
                bundle.lifetime(&format!("/pkg/{name}")),
                IMMUTABLE,
                "{name}"
            );
        }
        for plain in [
            "meridian.js",
            "meridian.wasm",
            "__wasm_split.______________________.js",
            "meridian.short.js",
            ".Jq3mX0Fv6Zr2Tn8Bq1Wc4A.js",
            "old/meridian.Jq3mX0Fv6Zr2Tn8Bq1Wc4A.js",
        ] {
            assert_eq!(
                bundle.lifetime(&format!("/pkg/{plain}")),
                REVALIDATE,
                "{plain}"
            );
        }
        assert_eq!(bundle.lifetime("/leaflet/leaflet.js"), PUBLIC_FILES);
        assert_eq!(bundle.lifetime("/favicon.svg"), PUBLIC_FILES);
        // Without hashing, nothing is immutable.
        let plain = Bundle {
            hashed: false,
            pkg_route: "/pkg/".into(),
        };
        assert_eq!(plain.lifetime(&format!("/pkg/{}", HASHED[0])), REVALIDATE);
        assert_eq!(plain.lifetime(&format!("/pkg/{}", split[0])), REVALIDATE);
    }
}
