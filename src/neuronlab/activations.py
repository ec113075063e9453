"""Activation functions: one class each, in a registry.

Each class holds the forward map ``a = g(z)``, its analytic derivative ``g'(z)``
(computed from the input ``z``, reusing the output ``a`` where that is cheaper),
its hyper-parameters and learnable parameters, its formula, and its declared
properties.  The test-suite checks every registered class against finite
differences, PyTorch and its own declared properties, so adding an activation is
one class in this file.  Each class writes each computation once, in NumPy's ``out=``
form (see :class:`ActivationFunction`): ``forward(z)`` runs it on a fresh
``np.empty_like(z)``, the training loop's ``forward(z, out=buffer)`` on its reused
buffer.

Kinks follow PyTorch's convention: at a point where ``g`` is not differentiable the
derivative is the value PyTorch's autograd returns (``relu'(0) = 0``,
``leaky_relu'(0) = alpha``, ...); each class lists its kinks in ``kinks``.

Vector-valued activations (softmax, log-softmax) have no elementwise derivative;
they provide the vector-Jacobian product ``backward(z, a, grad)`` instead.

Numbers
-------
Every function keeps the dtype of its input (float32 stays float32, constants
included) and is stable by construction: no overflow, invalid or divide-by-zero
warnings and no NaN for any finite input, up to ``±finfo.max``, in the forward pass,
the derivative and the backward pass.  At ``±inf`` each gives its limit (``swish(-inf)
= -0``, ``softsign(inf) = 1``, ``gelu'(inf) = 1``; softmax of a row holding one +inf
is 1 there and 0 elsewhere), also where PyTorch gives NaN; a softmax row holding
several +inf, or only -inf, has no limit and gives NaN, as in PyTorch.  A NaN input
gives NaN at that position (for softmax, in that row).  The only other infinities are
true overflows of the result itself (``selu(finfo.max)`` is larger than
``finfo.max``), returned as ``inf`` as IEEE arithmetic does.  float16 input is
computed in float32 and rounded back; input that is not floating point is converted
to float64.

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

import inspect
import math
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from neuronlab._registry import Registry
from neuronlab._special import normal_cdf
from neuronlab._validate import check_bool, check_choice, check_real
from neuronlab.parameter import Parameter

INF = float("inf")

#: SELU's constants, as published (Klambauer et al. 2017) and used by PyTorch.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

# Minima of the non-monotonic smooth activations (computed to 40 digits with mpmath);
# they are the lower ends of the declared ranges.
_GELU_MIN = -0.16997120747990366169        # at z = -0.75179152469356445746
_GELU_TANH_MIN = -0.17004075057125405064   # at z = -0.75246142207101625849
_SWISH_MIN = -0.27846454276107379511       # -W(1/e) (Lambert W), at z = -1.27846454276...
_MISH_MIN = -0.30884341301725040663        # at z = -1.19243121451549521214


@dataclass(frozen=True)
class Properties:
    """Declared properties of an activation, checked numerically by the tests.

    For an elementwise activation ``g: R -> R``:

    range
        ``(inf g, sup g)`` over the real line (attained or not), ``±inf`` when
        unbounded.  Every output lies in ``[range[0], range[1]]``.
    zero_centred
        ``g(0) = 0`` and ``g`` takes both strictly positive and strictly negative
        values, so a layer's outputs can average to zero.
    monotonic
        ``g`` is non-decreasing: ``z1 <= z2`` implies ``g(z1) <= g(z2)``.
    smooth
        ``g`` is continuously differentiable on the whole line: neither ``g`` nor
        ``g'`` jumps anywhere.  ``smooth`` is False exactly when some declared kink is
        a jump of ``g`` or ``g'``.  (Softplus switches to the identity above its
        threshold, a jump of about ``e^-threshold``; it counts as smooth when that is
        below float32 resolution, as for the default threshold 20.)
    saturating
        ``g'(z) -> 0`` as ``z -> -inf`` or as ``z -> +inf`` (at least one end): there
        the gradient vanishes.

    For a vector-valued activation (softmax, log-softmax) each property is that of
    the map from one input ``z_i`` to its own output ``a_i`` with the other inputs
    held fixed (for softmax that map is a shifted sigmoid, for log-softmax a shifted
    log-sigmoid).

    Properties describe the activation with the hyper-parameters it was built with
    (an instance may override its class's ``properties``), in inference mode, and,
    for learnable parameters, at their initial values.
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


class ActivationFunction:
    """Base class of the activation functions (``g`` itself; the layer that applies
    one is :class:`neuronlab.layers.Activation`).

    The public methods ``forward``, ``derivative`` and ``backward`` accept any array
    (or scalar) and keep its shape.  A subclass writes each kernel once, in NumPy's
    ``out=`` form: it computes into the buffer ``out`` it is given (z's shape and
    dtype) and returns ``out``:

    ``_forward(z, training, out)``
        ``a = g(z)``.
    ``_derivative(z, a, out)``
        ``g'(z)``, from the input ``z``, with the output ``a = g(z)`` at hand where
        that is cheaper (sigmoid: ``a (1 - a)``).
    ``_backward(z, a, grad, out)``
        ``delta = g'(z) * grad``; the default writes ``_derivative`` into ``out`` and
        multiplies by ``grad`` in place.  Vector-valued activations (``elementwise =
        False``) write their vector-Jacobian product here instead of a derivative, and
        activations with learnable parameters set the parameters' ``.grad`` here too.

    The kernels always receive floating-point arrays (float32 or float64) with at
    least one dimension, and an ``out`` that overlaps none of their inputs; they may
    use temporaries.  The allocating calls (``forward(z)``) pass ``np.empty_like(z)``
    as ``out``; the training loop passes its reused buffers (``forward(z, out=a)``), so
    both run the same kernel.  ``name`` is set by the registry.

    Class attributes: ``formula`` and ``derivative_formula`` (text), ``properties``
    (:class:`Properties`), ``kinks`` (the points where ``g`` or ``g'`` is not
    continuous; the derivative there follows PyTorch) and ``elementwise``.  The class
    values are those of the default hyper-parameters; an instance whose
    hyper-parameters change them sets its own ``properties`` and ``kinks``.

    Examples
    --------
    A new activation is one subclass (register it with ``@REGISTRY.register("cube")``
    to make it available by name):

    >>> class Cube(ActivationFunction):
    ...     formula, derivative_formula = "g(z) = z^3", "g'(z) = 3 z^2"
    ...     properties = Properties((-INF, INF), zero_centred=True, monotonic=True,
    ...                             smooth=True, saturating=False)
    ...
    ...     def _forward(self, z, training, out):
    ...         return np.power(z, 3, out=out)
    ...
    ...     def _derivative(self, z, a, out):
    ...         np.multiply(z, z, out=out)
    ...         out *= 3
    ...         return out
    >>> Cube().forward(np.array([-1.0, 2.0]))
    array([-1.,  8.])
    >>> Cube().backward(np.array([2.0]), np.array([8.0]), np.array([0.5]))
    array([6.])
    """

    name: ClassVar[str]
    formula: ClassVar[str]
    derivative_formula: ClassVar[str]
    properties: Properties
    elementwise: ClassVar[bool] = True
    kinks: tuple[float, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _check_kernel_signatures(cls)

    # -- the public interface (layers and the network call these) --------------------

    def forward(self, z: np.ndarray, training: bool = False, *,
                out: np.ndarray | None = None) -> np.ndarray:
        """a = g(z), same shape and dtype as ``z`` (rows are samples).

        ``out``: an array of z's shape to write ``a`` into (and return), as NumPy's
        ``out=``; the training loop passes reused buffers this way.
        """
        if out is not None and _computes_in_place(z, out):
            return self._forward(z, training, out)
        z, dtype, shape = _prepare(z)
        a = self._forward(z, training, np.empty_like(z))
        return _into(_finish(a, dtype, shape), out)

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """g'(z), given ``z`` and ``a = g(z)`` from the forward pass."""
        if not self.elementwise:
            raise TypeError(
                f"{type(self).__name__} is vector-valued: each output depends on the whole "
                f"row, so its Jacobian is not diagonal and there is no elementwise "
                f"derivative; use backward(z, a, grad), the vector-Jacobian product"
            )
        z, dtype, shape = _prepare(z)
        return _finish(self._derivative(z, _like(a, z), np.empty_like(z)), dtype, shape)

    def backward(self, z: np.ndarray, a: np.ndarray, grad: np.ndarray, *,
                 out: np.ndarray | None = None) -> np.ndarray:
        """The lecture's ``delta = g'(z) * e`` for upstream gradient ``e = grad``.

        For vector-valued activations this is the vector-Jacobian product
        ``delta = J_g(z)^T e``.  Learnable parameters (``parameters()``) get their
        ``.grad`` set here too.  ``out``: an array of z's shape to write ``delta`` into.
        """
        if out is not None and _computes_in_place(z, out) and \
                _computes_in_place(a, out) and _computes_in_place(grad, out):
            return self._backward(z, a, grad, out)
        z, dtype, shape = _prepare(z)
        delta = self._backward(z, _like(a, z), _like(grad, z), np.empty_like(z))
        return _into(_finish(delta, dtype, shape), out)

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

    # -- the kernels subclasses write: each computes into ``out`` and returns it ------

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement "
                                  f"_forward(z, training, out)")

    def _derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement "
                                  f"_derivative(z, a, out)")

    def _backward(self, z: np.ndarray, a: np.ndarray, grad: np.ndarray,
                  out: np.ndarray) -> np.ndarray:
        self._derivative(z, a, out)
        out *= grad
        return out


