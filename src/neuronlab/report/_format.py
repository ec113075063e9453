"""How values are shown in the report (shared by HTML and Markdown, and by the tests)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

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
