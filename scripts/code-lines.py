#!/usr/bin/env python3
"""Code lines per source file, tests aside: the measure behind "no file over 500 code lines".

A code line is a line of a `.rs` file under `crates/*/src` that is not blank, not only a
comment (`//`, `///`, `//!`, or inside `/* */`), and not inside a `#[cfg(test)]` item
(an inline `mod tests { ... }`); a file named `tests.rs` or `*_tests.rs` is a test module
and is not counted. Files over the limit are printed, largest first.

Usage: python3 scripts/code-lines.py [--limit N] [--all] [--fail]
  --limit N  the limit (500)
  --all      print every file, not only those over the limit
  --fail     exit 1 when a file is over the limit
Standard library only; reads the files, changes nothing.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def strip_strings(line: str) -> str:
    out, i, in_str = [], 0, False
    while i < len(line):
        c = line[i]
        if in_str:
            if c == "\\":
                i += 2
                continue
            if c == '"':
                in_str = False
            i += 1
            continue
        if c == '"':
            in_str = True
            out.append('""')
        else:
            out.append(c)
        i += 1
    return "".join(out)


def code_lines(text: str) -> int:
    count = 0
    in_block = False
    skip_depth = None  # brace depth at which a #[cfg(test)] item ends
    pending_test = False
    depth = 0
    for raw in text.splitlines():
        line = raw.strip()
        if in_block:
            if "*/" in line:
                in_block = False
                line = line.split("*/", 1)[1].strip()
            else:
                continue
        if line.startswith("/*") and "*/" not in line:
            in_block = True
            continue
        if not line or line.startswith("//"):
            continue
        code = strip_strings(line).split("//", 1)[0]
        if skip_depth is None and code.startswith("#[cfg(test)]"):
            pending_test = True
        opens, closes = code.count("{"), code.count("}")
        if pending_test and skip_depth is None and opens:
            skip_depth = depth
            pending_test = False
        if pending_test and code.endswith(";") and not code.startswith("#["):
            pending_test = False  # `#[cfg(test)] mod tests;` or a one-line item
            depth += opens - closes
            continue
        in_test = skip_depth is not None or pending_test
        depth += opens - closes
        if skip_depth is not None and depth <= skip_depth:
            skip_depth = None
            continue
        if not in_test:
            count += 1
    return count


def main() -> int:
    args = sys.argv[1:]
    limit = int(args[args.index("--limit") + 1]) if "--limit" in args else 500
    rows = []
    for f in sorted(ROOT.glob("crates/*/src/**/*.rs")):
        if f.name == "tests.rs" or f.name.endswith("_tests.rs"):
            continue  # a unit-test module of its own (`#[cfg(test)] mod tests;`)
        rows.append((code_lines(f.read_text()), f.relative_to(ROOT)))
    rows.sort(reverse=True)
    over = [r for r in rows if r[0] > limit]
    for n, f in rows if "--all" in args else over:
        print(f"{n:6} {f}")
    if not over:
        print(f"no file over {limit} code lines ({len(rows)} files)")
    return 1 if over and "--fail" in args else 0


if __name__ == "__main__":
    sys.exit(main())
