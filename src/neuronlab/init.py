"""Weight initializers and the gain of an activation.

Shapes follow the layers: a weight matrix has shape ``(fan_in, fan_out)`` (rows are
samples, so ``Z = A_prev @ W + b``).  Every initializer is called as
``initializer(shape, rng, dtype)`` and draws from the ``numpy.random.Generator`` it is
given, so the same seed gives the same weights; values are drawn in float64 and then
cast, so a float32 draw is the float64 draw rounded.

Variance scaling
----------------
Glorot, He and LeCun are presets of one rule, :class:`VarianceScaling`: zero-mean
weights with ``Var(W) = scale / n``, n = fan_in, fan_out or fan_avg = (fan_in + fan_out) / 2.

==================  =====  =======  ===========================  =====================
preset              scale  n        variance                     paper
==================  =====  =======  ===========================  =====================
glorot_* (xavier)   1      fan_avg  2 / (fan_in + fan_out)       Glorot & Bengio 2010
he_* (kaiming)      2      fan_in   2 / fan_in (or 2 / fan_out)  He et al. 2015
lecun_*             1      fan_in   1 / fan_in                   LeCun et al. 1998
legacy_uniform      1/3    fan_in   1 / (3 fan_in)               the lecture's default
==================  =====  =======  ===========================  =====================

``*_uniform`` draws U(-l, l) with l = sqrt(3 variance); ``*_normal`` draws N(0, variance)
(as PyTorch's ``xavier_normal_``/``kaiming_normal_``; Keras' presets use
``distribution="truncated_normal"`` instead, available through ``variance_scaling``).
These are the *published* variances.  In particular Glorot's normal rule has variance
1 / fan_avg, i.e. ``std = sqrt(2 / (fan_in + fan_out))``; one lecture note writes the
standard deviation itself as 1 / fan_avg, which is not the published rule.
``legacy_uniform`` is the lecture's old default U(-1/sqrt(fan_in), 1/sqrt(fan_in))
(also PyTorch's default for ``nn.Linear``).

Biases
------
Biases are not drawn: layers take a constant ``bias_init`` (default 0; the lecture
advises a small positive value such as 0.01 for ReLU units, so that they start in
their active region).

The gain of an activation
-------------------------
:func:`gain` returns the weight scale that preserves the second moment of the
pre-activations through a layer with activation g: with ``Var(W) = gain^2 / fan_in``
and z ~ N(0, 1), the next pre-activation again has second moment 1, that is

    gain^2 E[g(z)^2] = 1,    gain = 1 / sqrt(E[g(z)^2]),

the fixed point q* = 1 of the mean-field variance map (Poole et al. 2016).
``VarianceScaling(gain(g) ** 2, "fan_in", "normal")`` is then the variance-preserving
initializer for g (for relu it is ``he_normal``); ``MLP(init="auto")`` uses it for
every layer.  It works for any elementwise activation, formulas included; the
comparison with PyTorch's fixed ``calculate_gain`` table (sigmoid, tanh's 5/3,
SELU's 3/4) is in :mod:`neuronlab.meanfield`.  The function is defined there, beside
the mean-field maps it is the fixed point of (which sit below this module), and is
part of this module's API (``init.gain``, as PyTorch keeps ``calculate_gain`` in
``torch.nn.init``): it is imported here and listed in ``__all__``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from neuronlab._registry import Registry
from neuronlab._validate import check_choice, check_real, check_shape
from neuronlab.meanfield import gain

__all__ = [
    "REGISTRY", "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform",
    "Initializer", "LecunNormal", "LecunUniform", "LegacyUniform", "Normal", "Ones",
    "Orthogonal", "TruncatedNormal", "Uniform", "VarianceScaling", "Zeros", "fans", "gain",
    "get", "names",
]

MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("uniform", "normal", "truncated_normal")
#: Standard deviation of N(0, 1) truncated to [-2, 2]: sqrt(1 - 4 phi(2) / erf(sqrt 2)).
TRUNCATED_STD = 0.87962566103423978


class Initializer:
    """Base class: ``__call__(shape, rng, dtype) -> array`` of that shape and dtype."""

    name: str

    def __call__(self, shape: tuple[int, ...], rng: np.random.Generator,
                 dtype: Any = np.float32) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """Hyper-parameters, such that ``type(self)(**get_config())`` rebuilds ``self``."""
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


# ----------------------------------------------------------------------------- validation


def _check_call(shape: Any, rng: Any, dtype: Any) -> tuple[tuple[int, ...], np.dtype]:
    """The arguments every initializer is called with: a shape, a Generator, a float dtype."""
    shape = check_shape(shape)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (e.g. "
                        f"numpy.random.default_rng(seed)), got {type(rng).__name__}")
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a floating-point type (float32, float64), got {dtype}")
    return shape, dtype


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape ``(fan_in, fan_out)``."""
    shape = check_shape(shape)
    if len(shape) != 2:
        raise ValueError(f"weight shape must be (fan_in, fan_out), got {shape}")
    if min(shape) < 1:
        raise ValueError(f"fan_in and fan_out must be positive, got shape {shape}")
    return shape[0], shape[1]


