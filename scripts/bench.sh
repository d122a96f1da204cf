#!/usr/bin/env bash
# Benchmarks (issue 5 "Benchmarks", issue 3 load figure): builds --profile profiling, sets up the
# Python virtualenv with Stream's official SDK (getstream==7.0.0, the same venv and pin as
# scripts/python-compat.sh), runs `getstream-bench all` and prints one markdown table.
# Takes a few minutes on 2 cores. Loopback traffic only; every loop is bounded. Not run by CI.
#
# Usage: bash scripts/bench.sh [getstream-bench all options, e.g. --waits 2000 --out RESULTS.md]
#        bash scripts/bench.sh --help
# Env:   PYTHON (default python3), CARGO_TARGET_DIR, PYTHON_COMPAT_VENV (venv path),
#        BENCH_NO_PYTHON=1 skips the Python rows (no PyPI access needed).
set -euo pipefail
cd "$(dirname "$0")/.."

SDK_PIN="getstream==7.0.0"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
VENV="${PYTHON_COMPAT_VENV:-$TARGET_DIR/python-venv}"
PY="${PYTHON:-python3}"
CONSTRAINTS="crates/getstream-emulator/tests/python/constraints.txt"

say() { echo "bench: $*" >&2; }

# ---- 1. optimised build (the `profiling` profile: release with line tables) --------
cargo build --quiet --profile profiling --locked -p getstream-bench -p getstream-emulator
BENCH="$TARGET_DIR/profiling/getstream-bench"
EMULATOR="$TARGET_DIR/profiling/getstream-emulator"

# ---- 2. virtualenv with the pinned SDK (as in scripts/python-compat.sh) -------------------
PY_ARGS=()
if [ -z "${BENCH_NO_PYTHON:-}" ]; then
  if ! command -v "$PY" >/dev/null 2>&1 || ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    say "Python 3.10+ not found as $PY (set PYTHON=... or BENCH_NO_PYTHON=1)"
    exit 2
  fi
  if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    say "creating virtualenv $VENV"
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    if ! "$PY" -m venv "$VENV" >/dev/null 2>&1; then
      rm -rf "$VENV"
      "$PY" -m venv --without-pip "$VENV" || { say "cannot create a virtualenv (apt-get install python3-venv)"; exit 2; }
    fi
  fi
  if "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    PIP=("$VENV/bin/python" -m pip)
  else
    PIP=("$PY" -m pip --python "$VENV/bin/python")
  fi
  # Same stamp as python-compat.sh, so the two scripts share one install.
  STAMP="$VENV/.python-compat-stamp"
  want="$SDK_PIN $(cksum <"$CONSTRAINTS")"
  if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want" ]; then
    say "installing $SDK_PIN from PyPI into $VENV"
    "${PIP[@]}" install --disable-pip-version-check --quiet -c "$CONSTRAINTS" "$SDK_PIN"
    printf '%s' "$want" >"$STAMP"
  fi
  PY_ARGS=(--python "$VENV/bin/python")
fi

# ---- 3. run -------------------------------------------------------------------------------
say "running (a few minutes; progress on stderr, the table on stdout)"
exec "$BENCH" all --emulator "$EMULATOR" "${PY_ARGS[@]}" "$@"
