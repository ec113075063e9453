"""The activation catalogue, tested entry by entry from the registry.

Every registered name gets: derivatives vs central finite differences (float64),
forward and backward vs PyTorch (float32 and float64), extreme and NaN inputs, its
declared properties checked numerically, and a get_config round trip.  Kinks are
pinned one by one to PyTorch's values.  Adding an activation to the registry adds it
to every parametrized test below; only ``TORCH`` needs a line (a test enforces it).
"""

from __future__ import annotations

import doctest
import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from neuronlab import activations
from neuronlab.activations import REGISTRY, SELU_ALPHA, SELU_SCALE, ActivationFunction, get, names
from neuronlab.network import MLP
from reference import TORCH, build

NAMES = names()
DTYPES = [np.float32, np.float64]

# Non-default hyper-parameters that change the maths; tested alongside the defaults.
EXTRA_CONFIGS: list[tuple[str, dict]] = [
    ("step", {"value_at_zero": 1.0}),
    ("hard_sigmoid", {"slope": 1 / 6}),
    ("hard_sigmoid", {"slope": 2.5, "offset": 0.25}),
    ("hard_tanh", {"min_val": -2.0, "max_val": 3.0}),
    ("hard_tanh", {"min_val": 0.5, "max_val": 3.0}),
    ("leaky_relu", {"alpha": 0.2}),
    ("leaky_relu", {"alpha": 0.0}),
    ("prelu", {"alpha": 0.1, "shared": False}),
    ("prelu", {"alpha": -0.5}),
    ("rrelu", {"lower": 0.1, "upper": 0.4}),
    ("elu", {"alpha": 2.0}),
    ("elu", {"alpha": 0.5}),
    ("celu", {"alpha": 2.0}),
    ("gelu", {"approximate": "tanh"}),
    ("swish", {"beta": 1.7}),
    ("swish", {"beta": 0.6, "learnable": True}),
    ("softplus", {"beta": 2.0, "threshold": 10.0}),
    ("softplus", {"beta": 0.5}),
]
CONFIGS = [(name, {}) for name in NAMES] + EXTRA_CONFIGS
CONFIG_IDS = [f"{n}{p or ''}" for n, p in CONFIGS]


def make(name: str, params: dict, z: np.ndarray) -> ActivationFunction:
    """An activation built for ``z`` (units on its last axis); per-unit slopes distinct."""
    act = build(name, **params)
    act.build(z.shape[-1], z.dtype)
    if name == "prelu" and not act.shared:
        act.weight.value[...] = np.linspace(0.05, 0.5, z.shape[-1])
    return act


def scalar_map(act: ActivationFunction) -> tuple[Callable, Callable]:
    """(g, g') as maps of one real variable, in inference mode.

    Vector-valued activations are viewed through the first output of ``[t, 0]``.
    """
    if act.elementwise:  # one unit: t as a column
        def g(t):
            return act.forward(t[:, None])[:, 0]

        def dg(t):
            z = t[:, None]
            return act.derivative(z, act.forward(z))[:, 0]
        return g, dg

    def rows(t):
        return np.stack([t, np.zeros_like(t)], axis=-1)

    def g(t):
        return act.forward(rows(t))[:, 0]

    def dg(t):
        z = rows(t)
        e = np.zeros_like(z)
        e[:, 0] = 1
        return act.backward(z, act.forward(z), e)[:, 0]
    return g, dg


# ----------------------------------------------------------------------------- grids

_rng = np.random.default_rng(20240531)
SPECIAL = [0.0, 1e-8, -1e-8, 1.0, -1.0, 20.0, -20.0, 1e3, -1e3, 1e4, -1e4]
GRID = np.unique(np.concatenate([
    SPECIAL,
    _rng.normal(0.0, 3.0, 40),
    _rng.uniform(-30.0, 30.0, 40),
    np.linspace(-7.0, 7.0, 57),
]))


def with_kinks(act: ActivationFunction, grid: np.ndarray = GRID) -> np.ndarray:
    """The grid plus each kink and points just beside it."""
    extra = [k + s for k in act.kinks for s in (0.0, -1e-3, 1e-3, -0.3, 0.3)]
    return np.unique(np.concatenate([grid, extra]))


# ------------------------------------------------------------- 1. finite differences


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_derivative_matches_central_differences(name, params):
    z = with_kinks(build(name, **params)).reshape(1, -1)
    act = make(name, params, z)
    h = 1e-6 * np.maximum(1.0, np.abs(z))
    zp, zm = z + h, z - h
    step = zp - zm  # the step actually taken
    if act.elementwise:
        a = act.forward(z)
        analytic = act.derivative(z, a)
        fp, fm = act.forward(zp), act.forward(zm)
        numeric = (fp - fm) / step
        roundoff = 4 * np.finfo(np.float64).eps * (np.abs(fp) + np.abs(fm)) / step
        near_kink = np.zeros(z.shape, dtype=bool)
        for k in act.kinks:
            near_kink |= np.abs(z - k) <= 2 * h
        error = np.abs(analytic - numeric)
        bad = ~near_kink & (error > 1e-6 * np.abs(numeric) + roundoff + 1e-300)
        assert not bad.any(), (z[bad], analytic[bad], numeric[bad])
        return
    # vector-valued: the VJP against finite differences of L(z) = sum(G * g(z))
    z = np.concatenate([np.stack([GRID[:5], GRID[-5:], GRID[60:65]]),
                        [[0.0, 1e-8, -1e-8, 1.0, -1.0], [20.0, -20.0, 1e3, -1e3, 0.5]]])
    G = np.random.default_rng(1).normal(size=z.shape)
    analytic = act.backward(z, act.forward(z), G)
    numeric, roundoff = np.empty_like(z), np.empty_like(z)
    for i, j in np.ndindex(*z.shape):  # each row is its own function: perturb row i only
        h = 1e-6 * max(1.0, abs(z[i, j]))
        zp, zm = z[i].copy(), z[i].copy()
        zp[j] += h
        zm[j] -= h
        fp, fm = G[i] * act.forward(zp), G[i] * act.forward(zm)
        numeric[i, j] = (fp.sum() - fm.sum()) / (zp[j] - zm[j])
        roundoff[i, j] = 8 * np.finfo(float).eps * (np.abs(fp).sum() + np.abs(fm).sum()) / (2 * h)
    assert (np.abs(analytic - numeric) <= 1e-6 * np.abs(numeric) + roundoff).all()


