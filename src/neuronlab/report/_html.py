"""The self-contained HTML report: inline CSS, figures as SVG data URIs (click one to
enlarge it: a checkbox and CSS, no script), formulas as MathML, tables downloadable from
inside the page, no scripts, no network access.  It reads on a phone: at 400 px the
page does not overflow sideways, the contents collapse behind a button, wide tables
scroll in their own box and figures fit the width."""

from __future__ import annotations

import base64
import json
from html import escape
from typing import Any
from urllib.parse import quote

from neuronlab.report._format import command_for, csv_text, format_value
from neuronlab.studies._core import LECTURE_NOTES

CSS = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d8dee4; --paper: #ffffff;
  --bg: #f6f7f9; --accent: #3a6ea5; --good: #1a7f37; --bad: #cf222e;
  --good-bg: #dafbe1; --bad-bg: #ffebe9; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
main, header.top, footer { max-width: 76rem; margin: 0 auto; padding: 0 1.25rem; }
header.top { padding-top: 2.5rem; padding-bottom: 1rem; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0 0 .35rem; letter-spacing: -.01em; }
h1 small { display: block; font-size: 1.05rem; font-weight: 400; color: var(--muted);
  margin-top: .35rem; }
h2 { font-size: 1.45rem; margin: 0 0 .75rem; line-height: 1.25; }
h2 .num { color: var(--accent); margin-right: .4rem; }
h3 { font-size: 1rem; margin: 1.5rem 0 .5rem; color: var(--muted); text-transform: uppercase;
  letter-spacing: .04em; }
p { margin: .5rem 0; }
.meta { color: var(--muted); font-size: .9rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: .85rem; }
pre.command { background: #1f2328; color: #e6edf3; padding: .7rem 1rem; border-radius: 8px;
  overflow-x: auto; margin: .75rem 0 0; }
