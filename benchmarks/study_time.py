"""``python -m benchmarks.study_time [--quick] [--jobs N]``: how long ``neuronlab study``
takes, per study, and how large its report is.

The targets (issue 14): the default run within 5 minutes on 2 cores, ``--quick`` within
60 s, the report within 5 MB.  Wall-clock figures depend on what else the machine is
doing, so the load average before and after is printed beside them; the per-study
seconds are the computation summed over runs (what ``results.json`` records).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {True: 60.0, False: 300.0}
REPORT_LIMIT = 5_000_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.study_time",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="time 'neuronlab study --quick'")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "neuronlab.cli", "study", "--out", out, "--quiet",
                   "--jobs", str(args.jobs)] + (["--quick"] if args.quick else [])
        load_before = os.getloadavg()
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        load_after = os.getloadavg()
        doc = json.loads((Path(out) / "results.json").read_text(encoding="utf-8"))
        size = (Path(out) / "report.html").stat().st_size
    print(f"neuronlab study{' --quick' if args.quick else ''} --jobs {args.jobs}: "
          f"{wall:.0f} s wall-clock (target {TARGETS[args.quick]:.0f} s), report "
          f"{size / 1e6:.2f} MB (limit {REPORT_LIMIT / 1e6:.0f} MB)")
    print(f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f} "
          f"on {os.cpu_count()} cores")
    for study in sorted(doc["studies"], key=lambda s: -(s.get("seconds") or 0)):
        print(f"  {study['name']:<20} {study.get('seconds') or 0:7.1f} s of computation")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