# ------------------------------------------------------------------------ 2. PyTorch


def test_every_registered_activation_has_a_torch_decision():
    assert list(TORCH) == NAMES


def _extreme_values(dtype) -> list[float]:
    big = float(np.finfo(dtype).max)
    return [1e30, -1e30, big, -big]


def _torch_input(name: str, dtype) -> np.ndarray:
    """The grid (and extremes) as a 2-D batch: rows for vector-valued activations."""
    act = build(name)
    if act.elementwise:
        return np.concatenate([with_kinks(act), _extreme_values(dtype)]).astype(dtype)[None]
    rows = np.stack([GRID[i:i + 6] for i in range(0, len(GRID) - 6, 6)])
    extreme = [[v, 0.0, -1.0, 2.0, 1e4, -1e4] for v in _extreme_values(dtype)]
    return np.concatenate([rows, extreme]).astype(dtype)


TOLERANCE = {np.float32: (1e-5, 1e-6), np.float64: (1e-6, 1e-12)}


def _assert_close_to_torch(ours: np.ndarray, theirs: np.ndarray, dtype, what: str) -> None:
    """Within tolerance where torch is finite; where torch is not (its own overflow
    on finite input), ours must still be finite or agree."""
    rtol, atol = TOLERANCE[dtype]
    assert ours.dtype == dtype, what
    torch_finite = np.isfinite(theirs)
    np.testing.assert_allclose(ours[torch_finite], theirs[torch_finite], rtol=rtol, atol=atol,
                               err_msg=what)
    assert not np.isnan(ours[~torch_finite]).any(), what


#: the configurations with a PyTorch counterpart (a None in ``TORCH`` is a declared
#: decision, enforced complete above: those are tested elsewhere, never skipped here)
TORCH_CONFIGS = [(n, p) for n, p in CONFIGS if TORCH[n] is not None]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "params"), TORCH_CONFIGS,
                         ids=[f"{n}{p or ''}" for n, p in TORCH_CONFIGS])
def test_forward_and_backward_match_torch(name, params, dtype):
    ref = TORCH[name]
    z = _torch_input(name, dtype)
    act = make(name, params, z)
    a = act.forward(z)
    G = np.random.default_rng(2).normal(size=z.shape).astype(dtype)
    x = torch.tensor(z, requires_grad=True)
    y = ref(x, act)
    _assert_close_to_torch(a, y.detach().numpy(), dtype, f"{name} forward")
    if y.requires_grad:
        y.backward(torch.tensor(G))
        delta = act.backward(z, a, G)
        _assert_close_to_torch(delta, x.grad.numpy(), dtype, f"{name} backward")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shared", [True, False])
def test_prelu_slope_gradient_matches_torch(dtype, shared):
    z = np.concatenate([GRID[:60].reshape(10, 6), [[0.0, -0.0, 1e4, -1e4, 1e30, -1e30]]])
    z = z.astype(dtype)
    G = np.random.default_rng(3).normal(size=z.shape).astype(dtype)
    act = make("prelu", {"alpha": 0.2, "shared": shared}, z)
    assert act.weight.value.shape == ((1,) if shared else (6,))
    assert act.weight.value.dtype == dtype
    delta = act.backward(z, act.forward(z), G)
    x = torch.tensor(z, requires_grad=True)
    w = torch.tensor(act.weight.value, requires_grad=True)
    F.prelu(x, w).backward(torch.tensor(G))
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(delta, x.grad.numpy(), rtol=rtol)
    assert act.weight.grad.dtype == dtype and act.weight.grad.shape == act.weight.value.shape
    np.testing.assert_allclose(act.weight.grad, w.grad.numpy(), rtol=rtol)


