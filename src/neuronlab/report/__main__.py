"""``python -m neuronlab.report RESULTS.json [--out DIR] [--format html|md]``: render a
report again from a ``results.json`` (no experiment is run)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from neuronlab import report
from neuronlab._terminal import printable


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neuronlab.report",
                                     description="Render a study report from results.json.")
    parser.add_argument("results", help="a results.json written by 'neuronlab study'")
    parser.add_argument("--out", help="output folder (default: the folder of RESULTS)")
    parser.add_argument("--format", default="html", choices=report.FORMATS)
    args = parser.parse_args(argv)
    import json
    from pathlib import Path

    try:
        source = Path(args.results)
        doc = json.loads(source.read_text(encoding="utf-8"))
        path = report.write(doc["studies"], args.out or source.parent, args.format,
                            command=doc.get("command", ""))
    except (OSError, ValueError, KeyError) as exc:
        print(f"neuronlab.report: error: {printable(exc, multiline=True)}", file=sys.stderr)
        return 2
    print(f"report: {printable(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
