"""The documentation site: it builds with warnings as errors, offline, and its generated
pages (API, CLI, activations, verdicts, module map) follow the code they come from."""

import argparse
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from neuronlab import activations, cli, diagnostics, docs, sweep

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "neuronlab"


def _modules_on_disk() -> set[str]:
    """Public modules from the file tree (independent of ``docs.public_modules``)."""
    names = set()
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if not any(part.startswith("_") for part in parts):
            names.add(".".join(parts))
    return names


def _text(page: Path) -> str:
    """A page's visible text, squeezed to letters and digits (quotes may be curled)."""
    body = html.unescape(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")))
    return re.sub(r"[^0-9A-Za-z]+", "", body)


def _squeeze(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z]+", "", text)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert actions, "the neuronlab parser has no subcommands"
    return dict(actions[0].choices)


# -- the whole site, built once (one test: under xdist a module fixture could build twice)


EXTERNAL_TAG = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=[\"'](?:https?:)?//",
                          re.IGNORECASE)
EXTERNAL_CSS = re.compile(r"(?:url\(\s*[\"']?|@import\s+[\"'])(?:https?:)?//", re.IGNORECASE)


def test_site_builds_strictly_offline_with_every_generated_page(tmp_path):
    # What `make docs` runs, into a temporary folder: -W turns every warning (a broken
    # docstring, a page naming a Python object that does not exist, a missing page)
    # into a failed build; --keep-going lists them all at once.
    out = tmp_path / "html"
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(ROOT / "docs"), str(out)],
        capture_output=True, text=True, cwd=ROOT)
    assert build.returncode == 0, f"the site does not build strictly:\n{build.stderr}"

    # Offline: no page or stylesheet loads anything from another host (no CDN script,
    # font or MathJax).
    for page in out.rglob("*.html"):
        found = EXTERNAL_TAG.search(page.read_text(encoding="utf-8"))
        assert found is None, f"{page.relative_to(out)} loads {found.group(0)!r}"
    for sheet in out.rglob("*.css"):
        found = EXTERNAL_CSS.search(sheet.read_text(encoding="utf-8"))
        assert found is None, f"{sheet.relative_to(out)} loads {found.group(0)!r}"

    # The API reference: a page for every public module in the source tree.
    for module in _modules_on_disk():
        assert (out / "api" / f"{module}.html").exists(), f"no API page for {module}"

    # The CLI page: every subcommand and every option, from the parser.
    cli_text = (out / "cli.html").read_text(encoding="utf-8")
    for name, sub in _subparsers(cli.build_parser()).items():
        assert f"neuronlab {name}" in cli_text, f"no section for `neuronlab {name}`"
        for action in sub._actions:
            for flag in action.option_strings:
                assert flag in cli_text, f"`neuronlab {name}` option {flag} not documented"

    # The diagnostics page: every status, its threshold values and every remedy.
    verdict_text = _text(out / "diagnostics.html")
    for status in diagnostics.STATUSES:
        assert _squeeze(status) in verdict_text
    for key, remedy in diagnostics.REMEDIES.items():
        assert _squeeze(remedy) in verdict_text, f"remedy {key!r} missing from the page"

    # The activation table: a row for every registered activation.
    table = (out / "activations.html").read_text(encoding="utf-8")
    for name in activations.names():
        assert f'<span class="pre">{name}</span>' in table, f"no row for {name}"

    # The architecture page's module map: every top-level module of the package.
    architecture = (out / "architecture.html").read_text(encoding="utf-8")
    for path in PACKAGE.iterdir():
        if path.name != "__init__.py" and (path.suffix == ".py" or (path / "__init__.py").exists()):
            assert f'<span class="pre">{path.stem}' in architecture, f"{path.stem} not on the map"


# -- the generators, without a build ---------------------------------------------------


def test_public_modules_are_the_source_tree_without_private_ones():
    assert set(docs.public_modules()) == _modules_on_disk()


def test_activation_page_has_a_row_per_registered_activation():
    page = docs.activation_page()
    for name in activations.names():
        assert f"| `{name}` |" in page


