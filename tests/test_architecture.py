"""The house rules, checked on every run: layers point one way, no package cycles, FastAPI only in ``api/``,
typer only in ``cli.py``. Function-level imports count (a lazy import is still a dependency)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "nlp_service"

# Top to bottom; a module may import its own layer and any layer below, never one above. Names in one layer
# are siblings that may use each other, as long as no cycle forms between them.
LAYERS = [
    {"cli", "api"},  # entry points
    {"service"},  # the facade: composes, nothing else
    {"services", "batch"},  # application services (batch: the same work over many rows, on Dask)
    {"reports"},
    {"issues", "news", "search", "routing"},  # components of one domain each
    {"pairs", "index", "classify", "io", "access"},
    {"text", "embedding"},
    {"storage"},
    {"domain", "settings", "errors"},  # plain types and values
]
LAYER_OF = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def _imports(path: Path) -> set[str]:
    """Absolute module names imported anywhere in the file (relative imports resolved)."""
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts[:-1])  # the package a relative import starts from (a module's or an __init__'s)
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return out


def _modules() -> dict[str, set[str]]:
    return {".".join(p.relative_to(PKG.parent).with_suffix("").parts): _imports(p)
            for p in PKG.rglob("*.py") if "migrations" not in p.parts}


def _top(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "nlp_service" and len(parts) > 1 else None


def test_every_package_has_a_layer():
    tops = {p.stem if p.is_file() else p.name for p in PKG.iterdir()
            if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").exists())}
    missing = {t for t in tops if t not in LAYER_OF and t != "web"}  # web/ holds only a template and static files
    assert not missing, f"give these a layer in tests/test_architecture.py: {sorted(missing)}"


def test_layers_point_down():
    upward = []
    for mod, imports in _modules().items():
        src = _top(mod)
        for target in imports:
            dst = _top(target)
            if src in LAYER_OF and dst in LAYER_OF and dst != src and LAYER_OF[dst] < LAYER_OF[src]:
                upward.append(f"{mod} imports {target} ({dst} is above {src})")
    assert not upward, "\n".join(sorted(upward))


def test_no_cycles_between_packages():
    graph: dict[str, set[str]] = {}
    for mod, imports in _modules().items():
        src = _top(mod)
        graph.setdefault(src, set()).update(d for d in map(_top, imports) if d and d != src)

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    cycles = sorted(f"{a} <-> {b}" for a in graph for b in graph[a] if a < b and a in reach(b))
    assert not cycles, cycles


@pytest.mark.parametrize(("library", "allowed"), [("fastapi", "api"), ("starlette", "api"), ("typer", "cli")])
def test_framework_stays_at_its_edge(library, allowed):
    wrong = sorted(mod for mod, imports in _modules().items()
                   if _top(mod) != allowed and any(i == library or i.startswith(library + ".") for i in imports))
    assert not wrong, f"only {allowed} may import {library}: {wrong}"
