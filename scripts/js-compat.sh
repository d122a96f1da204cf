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
# shellcheck source=lib/emulator.sh
source scripts/lib/emulator.sh

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

# ---- 2. the emulator (scripts/lib/emulator.sh) ----------------------------------
API_KEY="compat-$("$NODE_BIN" -p 'require("crypto").randomBytes(6).toString("hex")')"
API_SECRET="$("$NODE_BIN" -p 'require("crypto").randomBytes(32).toString("hex")')"
emulator_start js-compat "$API_KEY" "$API_SECRET" "$MIN_TASK_MS" "${JS_COMPAT_KEEP_LOG:-}"

# ---- 3. the official SDK against it ----------------------------------------------
set +e
STREAM_BASE_URL="$BASE_URL" STREAM_API_KEY="$API_KEY" STREAM_API_SECRET="$API_SECRET" \
  COMPAT_MIN_TASK_MS="$MIN_TASK_MS" \
  "$NODE_BIN" "$JS_DIR/compat.mjs" "$@"
status=$?
set -e
emulator_report_death "$status"
exit "$status"
