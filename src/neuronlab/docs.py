"""Pages of the documentation generated from the code, so the docs never drift from it.

Each function returns Markdown that the documentation site (``make docs``, Sphinx with
MyST) inserts at build time; none of it is kept by hand:

- :func:`activation_page`: one row per registered activation, from the registry;
- :func:`cli_page`: every subcommand's ``--help``, from the argparse parser;
- :func:`verdict_page`: each diagnostics verdict, its thresholds and remedy, from
  ``diagnostics.STATUSES``, ``REMEDIES`` and the threshold constants;
- :func:`sweep_page`: every sweep setting (file key, flag, default) and result
  column, from ``sweep.SETTINGS`` and ``sweep.COLUMNS``;
- :func:`module_map`: every module with its height in the import graph, from the
  imports in the source (deferred ones included).

``python -m neuronlab.docs NAME`` prints one of them (NAME a key of :data:`PAGES`).

>>> "| `relu` |" in activation_page()
True
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import inspect
import os
import pkgutil
import sys
from collections.abc import Iterator
from pathlib import Path

import neuronlab
from neuronlab import activations, diagnostics, probe

__all__ = ["HEIGHTS", "PAGES", "activation_page", "cli_page", "cycles", "import_graph",
           "intended_height", "module_map", "public_modules", "sweep_page", "verdict_page"]


# -- activations ------------------------------------------------------------------------


def _bound(value: float) -> str:
    return {float("inf"): "∞", float("-inf"): "−∞"}.get(value, f"{value:g}")


def _cell(text: str) -> str:
    """Code text safe inside a Markdown table cell (``|z|`` would end the cell)."""
    return "`" + text.replace("|", "\\|") + "`"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def activation_page() -> str:
    """Markdown: one row per registered activation with its formula and properties.

    Returns
    -------
    str
        A table (name, g, g′, defaults, range, declared properties, kinks) and each
        activation's one-line description, in registry order.
    """
    lines = [
        "Properties are those of the default hyper-parameters; the tests check each one",
        "numerically. Kinks list where the derivative is a convention (PyTorch's).",
        "",
        "| name | g(z) | g′(z) | defaults | range | zero-centred | monotonic | smooth "
        "| saturating | kinks |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in activations.names():
        g = activations.get(name)
        p = g.properties
        defaults = ", ".join(f"{k}={v!r}" for k, v in g.get_config().items()) or "–"
        kinks = ", ".join(f"{k:g}" for k in g.kinks) or "–"
        lines.append(
            f"| `{name}` | {_cell(g.formula)} | {_cell(g.derivative_formula)} | {defaults} "
            f"| ({_bound(p.range[0])}, {_bound(p.range[1])}) | {_yes(p.zero_centred)} "
            f"| {_yes(p.monotonic)} | {_yes(p.smooth)} | {_yes(p.saturating)} | {kinks} |")
    lines += ["", "**Descriptions**", ""]
    for name in activations.names():
        doc = (type(activations.get(name)).__doc__ or "").strip().splitlines()
        lines.append(f"- **`{name}`**: {doc[0] if doc else ''}")
    return "\n".join(lines) + "\n"


# -- command line -----------------------------------------------------------------------

HELP_WIDTH = 88
"""Columns of the ``--help`` text on the CLI page (argparse reads ``COLUMNS``)."""


@contextlib.contextmanager
def _columns(width: int) -> Iterator[None]:
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, tuple[str, argparse.ArgumentParser]]:
    """Each subcommand's name -> (one-line help, parser), in the parser's order."""
    for action in parser._actions:  # argparse keeps its subparsers only here
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            return {name: (helps.get(name, ""), sub) for name, sub in action.choices.items()}
    return {}


def cli_page() -> str:
    """Markdown: the ``neuronlab`` usage and every subcommand's ``--help``.

    Generated from :func:`neuronlab.cli.build_parser`, so a new subcommand or option
    appears here without an edit.
    """
    from neuronlab import cli  # the CLI sits above everything this module reads

    parser = cli.build_parser()
    with _columns(HELP_WIDTH):
        lines = ["```text", parser.format_help().rstrip(), "```", ""]
        for name, (summary, sub) in _subcommands(parser).items():
            lines += [f"## `neuronlab {name}`", "", summary[:1].upper() + summary[1:] + ".",
                      "", "```text", sub.format_help().rstrip(), "```", ""]
    return "\n".join(lines)


# -- diagnostics verdicts ---------------------------------------------------------------

_THRESHOLDS: dict[str, tuple[str, ...] | str] = {
    "non_finite": "a weight or output statistic of the layer (`weight_norm`, "
                  "`weight_std`, `act_mean`, `act_std`) is NaN or infinite, or the last "
                  "layer's is and this layer's gradient norms are not finite",
    "dead": ("DEAD_FRACTION",),
    "saturated": ("SATURATED_FRACTION", "SATURATED_SAMPLES", "SATURATION_SLOPE"),
    "exploding": ("EXPLODING_RATIO",),
    "vanishing": ("VANISHING_RATIO",),
    "healthy": "none of the above applies",
}
"""The constants of :mod:`neuronlab.diagnostics` that decide each status, or the rule in
words where no constant does."""


def _attribute_docs(module: object) -> dict[str, str]:
    """The docstrings written under a module's constants (``X = 1`` then ``\"\"\"...\"\"\"``)."""
    body = ast.parse(inspect.getsource(module)).body  # type: ignore[arg-type]
    docs = {}
    for node, after in zip(body, body[1:], strict=False):
        target = (node.target if isinstance(node, ast.AnnAssign)
                  else node.targets[0] if isinstance(node, ast.Assign) else None)
        if (isinstance(target, ast.Name) and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str)):
            docs[target.id] = inspect.cleandoc(after.value.value)
    return docs


