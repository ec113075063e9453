"""Scaling: neuronlab's time per epoch as width, depth and batch size grow.

Each sweep changes one thing and keeps the rest fixed; beside every point the epoch's
matrix-product floor is timed (interleaved), so the table shows where the overhead
fades.  The fitted exponent k is the least-squares slope of log(time) against
log(x): time ~ x^k.  Expect k -> 2 for width (products of width x width), k -> 1
for depth, and for batch size k between -1 (per-step overhead dominates: fewer,
larger steps are cheaper) and 0 (BLAS-bound: the epoch's work does not depend on the
batch size).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from benchmarks._common import Config, fit_exponent, interleave, make_data, summary
from benchmarks.training import Floor, Neuronlab


def sweeps(quick: bool) -> dict[str, tuple[list[int], Callable[[int], Config]]]:
    """name -> (values, value -> Config)."""
    if quick:
        widths, depths, batches, n = [64, 128], [2, 4], [16, 64], 256
    else:
        widths, depths, batches, n = ([64, 128, 256, 512, 1024, 2048], [2, 4, 8, 16, 32, 64],
                                      [1, 4, 16, 64, 256, 1024], 8192)
    return {
        "width": (widths, lambda w: Config(f"width_{w}", (256, w, w, 10), "relu", 128,
                                           n // 2)),
        "depth": (depths, lambda d: Config(f"depth_{d}", (64, *[128] * d, 10), "relu", 128,
                                           n)),
        "batch": (batches, lambda b: Config(f"batch_{b}", (64, 128, 128, 10), "relu", b,
                                            n // 2)),
    }


def _nl_epoch(nl: Neuronlab, X: Any, y: Any, seed: int, r: int) -> None:
    nl.epoch(X, y, seed + 1 + r)


def _floor_epoch(floor: Floor, r: int) -> None:
    floor.epoch()


def run_scaling(quick: bool, repeats: int, seed: int = 0,
                log: Callable[[str], None] = print) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for sweep, (values, make) in sweeps(quick).items():
        log(f"scaling: {sweep} {values}")
        points = []
        for v in values:
            cfg = make(v)
            X, y = make_data(cfg.n_samples, cfg.sizes[0], seed=seed)
            nl, floor = Neuronlab(cfg, seed), Floor(cfg, seed=seed)
            nl.epoch(X[:1024], y[:1024], seed)  # warm-up
            floor.epoch()
            times = interleave({"neuronlab": functools.partial(_nl_epoch, nl, X, y, seed),
                                "floor": functools.partial(_floor_epoch, floor)}, repeats)
            nl_s, fl_s = summary(times["neuronlab"]), summary(times["floor"])
            points.append({"value": v, "config": cfg.as_dict(), "neuronlab": nl_s,
                           "floor": fl_s, "multiple": nl_s["median"] / fl_s["median"]})
        xs = [p["value"] for p in points]
        results[sweep] = {
            "points": points,
            "exponent": fit_exponent(xs, [p["neuronlab"]["median"] for p in points]),
            "floor_exponent": fit_exponent(xs, [p["floor"]["median"] for p in points]),
            "n_samples": points[0]["config"]["n_samples"],
        }
    return results
