"""Diagnostics: the Monitor's numbers against a hand computation, the verdicts on
networks built to be dead, saturated, vanishing, exploding and healthy, the
``diagnose`` command, the table and the plot."""

import io as stdio
import math
import os

import numpy as np
import pytest
from rich.console import Console

from neuronlab import activations, data, diagnostics, init, io
from neuronlab.cli import main
from neuronlab.diagnostics import Monitor, layer_statistics, verdicts
from neuronlab.layers import Activation, Dense, Dropout, Maxout
from neuronlab.network import MLP, Sequential
from neuronlab.train import fit


@pytest.fixture(scope="module")
def digits():
    return data.load("digits", seed=0)


# -- the hand computation -----------------------------------------------------------------

X4 = np.array([[1.0, 2.0], [-1.0, 0.5], [0.5, -1.5], [2.0, 1.0]])
Y4 = np.array([0, 1, 1, 0])
W1 = np.array([[0.5, -1.0, 0.2], [0.3, 0.8, -0.4]])
B1 = np.array([0.1, -0.2, -10.0])  # unit 3 is far in the negative region for every sample
W2 = np.array([[1.0, -1.0], [0.5, 0.5], [-0.3, 0.7]])
B2 = np.array([0.0, 0.1])


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# g and g' written out by hand, independently of neuronlab.activations
HAND = {
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float), (0.0, 4.0)),
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z)), (0.0, 1.0)),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2, (-1.0, 1.0)),
    "swish": (lambda z: z * _sigmoid(z),
              lambda z: _sigmoid(z) + z * _sigmoid(z) * (1 - _sigmoid(z)), None),
}


def _tiny(activation):
    net = Sequential([Dense(2, 3, dtype=np.float64), Activation(activation),
                      Dense(3, 2, dtype=np.float64), Activation("softmax")], dtype=np.float64)
    for layer, W, b in ((net.layers[0], W1, B1), (net.layers[2], W2, B2)):
        layer.W.value[...] = W
        layer.b.value[...] = b
    return net


def _hand(activation, batches):
    """Every statistic of both layers over the given batches (index arrays), by hand."""
    g, dg, hist_range = HAND[activation]
    grid = np.linspace(-20, 20, 400_001)
    max_slope = np.abs(dg(grid)).max()
    Z1 = X4 @ W1 + B1
    A1 = g(Z1)
    Z2 = A1 @ W2 + B2
    P = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    Y = np.eye(2)[Y4]
    deltas1, deltas2, grads1, grads2 = [], [], [], []
    for idx in batches:
        delta2 = (P[idx] - Y[idx]) / len(idx)  # softmax + cross-entropy on the logits
        delta1 = (delta2 @ W2.T) * dg(Z1[idx])  # the delta rule
        deltas1.append(delta1)
        deltas2.append(delta2)
        grads1.append(X4[idx].T @ delta1)
        grads2.append(A1[idx].T @ delta2)
    slope = np.abs(dg(Z1))
    flat = slope <= 0.01 * max_slope
    D1 = np.concatenate(deltas1)
    hidden = {
        "act_mean": A1.mean(), "act_std": A1.std(), "slope": slope.mean(),
        "max_slope": max_slope, "saturated": np.mean(flat.mean(axis=0) >= 0.9),
        "saturation_rate": flat.mean(),
        "dead": np.mean(np.all(A1 == 0, axis=0) & np.all(D1 == 0, axis=0)),
        "delta_norm": np.sqrt(np.mean([np.sum(d * d) for d in deltas1])),
        "delta_std": D1.std(),
        "grad_norm": np.sqrt(np.mean([np.sum(d * d) for d in grads1])),
        "grad_std": np.std(grads1), "weight_norm": np.linalg.norm(W1), "weight_std": W1.std(),
    }
    output = {
        "act_mean": P.mean(), "act_std": P.std(), "dead": 0.0,
        "delta_norm": np.sqrt(np.mean([np.sum(d * d) for d in deltas2])),
        "delta_std": np.concatenate(deltas2).std(),
        "grad_norm": np.sqrt(np.mean([np.sum(d * d) for d in grads2])),
        "grad_std": np.std(grads2), "weight_norm": np.linalg.norm(W2), "weight_std": W2.std(),
    }
    if hist_range is None:
        hist_range = (float(g(grid).min()), 4.0)
    counts, _ = np.histogram(np.clip(A1[batches[-1]], *hist_range), bins=20, range=hist_range)
    return hidden, output, counts, grads1