def _oneline(text: str) -> str:
    return " ".join(text.split())


def verdict_page() -> str:
    """Markdown: each verdict of :func:`neuronlab.diagnostics.verdicts`, in priority order.

    For each status in ``diagnostics.STATUSES``: the thresholds that decide it (their
    values and the reasoning written beside them in the source) and the remedy from
    ``diagnostics.REMEDIES`` (including variants such as ``saturated_relu``).

    Raises
    ------
    ValueError
        If a status has no threshold entry here or a remedy belongs to no status, so
        the build fails instead of publishing an incomplete table.
    """
    statuses = diagnostics.STATUSES
    missing = [s for s in statuses if s not in _THRESHOLDS]
    orphans = [k for k in diagnostics.REMEDIES
               if k not in statuses and not any(k.startswith(s + "_") for s in statuses)]
    if missing or orphans:
        raise ValueError(f"neuronlab.docs: statuses without thresholds {missing}, remedies "
                         f"without a status {orphans}: update docs._THRESHOLDS")
    # SATURATION_SLOPE is defined (and explained) where slopes are measured, the probe
    notes = {**_attribute_docs(probe), **_attribute_docs(diagnostics)}
    lines = ["| priority | status | thresholds |", "|---|---|---|"]
    for rank, status in enumerate(statuses, 1):
        rule = _THRESHOLDS[status]
        limits = rule if isinstance(rule, str) else ", ".join(
            f"`{c} = {getattr(diagnostics, c)!r}`" for c in rule)
        lines.append(f"| {rank} | **{status}** | {limits} |")
    lines.append("")
    for rank, status in enumerate(statuses, 1):
        lines += [f"### {rank}. {status}", ""]
        rule = _THRESHOLDS[status]
        if isinstance(rule, str):
            lines.append(f"- When {rule}.")
        for constant in () if isinstance(rule, str) else rule:
            note = _oneline(notes.get(constant, ""))
            lines.append(f"- `{constant} = {getattr(diagnostics, constant)!r}`: {note}")
        lines += ["", f"**Remedy**: {diagnostics.REMEDIES[status]}", ""]
        for key, remedy in diagnostics.REMEDIES.items():
            if key.startswith(status + "_"):
                lines += [f"**Remedy** (`{key}`, {key[len(status) + 1:]}-like units): {remedy}",
                          ""]
    return "\n".join(lines)


