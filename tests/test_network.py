"""Whole networks: the builder, gradients by finite differences and against PyTorch,
and the delta rule on a network small enough to write out by hand."""

import math

import numpy as np
import pytest
import torch

from neuronlab import activations, losses
from neuronlab.gradcheck import check_network
from neuronlab.layers import Activation, Dense, Maxout
from neuronlab.network import MLP, Sequential
from neuronlab.train import backprop
from reference import BATTERY_ARGUMENTS, TORCH

RNG = np.random.default_rng(42)
HIDDEN = [n for n in activations.names() if activations.REGISTRY.cls(n).elementwise]


def _targets(loss_name, n, k, rng):
    if loss_name in ("cross_entropy", "softmax_cross_entropy"):
        return np.eye(k)[rng.integers(0, k, n)]
    if "binary" in loss_name:
        return rng.integers(0, 2, (n, k)).astype(float)
    return rng.standard_normal((n, k))


OUTPUT_FOR = {"cross_entropy": "softmax", "softmax_cross_entropy": None,
              "binary_cross_entropy": "sigmoid", "binary_cross_entropy_with_logits": None}


def test_mlp_builder_shapes_and_repr():
    net = MLP([64, 128, 128, 10], activation="relu", output="softmax", init="he_normal", seed=0)
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == ["Dense", "Activation", "Dense", "Activation", "Dense", "Activation"]
    assert (net.n_inputs, net.n_outputs) == (64, 10)
    assert "relu" in repr(net)
    out = net.forward(np.zeros((3, 64)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.sum(axis=1), 1, rtol=1e-6)


def test_mlp_per_layer_activations_and_maxout():
    net = MLP([5, 4, 6, 2], activation=["tanh", "maxout"], output=None, seed=0)
    assert isinstance(net.layers[2], Maxout) and net.n_outputs == 2
    assert net.layers[1].fn.name == "tanh"
    assert net.forward(np.ones((2, 5))).shape == (2, 2)


def test_same_seed_same_network():
    a, b = MLP([3, 5, 2], seed=7), MLP([3, 5, 2], seed=7)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.value, q.value)
    assert not np.array_equal(MLP([3, 5, 2], seed=8).parameters()[0].value,
                              a.parameters()[0].value)


@pytest.mark.parametrize("sizes, error, match", [
    ([3], ValueError, "sizes must be"),
    ([3, 0, 2], ValueError, r"sizes\[1\] must be an integer >= 1, got 0"),
    ([3, 4.5, 2], TypeError, r"sizes\[1\] must be an integer, got float"),
    ([3, True, 2], TypeError, r"sizes\[1\] must be an integer, got bool")])
def test_mlp_rejects_bad_sizes(sizes, error, match):
    with pytest.raises(error, match=match):
        MLP(sizes)


def test_mlp_rejects_unknown_activation_with_closest_match():
    with pytest.raises(ValueError, match=r"unknown activation 'rleu'.*'relu'.*Known: identity"):
        MLP([3, 4, 2], activation="rleu")


def test_predict_checks_feature_count():
    with pytest.raises(ValueError, match=r"X has 4 features but the model expects 3"):
        MLP([3, 4, 2]).predict(np.zeros((2, 4)))


@pytest.mark.parametrize(("x", "error", "message"), [
    ([[0.0, np.nan, 1.0]], ValueError, r"X contains NaN or infinity \(first at row 0, column 1\)"),
    ([[0.0, 1.0, -np.inf]], ValueError, r"first at row 0, column 2"),
    ([[0.0, 1j, 1.0]], TypeError, r"X must be numeric, got dtype complex128"),
    ([[0.0, 1.0, 1e39]], ValueError, r"X\[0, 2\] = 1e\+39 is beyond the range of float32"),
    ([0.0, 1.0, 2.0], ValueError, r"X must be 2-D"),
])
def test_predict_validates_as_fit_does(x, error, message):
    # before, predict checked the shape only: NaN rows gave NaN outputs, complex input lost
    # its imaginary part with a mere warning, 1e39 became inf in the float32 cast
    with pytest.raises(error, match=message):
        MLP([3, 4, 2], seed=0).predict(np.array(x))


