"""The report: ``neuronlab study --quick`` end to end — the HTML parses, every figure
is an SVG, every study has its section, and the numbers in the HTML tables, the key
numbers, the CSV files (in the folder and inside the page) and results.json are the
same; the summary; the Markdown form; atomic writes; and the page in a real browser at
1400 and 400 px."""

from __future__ import annotations

import base64
import csv
import json
import math
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

import pytest

from neuronlab import _mathml as m
from neuronlab import report, studies
from neuronlab._mathml import to_tex
from neuronlab.cli import main
from neuronlab.report import claim_measure, format_value
from neuronlab.report._format import csv_text
from neuronlab.report._html import EMBED_CSV_LIMIT
from neuronlab.studies import StudyResult, Table
from neuronlab.studies._core import decide


class _Page(HTMLParser):
    """Collects the parts of the report the tests check."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[str] = []
        self.images: list[dict[str, str]] = []
        self.tables: list[dict] = []
        self.numbers: list[dict] = []
        self.commands: dict[str, list[str]] = {}
        self.external: list[str] = []
        self.tags: set[str] = set()
        self._section: str | None = None
        self._table: dict | None = None
        self._cell: dict | None = None
        self._number: dict | None = None
        self._in_value = False
        self._in_command = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        for key in ("src", "href"):
            value = a.get(key) or ""
            if value.startswith(("http:", "https:", "//")):
                self.external.append(value)
        classes = (a.get("class") or "").split()
        if tag == "section" and "study" in classes:
            self._section = a["data-study"]
            self.sections.append(self._section)
        elif tag == "img":
            self.images.append(a)
        elif tag == "table" and "data-table" in a:
            self._table = {"study": a["data-study"], "name": a["data-table"], "columns": [],
                           "rows": []}
        elif tag == "th" and self._table is not None:
            self._table["columns"].append(a["data-column"])
        elif tag == "tr" and self._table is not None:
            self._table["rows"].append([])
        elif tag == "td" and self._table is not None:
            self._cell = {"value": json.loads(a["data-value"]), "text": ""}
        elif tag == "div" and "number" in classes:
            self._number = {"study": a["data-study"], "key": a["data-key"],
                            "value": json.loads(a["data-value"]), "text": ""}
        elif tag == "div" and "value" in classes and self._number is not None:
            self._in_value = True
        elif tag == "pre" and "command" in classes:
            self._in_command = True
            self.commands.setdefault(self._section or "", []).append("")

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._table["rows"][-1].append(self._cell)
            self._cell = None
        elif tag == "table" and self._table is not None:
            self._table["rows"] = [r for r in self._table["rows"] if r]
            self.tables.append(self._table)
            self._table = None
        elif tag == "div" and self._in_value:
            self._in_value = False
            self.numbers.append(self._number)
            self._number = None
        elif tag == "pre":
            self._in_command = False
        elif tag == "section":
            self._section = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data
        if self._in_value:
            self._number["text"] += data
        if self._in_command:
            key = self._section or ""
            self.commands[key][-1] += data


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("quick-report")
    assert main(["study", "--quick", "--out", str(out), "--jobs", "2", "--seed", "0",
                 "--quiet"]) == 0
    return out


def test_quick_study_report_end_to_end(quick_report, tmp_path):
    out = quick_report
    page = _Page()
    html = (out / "report.html").read_text(encoding="utf-8")
    page.feed(html)
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    names = studies.names()

    # every study has its section, in order, with the command that reproduces it
    assert page.sections == names
    assert [s["name"] for s in doc["studies"]] == names
    for name in names:
        assert f"neuronlab study --only {name} --seed 0 --quick" in page.commands[name]
    # self-contained: no scripts, no stylesheets or images fetched from elsewhere
    assert not page.external and "script" not in page.tags and "link" not in page.tags

    # every figure is an SVG (vector: sharp at any size), and every study has one
    assert len(page.images) >= len(names)
    figured = {img["data-figure"].rsplit("-", 1)[0] for img in page.images}
    assert figured == set(names)
    for img in page.images:
        header, _, data = img["src"].partition(",")
        if header == "data:image/png;base64":  # a heavy figure as a bitmap at 2x
            raw = base64.b64decode(data, validate=True)
            assert raw.startswith(b"\x89PNG")
            assert int.from_bytes(raw[16:20], "big") >= 1200  # 2x (200 dpi) a 6-inch figure
            continue
        assert header == "data:image/svg+xml;charset=utf-8"
        root = ElementTree.fromstring(unquote(data))
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert float(root.get("width").removesuffix("pt")) > 100
    # the report stays small enough to mail
    assert (out / "report.html").stat().st_size <= 5_000_000

    # the numbers in the HTML tables are those of results.json, shown with the formats
    by_name = {s["name"]: s for s in doc["studies"]}
    shown = [(s["name"], t["name"]) for s in doc["studies"] for t in s["tables"] if t["shown"]]
    assert [(t["study"], t["name"]) for t in page.tables] == shown
    for html_table in page.tables:
        table = next(t for t in by_name[html_table["study"]]["tables"]
                     if t["name"] == html_table["name"])
        assert html_table["columns"] == table["columns"]
        assert len(html_table["rows"]) == len(table["rows"])
        for cells, row in zip(html_table["rows"], table["rows"], strict=True):
            for cell, column in zip(cells, table["columns"], strict=True):
                assert cell["value"] == row.get(column)
                assert cell["text"] == format_value(row.get(column),
                                                    table["formats"].get(column))
    # ... and so are the key numbers
    keyed = {(n["study"], n["key"]): n for n in page.numbers}
    for s in doc["studies"]:
        for key, value in s["numbers"].items():
            assert keyed[(s["name"], key)]["value"] == value
            assert keyed[(s["name"], key)]["text"] == \
                format_value(value, s["number_formats"].get(key))

    # one CSV per table, with the same rows
    for s in doc["studies"]:
        for t in s["tables"]:
            with open(out / "tables" / f"{s['name']}.{t['name']}.csv", newline="",
                      encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
            assert len(rows) == len(t["rows"])
            for got, want in zip(rows[:50], t["rows"][:50], strict=False):
                for column in t["columns"]:
                    value = want.get(column)
                    if isinstance(value, float):
                        assert float(got[column]) == value
                    elif value is None:
                        assert got[column] == ""
                    else:
                        assert got[column] == str(value)

    # every claim carries its measurement, its verdict follows from its interval, and the
    # report shows both; a claims CSV per study holds the same numbers (which verdicts
    # the quick run decides is asserted per study in test_studies.py)
    html = (out / "report.html").read_text(encoding="utf-8")
    for s in doc["studies"]:
        for c in s["claims"]:
            low, high = c["interval"]  # JSON has no infinity: one seed's is (None, None)
            low = -math.inf if low is None else low
            high = math.inf if high is None else high
            assert c["quantity"] and c["seeds"] >= 1 and c["effect"] is not None
            assert c["verdict"] == decide(low, high, c["direction"], c["margin"])
            assert escape(claim_measure(c)) in html
        if s["claims"]:
            with open(out / "tables" / f"{s['name']}.claims.csv", newline="",
                      encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
            assert [r["verdict"] for r in rows] == [c["verdict"] for c in s["claims"]]
            assert [float(r["effect"]) for r in rows] == [c["effect"] for c in s["claims"]]
    failed = {(s["name"], c["text"], c["verdict"]) for s in doc["studies"]
              for c in s["claims"] if c["verdict"] != "reproduced"}
    # the notes' own slips are claims the engine confirms, not failed claims
    assert not {name for name, _, _ in failed} & {"worked_numbers"}
    slips = next(s for s in doc["studies"] if s["name"] == "worked_numbers")
    assert any(n.startswith("Slip in note 003") and escape(n) in html
               for n in slips["notes"])
    # the summary lists every claim with its verdict, effect and interval, linked
    assert html.count('<td class="verdict">') == sum(len(s["claims"]) for s in doc["studies"])
    # the small tables travel inside the page as CSV downloads, with the same text
    embedded = 0
    for s in doc["studies"]:
        for t in s["tables"]:
            text = csv_text(t)
            if len(text.encode("utf-8")) <= EMBED_CSV_LIMIT:
                encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
                assert f'download="{s["name"]}.{t["name"]}.csv" href="data:text/csv;' \
                       f'charset=utf-8;base64,{encoded}"' in html
                embedded += 1
    assert embedded  # some table is small enough: the check above ran

    # the Markdown report renders from results.json alone, figures as SVG files
    md = report.write(report.load(out / "results.json"), tmp_path / "md", "md")
    text = md.read_text(encoding="utf-8")
    for s in doc["studies"]:
        assert f"## {names.index(s['name']) + 1}. {s['title']}" in text
        assert f"neuronlab study --only {s['name']} --seed 0 --quick" in text
    svgs = sorted((tmp_path / "md" / "figures").glob("*.svg"))
    pngs = sorted((tmp_path / "md" / "figures").glob("*.png"))
    assert len(svgs) + len(pngs) == len(page.images)
    assert all(b"<svg" in p.read_bytes()[:2000] for p in svgs)
    for p in svgs + pngs:
        assert f"figures/{p.name}" in text
    # ... with the same formulas as the HTML's MathML, as TeX display math
    formulas = [f for s in doc["studies"] for f in s["formulas"]]
    assert html.count("<math") == len(formulas) >= 5
    assert text.splitlines().count("$$") == 2 * len(formulas)  # opening and closing
    for caption, mathml in formulas:  # a caption's * and _ escaped inside the *emphasis*
        shown = caption.replace("*", "\\*").replace("_", "\\_")
        assert f"*{shown}*\n\n$$\n{to_tex(mathml)}\n$$\n" in text
    assert not list(tmp_path.rglob("*.tmp")) and not list(out.rglob("*.tmp"))


def test_markdown_report_writes_the_formulas_of_the_html_report_as_tex():
    from neuronlab.report import _html, _markdown

    doc = report.document([StudyResult("backprop", "Backprop", {"quick": True, "seed": 0},
                                       [])])
    formulas = doc["studies"][0]["formulas"]
    assert len(formulas) == len(studies.registry()["backprop"].formulas) >= 3
    md = _markdown.render(doc, {"backprop": "the lecture"}, {})
    html = _html.render(doc, {"backprop": "the lecture"}, {"backprop": []})
    assert html.count("<math") == md.splitlines().count("$$") // 2 == len(formulas)
    # the delta rule, as the HTML shows it and as TeX spells it
    assert "<mi>δ</mi>" in html
    assert "$$\n\\delta^{(l)}=g'(z^{(l)})\\odot e^{(l)}\n$$" in md


@pytest.mark.parametrize("name", sorted(n for n, s in studies.registry().items()
                                        if s.formulas))
def test_every_formula_is_valid_ascii_tex(name):
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser("path")  # a TeX-math parser: unknown commands, bad braces fail
    for _, mathml in studies.registry()[name].formulas:
        tex = to_tex(mathml)
        assert tex.isascii(), tex  # every symbol used has its TeX command
        parser.parse(f"${tex}$")


def test_tex_of_each_mathml_construct():
    assert to_tex(m.math(m.row("η", "≈", 0.1))) == r"\eta\approx 0.1"
    assert to_tex(m.math(m.subsup("w", "ij", 2))) == r"w_{\mathrm{ij}}^{2}"
    assert to_tex(m.math(m.sup(m.row("(", "a", "−", "y", ")"), 2))) == "{(a-y)}^{2}"
    assert to_tex(m.math(m.under("∑", "i"), m.sub("x", "i"))) == r"\sum_{i}x_{i}"
    assert to_tex(m.math(m.under("x", "*"))) == r"\underset{*}{x}"
    assert to_tex(m.math(m.text("if x_1 > 0 & {y}"))) == \
        r"\text{if x\_1 > 0 \& \{y\}}"
    assert to_tex(m.math("ŷ")) == r"\text{ŷ}"  # no TeX command: shown as it is
    assert to_tex(m.math(m.row("σ", "x"))) == r"\sigma x"  # a space only where needed
    with pytest.raises(ValueError, match="not a MathML formula"):
        to_tex("<math><mi>x</mi>")
    with pytest.raises(ValueError, match="cannot write the MathML element <mtable>"):
        to_tex("<math><mtable/></math>")


def _tiny_result(value: float = 0.5, name: str = "custom") -> StudyResult:
    return StudyResult(name, "A custom study", {"quick": True, "seed": 1},
                       [Table("t", "A table", [{"x": 1, "y": value, "ok": True, "z": None}],
                              formats={"y": ".1%"})],
                       numbers={"answer": value})


def test_report_of_a_custom_result_and_formats(tmp_path):
    path = report.write([_tiny_result()], tmp_path, "html", command="custom command")
    html = path.read_text(encoding="utf-8")
    assert "50.0%" in html and "custom command" in html and "—" in html
    doc = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert doc["studies"][0]["tables"][0]["rows"] == [{"x": 1, "y": 0.5, "ok": True,
                                                       "z": None}]
    assert (tmp_path / "tables" / "custom.t.csv").read_text() == "x,y,ok,z\n1,0.5,True,\n"
    assert format_value(float("1e-40")) == "1e-40"
    assert format_value(12, ".1%") == "1200.0%"
    with pytest.raises(ValueError, match="report format must be one of html, md"):
        report.write([_tiny_result()], tmp_path, "pdf")
    with pytest.raises(ValueError, match="no study results"):
        report.write([], tmp_path)


def test_writes_are_atomic(tmp_path, monkeypatch):
    first = report.write([_tiny_result(0.25)], tmp_path)
    before = first.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    from neuronlab.report import _html

    monkeypatch.setattr(_html, "render", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        report.write([_tiny_result(0.75)], tmp_path)
    assert first.read_bytes() == before  # the old report is intact, not half-written
    assert not list(Path(tmp_path).parent.rglob("*.tmp"))
    assert not list(Path(tmp_path).parent.glob(f".{Path(tmp_path).name}.*"))  # no new folder

    from neuronlab import _files

    def failing_replace(src, dst):
        raise OSError("rename failed")

    monkeypatch.setattr(_files.os, "replace", failing_replace)
    with pytest.raises(OSError, match="rename failed"):
        _files.write_text(tmp_path / "report.html", "new")
    assert first.read_bytes() == before
    assert not list(Path(tmp_path).rglob("*.tmp"))


def test_seed_curves_clip_the_band_and_name_a_run_that_blows_up():
    """A seed that collapses is drawn and named, not averaged away; a ± std band never
    leaves the quantity's range (an accuracy stays in [0, 1])."""
    from matplotlib.figure import Figure

    from neuronlab.report import figures

    epochs = list(range(1, 6))
    runs = {0: (epochs, [0.5, 0.8, 0.9, 0.95, 0.97]),
            1: (epochs, [0.5, 0.8, 0.92, 0.96, 0.98]),
            2: (epochs, [0.5, 0.85, 0.96, 0.97, 0.10])}   # blows up at the last epoch
    ax = Figure().add_subplot(1, 1, 1)
    named = figures._seed_curves(ax, runs, "C0", "he", figures.ACCURACY)
    assert named == [2]
    assert [t.get_text() for t in ax.texts] == ["seed 2"]
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() >= 0.0 and band[:, 1].max() <= 1.0
    # a run that stopped early (diverged) counts where it has values
    short = {0: (epochs, [0.2, 0.4, 0.6, 0.8, 0.9]), 1: (epochs[:2], [0.2, 0.3])}
    ax = Figure().add_subplot(1, 1, 1)
    figures._seed_curves(ax, short, "C0", "x", figures.ACCURACY, outlier=1.0)
    assert list(ax.lines[0].get_xdata()) == epochs


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_an_interrupted_report_leaves_the_previous_folder_whole(tmp_path, monkeypatch):
    out = tmp_path / "study-report"
    report.write([_tiny_result(0.25)], out, "md")
    before = _snapshot(out)
    assert {"results.json", "report.md", "tables/custom.t.csv"} <= set(before)

    from neuronlab.report import _markdown

    def interrupted(*args, **kwargs):  # after the tables and results.json are written
        raise KeyboardInterrupt

    monkeypatch.setattr(_markdown, "render", interrupted)
    with pytest.raises(KeyboardInterrupt):
        report.write([_tiny_result(0.75), _tiny_result(0.5, "other")], out, "md")
    assert _snapshot(out) == before  # not one file of the second run
    assert [p.name for p in tmp_path.iterdir()] == ["study-report"]  # nothing left beside


