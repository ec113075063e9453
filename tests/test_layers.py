"""Layers: gradients by finite differences, and the hard cases of maxout, PReLU, dropout."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuronlab import activations
from neuronlab.gradcheck import check_layer
from neuronlab.layers import Activation, Dense, Dropout, Maxout, PReLU

RNG = np.random.default_rng(0)


def test_dense_gradients():
    assert check_layer(Dense(4, 3, dtype="float64", seed=1), RNG.standard_normal((5, 4)))


def test_dense_backward_is_the_delta_rule():
    layer = Dense(3, 2, dtype="float64", seed=0)
    a_prev = RNG.standard_normal((4, 3))
    layer.forward(a_prev)
    delta = RNG.standard_normal((4, 2))
    e = layer.backward(delta)
    np.testing.assert_allclose(layer.W.grad, a_prev.T @ delta)
    np.testing.assert_allclose(layer.b.grad, delta.sum(axis=0))
    np.testing.assert_allclose(e, delta @ layer.W.value.T)


def test_dense_skips_input_gradient_when_not_needed():
    layer = Dense(3, 2, seed=0)
    layer.forward(np.ones((2, 3), dtype=np.float32))
    assert layer.backward(np.ones((2, 2), dtype=np.float32), need_input_grad=False) is None


@pytest.mark.parametrize("name", [n for n in activations.names()])
def test_activation_layer_gradients(name):
    layer = Activation(name)
    layer.build(6, np.dtype("float64"))
    z = RNG.standard_normal((5, 6)) * 2
    z[np.abs(z) < 1e-3] = 0.5  # keep away from kinks at 0 for the finite differences
    assert check_layer(layer, z, rtol=1e-5, atol=1e-7), name


def test_maxout_routes_gradient_to_the_first_maximum_on_ties():
    layer = Maxout(2, 1, k=3, dtype="float64", seed=0)
    layer.dense.W.value[...] = 0.0
    layer.dense.b.value[...] = [1.0, 3.0, 3.0]  # pieces 1 and 2 tie for the max
    out = layer.forward(np.zeros((1, 2)))
    assert out[0, 0] == 3.0
    layer.backward(np.array([[2.0]]))
    np.testing.assert_array_equal(layer.dense.b.grad, [0.0, 2.0, 0.0])


def test_maxout_gradients():
    assert check_layer(Maxout(4, 3, k=2, dtype="float64", seed=3), RNG.standard_normal((6, 4)))


@pytest.mark.parametrize("shared", [True, False])
def test_prelu_slope_gradient(shared):
    layer = PReLU(alpha=0.25, shared=shared)
    layer.build(3, np.dtype("float64"))
    z = np.array([[-2.0, 0.0, 1.5], [-0.5, -1.0, 3.0]])
    g = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    layer.forward(z)
    layer.backward(g)
    (alpha,) = layer.parameters()
    per_unit = (g * z * (z <= 0)).sum(axis=0)
    expected = per_unit.sum(keepdims=True) if shared else per_unit
    np.testing.assert_allclose(alpha.grad, expected)
    assert alpha.grad.shape == alpha.value.shape


def test_dropout_is_identity_at_inference_and_scales_in_training():
    layer = Dropout(0.5, seed=0)
    x = np.ones((1000, 50), dtype=np.float32)
    np.testing.assert_array_equal(layer.forward(x), x)
    out = layer.forward(x, training=True)
    assert set(np.unique(out)) == {0.0, 2.0}
    assert abs(out.mean() - 1.0) < 0.02
    np.testing.assert_array_equal(layer.backward(x), out)


@pytest.mark.parametrize(("bad", "error", "message"), [
    (0, ValueError, r"fan_in must be an integer >= 1, got 0"),
    (-3, ValueError, r"fan_in must be an integer >= 1, got -3"),
    (2.5, TypeError, r"fan_in must be an integer, got float 2.5"),
    (50000.0, TypeError, r"fan_in must be an integer, got float 50000.0"),  # no int() of it
    (1e9, TypeError, r"fan_in must be an integer, got float 1000000000.0"),
    (True, TypeError, r"fan_in must be an integer, got bool True"),
])
def test_dense_rejects_bad_widths(bad, error, message):
    with pytest.raises(error, match=message):
        Dense(bad, 3)


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"units": 50000.0}, TypeError, r"Maxout units must be an integer, got float 50000.0"),
    ({"units": 1e9}, TypeError, r"Maxout units must be an integer, got float"),
    ({"units": -2}, ValueError, r"Maxout units must be an integer >= 1, got -2"),
    ({"units": 3, "k": True}, TypeError, r"Maxout k \(pieces per unit\) must be an integer, "
                                         r"got bool"),
    ({"units": 3, "k": 2.0}, TypeError, r"Maxout k \(pieces per unit\) must be an integer"),
])
def test_maxout_sizes_are_integers_checked_before_anything_is_allocated(kwargs, error,
                                                                         message):
    # before, units=50000.0 was int()-ed and allocated (613 MB from a 788-byte file)
    with pytest.raises(error, match=message):
        Maxout(4, **kwargs)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("make", [lambda v: Dense(3, 4, bias_init=v),
                                  lambda v: Maxout(3, 4, bias_init=v),
                                  lambda v: Dropout(v)])
def test_non_finite_settings_are_refused(make, value):
    with pytest.raises(ValueError, match="must be a finite number"):
        make(value)


def test_dropout_rejects_bad_rate():
    with pytest.raises(ValueError, match=r"rate must be a finite number in \[0, 1\)"):
        Dropout(1.0)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 7), fan_in=st.integers(1, 6), fan_out=st.integers(1, 6),
       dtype=st.sampled_from(["float32", "float64"]))
def test_dense_shapes_and_dtype(n, fan_in, fan_out, dtype):
    layer = Dense(fan_in, fan_out, dtype=dtype, seed=0)
    z = layer.forward(np.ones((n, fan_in), dtype=dtype))
    assert z.shape == (n, fan_out) and z.dtype == np.dtype(dtype)
    e = layer.backward(np.ones_like(z))
    assert e.shape == (n, fan_in) and e.dtype == np.dtype(dtype)
    assert layer.W.grad.dtype == np.dtype(dtype)