def test_cli_page_has_every_subcommand_and_restores_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "33")
    page = docs.cli_page()
    for name in _subparsers(cli.build_parser()):
        assert f"## `neuronlab {name}`" in page
    assert os.environ["COLUMNS"] == "33"  # set to HELP_WIDTH while formatting only


def test_sweep_page_lists_every_setting_and_column():
    page = docs.sweep_page()
    for setting in sweep.SETTINGS.values():
        assert f"| `{setting.name}` | `{setting.flag}` |" in page
    for column in sweep.RESULT_COLUMNS + sweep.TIMING_COLUMNS:
        assert f"`{column}`" in page


def test_verdict_page_follows_the_library_tables():
    page = docs.verdict_page()
    ranks = [page.index(f"### {rank}. {status}") for rank, status in
             enumerate(diagnostics.STATUSES, 1)]
    assert ranks == sorted(ranks), "verdicts out of priority order"
    assert f"`DEAD_FRACTION = {diagnostics.DEAD_FRACTION!r}`" in page
    for remedy in diagnostics.REMEDIES.values():
        assert remedy in page


def test_verdict_page_refuses_a_status_it_cannot_explain(monkeypatch):
    monkeypatch.setattr(diagnostics, "STATUSES", (*diagnostics.STATUSES, "frozen"))
    with pytest.raises(ValueError, match="frozen"):
        docs.verdict_page()


def test_verdict_page_refuses_a_remedy_without_a_status(monkeypatch):
    monkeypatch.setattr(diagnostics, "REMEDIES", {**diagnostics.REMEDIES, "melted": "x"})
    with pytest.raises(ValueError, match="melted"):
        docs.verdict_page()


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def _depths(page: str) -> dict[str, int]:
    """Module -> depth, from the rows of a module map."""
    rows = [line.split("|") for line in page.splitlines()[2:] if line.startswith("| ")]
    return {cells[3].strip(): int(cells[2]) for cells in rows}


def test_import_graph_counts_deferred_and_relative_imports(tmp_path):
    package = _package(tmp_path, {
        "__init__.py": "",
        "low.py": '"""The bottom."""\n',
        "mid.py": '"""Middle."""\nfrom pkg import low\n',
        "top.py": '"""Top."""\ndef f():\n    from . import mid  # deferred\n',
        "sub/__init__.py": '"""A subpackage."""\nfrom ..top import f\n',
        "sub/inner.py": "from pkg.low import x\n",
    })
    graph = docs.import_graph(package)
    assert graph["pkg.top"] == {"pkg.mid"}
    assert graph["pkg.mid"] == {"pkg.low"}
    assert graph["pkg.sub"] == {"pkg.top"}
    assert graph["pkg.sub.inner"] == {"pkg.low"}
    assert _depths(docs.module_map(package)) == {"`low`": 0, "`mid`": 1, "`top`": 2,
                                                 "`sub/`": 3}
    assert "no import cycle" in docs.module_map(package)


def test_module_map_names_a_cycle_hidden_in_a_function(tmp_path):
    package = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "import pkg.b\n",
        "b.py": "def later():\n    import pkg.a\n",
        "c.py": "from pkg import a\n",
    })
    page = docs.module_map(package)
    assert "- `a` ↔ `b`" in page
    rows = _depths(page)
    assert rows["`a`"] == rows["`b`"] == 0 and rows["`c`"] == 1


def test_module_map_shows_every_module_at_its_intended_height():
    page = docs.module_map()
    rows = [line.split("|") for line in page.splitlines()[2:] if line.startswith("| ")]
    placed = {cells[3].strip().strip("`/"): cells[1].strip() for cells in rows}
    # every top-level module and subpackage has its row (else the loop checks nothing)
    assert set(placed) == {p.stem for p in PACKAGE.iterdir() if p.name != "__init__.py" and (
        p.suffix == ".py" or (p / "__init__.py").exists())}
    for name, height in placed.items():  # a module without a rule is shown without one
        assert height == str(docs.HEIGHTS.get(name, "–")), f"{name} shown at {height}"
    assert "There is no import cycle." in page


def test_readme_says_how_to_build_the_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make docs" in readme and "docs/_build/html/index.html" in readme