def test_a_new_report_replaces_the_whole_folder(tmp_path):
    out = tmp_path / "study-report"
    report.write([_tiny_result(0.25)], out, "md")
    path = report.write([_tiny_result(0.75)], out, "html")
    # the Markdown run's report.md is gone: the folder holds one run, not two
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "results.json", "tables"]
    assert path == out / "report.html"


def test_a_folder_holding_other_files_is_not_replaced(tmp_path):
    (tmp_path / "thesis.tex").write_text("mine")
    with pytest.raises(ValueError, match="thesis.tex"):
        report.write([_tiny_result(0.25)], tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["thesis.tex"]


# -- the page in a real browser ---------------------------------------------------------


@pytest.mark.parametrize("width", [1400, 400])
def test_the_report_in_a_real_browser(browser, quick_report, width):
    """Chromium renders the quick report without console errors or network requests,
    every figure is sharp (SVG, or a bitmap at least 1.5 times its displayed width), and
    at 400 px nothing overflows sideways and the contents collapse."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto((quick_report / "report.html").as_uri(), wait_until="load")
    assert errors == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    images = page.evaluate("""() => Array.from(document.images).map(i => ({
        complete: i.complete, natural: i.naturalWidth, shown: i.clientWidth,
        svg: i.src.startsWith("data:image/svg+xml")}))""")
    assert images and all(i["complete"] and i["natural"] > 0 for i in images)
    assert all(i["svg"] or i["natural"] >= 1.5 * i["shown"] for i in images), images
    assert all(0 < i["shown"] <= width for i in images)
    # the lectures: every note cited by number, formulas typeset as MathML
    cited = set(page.eval_on_selector_all(".cites .note", "els => els.map(e => e.textContent)"))
    assert cited >= {"000", "001", "002", "003", "004"}
    widths = page.eval_on_selector_all("math", "els => els.map(e => e.getBoundingClientRect()"
                                               ".width)")
    assert len(widths) >= 5 and all(w > 0 for w in widths)
    # a figure enlarges on click, without a script
    label = page.locator("figure label").first
    label.click()
    assert label.evaluate("e => getComputedStyle(e).position") == "fixed"
    label.click()
    assert label.evaluate("e => getComputedStyle(e).position") != "fixed"
    overflow = page.evaluate("document.documentElement.scrollWidth")
    if width == 400:
        assert overflow <= width
        nav = page.locator("nav.toc")
        assert not nav.is_visible()
        page.locator("label.toc-button").click()
        assert nav.is_visible()
        wide = page.evaluate("""() => Array.from(document.querySelectorAll('.table-wrap'))
            .some(w => w.scrollWidth > w.clientWidth)""")
        assert wide  # wide tables scroll inside their own box, not the page
    else:
        assert page.locator("nav.toc").is_visible()
    page.close()
