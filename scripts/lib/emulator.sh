# Shared by scripts/python-compat.sh and scripts/js-compat.sh (sourced, not run): builds
# the debug emulator, starts it on 127.0.0.1:0 with the caller's credentials, waits for
# the lines it prints once it listens, and stops it when the calling script exits.
#
# The caller defines `say` (its own log prefix) and sets TARGET_DIR, then calls:
#   emulator_start NAME API_KEY API_SECRET MIN_TASK_MS KEEP_LOG
#     NAME names the log directory; KEEP_LOG non-empty keeps the emulator's logs.
#     Sets BASE_URL and EMU_PID; exits 2 with the emulator's stderr when it cannot start.
#   emulator_report_death STATUS
#     After the client ran: when STATUS is a failure and the emulator is gone, prints
#     the tail of its stderr (a crash, not the client, is then the likely cause).

emulator_start() {
  local name="$1" api_key="$2" api_secret="$3" min_task_ms="$4"
  EMU_KEEP_LOG="$5"
  cargo build --quiet -p getstream-emulator --locked
  local emulator="$TARGET_DIR/debug/getstream-emulator"
  if [ ! -x "$emulator" ]; then
    say "no emulator binary at $emulator after cargo build"
    exit 2
  fi

  EMU_LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")"
  EMU_OUT="$EMU_LOG_DIR/emulator.stdout"
  EMU_ERR="$EMU_LOG_DIR/emulator.stderr"
  EMU_PID=""
  trap _emulator_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  "$emulator" --addr 127.0.0.1:0 --api-key "$api_key" --api-secret "$api_secret" --admin \
    --min-task-duration "${min_task_ms}ms" --per-item-cost 1ms >"$EMU_OUT" 2>"$EMU_ERR" &
  EMU_PID=$!

  # The emulator prints base_url=, api_key=, api_secret= lines once it listens.
  BASE_URL=""
  for _ in $(seq 300); do
    BASE_URL="$(sed -n 's/^base_url=//p' "$EMU_OUT" | head -n1 | tr -d '\r')"
    if [ -n "$BASE_URL" ] && grep -q '^api_secret=' "$EMU_OUT"; then break; fi
    if ! kill -0 "$EMU_PID" 2>/dev/null; then
      say "the emulator exited before it printed base_url=; its stderr:"
      tail -n 20 "$EMU_ERR" >&2 || true
      exit 2
    fi
    BASE_URL=""
    sleep 0.1
  done
  if [ -z "$BASE_URL" ]; then
    say "the emulator printed no base_url= line within 30 s"
    tail -n 20 "$EMU_ERR" >&2 || true
    exit 2
  fi
  local printed_key printed_secret
  printed_key="$(sed -n 's/^api_key=//p' "$EMU_OUT" | head -n1 | tr -d '\r')"
  printed_secret="$(sed -n 's/^api_secret=//p' "$EMU_OUT" | head -n1 | tr -d '\r')"
  if [ "$printed_key" != "$api_key" ] || [ "$printed_secret" != "$api_secret" ]; then
    say "the emulator printed other credentials than it was given (api_key=$printed_key)"
    exit 2
  fi
  say "emulator at $BASE_URL (pid $EMU_PID)"
}

emulator_report_death() {
  if [ "$1" -ne 0 ] && ! kill -0 "$EMU_PID" 2>/dev/null; then
    say "the emulator died during the run; its stderr:"
    tail -n 20 "$EMU_ERR" >&2 || true
  fi
}

_emulator_cleanup() {
  local status=$?
  if [ -n "${EMU_PID:-}" ] && kill -0 "$EMU_PID" 2>/dev/null; then
    kill "$EMU_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$EMU_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$EMU_PID" 2>/dev/null || true
    wait "$EMU_PID" 2>/dev/null || true
  fi
  if [ -z "${EMU_KEEP_LOG:-}" ]; then
    rm -rf "$EMU_LOG_DIR"
  else
    say "emulator logs kept in $EMU_LOG_DIR"
  fi
  exit "$status"
}