#: Each kernel's parameters after ``self``: the contract of :class:`ActivationFunction`.
_KERNELS = {"_forward": ("z", "training", "out"), "_derivative": ("z", "a", "out"),
            "_backward": ("z", "a", "grad", "out")}


def _check_kernel_signatures(cls: type) -> None:
    """A TypeError when a subclass defines a kernel without the ``out`` buffer (the
    form before kernels wrote into ``out``), saying what to write instead."""
    for kernel, expected in _KERNELS.items():
        method = cls.__dict__.get(kernel)
        if method is None:
            continue
        parameters = list(inspect.signature(method).parameters)[1:]
        if len(parameters) != len(expected):
            raise TypeError(
                f"{cls.__name__}.{kernel} takes ({', '.join(parameters)}); an activation's "
                f"kernel writes into a given buffer: def {kernel}(self, {', '.join(expected)})"
                f" computes into out and returns it (see ActivationFunction)")


def __getattr__(name: str) -> Any:
    """``Activation``, the base class's former name, for one release: a
    DeprecationWarning that gives the new name."""
    if name == "Activation":
        warnings.warn("neuronlab.activations.Activation is deprecated and will be removed "
                      "in the next release: the base class of activation functions is "
                      "now neuronlab.activations.ActivationFunction (the layer is "
                      "neuronlab.Activation)", DeprecationWarning, stacklevel=2)
        return ActivationFunction
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


REGISTRY: Registry[ActivationFunction] = Registry("activation", ActivationFunction)


def get(spec: str | ActivationFunction, **params: Any) -> ActivationFunction:
    """An activation from its name (with hyper-parameters), an instance, or a formula.

    A string that is not a registered name but a formula in x (``"x * sigmoid(x)"``)
    gives a :class:`~neuronlab.formula.Formula`; ``params`` are then its options
    (``label``, ``params``, ``learnable``).  A plain name that is neither (``"rleu"``)
    raises ValueError with the closest registered name.  (Formulas are read by
    :mod:`neuronlab.formula`, which builds on this module and installs its reader in
    ``REGISTRY`` when imported; importing :mod:`neuronlab` imports it.)

    Examples
    --------
    >>> get("leaky_relu", alpha=0.1)
    LeakyReLU(alpha=0.1)
    >>> type(get("x * sigmoid(x)")).__name__
    'Formula'
    """
    return REGISTRY.get(spec, **params)


def names() -> list[str]:
    """Names of all registered activations."""
    return REGISTRY.names()


# ------------------------------------------------------------------------ helpers


def _as_float_array(x: Any) -> np.ndarray:
    """``x`` as an ndarray of a floating dtype (non-float input becomes float64)."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return x


def _prepare(z: Any) -> tuple[np.ndarray, np.dtype, tuple[int, ...] | None]:
    """(z to compute with, dtype of the result, shape to restore or None).

    The computation sees an array with at least one dimension, in float32 or wider:
    float16 is computed in float32 (its range is too small for the intermediate
    values) and rounded back at the end.
    """
    z = _as_float_array(z)
    dtype = z.dtype
    if dtype.itemsize < 4:
        z = z.astype(np.float32)
    if z.ndim == 0:
        return z.reshape(1), dtype, ()
    return z, dtype, None


def _like(x: Any, z: np.ndarray) -> np.ndarray:
    """``a`` or ``grad`` shaped and typed for the computation on the prepared ``z``."""
    x = np.asarray(x)
    if x.dtype.kind != "f" or x.dtype.itemsize < 4:
        x = x.astype(z.dtype)
    return x.reshape(z.shape) if x.ndim == 0 else x


def _computes_in_place(x: Any, out: np.ndarray) -> bool:
    """True when the kernel can compute on ``x`` as it is and write into ``out``: an
    ndarray (ndim >= 1) of out's shape and float32/float64 dtype, in memory apart from
    out's (a kernel may write ``out`` before it has read all its input).

    Two distinct arrays that own their memory (``base`` None: the training loop's
    buffers) are apart; views are left to ``np.may_share_memory``, which costs
    0.3-0.5 us, four times per activation layer and step were it asked every time.
    """
    return (type(x) is np.ndarray and x.dtype == out.dtype and x.shape == out.shape
            and x.ndim > 0 and x.dtype.itemsize >= 4 and x is not out
            and (x.base is None and out.base is None or not np.may_share_memory(x, out)))


def _into(result: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    """``result``, or copied into ``out`` when one is given (shapes must agree)."""
    if out is None:
        return result
    if out.shape != result.shape:
        raise ValueError(f"out has shape {out.shape}; it must have the input's shape "
                         f"{result.shape}")
    np.copyto(out, result)
    return out


def _finish(out: np.ndarray, dtype: np.dtype, shape: tuple[int, ...] | None) -> np.ndarray:
    """Back to the caller's dtype (float16: values beyond its range become inf, which is
    what they are) and, for 0-d input, shape."""
    if out.dtype != dtype:
        with np.errstate(over="ignore"):
            out = out.astype(dtype)
    return out if shape is None else out.reshape(shape)


def _keep_nan(d: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Put NaN in ``d`` where ``z`` is NaN (``clip(z, 0, 0)`` is 0, or NaN for NaN)."""
    d += np.clip(z, 0, 0)
    return d


def _indicator(condition: np.ndarray, value: float, out: np.ndarray) -> np.ndarray:
    """``value`` where ``condition`` holds, else 0, written into ``out`` (computed in
    out's dtype: a bool times a Python float would be float64, then cast)."""
    return np.multiply(condition, value, out=out, dtype=out.dtype)


def _positive_indicator(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """1 where z > 0, 0 where z <= 0, NaN where z is NaN (z's dtype): ceil(clip(z, 0, 1))."""
    p = np.clip(z, 0, 1, out=out)
    return np.ceil(p, out=p)


def _scaled(z: np.ndarray, factor: float, out: np.ndarray | None = None) -> np.ndarray:
    """``factor * z`` into ``out`` (or a fresh array), without overflow.

    When ``|factor| > 1``, ``z`` is first clipped to half of ``finfo.max / |factor|``;
    callers use this only where such huge arguments saturate anyway.
    """
    if abs(factor) <= 1.0:
        return np.multiply(z, factor, out=out)
    bound = float(np.finfo(z.dtype).max) / (2.0 * abs(factor))
    out = np.clip(z, -bound, bound, out=out)
    out *= factor
    return out


def _exp_limit(dtype: np.dtype) -> float:
    """A t with exp(t) comfortably below ``finfo(dtype).max`` (88.7 - 1 for float32)."""
    return math.log(float(np.finfo(dtype).max)) - 1.0


def stable_sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z) without overflow, in the dtype (and shape) of ``z``."""
    z, dtype, shape = _prepare(z)
    out = np.empty_like(z)
    _sigmoid_into(z, 1.0, out)
    return _finish(out, dtype, shape)


def _sigmoid_into(z: np.ndarray, factor: float, out: np.ndarray) -> np.ndarray:
    """Write sigmoid(factor * z) into ``out``, without overflow and exact in the tails.

    ``1 / (1 + e^t)`` with ``t = -factor z`` capped at L, where ``e^L`` is below the
    largest float; where ``t > L`` the sigmoid is ``e^-t`` to working precision (it is
    below 1e-38), so those few entries get exactly that (or 0 when it underflows).
    """
    t = _scaled(z, -factor, out)
    limit = _exp_limit(z.dtype)
    tail = t > limit
    tail_t = t[tail] if tail.any() else None
    np.clip(t, -INF, limit, out=t)
    np.exp(t, out=t)
    t += 1
    np.divide(1, t, out=t)
    if tail_t is not None:
        np.negative(tail_t, out=tail_t)
        t[tail] = np.exp(tail_t)
    return t


def _times_vanishing(x: np.ndarray, f: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``x * f`` into ``out`` (which may be ``f``), where ``f`` vanishes as ``x`` grows:
    an infinite ``x`` meeting ``f = 0`` gives ``±0`` with x's sign, the product's
    limit, instead of ``inf * 0 = NaN`` (swish's ``z sigmoid(z)`` and GELU's
    ``z Phi(z)`` at -inf, swish's ``a (1 - sigmoid(z))`` at +inf).

    Free on finite input: ``inf * 0`` is the only invalid product and a NaN factor
    propagates quietly, so the product runs with ``invalid="raise"`` and only a call
    that raises (the whole product is written by then) mends those entries.
    """
    try:
        with np.errstate(invalid="raise"):
            return np.multiply(f, x, out=out)
    except FloatingPointError:
        np.copyto(out, np.copysign(0, x), where=np.isinf(x) & np.isnan(out))
        return out


