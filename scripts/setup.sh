#!/usr/bin/env bash
# Installs what the project needs on a fresh machine (idempotent).
# The Rust toolchain comes with the machine image; we add the components we use.
set -euo pipefail
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install Rust (https://rustup.rs) first" >&2
  exit 1
fi
if command -v rustup >/dev/null 2>&1; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt || true
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy || true
fi
