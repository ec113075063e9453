"""The generic checks of :mod:`neuronlab._validate`: bounds, types, messages."""

from __future__ import annotations

import numpy as np
import pytest

from neuronlab._validate import (
    check_bool,
    check_choice,
    check_integer,
    check_real,
    check_real_array,
    check_rng,
    check_seed,
    check_shape,
    first_non_finite,
)

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(("value", "low", "high", "low_open", "high_open", "ok"), [
    (0.0, 0.0, None, False, False, True),
    (0.0, 0.0, None, True, False, False),
    (1.0, 0.0, 1.0, False, False, True),
    (1.0, 0.0, 1.0, False, True, False),
    (-5, None, 0.0, False, False, True),
    (np.float32(0.5), 0.0, 1.0, True, True, True),
    (np.int64(3), 1.0, None, False, False, True),
])
def test_check_real_bounds(value, low, high, low_open, high_open, ok):
    if ok:
        assert check_real(value, "x", low, high, low_open=low_open,
                          high_open=high_open) == float(value)
        assert type(check_real(value, "x")) is float
    else:
        with pytest.raises(ValueError, match=r"x must be a finite number (>|in|<)"):
            check_real(value, "x", low, high, low_open=low_open, high_open=high_open)


def test_check_integer_and_seed():
    assert check_integer(np.int32(7), "n", 1, 7) == 7 and type(check_integer(np.int8(2), "n")) \
        is int
    with pytest.raises(ValueError, match=r"n must be an integer <= 7, got 8"):
        check_integer(8, "n", high=7)
    assert check_seed(2**32 - 1) == 2**32 - 1 and check_seed(None) is None
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 4294967295\]"):
        check_seed(2**32)


def test_check_bool_choice_shape():
    assert check_bool(np.False_, "flag") is False
    assert check_choice("b", "letter", ["a", "b"]) == "b"
    with pytest.raises(ValueError, match="Did you mean 'alpha'"):
        check_choice("alpah", "greek", ("alpha", "beta"))
    with pytest.raises(TypeError, match=r"greek must be one of 'alpha', 'beta' \(a string\)"):
        check_choice(["alpha"], "greek", ("alpha", "beta"))
    assert check_shape((np.int64(2), 0)) == (2, 0)
    for wrong in ((2, True), "23", 5, (2.0, 3)):
        with pytest.raises(TypeError, match="shape must be a tuple of integers"):
            check_shape(wrong)


def test_rng_and_arrays():
    g = np.random.default_rng(1)
    assert check_rng(g) is g
    assert check_rng(3).random() == np.random.default_rng(3).random()
    with pytest.raises(TypeError, match="Dense seed must be an integer, got bool True"):
        check_rng(True, "Dense seed")
    a = check_real_array([[0.0, 1.0], [2.0, 3.0]], "s", low=0)
    assert a.dtype == np.float64 and a.shape == (2, 2)
    with pytest.raises(ValueError, match=r"s must hold finite numbers, got nan at index "
                                         r"\(1, 0\)"):
        check_real_array([[0.0, 1.0], [NAN, 3.0]], "s")
    with pytest.raises(TypeError, match="s must be a real number or an array of them"):
        check_real_array([[1.0], [1.0, 2.0]], "s")  # ragged


@pytest.mark.parametrize("block", [1, 3, 4096])
def test_first_non_finite_finds_the_first_in_any_block(block):
    x = np.zeros((10, 3))
    assert first_non_finite(x, block) is None
    x[7, 2], x[8, 0] = INF, NAN
    assert first_non_finite(x, block) == (7, 2)
    assert first_non_finite(np.array(NAN)) == ()
    assert first_non_finite(np.array([1.0, NAN])) == (1,)
