"""Layers: ``forward(x, training)`` and ``backward(grad)`` with the lecture's names.

Rows are samples.  The lecture's column form ``z = W a + b`` becomes, for a batch
``A_prev`` of shape ``(n_samples, fan_in)``,

    Z = A_prev @ W + b          W: (fan_in, fan_out), b: (fan_out,)

and the backward pass, given the upstream gradient ``delta = dJ/dZ``, is

    dW = A_prev^T @ delta       db = 1^T @ delta  (the sum over samples of delta)
    e  = delta @ W^T            (the error sent to the layer below)

An ``Activation`` layer turns the error ``e = dJ/dA`` into ``delta = g'(Z) * e``.
Each layer caches what its backward pass needs (``a_prev``; ``z`` and ``a``), which is
also what the diagnostics read.

Inside ``Sequential.workspace()`` (what ``fit`` uses) a training pass writes those
batch-shaped arrays into buffers each layer keeps from one step to the next
(:meth:`Layer.buffer`), so a step allocates no array of a size known in advance.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, ClassVar

import numpy as np

import neuronlab.init  # in full: the parameters named init would shadow the module
from neuronlab import activations
from neuronlab._registry import Registry
from neuronlab._validate import check_integer, check_real, check_rng
from neuronlab.parameter import Parameter


class Layer:
    """Base class: a differentiable map between batches of shape ``(n_samples, width)``."""

    name: ClassVar[str]
    #: Reused arrays by (role, shape, dtype), or None: set by ``Sequential.workspace()``.
    workspace: dict[tuple[str, tuple[int, ...], np.dtype], np.ndarray] | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """The layer's output for the batch ``x`` (rows are samples), caching what
        :meth:`backward` needs; ``training`` turns on training-only behaviour (dropout,
        random slopes) and, inside a workspace, the reuse of buffers."""
        raise NotImplementedError

    def buffer(self, role: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray | None:
        """This layer's reusable array for ``role`` (``"z"``, ``"delta"`` ...) inside a
        workspace, made on first use; None outside one, for NumPy's ``out=None``
        (allocate a fresh array)."""
        if self.workspace is None:
            return None
        key = (role, shape, dtype)
        found = self.workspace.get(key)
        if found is None:
            found = self.workspace[key] = np.empty(shape, dtype)
        return found

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """Set parameter gradients and return dJ/d(input) (None if not needed)."""
        raise NotImplementedError

    def parameters(self) -> list[Parameter]:
        return []

    @property
    def input_width(self) -> int | None:
        """Width this layer requires of its input (None: any width)."""
        return None

    def output_width(self, input_width: int) -> int:
        return input_width

    def get_config(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


LAYERS: Registry[Layer] = Registry("layer", Layer)


@lru_cache(maxsize=16)
def _ones(n: int, dtype: np.dtype) -> np.ndarray:
    """A read-only vector of n ones: ``db = 1ᵀ delta`` as a matrix-vector product runs
    on BLAS's threads, about 3x faster than NumPy's column sum (and no less accurate)."""
    ones = np.ones(n, dtype)
    ones.flags.writeable = False
    return ones


@LAYERS.register("dense")
class Dense(Layer):
    """Fully connected layer ``z = a_prev @ W + b``.

    Parameters
    ----------
    fan_in, fan_out : int
        Input and output widths; ``W`` has shape ``(fan_in, fan_out)``.
    init : str or Initializer, default "glorot_uniform"
        Weight initializer (see :mod:`neuronlab.init`).
    bias_init : float, default 0.0
        Constant initial bias (the lecture advises a small positive value such as
        0.01 for ReLU units, so fewer of them start dead).
    dtype : default float32
    seed : int or Generator, optional

    Examples
    --------
    >>> layer = Dense(3, 2, seed=0)
    >>> layer.forward(np.ones((5, 3), dtype=np.float32)).shape
    (5, 2)
    """

    def __init__(self, fan_in: int, fan_out: int,
                 init: str | neuronlab.init.Initializer = "glorot_uniform",
                 bias_init: float = 0.0, dtype: Any = np.float32,
                 seed: int | np.random.Generator | None = None) -> None:
        # sizes are checked as integers before anything is allocated: a model file's
        # "fan_out": 5e4 or true is refused here, not turned into an allocation
        self.fan_in = check_integer(fan_in, "Dense fan_in", low=1)
        self.fan_out = check_integer(fan_out, "Dense fan_out", low=1)
        bias_init = check_real(bias_init, "Dense bias_init")
        self.dtype = np.dtype(dtype)
        initializer = neuronlab.init.get(init)
        rng = check_rng(seed, "Dense seed")
        self.W = Parameter(initializer((self.fan_in, self.fan_out), rng, self.dtype), "W",
                           decay=True)
        self.b = Parameter(np.full(self.fan_out, bias_init, dtype=self.dtype), "b")
        self.a_prev: np.ndarray | None = None
        self.delta: np.ndarray | None = None  # dJ/dz of the last backward pass (diagnostics)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self.a_prev = x
        W = self.W.value
        out = self.buffer("z", (len(x), self.fan_out), W.dtype) \
            if training and x.dtype == W.dtype else None
        z = np.matmul(x, W, out=out)
        z += self.b.value
        return z

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        self.delta = delta = grad
        np.matmul(self.a_prev.T, delta, out=self.W.grad)
        np.matmul(_ones(len(delta), delta.dtype), delta, out=self.b.grad)
        if not need_input_grad:
            return None
        W = self.W.value
        out = self.buffer("e", (len(delta), self.fan_in), W.dtype) \
            if delta.dtype == W.dtype else None
        return np.matmul(delta, W.T, out=out)

    def parameters(self) -> list[Parameter]:
        return [self.W, self.b]

    @property
    def input_width(self) -> int:
        return self.fan_in

    def output_width(self, input_width: int) -> int:
        return self.fan_out

    def get_config(self) -> dict[str, Any]:
        return {"fan_in": self.fan_in, "fan_out": self.fan_out, "dtype": self.dtype.name}



@LAYERS.register("activation")
class Activation(Layer):
    """Applies an activation function: ``a = g(z)``; backward ``delta = g'(z) * e``.

    Parameters
    ----------
    activation : str or activations.Activation
        A registered name (``"relu"``, ``"leaky_relu"`` ...) or an instance.
    **params
        Hyper-parameters of the named activation (``alpha=0.1``).

    Examples
    --------
    >>> Activation("leaky_relu", alpha=0.1).forward(np.array([[-1.0, 2.0]]))
    array([[-0.1,  2. ]])
    """

    def __init__(self, activation: str | activations.Activation = "relu", **params: Any) -> None:
        self.fn = activations.get(activation, **params)
        self.z: np.ndarray | None = None
        self.a: np.ndarray | None = None

    def build(self, n_units: int, dtype: np.dtype) -> None:
        self.fn.build(n_units, dtype)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self.z = x
        out = self.buffer("a", x.shape, x.dtype) if training else None
        self.a = self.fn.forward(x, training, out=out)
        return self.a

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        e = grad
        return self.fn.backward(self.z, self.a, e, out=self.buffer("delta", e.shape, e.dtype))

    def parameters(self) -> list[Parameter]:
        return self.fn.parameters()

    def get_config(self) -> dict[str, Any]:
        return {"activation": self.fn.name, **self.fn.get_config()}


@LAYERS.register("prelu")
class PReLU(Activation):
    """Parametric ReLU layer: ``a = z`` for z > 0, ``alpha * z`` otherwise, alpha learned.

    ``shared=True`` learns one slope for the layer, ``False`` one per unit.
    """

    def __init__(self, alpha: float = 0.25, shared: bool = True) -> None:
        super().__init__("prelu", alpha=alpha, shared=shared)

    def get_config(self) -> dict[str, Any]:
        return self.fn.get_config()


@LAYERS.register("maxout")
class Maxout(Layer):
    """Maxout (Goodfellow et al. 2013): each output unit is the max of ``k`` affine pieces.

    ``z = a_prev @ W + b`` with ``W: (fan_in, units * k)``, viewed as ``(n, units, k)``;
    ``a = max_k z``.  The backward pass routes each unit's gradient to its arg-max
    piece only (the first one on ties).

    Examples
    --------
    >>> Maxout(4, 3, k=2, seed=0).forward(np.ones((5, 4), dtype=np.float32)).shape
    (5, 3)
    """

    def __init__(self, fan_in: int, units: int, k: int = 2,
                 init: str | neuronlab.init.Initializer = "glorot_uniform", bias_init: float = 0.0,
                 dtype: Any = np.float32, seed: int | np.random.Generator | None = None) -> None:
        self.units = check_integer(units, "Maxout units", low=1)
        self.k = check_integer(k, "Maxout k (pieces per unit)", low=1)
        self.dense = Dense(fan_in, self.units * self.k, init, bias_init, dtype, seed)
        self.argmax: np.ndarray | None = None

    @property  # type: ignore[override]
    def workspace(self) -> dict | None:
        """Shared with the inner Dense of the pieces (their z and e live in it too)."""
        return self.dense.workspace

    @workspace.setter
    def workspace(self, buffers: dict | None) -> None:
        self.dense.workspace = buffers

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        z = self.dense.forward(x, training).reshape(len(x), self.units, self.k)
        shape = (len(x), self.units)
        out = self.buffer("argmax", shape, np.dtype(np.intp)) if training else None
        self.argmax = np.argmax(z, axis=2, out=out)
        a = self.buffer("a", shape, z.dtype) if training else None
        return np.max(z, axis=2, out=a)  # the arg-max piece's value, NaN included

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        shape = (len(grad), self.units, self.k)
        delta = self.buffer("delta", shape, grad.dtype)
        if delta is None:
            delta = np.zeros(shape, dtype=grad.dtype)
        else:
            delta.fill(0)
        np.put_along_axis(delta, self.argmax[..., None], grad[..., None], axis=2)
        return self.dense.backward(delta.reshape(len(grad), -1), need_input_grad)

    def parameters(self) -> list[Parameter]:
        return self.dense.parameters()

    @property
    def input_width(self) -> int:
        return self.dense.fan_in

    def output_width(self, input_width: int) -> int:
        return self.units

    def get_config(self) -> dict[str, Any]:
        return {"fan_in": self.dense.fan_in, "units": self.units, "k": self.k,
                "dtype": self.dense.dtype.name}


@LAYERS.register("dropout")
class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability ``rate`` and scale
    the survivors by ``1 / (1 - rate)``; the identity at inference.
    """

    def __init__(self, rate: float = 0.5, seed: int | np.random.Generator | None = None) -> None:
        self.rate = check_real(rate, "Dropout rate", 0, 1, high_open=True)
        self.rng = check_rng(seed, "Dropout seed")
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training or self.rate == 0.0:
            self.mask = None
            return x
        draws = self.rng.random(x.shape, out=self.buffer("draws", x.shape, np.dtype(float)))
        mask = self.buffer("mask", x.shape, x.dtype)
        mask = np.greater_equal(draws, self.rate, out=np.empty_like(x) if mask is None else mask)
        mask /= x.dtype.type(1.0 - self.rate)
        self.mask = mask
        return np.multiply(x, mask, out=self.buffer("out", x.shape, x.dtype))

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if self.mask is None:
            return grad
        return np.multiply(grad, self.mask, out=self.buffer("delta", grad.shape, grad.dtype))

    def get_config(self) -> dict[str, Any]:
        return {"rate": self.rate}
