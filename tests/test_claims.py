"""The verdict logic on synthetic per-seed samples: clear, null and noisy effects."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from neuronlab.studies import Claim
from neuronlab.studies._core import decide, interval


def _samples(mean: float, std: float, n: int, seed: int = 0) -> list[float]:
    return list(np.random.default_rng(seed).normal(mean, std, n))


def test_a_clear_effect_is_reproduced():
    c = Claim.from_samples("x", "q", _samples(0.5, 0.05, 8), direction=+1, margin=0.1)
    assert c.verdict == "reproduced" and c.low >= 0.1


def test_a_null_effect_is_not_reproduced():
    c = Claim.from_samples("x", "q", _samples(0.0, 0.01, 8), direction=+1, margin=0.1)
    assert c.verdict == "not reproduced" and c.high < 0.1


def test_an_effect_the_other_way_is_not_reproduced():
    c = Claim.from_samples("x", "q", _samples(-0.5, 0.05, 8), direction=+1, margin=0.1)
    assert c.verdict == "not reproduced"


def test_a_noisy_effect_is_inconclusive():
    c = Claim.from_samples("x", "q", _samples(0.15, 0.5, 5), direction=+1, margin=0.1)
    assert c.verdict == "inconclusive" and c.low < 0.1 <= c.high


def test_one_seed_decides_nothing():
    c = Claim.from_samples("x", "q", [10.0], direction=+1, margin=0.1)
    assert c.verdict == "inconclusive"


def test_a_predicted_decrease_mirrors_an_increase():
    down = Claim.from_samples("x", "q", _samples(-0.5, 0.05, 8), direction=-1, margin=0.1)
    assert down.verdict == "reproduced"


def test_no_effect_predicted():
    assert Claim.from_samples("x", "q", _samples(0, 1e-3, 8), direction=0,
                              margin=0.05).verdict == "reproduced"
    assert Claim.from_samples("x", "q", _samples(1, 1e-3, 8), direction=0,
                              margin=0.05).verdict == "not reproduced"


def test_t_interval_matches_the_textbook_formula():
    # n = 3, mean 2, s = 1: t_{0.975, 2} = 4.302653 -> half width 4.302653 / sqrt(3)
    mean, low, high = interval([1.0, 2.0, 3.0])
    assert mean == 2.0
    assert high - mean == pytest.approx(4.302653 / np.sqrt(3), rel=1e-6)


def test_bootstrap_is_repeatable_and_close_to_t_for_many_seeds():
    samples = _samples(1.0, 0.2, 40)
    assert interval(samples, method="bootstrap") == interval(samples, method="bootstrap")
    _, lo_t, hi_t = interval(samples)
    _, lo_b, hi_b = interval(samples, method="bootstrap")
    assert lo_b == pytest.approx(lo_t, abs=0.03) and hi_b == pytest.approx(hi_t, abs=0.03)


def test_non_finite_samples_are_refused():
    with pytest.raises(ValueError, match="finite"):
        Claim.from_samples("x", "q", [1.0, float("nan")], direction=+1, margin=0.1)


@given(st.floats(-10, 10), st.floats(0, 5), st.floats(0, 1), st.sampled_from([-1, 0, 1]))
def test_verdict_depends_only_on_where_the_interval_sits(low, width, margin, direction):
    verdict = decide(low, low + width, direction, margin)
    assert verdict in ("reproduced", "not reproduced", "inconclusive")
    if direction:  # a wider interval can only make a directional verdict less certain
        wider = decide(low - 1, low + width + 1, direction, margin)
        assert wider == verdict or wider == "inconclusive"


def test_claims_round_trip_through_json():
    c = Claim.from_samples("x", "q", _samples(0.5, 0.05, 8), direction=+1, margin=0.1)
    assert Claim.from_dict(c.to_dict()) == c


def test_exact_claims_have_no_seed_to_vary():
    c = Claim.exact("slope", "max slope − 1/4", 1e-9, direction=0, margin=1e-6)
    assert (c.verdict, c.seeds, c.low, c.high, c.method) == ("reproduced", 1, 1e-9, 1e-9,
                                                             "exact")


def test_every_claim_carries_its_interval():
    """The transitional rule-based claims are gone: a claim without an interval cannot
    be made."""
    assert not hasattr(Claim, "boolean")
    c = Claim.from_samples("x", "q", _samples(0.5, 0.05, 4), direction=+1, margin=0.1)
    d = c.to_dict()
    assert {"effect", "interval", "seeds", "margin", "verdict", "quantity"} <= set(d)
    assert d["interval"][0] <= d["effect"] <= d["interval"][1]


def test_the_report_line_shows_effect_interval_seeds_and_prediction():
    from neuronlab.report._format import claim_measure, claim_rows

    c = Claim.from_samples("x", "accuracy, He − Glorot", [0.5, 0.6, 0.55, 0.62],
                           direction=+1, margin=0.1).to_dict()
    line = claim_measure(c)
    assert line.startswith("accuracy, He − Glorot: effect +0.568, 95% t interval [+")
    assert "over 4 seeds; predicted ≥ +0.1" in line
    exact = Claim.exact("x", "q", -0.9, direction=-1, margin=0.5).to_dict()
    assert claim_measure(exact) == ("q: effect -0.9 (exact computation, no seed changes "
                                    "it); predicted ≤ −0.5")
    row = claim_rows([c])[0]
    assert (row["low"], row["high"]) == tuple(c["interval"]) and row["verdict"] == "reproduced"


def test_an_unmeasured_claim_has_no_number_and_says_why():
    from neuronlab.report._format import claim_measure

    c = Claim.unmeasured("B beats A", "steps, A / B", "no seed reached the target",
                         direction=+1, margin=0.3)
    assert (c.verdict, c.effect, c.low, c.high, c.seeds) == ("inconclusive", None, None,
                                                             None, 0)
    assert not c.measured and Claim.exact("x", "q", 1.0, direction=+1, margin=0.5).measured
    assert Claim.from_dict(c.to_dict()) == c  # through results.json and back
    assert claim_measure(c.to_dict()) == ("steps, A / B: not measured (no seed gave a "
                                          "value); predicted ≥ +0.3")
    with pytest.raises(ValueError, match="needs the reason"):
        Claim.unmeasured("x", "q", " ", direction=+1, margin=0.3)
    with pytest.raises(ValueError, match="direction"):
        Claim.unmeasured("x", "q", "why", direction=2, margin=0.3)
