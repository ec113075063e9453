"""The lecture studies (backprop, losses, gradient descent, initialization details,
training dynamics, the notes' worked numbers): each asserted on its numbers at quick
sizes, fixed seeds and safe margins; the MathML helper; the cited lecture notes.

One test per study keeps each study computed once under ``pytest -n 2``.
"""

from __future__ import annotations

import math
from xml.etree import ElementTree

import numpy as np
import pytest

from neuronlab import _mathml as m
from neuronlab import studies
from neuronlab.studies import Study
from neuronlab.studies._core import LECTURE_NOTES

QUICK = {"quick": True, "seed": 0, "jobs": 1}
LECTURE_STUDIES = ("backprop", "losses", "gradient_descent", "init_details", "dynamics",
                   "worked_numbers")


def _claims(result):
    return {c.text: c for c in result.claims}


def test_backprop_by_hand_equals_the_engine_and_finite_differences():
    result = studies.run(["backprop"], **QUICK)[0]
    rows = result.table("worked").rows
    compared = [r for r in rows if "engine" in r]
    assert len(compared) == 16  # z, a (2 layers x 2 units) and dJ/dW (2 x 4)
    # the same formulas in the same order of operations, in float64: equal to rounding
    assert all(abs(r["by_hand"] - r["engine"]) <= 1e-15 for r in compared)
    grads = [r for r in rows if r["quantity"] == "∂J/∂W"]
    # central differences with h = 1e-6 are accurate to about h² relative, far below 1e-6
    assert all(abs(r["engine"] - r["finite_differences"]) <= 1e-6 * abs(r["engine"])
               for r in grads)
    # the lecture's e = W^T delta at the hidden layer, by hand
    delta2 = [r["by_hand"] for r in rows if r["quantity"] == "δ" and r["layer"] == 2]
    e1 = [r["by_hand"] for r in rows if r["quantity"] == "e" and r["layer"] == 1]
    w2 = np.array([[0.5, 0.6], [0.7, 0.8]])
    assert np.allclose(e1, w2.T @ delta2, rtol=0, atol=1e-15)
    cost = sorted(result.table("cost").rows, key=lambda r: r["parameters"])
    # counted on the network's forward while the gradients were computed
    assert [r["fd_forward_passes"] for r in cost] == [2 * r["parameters"] for r in cost]
    assert all(r["backprop_forward_passes"] == 1 for r in cost)
    assert all(c.verdict == "reproduced" for c in result.claims)


def test_mse_slows_down_on_a_saturated_sigmoid_and_cross_entropy_does_not():
    result = studies.run(["losses"], **QUICK)[0]
    learned = {(r["loss_fn"], r["start"]): r for r in result.table("neuron").rows}
    mse, ce = learned[("mse", "saturated")], learned[("binary_cross_entropy", "saturated")]
    assert mse["initial_output"] == pytest.approx(ce["initial_output"])  # the same start
    # cross-entropy's first gradient is a - y = 0.98; MSE's carries sigma' = 0.0177
    assert ce["initial_grad_w"] == pytest.approx(ce["initial_output"], rel=1e-9)
    assert abs(mse["initial_grad_w"]) < 0.05 * abs(ce["initial_grad_w"])
    assert mse["steps_to_output_below_0.2"] > 2 * ce["steps_to_output_below_0.2"]
    jac = result.table("jacobian").rows
    assert jac  # else the loop below checks nothing
    for scale in {r["scale"] for r in jac}:
        for i in range(1, 5):
            row = [r["engine"] for r in jac if r["scale"] == scale and r["i"] == i]
            assert abs(sum(row)) < 1e-15  # probabilities sum to 1: each row sums to 0
    assert all(c.verdict == "reproduced" for c in result.claims)


def test_learning_rate_batch_size_and_epochs():
    result = studies.run(["gradient_descent"], **QUICK)[0]
    toy = result.table("toy").rows
    half = [r for r in toy if r["lr"] == 0.5]
    assert half[1]["w"] == pytest.approx(1.0)  # eta = 1/2 jumps to the minimum of (1-w)^2
    tenth = [r for r in toy if r["lr"] == 0.1]
    assert [round(r["w"], 6) for r in tenth[:2]] == [3.0, 2.6]  # note 004's 3 - 0.1 x 4
    wild = [r for r in toy if r["lr"] == 1.05]
    assert abs(wild[-1]["w"] - 1) > 10 * abs(wild[0]["w"] - 1)
    lr = {r["setting"]: r for r in result.table("learning_rate").rows}
    # one seed; over seeds 0-11: "about right" 0.907 at worst, "too small" 0.157 and
    # "too large" 0.124 at best
    assert lr["about right"]["test_accuracy"] > lr["too small"]["test_accuracy"] + 0.3
    assert lr["too large"]["test_accuracy"] < 0.3
    claims = [c for c in result.claims if "1/B" in c.text]
    assert claims[0].verdict == "reproduced"
    # larger batches take fewer steps (the interval over 8 paired seeds is above 0), and
    # the steps are counted to the update, not rounded up to whole epochs
    batch = next(c for c in result.claims if c.text.startswith("Larger batches"))
    assert batch.seeds == 8 and batch.low > 0, batch
    steps = result.table("step_runs").rows
    assert any(r["steps_to_target"] % r["steps_per_epoch"] for r in steps)
    verdicts = {c.text: c.verdict for c in result.claims}
    # the quick run decides four claims on every seed tried (0-11); the batch-size and
    # overfitting claims sit near their margins at quick sizes (inconclusive on seeds 0,
    # 2, 6 and 8): the default run decides those, so "at least 5 reproduced" held by luck
    near_margin = ("Larger batches", "Training a wide network")
    decided = [t for t in verdicts if not t.startswith(near_margin)]
    assert len(decided) == 4 and all(verdicts[t] == "reproduced" for t in decided), verdicts
    # measured to the update, batch 128 takes ~1.6x fewer steps than batch 8, short of the
    # declared 2x (default run: "not reproduced" by 2.2 half-widths; quick: by 0.57), so
    # that claim may not come out "reproduced"; the overfitting claim may not fail
    batch_text = next(t for t in verdicts if t.startswith("Larger batches"))
    assert verdicts[batch_text] in ("not reproduced", "inconclusive"), verdicts
    overfit_text = next(t for t in verdicts if t.startswith("Training a wide network"))
    assert verdicts[overfit_text] != "not reproduced", verdicts


