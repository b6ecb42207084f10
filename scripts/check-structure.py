#!/usr/bin/env python3
"""Checks two rules of the layout (issue #25) that no compiler checks:

- no file under `*/src/service/` or `common/src/` is over 450 lines, unless
  its opening comment says why its one idea needs more ("Over 450 lines:");
  unit-test modules (`tests.rs`) are tests, not the layout;
- no two modules of a crate import each other, directly or round a longer
  cycle (a module and its own parent or child excepted: Rust nests them).

Exits 1 naming each breach."""

import re
import sys
from pathlib import Path

MAX_LINES = 450
CRATES = ["common", "user-service", "carbon-service"]
ROOT = Path(__file__).resolve().parent.parent


def module_of(src: Path, file: Path) -> tuple:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def code(text: str) -> str:
    """The text without comments, so that doc links do not count."""
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def references(module: tuple, text: str, modules: set) -> set:
    found = set()
    body = code(text)
    paths = re.findall(r"\bcrate((?:::\w+)+)", body)
    paths = [tuple(p.split("::")[1:]) for p in paths]
    for m in re.finditer(r"\bsuper((?:::\w+)+|::\{([^}]*)\})", body):
        base = module[:-1]
        if m.group(2) is not None:
            names = [n.strip().split("::")[0] for n in m.group(2).split(",") if n.strip()]
            paths += [base + (n,) for n in names]
        else:
            paths.append(base + tuple(m.group(1).split("::")[1:]))
    for path in paths:
        for end in range(len(path), 0, -1):
            if path[:end] in modules:
                found.add(path[:end])
                break
    return found


def related(a: tuple, b: tuple) -> bool:
    return a[: len(b)] == b or b[: len(a)] == a


def cycles(graph: dict) -> list:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

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
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def main() -> int:
    failures = []
    for crate in CRATES:
        src = ROOT / crate / "src"
        files = sorted(src.rglob("*.rs"))
        for file in files:
            rel = file.relative_to(ROOT)
            parts = file.relative_to(src).parts
            sized = (crate == "common" or parts[0] == "service") and file.name != "tests.rs"
            text = file.read_text()
            lines = text.count("\n")
            if sized and lines > MAX_LINES:
                opening = "".join(l for l in text.splitlines()[:20] if l.startswith("//!"))
                if "Over 450 lines:" not in opening:
                    failures.append(f"{rel}: {lines} lines (over {MAX_LINES}, and its opening comment does not say why)")
        modules = {module_of(src, f): f for f in files}
        graph = {}
        for module, file in modules.items():
            targets = references(module, file.read_text(), set(modules))
            graph[module] = {t for t in targets if t != module and not related(t, module)}
        for component in cycles(graph):
            names = ", ".join("::".join(m) or "crate" for m in component)
            failures.append(f"{crate}: modules that import each other: {names}")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
