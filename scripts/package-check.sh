#!/usr/bin/env bash
# What each publishable crate's package carries: only what a user builds (sources, README,
# the emulator's docs) — no tests, test data, scripts, lock files of the JS check or
# proptest regressions. Prints each package's file count and size. Run after
# `cargo publish --dry-run` (scripts/test.sh), which leaves the .crate files in
# target/package/.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)"
status=0
for crate in getstream-tasks getstream-emulator getstream-cli; do
  list="$(cargo package --list --locked --allow-dirty -p "$crate" 2>/dev/null)"
  # Cargo adds Cargo.toml.orig, Cargo.lock (binaries) and .cargo_vcs_info.json itself.
  bad="$(printf '%s\n' "$list" | grep -Ev '^(src/.*\.rs|README\.md|docs/[^/]+\.md|Cargo\.toml|Cargo\.toml\.orig|Cargo\.lock|\.cargo_vcs_info\.json)$' || true)"
  if [ -n "$bad" ]; then
    echo "package-check: $crate carries files it does not need:" >&2
    printf '  %s\n' $bad >&2
    status=1
  fi
  file="$(ls "$TARGET_DIR"/package/{,tmp-crate/}"$crate-$version.crate" 2>/dev/null | head -1 || true)"
  size="(not packaged yet)"
  [ -n "$file" ] && [ -f "$file" ] && size="$(( $(stat -c %s "$file") / 1024 )) KiB"
  echo "package-check: $crate: $(printf '%s\n' "$list" | wc -l) files, $size"
done
exit "$status"