def test_steps_to_target_are_counted_after_every_update(monkeypatch):
    from neuronlab.studies import gradient_descent

    # test accuracy after updates 1, 2, 3, ...: first reaches 0.9 after 5 updates, which
    # epochs of 3 steps would only see after 6 (the end of the second epoch), as 0.88
    accuracies = iter([0.1, 0.5, 0.7, 0.8, 0.91, 0.88])
    monkeypatch.setattr(gradient_descent._train, "accuracy_on_test",
                        lambda model, d: next(accuracies))
    trainer = type("Trainer", (), {"model": None, "stop": False})()
    watch = gradient_descent._StepsToTarget(None, 0.9)
    for epoch in range(3):
        for batch in range(3):
            watch.on_step_end(trainer, epoch, batch)  # sees the weights before this update
        watch.on_epoch_end(trainer, epoch, {})
        if trainer.stop:
            break
    assert watch.reached == 5 and watch.updates == 6 and epoch == 1
    assert watch.curve == [0.7, 0.88]  # the accuracy after each epoch, for the figure


def test_batch_claim_not_reached_by_any_seed_is_not_measured(monkeypatch, tmp_path):
    from neuronlab import report
    from neuronlab.studies import gradient_descent

    # a target no run can reach, at the smallest sizes: nothing to measure the ratio on
    monkeypatch.setattr(gradient_descent, "TARGET_ACCURACY", 1.01)
    monkeypatch.setitem(gradient_descent.SIZES, True, {
        "seeds": 2, "step_seeds": 2, "epochs": 1, "step_epochs": 1, "overfit_epochs": 3,
        "overfit_samples": 50, "overfit_width": 8})
    result = studies.run(["gradient_descent"], **QUICK)[0]
    claim = next(c for c in result.claims if c.text.startswith("Larger batches"))
    assert claim.verdict == "inconclusive" and not claim.measured
    assert (claim.effect, claim.low, claim.high, claim.seeds) == (None, None, None, 0)
    assert "no seed reached 101% test accuracy" in claim.evidence
    assert all(r["steps_to_target"] is None for r in result.table("step_runs").rows)
    assert any("not measured: no seed reached" in line for line in report.tally([result]))
    for fmt in report.FORMATS:
        text = report.write([result], tmp_path / fmt, fmt).read_text(encoding="utf-8")
        assert "not measured (no seed gave a value)" in text
        assert "no seed reached 101% test accuracy" in text


def test_glorot_constants_and_the_one_over_fan_avg_slip():
    result = studies.run(["init_details"], **QUICK)[0]
    rules = {r["rule"]: r for r in result.table("rules").rows}
    assert rules["glorot_uniform"]["limit_by_formula"] == pytest.approx(math.sqrt(3 / 192))
    # a 256 x 128 sample: its std is within 2% of the formula (the std of a sample std is
    # about 1/sqrt(2 n) = 0.3%)
    for name, row in rules.items():
        if row["std_sampled"] is not None:
            assert row["std_sampled"] == pytest.approx(row["std_by_formula"], rel=0.02), name
    assert rules["note 004's slip"]["std_by_formula"] == pytest.approx(1 / 192)
    slip = {r["variant"]: r for r in result.table("slip").rows}
    right, wrong = slip["σ = √(1/fan_avg) (Glorot)"], slip["σ = 1/fan_avg (the slip)"]
    # one seed; over seeds 0-11 the ratio was 7e-9 at most, the slip's accuracy 0.10 at
    # most (chance) and Glorot's 0.79 at least
    assert wrong["act_std_layer_8"] < 1e-4 * right["act_std_layer_8"]
    assert wrong["test_accuracy"] < 0.2 < 0.6 < right["test_accuracy"]