# -- sweeps ----------------------------------------------------------------------------


def sweep_page() -> str:
    """Markdown: every setting of a sweep cell and every column of ``results.csv``.

    From ``sweep.SETTINGS`` (the one table that also drives validation and the CLI
    flags) and ``sweep.COLUMNS``.
    """
    from neuronlab import sweep  # sits above diagnostics, like the CLI

    lines = ["| setting (file key) | flag | default | meaning |", "|---|---|---|---|"]
    for setting in sweep.SETTINGS.values():
        lines.append(f"| `{setting.name}` | `{setting.flag}` | `{setting.default!r}` | "
                     f"{setting.help} |")
    results = ", ".join(f"`{c}`" for c in sweep.RESULT_COLUMNS)
    timing = ", ".join(f"`{c}`" for c in sweep.TIMING_COLUMNS)
    lines += ["", f"Columns of `results.csv`: `cell_id`, the settings above, then {results}; "
              f"and the timing columns {timing}, which differ from run to run (leave them "
              "out to compare two tables)."]
    return "\n".join(lines) + "\n"


# -- the module map ---------------------------------------------------------------------

HEIGHTS: dict[str, int] = {
    # small shared helpers, the registry, the parameter type, data
    "_registry": 0, "parameter": 0, "data": 0, "progress": 0, "parallel": 0,
    "_files": 0, "_suggest": 0, "_mathml": 0, "_paths": 0, "_terminal": 0, "_validate": 0,
    "_workers": 0,
    # one activation's maths and the catalogues built on it
    "activations": 1, "meanfield": 1, "init": 1, "optim": 1, "probe": 1,
    "layers": 2, "losses": 2, "formula": 2,
    "network": 3,
    "io": 4,
    "train": 5,
    "diagnostics": 6, "gradcheck": 6, "propagation": 6,
    "studies": 7, "sweep": 7, "sklearn": 7, "playground": 7,
    "report": 8,
    "cli": 9,
    "docs": 10,  # the generated pages read every module, the CLI's parser too
}
"""The intended height of each module, bottom (0) to top; a key names a module or a
whole subpackage.  A module imports only modules at its own height or below, and never
in a cycle: ``tests/test_architecture.py`` checks every import against this table, and
the architecture page's module map shows it."""


def intended_height(module: str) -> int | None:
    """The height :data:`HEIGHTS` gives a module of the package (its own entry or its
    subpackage's); None when it has none.

    >>> intended_height("neuronlab.studies.atlas"), intended_height("neuronlab.nothing")
    (7, None)
    """
    parts = module.split(".")[1:]
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in HEIGHTS:
            return HEIGHTS[key]
    return None