def test_prelu_slope_gradient_is_zero_from_z_equal_zero():
    act = get("prelu")
    z = np.array([[0.0, -0.0, 2.0]])
    act.backward(z, act.forward(z), np.ones_like(z))
    assert act.weight.grad[0] == 0.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_learnable_swish_beta_gradient_matches_torch(dtype):
    z = np.concatenate([GRID, [1e30, -1e30]]).astype(dtype).reshape(1, -1)
    G = np.random.default_rng(4).normal(size=z.shape).astype(dtype)
    act = make("swish", {"beta": 1.3, "learnable": True}, z)
    assert act.parameters() == [act.weight] and act.weight.value.dtype == dtype
    delta = act.backward(z, act.forward(z), G)
    x = torch.tensor(z, requires_grad=True)
    beta = torch.tensor(act.weight.value, requires_grad=True)
    (x * torch.sigmoid(beta * x)).backward(torch.tensor(G))
    rtol, atol = TOLERANCE[dtype]
    np.testing.assert_allclose(delta, x.grad.numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(act.weight.grad, beta.grad.numpy(), rtol=10 * rtol)
    assert get("swish").parameters() == []


# --------------------------------------------------------------- 3. extremes and NaN


def _extreme_input(act: ActivationFunction, dtype) -> np.ndarray:
    """Zeros, subnormals, huge and infinite values and the kinks: one row for an
    elementwise activation, one row per value (beside 0 and -1) for a vector-valued one
    (so no row holds two +inf or only -inf: those have no limit, see the softmax tests)."""
    info = np.finfo(dtype)
    values = [0.0, -0.0, float(info.tiny), -float(info.tiny), float(info.smallest_subnormal),
              -float(info.smallest_subnormal), 1e-8, -1e-8, 1.0, -1.0, 20.0, -20.0, 1e4, -1e4,
              *_extreme_values(dtype), np.inf, -np.inf, *act.kinks]
    if act.elementwise:
        return np.array(values, dtype=dtype).reshape(1, -1)
    rows = [[v, 0.0, -1.0] for v in values] + [[float(info.max), -float(info.max), 0.0]]
    return np.array(rows, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_extreme_inputs_no_warnings_no_nan_dtype_kept(name, params, dtype):
    z = _extreme_input(build(name, **params), dtype)
    act = make(name, params, z)
    for training in (False, True):
        a = act.forward(z, training=training)
        delta = act.backward(z, a, np.ones_like(z))
        assert a.dtype == dtype and delta.dtype == dtype
        assert a.shape == z.shape and delta.shape == z.shape
        assert not np.isnan(a).any() and not np.isnan(delta).any()
        assert np.isfinite(delta).all()
        # a result may overflow only where it truly exceeds the float range: an entry of
        # an elementwise activation, a row of a vector-valued one
        moderate = np.abs(z) <= 1e30
        if not act.elementwise:
            moderate = np.broadcast_to(moderate.all(axis=-1, keepdims=True), z.shape)
        assert moderate.any() and np.isfinite(a[moderate]).all()
        if act.elementwise:
            d = act.derivative(z, a)
            assert d.dtype == dtype and np.isfinite(d).all()
        for p in act.parameters():  # dJ/dalpha of PReLU at -inf is -inf: true, not NaN
            assert p.grad.dtype == p.value.dtype and not np.isnan(p.grad).any()
    finite = np.where(np.isfinite(z), z, 0)
    act.backward(finite, act.forward(finite), np.ones_like(z))
    for p in act.parameters():
        assert np.isfinite(p.grad).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_infinite_inputs_give_the_limits(name, params, dtype):
    """g(±inf) and g'(±inf) (softmax: the vector-Jacobian product) are the limits of g
    and g' at ±finfo.max: the same value where that is moderate, the infinity of its
    sign where it is beyond 1e30.  And PyTorch's values wherever PyTorch is not NaN
    (PyTorch gives NaN for silu(-inf), gelu(-inf), softsign(±inf), ...)."""
    big = float(np.finfo(dtype).max)
    act = build(name, **params)
    if act.elementwise:  # a column per end, so a per-unit slope is the same for inf and big
        at_inf, at_big = np.array([[np.inf, -np.inf]], dtype), np.array([[big, -big]], dtype)
    else:
        at_inf = np.array([[np.inf, 0.0, -1.0], [-1.0, np.inf, -np.inf], [-np.inf, 2.0, 0.5]],
                          dtype)
        at_big = np.where(np.isinf(at_inf), np.sign(at_inf) * big, at_inf).astype(dtype)
    act = make(name, params, at_inf)
    G = np.array([[0.5, -2.0, 3.0]] * 3, dtype)[:at_inf.shape[0], :at_inf.shape[1]]
    results = []
    for z in (at_inf, at_big):
        a = act.forward(z)
        results.append((a, act.backward(z, a, G)))
    for what, (limit, near) in zip(("forward", "backward"), zip(*results, strict=True),
                                   strict=True):
        huge = np.abs(near) > 1e30
        np.testing.assert_array_equal(limit[huge], np.copysign(np.inf, near[huge]),
                                      err_msg=f"{name} {what}")
        np.testing.assert_allclose(limit[~huge], near[~huge], rtol=1e-6, atol=1e-30,
                                   err_msg=f"{name} {what}")
    ref = TORCH[name]
    if ref is None:
        return
    x = torch.tensor(at_inf, requires_grad=True)
    y = ref(x, act)
    theirs = [y.detach().numpy()]
    if y.requires_grad:
        y.backward(torch.tensor(G))
        theirs.append(x.grad.numpy())
    rtol, atol = TOLERANCE[dtype]
    for ours, torch_value in zip(results[0], theirs, strict=False):
        defined = ~np.isnan(torch_value)
        np.testing.assert_allclose(ours[defined], torch_value[defined], rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_rows_with_no_limit_are_nan_and_leave_the_other_rows_alone(name, dtype):
    # before: every row holding +inf gave NaN, although one +inf has the limit one-hot
    z = np.array([[np.inf, 1.0, np.inf], [-np.inf, -np.inf, -np.inf], [np.inf, 1.0, 2.0],
                  [0.0, 1.0, 2.0]], dtype)
    act = get(name)
    a = act.forward(z)
    assert np.isnan(a[:2]).all()  # two +inf, or only -inf: no limit (PyTorch: NaN too)
    softmax = np.exp(a[2:]) if name == "log_softmax" else a[2:]
    np.testing.assert_allclose(softmax, [[1.0, 0.0, 0.0], [0.09003057, 0.24472847, 0.66524096]],
                               rtol=1e-6)
    delta = act.backward(z, a, np.ones_like(z))
    assert np.isnan(delta[:2]).all() and np.isfinite(delta[2:]).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_nan_in_gives_nan_out(name, dtype):
    act = build(name)
    if act.elementwise:
        z = np.array([[-2.0, np.nan, 0.0, 3.0, np.nan]], dtype=dtype)
        act.build(z.shape[-1], z.dtype)
        a = act.forward(z)
        expected = np.isnan(z)
        assert (np.isnan(a) == expected).all()
        assert (np.isnan(act.derivative(z, a)) == expected).all()
        assert (np.isnan(act.backward(z, a, np.ones_like(z))) == expected).all()
        return
    z = np.array([[1.0, np.nan, -1.0], [1.0, 2.0, 3.0]], dtype=dtype)
    a = act.forward(z)
    delta = act.backward(z, a, np.ones_like(z))
    for out in (a, delta):
        assert np.isnan(out[0]).all() and not np.isnan(out[1]).any()


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_float16_is_computed_in_float32_and_rounded_back(name, params):
    half = float(np.finfo(np.float16).max)
    values = np.concatenate([GRID[np.abs(GRID) < 1e4], [half, -half, 0.0]])
    z16 = values.astype(np.float16).reshape(2, -1)
    act = make(name, params, z16)
    a16 = act.forward(z16)
    delta16 = act.backward(z16, a16, np.ones_like(z16))
    assert a16.dtype == delta16.dtype == np.float16
    assert not np.isnan(a16).any() and not np.isnan(delta16).any()
    z32 = z16.astype(np.float32)
    with np.errstate(over="ignore"):  # selu(65504) > 65504: a true float16 overflow
        expected = act.forward(z32).astype(np.float16)
    np.testing.assert_array_equal(a16, expected)
    for p in act.parameters():
        assert p.value.dtype == p.grad.dtype == np.float16


# ---------------------------------------------------------------------------- 4. kinks

#: (name, hyper-parameters, z, g'(z)), each verified against PyTorch 2.13 autograd.
KINK_PINS = [
    ("step", {}, 0.0, 0.0),  # torch has no derivative for heaviside; 0 as torch.sign
    ("sign", {}, 0.0, 0.0),
    ("piecewise_linear", {}, -0.5, 0.0),
    ("piecewise_linear", {}, 0.5, 0.0),
    ("hard_sigmoid", {}, -2.5, 0.0),
    ("hard_sigmoid", {}, 2.5, 0.0),
    ("hard_sigmoid", {"slope": 1 / 6}, -3.0, 0.0),
    ("hard_sigmoid", {"slope": 1 / 6}, 3.0, 0.0),
    ("hard_tanh", {}, -1.0, 0.0),
    ("hard_tanh", {}, 1.0, 0.0),
    ("relu", {}, 0.0, 0.0),
    ("relu6", {}, 0.0, 0.0),
    ("relu6", {}, 6.0, 0.0),
    ("leaky_relu", {}, 0.0, 0.01),
    ("prelu", {}, 0.0, 0.25),
    ("rrelu", {}, 0.0, (1 / 8 + 1 / 3) / 2),
    ("elu", {}, 0.0, 1.0),
    ("elu", {"alpha": 2.0}, 0.0, 2.0),
    ("selu", {}, 0.0, SELU_SCALE * SELU_ALPHA),
    ("celu", {}, 0.0, 1.0),
    ("celu", {"alpha": 2.0}, 0.0, 1.0),
    ("hard_swish", {}, -3.0, 0.0),
    ("hard_swish", {}, 3.0, 1.0),
    ("softplus", {}, 20.0, 1 / (1 + math.exp(-20.0))),  # the smooth branch at the switch
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "params", "kink", "expected"), KINK_PINS,
                         ids=[f"{n}{p or ''}@{k}" for n, p, k, _ in KINK_PINS])
def test_derivative_at_kink_follows_torch(name, params, kink, expected, dtype):
    z = np.full((1, 3), kink, dtype=dtype)
    act = make(name, params, z)
    d = act.derivative(z, act.forward(z))
    np.testing.assert_allclose(d, expected, rtol=1e-7 if dtype == np.float32 else 1e-15)
    ref = TORCH[name]
    x = torch.tensor(z, requires_grad=True)
    y = None if ref is None else ref(x, act)
    if y is not None and y.requires_grad:
        y.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), expected,
                                   rtol=1e-7 if dtype == np.float32 else 1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_every_declared_kink_is_pinned(name):
    pinned = {k for n, p, k, _ in KINK_PINS if n == name and not p}
    assert set(build(name).kinks) <= pinned


def test_rrelu_kink_in_training_is_the_drawn_slope():
    act = get("rrelu", seed=0)
    z = np.zeros((2, 5))
    act.forward(z, training=True)
    d = act.derivative(z, np.zeros_like(z))
    assert ((d >= 1 / 8) & (d <= 1 / 3)).all() and len(np.unique(d)) == d.size


# ------------------------------------------------------------------- 5. lecture numbers


def test_lecture_numbers():
    sigmoid, tanh, softmax = get("sigmoid"), get("tanh"), get("softmax")
    assert round(float(sigmoid.forward(np.array(0.7))), 3) == 0.668
    z0 = np.array(0.0)
    assert float(sigmoid.derivative(z0, sigmoid.forward(z0))) == 0.25
    assert float(tanh.derivative(z0, tanh.forward(z0))) == 1.0
    a = softmax.forward(np.array([1.1, 2.2, 0.2, -1.7]))
    np.testing.assert_array_equal(np.round(a, 3), [0.224, 0.672, 0.091, 0.014])
    np.testing.assert_array_equal(get("step").forward(np.array([-1.0, 0.0, 1.0])),
                                  [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(get("hard_sigmoid").forward(np.array([-3.0, 1.0, 3.0])),
                                  [0.0, 0.7, 1.0])


# ------------------------------------------------------------ 6. softmax and log-softmax


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_input_gradient_rows_sum_to_zero(dtype):
    rng = np.random.default_rng(5)
    z = rng.normal(0, 3, size=(8, 7)).astype(dtype)
    G = rng.normal(size=z.shape).astype(dtype)
    act = get("softmax")
    delta = act.backward(z, act.forward(z), G)
    np.testing.assert_allclose(delta.sum(axis=-1), 0.0, atol=1e-6 if dtype == np.float32
                               else 1e-14)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_vector_jacobian_product_is_not_the_diagonal_approximation(name):
    rng = np.random.default_rng(6)
    z = rng.normal(size=(4, 5))
    G = rng.normal(size=z.shape)
    act = get(name)
    a = act.forward(z)
    delta = act.backward(z, a, G)
    softmax = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    diagonal = G * (softmax * (1 - softmax) if name == "softmax" else 1 - softmax)
    assert np.abs(delta - diagonal).max() > 1e-2
    jacobians = [np.diag(s) - np.outer(s, s) if name == "softmax"
                 else np.eye(len(s)) - np.outer(np.ones_like(s), s) for s in softmax]
    full = np.stack([g @ J for g, J in zip(G, jacobians, strict=True)])
    np.testing.assert_allclose(delta, full, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_vector_valued_derivative_raises_and_points_to_backward(name):
    act = get(name)
    z = np.zeros((2, 3))
    with pytest.raises(TypeError, match="backward"):
        act.derivative(z, act.forward(z))


def test_softmax_rows_sum_to_one_even_with_huge_spread():
    big = float(np.finfo(np.float64).max)
    a = get("softmax").forward(np.array([[big, -big, 0.0], [1e4, 1e4, -1e4]]))
    np.testing.assert_allclose(a, [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])


# ----------------------------------------------------------- 7. declared properties

FINE = np.linspace(-12.0, 12.0, 240_001)
WIDE = np.concatenate([-np.logspace(-3, 30, 331), np.logspace(-3, 30, 331)])
PROPERTY_GRID = np.unique(np.concatenate([FINE, WIDE]))


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_declared_properties_hold_numerically(name, params):
    act = make(name, params, np.zeros((1, 1)))
    declared = act.properties
    g, dg = scalar_map(act)
    values = g(PROPERTY_GRID)
    assert not np.isnan(values).any()

    # range: never outside, and the ends are approached
    low, high = declared.range
    assert (values >= low).all() and (values <= high).all(), (values.min(), values.max())
    if math.isfinite(low):
        assert values.min() - low <= 1e-6 * max(1.0, abs(low)), (values.min(), low)
    else:
        assert values.min() < -1e6
    if math.isfinite(high):
        assert high - values.max() <= 1e-6 * max(1.0, abs(high)), (values.max(), high)
    else:
        assert values.max() > 1e6

    # zero-centred: g(0) = 0 and both signs occur
    at_zero = float(g(np.zeros(1))[0])
    assert declared.zero_centred == (at_zero == 0 and (values > 0).any()
                                     and (values < 0).any())

    # monotonic: non-decreasing up to rounding; otherwise a clear decrease somewhere
    steps = np.diff(values)
    slack = 4 * np.spacing(np.abs(values[1:]))
    if declared.monotonic:
        assert (steps >= -slack).all()
    else:
        assert (steps < -1e-9).any()

    # smooth: no jump of g or g' at the kinks (relative to their size) or on the grid
    fine_values, fine_slopes = g(FINE), dg(FINE)
    jump_on_grid = max(np.abs(np.diff(fine_values)).max(), np.abs(np.diff(fine_slopes)).max())
    kink_jumps = []
    for k in act.kinks:
        delta = 1e-9 * max(1.0, abs(k))
        beside = np.array([k - delta, k + delta])
        for f in (g, dg):
            left, right = f(beside)
            kink_jumps.append(abs(right - left) / max(1.0, abs(left), abs(right)))
    if declared.smooth:
        assert jump_on_grid < 1e-2 and all(j < 1e-7 for j in kink_jumps), kink_jumps
    else:
        assert act.kinks and (jump_on_grid > 1e-2 or any(j > 1e-7 for j in kink_jumps))

    # saturating: g' -> 0 at one end at least
    ends = np.abs(dg(np.array([-1e8, 1e8])))
    if declared.saturating:
        assert ends.min() < 1e-8
    else:
        assert ends.min() > 1e-3


def test_docstring_examples_run():
    failures, tried = doctest.testmod(activations, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > len(NAMES) and failures == 0


def test_stable_sigmoid_helper_keeps_dtype_and_shape():
    assert activations.stable_sigmoid(np.array(0.0)) == 0.5
    out = activations.stable_sigmoid(np.array([-1e30, 0.0, 1e30], dtype=np.float32))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [0.0, 0.5, 1.0])


def test_properties_bounded_helpers():
    assert get("tanh").properties.bounded_below and get("tanh").properties.bounded_above
    assert not get("relu").properties.bounded_above and get("relu").properties.bounded_below


@pytest.mark.parametrize("name", NAMES)
def test_every_class_documents_itself(name):
    cls = REGISTRY.cls(name)
    assert cls.formula and cls.derivative_formula and cls.__doc__
    assert isinstance(cls.properties, activations.Properties)
    summary = cls.__doc__.strip().splitlines()[0]
    assert summary.endswith((".", ")")) or summary.endswith(":"), summary


# ------------------------------------------------------- 8. configuration and errors


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_get_config_round_trip(name, params):
    act = build(name, **params)
    config = act.get_config()
    assert set(params) <= set(config)
    rebuilt = type(act)(**config)
    assert rebuilt.get_config() == config
    assert build(name, **config).get_config() == config
    assert repr(rebuilt) == repr(act)
    z = GRID.reshape(1, -1)
    for g in (act, rebuilt):
        g.build(z.shape[-1], z.dtype)
    np.testing.assert_array_equal(act.forward(z), rebuilt.forward(z))


def test_repr_shows_hyper_parameters():
    assert repr(get("leaky_relu", alpha=0.2)) == "LeakyReLU(alpha=0.2)"
    assert repr(get("gelu", approximate="tanh")) == "GELU(approximate='tanh')"
    assert repr(get("prelu")) == "PReLU(alpha=0.25, shared=True)"
    assert repr(get("softplus")) == "Softplus(beta=1.0, threshold=20.0)"
    assert repr(get("relu")) == "ReLU()"


def test_aliases_and_instances():
    assert type(get("linear")) is type(get("identity"))
    assert type(get("heaviside")) is type(get("step"))
    assert type(get("logistic")) is type(get("sigmoid"))
    assert type(get("silu")) is type(get("swish"))
    act = get("elu", alpha=0.5)
    assert get(act) is act


def test_unknown_name_lists_names_and_closest_match():
    with pytest.raises(ValueError) as excinfo:
        get("rleu")
    message = str(excinfo.value)
    assert "'relu'" in message and "Did you mean" in message
    for name in NAMES:
        assert name in message


@pytest.mark.parametrize(("name", "params", "match"), [
    ("elu", {"alpha": -1.0}, "ELU alpha must be a finite number > 0"),
    ("elu", {"alpha": 0.0}, "ELU alpha"),
    ("celu", {"alpha": 0.0}, "CELU alpha"),
    ("rrelu", {"lower": 0.5, "upper": 0.1}, "lower <= upper"),
    ("rrelu", {"lower": -0.1}, "RReLU lower"),
    ("softplus", {"beta": 0.0}, "Softplus beta must be a finite number > 0"),
    ("softplus", {"beta": -2.0}, "Softplus beta"),
    ("softplus", {"threshold": -1.0}, "Softplus threshold"),
    ("gelu", {"approximate": "foo"}, "'none'.*'tanh'.*'foo'"),
    ("leaky_relu", {"alpha": -0.1}, "LeakyReLU alpha"),
    ("leaky_relu", {"alpha": math.nan}, "LeakyReLU alpha"),
    ("hard_tanh", {"min_val": 1.0, "max_val": -1.0}, "min_val < max_val"),
    ("hard_sigmoid", {"slope": 0.0}, "HardSigmoid slope"),
    ("step", {"value_at_zero": 2.0}, r"value_at_zero must be a finite number in \[0, 1\]"),
    ("swish", {"beta": -1.0}, "Swish beta"),
    ("prelu", {"alpha": math.inf}, "PReLU alpha"),
])
def test_invalid_hyper_parameters_raise_value_error(name, params, match):
    with pytest.raises(ValueError, match=match):
        get(name, **params)


@pytest.mark.parametrize(("name", "params"), [
    ("elu", {"alpha": "1"}), ("prelu", {"shared": 1}), ("swish", {"learnable": "yes"}),
    ("rrelu", {"seed": 1.5}), ("leaky_relu", {"alpha": True}),
])
def test_wrong_types_raise_type_error(name, params):
    with pytest.raises(TypeError):
        get(name, **params)


def test_unexpected_hyper_parameter_is_a_type_error():
    with pytest.raises(TypeError):
        get("relu", alpha=0.1)


def test_per_unit_prelu_needs_build_and_checks_width():
    act = get("prelu", shared=False)
    assert act.parameters() == []
    with pytest.raises(RuntimeError, match="build"):
        act.forward(np.ones((2, 3)))
    act.build(3, np.float32)
    assert act.weight.value.shape == (3,) and act.weight.value.dtype == np.float32
    assert act.parameters() == [act.weight] and act.weight.name == "alpha"
    with pytest.raises(ValueError, match="3 units"):
        act.forward(np.ones((2, 4), dtype=np.float32))


def test_shared_prelu_build_casts_in_place():
    act = get("prelu")
    weight = act.weight
    act.build(5, np.float64)
    assert act.weight is weight and weight.value.dtype == np.float64
    assert weight.value.shape == (1,) and weight.grad.dtype == np.float64


# ---------------------------------------------------------------------------- RReLU


def test_rrelu_training_draws_slopes_and_backward_uses_them():
    act = get("rrelu", lower=0.1, upper=0.3, seed=7)
    z = -np.abs(np.random.default_rng(8).normal(size=(50, 4))) - 0.1
    a = act.forward(z, training=True)
    slopes = a / z
    assert ((slopes >= 0.1) & (slopes <= 0.3)).all() and slopes.std() > 0.03
    delta = act.backward(z, a, np.ones_like(z))
    np.testing.assert_allclose(delta, slopes, rtol=1e-12)
    again = get("rrelu", lower=0.1, upper=0.3, seed=7).forward(z, training=True)
    np.testing.assert_array_equal(a, again)  # same seed, same slopes
    # inference: the mean slope, and backward forgets the drawn slopes
    a_eval = act.forward(z, training=False)
    np.testing.assert_allclose(a_eval, 0.2 * z)
    np.testing.assert_allclose(act.backward(z, a_eval, np.ones_like(z)), 0.2)


def test_rrelu_derivative_with_stale_slopes_of_another_shape_is_an_error():
    act = get("rrelu", seed=0)
    act.forward(np.ones((2, 3)), training=True)
    with pytest.raises(ValueError, match="shape"):
        act.derivative(np.ones((3, 3)), np.ones((3, 3)))


# ---------------------------------------------------------------- inputs of any kind


@pytest.mark.parametrize("name", NAMES)
def test_scalars_and_integers(name):
    act = build(name)
    a = act.forward(np.array(0.5))
    assert a.shape == () and a.dtype == np.float64
    assert act.forward(np.array([1, 2, 3])).dtype == np.float64
    assert act.forward(2.0).shape == ()
    if act.elementwise:
        assert act.derivative(np.array(0.5), a).shape == ()
    assert act.backward(np.array(0.5), a, np.array(1.0)).shape == ()


# --------------------------------------------------------------------- 9. hypothesis


def _arrays(dtype):
    info = np.finfo(dtype)
    elements = st.floats(min_value=float(-info.max), max_value=float(info.max),
                         allow_nan=False, allow_infinity=False, width=info.bits)
    return hnp.arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                      elements=elements)


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(NAMES), dtype=st.sampled_from(DTYPES), data=st.data())
def test_shape_and_dtype_preserved_for_arbitrary_arrays(name, dtype, data):
    z = data.draw(_arrays(dtype))
    act = build(name)
    act.build(z.shape[-1], z.dtype)
    a = act.forward(z)  # the conftest turns floating-point warnings into errors
    delta = act.backward(z, a, np.ones_like(z))
    assert a.shape == z.shape and a.dtype == dtype
    assert delta.shape == z.shape and delta.dtype == dtype
    assert not np.isnan(a).any() and not np.isnan(delta).any()


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from([n for n in NAMES if build(n).elementwise]),
       dtype=st.sampled_from(DTYPES), data=st.data())
def test_elementwise_activations_commute_with_reshaping(name, dtype, data):
    z = data.draw(_arrays(dtype))
    act = build(name)
    act.build(z.shape[-1], z.dtype)
    flat = z.reshape(-1)
    # equal bits are promised here: each entry goes through the same elementwise ufunc
    # loops whatever the shape (no BLAS, no sum); NumPy's SIMD loops handle short, strided
    # and transposed arrays with the same arithmetic (checked for exp, expm1, log, log1p,
    # tanh on AVX-512: size-1 and strided calls equal the contiguous ones bit for bit)
    np.testing.assert_array_equal(act.forward(z), act.forward(flat).reshape(z.shape))
    a = act.forward(z)
    np.testing.assert_array_equal(act.derivative(z, a),
                                  act.derivative(flat, a.reshape(-1)).reshape(z.shape))
    np.testing.assert_array_equal(act.forward(z.T), act.forward(z).T)


# ------------------------------------------------------------------ out= (the training path)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_out_and_fresh_results_come_from_the_same_kernel(name, params, dtype):
    """``forward(z, out=buf)`` and ``backward(..., out=buf)`` (the training loop's calls)
    against the allocating calls ``forward(z)`` and ``backward(...)``.

    Each activation has ONE kernel per operation; the allocating call runs it on
    ``np.empty_like(z)``, the out= call on ``buf``.  Same kernel, same input, same
    shape, same dtype, so the results are equal bit for bit by construction, and that
    is what is asserted: not two implementations kept equal, but the routing of both
    calls to the one kernel, which must write every entry of a buffer it is given (buf
    starts full of 7s) and return it.  NaN, infinite and huge inputs included; the
    parameter gradients too.  (The kernel's correctness is the other tests' job.)
    """
    rng = np.random.default_rng(3)
    z = (rng.standard_normal((6, 5)) * 4).astype(dtype)
    z[0, :3] = [np.nan, np.finfo(dtype).max, -np.finfo(dtype).max]
    z[1, :2] = [np.inf, -np.inf]
    grad = rng.standard_normal(z.shape).astype(dtype)
    act = make(name, params, z)
    a = act.forward(z)
    delta = act.backward(z, a, grad)
    plain_grads = [p.grad.copy() for p in act.parameters()]

    out_a, out_delta = np.full_like(z, 7.0), np.full_like(z, 7.0)
    assert act.forward(z, out=out_a) is out_a
    assert act.backward(z, out_a, grad, out=out_delta) is out_delta
    np.testing.assert_array_equal(out_a, a)
    np.testing.assert_array_equal(out_delta, delta)
    for p, before in zip(act.parameters(), plain_grads, strict=True):
        np.testing.assert_array_equal(p.grad, before)


@pytest.mark.parametrize(("name", "params"), CONFIGS, ids=CONFIG_IDS)
def test_out_may_be_an_input(name, params):
    """``out`` overlapping ``z``, ``a`` or ``grad`` (a kernel may write ``out`` before it
    has read all of its input): computed apart and copied in, as NumPy's ufuncs do.  The
    same kernel on the same shape as the plain call, hence the exact comparison."""
    rng = np.random.default_rng(4)
    z = rng.standard_normal((4, 6)) * 4
    grad = rng.standard_normal(z.shape)
    act = make(name, params, z)
    if name == "rrelu":  # inference: no fresh random slopes between the two calls
        act.forward(z)
    a = act.forward(z)
    delta = act.backward(z, a, grad)
    z_in_place = z.copy()
    assert act.forward(z_in_place, out=z_in_place) is z_in_place
    np.testing.assert_array_equal(z_in_place, a)
    for overwritten in ("z", "a", "grad"):
        inputs = {"z": z.copy(), "a": a.copy(), "grad": grad.copy()}
        result = act.backward(**inputs, out=inputs[overwritten])
        np.testing.assert_array_equal(result, delta)


def test_out_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="out has shape"):
        get("gelu").forward(np.zeros(3, np.float16), out=np.zeros(4, np.float16))


