#!/usr/bin/env python3
"""Import loops between the source files of each crate, read from the code's own paths.

For every `.rs` file under `crates/*/src`, the paths it names (`crate::a::b::C`,
`super::x`, `self::y`, in `use` lines and in code) are resolved to the file that defines
the item: through child modules, and through `pub use` re-exports to the file they
re-export from, so that `crate::Error` counts as an import of the file that defines
`Error`, not of `lib.rs`. A `mod x;` declaration is not an import. Then the strongly
connected components of that graph with more than one file are printed, per crate.

Usage: python3 scripts/import-loops.py [--fail]   (--fail: exit 1 when a loop exists)
Standard library only; reads the files, changes nothing.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATH_RE = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE_RE = re.compile(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]+);", re.S)
MOD_RE = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+([A-Za-z_][A-Za-z0-9_]*)\s*;", re.M)
PATH_ATTR_RE = re.compile(r"#\[path\s*=\s*\"([^\"]+)\"\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+([A-Za-z_][A-Za-z0-9_]*)\s*;")
COMMENT_RE = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
STRING_RE = re.compile(r'"(?:\\.|[^"\\])*"')


class Module:
    def __init__(self, path: tuple[str, ...], file: Path):
        self.path = path
        self.file = file
        self.children: dict[str, Module] = {}
        self.reexports: dict[str, tuple[str, ...]] = {}  # name -> absolute module path + item
        self.text = ""


def strip(text: str) -> str:
    return STRING_RE.sub('""', COMMENT_RE.sub("", text))


def load(file: Path, path: tuple[str, ...], modules: dict[tuple[str, ...], Module]) -> Module:
    module = Module(path, file)
    modules[path] = module
    module.text = strip(file.read_text(encoding="utf-8"))
    base = file.parent if file.name in ("lib.rs", "main.rs", "mod.rs") else file.with_suffix("")
    attr_mods = {name: rel for rel, name in PATH_ATTR_RE.findall(module.text)}
    for name in MOD_RE.findall(module.text):
        if name in attr_mods:
            child = (file.parent / attr_mods[name]).resolve()
        else:
            child = base / f"{name}.rs"
            if not child.exists():
                child = base / name / "mod.rs"
        if child.exists() and child.is_relative_to(ROOT / "crates"):
            module.children[name] = load(child, path + (name,), modules)
    return module


def absolute(module: Module, head: str, rest: list[str]) -> list[str]:
    if head == "crate":
        return rest
    base = list(module.path)
    if head == "super":
        base = base[:-1]
        while rest and rest[0] == "super":
            base, rest = base[:-1], rest[1:]
    return base + rest


def expand_use(tree: str) -> list[str]:
    """`a::{b, c::{d, e}}` -> ["a::b", "a::c::d", "a::c::e"] (the `as` renames dropped)."""
    tree = re.sub(r"\s+", "", tree)
    if "{" not in tree:
        return [tree.split("as")[0] if "::" in tree or tree else tree]
    i = tree.index("{")
    prefix, inner = tree[:i], tree[i + 1 : tree.rindex("}")]
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    parts.append(cur)
    out = []
    for part in filter(None, parts):
        for leaf in expand_use(part):
            out.append(prefix + leaf)
    return out


def collect_reexports(modules: dict[tuple[str, ...], Module]) -> None:
    for module in modules.values():
        for tree in USE_RE.findall(module.text):
            for leaf in expand_use(tree):
                leaf = re.sub(r"as[A-Za-z_][A-Za-z0-9_]*$", "", leaf) if "as" in leaf else leaf
                segs = [s for s in leaf.split("::") if s]
                if not segs or segs[-1] == "*":
                    continue
                head = segs[0]
                if head in ("crate", "super", "self"):
                    target = absolute(module, head, segs[1:])
                elif head in module.children:
                    target = list(module.path) + segs
                else:
                    continue  # another crate's item
                module.reexports[segs[-1]] = tuple(target)


def resolve(modules, path: tuple[str, ...], seen=None) -> Path | None:
    """The file that defines the item (or module) at the absolute path."""
    seen = seen or set()
    if path in seen:
        return None
    seen.add(path)
    module = modules[()]
    for i, seg in enumerate(path):
        if seg in module.children:
            module = module.children[seg]
            continue
        if seg in module.reexports:
            return resolve(modules, module.reexports[seg] + path[i + 1 :], seen)
        return module.file
    return module.file


def tarjan(graph: dict[Path, set[Path]]) -> list[list[Path]]:
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def crate_loops(src: Path) -> list[list[Path]]:
    loops = []
    for root_name in ("lib.rs", "main.rs"):
        root = src / root_name
        if not root.exists():
            continue
        modules: dict[tuple[str, ...], Module] = {}
        load(root, (), modules)
        collect_reexports(modules)
        graph: dict[Path, set[Path]] = {m.file: set() for m in modules.values()}
        for module in modules.values():
            for head, rest in PATH_RE.findall(module.text):
                segs = absolute(module, head, [s for s in rest.split("::") if s])
                target = resolve(modules, tuple(segs))
                if target and target != module.file:
                    graph[module.file].add(target)
        loops += [sorted(c) for c in tarjan(graph) if len(c) > 1]
    return loops


def main() -> int:
    found = False
    for src in sorted(ROOT.glob("crates/*/src")):
        loops = crate_loops(src)
        crate = src.parent.name
        if not loops:
            print(f"{crate}: no import loop between files")
        for comp in loops:
            found = True
            names = ", ".join(str(p.relative_to(src)) for p in comp)
            print(f"{crate}: a loop of {len(comp)} files: {names}")
    return 1 if found and "--fail" in sys.argv else 0


if __name__ == "__main__":
    sys.exit(main())