def public_modules() -> list[str]:
    """Every importable module of the package whose name has no leading underscore."""
    names = [neuronlab.__name__]
    for info in pkgutil.walk_packages(neuronlab.__path__, neuronlab.__name__ + "."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


def _package_folder(root: Path | None) -> Path:
    return Path(neuronlab.__file__).parent if root is None else Path(root)


def _sources(root: Path | None = None) -> dict[str, Path]:
    """Module name -> source file of the package in ``root`` (default: neuronlab's own
    folder), private modules included."""
    root = _package_folder(root)
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def import_graph(root: Path | None = None) -> dict[str, set[str]]:
    """Module -> the package's modules it imports, counting every import statement.

    Imports inside functions and at the bottom of a file count too: a deferred import
    still makes the importer depend on the imported module.  Relative imports are
    resolved; an imported name resolves to the longest module prefix that exists.

    Parameters
    ----------
    root : path, optional
        The package's folder (default: neuronlab's own).
    """
    sources = _sources(root)
    package_name = _package_folder(root).name

    def resolve(name: str) -> str | None:
        while name and name not in sources:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in sources}
    for name, path in sources.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package[: len(package) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
            else:
                continue
            for target in targets:
                found = resolve(target)
                if found and found != name and found != package_name:
                    graph[name].add(found)
    return graph


def _unit(name: str) -> str:
    """The map's unit of a module: ``neuronlab.x`` (a subpackage counts as one unit)."""
    return ".".join(name.split(".")[:2])


def _heights(graph: dict[str, set[str]]) -> tuple[dict[str, int], list[list[str]]]:
    """Height of each node (0: imports nothing; else 1 + the highest import) and cycles.

    The members of a cycle share one height (its strongly connected component's).
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    component: dict[str, int] = {}
    components: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan: components come out dependencies first
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            members = []
            while True:
                w = stack.pop()
                component[w] = len(components)
                members.append(w)
                if w == v:
                    break
            components.append(sorted(members))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    height_of: list[int] = []
    for members in components:  # dependencies were numbered first
        below = {component[w] for v in members for w in graph[v]} - {len(height_of)}
        height_of.append(1 + max((height_of[c] for c in below), default=-1))
    heights = {v: height_of[component[v]] for v in graph}
    return heights, [members for members in components if len(members) > 1]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of a graph from :func:`import_graph`: each strongly connected
    component of more than one module, sorted (tests/test_architecture.py requires none).

    >>> cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}})
    [['a', 'b']]
    """
    return _heights(graph)[1]


def _summary(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def module_map(root: Path | None = None) -> str:
    """Markdown: every module of the package, its height and what it imports.

    A subpackage (``studies``, ``report``) counts as one unit.  *height* is the one
    :data:`HEIGHTS` gives it (``–`` if none: the architecture test then fails); *depth*
    is measured from the imports: 0 for a module that imports no other module of the
    package, else one more than the deepest module it imports.  Modules in an import
    cycle share one depth and are listed below the table.

    Parameters
    ----------
    root : path, optional
        The package's folder (default: neuronlab's own).
    """
    sources = _sources(root)
    package_name = _package_folder(root).name
    units = sorted({_unit(name) for name in sources if name != package_name})
    graph: dict[str, set[str]] = {unit: set() for unit in units}
    for name, targets in import_graph(root).items():
        if name != package_name:
            graph[_unit(name)] |= {_unit(t) for t in targets} - {_unit(name)}
    depths, found = _heights(graph)
    short = {unit: unit.split(".", 1)[1] for unit in units}
    rule = {unit: intended_height(unit) for unit in units}
    lines = ["| height | depth | module | what it is | imports |", "|---|---|---|---|---|"]
    order = sorted(units, key=lambda u: (-(rule[u] if rule[u] is not None else 99),
                                         -depths[u], u))
    for unit in order:
        kind = "/" if sources[unit].name == "__init__.py" else ""
        imports = ", ".join(f"`{short[t]}`" for t in sorted(graph[unit], key=short.get))
        summary = _summary(sources[unit]).replace("|", "\\|")
        height = "–" if rule[unit] is None else str(rule[unit])
        lines.append(f"| {height} | {depths[unit]} | `{short[unit]}{kind}` | {summary} | "
                     f"{imports or '–'} |")
    lines.append("")
    if found:
        lines.append("**Import cycles** (each member imports the others, directly or not; "
                     "they share one depth):")
        lines.append("")
        lines += [f"- {' ↔ '.join(f'`{short[m]}`' for m in members)}" for members in found]
    else:
        lines.append("There is no import cycle.")
    return "\n".join(lines) + "\n"


PAGES = {"activations": activation_page, "cli": cli_page, "verdicts": verdict_page,
         "sweep": sweep_page, "modules": module_map}
"""Name -> generator of each generated page, as the site's ``neuronlab-generated``
directive and ``python -m neuronlab.docs NAME`` use them."""


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "activations"
    if which not in PAGES:
        sys.exit(f"usage: python -m neuronlab.docs [{'|'.join(PAGES)}]")
    print(PAGES[which]())
