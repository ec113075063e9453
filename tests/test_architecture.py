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

from neuronlab import docs

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "neuronlab"

#: The intended heights live with the module map they are drawn in (the docs'
#: architecture page): a module imports only modules at its own height or below.
HEIGHTS = docs.HEIGHTS


def import_graph(src: Path, package: str) -> dict[str, set[str]]:
    """Module -> the package modules it imports, every import statement counted (the
    graph the architecture page's module map is drawn from)."""
    return docs.import_graph(src / package)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module."""
    return docs.cycles(graph)


height = docs.intended_height


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
    assert unplaced == [], "give each new module a height in neuronlab.docs.HEIGHTS"


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


#: Declared dependencies the package uses without importing them, and where.
USED_WITHOUT_IMPORT = {"websockets": "playground/server.py"}  # uvicorn's ws="websockets-sansio"
IMPORT_NAMES = {"scikit-learn": "sklearn", "pyyaml": "yaml"}


def _third_party_imports() -> set[str]:
    """Top-level names of every module the package imports from outside itself and the
    standard library (deferred imports count)."""
    import sys

    imported = set()
    for path in (SRC / PACKAGE).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    return imported - set(sys.stdlib_module_names) - {PACKAGE}


def _declared(group: str | None = None) -> dict[str, str]:
    """Import name -> distribution, for the runtime dependencies (``group=None``) or
    every optional extra (``group="extras"``)."""
    import re
    import tomllib

    project = tomllib.loads((SRC.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = project["dependencies"] if group is None else \
        [r for extra in project["optional-dependencies"].values() for r in extra]
    names = {}
    for requirement in requirements:
        dist = re.match(r"[A-Za-z0-9_.-]+", requirement).group().lower()
        names[IMPORT_NAMES.get(dist, dist.replace("-", "_"))] = dist
        for extra in re.findall(r"\[([^\]]*)\]", requirement):  # dask[distributed]
            names.update({e.strip(): dist for e in extra.split(",")})
    return names


def test_every_runtime_dependency_is_used():
    # safetensors was declared while the package wrote the format itself (issue 13): a
    # runtime dependency must be imported somewhere in the package (deferred imports count)
    imported = _third_party_imports()
    unused = []
    for name, dist in _declared().items():
        if dist in USED_WITHOUT_IMPORT:
            source = (SRC / PACKAGE / USED_WITHOUT_IMPORT[dist]).read_text(encoding="utf-8")
            assert dist in source, f"{dist} is no longer used by {USED_WITHOUT_IMPORT[dist]}"
        elif name not in imported:
            unused.append(dist)
    assert unused == [], f"declared in pyproject.toml but never imported: {unused}"


def test_every_import_is_declared():
    # scipy and mpmath were imported but arrived only through scikit-learn and sympy: a
    # module the package imports must be a declared dependency (or, for an optional
    # feature, an extra), not somebody else's dependency that may go away
    undeclared = _third_party_imports() - set(_declared()) - set(_declared("extras"))
    assert undeclared == set(), f"imported but not declared in pyproject.toml: {undeclared}"
