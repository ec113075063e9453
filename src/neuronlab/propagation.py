"""Signal propagation measured in real networks at initialization.

The mean-field recursion (:mod:`neuronlab.meanfield`) predicts the second moment of
each layer's pre-activations from one activation's maths alone; this module builds
the networks (Dense layers and activations, :class:`~neuronlab.network.Sequential`)
and measures it, so the prediction can be checked.  It sits above ``network``, while
the maths sits below ``init``, which takes its gain from it.

Examples
--------
>>> q = measure_propagation("relu", depth=3, width=256, samples=64, seed=0)
>>> q.shape, bool(abs(q[0] - 2.0) < 0.2)   # predicted: 2.0 (relu at its gain sqrt 2)
((3,), True)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neuronlab import init, meanfield
from neuronlab._validate import check_integer, check_real, check_seed
from neuronlab.layers import Activation, Dense
from neuronlab.network import Sequential

__all__ = ["measure_propagation"]


def measure_propagation(activation: meanfield.ActivationLike, depth: int, width: int,
                        sigma_w: float | None = None, sigma_b: float = 0.0,
                        q0: float = 1.0, samples: int = 256, seed: int = 0,
                        dtype: Any = np.float32) -> np.ndarray:
    """Measured second moments mean(z^2) of each layer's pre-activations at
    initialization, the counterpart of :func:`neuronlab.meanfield.propagate`.

    A network of ``depth`` Dense layers of ``width`` units, each followed by the
    activation, with ``W ~ N(0, sigma_w^2 / fan_in)`` (``sigma_w`` defaults to the gain)
    and ``b ~ N(0, sigma_b^2)``, runs once on ``samples`` inputs ``x ~ N(0, q0)`` of
    ``width`` features; the mean of z^2 over samples and units is taken at every layer.
    """
    act = meanfield._activation(activation)
    depth, width = check_integer(depth, "depth", low=1), check_integer(width, "width", low=1)
    samples = check_integer(samples, "samples", low=1)
    sigma_w = meanfield.gain(act) if sigma_w is None else check_real(sigma_w, "sigma_w", 0)
    sigma_b = check_real(sigma_b, "sigma_b", 0)
    q0 = check_real(q0, "q0", 0)
    rng = np.random.default_rng(check_seed(seed))
    weights = init.VarianceScaling(max(sigma_w, 1e-300) ** 2, "fan_in", "normal")
    layers = []
    for _ in range(int(depth)):
        dense = Dense(width, width, weights, 0.0, dtype, rng)
        if sigma_b:
            dense.b.value[...] = rng.normal(0.0, sigma_b, width)
        if sigma_w == 0:
            dense.W.value[...] = 0
        layers += [dense, Activation(type(act)(**act.get_config()))]
    net = Sequential(layers, dtype)
    for layer in layers[1::2]:
        layer.build(width, np.dtype(dtype))
    x = rng.normal(0.0, math.sqrt(q0), (int(samples), int(width)))
    with np.errstate(over="ignore", invalid="ignore"):  # exploding scales overflow
        net.forward(x)
        return np.array([np.mean(np.square(layer.z, dtype=np.float64))
                         for layer in layers[1::2]])
