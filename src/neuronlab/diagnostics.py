"""Per-layer statistics of a network, read from the caches of its forward pass."""

from __future__ import annotations

from typing import Any

import numpy as np

from neuronlab.layers import Activation
from neuronlab.network import Sequential


def layer_table(model: Sequential, X: np.ndarray) -> list[dict[str, Any]]:
    """One row per activation layer on data ``X``: output mean and std, the fraction of
    units that output exactly 0 for every sample (dead for ReLU-like units), and the
    incoming weight matrix's std.
    """
    model.forward(X)
    rows, weight_std = [], float("nan")
    for i, layer in enumerate(model.layers):
        params = layer.parameters()
        if params and params[0].value.ndim == 2:
            weight_std = float(params[0].value.std())
        if isinstance(layer, Activation):
            a = layer.a
            rows.append({"layer": i, "activation": layer.fn.name, "width": a.shape[1],
                         "mean": float(a.mean()), "std": float(a.std()),
                         "dead": float(np.mean(np.all(a == 0, axis=0))),
                         "weight_std": weight_std})
    return rows


def print_layer_table(model: Sequential, X: np.ndarray, console: Any = None) -> None:
    """Print ``layer_table`` with rich."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="per-layer summary (test data)")
    for column in ("layer", "activation", "width", "mean", "std", "dead", "weight_std"):
        table.add_column(column, justify="right")
    for row in layer_table(model, X):
        table.add_row(str(row["layer"]), row["activation"], str(row["width"]),
                      f"{row['mean']:.3f}", f"{row['std']:.3f}", f"{row['dead']:.1%}",
                      f"{row['weight_std']:.3f}")
    (console or Console()).print(table)
