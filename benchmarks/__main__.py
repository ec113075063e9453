"""``python -m benchmarks [--quick] [--only SECTION ...] [--out FILE]``: run, print, save."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import SECTIONS, _common
from benchmarks._common import (
    Threads,
    config_by_name,
    machine,
    optional,
    training_configs,
    wait_quiet,
)

DEFAULT_OUT = Path(__file__).resolve().parent / "latest.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="neuronlab vs PyTorch CPU vs scikit-learn: training, floor, inference, "
                    "activations, diagnostics, scaling, memory, allocations, breakdown; "
                    "the playground's frame rate; save/load vs the safetensors library.")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes and one or two repeats (a smoke run, seconds)")
    parser.add_argument("--only", action="append", choices=SECTIONS, metavar="SECTION",
                        help=f"run only this section (repeatable): {', '.join(SECTIONS)}")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"JSON file for all numbers (default {DEFAULT_OUT.name} "
                             f"beside this file)")
    parser.add_argument("--threads", type=int, default=2,
                        help="threads for NumPy's BLAS, OpenMP and PyTorch (default 2)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed repeats per measurement (default 5, 3 for the slow "
                             "sections; 2 with --quick)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--wait-quiet", type=float, default=None, metavar="FRACTION",
                        help="before each section (and training configuration) wait until "
                             "other processes keep less than FRACTION of the CPUs busy "
                             "(e.g. 0.1 on a shared machine)")
    args = parser.parse_args(argv)
    if args.threads < 1 or (args.repeats is not None and args.repeats < 1):
        parser.error("--threads and --repeats must be >= 1")
    return args


def run(args: argparse.Namespace) -> dict[str, Any]:
    threads = Threads(args.threads)
    if optional("torch") is not None:
        threads.apply()  # torch brings its own OpenMP pool
    from rich.console import Console

    from benchmarks import report

    console = Console(stderr=False)

    def log(message: str) -> None:
        console.print(f"[dim]{time.strftime('%H:%M:%S')}  {message}[/dim]")

    quick, selected = args.quick, args.only or list(SECTIONS)
    _common.PAUSE = 0.0 if quick else _common.PAUSE
    repeats = args.repeats or (2 if quick else 5)
    slow_repeats = args.repeats or (1 if quick else 3)
    configs = training_configs(quick)
    results = _previous(args) if args.only else {}
    results.update({
        "suite": {"quick": quick, "repeats": repeats, "slow_repeats": slow_repeats,
                  "pause_s": _common.PAUSE, "seed": args.seed, "argv": sys.argv[1:]},
        "machine": machine(args.threads),
    })
    runs = results.setdefault("runs", {})  # per section: when, how busy, how long
    for section in SECTIONS:
        results.setdefault(section, {"skipped": "not selected with --only"})

    def quiet() -> float | None:
        return wait_quiet(args.wait_quiet, log)

    def record(name: str, start: float, busy: float | None, load: tuple) -> None:
        runs[name] = {"started": time.strftime("%Y-%m-%d %H:%M:%S",
                                               time.localtime(time.time() - (
                                                   time.perf_counter() - start))),
                      "seconds": time.perf_counter() - start, "others_busy": busy,
                      "load_before": load, "load_after": os.getloadavg(),
                      "git": results["machine"]["git"], "threads": args.threads,
                      "repeats": slow_repeats if name in ("scaling", "breakdown") else repeats}

    def timed_section(name: str, fn) -> None:
        busy = quiet()
        start, load = time.perf_counter(), os.getloadavg()
        results[name] = fn()
        record(name, start, busy, load)

    if {"training", "floor"} & set(selected):
        from benchmarks.training import run_training

        busy = quiet()
        start, load = time.perf_counter(), os.getloadavg()
        both = run_training(configs, "training" in selected, "floor" in selected, repeats,
                            args.seed, log, before=quiet)
        for name in ("training", "floor"):
            if name in selected:
                results[name] = both[name]
                record(name, start, busy, load)
    if "inference" in selected:
        from benchmarks.training import run_inference

        timed_section("inference", lambda: run_inference(configs, repeats, args.seed, log))
    if "activations" in selected:
        from benchmarks.activations import run_activations

        shape = (64, 128) if quick else (256, 1024)
        timed_section("activations", lambda: run_activations(
            shape, repeats, 5 if quick else 20, args.seed, log))
    if "diagnostics" in selected:
        from benchmarks.diagnostics import run_diagnostics

        picked = [c for c in configs if c.name in ("wide_b128", "digits_b32")]
        timed_section("diagnostics", lambda: run_diagnostics(picked, repeats, args.seed, log))
    if "scaling" in selected:
        from benchmarks.scaling import run_scaling

        timed_section("scaling", lambda: run_scaling(quick, slow_repeats, args.seed, log))
    if "memory" in selected:
        from benchmarks.memory import run_memory

        names = ["wide_b128"] if quick else ["wide_b128", "digits_b32"]
        timed_section("memory", lambda: run_memory(names, quick, log))
    if "allocations" in selected:
        from benchmarks.allocations import run_allocations

        picked = [config_by_name(n, quick) for n in ("digits_b32", "wide_b128")]
        timed_section("allocations", lambda: run_allocations(
            picked, 512 if quick else 4096, args.seed, log))
    if "breakdown" in selected:
        from benchmarks.breakdown import run_breakdown

        names = ["digits_b32"] if quick else ["wide_b128", "digits_b32", "deep_b128"]
        picked = [config_by_name(n, quick) for n in names]
        timed_section("breakdown", lambda: run_breakdown(
            picked, slow_repeats, threads, quick, args.seed, log))

    if "playground" in selected:
        from benchmarks.playground import run_playground

        timed_section("playground", lambda: run_playground(quick, repeats, log))
    if "io" in selected:
        from benchmarks.io import run_io

        timed_section("io", lambda: run_io(quick, repeats, log))

    results["targets"] = report.targets(results)
    report.print_all(results, console)
    return results


def _previous(args: argparse.Namespace) -> dict[str, Any]:
    """The sections of an earlier run in ``--out`` (same --quick and --threads), which a
    run with ``--only`` updates rather than discards."""
    try:
        old = json.loads(args.out.read_text())
    except (OSError, ValueError):
        return {}
    same = (isinstance(old, dict) and old.get("suite", {}).get("quick") == args.quick
            and old.get("machine", {}).get("threads") == args.threads)
    return {k: v for k, v in old.items() if k in SECTIONS or k == "runs"} if same else {}


def _finite(obj: Any) -> Any:
    """JSON has no NaN/inf: write them as null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(_finite(results), indent=1, default=str) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
