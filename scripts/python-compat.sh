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
PYJWT_PYTHON="$VENV_ABS/bin/python" cargo test --quiet -p getstream --lib --locked \
  auth::jwt::tests::pyjwt_verifies_our_token -- --ignored --exact >&2

# ---- 2. the emulator ----------------------------------------------------------------
cargo build --quiet -p getstream-emulator --locked
EMULATOR="$TARGET_DIR/debug/getstream-emulator"
if [ ! -x "$EMULATOR" ]; then
  say "no emulator binary at $EMULATOR after cargo build"
  exit 2
fi

API_KEY="compat-$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(6))')"
API_SECRET="$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(32))')"
LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/python-compat.XXXXXX")"
OUT="$LOG_DIR/emulator.stdout"
ERR="$LOG_DIR/emulator.stderr"
EMU_PID=""

cleanup() {
  local status=$?
  if [ -n "$EMU_PID" ] && kill -0 "$EMU_PID" 2>/dev/null; then
    kill "$EMU_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$EMU_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$EMU_PID" 2>/dev/null || true
    wait "$EMU_PID" 2>/dev/null || true
  fi
  if [ -z "${PYTHON_COMPAT_KEEP_LOG:-}" ]; then
    rm -rf "$LOG_DIR"
  else
    say "emulator logs kept in $LOG_DIR"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$EMULATOR" --addr 127.0.0.1:0 --api-key "$API_KEY" --api-secret "$API_SECRET" --admin \
  --min-task-duration "${MIN_TASK_MS}ms" --per-item-cost 1ms >"$OUT" 2>"$ERR" &
EMU_PID=$!

# The emulator prints base_url=, api_key=, api_secret= lines once it listens.
BASE_URL=""
for _ in $(seq 300); do
  BASE_URL="$(sed -n 's/^base_url=//p' "$OUT" | head -n1 | tr -d '\r')"
  if [ -n "$BASE_URL" ] && grep -q '^api_secret=' "$OUT"; then break; fi
  if ! kill -0 "$EMU_PID" 2>/dev/null; then
    say "the emulator exited before it printed base_url=; its stderr:"
    tail -n 20 "$ERR" >&2 || true
    exit 2
  fi
  BASE_URL=""
  sleep 0.1
done
if [ -z "$BASE_URL" ]; then
  say "the emulator printed no base_url= line within 30 s"
  tail -n 20 "$ERR" >&2 || true
  exit 2
fi
printed_key="$(sed -n 's/^api_key=//p' "$OUT" | head -n1 | tr -d '\r')"
printed_secret="$(sed -n 's/^api_secret=//p' "$OUT" | head -n1 | tr -d '\r')"
if [ "$printed_key" != "$API_KEY" ] || [ "$printed_secret" != "$API_SECRET" ]; then
  say "the emulator printed other credentials than it was given (api_key=$printed_key)"
  exit 2
fi
say "emulator at $BASE_URL (pid $EMU_PID)"

# ---- 3. the official SDK against it ----------------------------------------------
set +e
STREAM_BASE_URL="$BASE_URL" STREAM_API_KEY="$API_KEY" STREAM_API_SECRET="$API_SECRET" \
  COMPAT_MIN_TASK_MS="$MIN_TASK_MS" PYTHONDONTWRITEBYTECODE=1 \
  "$VENV/bin/python" "$COMPAT" "$@"
status=$?
set -e
if [ "$status" -ne 0 ] && ! kill -0 "$EMU_PID" 2>/dev/null; then
  say "the emulator died during the run; its stderr:"
  tail -n 20 "$ERR" >&2 || true
fi
exit "$status"
