"""Compare the study verdicts of several ``results.json`` files (not a timing section).

The verdicts of ``neuronlab study`` must not depend on the CPU: OpenBLAS's kernels
(Haswell, Zen, SkylakeX) and the number of BLAS threads change the last bits of the
matrix products, never a verdict.  Run the same study under each setting, then::

    python -m benchmarks.verdicts native/results.json haswell/results.json one/results.json

prints every claim's verdict and effect per file, how close each interval comes to its
margin (in units of the interval's half-width: below 0.1 a verdict sits on a knife's
edge), and exits with status 1 when a verdict differs between the files.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any


def claims(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """``{(study, claim text): claim}`` of one results.json."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {(s["name"], c["text"]): c for s in doc["studies"] for c in s["claims"]}


def clearance(claim: dict[str, Any]) -> float:
    """Distance from the interval's nearest end to the nearest decision boundary (the
    margin, or minus it), in half-widths of the interval; inf for an exact or unbounded
    one.  A small value means last bits could move the verdict."""
    low, high = claim["interval"]
    if low is None or high is None or high == low:
        return math.inf
    half = (high - low) / 2
    bounds = (claim["margin"], -claim["margin"]) if claim["direction"] == 0 \
        else (claim["direction"] * claim["margin"],)
    return min(min(abs(low - b), abs(high - b)) for b in bounds) / half


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.verdicts",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path, help="results.json files")
    args = parser.parse_args(argv)
    runs = [claims(p) for p in args.results]
    keys = list(dict.fromkeys(k for run in runs for k in run))
    differ = 0
    for study, text in keys:
        got = [run.get((study, text)) for run in runs]
        verdicts = [c["verdict"] if c else "missing" for c in got]
        same = len(set(verdicts)) == 1
        differ += not same
        edge = min(clearance(c) for c in got if c)
        effects = " ".join(f"{c['effect']:+.4g}" if c and c["effect"] is not None else "—"
                           for c in got)
        print(f"{'  ' if same else '≠ '}{study:<19} {' / '.join(dict.fromkeys(verdicts)):<15} "
              f"clearance {edge:6.2f}  effects {effects}  {text[:60]}")
    print(f"{len(keys)} claims, {differ} with differing verdicts across "
          f"{len(runs)} files")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
