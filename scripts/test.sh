#!/usr/bin/env bash
# The project's test command: everything CI checks, in the order a developer would.
# Usage: bash scripts/test.sh            (from the repository root)
# Env:   SKIP_PYTHON=1 skips the official-Python-SDK compatibility check.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked
echo "== cargo test"
cargo test --workspace --locked
if [ -z "${SKIP_PYTHON:-}" ] && [ -f scripts/python-compat.sh ]; then
  echo "== official Python SDK against the emulator"
  bash scripts/python-compat.sh
fi
