"""The package's layering: no import cycle, deferred imports counted, and every import
pointing down the heights of the architecture (docs: the architecture page).

Every ``import`` and ``from ... import`` in a module counts, wherever it is written
(top of the file, inside a function, at the bottom, under ``TYPE_CHECKING``): an import
moved out of sight to dodge a cycle still ties the two modules together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "neuronlab"

#: Heights, bottom (0) to top: a module imports only modules at its own height or below
#: (and never in a cycle).  A key names a module or a whole subpackage.
HEIGHTS = {
    # small shared helpers, the registry, the parameter type, data
    "_registry": 0, "parameter": 0, "data": 0, "progress": 0, "parallel": 0,
    "_files": 0, "_suggest": 0,
    # one activation's maths and the catalogues built on it
    "activations": 1, "meanfield": 1, "init": 1, "optim": 1,
    "layers": 2, "losses": 2, "formula": 2,
    "network": 3,
    "io": 4,
    "train": 5,
    "diagnostics": 6, "gradcheck": 6, "propagation": 6,
    "studies": 7, "sweep": 7, "sklearn": 7, "playground": 7,
    "report": 8, "docs": 8,
    "cli": 9,
}


def import_graph(src: Path, package: str) -> dict[str, set[str]]:
    """Module -> the package modules it imports (every import statement counted)."""
    modules = {}
    for path in (src / package).rglob("*.py"):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path

    def resolve(name: str) -> str | None:  # the longest known module prefix of a name
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: anchored at this module's package
                    anchor = module.split(".")
                    if path.name != "__init__.py":
                        anchor = anchor[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
            else:
                continue
            for target in targets:
                found = resolve(target)
                # the package's __init__ only re-exports: importing it names no layer
                if found and found not in (module, package):
                    graph[module].add(found)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
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
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def height(module: str) -> int | None:
    """The height of a package module: its own entry or its subpackage's."""
    parts = module.split(".")[1:]
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in HEIGHTS:
            return HEIGHTS[key]
    return None


def test_the_package_has_no_import_cycle():
    graph = import_graph(SRC, PACKAGE)
    assert len(graph) > 30  # the package was found
    assert cycles(graph) == [], "split the modules of each cycle at their two heights"


def test_every_import_points_down_the_heights():
    graph = import_graph(SRC, PACKAGE)
    upward = [f"{m} (height {height(m)}) imports {t} (height {height(t)})"
              for m, targets in graph.items() for t in targets
              if None not in (height(m), height(t)) and height(t) > height(m)]
    assert upward == []
    unplaced = [m for m, targets in graph.items()
                if m != PACKAGE and height(m) is None and targets]
    assert unplaced == [], "give each new module that imports the package a height in HEIGHTS"


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


@pytest.mark.parametrize("hidden", [
    "def late():\n    from pkg import a\n",          # inside a function
    "x = 1\nfrom pkg.a import thing  # noqa\n",     # at the bottom of the file
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n",
    "import pkg.sub.c\n",                            # through a subpackage module
])
def test_a_deferred_import_still_makes_a_cycle(tmp_path, hidden):
    src = _package(tmp_path, {"__init__.py": "", "a.py": "from pkg import b\n",
                              "b.py": hidden,
                              "sub/__init__.py": "", "sub/c.py": "from pkg import a\n"})
    found = cycles(import_graph(src, "pkg"))
    assert len(found) == 1 and {"pkg.a", "pkg.b"} <= set(found[0])


def test_no_cycle_is_reported_for_a_layered_package(tmp_path):
    src = _package(tmp_path, {"__init__.py": "from pkg import a, b\n",
                              "a.py": "import os\n", "b.py": "from pkg.a import x\n"})
    assert cycles(import_graph(src, "pkg")) == []


def _public_functions(path: Path) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """(qualified name, node) of the public functions and methods of one module file."""
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef) and not child.name.startswith("_"):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and (
                    not child.name.startswith("_") or child.name in ("__init__", "__call__")):
                found.append((prefix + child.name, child))

    if not path.name.startswith("_") or path.name == "__init__.py":
        visit(ast.parse(path.read_text(encoding="utf-8")), "")
    return found


def test_the_public_api_is_annotated():
    # py.typed promises type checkers annotations: every public function and method has
    # them on each parameter (self and cls aside) and on its return (``__init__`` aside)
    missing = []
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        for name, fn in _public_functions(path):
            a = fn.args
            params = [*a.posonlyargs, *a.args, *a.kwonlyargs,
                      *([a.vararg] if a.vararg else []), *([a.kwarg] if a.kwarg else [])]
            bare = [p.arg for p in params if p.annotation is None and p.arg not in ("self", "cls")]
            if fn.returns is None and fn.name != "__init__":
                bare.append("return")
            if bare:
                missing.append(f"{path.relative_to(SRC)}: {name} {bare}")
    assert missing == []


def test_the_package_ships_py_typed():
    import tomllib

    assert (SRC / PACKAGE / "py.typed").is_file()
    config = tomllib.loads((SRC.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in config["tool"]["setuptools"]["package-data"][PACKAGE]
