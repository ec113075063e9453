"""The one activation probe: what formula, diagnostics and the atlas measure comes from it."""

from __future__ import annotations

import numpy as np
import pytest

from neuronlab import activations, diagnostics, probe
from neuronlab.studies import atlas


def test_one_saturation_threshold():
    # the diagnostics' flat units and the measured saturation regions use one constant
    assert diagnostics.SATURATION_SLOPE is probe.SATURATION_SLOPE
    assert not hasattr(atlas, "SATURATION")


def test_probe_copies_the_activation_and_keeps_its_state():
    prelu = activations.get("prelu", shared=False)
    prelu.build(3, np.dtype(np.float32))
    prelu.weight.value[:] = [0.1, 0.5, -0.2]  # "trained" slopes, one per unit
    a, d = probe.Probe(prelu, units=3).evaluate(np.array([-2.0, 1.0]))
    np.testing.assert_allclose(a, [[-0.2, -1.0, 0.4], [1.0, 1.0, 1.0]], rtol=1e-7)
    np.testing.assert_allclose(d, [[0.1, 0.5, -0.2], [1.0, 1.0, 1.0]], rtol=1e-7)
    assert a.dtype == np.float64
    np.testing.assert_array_equal(prelu.weight.value, np.float32([0.1, 0.5, -0.2]))
    # one unit: the parameters as build(1) leaves them (the initial slope)
    a1, _ = probe.Probe(prelu).evaluate(np.array([-2.0]))
    assert a1.shape == (1, 1) and a1[0, 0] == pytest.approx(-2.0 * prelu.alpha)


def test_diagnostics_profile_uses_the_probe_s_largest_slope():
    """The monitor's max_slope is the probe's measurement (for a trained PReLU: the
    steepest unit, its current values)."""
    for name in ("sigmoid", "tanh", "gelu", "hard_swish", "selu"):
        fn = activations.get(name)
        profile = diagnostics._slope_profile(fn, 4)
        # the same fine grid (step 0.01) searched and refined alike: equal to 1e-9
        assert profile.max_slope == pytest.approx(
            probe.measure_properties(fn)["max_slope"], rel=1e-9), name
    prelu = activations.get("prelu", shared=False)
    prelu.build(2, np.dtype(np.float64))
    prelu.weight.value[:] = [0.3, -1.5]
    assert diagnostics._slope_profile(prelu, 2).max_slope == pytest.approx(1.5)


@pytest.mark.parametrize("name", ["sigmoid", "relu", "elu", "hard_swish", "step"])
def test_atlas_rows_are_the_probe_s_measurements(name):
    row = atlas._measure(name, elements=1000, repeats=1, seed=0)["properties"]
    measured = probe.measure_properties(name)
    for key in ("zero_centred", "monotonic", "smooth", "saturating", "continuous",
                "max_slope"):
        assert row[key] == measured[key], key
    assert row["disagreements"] == "none"


def test_refine_max_finds_a_maximum_between_grid_points():
    grid = np.linspace(-1.0, 1.0, 5)
    best, at = probe.refine_max(lambda t: 1 - (t - 0.3) ** 2, int(np.argmax(
        1 - (grid - 0.3) ** 2)), grid)
    assert best == pytest.approx(1.0, abs=1e-9) and at == pytest.approx(0.3, abs=1e-6)