def test_training_dynamics_per_layer():
    result = studies.run(["dynamics"], **QUICK)[0]
    runs = result.table("runs").rows
    by = {}
    for r in runs:
        by.setdefault(r["config"], []).append(r)
    healthy, fast = by["relu + He, SGD"], by["relu + He, Adam lr too large"]
    # one seed; over seeds 0-11 the healthy ratios stayed in [-2.75, -2.58] and the dead
    # fractions apart (0.34 at least with Adam too fast, 0.13 at most with SGD)
    assert all(-4 < r["log10_update_ratio"] < -2 for r in healthy)
    assert min(r["dead_at_end"] for r in fast) > max(r["dead_at_end"] for r in healthy)
    hist = result.table("histograms").rows
    assert {r["kind"] for r in hist} == {"activation", "gradient"}
    assert all(sum(r["counts"]) > 0 for r in hist if r["kind"] == "gradient")
    monitor = result.table("monitor").rows
    assert {r["layer"] for r in monitor} == {1, 2, 3, 4, 5}


def test_the_notes_worked_numbers_and_their_slips():
    result = studies.run(["worked_numbers"], **QUICK)[0]
    rows = result.table("worked").rows
    slips = {(r["note"], r["expression"]) for r in rows if not r["agrees"]}
    assert ("003", "(0.4 − 0)²") in slips  # the note says 0.36
    row = next(r for r in rows if r["expression"] == "(0.4 − 0)²")
    assert row["engine_value"] == pytest.approx(0.16) and "0.16" in row["right"]
    assert ("004", "0.1 × 0.2 × 0.8") in slips  # the note says 0.006
    assert ("004", "1 − tanh²(−10)") in slips  # the note says 1
    assert ("004", "σ = 1 / fan_avg") in slips
    assert ("003", "note's sign: 3 + 0.1 × 4") in slips  # V + eta grad: ascent
    agree = {r["expression"] for r in rows if r["agrees"]}
    assert {"σ′(0) = 0.5 × 0.5", "sigmoid(0.7)", "w − η ∇c = 3 − 0.1 × 4",
            "−0.6 log 0.9 − 0.4 log 0.1 (log base 2)"} <= agree
    assert all(r["right"] for r in rows)  # every row says who is right
    # the slips are declared from the hand arithmetic, and the engine confirms each
    assert slips == {(r["note"], r["expression"]) for r in rows if r["slip"]}
    # the claims are what the engine reproduces: the correct numbers of every note, and
    # each slip (a slip the engine agreed with would make the last claim fail)
    assert [c.verdict for c in result.claims] == ["reproduced"] * 5
    assert [c.text.split("'")[0][-3:] for c in result.claims[:4]] == ["000", "002", "003",
                                                                      "004"]
    assert "12 slips" in result.claims[4].text
    # the slips stay visible: one note each, with both values and who is right
    slip_notes = [n for n in result.notes if n.startswith("Slip in note")]
    assert len(slip_notes) == 12
    assert any("(0.4 − 0)²" in n and "note 0.36, engine 0.16" in n for n in slip_notes)


def test_every_lecture_note_is_cited_and_the_lecture_studies_carry_formulas():
    registry = studies.registry()
    cited = {n for s in registry.values() for n in s.cites}
    assert cited >= set(LECTURE_NOTES)
    for name in LECTURE_STUDIES:
        study = registry[name]
        assert study.cites and study.formulas, name
        assert all(f"note {n}" in study.lecture or f"notes {n}" in study.lecture
                   or n in study.lecture for n in study.cites), name
        for _, mathml in study.formulas:
            ElementTree.fromstring(mathml)  # well-formed
    with pytest.raises(ValueError, match="unknown lecture notes"):
        Study("x", "X", "g", "", lambda q, s: [], lambda o, q, s: None, cites=("005",))


def test_mathml_helper():
    formula = m.math(m.row("δ", "=", "g", "′", "(", "z", ")", "⊙", "e"))
    root = ElementTree.fromstring(formula)
    assert root.tag == "math" and root.get("display") == "block"
    assert [child.tag for child in root[0]] == ["mi", "mo", "mi", "mo", "mo", "mi", "mo",
                                                "mo", "mi"]
    assert m.atom(2) == "<mn>2</mn>" and m.atom(0.5) == "<mn>0.5</mn>"
    assert m.atom("avg") == '<mi mathvariant="normal">avg</mi>'
    assert m.atom("<") == "<mo>&lt;</mo>"  # an operator is escaped, not taken as markup
    assert m.frac(1, "n") == "<mfrac><mn>1</mn><mi>n</mi></mfrac>"
    with pytest.raises(TypeError, match="string or a number"):
        m.atom(None)
    with pytest.raises(ValueError, match="must not be empty"):
        m.atom("")


def test_lecture_studies_give_the_same_numbers_with_one_or_two_jobs():
    names = ["backprop", "losses", "worked_numbers"]
    one = studies.run(names, quick=True, seed=5, jobs=1)
    two = studies.run(names, quick=True, seed=5, jobs=2)
    # wall-clock columns (backprop's timings) are declared as such and left out here
    assert [r.deterministic() for r in one] == [r.deterministic() for r in two]
