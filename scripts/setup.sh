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
# System packages the tests use: OpenSSL headers (the check of the SDK's native-tls
# feature) and redis-server (the Redis events tests start their own on a loopback port).
need=()
pkg-config --exists openssl 2>/dev/null || need+=(libssl-dev pkg-config)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  else
    echo "missing system packages: ${need[*]} (as root: apt-get install -y ${need[*]})" >&2
    exit 1
  fi
fi
