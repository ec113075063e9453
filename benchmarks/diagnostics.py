"""Diagnostics overhead: one epoch of ``fit`` with ``diagnostics.Monitor`` on vs off.

The Monitor is built with its defaults, which record every epoch (``every=None``: it
accumulates cheap reductions of the caches at each step and closes one row per layer
at each epoch's end).  On and off alternate repeat by repeat on the same model and
data, so the overhead is ``median(on) / median(off) - 1``.

On a noisy machine two epoch timings differ by more than the Monitor costs, so the
section also measures the same thing per step, with far less noise: the Monitor's
``on_step_end`` averaged over whole sampling cycles (``sample_every`` steps, one of
them sampled) against one training step (forward, loss, backward, SGD update) on the
same batch, each the best of the repeats (``per_step``).  It leaves out the Monitor's
once-per-epoch work (closing the rows, one histogram per layer).
"""

from __future__ import annotations

import functools
import time
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


def _per_call(fn: Callable[[], Any], inner: int) -> float:
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - start) / inner


def _per_step(cfg: Config, X: Any, y: Any, repeats: int, seed: int) -> dict[str, float]:
    """Seconds per step of training and of the Monitor's per-step work (best of repeats)."""
    from neuronlab import losses, optim
    from neuronlab.train import History, Trainer, default_loss, targets

    model = Neuronlab(cfg, seed).model
    loss = losses.get(default_loss(model))
    x = X[:cfg.batch_size]
    Y = targets(model, loss, y[:cfg.batch_size], len(x))
    opt = optim.get("sgd", params=model.parameters(), lr=LR)
    trainer = Trainer(model, loss, opt, History())
    monitor = make_monitor()
    inner = 8 * monitor.sample_every  # whole sampling cycles

    def step() -> None:
        trainer.step(x, Y)
        opt.step()

    with model.workspace():
        step()
        monitor.on_train_begin(trainer)
        monitor.on_epoch_begin(trainer, 0)
        observe = functools.partial(monitor.on_step_end, trainer, 0, 0)
        observe()
        step_s = min(_per_call(step, inner) for _ in range(repeats))
        monitor_s = min(_per_call(observe, inner) for _ in range(repeats))
    return {"step_s": step_s, "monitor_s": monitor_s, "overhead": monitor_s / step_s}


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
                             "per_step": _per_step(cfg, X, y, repeats, seed),
                             "monitor": repr(make_monitor())}
    return results
