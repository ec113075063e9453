"""The error function and the normal CDF (``neuronlab._special``), against ``math``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neuronlab._special import erf, erfc, normal_cdf

GRID = np.concatenate([np.linspace(-6.0, 27.0, 66001), np.linspace(-0.5, 0.5, 2001),
                       [-0.46875, 0.46875, 4.0, -4.0, 1e-300, -1e-300, 0.0]])


def test_erfc_against_math_erfc_on_a_dense_grid():
    reference = np.array([math.erfc(v) for v in GRID])
    got = erfc(GRID)
    nonzero = reference > 1e-300
    relative = np.abs(got - reference)[nonzero] / reference[nonzero]
    assert relative.max() < 5e-15
    x32 = GRID.astype(np.float32)
    got32 = erfc(x32)
    assert got32.dtype == np.float32
    reference32 = np.array([math.erfc(float(v)) for v in x32])
    normal = reference32 > 1e-37  # float32 rounds exp(-x^2) to ~x^2 ulp in the far tail
    relative32 = np.abs(got32 - reference32)[normal] / reference32[normal]
    assert (relative32 < 4e-7 * (1 + GRID[normal] ** 2)).all()


def test_erf_against_math_erf_on_a_dense_grid():
    # relative error, so tiny arguments count: erf(1e-300) must not round to 0 as 1 - erfc
    x = GRID[GRID != 0]
    reference = np.array([math.erf(v) for v in x])
    relative = np.abs(erf(x) - reference) / np.abs(reference)
    assert relative.max() < 5e-15
    x32 = x.astype(np.float32)
    reference32 = np.array([math.erf(float(v)) for v in x32])
    keep = np.abs(reference32) > 1e-37  # float32 normals (1e-300 is 0 in float32)
    relative32 = np.abs(erf(x32)[keep] - reference32[keep]) / np.abs(reference32[keep])
    assert erf(x32).dtype == np.float32 and relative32.max() < 4e-7  # a few float32 ulp


@pytest.mark.parametrize("fn", [erf, erfc, normal_cdf])
def test_infinities_nan_and_integers(fn):
    exact = {erf: (-1.0, 1.0), erfc: (2.0, 0.0), normal_cdf: (0.0, 1.0)}[fn]
    got = fn(np.array([-np.inf, np.inf, np.nan]))
    assert got[:2].tolist() == list(exact) and np.isnan(got[2])
    assert fn(np.array([0, 1])).dtype == np.float64


def test_normal_cdf_tails_do_not_cancel():
    # Phi(-30) = 4.9e-198: (1 + erf(-30 / sqrt 2)) / 2 would give 0
    assert normal_cdf(np.array(-30.0)) == pytest.approx(0.5 * math.erfc(30 / math.sqrt(2)),
                                                        rel=1e-14)
