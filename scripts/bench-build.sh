#!/usr/bin/env bash
# Build cost of the SDK (issue 15 "A lean SDK"): two hello-world binaries side by side,
# one that builds a plain `reqwest::Client` and one that builds a `getstream_tasks::Client`
# (default features), with the reqwest features the SDK's defaults enable (rustls, http2,
# system-proxy). For each: the crates in its normal dependency tree (`cargo tree -e normal`,
# itself excluded), the crates `cargo build` compiles (build scripts and proc macros
# included), and the wall time of a cold `cargo build --release` (empty target dir).
# Prints one markdown table. CPU heavy (two cold builds, aws-lc among them): minutes on 2
# cores. Not run by CI.
#
# Usage: bash scripts/bench-build.sh
# Env:   BENCH_BUILD_ROUNDS (default 1): cold builds of each, alternating, to see the noise;
#        BENCH_BUILD_JOBS (default: all cores) passed to cargo -j;
#        BENCH_BUILD_KEEP=1 keeps the scratch projects (their path is printed).
# The projects are seeded with this repository's Cargo.lock, so both resolve the same
# versions, and built --offline when the registry cache has everything (else online).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
ROUNDS="${BENCH_BUILD_ROUNDS:-1}"
JOBS="${BENCH_BUILD_JOBS:-$(nproc)}"
REQWEST_FEATURES='"rustls", "http2", "system-proxy"'

say() { echo "bench-build: $*" >&2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-build.XXXXXX")"
if [ -z "${BENCH_BUILD_KEEP:-}" ]; then
  trap 'rm -rf "$WORK"' EXIT
else
  say "scratch projects kept in $WORK"
fi

# make_project NAME DEPENDENCY-LINE MAIN-BODY
make_project() {
  mkdir -p "$WORK/$1/src"
  cat >"$WORK/$1/Cargo.toml" <<EOF
[package]
name = "$1"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
$2

# Not part of any enclosing workspace.
[workspace]
EOF
  printf 'fn main() {\n    %s\n}\n' "$3" >"$WORK/$1/src/main.rs"
  cp "$ROOT/Cargo.lock" "$WORK/$1/Cargo.lock"
}

make_project hello-reqwest \
  "reqwest = { version = \"0.13\", default-features = false, features = [$REQWEST_FEATURES] }" \
  'let client = reqwest::Client::builder().build().expect("client"); println!("{client:?}");'
make_project hello-getstream-tasks \
  "getstream-tasks = { path = \"$ROOT/crates/getstream-tasks\" }" \
  'let client = getstream_tasks::Client::new("api-key", "api-secret").expect("client"); println!("{client:?}");'

OFFLINE=(--offline)
for p in hello-reqwest hello-getstream-tasks; do
  if ! (cd "$WORK/$p" && cargo fetch --offline >/dev/null 2>&1); then
    say "registry cache incomplete for $p: building online"
    OFFLINE=()
  fi
done

# Crates in the normal dependency tree, the project itself excluded.
tree_count() {
  (cd "$WORK/$1" && cargo tree "${OFFLINE[@]}" -e normal --prefix none) |
    sed -e 's/ (\*)$//' -e 's/ (proc-macro)$//' -e 's/ (\/.*)$//' | sort -u | grep -vc "^$1 "
}

declare -A TREE SECS UNITS SIZE
for p in hello-reqwest hello-getstream-tasks; do
  TREE[$p]="$(tree_count "$p")"
done

# cold_build NAME: sets LAST_SECS, and records the units compiled and the binary size.
cold_build() {
  local p="$1" log start end
  rm -rf "$WORK/$p/target"
  log="$WORK/$p.build.log"
  start="$(date +%s.%N)"
  (cd "$WORK/$p" && env -u RUSTC_WRAPPER CARGO_TARGET_DIR="$WORK/$p/target" \
    cargo build --release "${OFFLINE[@]}" -j "$JOBS" 2>"$log") || {
    tail -n 30 "$log" >&2
    exit 1
  }
  end="$(date +%s.%N)"
  UNITS[$p]="$(grep -c '^ *Compiling ' "$log")"
  SIZE[$p]="$(stat -c %s "$WORK/$p/target/release/$p")"
  LAST_SECS="$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}')"
}

say "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the builds"
for round in $(seq "$ROUNDS"); do
  for p in hello-reqwest hello-getstream-tasks; do
    say "round $round: cold release build of $p"
    cold_build "$p"
    say "  $p: ${LAST_SECS}s"
    SECS[$p]="${SECS[$p]:-} $LAST_SECS"
  done
done
say "load average $(cut -d' ' -f1-3 /proc/loadavg) after the builds"

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
R_MED="$(echo "${SECS[hello-reqwest]}" | median)"
G_MED="$(echo "${SECS[hello-getstream-tasks]}" | median)"
fmt_runs() { echo "$1" | tr ' ' '\n' | grep -v '^$' | awk '{printf "%s%.1f", (NR>1?", ":""), $1}'; }

echo "## Build cost: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, getstream-tasks at $(git -C "$ROOT" rev-parse --short HEAD)"
echo
echo "| hello-world | crates in the normal tree | crates compiled | cold release build, s (median of $ROUNDS) | runs, s | binary, KiB |"
echo "|---|---|---|---|---|---|"
for p in hello-reqwest hello-getstream-tasks; do
  med="$R_MED"; [ "$p" = hello-getstream-tasks ] && med="$G_MED"
  printf '| %s | %s | %s | %.1f | %s | %s |\n' "$p" "${TREE[$p]}" "${UNITS[$p]}" "$med" \
    "$(fmt_runs "${SECS[$p]}")" "$(( SIZE[$p] / 1024 ))"
done
printf '| getstream-tasks − reqwest | +%s | +%s | ×%.2f | | +%s |\n' \
  "$(( TREE[hello-getstream-tasks] - TREE[hello-reqwest] ))" \
  "$(( UNITS[hello-getstream-tasks] - UNITS[hello-reqwest] ))" \
  "$(awk -v g="$G_MED" -v r="$R_MED" 'BEGIN {print g / r}')" \
  "$(( (SIZE[hello-getstream-tasks] - SIZE[hello-reqwest]) / 1024 ))"
echo
echo "Targets (issue 15): at most +25 crates in the tree, at most ×1.15 the build time."