def _truncated_standard_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """N(0, 1) restricted to [-2, 2]: values outside are re-drawn until none is left."""
    x = rng.standard_normal(shape)
    flat = x.reshape(-1)
    idx = np.flatnonzero(np.abs(flat) > 2)
    while idx.size:
        flat[idx] = rng.standard_normal(idx.size)
        idx = idx[np.abs(flat[idx]) > 2]
    return x


# ----------------------------------------------------------------------------- constants


@REGISTRY.register("zeros")
class Zeros(Initializer):
    """All weights 0 (every unit then computes the same thing: symmetry is never broken)."""

    def __call__(self, shape: tuple[int, ...], rng: np.random.Generator,
                 dtype: Any = np.float32) -> np.ndarray:
        shape, dtype = _check_call(shape, rng, dtype)
        return np.zeros(shape, dtype=dtype)


@REGISTRY.register("ones")
class Ones(Initializer):
    """All weights 1 (symmetric like ``zeros``; for tests and hand-worked examples)."""

    def __call__(self, shape: tuple[int, ...], rng: np.random.Generator,
                 dtype: Any = np.float32) -> np.ndarray:
        shape, dtype = _check_call(shape, rng, dtype)
        return np.ones(shape, dtype=dtype)


@REGISTRY.register("constant")
class Constant(Initializer):
    """All weights equal to ``value`` (default 0)."""

    def __init__(self, value: float = 0.0) -> None:
        self.value = check_real(value, "constant value")

    def __call__(self, shape: tuple[int, ...], rng: np.random.Generator,
                 dtype: Any = np.float32) -> np.ndarray:
        shape, dtype = _check_call(shape, rng, dtype)
        return np.full(shape, self.value, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


# ----------------------------------------------------------------------------- fixed scale


@REGISTRY.register("uniform", "random_uniform")
class Uniform(Initializer):
    """U(low, high), by default U(-0.05, 0.05) (Keras' ``RandomUniform``)."""

    def __init__(self, low: float = -0.05, high: float = 0.05) -> None:
        self.low = check_real(low, "uniform low")
        self.high = check_real(high, "uniform high")
        if not self.low < self.high:
            raise ValueError(f"uniform needs low < high, got low={low!r}, high={high!r}")

    def __call__(self, shape: tuple[int, ...], rng: np.random.Generator,
                 dtype: Any = np.float32) -> np.ndarray:
        shape, dtype = _check_call(shape, rng, dtype)
        return rng.uniform(self.low, self.high, shape).astype(dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high}


@REGISTRY.register("normal", "random_normal")
class Normal(Initializer):
    """N(mean, std^2), by default N(0, 0.05^2) (Keras' ``RandomNormal``)."""

    def __init__(self, mean: float = 0.0, std: float = 0.05) -> None:
        self.mean = check_real(mean, f"{self.name} mean")
        self.std = check_real(std, f"{self.name} std", 0, low_open=True)

    def __call__(self, shape: tuple[int, ...], rng: np.random.Generator,
                 dtype: Any = np.float32) -> np.ndarray:
        shape, dtype = _check_call(shape, rng, dtype)
        return (self.mean + self.std * rng.standard_normal(shape)).astype(dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "std": self.std}


@REGISTRY.register("truncated_normal")
class TruncatedNormal(Normal):
    """N(mean, std^2) truncated to [mean - 2 std, mean + 2 std] by re-drawing outliers.

    ``std`` is that of the normal *before* truncation (as in Keras and PyTorch); the
    drawn values have standard deviation ``0.87962566 std``.
    """

    def __call__(self, shape: tuple[int, ...], rng: np.random.Generator,
                 dtype: Any = np.float32) -> np.ndarray:
        shape, dtype = _check_call(shape, rng, dtype)
        x = _truncated_standard_normal(rng, shape)
        return (self.mean + self.std * x).astype(dtype, copy=False)


# ----------------------------------------------------------------------------- variance scaling


@REGISTRY.register("variance_scaling")
class VarianceScaling(Initializer):
    """Zero-mean weights with variance ``scale / n``, n = fan_in, fan_out or fan_avg.

    Parameters
    ----------
    scale : float, default 1.0
        Positive; 1 for Glorot and LeCun, 2 for He, ``gain(g) ** 2`` in general.
    mode : {"fan_in", "fan_out", "fan_avg"}, default "fan_in"
        n = fan_in, fan_out or (fan_in + fan_out) / 2.
    distribution : {"uniform", "normal", "truncated_normal"}, default "truncated_normal"
        ``"uniform"``: U(-l, l) with l = sqrt(3 scale / n).
        ``"normal"``: N(0, scale / n).
        ``"truncated_normal"``: N(0, s^2) truncated at 2 s, with
        s = sqrt(scale / n) / 0.87962566103423978 so that the *truncated* values have
        variance scale / n (Keras' correction).

    Examples
    --------
    >>> w = VarianceScaling(2.0, "fan_in", "normal")((400, 300), np.random.default_rng(0))
    >>> round(float(w.var() * 400), 1)
    2.0
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal") -> None:
        owner = getattr(self, "name", "variance_scaling")
        self.scale = check_real(scale, f"{owner} scale", 0, low_open=True)
        self.mode = check_choice(mode, f"{owner} mode", MODES)
        self.distribution = check_choice(distribution, f"{owner} distribution", DISTRIBUTIONS)

    def __call__(self, shape: tuple[int, ...], rng: np.random.Generator,
                 dtype: Any = np.float32) -> np.ndarray:
        shape, dtype = _check_call(shape, rng, dtype)
        fan_in, fan_out = fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        std = math.sqrt(self.scale / n)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0) * std
            w = rng.uniform(-limit, limit, shape)
        elif self.distribution == "normal":
            w = std * rng.standard_normal(shape)
        else:
            w = (std / TRUNCATED_STD) * _truncated_standard_normal(rng, shape)
        return w.astype(dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution}


@REGISTRY.register("glorot_uniform", "xavier_uniform")
class GlorotUniform(VarianceScaling):
    """Glorot & Bengio (2010): U(-l, l), l = sqrt(6 / (fan_in + fan_out)).

    Variance 2 / (fan_in + fan_out) = 1 / fan_avg.
    """

    def __init__(self) -> None:
        super().__init__(1.0, "fan_avg", "uniform")

    def get_config(self) -> dict[str, Any]:
        return {}


@REGISTRY.register("glorot_normal", "xavier_normal")
class GlorotNormal(VarianceScaling):
    """Glorot & Bengio (2010), normal form: N(0, 2 / (fan_in + fan_out)).

    The published rule sets the *variance* to 1 / fan_avg, so the standard deviation
    is sqrt(2 / (fan_in + fan_out)) (not 1 / fan_avg, as one lecture note writes).
    """

    def __init__(self) -> None:
        super().__init__(1.0, "fan_avg", "normal")

    def get_config(self) -> dict[str, Any]:
        return {}


@REGISTRY.register("he_uniform", "kaiming_uniform")
class HeUniform(VarianceScaling):
    """He et al. (2015): U(-l, l), l = sqrt(6 / fan); variance 2 / fan.

    ``mode`` picks fan = fan_in (default: preserves the forward pass) or fan_out
    (preserves the backward pass).
    """

    def __init__(self, mode: str = "fan_in") -> None:
        super().__init__(2.0, check_choice(mode, f"{self.name} mode", MODES[:2]), "uniform")

    def get_config(self) -> dict[str, Any]:
        return {"mode": self.mode}


@REGISTRY.register("he_normal", "kaiming_normal")
class HeNormal(VarianceScaling):
    """He et al. (2015): N(0, 2 / fan).

    ``mode`` picks fan = fan_in (default: preserves the forward pass) or fan_out
    (preserves the backward pass).
    """

    def __init__(self, mode: str = "fan_in") -> None:
        super().__init__(2.0, check_choice(mode, f"{self.name} mode", MODES[:2]), "normal")

    def get_config(self) -> dict[str, Any]:
        return {"mode": self.mode}


@REGISTRY.register("lecun_uniform")
class LecunUniform(VarianceScaling):
    """LeCun et al. (1998): U(-l, l), l = sqrt(3 / fan_in); variance 1 / fan_in."""

    def __init__(self) -> None:
        super().__init__(1.0, "fan_in", "uniform")

    def get_config(self) -> dict[str, Any]:
        return {}


@REGISTRY.register("lecun_normal")
class LecunNormal(VarianceScaling):
    """LeCun et al. (1998): N(0, 1 / fan_in); with SELU, the self-normalising init."""

    def __init__(self) -> None:
        super().__init__(1.0, "fan_in", "normal")

    def get_config(self) -> dict[str, Any]:
        return {}


@REGISTRY.register("legacy_uniform")
class LegacyUniform(VarianceScaling):
    """The lecture's old default U(-1/sqrt(fan_in), 1/sqrt(fan_in)); variance 1 / (3 fan_in).

    Also PyTorch's default for ``nn.Linear`` weights.  A third of LeCun's variance, so
    signals shrink layer by layer in deep networks.
    """

    def __init__(self) -> None:
        super().__init__(1.0 / 3.0, "fan_in", "uniform")

    def get_config(self) -> dict[str, Any]:
        return {}


# ----------------------------------------------------------------------------- orthogonal


@REGISTRY.register("orthogonal")
class Orthogonal(Initializer):
    """A random orthogonal matrix times ``gain`` (Saxe et al. 2014).

    Q from the QR decomposition of a Gaussian matrix, with the signs of R's diagonal
    moved into Q so that Q is uniformly (Haar) distributed.  For fan_in >= fan_out the
    columns are orthonormal (W^T W = gain^2 I), otherwise the rows (W W^T = gain^2 I).
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = check_real(gain, "orthogonal gain", 0, low_open=True)

    def __call__(self, shape: tuple[int, ...], rng: np.random.Generator,
                 dtype: Any = np.float32) -> np.ndarray:
        shape, dtype = _check_call(shape, rng, dtype)
        rows, cols = fans(shape)
        a = rng.standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        d = np.sign(np.diag(r))
        d[d == 0] = 1.0
        q *= d
        if rows < cols:
            q = q.T
        return (self.gain * q).astype(dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}

