"""The training step's buffers: reused from step to step, and invisible in the results.

``fit`` trains inside ``Sequential.workspace()``, where every layer writes its batch
arrays (z, a, deltas, the loss gradient) into buffers it keeps.  These tests pin what
that must not change (numbers, inference, arrays handed to the caller outside a
workspace) and what it must achieve (no batch array made anew per step).
"""

from __future__ import annotations

import numpy as np
import pytest

from neuronlab import losses, optim
from neuronlab.layers import Activation, Dense, Dropout
from neuronlab.network import MLP, Sequential
from neuronlab.train import Callback, Trainer, backprop, fit, n_correct, targets

RNG = np.random.default_rng(0)


def _data(n=64, d=8, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)).astype(np.float32), rng.integers(0, k, n)


def _net(activation="relu", output="softmax", seed=0, dropout=0.0):
    return MLP([8, 16, 16, 3], activation=activation, output=output, dropout=dropout,
               init="he_normal", seed=seed)


def _batch_arrays(model: Sequential) -> dict[str, np.ndarray]:
    """Every batch-shaped array the layers hold after a step, by a readable name."""
    found = {}
    for i, layer in enumerate(model.layers):
        inner = getattr(layer, "dense", None)  # a Maxout's pieces
        for name, owner in ((f"{i}", layer), (f"{i}.dense", inner)):
            for attr in ("a_prev", "delta", "z", "a", "mask", "argmax"):
                value = getattr(owner, attr, None)
                if isinstance(value, np.ndarray):
                    found[f"{name}.{attr}"] = value
    return found


class _BufferProbe(Callback):
    """Holds every layer array of the previous step; records those that are new buffers.

    Holding the old arrays means a new allocation cannot reuse the freed block, so a
    buffer counted as reused really is the same one.
    """

    def __init__(self):
        self.previous: dict[str, np.ndarray] | None = None
        self.fresh: set[str] = set()
        self.steps = 0

    def on_step_end(self, trainer, epoch, batch):
        now = _batch_arrays(trainer.model)
        now.update({f"{p.name}{i}.grad": p.grad
                    for i, p in enumerate(trainer.model.parameters())})
        if self.previous is not None and batch > 0:
            self.steps += 1
            self.fresh |= {k for k, v in now.items()
                           if not np.shares_memory(v, self.previous[k])}
        self.previous = now


@pytest.mark.parametrize(("activation", "output", "dropout"),
                         [("relu", "softmax", 0.0), ("tanh", "sigmoid", 0.0),
                          ("leaky_relu", "identity", 0.0), ("sigmoid", "softmax", 0.25),
                          ("maxout", "softmax", 0.0)])
def test_a_training_step_makes_no_batch_array_anew(activation, output, dropout):
    X, labels = _data()
    y = labels if output == "softmax" else np.eye(3, dtype=np.float32)[labels]
    model = _net(activation, output, dropout=dropout)
    probe = _BufferProbe()
    fit(model, X, y, epochs=2, batch_size=16, seed=0, verbose=False, callbacks=[probe])
    assert probe.steps >= 5
    assert probe.fresh == set()


def test_training_in_a_workspace_gives_the_same_bits_as_without():
    X, labels = _data()
    plain, buffered = _net(seed=3), _net(seed=3)
    loss = losses.get("cross_entropy")
    fused = losses.fused(plain.output_activation, loss)
    Y = targets(plain, loss, labels, len(X))
    for step in range(3):
        x, y = X[16 * step:16 * (step + 1)], Y[16 * step:16 * (step + 1)]
        value, a = backprop(plain, loss, x, y, fused=fused)
        with buffered.workspace():
            value_b, a_b = backprop(buffered, loss, x, y, fused=fused)
            assert value_b == value
            np.testing.assert_array_equal(a_b, a)
            for p, q in zip(plain.parameters(), buffered.parameters(), strict=True):
                np.testing.assert_array_equal(q.grad, p.grad)
                p.value -= 0.1 * p.grad
                q.value -= 0.1 * q.grad


def test_inside_a_workspace_training_passes_reuse_and_inference_does_not():
    net = Sequential([Dense(2, 3, seed=0), Activation("relu")])
    x = np.ones((4, 2), np.float32)
    with net.workspace():
        first = net.forward(x, training=True)
        assert net.forward(x, training=True) is first
        inference = net.forward(x)
        assert net.forward(x) is not inference
        assert not np.shares_memory(inference, first)
    assert net.forward(x, training=True) is not net.forward(x, training=True)
    assert all(layer.workspace is None for layer in net.layers)


def test_nested_workspaces_keep_the_outer_buffers():
    net = Sequential([Dense(2, 3, seed=0), Activation("tanh")])
    x = np.ones((4, 2), np.float32)
    with net.workspace():
        first = net.forward(x, training=True)
        with net.workspace():
            assert net.forward(x, training=True) is first
        assert net.forward(x, training=True) is first


