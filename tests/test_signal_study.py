"""The signal-propagation study (quick sizes): its claims hold, its tables cover the
activations and the user's formula, its figures render; the one-activation card used by
``neuronlab activation`` is deterministic whatever the number of jobs."""

from __future__ import annotations

import math

import pytest

from neuronlab import meanfield, studies
from neuronlab.report import figures
from neuronlab.studies import signal


def test_signal_study_is_registered_after_the_training_study():
    names = studies.names()
    assert names.index("signal") == names.index("training") + 1
    assert "signal" not in studies.groups().get("classics", [])


def test_quick_study_claims_tables_and_figures():
    """One test, so that the study is computed once under ``pytest -n 2``."""
    result = studies.run(["signal"], quick=True, seed=0, jobs=1)[0]
    assert result.claims and all(c.holds for c in result.claims), \
        [(c.text, c.evidence) for c in result.claims if not c.holds]
    props = {r["activation"]: r for r in result.table("properties").rows}
    assert list(props) == list(signal.ACTIVATIONS)
    assert props["relu"]["gain"] == pytest.approx(math.sqrt(2), abs=1e-9)
    assert props["relu"]["pytorch_gain"] == pytest.approx(math.sqrt(2))
    assert props["selu"]["gain"] == pytest.approx(1.0, abs=1e-6)
    assert props["selu"]["pytorch_gain"] == 0.75
    assert props["tanh"]["edge_sigma_w"] == pytest.approx(1.0, abs=1e-6)
    user = props[signal.FORMULA_LABEL]
    assert user["computed_as"] == "softplus(x) - log(2)"
    assert user["gain"] == pytest.approx(meanfield.gain(signal.FORMULA), abs=1e-12)
    assert user["zero_centred"] and user["smooth"] and user["saturating"]

    per_layer = result.table("propagation").rows
    depth = signal.SIZES[True]["depth"]
    assert len(per_layer) == len(signal.ACTIVATIONS) * len(signal.SCALES) * depth
    at_gain = [r for r in per_layer if r["activation"] == "tanh" and r["scale"] == 1.0]
    assert [r["layer"] for r in at_gain] == list(range(1, depth + 1))
    assert at_gain[-1]["predicted"] == pytest.approx(1.0, abs=1e-3)
    phase = result.table("phase").rows
    assert {r["activation"] for r in phase} == set(signal.PHASE)
    train = {(r["activation"], r["scale"]): r for r in result.table("training_summary").rows}
    assert set(train) == {(a, s) for a in signal.TRAIN for s in signal.TRAIN_SCALES}

    rendered = figures.render_study(result)
    assert len(rendered) == 4
    assert all(svg.lstrip().startswith(b"<?xml") and b"<svg" in svg for _, svg in rendered)


def test_activation_card_for_a_formula_is_deterministic_across_jobs():
    one = signal.activation_card("x * sigmoid(beta * x)", label="swish-1.5",
                                 params={"beta": 1.5}, phase_diagram=False)
    two = signal.activation_card("x * sigmoid(beta * x)", label="swish-1.5",
                                 params={"beta": 1.5}, phase_diagram=False, jobs=2)
    assert one.deterministic() == two.deterministic()
    assert one.title == "Activation lab: swish-1.5"
    row = one.table("properties").rows[0]
    assert row["activation"] == "swish-1.5" and row["slope_at_fixed_point"] > 1
    assert {r["scale"] for r in one.table("propagation_summary").rows} == {0.8, 1.0, 1.25}
    assert "training_summary" not in [t.name for t in one.tables]
    with pytest.raises(ValueError, match="unknown function"):
        signal.activation_card("foo(x)")