pre.command::before { content: "$ "; color: #7d8590; }
nav.toc { display: flex; flex-wrap: wrap; gap: .4rem; margin: 1rem 0 0; padding: 0;
  list-style: none; }
nav.toc a { display: inline-block; padding: .25rem .7rem; border: 1px solid var(--line);
  border-radius: 999px; background: var(--paper); color: var(--ink); text-decoration: none;
  font-size: .85rem; }
nav.toc a:hover { border-color: var(--accent); color: var(--accent); }
section.card { background: var(--paper); border: 1px solid var(--line); border-radius: 12px;
  padding: 1.5rem 1.75rem; margin: 1.25rem 0; box-shadow: 0 1px 2px rgba(31,35,40,.04); }
.lecture { border-left: 4px solid var(--accent); padding: .2rem 0 .2rem 1rem;
  color: #333; background: #f3f7fb; border-radius: 0 6px 6px 0; }
.numbers { display: grid; grid-template-columns: repeat(auto-fill, minmax(13rem, 1fr));
  gap: .75rem; margin: 1rem 0; }
.number { border: 1px solid var(--line); border-radius: 10px; padding: .65rem .85rem; }
.number .value { font-size: 1.45rem; font-weight: 650; font-variant-numeric: tabular-nums;
  line-height: 1.2; }
.number .label { font-size: .8rem; color: var(--muted); }
ul.claims { list-style: none; padding: 0; margin: 1rem 0; }
ul.claims li { display: flex; gap: .75rem; align-items: flex-start; padding: .6rem .8rem;
  border-radius: 8px; margin: .4rem 0; }
ul.claims li.holds { background: var(--good-bg); }
ul.claims li.fails { background: var(--bad-bg); }
ul.claims li.inconclusive { background: #fff7e0; }
.badge { flex: none; font-weight: 700; font-size: .75rem; padding: .12rem .5rem;
  border-radius: 999px; color: #fff; margin-top: .15rem; }
.holds .badge { background: var(--good); }
.fails .badge { background: var(--bad); }
.inconclusive .badge { background: #9a6a00; }
.claim-text { font-weight: 600; }
.evidence { color: #333; font-size: .92rem; }
.scoreboard td.study { white-space: nowrap; }
figure { margin: 1.25rem 0; }
figure img { display: block; width: 100%; height: auto; border: 1px solid var(--line);
  border-radius: 8px; background: #fff; }
input.zoom, input.toc-toggle { position: absolute; opacity: 0; width: 1px; height: 1px; }
figure label { display: block; cursor: zoom-in; }
input.zoom:focus-visible + label img { outline: 2px solid var(--accent); }
input.zoom:checked + label { position: fixed; inset: 0; z-index: 100; margin: 0;
  background: rgba(255,255,255,.97); overflow: auto; cursor: zoom-out; padding: 1rem; }
input.zoom:checked + label img { width: max(100%, 72rem); max-width: none; border: 0; }
.hint { font-size: .8rem; color: var(--muted); }
.formulas { display: grid; gap: .5rem; margin: 1rem 0; }
.formula { margin: 0; padding: .5rem .75rem; background: #fafbfc; border: 1px solid #eef1f4;
  border-radius: 8px; overflow-x: auto; }
.formula math { font-size: 1.15rem; }
.formula figcaption { margin-top: .2rem; }
.cites { font-size: .9rem; color: var(--muted); }
.cites .note { display: inline-block; font-weight: 700; color: var(--accent);
  border: 1px solid var(--accent); border-radius: 6px; padding: 0 .35rem; margin-right: .2rem;
  font-variant-numeric: tabular-nums; }
table.scoreboard td { white-space: normal; vertical-align: top; }
table.scoreboard td.claim { min-width: 16rem; }
table.scoreboard tr.holds td.verdict { background: var(--good-bg); color: var(--good); }
table.scoreboard tr.fails td.verdict { background: var(--bad-bg); color: var(--bad); }
table.scoreboard tr.inconclusive td.verdict { background: #fff7e0; color: #9a6a00; }
table.scoreboard td.verdict { font-weight: 700; white-space: nowrap; }
.table-wrap.full { max-height: none; }
.toc-button { display: none; cursor: pointer; border: 1px solid var(--line);
  border-radius: 999px; padding: .3rem .9rem; background: var(--paper); margin-top: 1rem;
  font-size: .9rem; }
.toc-button::after { content: " ▾"; }
@media (max-width: 720px) {
  main, header.top, footer { padding: 0 .6rem; }
  header.top { padding-top: 1.25rem; }
  h1 { font-size: 1.5rem; }
  section.card { padding: 1rem .85rem; margin: .9rem 0; border-radius: 10px; }
  .toc-button { display: inline-block; }
  nav.toc { display: none; }
  input.toc-toggle:checked ~ nav.toc { display: flex; }
  .numbers { grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr)); }
  ul.claims li { flex-direction: column; gap: .3rem; }
  table.scoreboard thead { display: none; }
  table.scoreboard, table.scoreboard tbody, table.scoreboard tr { display: block; }
  table.scoreboard tr { border-bottom: 1px solid var(--line); padding: .35rem 0; }
  table.scoreboard td { display: inline-block; border: 0; padding: .15rem .5rem; }
  table.scoreboard td.claim { display: block; min-width: 0; }
  table.scoreboard td.n::before { content: attr(data-label) " "; color: var(--muted); }
}
figcaption { font-size: .88rem; color: var(--muted); margin-top: .4rem; }
.table-wrap { overflow-x: auto; margin: .5rem 0 1rem; border: 1px solid var(--line);
  border-radius: 8px; max-height: 34rem; }
table { border-collapse: collapse; width: 100%; font-size: .82rem;
  font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: .55rem .75rem; caption-side: top;
  color: var(--ink); }
th, td { padding: .32rem .6rem; border-bottom: 1px solid #eef1f4; white-space: nowrap; }
th { position: sticky; top: 0; background: #f6f8fa; text-align: left; font-weight: 600;
  border-bottom: 1px solid var(--line); }
td.n { text-align: right; }
tbody tr:nth-child(even) { background: #fafbfc; }
tbody tr:hover { background: #f0f6fc; }
details { margin: .5rem 0; }
details > summary { cursor: pointer; color: var(--accent); font-size: .9rem; }
ul.notes { padding-left: 1.2rem; }
ul.notes li { margin: .3rem 0; }
.timing { color: var(--muted); font-size: .88rem; }
footer { color: var(--muted); font-size: .85rem; padding-bottom: 3rem; }
a { color: var(--accent); }
@media print { body { background: #fff; } section.card { box-shadow: none;
  break-inside: avoid-page; } pre.command { background: #fff; color: #000; } }
"""

LARGE_TABLE = 14  # rows; larger tables are folded into <details>


def _attr(value: Any) -> str:
    return escape(json.dumps(value, ensure_ascii=False), quote=True)


def _table(study: str, table: dict[str, Any]) -> str:
    columns = table["columns"]
    formats = table.get("formats", {})
    head = "".join(f'<th data-column="{escape(c)}" scope="col">{escape(c)}</th>'
                   for c in columns)
    body = []
    for row in table["rows"]:
        cells = []
        for c in columns:
            value = row.get(c)
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            kind = ' class="n"' if numeric else ""
            cells.append(f'<td{kind} data-value="{_attr(value)}">'
                         f"{escape(format_value(value, formats.get(c)))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    html = (f'<div class="table-wrap"><table data-study="{escape(study)}" '
            f'data-table="{escape(table["name"])}" id="{escape(study)}--{escape(table["name"])}">'
            f"<caption>{escape(table['title'])}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")
    if len(table["rows"]) > LARGE_TABLE:
        return (f"<details><summary>Table: {escape(table['title'])} "
                f"({len(table['rows'])} rows)</summary>{html}</details>")
    return html


def _numbers(study: str, numbers: dict[str, Any], formats: dict[str, str]) -> str:
    if not numbers:
        return ""
    cards = "".join(
        f'<div class="number" data-study="{escape(study)}" data-key="{escape(k)}" '
        f'data-value="{_attr(v)}"><div class="value">{escape(format_value(v, formats.get(k)))}'
        f'</div><div class="label">{escape(k)}</div></div>' for k, v in numbers.items())
    return f'<div class="numbers">{cards}</div>'


VERDICT_CLASS = {"reproduced": "holds", "not reproduced": "fails",
                 "inconclusive": "inconclusive"}
VERDICT_MARK = {"reproduced": "✓", "not reproduced": "✗", "inconclusive": "?"}


def _claims(claims: list[dict[str, Any]]) -> str:
    if not claims:
        return ""
    items = "".join(
        f'<li class="{VERDICT_CLASS[c["verdict"]]}" data-verdict="{escape(c["verdict"])}">'
        f'<span class="badge">{escape(c["verdict"])}</span>'
        f'<div><div class="claim-text">{escape(c["text"])}</div>'
        f'<div class="evidence">{escape(c["evidence"])}</div></div></li>' for c in claims)
    return f'<ul class="claims">{items}</ul>'


EMBED_CSV_LIMIT = 60_000
SVG_SAFE = " /:=;,.-_()'<>!*+?@$[]{}|~^`\n\t"
"""Characters an SVG keeps as they are inside a data URI in a double-quoted attribute;
the others (``"``, ``#``, ``%``, ``&``, non-ASCII) are percent-encoded."""
"""Tables whose CSV is at most this many bytes are embedded in the page (a download
link that works when report.html travels alone); larger ones link to the folder."""


def _figure(study: str, number: int, k: int, caption: str, data: bytes) -> str:
    """One figure as a data URI — SVG as percent-encoded text (a third smaller than
    base64), a PNG in base64; clicking it (a checkbox, no script) shows it large."""
    if data.startswith(b"\x89PNG"):
        uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    else:
        uri = "data:image/svg+xml;charset=utf-8," + quote(data.decode("utf-8"), safe=SVG_SAFE)
    key = f"{escape(study)}-{k}"
    return (f'<figure><input type="checkbox" class="zoom" id="zoom-{key}" '
            f'aria-label="enlarge figure {number}.{k}"><label for="zoom-{key}">'
            f'<img alt="{escape(caption)}" src="{uri}" '
            f'data-figure="{key}"></label>'
            f"<figcaption>Figure {number}.{k}. {escape(caption)} "
            f'<span class="hint">(click to enlarge)</span></figcaption></figure>')


def _formulas(formulas: list[list[str]]) -> str:
    """The lecture's formulas, as MathML (built by :mod:`neuronlab._mathml`)."""
    if not formulas:
        return ""
    items = "".join(f'<figure class="formula">{mathml}<figcaption>{escape(caption)}'
                    f"</figcaption></figure>" for caption, mathml in formulas)
    return f'<div class="formulas">{items}</div>'


def _cites(cites: list[str]) -> str:
    if not cites:
        return ""
    parts = "; ".join(f'<span class="note">{escape(n)}</span>{escape(LECTURE_NOTES.get(n, ""))}'
                      for n in cites)
    return f'<p class="cites">Tests lecture note{"s" if len(cites) > 1 else ""} {parts}.</p>'


def _downloads(study: str, tables: list[dict[str, Any]]) -> str:
    """A download link per table: embedded as a data URI when small, else a link into
    the report folder that says so."""
    embedded, folder = [], []
    for t in tables:
        name = f"{study}.{t['name']}.csv"
        text = csv_text(t).encode("utf-8")
        if len(text) <= EMBED_CSV_LIMIT:
            data = base64.b64encode(text).decode("ascii")
            embedded.append(f'<a download="{escape(name)}" '
                            f'href="data:text/csv;charset=utf-8;base64,{data}">'
                            f"{escape(t['name'])}</a>")
        else:
            folder.append(f'<a href="tables/{escape(name)}">{escape(t["name"])}</a>')
    parts = []
    if embedded:
        parts.append("Download each table as CSV: " + ", ".join(embedded) + ".")
    if folder:
        parts.append("Larger tables (in the report folder, next to report.html): "
                     + ", ".join(folder) + ".")
    parts.append('All numbers: <a href="results.json">results.json</a> (in the report '
                 "folder).")
    return f'<p class="meta">{" ".join(parts)}</p>'


def _section(number: int, study: dict[str, Any], lecture: str,
             figures: list[tuple[str, bytes]]) -> str:
    name = study["name"]
    parts = [f'<section class="card study" id="{escape(name)}" data-study="{escape(name)}">',
             f'<h2><span class="num">{number}.</span>{escape(study["title"])}</h2>',
             _cites(study.get("cites", [])),
             f'<p class="lecture">{escape(lecture)}</p>',
             _formulas(study.get("formulas", [])),
             _numbers(name, study["numbers"], study.get("number_formats", {})),
             _claims(study["claims"])]
    parts.extend(_figure(name, number, k, caption, data)
                 for k, (caption, data) in enumerate(figures, start=1))
    if study["notes"] or study.get("timing_notes"):
        notes = "".join(f"<li>{escape(n)}</li>" for n in study["notes"])
        notes += "".join(f'<li class="timing">{escape(n)}</li>'
                         for n in study.get("timing_notes", []))
        parts.append(f'<ul class="notes">{notes}</ul>')
    shown = [t for t in study["tables"] if t["shown"]]
    if shown:
        parts.append("<h3>Tables</h3>")
        parts.extend(_table(name, t) for t in shown)
    hidden = [t for t in study["tables"] if not t["shown"]]
    if hidden:
        parts.append(f'<p class="meta">{len(hidden)} more table'
                     f'{"s" if len(hidden) > 1 else ""} not shown here: '
                     f'{", ".join(escape(t["title"]) for t in hidden)}.</p>')
    parts.append(_downloads(name, study["tables"]))
    parts.append("<h3>Reproduce</h3>")
    parts.append(f'<pre class="command"><code>{escape(command_for(study))}</code></pre>')
    parts.append(f'<p class="meta">Run time: {study["seconds"]:.1f} s of computation.</p>'
                 if study.get("seconds") else "")
    parts.append("</section>")
    return "\n".join(p for p in parts if p)


def _number(value: Any) -> str:
    return format_value(value, ".3g")


def _scoreboard(studies: list[dict[str, Any]]) -> str:
    """Every claim: study (linked), verdict (coloured), claim, effect, interval, seeds."""
    rows = []
    for i, s in enumerate(studies, start=1):
        for c in s["claims"]:
            low, high = c.get("interval") or (None, None)
            interval = "—" if c.get("method") in ("rule",) else \
                f"[{_number(low)}, {_number(high)}]"
            rows.append(
                f'<tr class="{VERDICT_CLASS[c["verdict"]]}" data-verdict="{escape(c["verdict"])}">'
                f'<td class="study"><a href="#{escape(s["name"])}">{i}. {escape(s["name"])}</a>'
                f'</td><td class="verdict">{VERDICT_MARK[c["verdict"]]} {escape(c["verdict"])}'
                f'</td><td class="claim">{escape(c["text"])}'
                + (f'<br><span class="meta">{escape(c["quantity"])}</span>'
                   if c.get("quantity") else "")
                + f'</td><td class="n" data-label="effect">{_number(c.get("effect"))}</td>'
                f'<td class="n" data-label="interval">{interval}</td>'
                f'<td class="n" data-label="seeds">{c.get("seeds", "")}</td></tr>')
    total = len(rows)
    if not total:
        return ""
    counts = {v: sum(c["verdict"] == v for s in studies for c in s["claims"])
              for v in VERDICT_CLASS}
    tally = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
    return (f'<section class="card" id="summary"><h2>Claims checked: '
            f'{counts["reproduced"]} of {total} reproduced</h2>'
            f"<p>Each study below tests statements from the lecture notes and the papers "
            f"behind them on real networks: {escape(tally)}. A claim's effect is the "
            f"measured quantity (mean over seeds), its interval the 95% interval over "
            f"seeds (a single value for an exact computation); the verdict compares the "
            f"interval with the smallest effect that matters, stated in the section.</p>"
            f'<div class="table-wrap full"><table class="scoreboard"><thead><tr>'
            f"<th>study</th><th>verdict</th><th>claim and quantity</th><th>effect</th>"
            f"<th>interval</th><th>seeds</th></tr></thead><tbody>{''.join(rows)}</tbody>"
            f"</table></div></section>")


def render(doc: dict[str, Any], lectures: dict[str, str],
           figures: dict[str, list[tuple[str, bytes]]]) -> str:
    """The whole page for the serialized results ``doc`` (see ``report.document``)."""
    studies = doc["studies"]
    toc = "".join(f'<a href="#{escape(s["name"])}">{i}. {escape(s["title"])}</a>'
                  for i, s in enumerate(studies, start=1))
    scoreboard = _scoreboard(studies)
    sections = "\n".join(_section(i, s, lectures.get(s["name"], ""), figures.get(s["name"], []))
                         for i, s in enumerate(studies, start=1))
    env = doc.get("environment", {})
    env_text = ", ".join(f"{k} {v}" for k, v in env.items())
    mode = "quick sizes" if doc.get("quick") else "default sizes"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>neuronlab study report</title>
<style>{CSS}</style>
</head>
<body>
<header class="top">
<h1>What the lectures claim, measured<small>neuronlab study report — backpropagation,
losses, gradient descent, activations, initialization, vanishing and exploding
gradients</small></h1>
<p class="meta">Generated {escape(doc.get("created", ""))} · seed {doc.get("seed")} ·
{mode} · {len(studies)} studies · {doc.get("seconds", 0):.0f} s of computation</p>
<pre class="command"><code>{escape(doc.get("command", ""))}</code></pre>
<input type="checkbox" class="toc-toggle" id="toc-toggle">
<label class="toc-button" for="toc-toggle">Contents: {len(studies)} sections</label>
<nav class="toc">{toc}</nav>
</header>
<main>
{scoreboard}
{sections}
</main>
<footer><p>{escape(env_text)}. Every number in this page is also in
<a href="results.json">results.json</a> and in one CSV file per table under
<code>tables/</code> (both in the report folder; the smaller tables also download from
their sections, so this page works shared alone). Wall-clock timings vary from machine to
machine; everything else is determined by the seed.</p></footer>
</body>
</html>
"""
