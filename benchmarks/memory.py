"""Peak memory of one training epoch, each framework alone in a fresh subprocess.

Method.  The child (``python -m benchmarks.memory FRAMEWORK CONFIG [--quick]``) imports
its framework, makes the synthetic data (directly in float32) and builds the model;
then it resets the kernel's resident-set high-water mark (writing ``5`` to
``/proc/self/clear_refs``), reads the current RSS (``VmRSS``) as the baseline, trains
one epoch and reads the high-water mark (``VmHWM``).  ``train_peak_mb`` = VmHWM -
baseline is what training itself added; ``process_peak_mb`` = VmHWM is the whole
process (interpreter, libraries, data).  Where clear_refs is not available the
baseline is ``ru_maxrss`` before training, which can hide a peak lower than the
set-up's.  For neuronlab a second child also reports ``tracemalloc``'s peak of
traced (Python and NumPy) allocations during the epoch above the level before it;
tracemalloc does not see PyTorch's or BLAS's own allocations, so only RSS compares
frameworks.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from typing import Any

from benchmarks._common import ROOT, config_by_name, make_data, reset_peak, status_kb


def child(framework: str, config: str, quick: bool, use_tracemalloc: bool) -> dict[str, Any]:
    """Runs in the subprocess: one epoch of ``framework`` on ``config``; returns the numbers."""
    from benchmarks import training

    cfg = config_by_name(config, quick)
    X, y = make_data(cfg.n_samples, cfg.sizes[0])
    runner = {"neuronlab": training.Neuronlab, "torch": training.Torch,
              "sklearn": training.Sklearn}[framework](cfg)
    if use_tracemalloc:
        import tracemalloc

        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
    reset = reset_peak()
    baseline_kb = status_kb("VmRSS") if reset else \
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if framework == "torch":
        runner.epoch(X, y, training.batch_order(1, len(X)))
    elif framework == "neuronlab":
        runner.epoch(X, y, 1)
    else:
        runner.epoch(X, y)
    out: dict[str, Any] = {"method": "clear_refs+VmHWM" if reset else "ru_maxrss"}
    if use_tracemalloc:
        out["tracemalloc_peak_mb"] = (tracemalloc.get_traced_memory()[1] - before) / 2**20
        tracemalloc.stop()
    peak_kb = status_kb("VmHWM") if reset else \
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out.update({"process_peak_mb": peak_kb / 1024, "baseline_mb": baseline_kb / 1024,
                "train_peak_mb": (peak_kb - baseline_kb) / 1024,
                "data_mb": (X.nbytes + y.nbytes) / 2**20})
    return out


def _spawn(framework: str, config: str, quick: bool, use_tracemalloc: bool) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.memory", framework, config]
    cmd += ["--quick"] if quick else []
    cmd += ["--tracemalloc"] if use_tracemalloc else []
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip()
                else f"exit {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_memory(configs: list[str], quick: bool, log=print) -> dict[str, Any]:
    from benchmarks.training import available_peers

    peers = available_peers()
    results: dict[str, Any] = {}
    for config in configs:
        log(f"memory: {config} (one subprocess per framework)")
        row: dict[str, Any] = {"config": config_by_name(config, quick).as_dict()}
        row["neuronlab"] = _spawn("neuronlab", config, quick, False)
        row["neuronlab"]["tracemalloc"] = _spawn("neuronlab", config, quick, True)
        for peer, why in peers.items():
            row[peer] = _spawn(peer, config, quick, False) if why is None else {
                "unavailable": why}
            if "train_peak_mb" in row[peer] and "train_peak_mb" in row["neuronlab"]:
                row[f"train_peak_vs_{peer}"] = (row["neuronlab"]["train_peak_mb"]
                                                / max(row[peer]["train_peak_mb"], 1e-9))
        results[config] = row
    return results


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("framework", choices=["neuronlab", "torch", "sklearn"])
    parser.add_argument("config")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args(argv)
    print(json.dumps(child(args.framework, args.config, args.quick, args.tracemalloc)))


if __name__ == "__main__":
    main()
