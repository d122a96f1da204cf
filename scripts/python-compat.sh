#!/usr/bin/env bash
# Runs Stream's official Python SDK (getstream==7.0.0, unchanged) against our emulator:
# crates/getstream-emulator/tests/python/compat.py, one line per case, then
# "python-compat: N passed, M failed". Exits with compat.py's status. Before that, checks
# that PyJWT (installed with the SDK) verifies a server token signed by our Rust SDK.
#
# Idempotent. Creates or reuses a virtualenv under the cargo target dir (gitignored),
# installs the pinned SDK from PyPI (the only network access), builds the emulator
# (debug), starts it on 127.0.0.1:0 with fresh credentials, and always stops it.
#
# Usage: bash scripts/python-compat.sh [compat.py args, e.g. --only unknown_task_id]
# Env:   PYTHON (default python3), CARGO_TARGET_DIR, PYTHON_COMPAT_VENV (venv path),
#        PYTHON_COMPAT_KEEP_LOG=1 keeps the emulator's log file.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/emulator.sh
source scripts/lib/emulator.sh

SDK_PIN="getstream==7.0.0"
SDK_VERSION="${SDK_PIN#*==}"
MIN_TASK_MS=50
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
VENV="${PYTHON_COMPAT_VENV:-$TARGET_DIR/python-venv}"
PY="${PYTHON:-python3}"
COMPAT="crates/getstream-emulator/tests/python/compat.py"
CONSTRAINTS="crates/getstream-emulator/tests/python/constraints.txt"

say() { echo "python-compat: $*" >&2; }

# ---- 1. virtualenv with the pinned SDK -------------------------------------------
if ! command -v "$PY" >/dev/null 2>&1; then
  say "$PY not found; install Python 3.10+ (the SDK needs it)"
  exit 2
fi
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  say "$("$PY" --version 2>&1) is too old: $SDK_PIN needs Python 3.10+ (set PYTHON=...)"
  exit 2
fi
if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
  say "creating virtualenv $VENV"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  if ! "$PY" -m venv "$VENV" >/dev/null 2>&1; then
    # Debian/Ubuntu without python3-venv have no ensurepip: make a pip-less venv and
    # let the system pip (>= 22.3) install into it with --python.
    rm -rf "$VENV"
    if ! "$PY" -m venv --without-pip "$VENV"; then
      rm -rf "$VENV"
      say "could not create a virtualenv: install the venv module (Debian/Ubuntu: apt-get install python3-venv)"
      exit 2
    fi
  fi
fi
if "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
  PIP=("$VENV/bin/python" -m pip)
else
  PIP=("$PY" -m pip --python "$VENV/bin/python")
fi
# Reinstall when the pin or the constraints change (a stamp file records what is in).
STAMP="$VENV/.python-compat-stamp"
want="$SDK_PIN $(cksum <"$CONSTRAINTS")"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want" ]; then
  say "installing $SDK_PIN from PyPI into $VENV"
  "${PIP[@]}" install --disable-pip-version-check --quiet -c "$CONSTRAINTS" "$SDK_PIN"
  printf '%s' "$want" >"$STAMP"
fi

# ---- 1b. PyJWT (the SDK's JWT library) verifies the tokens our Rust SDK signs ----------
say "PyJWT verifies a token signed by the Rust SDK"
# (absolute: cargo runs the test from the crate's directory)
case "$VENV" in /*) VENV_ABS="$VENV" ;; *) VENV_ABS="$PWD/$VENV" ;; esac
PYJWT_PYTHON="$VENV_ABS/bin/python" cargo test --quiet -p getstream-tasks --lib --locked \
  auth::jwt::tests::pyjwt_verifies_our_token -- --ignored --exact >&2

# ---- 2. the emulator (scripts/lib/emulator.sh) ----------------------------------
API_KEY="compat-$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(6))')"
API_SECRET="$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(32))')"
emulator_start python-compat "$API_KEY" "$API_SECRET" "$MIN_TASK_MS" "${PYTHON_COMPAT_KEEP_LOG:-}"

# ---- 3. the official SDK against it ----------------------------------------------
set +e
STREAM_BASE_URL="$BASE_URL" STREAM_API_KEY="$API_KEY" STREAM_API_SECRET="$API_SECRET" \
  COMPAT_MIN_TASK_MS="$MIN_TASK_MS" PYTHONDONTWRITEBYTECODE=1 \
  "$VENV/bin/python" "$COMPAT" "$@"
status=$?
set -e
emulator_report_death "$status"
exit "$status"
