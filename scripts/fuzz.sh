#!/usr/bin/env bash
# Runs the cargo-fuzz targets (fuzz/) one after the other and prints the
# executions per target and the total. Needs a nightly toolchain; installs
# cargo-fuzz if missing. Not part of CI (scripts/test.sh runs the stable
# property tests instead).
#
# Usage: bash scripts/fuzz.sh [TARGET...]     (default: every target)
# Env:   FUZZ_SECS=60      seconds per target (libFuzzer -max_total_time)
#        FUZZ_RUNS=N       executions per target instead (-runs); wins over FUZZ_SECS
#        FUZZ_MAX_LEN=65536  largest input, bytes (-max_len): 4x the webhook
#                          targets' 16 KiB cap, so plain bodies cross it and
#                          gzip bodies can inflate far past it
#        FUZZ_RSS_MB=2048  the process's memory limit (-rss_limit_mb)
#        FUZZ_MALLOC_MB=64 the largest single allocation (-malloc_limit_mb):
#                          no decoder should need more than the 16 MiB default
#                          webhook cap plus its JSON tree
#        FUZZ_SANITIZER=none  cargo fuzz --sanitizer (address, none...); none
#                          by default: our crates forbid `unsafe`, and
#                          without ASan the executions are several times faster
#        FUZZ_NICE=10      niceness (the machine may be shared)
# New inputs go to fuzz/target/corpus/<target> (not committed); the committed
# seeds in fuzz/corpus/<target> are read, never written. A crash stops the
# script with the input in fuzz/artifacts/<target>/: reproduce it with
# `cargo +nightly fuzz run <target> <file>`, fix it with a test, then copy the
# file into fuzz/corpus/<target>/ under a descriptive name.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${FUZZ_SECS:-60}
runs=${FUZZ_RUNS:-}
max_len=${FUZZ_MAX_LEN:-65536}
rss_mb=${FUZZ_RSS_MB:-2048}
malloc_mb=${FUZZ_MALLOC_MB:-64}
sanitizer=${FUZZ_SANITIZER:-none}
niceness=${FUZZ_NICE:-10}
export CARGO_INCREMENTAL=0

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "scripts/fuzz.sh needs a nightly toolchain: rustup toolchain install nightly" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

cd fuzz
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi

echo "== building ${#targets[@]} targets (sanitizer: $sanitizer)"
nice -n "$niceness" cargo +nightly fuzz build --sanitizer "$sanitizer"

if [ -n "$runs" ]; then
  budget=(-runs="$runs")
  echo "== $runs executions per target"
else
  budget=(-max_total_time="$secs")
  echo "== $secs s per target"
fi

mkdir -p target/fuzz-logs
total=0
summary=()
for t in "${targets[@]}"; do
  mkdir -p "target/corpus/$t" "corpus/$t"
  log="target/fuzz-logs/$t.log"
  echo "-- $t"
  # One process, one thread (no -jobs/-workers/-fork): the peak-memory
  # checks of the webhook targets count one input at a time.
  if ! nice -n "$niceness" cargo +nightly fuzz run --sanitizer "$sanitizer" "$t" \
      "target/corpus/$t" "corpus/$t" -- \
      "${budget[@]}" -max_len="$max_len" -rss_limit_mb="$rss_mb" \
      -malloc_limit_mb="$malloc_mb" -timeout=10 -print_final_stats=1 \
      >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "FAILED: $t (log: fuzz/$log, input: fuzz/artifacts/$t/)" >&2
    exit 1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
  peak=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
  total=$((total + ${execs:-0}))
  summary+=("$(printf '%-16s %12s executions  %8s/s  peak RSS %5s MB' "$t" "${execs:-?}" "${rate:-?}" "${peak:-?}")")
  echo "   ${summary[-1]}"
done

echo "== summary"
printf '%s\n' "${summary[@]}"
echo "total: $total executions, no crash, hang (10 s) or allocation past the limits"
