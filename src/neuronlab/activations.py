"""Activation functions: one class each, in a registry.

Each class holds the forward map ``a = g(z)``, its analytic derivative ``g'(z)``
(computed from the input ``z``, reusing the output ``a`` where that is cheaper),
its hyper-parameters and learnable parameters, its formula, and its declared
properties.  The test-suite checks every registered class against finite
differences, PyTorch and its own declared properties, so adding an activation is
one class in this file.

Kinks follow PyTorch's convention: at a point where ``g`` is not differentiable the
derivative is the value PyTorch's autograd returns (``relu'(0) = 0``,
``leaky_relu'(0) = alpha``, ...); each class lists its kinks in ``kinks``.

Vector-valued activations (softmax, log-softmax) have no elementwise derivative;
they provide the vector-Jacobian product ``backward(z, a, grad)`` instead.

Examples
--------
>>> import numpy as np
>>> g = get("sigmoid")
>>> round(float(g.forward(np.array(0.7))), 3)
0.668
>>> names()[:3]
['identity', 'step', 'sign']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from neuronlab._registry import Registry
from neuronlab.parameter import Parameter

INF = float("inf")


@dataclass(frozen=True)
class Properties:
    """Declared properties of an activation, checked numerically by the tests.

    range:        (inf g, sup g) over the real line; ``±inf`` when unbounded.
    zero_centred: g(0) = 0 and g takes both signs, so outputs can average to zero.
    monotonic:    g is non-decreasing.
    smooth:       g is continuously differentiable everywhere (no kinks).
    saturating:   g'(z) -> 0 as z -> -inf or z -> +inf (gradients vanish there).
    """

    range: tuple[float, float]
    zero_centred: bool
    monotonic: bool
    smooth: bool
    saturating: bool

    @property
    def bounded_below(self) -> bool:
        return self.range[0] > -INF

    @property
    def bounded_above(self) -> bool:
        return self.range[1] < INF


class Activation:
    """Base class of the activation functions.

    Subclasses set the class attributes and implement ``forward`` and ``derivative``
    (or ``backward`` when ``elementwise`` is False).  ``name`` is set by the registry.
    """

    name: ClassVar[str]
    formula: ClassVar[str]
    derivative_formula: ClassVar[str]
    properties: ClassVar[Properties]
    elementwise: ClassVar[bool] = True
    kinks: ClassVar[tuple[float, ...]] = ()

    def forward(self, z: np.ndarray, training: bool = False) -> np.ndarray:
        """a = g(z), same shape and dtype as ``z``."""
        raise NotImplementedError

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """g'(z), given ``z`` and ``a = g(z)`` from the forward pass."""
        raise NotImplementedError

    def backward(self, z: np.ndarray, a: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """The lecture's ``delta = g'(z) * e`` for upstream gradient ``e = grad``.

        Learnable parameters (``parameters()``) get their ``.grad`` set here too.
        """
        return grad * self.derivative(z, a)

    def build(self, n_units: int, dtype: np.dtype) -> None:
        """Create per-unit parameters once the layer width is known (no-op by default)."""

    def parameters(self) -> list[Parameter]:
        """Learnable parameters (empty for most activations)."""
        return []

    def get_config(self) -> dict[str, Any]:
        """Hyper-parameters, such that ``type(self)(**get_config())`` rebuilds ``self``."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


REGISTRY: Registry[Activation] = Registry("activation", Activation)


def get(spec: str | Activation, **params: Any) -> Activation:
    """An activation from its name (with hyper-parameters) or an instance."""
    return REGISTRY.get(spec, **params)


def names() -> list[str]:
    """Names of all registered activations."""
    return REGISTRY.names()


def _const(value: float, like: np.ndarray) -> np.generic:
    """A scalar in ``like``'s dtype, so float32 stays float32."""
    return np.asarray(value, dtype=like.dtype)[()]


@REGISTRY.register("identity", "linear")
class Identity(Activation):
    """Identity: g(z) = z, g'(z) = 1."""

    formula = "g(z) = z"
    derivative_formula = "g'(z) = 1"
    properties = Properties((-INF, INF), zero_centred=True, monotonic=True, smooth=True,
                            saturating=False)

    def forward(self, z: np.ndarray, training: bool = False) -> np.ndarray:
        return z.copy()

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.ones_like(z)

    def backward(self, z: np.ndarray, a: np.ndarray, grad: np.ndarray) -> np.ndarray:
        return grad


@REGISTRY.register("sigmoid", "logistic")
class Sigmoid(Activation):
    """Logistic sigmoid: g(z) = 1 / (1 + e^-z), g'(z) = g(z)(1 - g(z)).

    Evaluated as ``e^z / (1 + e^z)`` for negative z so that ``e^-z`` never overflows.
    Saturates at both ends and is not zero-centred (outputs in (0, 1)).
    """

    formula = "g(z) = 1 / (1 + exp(-z))"
    derivative_formula = "g'(z) = g(z) (1 - g(z))"
    properties = Properties((0.0, 1.0), zero_centred=False, monotonic=True, smooth=True,
                            saturating=True)

    def forward(self, z: np.ndarray, training: bool = False) -> np.ndarray:
        return stable_sigmoid(z)

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return a * (1 - a)


def stable_sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z) without overflow: uses e^-|z| <= 1 on both branches."""
    z = np.asarray(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype, copy=False)


@REGISTRY.register("tanh")
class Tanh(Activation):
    """Hyperbolic tangent: g(z) = tanh z, g'(z) = 1 - g(z)^2. Zero-centred, saturating."""

    formula = "g(z) = (e^z - e^-z) / (e^z + e^-z)"
    derivative_formula = "g'(z) = 1 - g(z)^2"
    properties = Properties((-1.0, 1.0), zero_centred=True, monotonic=True, smooth=True,
                            saturating=True)

    def forward(self, z: np.ndarray, training: bool = False) -> np.ndarray:
        return np.tanh(z)

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return 1 - a * a


@REGISTRY.register("relu")
class ReLU(Activation):
    """Rectified linear unit: g(z) = max(0, z); g'(z) = 1 for z > 0, else 0 (relu'(0) = 0).

    Units whose pre-activation is negative for every input pass no gradient: they die.
    """

    formula = "g(z) = max(0, z)"
    derivative_formula = "g'(z) = 1 if z > 0 else 0"
    properties = Properties((0.0, INF), zero_centred=False, monotonic=True, smooth=False,
                            saturating=True)
    kinks = (0.0,)

    def forward(self, z: np.ndarray, training: bool = False) -> np.ndarray:
        return np.maximum(z, 0)

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return (z > 0).astype(z.dtype)


@REGISTRY.register("softmax")
class Softmax(Activation):
    """Softmax over the last axis: a_i = e^{z_i} / sum_j e^{z_j}.

    Vector-valued: its Jacobian is ``diag(a) - a a^T``, so the backward pass is the
    vector-Jacobian product ``a * (grad - sum(grad * a))``; each row of the result
    sums to zero.  Computed from ``z - max(z)`` so no exponential overflows.
    """

    formula = "g(z)_i = exp(z_i) / sum_j exp(z_j)"
    derivative_formula = "dg_i/dz_j = g_i (1[i = j] - g_j)"
    properties = Properties((0.0, 1.0), zero_centred=False, monotonic=False, smooth=True,
                            saturating=True)
    elementwise = False

    def forward(self, z: np.ndarray, training: bool = False) -> np.ndarray:
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def backward(self, z: np.ndarray, a: np.ndarray, grad: np.ndarray) -> np.ndarray:
        return a * (grad - (grad * a).sum(axis=-1, keepdims=True))
