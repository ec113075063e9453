"""How values are shown in the report (shared by HTML and Markdown, and by the tests)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from neuronlab.studies._core import UNMEASURED

MISSING = "—"


def format_value(value: Any, spec: str | None = None) -> str:
    """A table cell or key number as text.

    None (a missing or non-finite number) is a dash, booleans are yes/no, numbers use
    ``spec`` (a format spec such as ``".3g"`` or ``".1%"``) or ``.4g`` for floats, lists
    and dicts are JSON.

    Examples
    --------
    >>> format_value(0.12345, ".1%"), format_value(None), format_value(True)
    ('12.3%', '—', 'yes')
    >>> format_value(3.0e-42)
    '3e-42'
    """
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        if spec:
            return format(value, spec)
        return str(value) if isinstance(value, int) else format(value, ".4g")
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _signed(value: Any) -> str:
    return MISSING if value is None else format(value, "+.3g")


def predicted(claim: dict[str, Any]) -> str:
    """What the lecture predicts for a claim's quantity, from its direction and margin.

    Examples
    --------
    >>> predicted({"direction": 1, "margin": 0.2}), predicted({"direction": 0, "margin": 0.1})
    ('≥ +0.2', 'within ±0.1')
    """
    margin = format(claim["margin"], ".3g")
    return {1: f"≥ +{margin}", -1: f"≤ −{margin}", 0: f"within ±{margin}"}[claim["direction"]]


def claim_measure(claim: dict[str, Any]) -> str:
    """One line with a claim's measured effect, interval, seeds and prediction.

    Examples
    --------
    >>> print(claim_measure({"quantity": "accuracy, He − Glorot", "direction": 1,
    ...                      "margin": 0.3, "effect": 0.61, "interval": [0.5, 0.72],
    ...                      "level": 0.95, "method": "t", "seeds": 5}))
    accuracy, He − Glorot: effect +0.61, 95% t interval [+0.5, +0.72] over 5 seeds; predicted ≥ +0.3

    A claim that no seed could measure (``Claim.unmeasured``; its evidence says why) shows
    no number:

    >>> print(claim_measure({"quantity": "steps, B=8 / B=128", "direction": 1,
    ...                      "margin": 0.3, "effect": None, "interval": [None, None],
    ...                      "level": 0.95, "method": "not measured", "seeds": 0}))
    steps, B=8 / B=128: not measured (no seed gave a value); predicted ≥ +0.3
    """
    low, high = claim["interval"]
    if claim.get("method") == UNMEASURED:
        return (f"{claim['quantity']}: not measured (no seed gave a value); predicted "
                f"{predicted(claim)}")
    if claim.get("method") == "exact":
        measured = f"{_signed(claim['effect'])} (exact computation, no seed changes it)"
    else:
        measured = (f"{_signed(claim['effect'])}, {claim['level']:.0%} {claim['method']} "
                    f"interval [{_signed(low)}, {_signed(high)}] over {claim['seeds']} "
                    f"seed{'s' if claim['seeds'] != 1 else ''}")
    return f"{claim['quantity']}: effect {measured}; predicted {predicted(claim)}"


CLAIM_COLUMNS = ("text", "quantity", "direction", "margin", "effect", "low", "high", "level",
                 "method", "seeds", "verdict", "evidence")


def claim_rows(claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The claims of one study as tidy rows (the ``claims`` CSV)."""
    return [{k: (c["interval"][0] if k == "low" else c["interval"][1] if k == "high"
                 else c.get(k)) for k in CLAIM_COLUMNS} for c in claims]


def claims_table(claims: list[dict[str, Any]]) -> dict[str, Any]:
    """The claims of one study as a table in ``Table.to_dict()`` form, named ``claims``
    (written as ``tables/<study>.claims.csv`` and offered for download)."""
    return {"name": "claims", "title": "Claims: quantity, effect, interval, seeds, margin "
            "and verdict", "columns": list(CLAIM_COLUMNS), "rows": claim_rows(claims)}


def command_for(study: dict[str, Any]) -> str:
    """The command that reproduces one study's numbers."""
    config = study.get("config", {})
    parts = ["neuronlab", "study", "--only", study["name"], "--seed", str(config.get("seed", 0))]
    if config.get("quick"):
        parts.append("--quick")
    return " ".join(parts)


def csv_text(table: dict[str, Any]) -> str:
    """One table (its ``to_dict()`` form) as CSV text: a header row of its columns, one
    line per row, missing values empty."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=table["columns"], lineterminator="\n",
                            extrasaction="ignore")
    writer.writeheader()
    for row in table["rows"]:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()
