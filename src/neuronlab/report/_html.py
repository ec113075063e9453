"""The self-contained HTML report: inline CSS, figures as base64 PNG, no scripts, no
network access."""

from __future__ import annotations

import base64
import json
from html import escape
from typing import Any

from neuronlab.report._format import command_for, format_value

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


def _section(number: int, study: dict[str, Any], lecture: str,
             figures: list[tuple[str, bytes]]) -> str:
    name = study["name"]
    parts = [f'<section class="card study" id="{escape(name)}" data-study="{escape(name)}">',
             f'<h2><span class="num">{number}.</span>{escape(study["title"])}</h2>',
             f'<p class="lecture">{escape(lecture)}</p>',
             _numbers(name, study["numbers"], study.get("number_formats", {})),
             _claims(study["claims"])]
    for k, (caption, data) in enumerate(figures, start=1):
        encoded = base64.b64encode(data).decode("ascii")
        parts.append(f'<figure><img alt="{escape(caption)}" '
                     f'src="data:image/png;base64,{encoded}" data-figure="{escape(name)}-{k}">'
                     f"<figcaption>Figure {number}.{k}. {escape(caption)}</figcaption></figure>")
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
    files = ", ".join(f'<a href="tables/{escape(name)}.{escape(t["name"])}.csv">'
                      f'{escape(t["name"])}</a>' for t in study["tables"])
    parts.append(f'<p class="meta">All numbers: <a href="results.json">results.json</a>; '
                 f"CSV per table: {files}"
                 + (f" ({len(hidden)} not shown here)." if hidden else ".") + "</p>")
    parts.append("<h3>Reproduce</h3>")
    parts.append(f'<pre class="command"><code>{escape(command_for(study))}</code></pre>')
    parts.append(f'<p class="meta">Run time: {study["seconds"]:.1f} s of computation.</p>'
                 if study.get("seconds") else "")
    parts.append("</section>")
    return "\n".join(p for p in parts if p)


def render(doc: dict[str, Any], lectures: dict[str, str],
           figures: dict[str, list[tuple[str, bytes]]]) -> str:
    """The whole page for the serialized results ``doc`` (see ``report.document``)."""
    studies = doc["studies"]
    toc = "".join(f'<a href="#{escape(s["name"])}">{i}. {escape(s["title"])}</a>'
                  for i, s in enumerate(studies, start=1))
    rows = []
    for i, s in enumerate(studies, start=1):
        for c in s["claims"]:
            mark = VERDICT_MARK[c["verdict"]]
            rows.append(f'<tr><td class="study"><a href="#{escape(s["name"])}">{i}. '
                        f'{escape(s["name"])}</a></td><td>{mark}</td>'
                        f"<td>{escape(c['text'])}</td></tr>")
    held = sum(c["verdict"] == "reproduced" for s in studies for c in s["claims"])
    total = sum(len(s["claims"]) for s in studies)
    scoreboard = (f'<section class="card" id="summary"><h2>Claims checked: {held} of {total} '
                  f"reproduced</h2><p>Each study below tests statements from the lectures "
                  f"and the papers behind them on real networks; a claim that did not hold "
                  f"is shown as such, with the number that decided it.</p>"
                  f'<div class="table-wrap"><table class="scoreboard"><thead><tr>'
                  f"<th>study</th><th></th><th>claim</th></tr></thead><tbody>"
                  f"{''.join(rows)}</tbody></table></div></section>") if total else ""
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
<h1>What the lectures claim, measured<small>neuronlab study report — activations,
initialization, vanishing and exploding gradients</small></h1>
<p class="meta">Generated {escape(doc.get("created", ""))} · seed {doc.get("seed")} ·
{mode} · {len(studies)} studies · {doc.get("seconds", 0):.0f} s of computation</p>
<pre class="command"><code>{escape(doc.get("command", ""))}</code></pre>
<nav class="toc">{toc}</nav>
</header>
<main>
{scoreboard}
{sections}
</main>
<footer><p>{escape(env_text)}. Every number in this page is also in
<a href="results.json">results.json</a> and in one CSV file per table under
<code>tables/</code>. Wall-clock timings vary from machine to machine; everything else is
determined by the seed.</p></footer>
</body>
</html>
"""