# ---------------------------------------------------------------- edges (issue 12, cause 8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mish_at_minus_infinity_is_its_limit_without_warnings(dtype):
    # before: 0 * -inf = NaN with "invalid value" warnings (errors under this suite)
    z = np.array([-np.inf, -1e30, np.inf], dtype=dtype)
    g = get("mish")
    a = g.forward(z)
    np.testing.assert_array_equal(a, [0.0, 0.0, np.inf])
    assert np.signbit(a[0])  # approached from below: -0, as PyTorch's mish(-1e30)
    np.testing.assert_array_equal(g.derivative(z, a), [0.0, 0.0, 1.0])
    reference = F.mish(torch.tensor([-1e30, 1e30], dtype=torch.float64))
    np.testing.assert_array_equal(g.forward(np.array([-1e30, 1e30])), reference.numpy())


@pytest.mark.parametrize("name", ["prelu", "swish"])
def test_learnable_slope_of_a_float64_network_is_exactly_the_given_value(name):
    # before, the shared slope was made in float32 and cast up: 0.10000000149011612
    params = {"alpha": 0.1} if name == "prelu" else {"beta": 0.1, "learnable": True}
    net64 = MLP([2, 3, 2], activation=name, dtype="float64", seed=0, **params)
    (slope,) = net64.layers[1].fn.parameters()
    assert slope.value.dtype == np.float64 and slope.value[0] == 0.1
    net32 = MLP([2, 3, 2], activation=name, seed=0, **params)
    (slope,) = net32.layers[1].fn.parameters()
    assert slope.value.dtype == np.float32 and slope.value[0] == np.float32(0.1)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_float32_gelu_far_negative_tail_is_minus_zero(approximate):
    # before: -1.4e-15 at -1e30 (the smallest subnormal erfc times z); PyTorch gives -0
    g = get("gelu", approximate=approximate)
    z = np.array([-1e30, -1e10, -20.0], dtype=np.float32)
    a = g.forward(z)
    reference = F.gelu(torch.from_numpy(z), approximate=approximate).numpy()
    np.testing.assert_array_equal(a, reference)
    assert np.all(a == 0) and np.all(np.signbit(a))
    assert np.all(g.derivative(z, a) == 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "params"), [("elu", {}), ("elu", {"alpha": 0.5}),
                                              ("selu", {}), ("celu", {"alpha": 2.0})])
