"""The study report: figures, tables and the lecture's explanation, in one file.

:func:`write` turns the results of :func:`neuronlab.studies.run` into

- ``report.html``: one self-contained page (CSS inline, figures embedded as SVG, the
  lectures' formulas as MathML, the tables downloadable from inside the page, no
  scripts, nothing fetched from the network), a section per study with its figures,
  tables, the claims it checked, the lecture notes it tests, a few sentences tying the
  result to the lecture, and the exact command that reproduces it; or, with
  ``fmt="md"``, ``report.md`` with the figures as SVG files under ``figures/`` and the
  formulas as ``$$`` TeX display math written from the same MathML;
- ``results.json``: every number, in the same structure (the report is rendered from
  exactly this document, so the two agree);
- ``tables/<study>.<table>.csv``: one CSV file per table, and
  ``tables/<study>.claims.csv``: each claim's quantity, effect, interval, seeds, margin
  and verdict.

Every file is written atomically (a temporary file, then ``os.replace``), and the
report itself last: a report file on disk is always complete and its data files are
there.  The report only renders; it never runs an experiment.

Examples
--------
>>> from neuronlab import studies, report
>>> results = studies.run(["self_normalising"], quick=True)
>>> path = report.write(results, "study-report")   # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from neuronlab import _workers
from neuronlab._files import replace_folder, write_bytes, write_text
from neuronlab.report._format import (
    MISSING,
    claim_measure,
    claims_table,
    command_for,
    csv_text,
    format_value,
)
from neuronlab.studies import StudyResult

__all__ = ["FORMATS", "MISSING", "claim_measure", "command_for", "document", "format_value",
           "load", "tally", "write"]

FORMATS = ("html", "md")


def _environment() -> dict[str, str]:
    import numpy

    import neuronlab

    return {"neuronlab": neuronlab.__version__, "numpy": numpy.__version__,
            "python": platform.python_version(), "platform": platform.platform(terse=True)}


def document(results: Sequence[StudyResult | Mapping[str, Any]], command: str = "",
             created: str | None = None) -> dict[str, Any]:
    """The JSON document of a list of study results (what ``results.json`` holds)."""
    from neuronlab.studies import registry

    studies = [r.to_dict() if isinstance(r, StudyResult) else dict(r) for r in results]
    known = registry()
    for study in studies:
        registered = known.get(study["name"])
        study.setdefault("lecture", registered.lecture if registered else "")
        study.setdefault("cites", list(registered.cites) if registered else [])
        study.setdefault("formulas", [list(f) for f in registered.formulas]
                         if registered else [])
    seeds = {s["config"].get("seed") for s in studies}
    quick = {bool(s["config"].get("quick")) for s in studies}
    return {"format": "neuronlab-study-report/1",
            "created": created or time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "command": command or "neuronlab study",
            "seed": seeds.pop() if len(seeds) == 1 else sorted(seeds),
            "quick": quick.pop() if len(quick) == 1 else None,
            "seconds": sum(s.get("seconds") or 0.0 for s in studies),
            "environment": _environment(),
            "studies": studies}


def load(path: str | os.PathLike[str]) -> list[StudyResult]:
    """The study results stored in a ``results.json``."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    return [StudyResult.from_dict(s) for s in doc["studies"]]


def _figures(results: Sequence[StudyResult], jobs: int = 1) -> dict[str, list[tuple[str, bytes]]]:
    from neuronlab.parallel import effective_jobs
    from neuronlab.report.figures import render_study

    n_jobs = effective_jobs(jobs, len(results))
    if n_jobs > 1:
        from joblib import Parallel, delayed

        with _workers.local(n_jobs):  # workers that exit if this process is killed
            rendered = Parallel()(delayed(render_study)(r) for r in results)
    else:
        rendered = [render_study(r) for r in results]
    return {r.name: figs for r, figs in zip(results, rendered, strict=True)}


