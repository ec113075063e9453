"""Initializers (sample moments vs the published formulas) and the gain of an activation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from neuronlab import activations, init
from neuronlab.activations import Activation, Properties

FAN_IN, FAN_OUT = 1200, 500          # not square, so the three modes differ
SHAPE = (FAN_IN, FAN_OUT)
FAN_AVG = (FAN_IN + FAN_OUT) / 2
TRUNC_VAR = stats.truncnorm(-2, 2).var()  # variance of N(0, 1) truncated at +-2 std


def _uniform(low, high):
    return {"mean": (low + high) / 2, "var": (high - low) ** 2 / 12, "bounds": (low, high)}


def _zero_mean(var, bound=None):
    return {"mean": 0.0, "var": var, "bounds": None if bound is None else (-bound, bound)}


# name, hyper-parameters, expected moments (and bounds) for a (1200, 500) weight.
CASES = [
    ("zeros", {}, {"const": 0.0}),
    ("ones", {}, {"const": 1.0}),
    ("constant", {"value": 0.7}, {"const": 0.7}),
    ("uniform", {}, _uniform(-0.05, 0.05)),
    ("uniform", {"low": 1.0, "high": 3.0}, _uniform(1.0, 3.0)),
    ("normal", {}, _zero_mean(0.05 ** 2)),
    ("normal", {"mean": 0.3, "std": 2.0}, {"mean": 0.3, "var": 4.0, "bounds": None}),
    ("truncated_normal", {"mean": 1.0, "std": 0.5},
     {"mean": 1.0, "var": 0.25 * TRUNC_VAR, "bounds": (0.0, 2.0)}),
    ("variance_scaling", {}, _zero_mean(1 / FAN_IN, 2 * math.sqrt(1 / FAN_IN / TRUNC_VAR))),
    ("variance_scaling", {"scale": 3.0, "mode": "fan_out", "distribution": "uniform"},
     _zero_mean(3 / FAN_OUT, math.sqrt(9 / FAN_OUT))),
    ("variance_scaling", {"scale": 0.5, "mode": "fan_avg", "distribution": "normal"},
     _zero_mean(0.5 / FAN_AVG)),
    ("variance_scaling", {"scale": 2.0, "mode": "fan_avg", "distribution": "truncated_normal"},
     _zero_mean(2 / FAN_AVG, 2 * math.sqrt(2 / FAN_AVG / TRUNC_VAR))),
    ("glorot_uniform", {}, _zero_mean(2 / (FAN_IN + FAN_OUT), math.sqrt(6 / (FAN_IN + FAN_OUT)))),
    ("glorot_normal", {}, _zero_mean(2 / (FAN_IN + FAN_OUT))),
    ("he_uniform", {}, _zero_mean(2 / FAN_IN, math.sqrt(6 / FAN_IN))),
    ("he_uniform", {"mode": "fan_out"}, _zero_mean(2 / FAN_OUT, math.sqrt(6 / FAN_OUT))),
    ("he_normal", {}, _zero_mean(2 / FAN_IN)),
    ("he_normal", {"mode": "fan_out"}, _zero_mean(2 / FAN_OUT)),
    ("lecun_uniform", {}, _zero_mean(1 / FAN_IN, math.sqrt(3 / FAN_IN))),
    ("lecun_normal", {}, _zero_mean(1 / FAN_IN)),
    ("legacy_uniform", {}, _zero_mean(1 / (3 * FAN_IN), 1 / math.sqrt(FAN_IN))),
    # orthonormal columns: the squares sum to FAN_OUT over FAN_IN * FAN_OUT entries
    ("orthogonal", {}, _zero_mean(1 / FAN_IN)),
    ("orthogonal", {"gain": 2.0}, _zero_mean(4 / FAN_IN)),
]
IDS = [f"{n}-{p}" if p else n for n, p, _ in CASES]


def rng(seed=0):
    return np.random.default_rng(seed)


def test_every_initializer_is_covered():
    assert {n for n, _, _ in CASES} == set(init.names())


@pytest.mark.parametrize(("name", "params", "expected"), CASES, ids=IDS)
def test_sample_moments_match_the_formula(name, params, expected):
    w = init.get(name, **params)(SHAPE, rng(), np.float64)
    assert w.shape == SHAPE
    if "const" in expected:
        np.testing.assert_array_equal(w, np.full(SHAPE, expected["const"]))
        return
    std = math.sqrt(expected["var"])
    assert abs(w.mean() - expected["mean"]) < 0.02 * std
    assert w.var() == pytest.approx(expected["var"], rel=0.02)
    if expected["bounds"] is not None:
        lo, hi = expected["bounds"]
        assert w.min() >= lo - 1e-12 and w.max() <= hi + 1e-12
        assert w.min() < lo + 0.01 * (hi - lo) and w.max() > hi - 0.01 * (hi - lo)


def test_presets_are_variance_scaling():
    """Each preset draws exactly what VarianceScaling with its (scale, mode, distribution) draws."""
    presets = {"glorot_uniform": (1.0, "fan_avg", "uniform"),
               "glorot_normal": (1.0, "fan_avg", "normal"),
               "he_uniform": (2.0, "fan_in", "uniform"), "he_normal": (2.0, "fan_in", "normal"),
               "lecun_uniform": (1.0, "fan_in", "uniform"),
               "lecun_normal": (1.0, "fan_in", "normal"),
               "legacy_uniform": (1 / 3, "fan_in", "uniform")}
    for name, args in presets.items():
        np.testing.assert_array_equal(init.get(name)((30, 20), rng()),
                                      init.VarianceScaling(*args)((30, 20), rng()))
    # he with relu's gain: gain("relu") ** 2 is He's scale 2
    np.testing.assert_allclose(
        init.VarianceScaling(init.gain("relu") ** 2, "fan_in", "normal")((30, 20), rng()),
        init.get("he_normal")((30, 20), rng()), rtol=1e-12)


def test_glorot_normal_is_the_published_rule_not_std_one_over_fan_avg():
    w = init.get("glorot_normal")((300, 100), rng(), np.float64)
    assert w.std() == pytest.approx(math.sqrt(2 / 400), rel=0.02)
    assert w.std() > 10 * (1 / 200)


def test_legacy_uniform_is_pytorchs_linear_default():
    torch = pytest.importorskip("torch")
    layer = torch.nn.Linear(400, 50)  # weight (out, in), U(-1/sqrt(in), 1/sqrt(in))
    bound = 1 / math.sqrt(400)
    assert float(layer.weight.detach().abs().max()) <= bound
    w = init.get("legacy_uniform")((400, 50), rng(), np.float64)
    assert abs(w).max() <= bound and abs(w).max() > 0.99 * bound


@pytest.mark.parametrize(("mean", "std"), [(0.0, 1.0), (-3.0, 0.01)])
def test_truncated_normal_within_two_std_with_the_truncated_variance(mean, std):
    w = init.get("truncated_normal", mean=mean, std=std)((1000, 600), rng(3), np.float64)
    assert w.min() >= mean - 2 * std and w.max() <= mean + 2 * std
    assert w.var() == pytest.approx(std ** 2 * 0.7737413, rel=0.02)
    assert abs(w.mean() - mean) < 0.01 * std
    # re-drawn, not clipped: the last 0.01 std holds 2 phi(2) / 0.9545 * 0.01 = 0.11 %
    # of the values (clipping would pile 4.6 % up at the bounds)
    assert 0.0005 < np.mean(np.abs(w - mean) > 1.99 * std) < 0.002


def test_keras_truncation_constant():
    assert init.TRUNCATED_STD == pytest.approx(math.sqrt(TRUNC_VAR), abs=1e-15)


# ----------------------------------------------------------------------------- orthogonal


@pytest.mark.parametrize("shape", [(64, 32), (32, 64), (50, 50), (1, 7), (7, 1)])
@pytest.mark.parametrize("gain", [1.0, 2.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_orthogonal_gram_is_identity(shape, gain, dtype):
    w = init.get("orthogonal", gain=gain)(shape, rng(1), dtype)
    assert w.shape == shape and w.dtype == dtype
    gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(min(shape)), atol=1e-5 * gain ** 2)


def test_orthogonal_sign_correction():
    """Without moving R's signs into Q, LAPACK's Q has a fixed sign pattern (W[0, 0] < 0)."""
    first = [init.get("orthogonal")((8, 4), rng(s), np.float64)[0, 0] for s in range(400)]
    assert 0.4 < np.mean(np.array(first) > 0) < 0.6


# ----------------------------------------------------------------------------- determinism, dtype


@pytest.mark.parametrize("name", init.names())
def test_same_seed_same_weights(name):
    initializer = init.get(name)
    a = initializer((40, 30), rng(7))
    np.testing.assert_array_equal(a, initializer((40, 30), rng(7)))
    b = initializer((40, 30), rng(8))
    if a.std() > 0:  # the random ones
        assert not np.array_equal(a, b)


@pytest.mark.parametrize("name", init.names())
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_dtype_and_shape_preserved(name, dtype):
    w = init.get(name)((20, 10), rng(), dtype)
    assert w.dtype == dtype and w.shape == (20, 10)
    assert init.get(name)((20, 10), rng()).dtype == np.float32  # the default


@pytest.mark.parametrize("name", init.names())
def test_float32_draw_is_the_float64_draw_rounded(name):
    w64 = init.get(name)((20, 10), rng(), np.float64)
    np.testing.assert_array_equal(init.get(name)((20, 10), rng(), np.float32),
                                  w64.astype(np.float32))


@pytest.mark.parametrize(("name", "params", "expected"), CASES, ids=IDS)
def test_config_round_trip_and_repr(name, params, expected):
    a = init.get(name, **params)
    b = type(a)(**a.get_config())
    np.testing.assert_array_equal(a((12, 9), rng(5)), b((12, 9), rng(5)))
    for v in a.get_config().values():
        assert repr(v) in repr(a)
    assert a.get_config() == b.get_config()


def test_aliases():
    assert init.get("xavier_uniform").name == "glorot_uniform"
    assert init.get("xavier_normal").name == "glorot_normal"
    assert init.get("kaiming_normal", mode="fan_out").get_config() == {"mode": "fan_out"}
    assert init.get("Kaiming-Uniform").name == "he_uniform"


# ----------------------------------------------------------------------------- errors


def test_errors_for_bad_names_and_hyper_parameters():
    with pytest.raises(ValueError, match="unknown initializer 'glorot'"):
        init.get("glorot")
    with pytest.raises(ValueError, match="Did you mean 'he_normal'"):
        init.get("he_nromal")
    with pytest.raises(ValueError, match=r"mode must be one of 'fan_in', 'fan_out'; .*'fan_in'"):
        init.get("he_normal", mode="fan_inn")
    with pytest.raises(ValueError, match="mode"):
        init.get("he_uniform", mode="fan_avg")
    with pytest.raises(ValueError, match="Did you mean 'truncated_normal'"):
        init.get("variance_scaling", distribution="truncated")
    with pytest.raises(ValueError, match="distribution must be one of 'uniform', 'normal'"):
        init.get("variance_scaling", distribution="gaussian")
    with pytest.raises(ValueError, match="mode"):
        init.VarianceScaling(1.0, "fan_sum", "normal")
    for scale in (0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="scale must be a finite number > 0"):
            init.get("variance_scaling", scale=scale)
    for scale in (True, "2"):  # not numbers: a wrong type
        with pytest.raises(TypeError, match="scale must be a real number"):
            init.get("variance_scaling", scale=scale)
    with pytest.raises(ValueError, match="low < high"):
        init.get("uniform", low=1.0, high=1.0)
    with pytest.raises(ValueError, match="std"):
        init.get("normal", std=0.0)
    with pytest.raises(ValueError, match="std"):
        init.get("truncated_normal", std=-1.0)
    with pytest.raises(ValueError, match="gain"):
        init.get("orthogonal", gain=0.0)
    with pytest.raises(ValueError, match="value"):
        init.get("constant", value=float("nan"))
    with pytest.raises(TypeError):
        init.get("glorot_uniform", mode="fan_in")  # glorot is fan_avg by definition


@pytest.mark.parametrize("name", ["glorot_uniform", "he_normal", "variance_scaling",
                                  "orthogonal", "legacy_uniform"])
def test_errors_for_bad_shapes(name):
    initializer = init.get(name)
    with pytest.raises(ValueError, match=r"\(fan_in, fan_out\)"):
        initializer((3, 4, 5), rng())
    with pytest.raises(ValueError, match=r"\(fan_in, fan_out\)"):
        initializer((3,), rng())
    with pytest.raises(ValueError, match="positive"):
        initializer((0, 5), rng())


@pytest.mark.parametrize("name", init.names())
def test_errors_for_bad_calls(name):
    initializer = init.get(name)
    with pytest.raises(ValueError, match="non-negative"):
        initializer((3, -1), rng())
    with pytest.raises(TypeError, match="tuple of integers"):
        initializer((3.0, 4), rng())
    with pytest.raises(TypeError, match="tuple of integers"):
        initializer(5, rng())
    with pytest.raises(TypeError, match="Generator"):
        initializer((3, 4), 0)
    with pytest.raises(TypeError, match="floating-point"):
        initializer((3, 4), rng(), np.int32)


def test_fans():
    assert init.fans((7, 3)) == (7, 3)
    assert init.fans([np.int64(7), 3]) == (7, 3)
    with pytest.raises(ValueError, match=r"\(fan_in, fan_out\)"):
        init.fans((7, 3, 2))


# ----------------------------------------------------------------------------- gain


class _Leaky(Activation):
    """Test-local leaky ReLU, so the gain formula is checked whatever the registry holds."""

    formula = derivative_formula = ""
    properties = Properties((-math.inf, math.inf), True, True, False, False)
    kinks = (0.0,)

    def __init__(self, alpha: float = 0.01) -> None:
        self.alpha = alpha

    def forward(self, z, training=False):
        return np.where(z > 0, z, self.alpha * z)

    def get_config(self):
        return {"alpha": self.alpha}


class _SELU(Activation):
    """Test-local SELU with the published constants (Klambauer et al. 2017)."""

    formula = derivative_formula = ""
    properties = Properties((-1.7581, math.inf), False, True, False, False)
    kinks = (0.0,)
    ALPHA, SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

    def forward(self, z, training=False):
        return self.SCALE * np.where(z > 0, z, self.ALPHA * np.expm1(np.minimum(z, 0)))


class _Threshold(Activation):
    """g(z) = 1 if z > 0.3 else 0: a discontinuity away from 0 (and off any grid)."""

    formula = derivative_formula = ""
    properties = Properties((0.0, 1.0), False, True, False, True)
    kinks = (0.3,)

    def forward(self, z, training=False):
        return (z > 0.3).astype(z.dtype)


class _SharpSoftplus(Activation):
    """softplus(50 z) / 50: smooth (no kinks declared) but nearly a ReLU."""

    formula = derivative_formula = ""
    properties = Properties((0.0, math.inf), False, True, True, False)

    def forward(self, z, training=False):
        return np.logaddexp(0, 50 * z) / 50


def _quad_gain(act):
    """1 / sqrt(E[g(z)^2]) by adaptive quadrature (scipy), split at the declared kinks."""
    act = type(act)(**act.get_config())
    act.build(1, np.dtype(np.float64))

    def integrand(z):
        a = float(act.forward(np.array([[z]]), training=False)[0, 0])
        return a * a * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    edges = [-20.0, *sorted(k for k in act.kinks if -20 < k < 20), 20.0]
    total = sum(integrate.quad(integrand, lo, hi, epsabs=1e-14, epsrel=1e-13, limit=200,
                               points=[0.0] if lo < 0 < hi else None)[0]
                for lo, hi in zip(edges[:-1], edges[1:], strict=True))
    return 1 / math.sqrt(total)


def test_gain_relu_and_identity_exact():
    assert init.gain("relu") == pytest.approx(math.sqrt(2), abs=1e-9)
    assert init.gain("identity") == pytest.approx(1.0, abs=1e-9)
    assert init.gain(activations.get("relu")) == init.gain("relu")


@pytest.mark.parametrize("alpha", [0.01, 0.2, 0.3, 1.0, 3.0])
def test_gain_leaky_relu_formula(alpha):
    expected = math.sqrt(2 / (1 + alpha ** 2))
    assert init.gain(_Leaky(alpha)) == pytest.approx(expected, abs=1e-9)
    if "leaky_relu" in activations.REGISTRY:
        assert init.gain(activations.get("leaky_relu", alpha=alpha)) == pytest.approx(
            expected, abs=1e-9)


def test_gain_selu_is_one():
    assert init.gain(_SELU()) == pytest.approx(1.0, abs=1e-3)
    assert init.gain(_SELU()) == pytest.approx(1.0, abs=1e-6)
    if "selu" in activations.REGISTRY:
        assert init.gain("selu") == pytest.approx(1.0, abs=1e-3)


def test_gain_tanh_and_sigmoid_against_independent_integration():
    assert init.gain("tanh") == pytest.approx(_quad_gain(activations.get("tanh")), abs=1e-9)
    assert init.gain("tanh") == pytest.approx(1.5925374197, abs=1e-9)  # the documented value
    assert init.gain("sigmoid") == pytest.approx(_quad_gain(activations.get("sigmoid")),
                                                 abs=1e-9)
    assert init.gain("sigmoid") == pytest.approx(1.8462285453, abs=1e-9)


def test_gain_discontinuous_and_nearly_kinked():
    # E[1(z > 0.3)] = 1 - Phi(0.3)
    assert init.gain(_Threshold()) == pytest.approx(1 / math.sqrt(stats.norm.sf(0.3)), abs=1e-10)
    # smooth but sharp: Gauss-Hermite alone is off by ~1e-5 here; the fallback is not
    assert init.gain(_SharpSoftplus()) == pytest.approx(_quad_gain(_SharpSoftplus()), abs=1e-9)


@pytest.mark.parametrize("name", activations.names())
def test_gain_of_every_registered_activation(name):
    act = activations.get(name)
    if not act.elementwise:
        with pytest.raises(ValueError, match="vector-valued"):
            init.gain(name)
        return
    g = init.gain(name)
    assert g == pytest.approx(_quad_gain(act), rel=1e-7)
    assert init.gain(act) == g


def test_gain_errors():
    with pytest.raises(ValueError, match="vector-valued"):
        init.gain("softmax")
    with pytest.raises(ValueError, match="unknown activation"):
        init.gain("relux")
    with pytest.raises(TypeError, match="Activation instance"):
        init.gain(3)
