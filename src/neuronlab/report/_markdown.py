"""The Markdown report: the same sections as the HTML one, figures as SVG files, and the
formulas as TeX display math (``$$``) written from the HTML report's MathML."""

from __future__ import annotations

from typing import Any

from neuronlab._mathml import to_tex
from neuronlab.report._format import claim_measure, command_for, format_value


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(table: dict[str, Any]) -> str:
    columns = table["columns"]
    formats = table.get("formats", {})
    lines = [f"**{table['title']}**", "",
             "| " + " | ".join(_cell(c) for c in columns) + " |",
             "|" + "|".join("---:" if _numeric(table, c) else "---" for c in columns) + "|"]
    for row in table["rows"]:
        lines.append("| " + " | ".join(_cell(format_value(row.get(c), formats.get(c)))
                                       for c in columns) + " |")
    return "\n".join(lines)


def _numeric(table: dict[str, Any], column: str) -> bool:
    return any(isinstance(r.get(column), int | float) and not isinstance(r.get(column), bool)
               for r in table["rows"])


def _formulas(formulas: list[list[str]]) -> list[str]:
    """The lecture's formulas as display math (``$$`` lines, which GitHub, GitLab, VS Code,
    Jupyter and pandoc render), written from the same MathML as the HTML report's."""
    lines = []
    for caption, mathml in formulas:
        shown = caption.replace("*", "\\*").replace("_", "\\_")  # inside *emphasis*
        lines += [f"*{shown}*", "", "$$", to_tex(mathml), "$$", ""]
    return lines


MARK = {"reproduced": "✅", "not reproduced": "❌", "inconclusive": "❔"}


def render(doc: dict[str, Any], lectures: dict[str, str],
           figure_files: dict[str, list[tuple[str, str]]]) -> str:
    """Markdown for ``doc``; ``figure_files[study]`` lists ``(caption, relative path)``."""
    studies = doc["studies"]
    out = ["# What the lectures claim, measured", "",
           f"neuronlab study report · generated {doc.get('created', '')} · seed "
           f"{doc.get('seed')} · {'quick' if doc.get('quick') else 'default'} sizes · "
           f"{doc.get('seconds', 0):.0f} s of computation", "",
           "```bash", doc.get("command", ""), "```", ""]
    held = sum(c["verdict"] == "reproduced" for s in studies for c in s["claims"])
    total = sum(len(s["claims"]) for s in studies)
    if total:
        out += [f"## Claims checked: {held} of {total} reproduced", ""]
        for i, s in enumerate(studies, start=1):
            out += [f"- {MARK[c['verdict']]} ({i}. {s['name']}) {c['text']}"
                    for c in s["claims"]]
        out.append("")
    for i, s in enumerate(studies, start=1):
        out += [f"## {i}. {s['title']}", ""]
        if s.get("cites"):
            out += ["Tests lecture note" + ("s " if len(s["cites"]) > 1 else " ")
                    + ", ".join(s["cites"]) + ".", ""]
        out += [f"> {lectures.get(s['name'], '')}", ""]
        out += _formulas(s.get("formulas", []))
        formats = s.get("number_formats", {})
        out += [f"- **{k}**: {format_value(v, formats.get(k))}" for k, v in s["numbers"].items()]
        if s["numbers"]:
            out.append("")
        for c in s["claims"]:
            out += [f"{MARK[c['verdict']]} {c['verdict']}: **{c['text']}**", "",
                    f"  {claim_measure(c)}. {c['evidence']}", ""]
        for k, (caption, path) in enumerate(figure_files.get(s["name"], []), start=1):
            out += [f"![Figure {i}.{k}]({path})", "", f"*Figure {i}.{k}. {caption}*", ""]
        out += [f"- {n}" for n in [*s["notes"], *s.get("timing_notes", [])]]
        if s["notes"] or s.get("timing_notes"):
            out.append("")
        for t in s["tables"]:
            if t["shown"]:
                out += [_table(t), ""]
        names = [t["name"] for t in s["tables"]] + (["claims"] if s["claims"] else [])
        files = ", ".join(f"[{t}](tables/{s['name']}.{t}.csv)" for t in names)
        out += [f"All numbers: [results.json](results.json); CSV per table: {files}.", "",
                "Reproduce:", "", "```bash", command_for(s), "```", ""]
    return "\n".join(out)
