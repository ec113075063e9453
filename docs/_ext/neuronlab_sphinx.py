"""The site's own Sphinx glue: generated pages, the API stubs, and math without a CDN.

- ``neuronlab-generated NAME`` (a directive, used in the Markdown pages) inserts the
  Markdown of ``neuronlab.docs.PAGES[NAME]`` at build time: the activation table, the
  CLI help, the diagnostics verdicts and the module map are never kept by hand.
- At ``builder-inited`` one stub per public module is written to ``api/`` (ignored by
  git): a new module gets its reference page without an edit, and a page whose module
  is gone is removed, so the strict build never trips over a stale stub.
- Math (``:math:``, ``.. math::`` in docstrings) is shown as its TeX source instead of
  loading MathJax from a CDN: the site builds and reads offline.
"""

from __future__ import annotations

import importlib
import os
import re
import tempfile
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from neuronlab import docs as generated

API_DIR = "api"
logger = logging.getLogger(__name__)


class Generated(SphinxDirective):
    """Insert one of ``neuronlab.docs.PAGES`` (Markdown, parsed as MyST).

    A heading in the generated text (any level) starts a section nested where the
    directive stands; the sections are built here, because MyST would otherwise attach
    them to the page directly and put the text before the first heading after them.
    """

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        if name not in generated.PAGES:
            raise self.error(f"unknown generated page {name!r}; "
                             f"known: {', '.join(generated.PAGES)}")
        chunks: list[tuple[str | None, list[str]]] = [(None, [])]
        for line in generated.PAGES[name]().splitlines():
            heading = re.match(r"#{1,6} (.+)", line)
            if heading:
                chunks.append((heading.group(1).strip(), []))
            else:
                chunks[-1][1].append(line)
        out: list[nodes.Node] = []
        for title, lines in chunks:
            body = self._parse(lines, name)
            if title is None:
                out += body
                continue
            inline, messages = self.state.inline_text(title, self.lineno)
            section = nodes.section("", nodes.title(title, "", *inline), *messages, *body)
            section["names"].append(nodes.fully_normalize_name(nodes.Text(title).astext()))
            self.state.document.note_implicit_target(section, section)
            out.append(section)
        return out

    def _parse(self, lines: list[str], name: str) -> list[nodes.Node]:
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source=f"<neuronlab.docs:{name}>"),
                                self.content_offset, container)
        return container.children


def _stub(module: str) -> str:
    """The reST page of one module: its docstring and every documented public member."""
    title = f"``{module}``"
    lines = [title, "=" * len(title), ""]
    if module == "neuronlab":
        # The package re-exports names defined elsewhere: link to them, document them once.
        package = importlib.import_module(module)
        lines += [f".. automodule:: {module}", "   :no-members:", "", "Re-exported here:", ""]
        for name in package.__all__:
            obj = getattr(package, name)
            if hasattr(obj, "__file__"):  # a module
                lines.append(f"- :mod:`{obj.__name__}` (a module)")
            else:
                lines.append(f"- ``{module}.{name}``: :py:obj:`{obj.__module__}.{name}`")
        return "\n".join(lines) + "\n"
    lines += [f".. automodule:: {module}", "   :members:", "   :show-inheritance:", ""]
    return "\n".join(lines)


def _write_if_changed(path: Path, text: str) -> None:
    """Atomic, and untouched when equal (Sphinx then skips the page on a rebuild)."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def write_api_stubs(app: Sphinx) -> None:
    folder = Path(app.srcdir) / API_DIR
    folder.mkdir(exist_ok=True)
    modules = generated.public_modules()
    for module in modules:
        _write_if_changed(folder / f"{module}.rst", _stub(module))
    for stale in folder.glob("*.rst"):
        if stale.stem not in modules:
            stale.unlink(missing_ok=True)


def skip_foreign_members(app: Sphinx, what: str, name: str, obj: object, skip: bool,
                         options: object) -> bool | None:
    """Skip members that a base class outside neuronlab adds (scikit-learn's generated
    ``set_fit_request`` and friends): their docstrings belong to that project's site."""
    module = getattr(obj, "__module__", None) or ""
    if module.split(".")[0] in ("sklearn",):
        return True
    return None


def check_written_references(app: Sphinx, env: object, node: nodes.Element,
                             contnode: nodes.Node) -> None:
    """Warn (an error under ``-W``) when a hand-written page names a Python object that
    does not exist, e.g. after a module was renamed.  The docstrings' free-form type
    names (``array-like``, ``np.ndarray``) are left alone: only the pages are checked."""
    document = node.get("refdoc", "")
    if node.get("refdomain") == "py" and not document.startswith(API_DIR + "/"):
        logger.warning(f"{document}: no Python object {node['reftarget']!r} "
                       f"(renamed or removed? update the page)", location=node)


def _math_inline(self, node: nodes.Node) -> None:
    self.body.append(self.starttag(node, "code", "", CLASS="math notranslate"))
    self.body.append(self.encode(node.astext()) + "</code>")
    raise nodes.SkipNode


def _math_block(self, node: nodes.Node) -> None:
    self.body.append(self.starttag(node, "pre", "", CLASS="math notranslate"))
    self.body.append(self.encode(node.astext()) + "</pre>\n")
    raise nodes.SkipNode


def setup(app: Sphinx) -> dict[str, object]:
    app.add_directive("neuronlab-generated", Generated)
    app.connect("builder-inited", write_api_stubs, priority=100)  # before any reader
    app.connect("autodoc-skip-member", skip_foreign_members)
    app.connect("missing-reference", check_written_references)
    app.add_html_math_renderer("tex_source", (_math_inline, None), (_math_block, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
