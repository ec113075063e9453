"""Weight initializers and the gain of an activation.

Shapes follow the layers: a weight matrix has shape ``(fan_in, fan_out)``.
Every initializer is called as ``initializer(shape, rng, dtype)`` and draws from the
``numpy.random.Generator`` it is given, so the same seed gives the same weights.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neuronlab._registry import Registry


class Initializer:
    """Base class: ``__call__(shape, rng, dtype) -> array``."""

    name: str

    def __call__(self, shape: tuple[int, ...], rng: np.random.Generator,
                 dtype: Any = np.float32) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


REGISTRY: Registry[Initializer] = Registry("initializer", Initializer)


def get(spec: str | Initializer, **params: Any) -> Initializer:
    """An initializer from its name (with hyper-parameters) or an instance."""
    return REGISTRY.get(spec, **params)


def names() -> list[str]:
    """Names of all registered initializers."""
    return REGISTRY.names()


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape ``(fan_in, fan_out)``."""
    if len(shape) != 2:
        raise ValueError(f"weight shape must be (fan_in, fan_out), got {shape}")
    return int(shape[0]), int(shape[1])


@REGISTRY.register("zeros")
class Zeros(Initializer):
    """All weights 0 (every unit then computes the same thing: symmetry is never broken)."""

    def __call__(self, shape, rng, dtype=np.float32):
        return np.zeros(shape, dtype=dtype)


class VarianceScaling(Initializer):
    """Zero-mean weights with variance ``scale / n`` where n is fan_in, fan_out or their mean.

    ``distribution="uniform"`` draws U(-l, l) with l = sqrt(3 scale / n);
    ``"normal"`` draws N(0, scale / n).
    """

    def __init__(self, scale: float, mode: str, distribution: str) -> None:
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def __call__(self, shape, rng, dtype=np.float32):
        fan_in, fan_out = fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / n
        if self.distribution == "uniform":
            limit = np.sqrt(3 * variance)
            return rng.uniform(-limit, limit, shape).astype(dtype)
        return rng.normal(0.0, np.sqrt(variance), shape).astype(dtype)


@REGISTRY.register("glorot_uniform", "xavier_uniform")
class GlorotUniform(VarianceScaling):
    """Glorot & Bengio (2010): U(-l, l), l = sqrt(6 / (fan_in + fan_out))."""

    def __init__(self) -> None:
        super().__init__(1.0, "fan_avg", "uniform")


@REGISTRY.register("he_normal", "kaiming_normal")
class HeNormal(VarianceScaling):
    """He et al. (2015): N(0, 2 / fan) with fan = fan_in (default) or fan_out."""

    def __init__(self, mode: str = "fan_in") -> None:
        super().__init__(2.0, mode, "normal")

    def get_config(self) -> dict[str, Any]:
        return {"mode": self.mode}