def test_predict_inside_fit_is_not_aliased_by_the_buffers():
    """Validation runs predict in chunks inside fit's workspace: each chunk is its own array."""
    X, labels = _data(n=40)
    model = _net()
    with model.workspace():
        fit(model, X, labels, epochs=1, batch_size=8, seed=0, verbose=False)
        chunked = model.predict(X, batch_size=8)
    whole = model.predict(X)
    # A product of 8 rows and one of 40 rows may run different BLAS kernels (OpenBLAS's
    # Haswell kernels sum in another order), so equal bits are not promised: each
    # 16-term float32 dot product may move by about 16 u (u = 2^-24 = 6e-8) of its
    # magnitude, a few u more through three layers and the softmax; rtol 1e-5 is 100
    # times that.  Aliased buffers would instead give rows of another chunk, which
    # differ from these by far more (checked on the last line).
    np.testing.assert_allclose(chunked, whole, rtol=1e-5, atol=1e-6)
    assert np.abs(whole[:8] - whole[32:]).max() > 1e-2


def test_a_partial_last_batch_gets_its_own_buffers():
    net = Sequential([Dense(2, 3, seed=0), Activation("relu")])
    with net.workspace():
        full = net.forward(np.ones((4, 2), np.float32), training=True)
        part = net.forward(np.ones((3, 2), np.float32), training=True)
        assert part.shape == (3, 3) and not np.shares_memory(full, part)
        assert net.forward(np.ones((4, 2), np.float32), training=True) is full


def test_dropout_in_a_workspace_draws_the_same_masks():
    x = RNG.standard_normal((50, 20)).astype(np.float32)
    plain, buffered = Dropout(0.3, seed=5), Dropout(0.3, seed=5)
    buffered.workspace = {}
    for _ in range(2):
        np.testing.assert_array_equal(buffered.forward(x, training=True),
                                      plain.forward(x, training=True))
        np.testing.assert_array_equal(buffered.backward(x), plain.backward(x))


@pytest.mark.parametrize("name", losses.names())
def test_value_and_gradient_equal_the_separate_calls(name):
    loss = losses.get(name)
    logits = RNG.standard_normal((6, 4))
    if loss.from_logits or name in ("mse", "mae", "huber"):
        y_pred = logits
    else:
        y_pred = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y_true = np.eye(4)[RNG.integers(0, 4, 6)]
    out = np.empty_like(y_pred)
    value, gradient = loss.value_and_gradient(y_pred, y_true, out=out)
    assert gradient is out
    # the base class derives it from value() and gradient(); softmax cross-entropy derives
    # those from it (test_losses checks each loss against PyTorch), so compare the out=
    # path with a fresh result too
    fresh_value, fresh_gradient = loss.value_and_gradient(y_pred, y_true)
    assert value == fresh_value
    np.testing.assert_array_equal(gradient, fresh_gradient)
    assert value == pytest.approx(loss.value(y_pred, y_true), rel=1e-12)
    np.testing.assert_array_equal(gradient, loss.gradient(y_pred, y_true))


def test_l2_penalty_adds_to_the_weight_gradients():
    X, labels = _data(n=16)
    model = _net()
    loss = losses.get("cross_entropy")
    Y = targets(model, loss, labels, len(X))
    trainer = Trainer(model, loss, optim.get("sgd", model.parameters()), None, l2=0.5)
    trainer.step(X, Y)
    with_l2 = [W.grad.copy() for W in trainer.decayed]
    Trainer(model, loss, trainer.optimizer, None).step(X, Y)
    for W, g in zip(trainer.decayed, with_l2, strict=True):
        np.testing.assert_allclose(g, W.grad + 0.5 / len(X) * W.value, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
def test_the_epoch_accuracy_counts_as_n_correct(output):
    """fit's per-step count (arg-max labels taken once per fit) matches n_correct."""
    X, labels = _data(n=50)
    y = labels if output == "softmax" else (labels[:, None] == np.arange(3)).astype(float)
    model = _net(output=output)
    loss = losses.get("cross_entropy" if output == "softmax" else "binary_cross_entropy")
    Y = targets(model, loss, y, len(X))
    counted = []

    class Record(Callback):
        def on_step_end(self, trainer, epoch, batch):
            rows = Y[10 * batch:10 * (batch + 1)]
            counted.append(n_correct(trainer.model.layers[-1].a, rows,
                                     single_label=output == "softmax"))

    history = fit(model, X, y, epochs=1, batch_size=10, shuffle=False, verbose=False,
                  callbacks=[Record()])
    assert 0 < sum(counted) < 50
    assert history["accuracy"][0] == pytest.approx(sum(counted) / 50)
