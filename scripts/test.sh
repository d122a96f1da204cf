#!/usr/bin/env bash
# The project's test command: everything CI checks, in the order a developer would.
# Usage: bash scripts/test.sh            (from the repository root)
# Env:   SKIP_PYTHON=1 skips the official-Python-SDK compatibility check,
#        SKIP_JS=1 the official-JavaScript-SDK (stream-chat) one.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== the house: no import loop between files, no source file over 500 code lines"
python3 scripts/import-loops.py --fail
python3 scripts/code-lines.py --fail
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The workspace build unifies the SDK's features (the CLI turns on gzip, axum,
# redis): lint its library once more as a user's default build sees it.
cargo clippy -p getstream-tasks --lib --locked -- -D warnings
echo "== the SDK's TLS/HTTP feature sets"
# Each build an application may pick (crates/getstream-tasks/Cargo.toml, README
# "Cargo features"); native-tls needs OpenSSL's headers (.ci/run installs them).
# `__fuzz` is internal: the fuzz targets' entry points (fuzz/), kept building.
for features in "" "rustls" "rustls-no-provider" "native-tls" "native-tls,http2,system-proxy" "blocking" "gzip" "axum" "redis" "__fuzz"; do
  echo "-- cargo check -p getstream-tasks --no-default-features --features \"$features\""
  cargo check -p getstream-tasks --no-default-features --features "$features" --locked --quiet
done
echo "== cargo doc"
# rustdoc's warnings fail through -D warnings; cargo's own (e.g. a doc output
# collision) only print, so look for them too.
doc_log=$(mktemp)
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked 2>&1 | tee "$doc_log"
# The SDK once more as docs.rs builds it (package.metadata.docs.rs): its opt-in features
# and `--cfg docsrs`, which marks each feature-gated item with its feature. docs.rs uses a
# nightly rustdoc; RUSTC_BOOTSTRAP lets this stable one take the same `doc_cfg` feature.
RUSTC_BOOTSTRAP=1 RUSTDOCFLAGS="--cfg docsrs -D warnings" cargo doc -p getstream-tasks --no-deps --locked --features blocking,gzip,axum,redis 2>&1 | tee -a "$doc_log"
for page in blocking/index.html webhook/axum/index.html struct.RedisEventsBuilder.html; do
  grep -q 'Available on <strong>crate feature' "target/doc/getstream_tasks/$page" || {
    echo "docs: $page does not name the feature it needs" >&2
    exit 1
  }
done
if grep -q '^warning' "$doc_log"; then
  echo "cargo doc printed warnings" >&2
  exit 1
fi
rm -f "$doc_log"
echo "== cargo test"
cargo test --workspace --locked
echo "== cargo publish --dry-run (the SDK, the emulator and the CLI, as a user would get them)"
# Packages the three crates and builds each from its package alone (the CLI against the
# other two as packaged, through cargo's local staging registry): catches a file left out
# of a package, a path outside it, a dependency the registry cannot give. Reads crates.io's
# index, as the build does; --allow-dirty packages uncommitted work as it is.
# Cargo unpacks the staged packages into its registry cache under crates.io's name and
# version, and reuses an unpacked copy it finds there: a copy left by an earlier dry-run
# (our crates are never downloaded from crates.io) would build the CLI against old sources.
# Likewise its build of them: cargo never rebuilds a registry package it has built, so their
# fingerprints go too (the workspace's own builds of them are redone on the next build).
for stale in "${CARGO_HOME:-$HOME/.cargo}"/registry/{src,cache}/*/getstream-{tasks,emulator,cli}-0.1.0{,.crate} \
  target/debug/.fingerprint/getstream-{tasks,emulator,cli}-*; do
  rm -rf "$stale"
done
cargo publish --dry-run --locked --allow-dirty -p getstream-tasks -p getstream-emulator -p getstream-cli
bash scripts/package-check.sh
if [ -z "${SKIP_PYTHON:-}" ] && [ -f scripts/python-compat.sh ]; then
  echo "== official Python SDK against the emulator"
  bash scripts/python-compat.sh
fi
if [ -z "${SKIP_JS:-}" ] && [ -f scripts/js-compat.sh ]; then
  echo "== official JavaScript SDK (stream-chat) against the emulator"
  bash scripts/js-compat.sh
fi
