"""Losses: PyTorch references, finite differences, extremes, the fused pairing, the registry."""

from __future__ import annotations

import math
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from neuronlab import activations, losses

# What kind of data each loss takes: every registered loss must be listed here.
KIND = {
    "mse": "regression",
    "mae": "regression",
    "huber": "regression",
    "binary_cross_entropy": "binary_prob",
    "binary_cross_entropy_with_logits": "binary_logit",
    "cross_entropy": "categorical_prob",
    "softmax_cross_entropy": "categorical_logit",
}

# (name, hyper-parameters) covering every loss and every hyper-parameter.
CASES = [
    ("mse", {}), ("mse", {"half": True}), ("mse", {"outputs": "sum"}),
    ("mse", {"half": True, "outputs": "sum"}),
    ("mae", {}), ("mae", {"outputs": "sum"}),
    ("huber", {}), ("huber", {"delta": 0.5}), ("huber", {"delta": 0.5, "outputs": "sum"}),
    ("binary_cross_entropy", {}), ("binary_cross_entropy", {"outputs": "sum"}),
    ("binary_cross_entropy_with_logits", {}),
    ("binary_cross_entropy_with_logits", {"outputs": "sum"}),
    ("cross_entropy", {}), ("cross_entropy", {"base": 2}),
    ("softmax_cross_entropy", {}), ("softmax_cross_entropy", {"base": 2}),
]
IDS = [f"{n}-{p}" if p else n for n, p in CASES]
LN2 = math.log(2.0)


def _ln_base(params):
    return LN2 if params.get("base") == 2 else 1.0


def torch_loss(name, params, yp, yt):
    """The reference J in PyTorch (same averaging convention)."""
    if name in ENTRYWISE:  # the mean over samples of the mean (or sum) over outputs
        return torch_per_sample(name, params, yp, yt).mean()
    if name == "cross_entropy":  # from probabilities; PyTorch's log clamp at -100
        return -(yt * torch.clamp(torch.log(yp), min=-100)).sum(1).mean() / _ln_base(params)
    if name == "softmax_cross_entropy":  # PyTorch's cross_entropy takes logits
        return F.cross_entropy(yp, yt) / _ln_base(params)
    raise AssertionError(name)


def torch_value_and_grad(name, params, y_pred, y_true):
    yp = torch.tensor(y_pred, requires_grad=True)
    j = torch_loss(name, params, yp, torch.tensor(y_true))
    j.backward()
    return j.item(), yp.grad.numpy()


def _rows_softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def make_data(kind, rng, n=8, m=4, extremes=True):
    """(y_pred, y_true) in float64; with extremes for the reference comparisons."""
    if kind == "regression":
        y_true = rng.normal(0, 2, (n, m))
        y_pred = y_true + rng.normal(0, 2, (n, m))
        if extremes:
            y_pred[0] = [1e3, -1e3, 0.0, 1e-9]
            y_true[0] = [-1e3, 5.0, 0.0, 0.0]   # a residual of exactly 0
            y_pred[1, :2] = y_true[1, :2] + [1.0, -0.5]  # at huber's kinks
    elif kind == "binary_prob":
        y_pred = rng.uniform(0, 1, (n, m))
        y_true = rng.uniform(0, 1, (n, m))
        y_true[:, 0] = rng.integers(0, 2, n)
        if extremes:
            y_pred[0] = [1e-8, 1 - 1e-8, 1e-30, 0.5]
            y_pred[1] = [0.0, 1.0, 0.0, 1.0]
            y_true[1] = [0.0, 1.0, 1.0, 0.0]
    elif kind == "binary_logit":
        y_pred = rng.normal(0, 5, (n, m))
        y_true = rng.uniform(0, 1, (n, m))
        if extremes:
            y_pred[0] = [30.0, -30.0, 500.0, -500.0]
            y_pred[1] = [1e4, -1e4, 0.0, 80.0]
            y_true[1] = [0.0, 1.0, 0.5, 1.0]
    elif kind == "categorical_prob":
        y_pred = _rows_softmax(rng.normal(0, 2, (n, m)))
        y_true = np.eye(m)[rng.integers(0, m, n)]
        y_true[-2:] = _rows_softmax(rng.normal(0, 1, (2, m)))  # soft targets
        if extremes:
            # below the 1e-12 floor only where y = 0: PyTorch's autograd of log(p)
            # has no floor (and gives NaN at p = 0; exact zeros are tested below)
            y_pred[0] = [1e-10, 1 - 2e-10 - 1e-13, 1e-10, 1e-13]
            y_true[0] = [1.0, 0.0, 0.0, 0.0]
    elif kind == "categorical_logit":
        y_pred = rng.normal(0, 3, (n, m))
        y_true = np.eye(m)[rng.integers(0, m, n)]
        y_true[-2:] = _rows_softmax(rng.normal(0, 1, (2, m)))
        if extremes:
            y_pred[0] = [0.0, 500.0, -300.0, 200.0]
            y_pred[1] = [1000.0, -1000.0, 0.0, 999.0]
    else:
        raise AssertionError(kind)
    return y_pred, y_true


