"""Mean-field maps: the gain of any activation, fixed points, chi and the edge of chaos,
``MLP(init="auto")``, and predicted vs measured per-layer variance at initialization."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neuronlab import activations, init, meanfield, propagation
from neuronlab.layers import Activation, Dense, Maxout
from neuronlab.network import MLP

FORMULA = "x / sqrt(1 + x**2)"  # a smooth, saturating, zero-centred user formula


# ----------------------------------------------------------------------------- gain


def test_gain_relu_and_identity_exact():
    assert meanfield.gain("relu") == pytest.approx(math.sqrt(2), abs=1e-9)
    assert meanfield.gain("identity") == pytest.approx(1.0, abs=1e-9)
    assert init.gain is meanfield.gain


@pytest.mark.parametrize("alpha", [0.01, 0.1, 0.3, 1.0, 2.5])
def test_gain_leaky_relu(alpha):
    expected = math.sqrt(2 / (1 + alpha ** 2))
    assert meanfield.gain(activations.get("leaky_relu", alpha=alpha)) == pytest.approx(
        expected, abs=1e-9)
    assert meanfield.gain(f"max(x, 0) + {alpha!r} * min(x, 0)") == pytest.approx(
        expected, abs=1e-9)


def test_selu_fixed_point_at_unit_weight_variance_is_one():
    assert meanfield.fixed_point("selu", 1.0) == pytest.approx(1.0, abs=1e-3)
    assert meanfield.gain("selu") == pytest.approx(1.0, abs=1e-6)
    # the same activation typed as a formula
    selu = (f"{activations.SELU_SCALE!r} * (max(x, 0) + "
            f"{activations.SELU_ALPHA!r} * min(0, exp(x) - 1))")
    assert meanfield.fixed_point(selu, 1.0) == pytest.approx(1.0, abs=1e-3)


def test_gain_of_formulas_equals_the_builtins():
    assert meanfield.gain("x * tanh(log(1 + exp(x)))") == pytest.approx(
        meanfield.gain("mish"), abs=1e-9)
    assert meanfield.gain("tanh(x)") == pytest.approx(1.5925374197, abs=1e-9)
    assert meanfield.gain("1 / (1 + exp(-x))") == pytest.approx(1.8462285453, abs=1e-9)


def test_gain_errors():
    with pytest.raises(ValueError, match="vector-valued"):
        meanfield.gain("softmax")
    with pytest.raises(ValueError, match="unknown activation 'relux'"):
        meanfield.gain("relux")
    with pytest.raises(TypeError, match="Activation instance"):
        meanfield.gain(3)


def test_maxout_gain():
    assert meanfield.maxout_gain(2) == pytest.approx(1.0, abs=1e-12)
    rng = np.random.default_rng(0)
    m3 = np.max(rng.standard_normal((400_000, 3)), axis=1)
    assert meanfield.maxout_gain(3) == pytest.approx(1 / math.sqrt(np.mean(m3 ** 2)), rel=3e-3)
    with pytest.raises(ValueError, match="maxout pieces k must be an integer >= 1"):
        meanfield.maxout_gain(0)


# ----------------------------------------------------------------------------- the maps


def test_expectations_against_closed_forms():
    assert meanfield.expectation(lambda v: v ** 4, 3.0) == pytest.approx(27.0, rel=1e-13)
    assert meanfield.second_moment("relu", 5.0) == pytest.approx(2.5, rel=1e-13)
    assert meanfield.slope_moment("relu", 7.0) == pytest.approx(0.5, rel=1e-13)
    q = np.array([0.0, 1e-6, 1.0, 1e6])
    np.testing.assert_allclose(meanfield.second_moment("identity", q), q, rtol=1e-13)
    # tanh(sqrt(q) u) for huge q is sign(u): E = 1 (Gauss-Hermite alone would not see it)
    assert meanfield.second_moment("tanh", 1e12) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match="non-negative"):
        meanfield.expectation(lambda v: v, -1.0)


def test_fixed_points_chi_and_stability():
    q = meanfield.fixed_point("tanh", 2.0, 0.3)
    assert meanfield.variance_map("tanh", q, 2.0, 0.3) == pytest.approx(q, rel=1e-10)
    assert meanfield.fixed_point("tanh", 0.9) == 0.0            # ordered: the signal dies
    assert meanfield.fixed_point("relu", 1.5) == math.inf       # sigma_w^2 / 2 > 1
    assert meanfield.fixed_point("relu", 1.3) == 0.0
    assert meanfield.fixed_point("relu", math.sqrt(2)) == 1.0   # marginal: q stays
    grid = meanfield.fixed_point("tanh", np.array([[1.5, 2.0], [2.5, 3.0]]), 0.1)
    assert grid.shape == (2, 2) and np.all(np.diff(grid.ravel()) > 0)
    assert meanfield.chi("relu", math.sqrt(2)) == pytest.approx(1.0, abs=1e-12)
    assert meanfield.chi("tanh", 1.0) == pytest.approx(1.0, abs=1e-12)  # q* = 0, tanh'(0) = 1
    assert meanfield.chi("tanh", meanfield.gain("tanh")) == pytest.approx(1.1778, abs=1e-4)
    assert meanfield.variance_slope("relu", 1.0, math.sqrt(2)) == pytest.approx(1.0, abs=1e-8)
    assert meanfield.variance_slope("tanh", 1.0, meanfield.gain("tanh")) < 1   # attracts
    assert meanfield.variance_slope("gelu", 1.0, meanfield.gain("gelu")) > 1   # repels
    with pytest.raises(ValueError, match="sigma_w must hold finite numbers >= 0"):
        meanfield.fixed_point("tanh", -1.0)


def test_edge_of_chaos_and_phase_diagram():
    edge = meanfield.edge_of_chaos("tanh", [0.0, 0.5, 1.0])
    assert edge[0] == pytest.approx(1.0, abs=1e-6)  # Poole et al. 2016
    assert np.all(np.diff(edge) > 0)
    assert meanfield.edge_of_chaos("relu", 0.0)[0] == pytest.approx(math.sqrt(2), abs=1e-6)
    rows = meanfield.phase_diagram(FORMULA, [0.5, 1.0, 2.0, 3.0], [0.0, 0.5, 1.0])
    assert len(rows) == 12
    for r in rows:
        expected = "critical" if abs(r["chi"] - 1) < 1e-9 else \
            "ordered" if r["chi"] < 1 else "chaotic"
        assert r["phase"] == expected
        if 0 < r["q_star"] < math.inf:
            assert meanfield.variance_map(FORMULA, r["q_star"], r["sigma_w"], r["sigma_b"]) \
                == pytest.approx(r["q_star"], rel=1e-9)


# ----------------------------------------------------------------------------- init="auto"


def test_mlp_auto_init_uses_the_gain_of_the_following_activation():
    net = MLP([300, 400, 400, 300, 10], activation=["tanh", "relu", FORMULA], init="auto",
              seed=0, dtype=np.float64)
    dense = [layer for layer in net.layers if isinstance(layer, Dense)]
    following = ["tanh", "relu", FORMULA]
    for layer, name in zip(dense[:3], following, strict=True):
        std = layer.W.value.std() * math.sqrt(layer.fan_in)
        assert std == pytest.approx(meanfield.gain(name), rel=0.01)
    assert dense[-1].W.value.std() * math.sqrt(300) == pytest.approx(1.0, rel=0.03)
    maxout = MLP([200, 300, 10], activation="maxout", maxout_pieces=3, init="auto", seed=0)
    assert isinstance(maxout.layers[0], Maxout)
    w = maxout.layers[0].dense.W.value
    assert w.std() * math.sqrt(200) == pytest.approx(meanfield.maxout_gain(3), rel=0.01)
    # RReLU still gets its seed from the network's generator: equal seeds, equal nets
    a, b = (MLP([8, 16, 2], activation="rrelu", init="auto", seed=3) for _ in range(2))
    assert a.layers[0].W.value.tobytes() == b.layers[0].W.value.tobytes()
    assert isinstance(a.layers[1], Activation)


# ----------------------------------------------------------------------------- propagation


def test_propagate_is_the_recursion():
    assert meanfield.propagate("relu", 4).tolist() == pytest.approx([2.0] * 4, abs=1e-12)
    q = meanfield.propagate("tanh", 30)
    assert q[0] == pytest.approx(meanfield.gain("tanh") ** 2, rel=1e-12)
    assert q[-1] == pytest.approx(1.0, abs=1e-6)  # q* = 1 attracts for tanh
    q = meanfield.propagate("relu", 3, sigma_w=1.0, sigma_b=0.5, q0=2.0)
    assert q.tolist() == pytest.approx([2.25, 1.375, 0.9375], rel=1e-12)


@pytest.mark.parametrize("activation", ["tanh", FORMULA])
def test_predicted_variance_matches_real_networks(activation):
    """Depth 20, width 1024, the mean over three seeds: within 5% at every layer."""
    predicted = meanfield.propagate(activation, 20)
    measured = np.mean([propagation.measure_propagation(activation, 20, 1024, samples=64,
                                                      seed=seed) for seed in range(3)],
                       axis=0)
    assert np.max(np.abs(measured / predicted - 1)) < 0.05


@pytest.mark.parametrize("activation", ["relu", "tanh", FORMULA])
def test_predicted_variance_matches_the_network_ensemble(activation):
    """Depth 20, width 1024, averaged over 256 networks: within 5% at every layer.

    Single ReLU networks of this size scatter by about 30% at layer 20 (Hanin &
    Rolnick: relative variance exp(5 L / n) - 1), so a handful of seeds cannot resolve
    5%; the ensemble is sampled exactly in distribution (Gram-matrix sampling), and the
    next test checks that real networks belong to it."""
    predicted = meanfield.propagate(activation, 20)
    q = meanfield.sample_propagation(activation, 20, 1024, networks=256, seed=1)
    assert np.max(np.abs(q.mean(axis=0) / predicted - 1)) < 0.05


def test_real_relu_networks_scatter_as_the_ensemble_predicts():
    predicted = meanfield.propagate("relu", 20)
    ensemble = np.log(meanfield.sample_propagation("relu", 20, 1024, networks=256,
                                                   seed=2)[:, -1] / predicted[-1])
    real = np.log([propagation.measure_propagation("relu", 20, 1024, samples=32, seed=s)[-1]
                   / predicted[-1] for s in range(3)])
    spread = ensemble.std()
    assert 0.15 < spread < 0.45  # Hanin & Rolnick: sqrt(log(1 + (exp(5 * 20/1024) - 1)))
    assert abs(real.mean() - ensemble.mean()) < 3 * spread / math.sqrt(len(real))


def test_off_the_gain_the_variance_explodes_or_vanishes_as_predicted():
    for scale in (0.7, 1.4):
        sigma_w = scale * meanfield.gain("tanh")
        predicted = meanfield.propagate("tanh", 12, sigma_w)
        measured = propagation.measure_propagation("tanh", 12, 512, sigma_w, samples=64, seed=0)
        np.testing.assert_allclose(measured, predicted, rtol=0.1)
    predicted = meanfield.propagate("relu", 10, 2.0, 0.5)
    measured = propagation.measure_propagation("relu", 10, 512, 2.0, 0.5, samples=64, seed=0)
    assert predicted[-1] > 1e3 and abs(math.log(measured[-1] / predicted[-1])) < 0.7


def test_docstring_examples_run():
    import doctest

    failures, tried = doctest.testmod(meanfield, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried >= 8 and failures == 0