_PHI_0 = 1.0 / math.sqrt(2.0 * math.pi)  # the standard normal density at 0


def _normal_cdf_from_gelu(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Phi(z) recovered from a = z Phi(z) as a / z (to 2 ulp), into ``out``; for
    |z| < 1e-3, where that division is unsafe, the series 1/2 + phi(0) (z - z^3/6 +
    z^5/40) (error < 1e-24).  At z = +inf, a / z = inf / inf, the only invalid quotient
    here, is mended to the limit 1 on that rare path."""
    near_zero = np.abs(z) < 1e-3
    cdf = np.add(z, near_zero, out=out)  # a harmless denominator near 0, overwritten below
    try:
        with np.errstate(invalid="raise"):
            np.divide(a, cdf, out=cdf)
    except FloatingPointError:
        np.copyto(cdf, 1, where=np.isinf(z) & np.isnan(cdf))
    if near_zero.any():
        zs = z[near_zero]
        s = zs * zs
        series = s * (1 / 40)
        series -= 1 / 6
        series *= s
        series += 1
        series *= zs * _PHI_0
        series += 0.5
        cdf[near_zero] = series
    return cdf


def _leaky_properties(slope: float) -> Properties:
    """Properties of g(z) = z for z > 0, slope * z for z <= 0."""
    if slope > 0:
        return Properties((-INF, INF), zero_centred=True, monotonic=True,
                          smooth=slope == 1, saturating=False)
    return Properties((0.0, INF), zero_centred=False, monotonic=slope == 0, smooth=False,
                      saturating=slope == 0)


# ------------------------------------------------------------------- the catalogue


@REGISTRY.register("identity", "linear")
class Identity(ActivationFunction):
    """Identity (linear) activation.

    ``g(z) = z``, ``g'(z) = 1``.  Used for regression outputs.

    Examples
    --------
    >>> Identity().forward(np.array([-2.0, 3.0]))
    array([-2.,  3.])
    """

    formula = "g(z) = z"
    derivative_formula = "g'(z) = 1"
    properties = Properties((-INF, INF), zero_centred=True, monotonic=True, smooth=True,
                            saturating=False)

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        np.copyto(out, z)
        return out

    def _derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.clip(z, 0, 0, out=out)  # 0, or NaN where z is NaN
        out += 1
        return out


@REGISTRY.register("step", "heaviside")
class Step(ActivationFunction):
    """Heaviside step function (the perceptron's threshold unit).

    ``g(z) = 0`` for z < 0, ``value_at_zero`` at z = 0, ``1`` for z > 0, as
    ``torch.heaviside(z, value_at_zero)``.  ``g'(z) = 0`` everywhere, at the jump
    included (PyTorch defines no derivative for ``heaviside``; ``sign``'s is 0): no
    gradient flows, which is why gradient descent needs smooth activations.

    Parameters
    ----------
    value_at_zero : float, default 0.5
        g(0), as in the lecture's table; in [0, 1].

    Examples
    --------
    >>> Step().forward(np.array([-1.0, 0.0, 2.0]))
    array([0. , 0.5, 1. ])
    """

    formula = "g(z) = 0 if z < 0, value_at_zero if z = 0, 1 if z > 0"
    derivative_formula = "g'(z) = 0 (the jump at 0 included)"
    properties = Properties((0.0, 1.0), zero_centred=False, monotonic=True, smooth=False,
                            saturating=True)
    kinks = (0.0,)

    def __init__(self, value_at_zero: float = 0.5) -> None:
        self.value_at_zero = check_real(value_at_zero, "Step value_at_zero", 0.0, 1.0)

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        a = np.sign(z, out=out)  # -1, 0, 1 (NaN stays NaN)
        a += 1
        a *= 0.5
        if self.value_at_zero != 0.5:
            a += _indicator(z == 0, self.value_at_zero - 0.5, np.empty_like(z))
        return a

    def _derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.clip(z, 0, 0, out=out)

    def get_config(self) -> dict[str, Any]:
        return {"value_at_zero": self.value_at_zero}


@REGISTRY.register("sign")
class Sign(ActivationFunction):
    """Sign function.

    ``g(z) = -1`` for z < 0, ``0`` at z = 0, ``1`` for z > 0; ``g'(z) = 0`` everywhere,
    at the jump included (PyTorch's ``torch.sign`` gradient).

    Examples
    --------
    >>> Sign().forward(np.array([-3.0, 0.0, 0.5]))
    array([-1.,  0.,  1.])
    """

    formula = "g(z) = sign(z)"
    derivative_formula = "g'(z) = 0 (the jump at 0 included)"
    properties = Properties((-1.0, 1.0), zero_centred=True, monotonic=True, smooth=False,
                            saturating=True)
    kinks = (0.0,)

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        return np.sign(z, out=out)

    def _derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.clip(z, 0, 0, out=out)


class _ClippedLinear(ActivationFunction):
    """g(z) = clip(slope z + offset, low, high); g'(z) = slope strictly between the
    corners z_low < z < z_high, 0 elsewhere, the corners included (PyTorch's
    ``hardtanh``/``hardsigmoid``/``relu6`` convention).  Not registered itself."""

    def _set_shape(self, slope: float, offset: float, low: float, high: float) -> None:
        self._slope, self._offset, self._low, self._high = slope, offset, low, high
        self._z_low = (low - offset) / slope
        self._z_high = (high - offset) / slope
        self.kinks = (self._z_low, self._z_high)

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        if self._slope == 1.0 and self._offset == 0.0:
            return np.clip(z, self._low, self._high, out=out)
        a = _scaled(z, self._slope, out)
        if self._offset:
            a += self._offset
        np.clip(a, self._low, self._high, out=a)
        return a

    def _derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        inside = z > self._z_low
        inside &= z < self._z_high
        return _keep_nan(_indicator(inside, self._slope, out), z)


@REGISTRY.register("piecewise_linear")
class PiecewiseLinear(_ClippedLinear):
    """The lecture's piecewise-linear unit: a ramp from 0 to 1 on [-1/2, 1/2].

    ``g(z) = clip(z + 1/2, 0, 1)``; ``g'(z) = 1`` for -1/2 < z < 1/2, else 0.  At the
    corners z = ±1/2 the derivative is 0 (PyTorch's ``hardtanh(z + 1/2, 0, 1)``).
    Equal to ``HardSigmoid(slope=1, offset=0.5)``.

    Examples
    --------
    >>> PiecewiseLinear().forward(np.array([-1.0, 0.0, 0.25, 1.0]))
    array([0.  , 0.5 , 0.75, 1.  ])
    """

    formula = "g(z) = clip(z + 1/2, 0, 1)"
    derivative_formula = "g'(z) = 1 if -1/2 < z < 1/2 else 0"
    properties = Properties((0.0, 1.0), zero_centred=False, monotonic=True, smooth=False,
                            saturating=True)
    kinks = (-0.5, 0.5)

    def __init__(self) -> None:
        self._set_shape(1.0, 0.5, 0.0, 1.0)


@REGISTRY.register("sigmoid", "logistic")
class Sigmoid(ActivationFunction):
    """Logistic sigmoid.

    ``g(z) = 1 / (1 + e^-z)``, ``g'(z) = g(z) (1 - g(z))`` (from the output ``a``).
    ``e^-z`` is evaluated on ``max(z, -L)`` with ``e^L`` below the largest float, so it
    never overflows.  Saturates at both ends and is not zero-centred (outputs in
    (0, 1)); ``g'(0) = 1/4`` is its largest slope.

    Examples
    --------
    >>> round(float(Sigmoid().forward(np.array(0.7))), 3)
    0.668
    """

    formula = "g(z) = 1 / (1 + exp(-z))"
    derivative_formula = "g'(z) = g(z) (1 - g(z))"
    properties = Properties((0.0, 1.0), zero_centred=False, monotonic=True, smooth=True,
                            saturating=True)

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        _sigmoid_into(z, 1.0, out)
        return out

    def _derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.subtract(1, a, out=out)
        out *= a
        return out


@REGISTRY.register("hard_sigmoid", "hardsigmoid")
class HardSigmoid(_ClippedLinear):
    """Hard sigmoid: a piecewise-linear approximation of the logistic sigmoid.

    ``g(z) = clip(slope z + offset, 0, 1)``; ``g'(z) = slope`` strictly between the
    corners ``z = -offset / slope`` and ``(1 - offset) / slope``, else 0 (0 at the
    corners, as PyTorch's ``hardsigmoid``).

    Parameters
    ----------
    slope : float, default 0.2
        Must be positive.  The default 0.2 z + 0.5 is the lecture's and Keras 2's
        (corners at ±2.5); ``slope=1/6`` gives PyTorch's ``hardsigmoid`` (±3).
    offset : float, default 0.5

    Examples
    --------
    >>> HardSigmoid().forward(np.array([-3.0, 0.0, 1.0, 3.0]))
    array([0. , 0.5, 0.7, 1. ])
    """

    formula = "g(z) = clip(slope z + offset, 0, 1)"
    derivative_formula = "g'(z) = slope if 0 < slope z + offset < 1 else 0"
    properties = Properties((0.0, 1.0), zero_centred=False, monotonic=True, smooth=False,
                            saturating=True)
    kinks = (-2.5, 2.5)

    def __init__(self, slope: float = 0.2, offset: float = 0.5) -> None:
        self.slope = check_real(slope, "HardSigmoid slope", 0.0, low_open=True)
        self.offset = check_real(offset, "HardSigmoid offset")
        self._set_shape(self.slope, self.offset, 0.0, 1.0)

    def get_config(self) -> dict[str, Any]:
        return {"slope": self.slope, "offset": self.offset}


@REGISTRY.register("tanh")
class Tanh(ActivationFunction):
    """Hyperbolic tangent.

    ``g(z) = (e^z - e^-z) / (e^z + e^-z)``, ``g'(z) = 1 - g(z)^2`` (from the output).
    Zero-centred and saturating at both ends; ``g'(0) = 1``.

    Examples
    --------
    >>> float(Tanh().derivative(np.array(0.0), np.array(0.0)))
    1.0
    """

    formula = "g(z) = (e^z - e^-z) / (e^z + e^-z)"
    derivative_formula = "g'(z) = 1 - g(z)^2"
    properties = Properties((-1.0, 1.0), zero_centred=True, monotonic=True, smooth=True,
                            saturating=True)

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        return np.tanh(z, out=out)

    def _derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.multiply(a, a, out=out)
        np.subtract(1, out, out=out)
        return out


@REGISTRY.register("hard_tanh", "hardtanh")
class HardTanh(_ClippedLinear):
    """Hard tanh: the identity clipped to ``[min_val, max_val]``.

    ``g(z) = clip(z, min_val, max_val)``; ``g'(z) = 1`` for min_val < z < max_val,
    else 0 (0 at the corners, as PyTorch's ``hardtanh``).

    Parameters
    ----------
    min_val : float, default -1.0
    max_val : float, default 1.0
        Must exceed ``min_val``.

    Examples
    --------
    >>> HardTanh().forward(np.array([-2.0, 0.5, 2.0]))
    array([-1. ,  0.5,  1. ])
    """

    formula = "g(z) = clip(z, min_val, max_val)"
    derivative_formula = "g'(z) = 1 if min_val < z < max_val else 0"
    properties = Properties((-1.0, 1.0), zero_centred=True, monotonic=True, smooth=False,
                            saturating=True)
    kinks = (-1.0, 1.0)

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0) -> None:
        self.min_val = check_real(min_val, "HardTanh min_val")
        self.max_val = check_real(max_val, "HardTanh max_val")
        if not self.min_val < self.max_val:
            raise ValueError(f"HardTanh needs min_val < max_val, got min_val={min_val!r}, "
                             f"max_val={max_val!r}")
        self._set_shape(1.0, 0.0, self.min_val, self.max_val)
        self.properties = Properties((self.min_val, self.max_val),
                                     zero_centred=self.min_val < 0 < self.max_val,
                                     monotonic=True, smooth=False, saturating=True)

    def get_config(self) -> dict[str, Any]:
        return {"min_val": self.min_val, "max_val": self.max_val}


@REGISTRY.register("relu")
class ReLU(ActivationFunction):
    """Rectified linear unit (Nair & Hinton 2010; Glorot et al. 2011).

    ``g(z) = max(0, z)``; ``g'(z) = 1`` for z > 0, else 0, with ``relu'(0) = 0``
    (PyTorch).  Units whose pre-activation is negative for every input pass no
    gradient: they die.

    Examples
    --------
    >>> ReLU().forward(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 2.])
    """

    formula = "g(z) = max(0, z)"
    derivative_formula = "g'(z) = 1 if z > 0 else 0"
    properties = Properties((0.0, INF), zero_centred=False, monotonic=True, smooth=False,
                            saturating=True)
    kinks = (0.0,)

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        return np.clip(z, 0, INF, out=out)

    def _derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        return _positive_indicator(z, out)


@REGISTRY.register("relu6")
class ReLU6(_ClippedLinear):
    """ReLU capped at 6 (Krizhevsky 2010; MobileNet).

    ``g(z) = min(max(0, z), 6)``; ``g'(z) = 1`` for 0 < z < 6, else 0, with
    ``relu6'(0) = relu6'(6) = 0`` (PyTorch).

    Examples
    --------
    >>> ReLU6().forward(np.array([-1.0, 3.0, 9.0]))
    array([0., 3., 6.])
    """

    formula = "g(z) = min(max(0, z), 6)"
    derivative_formula = "g'(z) = 1 if 0 < z < 6 else 0"
    properties = Properties((0.0, 6.0), zero_centred=False, monotonic=True, smooth=False,
                            saturating=True)
    kinks = (0.0, 6.0)

    def __init__(self) -> None:
        self._set_shape(1.0, 0.0, 0.0, 6.0)


@REGISTRY.register("leaky_relu")
class LeakyReLU(ActivationFunction):
    """Leaky ReLU (Maas et al. 2013): a small slope instead of zero for z < 0.

    ``g(z) = z`` for z > 0, ``alpha z`` otherwise; ``g'(z) = 1`` for z > 0, else
    ``alpha``, with ``leaky_relu'(0) = alpha`` (PyTorch).

    Parameters
    ----------
    alpha : float, default 0.01
        The negative slope (PyTorch's ``negative_slope`` and default); must be >= 0.

    Examples
    --------
    >>> LeakyReLU(alpha=0.1).forward(np.array([-2.0, 3.0]))
    array([-0.2,  3. ])
    """

    formula = "g(z) = z if z > 0 else alpha z"
    derivative_formula = "g'(z) = 1 if z > 0 else alpha"
    properties = Properties((-INF, INF), zero_centred=True, monotonic=True, smooth=False,
                            saturating=False)
    kinks = (0.0,)

    def __init__(self, alpha: float = 0.01) -> None:
        self.alpha = check_real(alpha, "LeakyReLU alpha", 0.0)
        self.properties = _leaky_properties(self.alpha)
        self.kinks = () if self.alpha == 1.0 else (0.0,)

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        return _leaky_forward(z, self.alpha, out)

    def _derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        return _leaky_derivative(z, self.alpha, out)

    def get_config(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


def _leaky_forward(z: np.ndarray, slope: float | np.ndarray, out: np.ndarray) -> np.ndarray:
    """z for z > 0, slope * z otherwise (slope a float or broadcastable array), into out."""
    if isinstance(slope, float) and 0.0 < slope <= 1.0:
        a = np.multiply(z, slope, out=out)
        np.maximum(a, z, out=a)  # slope z <= z exactly when z >= 0
        return a
    if isinstance(slope, float) and slope == 0.0:  # a ReLU (0 * -inf would be NaN)
        return np.clip(z, 0, INF, out=out)
    a = np.clip(z, -INF, 0, out=out)
    # |slope| > 1 at -finfo.max: a true overflow; 0 * -inf = NaN: mended just below
    with np.errstate(over="ignore", invalid="ignore"):
        a *= slope
    if not np.all(slope):  # a zero slope: 0 z is 0, at z = -inf too (its limit)
        np.copyto(a, 0, where=np.equal(slope, 0))
    a += np.clip(z, 0, INF)  # NaN z stays NaN here
    return a


def _leaky_derivative(z: np.ndarray, slope: float | np.ndarray,
                      out: np.ndarray) -> np.ndarray:
    """1 for z > 0, slope for z <= 0, NaN for NaN, into out."""
    d = _positive_indicator(z, out)
    d *= 1 - slope
    d += slope
    return d


@REGISTRY.register("prelu")
class PReLU(ActivationFunction):
    """Parametric ReLU (He et al. 2015): a leaky ReLU whose slope is learned.

    ``g(z) = z`` for z > 0, ``alpha z`` otherwise; ``g'(z) = 1`` for z > 0, else
    ``alpha`` (``prelu'(0) = alpha``, PyTorch).  The slope's gradient is
    ``dJ/dalpha = sum(e * z * [z <= 0])``, summed over the samples (and, when shared,
    over the units); it is 0 from z = 0, as PyTorch's.

    Parameters
    ----------
    alpha : float, default 0.25
        Initial slope (PyTorch's default ``init``).
    shared : bool, default True
        One slope for the layer (a Parameter of shape ``(1,)``), or one per unit
        (shape ``(n_units,)``, created by ``build(n_units, dtype)``, which the layer
        calls).  The units are the last axis of ``z``.

    Attributes
    ----------
    weight : Parameter named "alpha"
        The learned slope(s); ``weight.grad`` is set by ``backward``.

    Notes
    -----
    ``properties`` describe the initial slope; a slope learned negative makes the
    function non-monotonic.

    Examples
    --------
    >>> g = PReLU(alpha=0.25)
    >>> g.forward(np.array([[-2.0, 4.0]]))
    array([[-0.5,  4. ]])
    """

    formula = "g(z) = z if z > 0 else alpha z   (alpha learned)"
    derivative_formula = "g'(z) = 1 if z > 0 else alpha;  dg/dalpha = z if z <= 0 else 0"
    properties = _leaky_properties(0.25)
    kinks = (0.0,)

    def __init__(self, alpha: float = 0.25, shared: bool = True) -> None:
        self.alpha = check_real(alpha, "PReLU alpha")
        self.shared = check_bool(shared, "PReLU shared")
        self.properties = _leaky_properties(self.alpha)
        self.kinks = () if self.alpha == 1.0 else (0.0,)
        self.weight: Parameter | None = None
        if self.shared:  # float64 until build() casts it: alpha exact in a float64 network
            self.weight = Parameter(np.full(1, self.alpha, dtype=np.float64), "alpha")

    def build(self, n_units: int, dtype: np.dtype) -> None:
        dtype = np.dtype(dtype)
        shape = (1,) if self.shared else (int(n_units),)
        if self.weight is None or self.weight.value.shape != shape:
            self.weight = Parameter(np.full(shape, self.alpha, dtype=dtype), "alpha")
        elif self.weight.value.dtype != dtype:
            self.weight.value = self.weight.value.astype(dtype)
            self.weight.grad = np.zeros_like(self.weight.value)

    def parameters(self) -> list[Parameter]:
        return [] if self.weight is None else [self.weight]

    def _built_weight(self) -> Parameter:
        if self.weight is None:
            raise RuntimeError("PReLU(shared=False) has one slope per unit: call "
                               "build(n_units, dtype) first (the Activation layer does)")
        return self.weight

    def _slope(self, z: np.ndarray) -> float | np.ndarray:
        weight = self._built_weight()
        if self.shared:
            return float(weight.value[0])
        if z.shape[-1] != weight.value.shape[0]:
            raise ValueError(f"PReLU was built for {weight.value.shape[0]} units but "
                             f"got input with {z.shape[-1]} on its last axis")
        return weight.value.astype(z.dtype, copy=False)

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        return _leaky_forward(z, self._slope(z), out)

    def _derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        return _leaky_derivative(z, self._slope(z), out)

    def _backward(self, z: np.ndarray, a: np.ndarray, grad: np.ndarray,
                  out: np.ndarray) -> np.ndarray:
        delta = super()._backward(z, a, grad, out)
        weight = self._built_weight()
        dalpha = np.clip(z, -INF, 0)  # z * [z <= 0]
        with np.errstate(over="ignore"):  # a sum beyond finfo.max is a true overflow
            dalpha *= grad
            if self.shared:
                total = dalpha.sum(dtype=np.float64)
            else:
                total = dalpha.reshape(-1, dalpha.shape[-1]).sum(axis=0, dtype=np.float64)
            weight.grad[...] = np.asarray(total).astype(weight.grad.dtype)
        return delta

    def get_config(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "shared": self.shared}


@REGISTRY.register("rrelu")
class RReLU(ActivationFunction):
    """Randomized leaky ReLU (Xu et al. 2015).

    In training ``g(z) = z`` for z > 0 and ``r z`` otherwise, with one slope
    ``r ~ U(lower, upper)`` drawn per element by the activation's own
    ``numpy.random.Generator`` and remembered for the backward pass; ``g'(z) = 1`` for
    z > 0, else ``r``.  At inference the slope is the mean ``(lower + upper) / 2``, a
    leaky ReLU, as in PyTorch.  At z = 0 the derivative is the slope (training: the
    drawn ``r``; inference: the mean), PyTorch's convention.

    ``derivative`` and ``backward`` use the slopes of the most recent forward pass
    when it was a training pass (and the mean slope otherwise).

    Parameters
    ----------
    lower : float, default 1/8
    upper : float, default 1/3
        0 <= lower <= upper (PyTorch's defaults).
    seed : int, Generator or None, default None
        Seed of the generator that draws the slopes.

    References
    ----------
    B. Xu, N. Wang, T. Chen, M. Li, "Empirical evaluation of rectified activations in
    convolutional network", arXiv:1505.00853 (2015).

    Examples
    --------
    >>> RReLU().forward(np.array([-24.0, 1.0]))  # inference: slope (1/8 + 1/3) / 2
    array([-5.5,  1. ])
    """

    formula = "g(z) = z if z > 0 else r z,  r ~ U(lower, upper) (training), (lower + upper)/2"
    derivative_formula = "g'(z) = 1 if z > 0 else r"
    properties = _leaky_properties((1 / 8 + 1 / 3) / 2)
    kinks = (0.0,)

    def __init__(self, lower: float = 1 / 8, upper: float = 1 / 3,
                 seed: int | np.random.Generator | None = None) -> None:
        self.lower = check_real(lower, "RReLU lower", 0.0)
        self.upper = check_real(upper, "RReLU upper", 0.0)
        if self.lower > self.upper:
            raise ValueError(f"RReLU needs lower <= upper, got lower={lower!r}, "
                             f"upper={upper!r}")
        # not _validate.check_rng: the network derives its layers' seeds up to 2**63
        if not (seed is None or isinstance(seed, np.random.Generator)
                or (isinstance(seed, int | np.integer) and not isinstance(seed, bool))):
            raise TypeError(f"RReLU seed must be an int, a numpy Generator or None, "
                            f"got {seed!r}")
        self.seed = seed
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.mean_slope = (self.lower + self.upper) / 2
        self.properties = _leaky_properties(self.mean_slope)
        self.kinks = () if self.lower == self.upper == 1.0 else (0.0,)
        self._slopes: np.ndarray | None = None  # drawn by the last training forward pass

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        if not training:
            self._slopes = None
            return _leaky_forward(z, self.mean_slope, out)
        draw_dtype = z.dtype if z.dtype in (np.float32, np.float64) else np.float64
        r = self.rng.random(z.shape, dtype=draw_dtype).astype(z.dtype, copy=False)
        r *= self.upper - self.lower
        r += self.lower
        np.clip(r, self.lower, self.upper, out=r)  # rounding never leaves [lower, upper]
        self._slopes = r
        return _leaky_forward(z, r, out)

    def _derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        slopes = self._slopes
        if slopes is None:
            return _leaky_derivative(z, self.mean_slope, out)
        if slopes.shape != z.shape:
            raise ValueError(f"RReLU remembers slopes of shape {slopes.shape} from its last "
                             f"training forward pass, but got z of shape {z.shape}")
        return _leaky_derivative(z, slopes, out)

    def get_config(self) -> dict[str, Any]:
        # A Generator cannot be written to a file; an int seed (or None) can.
        seed = None if isinstance(self.seed, np.random.Generator) else self.seed
        return {"lower": self.lower, "upper": self.upper, "seed": seed}


class _ExponentialLinear(ActivationFunction):
    """The ELU family, as PyTorch's ``elu`` kernel:

        g(z)  = scale z                          for z > 0
                negcoef (e^{input_scale z} - 1)  for z <= 0
        g'(z) = scale for z > 0, input_scale negcoef e^{input_scale z} for z <= 0

    so the derivative at 0 is ``input_scale * negcoef`` (z <= 0 branch, PyTorch).  The
    derivative is computed from z, not as ``input_scale (g(z) + negcoef)`` from the
    output (PyTorch's backward), which cancels where ``e^z`` is below the dtype's
    epsilon: ``selu'(-17.2)`` in float32 is 5.96e-8, not 1.19e-7.  That costs one
    exponential more per backward pass (a few microseconds on a 32 x 256 batch).
    """

    def _set_shape(self, scale: float, negcoef: float, input_scale: float,
                   slope_at_zero: float) -> None:
        self._scale, self._negcoef, self._input_scale = scale, negcoef, input_scale
        self._slope0 = slope_at_zero  # input_scale * negcoef, given exactly
        smooth = slope_at_zero == scale
        self.kinks = () if smooth else (0.0,)
        self.properties = Properties((-negcoef, INF), zero_centred=True, monotonic=True,
                                     smooth=smooth, saturating=True)

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        a = np.clip(z, -INF, 0, out=out)
        if self._input_scale != 1.0:
            a *= self._input_scale
        np.expm1(a, out=a)
        a *= self._negcoef
        positive = np.clip(z, 0, INF)
        if self._scale != 1.0:
            with np.errstate(over="ignore"):  # scale * finfo.max: a true overflow
                positive *= self._scale
        a += positive
        return a

    def _derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        d = np.minimum(z, 0, out=out)  # NaN stays NaN
        if self._input_scale != 1.0:
            d *= self._input_scale
        np.exp(d, out=d)  # e^{input_scale z} for z <= 0, 1 for z > 0
        d *= self._slope0
        if self._scale != self._slope0:
            d += _indicator(z > 0, self._scale - self._slope0, np.empty_like(z))
        return d


@REGISTRY.register("elu")
class ELU(_ExponentialLinear):
    """Exponential linear unit (Clevert, Unterthiner & Hochreiter 2016).

    ``g(z) = z`` for z > 0, ``alpha (e^z - 1)`` otherwise; ``g'(z) = 1`` for z > 0,
    ``alpha e^z = g(z) + alpha`` otherwise (from the output, saving an exponential;
    its error is below ``eps * alpha`` absolute, so far out on the left, where
    ``e^z < eps``, it is 0 rather than tiny).  At 0 the derivative is ``alpha``
    (PyTorch: the z <= 0 branch); for ``alpha = 1`` (default) it is continuously
    differentiable.  Saturates to ``-alpha`` for z -> -inf.

    Parameters
    ----------
    alpha : float, default 1.0
        Must be positive.

    Examples
    --------
    >>> ELU().forward(np.array([0.0, 2.0]))
    array([0., 2.])
    """

    formula = "g(z) = z if z > 0 else alpha (exp(z) - 1)"
    derivative_formula = "g'(z) = 1 if z > 0 else alpha exp(z) = g(z) + alpha"
    properties = Properties((-1.0, INF), zero_centred=True, monotonic=True, smooth=True,
                            saturating=True)
    kinks = ()

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = check_real(alpha, "ELU alpha", 0.0, low_open=True)
        self._set_shape(1.0, self.alpha, 1.0, self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


@REGISTRY.register("selu")
class SELU(_ExponentialLinear):
    """Scaled exponential linear unit (Klambauer et al. 2017).

    ``g(z) = lambda z`` for z > 0, ``lambda alpha (e^z - 1)`` otherwise;
    ``g'(z) = lambda`` for z > 0, ``lambda alpha e^z = g(z) + lambda alpha`` otherwise,
    with the published constants ``alpha = 1.6732632423543772848170429916717`` and
    ``lambda = 1.0507009873554804934193349852946`` (``SELU_ALPHA``, ``SELU_SCALE``).
    At 0 the derivative is ``lambda alpha = 1.7581`` (PyTorch).  ``selu(z)`` overflows
    to ``inf`` for ``z > finfo.max / lambda``, as it must.

    References
    ----------
    G. Klambauer, T. Unterthiner, A. Mayr, S. Hochreiter, "Self-normalizing neural
    networks", NeurIPS 2017.

    Examples
    --------
    >>> round(float(SELU().forward(np.array(1.0))), 6)
    1.050701
    """

    formula = "g(z) = lambda z if z > 0 else lambda alpha (exp(z) - 1)"
    derivative_formula = "g'(z) = lambda if z > 0 else lambda alpha exp(z) = g(z) + lambda alpha"
    properties = Properties((-SELU_SCALE * SELU_ALPHA, INF), zero_centred=True, monotonic=True,
                            smooth=False, saturating=True)
    kinks = (0.0,)

    def __init__(self) -> None:
        self._set_shape(SELU_SCALE, SELU_SCALE * SELU_ALPHA, 1.0, SELU_SCALE * SELU_ALPHA)


@REGISTRY.register("celu")
class CELU(_ExponentialLinear):
    """Continuously differentiable exponential linear unit (Barron 2017).

    ``g(z) = z`` for z > 0, ``alpha (e^{z/alpha} - 1)`` otherwise; ``g'(z) = 1`` for
    z > 0, ``e^{z/alpha} = g(z)/alpha + 1`` otherwise.  Continuously differentiable
    for every alpha (``g'(0) = 1``, also in PyTorch), so it has no kink.

    Parameters
    ----------
    alpha : float, default 1.0
        Must be positive.

    Examples
    --------
    >>> CELU(alpha=2.0).forward(np.array([0.0, 3.0]))
    array([0., 3.])
    """

    formula = "g(z) = z if z > 0 else alpha (exp(z / alpha) - 1)"
    derivative_formula = "g'(z) = 1 if z > 0 else exp(z / alpha) = g(z) / alpha + 1"
    properties = Properties((-1.0, INF), zero_centred=True, monotonic=True, smooth=True,
                            saturating=True)
    kinks = ()

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = check_real(alpha, "CELU alpha", 0.0, low_open=True)
        self._set_shape(1.0, self.alpha, 1.0 / self.alpha, 1.0)

    def get_config(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


_SQRT_2_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715


@REGISTRY.register("gelu")
class GELU(ActivationFunction):
    """Gaussian error linear unit (Hendrycks & Gimpel 2016).

    ``approximate="none"`` (default, as PyTorch): ``g(z) = z Phi(z)`` with Phi the
    standard normal CDF and phi its density, ``g'(z) = Phi(z) + z phi(z)``.  Phi is
    computed from a vectorised erfc (W. J. Cody's rational approximations: about
    1e-15 relative in float64, 1e-7 in float32), accurate in both tails where PyTorch's
    ``1 + erf`` cancels, so no scipy is needed.  The derivative recovers Phi from the
    output as ``a / z`` (a series near z = 0), so it needs no second erfc.

    ``approximate="tanh"``: ``g(z) = z/2 (1 + tanh u)`` with
    ``u = sqrt(2/pi) (z + 0.044715 z^3)``, evaluated as ``z sigmoid(2u)`` (the same
    function, without the cancellation of ``1 + tanh u`` for z < 0);
    ``g'(z) = s + z s (1 - s) 2u'`` with ``s = sigmoid(2u)`` and
    ``u' = sqrt(2/pi) (1 + 3 * 0.044715 z^2)``: the derivative of this forward, not of
    the exact one.

    Parameters
    ----------
    approximate : {"none", "tanh"}, default "none"

    Examples
    --------
    >>> round(float(GELU().forward(np.array(1.0))), 6)
    0.841345
    """

    formula = "g(z) = z Phi(z)   (tanh: z/2 (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3))))"
    derivative_formula = "g'(z) = Phi(z) + z phi(z)   (tanh: derivative of its own forward)"
    properties = Properties((_GELU_MIN, INF), zero_centred=True, monotonic=False, smooth=True,
                            saturating=True)

    def __init__(self, approximate: str = "none") -> None:
        self.approximate = check_choice(approximate, "GELU approximate", ("none", "tanh"))
        if approximate == "tanh":
            self.properties = Properties((_GELU_TANH_MIN, INF), zero_centred=True,
                                         monotonic=False, smooth=True, saturating=True)

    def _tanh_parts(self, z: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Write s = sigmoid(2u(z)) into ``s``; return zc = clip(z, -100, 100).  Beyond
        ±100 the sigmoid is exactly 0 or 1 in every dtype, so clipping keeps z^3
        finite."""
        zc = np.clip(z, -100.0, 100.0)
        v = zc * zc
        v *= _GELU_CUBIC
        v += 1
        v *= zc  # z + 0.044715 z^3
        _sigmoid_into(v, 2 * _SQRT_2_PI, s)
        return zc

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        s = out if self.approximate == "tanh" else normal_cdf(z)
        if self.approximate == "tanh":
            self._tanh_parts(z, s)
        return _times_vanishing(z, s, out)  # -inf: the limit -0

    def _derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        if self.approximate == "tanh":
            s = np.empty_like(z)
            zc = self._tanh_parts(z, s)
            t = np.multiply(zc, zc, out=out)  # 2u' = 2 sqrt(2/pi) (1 + 3c z^2)
            t *= 3 * _GELU_CUBIC
            t += 1
            t *= 2 * _SQRT_2_PI
            t *= 1 - s
            t *= s
            t *= zc  # s (1 - s) is exactly 0 beyond ±100, so zc is z there (±inf too)
            t += s
            return t
        zc = np.clip(z, -40.0, 40.0)  # phi(±40) underflows to 0 in every dtype
        pdf = np.multiply(zc, zc, out=out)
        pdf *= -0.5
        np.exp(pdf, out=pdf)
        pdf *= _PHI_0
        pdf *= zc
        pdf += _normal_cdf_from_gelu(z, a, zc)
        return pdf

    def get_config(self) -> dict[str, Any]:
        return {"approximate": self.approximate}


@REGISTRY.register("swish", "silu")
class Swish(ActivationFunction):
    """Swish (Ramachandran, Zoph & Le 2017); SiLU for beta = 1 (Elfwing et al. 2018).

    ``g(z) = z sigmoid(beta z)``;
    ``g'(z) = s + beta z s (1 - s) = s + beta a (1 - s)`` with ``s = sigmoid(beta z)``
    (``a`` the output).  With ``learnable=True``, beta is a Parameter (shape ``(1,)``)
    and ``backward`` sets ``beta.grad = sum(e * z a (1 - s))``
    (``dg/dbeta = z^2 s (1 - s)``).

    Parameters
    ----------
    beta : float, default 1.0
        Must be positive (the initial value when learnable).
    learnable : bool, default False

    Attributes
    ----------
    weight : Parameter named "beta", or None when not learnable.

    Examples
    --------
    >>> round(float(Swish().forward(np.array(1.0))), 6)
    0.731059
    """

    formula = "g(z) = z sigmoid(beta z)"
    derivative_formula = "g'(z) = s + beta z s (1 - s),  s = sigmoid(beta z)"
    properties = Properties((_SWISH_MIN, INF), zero_centred=True, monotonic=False, smooth=True,
                            saturating=True)

    def __init__(self, beta: float = 1.0, learnable: bool = False) -> None:
        self.beta = check_real(beta, "Swish beta", 0.0, low_open=True)
        self.learnable = check_bool(learnable, "Swish learnable")
        # float64 until build() casts it: beta exact in a float64 network
        self.weight = (Parameter(np.full(1, self.beta, dtype=np.float64), "beta")
                       if self.learnable else None)
        self.properties = Properties((_SWISH_MIN / self.beta, INF), zero_centred=True,
                                     monotonic=False, smooth=True, saturating=True)

    def build(self, n_units: int, dtype: np.dtype) -> None:
        dtype = np.dtype(dtype)
        if self.weight is not None and self.weight.value.dtype != dtype:
            self.weight.value = self.weight.value.astype(dtype)
            self.weight.grad = np.zeros_like(self.weight.value)

    def parameters(self) -> list[Parameter]:
        return [] if self.weight is None else [self.weight]

    def _current_beta(self) -> float:
        return self.beta if self.weight is None else float(self.weight.value[0])

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        _sigmoid_into(z, self._current_beta(), out)
        return _times_vanishing(z, out, out)  # -inf: the limit -0

    def _derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        beta = self._current_beta()
        s = np.empty_like(z)
        _sigmoid_into(z, beta, s)
        d = np.subtract(1, s, out=out)
        _times_vanishing(a, d, d)  # a (1 - s): 0 at +inf, its limit
        if beta != 1.0:
            d *= beta
        d += s
        return d

    def _backward(self, z: np.ndarray, a: np.ndarray, grad: np.ndarray,
                  out: np.ndarray) -> np.ndarray:
        if self.weight is None:
            return super()._backward(z, a, grad, out)
        beta = self._current_beta()
        s = np.empty_like(z)
        _sigmoid_into(z, beta, s)
        t = np.subtract(1, s, out=out)
        _times_vanishing(a, t, t)  # a (1 - s) = z s (1 - s)
        dbeta = _times_vanishing(z, t, np.empty_like(z))  # z^2 s (1 - s): 0 at ±inf
        dbeta *= grad
        with np.errstate(over="ignore"):
            self.weight.grad[...] = dbeta.sum(dtype=np.float64)
        if beta != 1.0:
            t *= beta
        t += s
        t *= grad
        return t

    def get_config(self) -> dict[str, Any]:
        return {"beta": self.beta, "learnable": self.learnable}


@REGISTRY.register("hard_swish", "hardswish")
class HardSwish(ActivationFunction):
    """Hard swish (Howard et al. 2019, "Searching for MobileNetV3").

    ``g(z) = z relu6(z + 3) / 6``; ``g'(z) = 0`` for z <= -3, ``z/3 + 1/2`` for
    -3 < z < 3, ``1`` for z >= 3.  At the kinks PyTorch (2.13) gives the outer
    values: ``g'(-3) = 0`` and ``g'(3) = 1``; so does this class.

    Examples
    --------
    >>> HardSwish().forward(np.array([-4.0, 0.0, 1.5, 4.0]))
    array([-0.   ,  0.   ,  1.125,  4.   ])
    """

    formula = "g(z) = z min(max(z + 3, 0), 6) / 6"
    derivative_formula = "g'(z) = 0 if z <= -3, z/3 + 1/2 if -3 < z < 3, 1 if z >= 3"
    properties = Properties((-0.375, INF), zero_centred=True, monotonic=False, smooth=False,
                            saturating=True)
    kinks = (-3.0, 3.0)

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        a = np.add(z, 3, out=out)
        np.clip(a, 0, 6, out=a)
        a *= 1 / 6
        return _times_vanishing(z, a, a)  # after the division: finfo.max cannot overflow

    def _derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        d = np.clip(z, -3, 3, out=out)  # NaN stays NaN
        d *= 1 / 3
        d += 0.5
        inside = z > -3
        inside &= z < 3
        d *= inside
        d += z >= 3
        return d


@REGISTRY.register("mish")
class Mish(ActivationFunction):
    """Mish (Misra 2019): ``g(z) = z tanh(softplus(z))``.

    With ``w = e^z`` and ``n = w (w + 2)``: ``tanh(softplus(z)) = n / (n + 2)``, so the
    forward pass needs one exponential; ``g'(z) = tanh(sp) + z sech^2(sp) sigmoid(z)
    = n / (n + 2) + 4 z w (w + 1) / (n + 2)^2``.  z is capped at 22 inside ``w`` (where
    ``tanh(softplus(z))`` is 1 to double precision), so nothing overflows, and the
    products with z take their limits at -inf, ``g(-inf) = -0`` and ``g'(-inf) = 0``,
    rather than ``-inf * 0 = NaN``.

    Examples
    --------
    >>> round(float(Mish().forward(np.array(1.0))), 6)
    0.865098
    """

    formula = "g(z) = z tanh(ln(1 + exp(z)))"
    derivative_formula = "g'(z) = tanh(sp(z)) + z sigmoid(z) (1 - tanh(sp(z))^2)"
    properties = Properties((_MISH_MIN, INF), zero_centred=True, monotonic=False, smooth=True,
                            saturating=True)

    @staticmethod
    def _parts(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(w, n, q): w = e^min(z, 22), n = w (w + 2), q = 1 / (n + 2)."""
        w = np.minimum(z, 22.0)
        np.exp(w, out=w)
        n = w + 2
        n *= w
        q = n + 2
        np.divide(1, q, out=q)
        return w, n, q

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        _, n, q = self._parts(z)
        n *= q  # tanh(softplus(z))
        return _times_vanishing(z, n, out)

    def _derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        w, n, q = self._parts(z)
        n *= q  # tanh(softplus(z))
        t = w + 1
        t *= w
        t *= q
        t *= q
        t *= 4  # sech^2(sp) sigmoid(z) = 4 w (w + 1) q^2
        # beyond 22 the term is below half an ulp of 1
        _times_vanishing(np.minimum(z, 22.0), t, t)
        return np.add(t, n, out=out)


@REGISTRY.register("softplus")
class Softplus(ActivationFunction):
    """Softplus (Dugas et al. 2001), a smooth ReLU, with PyTorch's beta and threshold.

    ``g(z) = log(1 + e^{beta z}) / beta``, and ``g(z) = z`` where ``beta z > threshold``
    (there the two differ by less than ``e^-threshold / beta``); ``g'(z) =
    sigmoid(beta z)``, and 1 above the threshold.  The derivative is evaluated from
    the output as ``sigmoid(beta z) = 1 - e^{-beta g(z)}`` (one ``expm1``).  The switch
    at ``z = threshold / beta`` is listed in ``kinks``; at the switch itself the smooth
    branch is used, as PyTorch.  The jumps there are about ``e^-threshold`` (2e-9 for
    the default), below float32 resolution when ``threshold >= 17``; only then is
    ``properties.smooth`` True.

    Parameters
    ----------
    beta : float, default 1.0
        Must be positive.
    threshold : float, default 20.0
        Must be positive.

    Examples
    --------
    >>> round(float(Softplus().forward(np.array(0.0))), 6)
    0.693147
    """

    formula = "g(z) = log(1 + exp(beta z)) / beta  (z where beta z > threshold)"
    derivative_formula = "g'(z) = sigmoid(beta z) = 1 - exp(-beta g(z))  (1 above threshold)"
    properties = Properties((0.0, INF), zero_centred=False, monotonic=True, smooth=True,
                            saturating=True)
    kinks = (20.0,)

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        self.beta = check_real(beta, "Softplus beta", 0.0, low_open=True)
        self.threshold = check_real(threshold, "Softplus threshold", 0.0, low_open=True)
        self.kinks = (self.threshold / self.beta,)
        smooth = math.exp(-self.threshold) <= float(np.finfo(np.float32).eps) / 2
        self.properties = Properties((0.0, INF), zero_centred=False, monotonic=True,
                                     smooth=smooth, saturating=True)

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        t = _scaled(z, self.beta, out)
        linear = t > self.threshold
        np.clip(t, -INF, self.threshold, out=t)
        np.exp(t, out=t)
        np.log1p(t, out=t)
        if self.beta != 1.0:
            t *= 1 / self.beta
        if linear.any():  # rare: a sparse fix is cheaper than a blend
            t[linear] = z[linear]
        return t

    def _derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        d = _scaled(a, -self.beta, out)
        np.expm1(d, out=d)
        np.negative(d, out=d)
        linear = _scaled(z, self.beta) > self.threshold
        if linear.any():
            d[linear] = 1
        return d

    def get_config(self) -> dict[str, Any]:
        return {"beta": self.beta, "threshold": self.threshold}


@REGISTRY.register("softsign")
class Softsign(ActivationFunction):
    """Softsign (Bergstra et al. 2009; Glorot & Bengio 2010).

    ``g(z) = z / (1 + |z|)``, ``g'(z) = 1 / (1 + |z|)^2``: like tanh but with
    polynomial instead of exponential saturation.

    Examples
    --------
    >>> Softsign().forward(np.array([-3.0, 1.0]))
    array([-0.75,  0.5 ])
    """

    formula = "g(z) = z / (1 + |z|)"
    derivative_formula = "g'(z) = 1 / (1 + |z|)^2"
    properties = Properties((-1.0, 1.0), zero_centred=True, monotonic=True, smooth=True,
                            saturating=True)

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        a = np.abs(z, out=out)
        a += 1
        try:  # inf / inf, at z = ±inf, is the only invalid quotient (NaN is quiet)
            with np.errstate(invalid="raise"):
                return np.divide(z, a, out=a)
        except FloatingPointError:
            np.copyto(a, np.sign(z), where=np.isinf(z))  # the limits ±1
            return a

    def _derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        d = np.abs(z, out=out)
        d += 1
        np.divide(1, d, out=d)
        d *= d  # (1 / (1 + |z|))^2 cannot overflow
        return d


@REGISTRY.register("log_sigmoid", "logsigmoid")
class LogSigmoid(ActivationFunction):
    """Log-sigmoid: ``g(z) = log sigmoid(z) = -softplus(-z)``.

    Evaluated as ``min(z, 0) - log(1 + e^{-|z|})``, stable for every z;
    ``g'(z) = sigmoid(-z) = 1 - e^{g(z)}``, evaluated as ``-expm1(a)`` from the output.

    Examples
    --------
    >>> round(float(LogSigmoid().forward(np.array(0.0))), 6)
    -0.693147
    """

    formula = "g(z) = log(1 / (1 + exp(-z))) = -log(1 + exp(-z))"
    derivative_formula = "g'(z) = sigmoid(-z) = 1 - exp(g(z))"
    properties = Properties((-INF, 0.0), zero_centred=False, monotonic=True, smooth=True,
                            saturating=True)

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        a = np.abs(z, out=out)
        np.negative(a, out=a)
        np.exp(a, out=a)
        np.log1p(a, out=a)
        np.subtract(np.clip(z, -INF, 0), a, out=a)
        return a

    def _derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        d = np.expm1(a, out=out)
        np.negative(d, out=d)
        return d


@REGISTRY.register("softmax")
class Softmax(ActivationFunction):
    """Softmax over the last axis (each row a sample): ``a_i = e^{z_i} / sum_j e^{z_j}``.

    Vector-valued: its Jacobian is ``diag(a) - a a^T``, so ``backward`` is the
    vector-Jacobian product ``a * (grad - sum(grad * a))`` and each row of the result
    sums to zero; ``derivative`` raises TypeError.  Computed from ``z - max(z)`` so no
    exponential overflows.

    Examples
    --------
    >>> np.round(Softmax().forward(np.array([1.1, 2.2, 0.2, -1.7])), 3)
    array([0.224, 0.672, 0.091, 0.014])
    """

    formula = "g(z)_i = exp(z_i) / sum_j exp(z_j)"
    derivative_formula = "dg_i/dz_j = g_i (1[i = j] - g_j)"
    properties = Properties((0.0, 1.0), zero_centred=False, monotonic=True, smooth=True,
                            saturating=True)
    elementwise = False

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        inf_rows = _minus_row_max(z, out)
        np.exp(out, out=out)
        out /= out.sum(axis=-1, keepdims=True)
        if inf_rows is not None:
            out[inf_rows] = _softmax_at_plus_inf(z[inf_rows])
        return out

    def _backward(self, z: np.ndarray, a: np.ndarray, grad: np.ndarray,
                  out: np.ndarray) -> np.ndarray:
        np.multiply(grad, a, out=out)
        np.subtract(grad, out.sum(axis=-1, keepdims=True), out=out)
        out *= a
        return out


def _minus_row_max(z: np.ndarray, out: np.ndarray) -> np.ndarray | None:
    """Write z - max(z) over the last axis into ``out`` (all entries <= 0); return the
    mask of the rows whose maximum is +inf, or None when there are none.

    In a row holding +inf, ``z - max`` is ``inf - inf = NaN``; the caller writes that
    row's limit instead (:func:`_softmax_at_plus_inf`).  Such rows are found for free:
    ``inf - inf`` is the only invalid operation here (a NaN input propagates quietly),
    so the subtraction runs with ``invalid="raise"`` and only the rare call that raises
    looks for them.  ``-finfo.max - finfo.max`` overflows to ``-inf``, whose exponential
    is the exact 0, so that overflow is harmless and silenced.
    """
    row_max = z.max(axis=-1, keepdims=True)
    try:
        with np.errstate(over="ignore", invalid="raise"):
            np.subtract(z, row_max, out=out)
        return None
    except FloatingPointError:  # a row holding +inf (or only -inf: no limit, NaN)
        with np.errstate(over="ignore", invalid="ignore"):
            np.subtract(z, row_max, out=out)
        inf_rows = row_max[..., 0] == INF
        return inf_rows if inf_rows.any() else None


def _softmax_at_plus_inf(rows: np.ndarray) -> np.ndarray:
    """Softmax of rows whose maximum is +inf: its limit, 1 at the +inf and 0 elsewhere,
    when the row holds one +inf; NaN when it holds several (no limit: it depends on how
    they grow).  PyTorch gives NaN for both."""
    hits = rows == INF
    limit = hits.astype(rows.dtype)
    limit[hits.sum(axis=-1) > 1] = np.nan
    return limit


@REGISTRY.register("log_softmax")
class LogSoftmax(ActivationFunction):
    """Log-softmax over the last axis: ``a_i = z_i - log sum_j e^{z_j}``.

    Computed as ``(z - m) - log sum_j e^{z_j - m}`` with ``m = max(z)``.  Its
    vector-Jacobian product is ``grad - softmax(z) * sum(grad)`` with
    ``softmax(z) = e^a``; ``derivative`` raises TypeError.

    Examples
    --------
    >>> np.round(np.exp(LogSoftmax().forward(np.array([1.1, 2.2, 0.2, -1.7]))), 3)
    array([0.224, 0.672, 0.091, 0.014])
    """

    formula = "g(z)_i = z_i - log sum_j exp(z_j)"
    derivative_formula = "dg_i/dz_j = 1[i = j] - softmax(z)_j"
    properties = Properties((-INF, 0.0), zero_centred=False, monotonic=True, smooth=True,
                            saturating=True)
    elementwise = False

    def _forward(self, z: np.ndarray, training: bool, out: np.ndarray) -> np.ndarray:
        inf_rows = _minus_row_max(z, out)
        lse = np.exp(out).sum(axis=-1, keepdims=True)
        np.log(lse, out=lse)
        out -= lse
        if inf_rows is not None:  # the log of softmax's limit: 0 at the +inf, -inf elsewhere
            with np.errstate(divide="ignore"):
                out[inf_rows] = np.log(_softmax_at_plus_inf(z[inf_rows]))
        return out

    def _backward(self, z: np.ndarray, a: np.ndarray, grad: np.ndarray,
                  out: np.ndarray) -> np.ndarray:
        softmax = np.exp(a, out=out)
        softmax *= grad.sum(axis=-1, keepdims=True)
        np.subtract(grad, softmax, out=softmax)
        return softmax