# ----------------------------------------------------------------------------- the catalogue


def test_every_loss_is_covered_by_the_battery():
    assert set(losses.names()) == set(KIND)
    assert {n for n, _ in CASES} == set(KIND)


@pytest.mark.parametrize("name", losses.names())
def test_declared_attributes(name):
    loss = losses.get(name)
    assert loss.name == name
    assert isinstance(loss.formula, str) and isinstance(loss.gradient_formula, str)
    assert loss.from_logits == KIND[name].endswith("logit")
    assert loss.target_kind == {"regression": "values", "binary": "binary",
                                "categorical": "labels"}[KIND[name].split("_")[0]]
    assert loss.target_kind in losses.TARGET_KINDS
    # the entry-wise losses, and only they, combine a sample's outputs by choice
    assert isinstance(loss, losses.EntrywiseLoss) == (name in ENTRYWISE)


# ----------------------------------------------------------------------------- PyTorch


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_value_and_gradient_match_pytorch_float64(name, params):
    rng = np.random.default_rng(0)
    loss = losses.get(name, **params)
    y_pred, y_true = make_data(KIND[name], rng)
    j_ref, g_ref = torch_value_and_grad(name, params, y_pred, y_true)
    assert loss.value(y_pred, y_true) == pytest.approx(j_ref, rel=1e-12, abs=1e-14)
    g = loss.gradient(y_pred, y_true)
    assert g.dtype == np.float64 and g.shape == y_pred.shape
    # PyTorch's BCE floors p (1 - p) at 1e-12 stored as float32 (9.99999996e-13)
    floored = y_pred * (1 - y_pred) < 1e-12
    if name != "binary_cross_entropy":
        floored[:] = False
    np.testing.assert_allclose(g[~floored], g_ref[~floored], rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(g, g_ref, rtol=1e-8, atol=1e-15)


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_value_and_gradient_match_pytorch_float32(name, params):
    rng = np.random.default_rng(1)
    loss = losses.get(name, **params)
    y_pred, y_true = (a.astype(np.float32) for a in make_data(KIND[name], rng))
    j_ref, g_ref = torch_value_and_grad(name, params, y_pred, y_true)
    assert loss.value(y_pred, y_true) == pytest.approx(j_ref, rel=1e-5, abs=1e-6)
    g = loss.gradient(y_pred, y_true)
    assert g.dtype == np.float32 and g.shape == y_pred.shape
    np.testing.assert_allclose(g, g_ref, rtol=1e-5, atol=1e-6 * np.abs(g_ref).max())


# ----------------------------------------------------------------------------- finite differences


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_gradient_matches_central_differences(name, params):
    rng = np.random.default_rng(2)
    loss = losses.get(name, **params)
    y_pred, y_true = make_data(KIND[name], rng, n=3, m=4, extremes=False)
    if KIND[name] == "regression":  # keep away from the kinks of |e| and huber
        e = y_pred - y_true
        e = np.where(np.abs(e) < 0.1, 0.3, e)
        e = np.where(np.abs(np.abs(e) - params.get("delta", 1.0)) < 0.1, 1.7, e)
        y_pred = y_true + e
    if KIND[name].endswith("prob"):
        y_pred = np.clip(y_pred, 0.05, 0.95)
    if KIND[name] == "categorical_prob":  # rows stay distributions (to 1e-6 once moved)
        y_pred /= y_pred.sum(axis=1, keepdims=True)
    h = 1e-6
    numeric = np.zeros_like(y_pred)
    for idx in np.ndindex(y_pred.shape):
        up, down = y_pred.copy(), y_pred.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (loss.value(up, y_true) - loss.value(down, y_true)) / (2 * h)
    np.testing.assert_allclose(loss.gradient(y_pred, y_true), numeric, rtol=1e-6, atol=1e-9)


# ----------------------------------------------------------------------------- lecture numbers


def test_lecture_cross_entropy_in_bits():
    ce = losses.get("cross_entropy", base=2)
    # target q = (0.6, 0.4), prediction (0.9, 0.1): -(0.6 log2 0.9 + 0.4 log2 0.1)
    j = ce.value(np.array([[0.9, 0.1]]), np.array([[0.6, 0.4]]))
    assert round(j, 2) == 1.42
    assert j == pytest.approx(1.4199730940219749, abs=1e-14)
    # the other order is a different number (cross-entropy is not symmetric)
    j_swapped = ce.value(np.array([[0.6, 0.4]]), np.array([[0.9, 0.1]]))
    assert j_swapped == pytest.approx(0.7954618442383218, abs=1e-14)
    # in nats it is the same times ln 2; from logits it is the same number
    assert losses.get("cross_entropy").value(
        np.array([[0.9, 0.1]]), np.array([[0.6, 0.4]])) == pytest.approx(j * LN2, abs=1e-14)
    sce = losses.get("softmax_cross_entropy", base=2)
    assert sce.value(np.log([[0.9, 0.1]]), np.array([[0.6, 0.4]])) == pytest.approx(j, abs=1e-14)


def test_lecture_mse():
    y_pred, y_true = np.array([[0.9]]), np.array([[1.0]])
    assert losses.get("mse").value(y_pred, y_true) == pytest.approx(0.01, abs=1e-15)
    assert losses.get("mse", half=True).value(y_pred, y_true) == pytest.approx(0.005, abs=1e-15)
    np.testing.assert_allclose(losses.get("mse").gradient(y_pred, y_true), [[-0.2]], atol=1e-15)
    np.testing.assert_allclose(losses.get("mse", half=True).gradient(y_pred, y_true), [[-0.1]],
                               atol=1e-15)


def test_half_mse_is_scikit_learns_squared_loss():
    base = pytest.importorskip("sklearn.neural_network._base")
    if not hasattr(base, "squared_loss"):
        pytest.skip("scikit-learn's squared_loss moved")
    rng = np.random.default_rng(3)
    y_true, y_pred = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    assert losses.get("mse", half=True).value(y_pred, y_true) == pytest.approx(
        base.squared_loss(y_true, y_pred), rel=1e-14)


def test_entrywise_losses_sum_over_outputs_on_request():
    """outputs="sum" drops the 1/m: J is m times the mean's, and so is its gradient."""
    z = np.array([[1.0, 3.0, 0.5], [0.0, -2.0, 0.25]])
    y = (z > 0) * 1.0
    for name in ENTRYWISE:
        p = 1 / (1 + np.exp(-z)) if name == "binary_cross_entropy" else z  # probabilities
        mean, total = losses.get(name), losses.get(name, outputs="sum")
        assert total.value(p, y) == pytest.approx(3 * mean.value(p, y), rel=1e-14)
        np.testing.assert_allclose(total.gradient(p, y), 3 * mean.gradient(p, y), rtol=1e-14)
    with pytest.raises(ValueError, match="outputs must be one of 'mean', 'sum'; got 'total'"):
        losses.get("binary_cross_entropy", outputs="total")


def test_regression_losses_average_over_outputs_too():
    y_pred = np.array([[1.0, 3.0], [0.0, 0.0]])
    y_true = np.zeros((2, 2))
    assert losses.get("mse").value(y_pred, y_true) == pytest.approx(10 / 4)
    assert losses.get("mae").value(y_pred, y_true) == pytest.approx(4 / 4)
    # huber, delta 1: 0.5 * 1^2 + 1 * (3 - 0.5)
    assert losses.get("huber").value(y_pred, y_true) == pytest.approx(3.0 / 4)
    np.testing.assert_allclose(losses.get("huber").gradient(y_pred, y_true),
                               [[0.25, 0.25], [0.0, 0.0]])


# ----------------------------------------------------------------------------- stability


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_at_probabilities_exactly_0_and_1(dtype):
    p = np.array([[0.0, 1.0, 0.0, 1.0]], dtype=dtype)
    y = np.array([[0.0, 1.0, 1.0, 0.0]], dtype=dtype)
    bce = losses.get("binary_cross_entropy")
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        j, g = bce.value(p, y), bce.gradient(p, y)
    assert j == pytest.approx(200 / 4)  # two entries, each clamped at -log = 100
    assert g.dtype == dtype
    np.testing.assert_allclose(g, [[0.0, 0.0, -1e12 / 4, 1e12 / 4]], rtol=1e-6)
    j_ref, g_ref = torch_value_and_grad("binary_cross_entropy", {}, p, y)
    assert j == pytest.approx(j_ref, rel=1e-6)
    np.testing.assert_allclose(g, g_ref, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("base", ["e", 2])
def test_cross_entropy_at_probabilities_exactly_0_and_1(dtype, base):
    p = np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]], dtype=dtype)
    y = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=dtype)
    ce = losses.get("cross_entropy", base=base)
    ln_b = 1.0 if base == "e" else LN2
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        j, g = ce.value(p, y), ce.gradient(p, y)
    assert j == pytest.approx(100 / 2 / ln_b, rel=1e-6)
    assert g.dtype == dtype and np.isfinite(g).all()
    np.testing.assert_allclose(g, np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1e12]]) / (2 * ln_b),
                               rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_cross_entropy_logits_hundreds_apart(dtype):
    z = np.array([[0.0, 500.0, -300.0, 200.0], [1000.0, -1000.0, 0.0, 999.0]], dtype=dtype)
    y = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]], dtype=dtype)
    sce = losses.get("softmax_cross_entropy")
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        j, g = sce.value(z, y), sce.gradient(z, y)
    # row 0 is right by a margin of 300: loss ~ e^-300; row 1: 1000 + log(1 + e^-1) - 0
    assert j == pytest.approx((1000 + math.log1p(math.exp(-1))) / 2, rel=1e-6)
    softmax = torch.softmax(torch.tensor(z, dtype=torch.float64), dim=1).numpy()
    assert g.dtype == dtype
    np.testing.assert_allclose(g, (softmax - y) / 2, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(g[1], [1 / (1 + math.exp(-1)) / 2, 0, -0.5,
                                      math.exp(-1) / (1 + math.exp(-1)) / 2], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_with_logits_at_extreme_logits(dtype):
    z = np.array([[1000.0, -1000.0, 0.0, 40.0]], dtype=dtype)
    y = np.array([[0.0, 1.0, 0.5, 1.0]], dtype=dtype)
    loss = losses.get("binary_cross_entropy_with_logits")
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        j, g = loss.value(z, y), loss.gradient(z, y)
    assert j == pytest.approx((2000 + math.log(2)) / 4, rel=1e-6)
    assert g.dtype == dtype
    np.testing.assert_allclose(g, [[0.25, -0.25, 0.0, -math.exp(-40) / 4]], rtol=1e-5,
                               atol=1e-17)


def test_fused_gradient_is_softmax_minus_one_hot_over_n():
    rng = np.random.default_rng(4)
    n, m = 16, 5
    z = rng.normal(0, 10, (n, m))
    y = np.eye(m)[rng.integers(0, m, n)]
    g = losses.get("softmax_cross_entropy").gradient(z, y)
    softmax = torch.softmax(torch.tensor(z), dim=1).numpy()
    np.testing.assert_allclose(g, (softmax - y) / n, rtol=1e-14, atol=1e-17)
    # and sigmoid - y over the n m entries for the binary one
    y01 = rng.integers(0, 2, (n, m)).astype(float)
    g = losses.get("binary_cross_entropy_with_logits").gradient(z, y01)
    np.testing.assert_allclose(g, (torch.sigmoid(torch.tensor(z)).numpy() - y01) / (n * m),
                               rtol=1e-14, atol=1e-17)


# ----------------------------------------------------------------------------- fused pairing


FUSED = {("softmax", "cross_entropy"): "softmax_cross_entropy",
         ("sigmoid", "binary_cross_entropy"): "binary_cross_entropy_with_logits"}


@pytest.mark.parametrize("act", activations.names())
@pytest.mark.parametrize("loss", losses.names())
def test_fused_pairing_table(act, loss):
    expected = FUSED.get((act, loss))
    got = losses.fused(activations.get(act), losses.get(loss))
    assert (got.name if got is not None else None) == expected
    assert losses.fused(act, loss) == got  # names work too
    if got is not None:
        assert got.from_logits


def test_fused_without_output_activation_is_none():
    assert losses.fused(None, "cross_entropy") is None


@pytest.mark.parametrize("outputs", ["mean", "sum"])
def test_fused_binary_cross_entropy_carries_the_outputs(outputs):
    got = losses.fused("sigmoid", losses.get("binary_cross_entropy", outputs=outputs))
    assert got == losses.get("binary_cross_entropy_with_logits", outputs=outputs)


def test_fused_pairs_classes_not_names():
    """The pairing is declared by class: a loss that only looks like a cross-entropy by
    its name does not fuse, and the paired loss of each output follows the table."""

    class Lookalike(losses.MSE):
        name = "cross_entropy"

    assert losses.fused("softmax", Lookalike()) is None
    assert {act: losses.paired_loss(act) for act in ("softmax", "sigmoid", "tanh")} == {
        "softmax": "cross_entropy", "sigmoid": "binary_cross_entropy", "tanh": "mse"}


@pytest.mark.parametrize("base", ["e", 2])
def test_fused_softmax_cross_entropy_carries_the_base(base):
    got = losses.fused(activations.get("softmax"), losses.get("cross_entropy", base=base))
    assert got == losses.get("softmax_cross_entropy", base=base)


@pytest.mark.parametrize(("act", "loss", "params"), [
    ("softmax", "cross_entropy", {}), ("softmax", "cross_entropy", {"base": 2}),
    ("sigmoid", "binary_cross_entropy", {}),
    ("sigmoid", "binary_cross_entropy", {"outputs": "sum"})])
def test_fused_equals_activation_then_loss(act, loss, params):
    """Value and delta of the fused loss on z equal loss(g(z)) and g'(z) * dJ/da."""
    rng = np.random.default_rng(5)
    z = rng.normal(0, 2, (6, 3))
    y = np.eye(3)[rng.integers(0, 3, 6)] if act == "softmax" else rng.uniform(0, 1, (6, 3))
    g, ell = activations.get(act), losses.get(loss, **params)
    f = losses.fused(g, ell)
    a = g.forward(z)
    assert f.value(z, y) == pytest.approx(ell.value(a, y), rel=1e-12)
    np.testing.assert_allclose(f.gradient(z, y), g.backward(z, a, ell.gradient(a, y)),
                               rtol=1e-9, atol=1e-15)


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("name", losses.names())
def test_shape_mismatch_names_both_shapes(name):
    loss = losses.get(name)
    y_pred, y_true = np.full((3, 2), 0.5), np.full((3, 1), 0.5)
    for method in (loss.value, loss.gradient):
        with pytest.raises(ValueError, match=r"y_pred \(3, 2\) and y_true \(3, 1\)"):
            method(y_pred, y_true)
        with pytest.raises(ValueError, match=r"\(3,\)"):
            method(np.full(3, 0.5), np.full(3, 0.5))
        with pytest.raises(ValueError, match="empty"):
            method(np.zeros((0, 2)), np.zeros((0, 2)))
        with pytest.raises(TypeError, match="floating"):
            method(np.ones((3, 2), dtype=int), np.ones((3, 2)))


@pytest.mark.parametrize(("name", "hint"), [("binary_cross_entropy", "with_logits"),
                                            ("cross_entropy", "softmax_cross_entropy")])
def test_probability_losses_reject_values_outside_0_1(name, hint):
    with pytest.raises(ValueError, match=hint):
        losses.get(name).value(np.array([[1.5, -0.5]]), np.array([[1.0, 0.0]]))


def test_registry_errors():
    with pytest.raises(ValueError, match="Did you mean 'mse'"):
        losses.get("mes")
    with pytest.raises(ValueError, match="unknown loss"):
        losses.get("hinge")
    with pytest.raises(TypeError, match="existing loss"):
        losses.get(losses.get("mse"), half=True)
    with pytest.raises(TypeError):
        losses.get(3)
    with pytest.raises(TypeError, match="half"):
        losses.get("mse", half="yes")
    for delta in (0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="delta"):
            losses.get("huber", delta=delta)
    with pytest.raises(TypeError, match="huber delta must be a real number, got bool"):
        losses.get("huber", delta=True)
    for base in (1, 0, -2, "two"):
        with pytest.raises(ValueError, match="base"):
            losses.get("cross_entropy", base=base)
        with pytest.raises(ValueError, match="base"):
            losses.get("softmax_cross_entropy", base=base)
    with pytest.raises(TypeError):
        losses.get("mae", delta=1.0)  # mae has no hyper-parameters


def test_aliases_resolve():
    assert losses.get("mean_squared_error").name == "mse"
    assert losses.get("BCE").name == "binary_cross_entropy"
    assert losses.get("categorical-cross-entropy").name == "cross_entropy"


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_config_round_trip_repr_and_no_state(name, params):
    loss = losses.get(name, **params)
    assert type(loss)(**loss.get_config()) == loss
    for v in loss.get_config().values():
        assert repr(v) in repr(loss)
    before = dict(vars(loss))
    y_pred, y_true = make_data(KIND[name], np.random.default_rng(6))
    loss.value(y_pred, y_true)
    loss.gradient(y_pred, y_true)
    assert vars(loss) == before


def test_inputs_are_not_modified():
    rng = np.random.default_rng(7)
    for name, params in CASES:
        y_pred, y_true = make_data(KIND[name], rng)
        yp, yt = y_pred.copy(), y_true.copy()
        loss = losses.get(name, **params)
        loss.value(y_pred, y_true)
        g = loss.gradient(y_pred, y_true)
        np.testing.assert_array_equal(y_pred, yp)
        np.testing.assert_array_equal(y_true, yt)
        assert not np.shares_memory(g, y_pred)


def test_integer_targets_keep_float32_gradients():
    y_pred = np.full((2, 3), 1 / 3, dtype=np.float32)
    y_true = np.array([[0, 1, 0], [1, 0, 0]])
    for name, params in CASES:
        g = losses.get(name, **params).gradient(y_pred, y_true)
        assert g.dtype == np.float32


# ----------------------------------------------------------------------------- properties


@st.composite
def loss_inputs(draw):
    name, params = draw(st.sampled_from(CASES))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    width = 32 if dtype == np.float32 else 64
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5))
    kind = KIND[name]
    if kind.endswith("prob"):
        pred = st.floats(0, 1, width=width)
    elif kind.endswith("logit"):
        pred = st.floats(-1e4, 1e4, width=width)
    else:
        pred = st.floats(-1e6, 1e6, width=width)
    target = st.floats(-1e6, 1e6, width=width) if kind == "regression" \
        else st.floats(0, 1, width=width)
    y_pred = draw(hnp.arrays(dtype, shape, elements=pred))
    y_true = draw(hnp.arrays(dtype, shape, elements=target))
    if kind == "categorical_prob":  # rows of probabilities are distributions
        sums = y_pred.sum(axis=1, keepdims=True, dtype=np.float64)
        y_pred = np.where(sums > 0, y_pred / np.where(sums > 0, sums, 1),
                          1 / shape[1]).astype(dtype)
    return losses.get(name, **params), y_pred, y_true


