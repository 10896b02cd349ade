# Shared by scripts/run and scripts/test: installing the toolchain, and Postgres clusters.
# Every step checks first and skips what is already there, so a second run is quick.
# shellcheck shell=bash

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_DIR="${MERIDIAN_DATA_DIR:-$ROOT/.data}"
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"

CARGO_LEPTOS_VERSION=0.3.10
SQLX_CLI_VERSION=0.8.6
SCHEMATHESIS_VERSION=4.32.5

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

apt_updated=""
apt_install() {
  command -v apt-get >/dev/null || die "apt-get is needed to install: $*"
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    apt-get update -qq
    apt_updated=1
  fi
  say "apt-get install $*"
  apt-get install -y -qq "$@" >/dev/null
}

# The wasm-bindgen version Cargo.lock pins: the CLI must match it exactly.
locked_wasm_bindgen() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' "$ROOT/Cargo.lock"
}

# Tools that `cargo install` puts in Cargo's bin directory must be found on PATH, also when
# CARGO_HOME points somewhere else (a fresh package cache, say).
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

ensure_rust_tools() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown \
    || { say "adding the wasm32 target"; rustup target add wasm32-unknown-unknown; }
  rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed | grep -q '^clippy' || rustup component add clippy

  if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
    say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 18 minutes, once)"
    cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION" --features no_downloads
  fi
  local wb
  wb="$(locked_wasm_bindgen)"
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb" ]; then
    say "installing wasm-bindgen-cli $wb (about 3 minutes, once)"
    # Not --locked: its lock file pins a crate version the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$wb"
  fi
}

ensure_sqlx_cli() {
  if [ "$(cargo sqlx --version 2>/dev/null | awk '{print $2}')" != "$SQLX_CLI_VERSION" ]; then
    say "installing sqlx-cli $SQLX_CLI_VERSION (a few minutes, once)"
    cargo install sqlx-cli --locked --version "$SQLX_CLI_VERSION" \
      --no-default-features --features postgres,rustls
  fi
}

# Downloads every package Cargo.lock names, for every platform, and from then on forbids Cargo
# the network: a build step that needs a package the scripts did not fetch (or a Cargo.lock that
# no longer matches the manifests) fails at once with Cargo's own message, instead of passing
# on a machine whose package cache happens to hold it and failing on a new one.
fetch_crates_then_go_offline() {
  say "cargo fetch --locked (every package in Cargo.lock)"
  cargo fetch --locked --manifest-path "$ROOT/Cargo.toml" \
    || die "cargo fetch failed: Cargo.lock does not match the manifests, or a package could not be downloaded"
  export CARGO_NET_OFFLINE=true
}

# Leaflet's files into public/leaflet, and binaryen's wasm-opt on PATH (release builds).
ensure_npm_tools() {
  command -v npm >/dev/null || apt_install nodejs npm
  local modules="$ROOT/scripts/node_modules"
  if [ ! -x "$modules/.bin/wasm-opt" ] || [ ! -f "$modules/leaflet/dist/leaflet.js" ] \
    || [ ! -f "$modules/world-atlas/countries-110m.json" ] \
    || [ ! -f "$modules/topojson-client/dist/topojson-client.min.js" ]; then
    say "npm: Leaflet, the world's outlines and binaryen"
    (cd "$ROOT/scripts" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  local dist="$modules/leaflet/dist" out="$ROOT/public/leaflet"
  if [ ! -f "$out/leaflet.js" ] || ! cmp -s "$dist/leaflet.js" "$out/leaflet.js"; then
    mkdir -p "$out"
    cp -r "$dist/leaflet.js" "$dist/leaflet.css" "$dist/images" "$out/"
  fi
  # The offline map's country outlines (Natural Earth 1:110m as TopoJSON, with its licence) and
  # the client that turns them into GeoJSON in the browser.
  local world="$ROOT/public/world"
  if ! cmp -s "$modules/world-atlas/countries-110m.json" "$world/countries-110m.json" \
    || ! cmp -s "$modules/topojson-client/dist/topojson-client.min.js" "$world/topojson-client.min.js"; then
    mkdir -p "$world"
    cp "$modules/world-atlas/countries-110m.json" "$world/"
    cp "$modules/world-atlas/LICENSE" "$world/LICENSE.world-atlas"
    cp "$modules/topojson-client/dist/topojson-client.min.js" "$world/"
    cp "$modules/topojson-client/LICENSE" "$world/LICENSE.topojson-client"
  fi
  export PATH="$ROOT/scripts/node_modules/.bin:$PATH"
}

# Schemathesis (the API's contract tests) from PyPI, in a virtual environment of its own
# outside the checkout, kept between runs. Prints the path of its command.
ensure_schemathesis() {
  local venv="${XDG_CACHE_HOME:-$HOME/.cache}/meridian/schemathesis-$SCHEMATHESIS_VERSION"
  if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
    say "pip: schemathesis $SCHEMATHESIS_VERSION (once)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
  fi
  echo "$venv/bin/schemathesis"
}

ensure_postgres_server() {
  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
    apt_install postgresql
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi
  id postgres >/dev/null 2>&1 || die "the postgres system user is missing (install Debian's postgresql)"
}

# Runs a command as the postgres user when we are root (initdb refuses root).
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Starts (creating on first use) a Postgres cluster in directory $1. Prints its port.
# $2 = "throwaway" trades durability for speed (test clusters only).
start_cluster() {
  local dir="$1" mode="${2:-durable}"
  ensure_postgres_server
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
    # The postgres user must be able to reach the directory.
    local p="$dir"
    while [ "$p" != "/" ]; do
      p="$(dirname "$p")"
      runuser -u postgres -- test -x "$p" \
        || die "the postgres user cannot enter $p; set MERIDIAN_DATA_DIR to a directory it can reach"
    done
  fi
  chmod 700 "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_postgres "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    free_port | as_postgres tee "$dir/port" >/dev/null
  fi
  local port
  port="$(cat "$dir/port")"
  if ! as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    local opts="-p $port -k $dir -c listen_addresses=127.0.0.1"
    if [ "$mode" = throwaway ]; then
      opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400"
    fi
    as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "$opts" start >/dev/null \
      || { tail -n 20 "$dir/server.log" >&2; die "Postgres did not start (log: $dir/server.log)"; }
  fi
  echo "$port"
}

stop_cluster() {
  as_postgres "$PG_BIN/pg_ctl" -D "$1/data" -m fast stop >/dev/null 2>&1 || true
}

# Creates database $2 on the cluster at port $1 unless it exists.
ensure_database() {
  local port="$1" name="$2"
  if ! psql -h 127.0.0.1 -p "$port" -U postgres -tAc "select 1 from pg_database where datname = '$name'" | grep -q 1; then
    psql -h 127.0.0.1 -p "$port" -U postgres -qc "create database \"$name\"" >/dev/null
  fi
}
