#!/usr/bin/env bash
# Runs Stream's JavaScript server SDK (stream-chat, pinned in
# crates/getstream-emulator/tests/js/package-lock.json, unchanged) against our emulator:
# crates/getstream-emulator/tests/js/compat.mjs, one line per case, then
# "js-compat: N passed, M failed". Exits with compat.mjs's status.
#
# Idempotent. Installs the locked packages with `npm ci` into a throwaway directory under
# the cargo target dir (gitignored; the registry is the only network access), builds the
# emulator (debug), starts it on 127.0.0.1:0 with fresh credentials, and always stops it.
#
# Usage: bash scripts/js-compat.sh [compat.mjs args, e.g. --only unknown_task_id, --list]
# Env:   NODE (default node), NPM (default npm), CARGO_TARGET_DIR,
#        JS_COMPAT_DIR (install dir, default <target>/js-compat),
#        JS_COMPAT_KEEP_LOG=1 keeps the emulator's log files.
set -euo pipefail
cd "$(dirname "$0")/.."

MIN_NODE_MAJOR=18
MIN_TASK_MS=50
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
JS_DIR="${JS_COMPAT_DIR:-$TARGET_DIR/js-compat}"
NODE_BIN="${NODE:-node}"
NPM_BIN="${NPM:-npm}"
SRC="crates/getstream-emulator/tests/js"

say() { echo "js-compat: $*" >&2; }

# ---- 1. node, npm and the locked SDK ------------------------------------------------
if ! command -v "$NODE_BIN" >/dev/null 2>&1; then
  say "'$NODE_BIN' not found: install Node.js $MIN_NODE_MAJOR+ (https://nodejs.org), or set NODE=..., or skip this check with SKIP_JS=1"
  exit 2
fi
if ! command -v "$NPM_BIN" >/dev/null 2>&1; then
  say "'$NPM_BIN' not found: install npm (it ships with Node.js), or set NPM=..., or skip this check with SKIP_JS=1"
  exit 2
fi
node_major="$("$NODE_BIN" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if ! [[ "$node_major" =~ ^[0-9]+$ ]] || [ "$node_major" -lt "$MIN_NODE_MAJOR" ]; then
  say "$("$NODE_BIN" --version 2>&1) is too old: stream-chat 9 needs Node.js $MIN_NODE_MAJOR+"
  exit 2
fi
# Reinstall when the lock changes (a stamp file records what is in).
mkdir -p "$JS_DIR"
STAMP="$JS_DIR/.js-compat-stamp"
want="$(cksum <"$SRC/package.json") $(cksum <"$SRC/package-lock.json")"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want" ] || [ ! -d "$JS_DIR/node_modules/stream-chat" ]; then
  pinned="$(sed -n 's/.*"stream-chat": *"\([^"]*\)".*/\1/p' "$SRC/package.json" | head -n1)"
  say "installing stream-chat $pinned (locked) from the npm registry into $JS_DIR"
  cp "$SRC/package.json" "$SRC/package-lock.json" "$JS_DIR/"
  # --ignore-scripts: nothing from the registry runs at install time.
  (cd "$JS_DIR" && "$NPM_BIN" ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  printf '%s' "$want" >"$STAMP"
fi
cp "$SRC/compat.mjs" "$JS_DIR/compat.mjs"

# ---- 2. the emulator ----------------------------------------------------------------
cargo build --quiet -p getstream-emulator --locked
EMULATOR="$TARGET_DIR/debug/getstream-emulator"
if [ ! -x "$EMULATOR" ]; then
  say "no emulator binary at $EMULATOR after cargo build"
  exit 2
fi

API_KEY="compat-$("$NODE_BIN" -p 'require("crypto").randomBytes(6).toString("hex")')"
API_SECRET="$("$NODE_BIN" -p 'require("crypto").randomBytes(32).toString("hex")')"
LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/js-compat.XXXXXX")"
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
  if [ -z "${JS_COMPAT_KEEP_LOG:-}" ]; then
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
  COMPAT_MIN_TASK_MS="$MIN_TASK_MS" \
  "$NODE_BIN" "$JS_DIR/compat.mjs" "$@"
status=$?
set -e
if [ "$status" -ne 0 ] && ! kill -0 "$EMU_PID" 2>/dev/null; then
  say "the emulator died during the run; its stderr:"
  tail -n 20 "$ERR" >&2 || true
fi
exit "$status"
