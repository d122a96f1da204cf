#!/usr/bin/env python3
"""Every public path of the SDK, one a line, from rustdoc's JSON output.

Build the JSON first (rustdoc's JSON output is unstable, hence the bootstrap flag):

    RUSTC_BOOTSTRAP=1 cargo rustdoc -p getstream-tasks --all-features -- \
        -Z unstable-options --output-format json

then run `python3 scripts/public-api.py [target/doc/getstream_tasks.json] > api.txt`.
Lines are `kind path` (e.g. `fn getstream_tasks::Client::get_task`), sorted, with
re-exports followed to what they name (so moving an item between private modules
changes nothing here, while renaming or removing a public one does). Besides items:
inherent methods and associated items, public fields, enum variants, trait items and
the traits each type implements (`impl Trait for Type`), with the signatures of
functions, so that a changed parameter shows too. Standard library only.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent.parent / "target/doc/getstream_tasks.json"


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    doc = json.loads(path.read_text(encoding="utf-8"))
    index = doc["index"]
    lines: set[str] = set()

    def kind_of(item: dict) -> tuple[str, dict]:
        inner = item["inner"]
        (kind, body), = inner.items() if isinstance(inner, dict) else ((inner, {}),)
        return kind, body or {}

    def public(item: dict) -> bool:
        return item.get("visibility") in ("public", "default")

    def without_ids(value):
        """The JSON without rustdoc's item ids, which change from build to build, and
        with type paths cut to their last segment (as written, they depend on the
        `use` lines of the file that declares the item)."""
        if isinstance(value, dict):
            return {
                k: (v.rsplit("::", 1)[-1] if k == "path" and isinstance(v, str) else without_ids(v))
                for k, v in value.items()
                if k != "id"
            }
        if isinstance(value, list):
            return [without_ids(v) for v in value]
        return value

    def signature(body: dict) -> str:
        sig = body.get("sig") or body.get("decl") or {}
        generics = body.get("generics") or {}
        return json.dumps(without_ids([sig, generics]), sort_keys=True, separators=(",", ":"))

    def type_name(ty) -> str:
        return json.dumps(without_ids(ty), sort_keys=True, separators=(",", ":"))

    def path_name(p: dict) -> str:
        return p.get("path") or p.get("name") or "?"

    seen: set[tuple[str, str]] = set()

    def walk(item_id, prefix: str) -> None:
        item = index.get(str(item_id))
        if item is None:
            return
        kind, body = kind_of(item)
        if kind == "use":
            if body.get("is_glob"):
                target = index.get(str(body.get("id")))
                if target:
                    for child in kind_of(target)[1].get("items", []):
                        walk(child, prefix)
                return
            target = body.get("id")
            if target is None or str(target) not in index:
                lines.add(f"use {prefix}::{body.get('name')} = {body.get('source')}")
                return
            visit(index[str(target)], f"{prefix}::{body.get('name')}")
            return
        if not public(item):
            return
        visit(item, f"{prefix}::{item.get('name')}")

    def visit(item: dict, here: str) -> None:
        if (here, str(item["id"])) in seen:
            return
        seen.add((here, str(item["id"])))
        kind, body = kind_of(item)
        if kind == "function":
            lines.add(f"fn {here} {signature(body)}")
        elif kind == "struct":
            shape = body.get("kind")
            shape = next(iter(shape)) if isinstance(shape, dict) else shape
            lines.add(f"struct {here} ({shape})")
        else:
            lines.add(f"{kind} {here}")
        if kind == "module":
            for child in body.get("items", []):
                walk(child, here)
        if kind == "struct":
            fields = (body.get("kind") or {}).get("plain", {}).get("fields", []) if isinstance(body.get("kind"), dict) else []
            for f in fields:
                fi = index.get(str(f))
                if fi and public(fi):
                    lines.add(f"field {here}::{fi['name']} {type_name(kind_of(fi)[1])}")
        if kind == "enum":
            for v in body.get("variants", []):
                vi = index.get(str(v))
                if vi:
                    lines.add(f"variant {here}::{vi['name']}")
        if kind == "trait":
            for t in body.get("items", []):
                ti = index.get(str(t))
                if ti:
                    tk, tb = kind_of(ti)
                    lines.add(f"trait-item {here}::{ti['name']} {tk} {signature(tb)}")
        for impl_id in body.get("impls", []):
            impl = index.get(str(impl_id))
            if impl is None:
                continue
            _, ib = kind_of(impl)
            if ib.get("is_synthetic") or ib.get("blanket_impl"):
                continue
            trait = ib.get("trait")
            if trait:
                lines.add(f"impl {path_name(trait)} for {here}")
                continue
            for m in ib.get("items", []):
                mi = index.get(str(m))
                if mi and public(mi):
                    mk, mb = kind_of(mi)
                    lines.add(f"{mk} {here}::{mi['name']} {signature(mb) if mk == 'function' else ''}".rstrip())

    root = index[str(doc["root"])]
    visit(root, root["name"])
    print("\n".join(sorted(lines)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
