"""Allocations per training step in steady state.

Two passes of ``fit`` over the same data, each with a probe callback whose
``on_step_end`` marks the step boundary (after backward, before the update):

1. tracemalloc (which sees NumPy's array buffers): for every step, the high-water
   mark of traced memory above the level at the previous boundary (``transient``:
   memory that was allocated and freed, or replaced, within the step) and the net
   change (``growth``: should be 0 in steady state).  ``cached_bytes`` is the size
   of every batch-shaped array the layers keep (inputs, z, a, delta): what a step
   would allocate if it reused nothing.
2. buffer identity: the probe keeps a reference to every array a layer or parameter
   holds and checks at the next step with ``np.shares_memory`` whether the new one is
   the same buffer.  Holding the reference means a new array cannot land in the freed
   block, so "fresh" is never a false alarm.  Arrays made anew each step, of a size
   known before training, are what the issue asks to remove.

A third, plain pass counts the minor page faults per step (``getrusage``): fresh
memory the kernel has to map, which is what makes large per-step allocations slow.

The first ``SKIP`` steps (buffers and optimizer state being created) and partial last
batches are left out.
"""

from __future__ import annotations

import resource
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._common import LR, Config, make_data

SKIP = 3


def _arrays(model: Any) -> dict[str, np.ndarray]:
    """Every array a layer holds (caches, parameters, gradients), by a readable name."""
    out: dict[str, np.ndarray] = {}
    for i, layer in enumerate(model.layers):
        kind = type(layer).__name__
        for attr, value in vars(layer).items():
            if isinstance(value, np.ndarray):
                out[f"layers[{i}].{attr} ({kind})"] = value
        for p in layer.parameters():
            out[f"layers[{i}].{p.name}.grad ({kind})"] = p.grad
    return out


def _probe_classes():
    from neuronlab.train import Callback

    class Tracemalloc(Callback):
        def __init__(self, batch_size: int) -> None:
            self.batch_size = batch_size
            self.transient: list[int] = []
            self.growth: list[int] = []
            self.cached: int = 0
            self.prev: int | None = None

        def on_step_end(self, trainer, epoch, batch):
            cur, peak = tracemalloc.get_traced_memory()
            full = len(trainer.model.layers[0].a_prev) == self.batch_size
            if self.prev is not None and batch >= SKIP and full:
                self.transient.append(peak - self.prev)
                self.growth.append(cur - self.prev)
                seen: dict[int, int] = {}
                for arr in _arrays(trainer.model).values():
                    if arr.ndim == 2 and len(arr) == self.batch_size:
                        seen[arr.__array_interface__["data"][0]] = arr.nbytes
                self.cached = sum(seen.values())
            tracemalloc.reset_peak()
            self.prev = tracemalloc.get_traced_memory()[0]

    class Reuse(Callback):
        def __init__(self, batch_size: int) -> None:
            self.batch_size = batch_size
            self.prev: dict[str, np.ndarray] | None = None
            self.fresh: dict[str, int] = {}
            self.info: dict[str, dict[str, Any]] = {}
            self.steps = 0
            self.per_step: list[tuple[int, int]] = []  # (fresh buffers, their bytes)

        def on_step_end(self, trainer, epoch, batch):
            arrays = _arrays(trainer.model)
            full = len(trainer.model.layers[0].a_prev) == self.batch_size
            if self.prev is not None and batch >= SKIP and full:
                self.steps += 1
                buffers: dict[int, int] = {}  # aliases (a Dense's z is the next layer's
                for name, arr in arrays.items():  # input) count once
                    old = self.prev.get(name)
                    if old is None or not np.shares_memory(old, arr):
                        self.fresh[name] = self.fresh.get(name, 0) + 1
                        buffers[arr.__array_interface__["data"][0]] = arr.nbytes
                    self.info[name] = {"shape": list(arr.shape), "dtype": str(arr.dtype),
                                       "bytes": int(arr.nbytes)}
                self.per_step.append((len(buffers), sum(buffers.values())))
            self.prev = {k: v for k, v in arrays.items()} if full else None

    return Tracemalloc, Reuse


def run_allocations(configs: list[Config], max_samples: int, seed: int = 0,
                    log: Callable[[str], None] = print) -> dict[str, Any]:
    from neuronlab.train import fit

    Tracemalloc, Reuse = _probe_classes()
    results: dict[str, Any] = {}
    for cfg in configs:
        n = min(cfg.n_samples, max_samples)
        log(f"allocations: {cfg.name} ({n} samples)")
        X, y = make_data(n, cfg.sizes[0], seed=seed)
        from benchmarks.training import Neuronlab

        nl = Neuronlab(cfg, seed)
        kw = {"optimizer": "sgd", "lr": LR, "epochs": 1, "batch_size": cfg.batch_size,
              "shuffle": True, "seed": seed, "verbose": False}
        probe_t = Tracemalloc(cfg.batch_size)
        tracemalloc.start()
        try:
            fit(nl.model, X, y, callbacks=[probe_t], **kw)
        finally:
            tracemalloc.stop()
        probe_r = Reuse(cfg.batch_size)
        fit(nl.model, X, y, callbacks=[probe_r], **kw)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        fit(nl.model, X, y, **kw)
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

        fresh = [{"array": name, **probe_r.info[name],
                  "fresh_fraction": count / probe_r.steps}
                 for name, count in probe_r.fresh.items() if probe_r.steps]
        fresh.sort(key=lambda row: -row["bytes"])
        float64 = sorted({name for name, info in probe_r.info.items()
                          if info["dtype"] == "float64"})
        transient = probe_t.transient or [0]
        results[cfg.name] = {
            "config": cfg.as_dict(), "n_samples_used": n,
            "steps_measured": len(probe_t.transient),
            "transient_bytes_per_step": int(np.median(transient)),
            "growth_bytes_per_step": int(np.median(probe_t.growth or [0])),
            "page_faults_per_step": faults / -(-n // cfg.batch_size),
            "cached_bytes": probe_t.cached,
            "fresh_arrays_per_step": int(np.median([c for c, _ in probe_r.per_step] or [0])),
            "fresh_bytes_per_step": int(np.median([b for _, b in probe_r.per_step] or [0])),
            "fresh": fresh, "float64_arrays": float64,
        }
    return results