@pytest.mark.parametrize("activation", sorted(HAND))
def test_monitor_matches_a_hand_computation(activation):
    net = _tiny(activation)
    monitor = Monitor(sample_every=1)
    # lr = 0: two steps on the same weights, batches [0, 1] and [2, 3]
    fit(net, X4, Y4, optimizer="sgd", lr=0.0, epochs=1, batch_size=2, shuffle=False,
        verbose=False, callbacks=[monitor])
    rows = monitor.table()
    assert [row["layer"] for row in rows] == [1, 2]
    assert list(rows[0]) == list(diagnostics.COLUMNS)
    hidden, output, counts, _ = _hand(activation, [np.array([0, 1]), np.array([2, 3])])
    for row, expected in ((rows[0], hidden), (rows[1], output)):
        assert (row["epoch"], row["step"], row["steps"], row["samples"], row["lr"]) == \
            (0, 2, 2, 4, 0.0)
        for key, value in expected.items():
            assert row[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
        assert row["update_ratio"] == 0.0  # lr = 0: the weights did not move
    assert rows[0]["activation"] == activation and rows[0]["units"] == 3
    assert rows[0]["hist_counts"] == counts.tolist()
    assert sum(rows[1]["hist_counts"]) == 4  # the last batch: 2 samples x 2 units
    # the output activation is bypassed by the fused loss: no slope there
    assert math.isnan(rows[1]["slope"]) and math.isnan(rows[1]["saturated"])


def test_sampled_steps_measure_distributions_and_every_step_the_norms():
    monitor = Monitor(sample_every=2)  # of the two steps, only the first is sampled
    fit(_tiny("tanh"), X4, Y4, optimizer="sgd", lr=0.0, epochs=1, batch_size=2, shuffle=False,
        verbose=False, callbacks=[monitor])
    row = monitor.table()[0]
    both, *_ = _hand("tanh", [np.array([0, 1]), np.array([2, 3])])
    first, _, first_counts, _ = _hand("tanh", [np.array([0, 1])])
    assert row["hist_counts"] == first_counts.tolist()  # the sampled batch, not the last
    A1 = np.tanh(X4[:2] @ W1 + B1)
    assert row["act_mean"] == pytest.approx(A1.mean()) and row["act_std"] == pytest.approx(A1.std())
    assert row["saturation_rate"] == pytest.approx(np.mean(1 - A1**2 <= 0.01))
    assert row["delta_std"] == pytest.approx(first["delta_std"])
    for key in ("delta_norm", "grad_norm"):  # every step
        assert row[key] == pytest.approx(both[key]) and row[key] != pytest.approx(first[key])
    assert (row["steps"], row["samples"]) == (2, 4)


def test_hand_computation_relu_specifics():
    hidden, *_ = _hand("relu", [np.arange(4)])
    assert hidden["dead"] == pytest.approx(1 / 3)  # unit 3 never fires: dead
    assert hidden["saturated"] == pytest.approx(1 / 3)  # and flat on every sample
    rows = layer_statistics(_tiny("relu"), X4, Y4)
    hidden, output, counts, _ = _hand("relu", [np.arange(4)])
    for row, expected in ((rows[0], hidden), (rows[1], output)):
        for key, value in expected.items():
            assert row[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
    assert rows[0]["hist_counts"] == counts.tolist()
    assert rows[0]["epoch"] is None and math.isnan(rows[0]["update_ratio"])


def test_update_ratio_is_the_update_actually_applied():
    net = _tiny("tanh")
    *_, grads = _hand("tanh", [np.arange(4)])
    monitor = Monitor()
    fit(net, X4, Y4, optimizer="sgd", lr=0.5, epochs=2, batch_size=4, verbose=False,
        callbacks=[monitor])
    first = monitor.table()[0]
    expected = 0.5 * np.linalg.norm(grads[0]) / np.linalg.norm(W1)  # SGD: ΔW = -lr dW
    assert first["update_ratio"] == pytest.approx(expected, rel=1e-9)
    # every step: each row's ratio is filled in once the update has happened
    monitor = Monitor(every=1)
    fit(_tiny("tanh"), X4, Y4, optimizer="adam", lr=0.01, epochs=3, batch_size=2,
        verbose=False, callbacks=[monitor])
    assert all(np.isfinite(row["update_ratio"]) and row["update_ratio"] > 0
               for row in monitor.table())


# -- the verdicts ---------------------------------------------------------------------------


def _statuses(rows):
    return [v.status for v in verdicts(rows)]


def test_relu_layer_with_large_negative_bias_is_dead(digits):
    net = MLP([64, 32, 32, 10], activation="relu", init="he_normal", bias_init=-50.0, seed=0)
    rows = layer_statistics(net, digits.X_test, digits.y_test)
    assert [row["dead"] for row in rows[:2]] == [1.0, 1.0]
    found = verdicts(rows)
    assert [v.status for v in found[:2]] == ["dead", "dead"]
    assert "bias_init=0.01" in found[0].remedy and "leaky_relu" in found[0].remedy
    assert found[0].numbers["dead"] == 1.0 and "100%" in found[0].reason
    # the monitor sees the same while training: dead units never come back
    monitor = Monitor()
    fit(net, digits.X_train, digits.y_train, lr=0.1, epochs=2, seed=0, verbose=False,
        callbacks=[monitor])
    assert _statuses(monitor.table())[:2] == ["dead", "dead"]
    # without targets the local rule (zero output and g'(z) = 0) finds them too
    assert [row["dead"] for row in layer_statistics(net, digits.X_test)[:2]] == [1.0, 1.0]


def test_sigmoid_with_large_normal_weights_is_saturated(digits):
    net = MLP([64, 32, 32, 10], activation="sigmoid", init=init.get("normal", std=100.0),
              seed=0)
    rows = layer_statistics(net, digits.X_test, digits.y_test)
    found = verdicts(rows)
    assert [v.status for v in found[:2]] == ["saturated", "saturated"]
    assert rows[0]["saturated"] > 0.9 and rows[0]["max_slope"] == pytest.approx(0.25)
    assert "Glorot" in found[0].remedy
    # ReLU units that are off on 95% of the samples (saturated, not dead) get the
    # bias/leaky remedy instead
    relu = MLP([64, 32, 10], activation="relu", init="he_normal", seed=0)
    z = digits.X_test.astype(np.float32) @ relu.layers[0].W.value
    relu.layers[0].b.value[...] = -np.quantile(z, 0.95, axis=0)
    rows = layer_statistics(relu, digits.X_test, digits.y_test)
    found = verdicts(rows)
    assert rows[0]["dead"] == 0.0 and rows[0]["saturated"] == 1.0
    assert found[0].status == "saturated" and "bias_init=0.01" in found[0].remedy


def test_deep_sigmoid_with_small_init_vanishes_in_the_lower_layers(digits):
    net = MLP([64] + [32] * 8 + [10], activation="sigmoid",
              init=init.get("normal", std=0.01), seed=0)
    rows = layer_statistics(net, digits.X_test, digits.y_test)
    found = verdicts(rows)
    assert [v.status for v in found[:4]] == ["vanishing"] * 4
    assert found[-1].status == "healthy"
    assert found[0].numbers["grad_ratio"] < 1e-3 and "tanh" in found[0].remedy
    # the lecture's factor: sigmoid near z = 0 has slope 0.25
    assert rows[3]["slope"] == pytest.approx(0.25, abs=1e-3)


def test_deep_linear_stack_with_large_weights_explodes(digits):
    net = MLP([64] + [64] * 4 + [10], activation="identity",
              init=init.get("normal", std=1.0), seed=0)
    found = verdicts(layer_statistics(net, digits.X_test, digits.y_test))
    assert found[0].status == "exploding" and found[0].numbers["delta_ratio"] > 1e3
    assert "clip_norm" in found[0].remedy


def test_he_initialized_relu_net_is_healthy(digits):
    net = MLP([64, 64, 64, 10], activation="relu", init="he_normal", seed=0)
    assert _statuses(layer_statistics(net, digits.X_test, digits.y_test)) == ["healthy"] * 3
    monitor = Monitor()
    fit(net, digits.X_train, digits.y_train, optimizer="adam", lr=1e-3, epochs=2, seed=0,
        verbose=False, callbacks=[monitor])
    assert _statuses(monitor.table()) == ["healthy"] * 3
    assert len(verdicts(monitor.table(), which="all")) == 6
    assert [v.epoch for v in verdicts(monitor.table())] == [1, 1, 1]


# -- the monitor in training ---------------------------------------------------------------


def test_every_n_steps_records_the_right_rows(digits):
    X, y = digits.X_train[:100], digits.y_train[:100]
    monitor = Monitor(every=7)
    fit(MLP([64, 16, 16, 10], seed=0), X, y, epochs=3, batch_size=10, seed=0, verbose=False,
        callbacks=[monitor])
    rows = monitor.table()
    # 30 steps: four intervals of 7 and a last one of 2, three layers each
    assert len(rows) == 5 * 3
    assert [row["step"] for row in rows[::3]] == [7, 14, 21, 28, 30]
    assert [row["steps"] for row in rows[::3]] == [7, 7, 7, 7, 2]
    assert [row["samples"] for row in rows[::3]] == [70, 70, 70, 70, 20]
    assert [row["epoch"] for row in rows[::3]] == [0, 1, 2, 2, 2]
    per_epoch = Monitor()
    fit(MLP([64, 16, 16, 10], seed=0), X, y, epochs=3, batch_size=10, seed=0, verbose=False,
        callbacks=[per_epoch])
    assert [row["step"] for row in per_epoch.table()[::3]] == [10, 20, 30]


@pytest.mark.parametrize("activation", ["rrelu", "prelu", "gelu"])
def test_monitor_does_not_change_training(digits, activation):
    X, y = digits.X_train[:300], digits.y_train[:300]

    def run(callbacks):
        params = {"seed": 3} if activation == "rrelu" else {}  # RReLU draws its slopes
        net = Sequential([Dense(64, 32, seed=0), Activation(activation, **params),
                          Dropout(0.1, seed=1), Dense(32, 10, seed=2), Activation("softmax")])
        history = fit(net, X, y, optimizer="adam", lr=1e-3, epochs=3, batch_size=32, seed=2,
                      validation_split=0.2, verbose=False, callbacks=callbacks)
        return history, [p.value.copy() for p in net.parameters()]

    plain, weights = run([])
    watched, watched_weights = run([Monitor(every=3, sample_every=1)])
    assert plain.epochs == [{**row, "time": e["time"]} for row, e in
                            zip(watched.epochs, plain.epochs, strict=True)]
    for a, b in zip(weights, watched_weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_monitor_handles_maxout_linear_output_and_divergence(digits):
    net = Sequential([Maxout(64, 16, k=3, seed=0), Dropout(0.2, seed=0), Dense(16, 8, seed=1),
                      Dense(8, 10, seed=2)])
    monitor = Monitor()
    fit(net, digits.X_train[:200], np.eye(10)[digits.y_train[:200]], loss="mse", lr=0.01,
        epochs=2, seed=0, verbose=False, callbacks=[monitor])
    rows = monitor.table()
    assert [(row["activation"], row["units"]) for row in rows[:3]] == \
        [("maxout", 16), ("identity", 8), ("identity", 10)]
    assert all(row["saturated"] == 0.0 and row["slope"] == 1.0 for row in rows)
    assert all(np.isfinite(row["grad_norm"]) for row in rows)
    # the divergence guard stops training; the monitor keeps what it saw and does not fail
    net = MLP([64, 32, 32, 10], activation="relu", output=None, init="normal", seed=0)
    monitor = Monitor()
    history = fit(net, digits.X_train, np.eye(10)[digits.y_train] * 1e3, loss="mse", lr=10.0,
                  epochs=5, seed=0, verbose=False, callbacks=[monitor])
    assert history.stop_reason == "diverged"
    assert len(monitor.table()) == 3 and monitor.table()[0]["steps"] >= 1


def test_monitor_rejects_bad_settings():
    for kwargs in ({"every": 0}, {"bins": 0}, {"sample_every": -1}):
        with pytest.raises(ValueError, match=f"Monitor {next(iter(kwargs))} must be an "
                                             f"integer >= 1"):
            Monitor(**kwargs)
    for kwargs in ({"every": 2.5}, {"sample_every": True}):  # not integers: a wrong type
        with pytest.raises(TypeError, match=f"Monitor {next(iter(kwargs))} must be an "
                                            f"integer"):
            Monitor(**kwargs)
    assert repr(Monitor(every=5)) == "Monitor(every=5, bins=20, sample_every=8)"


# -- rendering and the command line ----------------------------------------------------------


def test_print_table_shows_rows_and_verdicts(digits):
    net = MLP([64, 32, 10], activation="relu", init="he_normal", bias_init=-50.0, seed=0)
    out = stdio.StringIO()
    console = Console(file=out, width=120)
    rows = diagnostics.print_layer_table(net, digits.X_test, digits.y_test, console=console)
    text = out.getvalue()
    assert len(rows) == 2
    assert "per-layer statistics" in text and "verdicts" in text
    assert "dead" in text and "100%" in text and "bias_init=0.01" in text


def test_plot_writes_a_png(tmp_path, digits):
    import matplotlib.image

    monitor = Monitor()
    net = MLP([64, 16, 16, 10], activation="tanh", seed=0)
    fit(net, digits.X_train[:200], digits.y_train[:200], epochs=2, seed=0, verbose=False,
        callbacks=[monitor])
    out = stdio.StringIO()
    diagnostics.print_table(monitor.table(), Console(file=out, width=100))
    assert "epoch" in out.getvalue() and "tanh" in out.getvalue()
    for source, name in ((monitor, "monitor.png"),
                         (layer_statistics(net, digits.X_test, digits.y_test), "pass.png")):
        path = diagnostics.plot(source, tmp_path / name)
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
        image = matplotlib.image.imread(path)
        assert image.ndim == 3 and image.shape[0] > 100
    assert sorted(os.listdir(tmp_path)) == ["monitor.png", "pass.png"]  # no temporary left
    with pytest.raises(ValueError, match="nothing to plot"):
        diagnostics.plot([], tmp_path / "empty.png")


def test_cli_diagnose_prints_the_table_and_verdicts(tmp_path, capsys):
    iris = data.load("iris", seed=0)
    net = MLP([4, 16, 16, 3], activation="relu", init="he_normal", seed=0)
    fit(net, iris.X_train, iris.y_train, lr=0.05, epochs=5, seed=0, verbose=False)
    path = tmp_path / "iris.safetensors"
    io.save(net, path)
    assert main(["diagnose", str(path), "--data", "iris", "--samples", "20"]) == 0
    out = capsys.readouterr().out
    assert "per-layer statistics" in out and "verdicts" in out and "20 test samples" in out
    assert "relu" in out and "softmax" in out


def test_cli_diagnose_errors_are_clear(tmp_path, capsys):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a model at all")
    assert main(["diagnose", str(bad), "--data", "iris"]) == 2
    assert "cannot load" in capsys.readouterr().err
    assert main(["diagnose", str(tmp_path / "missing.safetensors"), "--data", "iris"]) == 2
    assert "missing.safetensors does not exist" in capsys.readouterr().err
    path = tmp_path / "iris.safetensors"
    io.save(MLP([4, 8, 3], seed=0), path)
    assert main(["diagnose", str(path), "--data", "digits"]) == 2
    assert "expects 4 features" in capsys.readouterr().err
    assert main(["diagnose", str(path), "--data", "iris", "--samples", "0"]) == 2
    assert "--samples" in capsys.readouterr().err


@pytest.mark.parametrize("name", activations.names())
def test_monitor_runs_for_every_registered_activation(digits, name):
    net = MLP([64, 16, 10], activation=name, seed=0)
    monitor = Monitor(sample_every=1)
    fit(net, digits.X_train[:64], digits.y_train[:64], lr=0.01, epochs=1, batch_size=16,
        seed=0, verbose=False, callbacks=[monitor])
    hidden = monitor.table()[0]
    shown = getattr(activations.get(name), "display_name", name)  # a formula: "x"
    assert hidden["activation"] == shown and hidden["steps"] == 4
    for key in ("act_mean", "act_std", "delta_norm", "grad_norm", "update_ratio"):
        assert np.isfinite(hidden[key]), key
    assert 0.0 <= hidden["dead"] <= 1.0 and sum(hidden["hist_counts"]) == 16 * 16
    if activations.get(name).elementwise:
        assert 0.0 <= hidden["saturated"] <= 1.0 and hidden["max_slope"] >= 0.0
        assert 0.0 <= hidden["slope"] <= hidden["max_slope"] + 1e-6
    else:
        assert math.isnan(hidden["saturated"])
    assert verdicts(monitor.table())[0].status in diagnostics.STATUSES


def test_a_formula_layer_is_named_by_its_label_or_expression(digits):
    labelled = Sequential([
        Dense(64, 16, seed=0), Activation(activations.get("x * sigmoid(x)", label="silu")),
        Dense(16, 16, seed=1), Activation("tanh(x)"),
        Dense(16, 10, seed=2), Activation("softmax")])
    monitor = Monitor()
    fit(labelled, digits.X_train[:64], digits.y_train[:64], epochs=1, batch_size=32,
        verbose=False, callbacks=[monitor])
    assert [row["activation"] for row in monitor.table()] == ["silu", "tanh(x)", "softmax"]


@pytest.mark.parametrize("with_targets", [True, False])
def test_layers_with_non_finite_weights_get_a_verdict_of_their_own(with_targets):
    # before, a NaN bias left every layer "healthy" (the NaN statistics compared as false)
    net = MLP([4, 8, 8, 3], activation="tanh", seed=0)
    net.layers[2].b.value[0] = np.nan
    X = np.random.default_rng(0).normal(size=(20, 4))
    found = verdicts(layer_statistics(net, X, np.arange(20) % 3 if with_targets else None))
    assert [v.status for v in found] == ["non_finite"] * 3
    assert "weights or outputs hold NaN" in found[1].reason
    assert "network's output holds NaN" in found[0].reason
    assert diagnostics.STATUSES[0] == "non_finite"  # the most severe, first


def test_layer_statistics_checks_its_input_after_the_cast():
    X = np.zeros((4, 4))
    X[2, 3] = 1e39  # finite in float64, inf in the float32 network
    with pytest.raises(ValueError, match=r"X\[2, 3\] = 1e\+39 is beyond the range of float32"):
        layer_statistics(MLP([4, 8, 3], seed=0), X)


# -- unit_flags: the per-unit form of dead and saturated --------------------------------


@pytest.mark.parametrize("activation, bias", [("relu", -1.5), ("sigmoid", 9.0),
                                              ("tanh", 5.0), ("elu", -7.0)])
def test_unit_flags_agree_with_the_layer_fractions(activation, bias):
    from neuronlab.network import MLP

    rng = np.random.default_rng(7)
    X = rng.normal(0, 3, (64, 5))
    y = rng.integers(0, 3, 64)
    net = MLP([5, 16, 16, 3], activation=activation, init="he_normal", bias_init=bias, seed=2)
    rows = diagnostics.layer_statistics(net, X, y)
    flags = diagnostics.unit_flags(net, X, y)
    assert [f["layer"] for f in flags] == [row["layer"] for row in rows]
    for row, flag in zip(rows, flags, strict=True):
        assert flag["dead"].shape == (row["units"],)
        assert flag["dead"].mean() == pytest.approx(row["dead"])
        if np.isfinite(row["saturated"]):
            assert flag["saturated"].mean() == pytest.approx(row["saturated"])
    assert any(f["dead"].any() or f["saturated"].any() for f in flags)  # the cases bite