@settings(max_examples=300, deadline=None)
@given(loss_inputs())
def test_properties_nonnegative_finite_shape_dtype(args):
    loss, y_pred, y_true = args
    with np.errstate(all="raise", under="ignore"):
        j = loss.value(y_pred, y_true)
        g = loss.gradient(y_pred, y_true)
    assert isinstance(j, float) and math.isfinite(j) and j >= 0
    assert g.shape == y_pred.shape and g.dtype == y_pred.dtype
    assert np.isfinite(g).all()


# ------------------------------------------------------------- edges (issue 12, cause 8)


def test_lecture_two_output_cost_is_half_e_transpose_e():
    # lecture 002: two outputs y_hat_1, y_hat_2, "J is still one": J = 1/2 e^T e
    # = (e_1^2 + e_2^2) / 2 with e = y_hat - y, and dJ/dy_hat = e.  mse(half=True)
    # averages over the outputs (J/2); outputs="sum" is the lecture's form.
    y_hat, y = np.array([[0.8, 0.3]]), np.array([[1.0, 0.0]])
    e = y_hat - y
    lecture = losses.get("mse", half=True, outputs="sum")
    assert lecture.value(y_hat, y) == pytest.approx((e @ e.T).item() / 2, rel=1e-15)
    assert lecture.value(y_hat, y) == pytest.approx((0.2**2 + 0.3**2) / 2, rel=1e-15)
    np.testing.assert_allclose(lecture.gradient(y_hat, y), e, rtol=1e-15)
    assert losses.get("mse", half=True).value(y_hat, y) == pytest.approx(0.065 / 2)
    # over a batch: the mean over samples of each sample's 1/2 e^T e (PyTorch: sum / n)
    rng = np.random.default_rng(0)
    y_hat, y = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    j, g = torch_value_and_grad("mse", {"half": True, "outputs": "sum"}, y_hat, y)
    assert lecture.value(y_hat, y) == pytest.approx(j, rel=1e-14)
    np.testing.assert_allclose(lecture.gradient(y_hat, y), g, rtol=1e-14)
    with pytest.raises(ValueError, match="mse outputs must be one of 'mean', 'sum'"):
        losses.get("mse", outputs="total")