@pytest.mark.parametrize(("batch_size", "error", "message"), [
    (True, TypeError, "batch_size must be an integer, got bool True"),
    (False, TypeError, "batch_size must be an integer, got bool False"),
    (2.5, TypeError, "batch_size must be an integer, got float 2.5"),
    (0, ValueError, "batch_size must be an integer >= 1, got 0"),
    (-3, ValueError, "batch_size must be an integer >= 1, got -3"),
])
def test_predict_refuses_a_batch_size_that_is_not_a_positive_integer(batch_size, error,
                                                                     message):
    # before, True was taken as batches of one row, 0 failed inside range() and 2.5
    # with "'float' object cannot be interpreted as an integer", naming no parameter
    with pytest.raises(error, match=message):
        MLP([3, 4, 2], seed=0).predict(np.zeros((5, 3)), batch_size=batch_size)


def test_predict_takes_numpy_integers_as_batch_size():
    net = MLP([3, 4, 2], seed=0)
    x = np.random.default_rng(0).normal(size=(7, 3))
    # chunks of 3 against one batch: the products differ in shape, so compare within a
    # few float32 roundings of the outputs (probabilities <= 1)
    np.testing.assert_allclose(net.predict(x, batch_size=np.int64(3)), net.predict(x),
                               rtol=0, atol=4 * np.finfo(np.float32).eps)


@pytest.mark.parametrize("activation", HIDDEN)
def test_gradcheck_every_activation(activation):
    net = MLP([3, 5, 4, 3], activation=activation, output="softmax", dtype="float64", seed=1,
              **BATTERY_ARGUMENTS.get(activation, {}))
    x = RNG.standard_normal((4, 3))
    y = np.eye(3)[[0, 2, 1, 2]]
    result = check_network(net, x, y, rtol=1e-5, atol=1e-7)
    assert result, result


@pytest.mark.parametrize("loss_name", ["mse", "mae", "huber", "cross_entropy",
                                       "softmax_cross_entropy", "binary_cross_entropy",
                                       "binary_cross_entropy_with_logits"])
def test_gradcheck_every_loss(loss_name):
    output = OUTPUT_FOR.get(loss_name, "identity")
    net = MLP([3, 6, 3], activation="tanh", output=output, dtype="float64", seed=2)
    x = RNG.standard_normal((5, 3))
    y = _targets(loss_name, 5, 3, np.random.default_rng(3))
    result = check_network(net, x, y, loss=loss_name, rtol=1e-5, atol=1e-7)
    assert result, result


def test_delta_rule_written_out_by_hand():
    """2 inputs -> 2 sigmoid hidden units -> 2 linear outputs, one sample, the loss
    J = (1/2)(1/K) sum_k (y_hat_k - y_k)^2 (MSE with the lecture's factor 1/2)."""
    x, y = [1.0, 0.5], [1.0, 0.0]
    W1, b1 = [[0.1, 0.3], [0.2, 0.4]], [0.0, 0.1]
    W2, b2 = [[0.5, -0.2], [0.6, 0.1]], [0.05, 0.0]
    K = 2
    sig = lambda t: 1 / (1 + math.exp(-t))  # noqa: E731
    # forward: z_j = sum_i x_i W1_ij + b1_j ; h_j = sig(z_j) ; y_hat_k = sum_j h_j W2_jk + b2_k
    z = [x[0] * W1[0][j] + x[1] * W1[1][j] + b1[j] for j in range(2)]
    h = [sig(zj) for zj in z]
    y_hat = [h[0] * W2[0][k] + h[1] * W2[1][k] + b2[k] for k in range(2)]
    # output layer: e_k = dJ/dy_hat_k ; identity output so delta2_k = e_k
    delta2 = [(y_hat[k] - y[k]) / K for k in range(2)]
    dW2 = [[h[j] * delta2[k] for k in range(2)] for j in range(2)]
    # hidden layer: e_j = sum_k W2_jk delta2_k ; delta1_j = sig'(z_j) e_j = h_j (1 - h_j) e_j
    e1 = [W2[j][0] * delta2[0] + W2[j][1] * delta2[1] for j in range(2)]
    delta1 = [h[j] * (1 - h[j]) * e1[j] for j in range(2)]
    dW1 = [[x[i] * delta1[j] for j in range(2)] for i in range(2)]

    net = Sequential([Dense(2, 2, dtype="float64"), Activation("sigmoid"),
                      Dense(2, 2, dtype="float64")], dtype="float64")
    for layer, W, b in ((net.layers[0], W1, b1), (net.layers[2], W2, b2)):
        layer.W.value[...] = W
        layer.b.value[...] = b
    backprop(net, losses.get("mse", half=True), np.array([x]), np.array([y]))
    np.testing.assert_allclose(net.layers[2].W.grad, dW2, rtol=1e-12)
    np.testing.assert_allclose(net.layers[2].b.grad, delta2, rtol=1e-12)
    np.testing.assert_allclose(net.layers[0].W.grad, dW1, rtol=1e-12)
    np.testing.assert_allclose(net.layers[0].b.grad, delta1, rtol=1e-12)