def write(results: Sequence[StudyResult | Mapping[str, Any]], out: str | os.PathLike[str],
          fmt: str = "html", *, command: str = "", jobs: int = 1) -> Path:
    """Write the report of ``results`` into the folder ``out``; returns the report's path.

    Parameters
    ----------
    results : StudyResult objects (or their ``to_dict()`` form, e.g. from results.json).
    out : folder, created if needed.  The report is written into a new folder beside it
        and swapped in when complete, so an interrupted run leaves the previous report
        whole; a folder holding other files than a report's (``OUTPUTS``) is refused.
    fmt : ``"html"`` (one self-contained file) or ``"md"`` (Markdown + SVG files).
    command : the command line that produced the results, shown at the top.
    jobs : processes used to render the figures (-1: every core).
    """
    if fmt not in FORMATS:
        raise ValueError(f"report format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    results = [r if isinstance(r, StudyResult) else StudyResult.from_dict(r) for r in results]
    if not results:
        raise ValueError("no study results to report")
    out = Path(out)
    doc = document(results, command)
    # the document goes through JSON once, so that the report shows exactly its numbers
    text = json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    doc = json.loads(text)
    figures = _figures(results, jobs)
    with replace_folder(out, owned=OUTPUTS) as new:  # an interrupted run changes nothing
        _write_files(new, doc, text, figures, fmt)
    return out / ("report.html" if fmt == "html" else "report.md")


#: What :func:`write` puts in its folder; a folder holding anything else is not replaced.
OUTPUTS = ("report.html", "report.md", "results.json", "tables", "figures")


def _write_files(out: Path, doc: dict[str, Any], text: str,
                 figures: dict[str, list[tuple[str, bytes]]], fmt: str) -> None:
    for study in doc["studies"]:
        for table in study["tables"]:
            write_text(out / "tables" / f"{study['name']}.{table['name']}.csv", csv_text(table))
        if study["claims"]:
            write_text(out / "tables" / f"{study['name']}.claims.csv",
                       csv_text(claims_table(study["claims"])))
    write_text(out / "results.json", text + "\n")
    lectures = {s["name"]: s.get("lecture", "") for s in doc["studies"]}
    if fmt == "html":
        from neuronlab.report._html import render

        write_text(out / "report.html", render(doc, lectures, figures))
        return
    from neuronlab.report._markdown import render as render_md

    files: dict[str, list[tuple[str, str]]] = {}
    for name, figs in figures.items():
        for k, (caption, data) in enumerate(figs, start=1):
            kind = "png" if data.startswith(b"\x89PNG") else "svg"
            relative = f"figures/{name}-{k}.{kind}"
            write_bytes(out / relative, data)
            files.setdefault(name, []).append((caption, relative))
    write_text(out / "report.md", render_md(doc, lectures, files))


def tally(results: Sequence[StudyResult]) -> list[str]:
    """Lines for the end of a run: the overall count of verdicts, then every claim that
    was not reproduced or was inconclusive, with its study, effect and interval.

    Examples
    --------
    >>> from neuronlab.studies import Claim
    >>> r = StudyResult("s", "S", {}, [], claims=[
    ...     Claim.exact("it holds", "x", 1.0, direction=+1, margin=0.5),
    ...     Claim.exact("it fails", "x", 0.0, direction=+1, margin=0.5)])
    >>> print("\\n".join(tally([r])))
    claims: 2 — 1 reproduced, 1 not reproduced, 0 inconclusive
      not reproduced  s: it fails (effect 0, interval [0, 0])
    """
    claims = [(r.name, c) for r in results for c in r.claims]
    counts = {v: sum(c.verdict == v for _, c in claims)
              for v in ("reproduced", "not reproduced", "inconclusive")}
    lines = [f"claims: {len(claims)} — " + ", ".join(f"{n} {v}" for v, n in counts.items())]
    for name, c in claims:
        if not c.measured:
            lines.append(f"  {c.verdict:<15} {name}: {c.text} (not measured: {c.evidence})")
        elif c.verdict != "reproduced":
            lines.append(f"  {c.verdict:<15} {name}: {c.text} (effect "
                         f"{format_value(c.effect, '.3g')}, interval "
                         f"[{format_value(c.low, '.3g')}, {format_value(c.high, '.3g')}])")
    return lines