@pytest.mark.parametrize("rows", [[[0.5, 0.4, 0.0]], [[0.9, 0.3, 0.1]], [[0.2, 0.2, 0.2]]])
def test_cross_entropy_refuses_rows_that_are_not_distributions(rows):
    # before, a row summing to 0.9 or 1.3 returned a number silently
    ce = losses.get("cross_entropy")
    y_pred, y_true = np.array(rows), np.array([[1.0, 0.0, 0.0]])
    for call in (ce.value, ce.gradient):
        with pytest.raises(ValueError, match=r"row 0 sums to .*normalise it"):
            call(y_pred, y_true)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_accepts_softmax_rows_with_rounding(dtype):
    rng = np.random.default_rng(0)
    p = activations.get("softmax").forward(rng.normal(0, 5, (64, 1000)).astype(dtype))
    y = np.eye(1000, dtype=dtype)[rng.integers(0, 1000, 64)]
    assert math.isfinite(losses.get("cross_entropy").value(p, y))


@pytest.mark.parametrize("base", [float("inf"), float("nan"), 1, 0])
def test_cross_entropy_base_must_be_finite_positive_and_not_one(base):
    # base=inf made log_b p = 0: a cost of 0 for every prediction, silently
    for name in ("cross_entropy", "softmax_cross_entropy"):
        with pytest.raises(ValueError, match=f"{name} base must be .*finite"):
            losses.get(name, base=base)