def test_config_round_trip_rebuilds_the_architecture():
    net = MLP([4, 6, 5, 3], activation=["leaky_relu", "maxout"], dropout=0.1, seed=0)
    rebuilt = Sequential.from_config(net.get_config())
    assert repr(rebuilt) == repr(net)
    with pytest.raises(ValueError, match="unknown layer 'conv'"):
        Sequential.from_config({"layers": [{"type": "conv", "config": {}}]})


# -- against PyTorch autograd on the same weights ---------------------------------------
TORCH_LOSS = {
    "mse": lambda out, y, F: F.mse_loss(out, y),
    "cross_entropy": lambda out, y, F: -(y * out.log()).sum(dim=1).mean(),
    "binary_cross_entropy": lambda out, y, F: F.binary_cross_entropy(out, y),
}


def _torch_forward(net, x, torch):
    """The same network in torch, built layer by layer from neuronlab's weights."""
    weights, a = [], torch.tensor(x)
    for layer in net.layers:
        if isinstance(layer, Dense):
            W = torch.tensor(layer.W.value, requires_grad=True)
            b = torch.tensor(layer.b.value, requires_grad=True)
            weights += [W, b]
            a = a @ W + b
        else:
            a = TORCH[layer.fn.name](a, layer.fn)
    return a, weights


# rrelu and prelu draw or learn their slopes: tested against torch in test_activations;
# the battery's formula (BATTERY_ARGUMENTS) goes through torch ops term by term
@pytest.mark.parametrize("activation", [n for n in HIDDEN if n not in ("rrelu", "prelu")
                                        and TORCH[n] is not None])
@pytest.mark.parametrize("loss_name", list(TORCH_LOSS))
def test_network_gradients_equal_torch_autograd(activation, loss_name):
    output = {"mse": None, "cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}[
        loss_name]
    net = MLP([4, 6, 5, 3], activation=activation, output=output, dtype="float64", seed=4,
              **BATTERY_ARGUMENTS.get(activation, {}))
    rng = np.random.default_rng(5)
    x = rng.standard_normal((7, 4))
    y = _targets(loss_name, 7, 3, rng)
    value, _ = backprop(net, losses.get(loss_name), x, y,
                        fused=losses.fused(net.output_activation, losses.get(loss_name)))
    out, weights = _torch_forward(net, x, torch)
    reference = TORCH_LOSS[loss_name](out, torch.tensor(y), torch.nn.functional)
    reference.backward()
    np.testing.assert_allclose(value, reference.item(), rtol=1e-10)
    for p, w in zip(net.parameters(), weights, strict=True):
        # torch's heaviside has no backward: weights below a step layer get no grad (= 0)
        expected = w.grad.numpy() if w.grad is not None else np.zeros_like(p.grad)
        np.testing.assert_allclose(p.grad, expected, rtol=1e-7, atol=1e-12)


def test_seed_makes_random_activations_reproducible():
    x = np.random.default_rng(0).standard_normal((20, 3))
    runs = [MLP([3, 8, 2], activation="rrelu", seed=1).forward(x, training=True)
            for _ in range(2)]
    np.testing.assert_array_equal(runs[0], runs[1])


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
@pytest.mark.parametrize("setting", ["bias_init", "dropout", "alpha"])
def test_mlp_refuses_non_finite_settings(setting, value):
    # before, MLP(..., bias_init=nan) was accepted and trained NaN from the first step
    activation = "leaky_relu" if setting == "alpha" else "relu"
    with pytest.raises(ValueError, match="must be a finite number"):
        MLP([3, 4, 2], activation=activation, **{setting: value})