def test_exponential_linear_derivatives_keep_relative_accuracy_in_the_negative_tail(
        name, params, dtype):
    # before, g'(z) = g(z) + negcoef from the output cancelled where e^z < eps: SELU'(-17.2)
    # in float32 was 1.19e-7 (exact 5.96e-8).  The reference is PyTorch's float64
    # autograd (its backward from the input); the tolerance is 4 ulps of the dtype, the
    # rounding of exp and of one product.
    z = np.array([-1.0, -5.0, -17.2, -30.0, -60.0, -80.0], dtype=dtype)
    g = get(name, **params)
    d = g.derivative(z, g.forward(z))
    t = torch.tensor(z.astype(np.float64), requires_grad=True)
    TORCH[name](t, g).sum().backward()
    exact = t.grad.numpy()
    tiny = np.finfo(dtype).tiny  # below it, float32's subnormals hold fewer digits
    keep = exact > tiny
    np.testing.assert_allclose(d[keep], exact[keep], rtol=4 * np.finfo(dtype).eps)
    assert np.all(d[~keep] <= tiny)


# ------------------------------------------------ the base class: its name and contract


def test_the_former_base_class_name_still_imports_with_a_deprecation_warning():
    # the base class was named Activation, like the layer neuronlab.Activation
    with pytest.warns(DeprecationWarning, match=r"activations\.ActivationFunction"):
        from neuronlab.activations import Activation
    assert Activation is ActivationFunction
    with pytest.warns(DeprecationWarning, match="renamed|deprecated"):
        assert activations.Activation is ActivationFunction
    with pytest.raises(AttributeError, match="no attribute 'Activatoin'"):
        activations.Activatoin  # noqa: B018


