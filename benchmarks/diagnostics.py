"""Diagnostics overhead: one epoch of ``fit`` with ``diagnostics.Monitor`` on vs off.

The Monitor is built with its defaults, which record every epoch (``every=None``: it
accumulates cheap reductions of the caches at each step and closes one row per layer
at each epoch's end).  On and off alternate repeat by repeat on the same model and
data, so the overhead is ``median(on) / median(off) - 1``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from benchmarks._common import LR, Config, interleave, make_data, summary
from benchmarks.training import Neuronlab


def make_monitor() -> Any | None:
    """A Monitor with its defaults (one row per layer per epoch), or None if there is none."""
    from neuronlab import diagnostics

    monitor_cls = getattr(diagnostics, "Monitor", None)
    return None if monitor_cls is None else monitor_cls()


def _fit(nl: Neuronlab, X: Any, y: Any, seed: int, kw: dict[str, Any], which: str,
         r: int) -> None:
    from neuronlab.train import fit

    callbacks = [make_monitor()] if which == "on" else []
    fit(nl.model, X, y, callbacks=callbacks, seed=seed + 1 + r, **kw)


def run_diagnostics(configs: list[Config], repeats: int, seed: int = 0,
                    log: Callable[[str], None] = print) -> dict[str, Any]:
    if make_monitor() is None:
        return {"unavailable": "neuronlab.diagnostics has no Monitor yet"}
    results: dict[str, Any] = {}
    for cfg in configs:
        log(f"diagnostics {cfg.name}: Monitor on vs off")
        X, y = make_data(cfg.n_samples, cfg.sizes[0], seed=seed)
        nl = Neuronlab(cfg, seed)
        kw = {"optimizer": "sgd", "lr": LR, "epochs": 1, "batch_size": cfg.batch_size,
              "shuffle": True, "verbose": False}

        run = functools.partial(_fit, nl, X, y, seed, kw)
        run("on", -1), run("off", -1)  # warm-up
        times = interleave({"off": functools.partial(run, "off"),
                            "on": functools.partial(run, "on")}, repeats)
        off, on = summary(times["off"]), summary(times["on"])
        results[cfg.name] = {"config": cfg.as_dict(), "off": off, "on": on,
                             "overhead": on["median"] / off["median"] - 1,
                             "monitor": repr(make_monitor())}
    return results