# ----------------------------------------------------------------------------- sample weights


#: PyTorch's per-entry costs (reduction="none") of the entry-wise losses.
ENTRYWISE = {
    "mse": lambda yp, yt, params: F.mse_loss(yp, yt, reduction="none")
    * (0.5 if params.get("half") else 1.0),
    "mae": lambda yp, yt, params: F.l1_loss(yp, yt, reduction="none"),
    "huber": lambda yp, yt, params: F.huber_loss(yp, yt, delta=params.get("delta", 1.0),
                                                 reduction="none"),
    "binary_cross_entropy": lambda yp, yt, params: F.binary_cross_entropy(
        yp, yt, reduction="none"),
    "binary_cross_entropy_with_logits": lambda yp, yt, params:
        F.binary_cross_entropy_with_logits(yp, yt, reduction="none"),
}


def torch_per_sample(name, params, yp, yt):
    """The reference J_i in PyTorch: reduction="none", then the loss's own reduction
    over the outputs (mean or sum for entry-wise losses, sum over the classes)."""
    if name in ENTRYWISE:
        per_entry = ENTRYWISE[name](yp, yt, params)
        return per_entry.sum(1) if params.get("outputs") == "sum" else per_entry.mean(1)
    if name == "cross_entropy":
        return -(yt * torch.clamp(torch.log(yp), min=-100)).sum(1) / _ln_base(params)
    if name == "softmax_cross_entropy":
        return F.cross_entropy(yp, yt, reduction="none") / _ln_base(params)
    raise AssertionError(name)


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_weighted_value_and_gradient_match_pytorch(name, params):
    """J = sum w_i J_i / sum w_i (and its gradient) against PyTorch's autograd; zero
    weights give zero gradient rows; per_sample's mean is value."""
    rng = np.random.default_rng(3)
    y_pred, y_true = make_data(KIND[name], rng)
    w = rng.integers(0, 4, len(y_pred)).astype(float)
    w[0] = 0.0  # the row of extremes counts for nothing
    loss = losses.get(name, **params)
    yp = torch.tensor(y_pred, requires_grad=True)
    per_sample = torch_per_sample(name, params, yp, torch.tensor(y_true))
    j_ref = (per_sample * torch.tensor(w)).sum() / w.sum()
    j_ref.backward()
    j, g = loss.value_and_gradient(y_pred, y_true, sample_weight=w)
    assert j == pytest.approx(j_ref.item(), rel=1e-12)
    # PyTorch's BCE floors p (1 - p) at 1e-12 stored as float32: rtol 1e-8 there, as
    # in test_value_and_gradient_match_pytorch_float64
    rtol = 1e-8 if name == "binary_cross_entropy" else 1e-10
    np.testing.assert_allclose(g, yp.grad.numpy(), rtol=rtol, atol=1e-15)
    assert not g[0].any()
    np.testing.assert_allclose(loss.per_sample(y_pred, y_true), per_sample.detach().numpy(),
                               rtol=1e-12, atol=1e-15)
    assert loss.per_sample(y_pred, y_true).mean() == pytest.approx(
        loss.value(y_pred, y_true), rel=1e-12)


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_unit_weights_change_nothing_float32(name, params):
    rng = np.random.default_rng(4)
    y_pred, y_true = (a.astype(np.float32) for a in make_data(KIND[name], rng, extremes=False))
    loss = losses.get(name, **params)
    j, g = loss.value_and_gradient(y_pred, y_true)
    jw, gw = loss.value_and_gradient(y_pred, y_true, sample_weight=np.full(len(y_pred), 2.5))
    assert gw.dtype == np.float32
    # float32 products in another order: a few ulps of float32 (2^-23 ≈ 1.2e-7)
    assert jw == pytest.approx(j, rel=1e-6)
    np.testing.assert_allclose(gw, g, rtol=1e-6, atol=1e-12)
