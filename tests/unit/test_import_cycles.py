"""No import cycle in ``core/`` or ``streamer/`` (issue 27), lazy and type-only imports included.

The graph is read from the source with :mod:`ast`: an edge for every ``import``/``from ...
import`` anywhere in a module (inside functions and ``if TYPE_CHECKING:`` too, since a cycle
hidden there is still one concept leaning on another both ways). ``from pkg import name`` leads
to ``pkg.name`` where that is a module, else to ``pkg`` (its ``__init__``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

_ROOT = Path(__file__).parents[2]
_PACKAGES = ("core", "streamer")


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in _PACKAGES:
        for path in (_ROOT / pkg).rglob("*.py"):
            parts = path.relative_to(_ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> Iterator[str]:
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in known:
                    yield sub
                elif target in known:
                    yield target


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of core/ and streamer/ it imports."""
    modules = _modules()
    known = set(modules)
    return {m: set(_imports(m, p, known)) - {m} for m, p in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def test_the_walk_sees_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_walk_reads_the_source() -> None:
    graph = import_graph()
    assert "core.serving.categories" in graph["core.serving.verdict"]
    assert "streamer.config" in graph["streamer.cli"] or any(
        "streamer.config" in graph[m] for m in graph if m.startswith("streamer.commands")
    )


def test_no_import_cycle_in_core_or_streamer() -> None:
    assert cycles(import_graph()) == []
