"""One training run, as the studies need it: build, fit, evaluate, report plain data."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from neuronlab import data
from neuronlab.network import MLP, Sequential
from neuronlab.train import Callback, accuracy, fit


@functools.lru_cache(maxsize=8)
def dataset(name: str, seed: int = 0) -> data.Dataset:
    """A dataset, loaded once per process (the studies use a fixed split)."""
    return data.load(name, seed=seed)


class AtStart(Callback):
    """Call ``fn(model)`` once, before the first training step (statistics at
    initialization, from the very model ``fit`` is about to train)."""

    def __init__(self, fn: Callable[[Sequential], None]) -> None:
        self.fn = fn

    def on_train_begin(self, trainer: Any) -> None:
        self.fn(trainer.model)


def accuracy_on_test(model: Sequential, d: data.Dataset) -> float:
    return accuracy(model.predict(d.X_test), np.eye(d.n_classes)[d.y_test])


def train(dataset_name: str, hidden: list[int], activation: str, init: str, *,
          optimizer: str, lr: float, epochs: int, batch_size: int, seed: int,
          bias_init: float = 0.0, callbacks: tuple[Callback, ...] = (),
          **optimizer_params: Any) -> tuple[Sequential, dict[str, Any]]:
    """Train an MLP on a bundled dataset, validating on its test split every epoch.

    Returns the model and ``{"epochs": [{"epoch", "loss", "accuracy", "test_loss",
    "test_accuracy"}], "test_accuracy", "stop_reason", "time_s"}``.  A run that
    diverges stops with its last finite weights (``fit``'s guard) instead of raising.
    """
    d = dataset(dataset_name)
    weight_seed, fit_seed = (int(s.generate_state(1)[0])
                             for s in np.random.SeedSequence(seed).spawn(2))
    model = MLP([d.n_features, *hidden, d.n_classes], activation=activation,
                output="softmax", init=init, bias_init=bias_init, seed=weight_seed)
    start = time.perf_counter()
    # large learning rates may overflow on purpose: let fit's divergence guard see it
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        history = fit(model, d.X_train, d.y_train, optimizer=optimizer, lr=lr,
                      epochs=epochs, batch_size=batch_size, seed=fit_seed,
                      validation_data=(d.X_test, d.y_test), callbacks=callbacks,
                      verbose=False, **optimizer_params)
    seconds = time.perf_counter() - start
    epochs_rows = [{"epoch": row["epoch"] + 1, "loss": row["loss"],
                    "accuracy": row.get("accuracy"), "test_loss": row.get("val_loss"),
                    "test_accuracy": row.get("val_accuracy")} for row in history.epochs]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        final = accuracy_on_test(model, d)
    return model, {"epochs": epochs_rows, "test_accuracy": final,
                   "stop_reason": history.stop_reason, "time_s": seconds}