def test_a_kernel_written_without_its_out_buffer_is_refused_with_the_form_to_write():
    with pytest.raises(TypeError, match=r"def _forward\(self, z, training, out\)"):
        class OldStyle(ActivationFunction):
            def _forward(self, z, training):
                return z * 2
    with pytest.raises(TypeError, match=r"def _derivative\(self, z, a, out\)"):
        class OldDerivative(ActivationFunction):
            def _derivative(self, z, a):
                return np.ones_like(z)


class _Cube(ActivationFunction):
    """A user's activation, written as the docs show: g(z) = z^3, g'(z) = 3 z^2."""

    formula, derivative_formula = "g(z) = z^3", "g'(z) = 3 z^2"
    properties = activations.Properties((-math.inf, math.inf), zero_centred=True,
                                        monotonic=True, smooth=True, saturating=False)

    def _forward(self, z, training, out):
        return np.power(z, 3, out=out)

    def _derivative(self, z, a, out):
        np.multiply(z, z, out=out)
        out *= 3
        return out


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int64])
def test_a_user_subclass_runs_in_layers_and_against_torch(dtype):
    z = np.array([[-2, 0, 1], [3, -1, 2]], dtype=dtype)
    g = _Cube()
    a, delta = g.forward(z), g.backward(z, g.forward(z), np.ones_like(z))
    x = torch.tensor(z.astype(np.float64), requires_grad=True)
    (x ** 3).sum().backward()
    np.testing.assert_array_equal(a, z.astype(np.float64) ** 3)
    np.testing.assert_array_equal(delta, x.grad.numpy())
    out = np.empty(z.shape, dtype=a.dtype)
    assert g.forward(z, out=out) is out
    net_out = MLP([3, 4, 2], activation=[_Cube()], seed=0).predict(np.ones((2, 3)))
    assert np.isfinite(net_out).all()
