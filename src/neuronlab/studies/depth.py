"""Study 2, depth propagation at initialization (Glorot & Bengio 2010; He et al. 2015).

A plain MLP of ``DEPTH`` hidden layers of width 256 (128 with ``quick``; float64, so that neither
exploding nor vanishing signals leave the number range), fed standard-normal inputs
and random labels, for every activation x initializer pair below.  One forward and
backward pass (no update) through :func:`neuronlab.diagnostics.layer_statistics`
gives, per layer, the standard deviation of the activations ``a`` (forward) and of
``delta = dJ/dz`` (backward), and the weight-gradient norm.  All pairs share the same
inputs, labels and underlying random draws, so they differ only by the activation
and the scale and shape of the weight distribution.

A second, small table varies the width for sigmoid with N(0, 1) weights: whether its
gradients vanish or explode depends on the width (see the notes).

Run alone: ``python -m neuronlab.studies.depth [--quick]``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import neuronlab.init  # in full: the parameters named init would shadow the module
from neuronlab import activations, diagnostics
from neuronlab.network import MLP
from neuronlab.studies._core import Claim, Key, Run, Study, StudyResult, Table, fmt, plan_runs

NAME = "depth"
TITLE = "Depth propagation at initialization"
LECTURE = (
    "Every layer multiplies the forward signal by W and the backward error by W and by "
    "g'(z) (the delta rule delta = g'(z) * (delta_next @ W_next.T)). If the product of "
    "those factors is below one the signal dies out with depth, above one it blows up. "
    "Glorot & Bengio (2010) chose Var(W) = 2/(fan_in + fan_out) to keep both passes "
    "near one for tanh-like units; He et al. (2015) doubled it to 2/fan_in because a "
    "ReLU zeroes half its inputs; LeCun's 1/fan_in suits SELU. The lecture's old "
    "default U(-1/sqrt(n), 1/sqrt(n)) has a third of LeCun's variance, so signals "
    "shrink layer after layer."
)

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "swish")
#: (id, label, registry name, hyper-parameters)
INITIALIZERS = (
    ("normal_1", "N(0, 1)", "normal", {"std": 1.0}),
    ("normal_0.01", "N(0, 0.01²)", "normal", {"std": 0.01}),
    ("legacy_uniform", "U(±1/√n) (old default)", "legacy_uniform", {}),
    ("glorot_uniform", "Glorot uniform", "glorot_uniform", {}),
    ("he_normal", "He normal", "he_normal", {}),
    ("lecun_normal", "LeCun normal", "lecun_normal", {}),
    ("gain", "gain-matched", "variance_scaling", {"mode": "fan_in", "distribution": "normal"}),
)
"""The last, ``gain``, is N(0, gain(g)^2 / fan_in) with :func:`neuronlab.init.gain`: the
variance-preserving scale computed for each activation (He for ReLU, LeCun for SELU)."""
DEPTH = 50
CLASSES = 10
SIGMOID_WIDTHS = (16, 32, 64, 128, 256)
SIZES = {False: {"width": 256, "samples": 256, "seeds": 5},
         True: {"width": 128, "samples": 64, "seeds": 3}}
#: the (activation, initializer) pairs the claims are about: measured on every seed (the
#: rest of the grid, drawn in the figures, on the first seed only)
CLAIMED = (("sigmoid", "legacy_uniform"), ("sigmoid", "normal_1"), ("relu", "he_normal"),
           ("relu", "glorot_uniform"), ("selu", "lecun_normal"))


def init_label(init_id: str) -> str:
    return next(label for i, label, _, _ in INITIALIZERS if i == init_id)


def _initializer(init_id: str, activation: str) -> neuronlab.init.Initializer:
    _, _, name, params = next(spec for spec in INITIALIZERS if spec[0] == init_id)
    if init_id == "gain":
        params = {**params, "scale": neuronlab.init.gain(activation) ** 2}
    return neuronlab.init.get(name, **params)


def propagate(activation: str, init: str, depth: int, width: int, samples: int,
              seed: int) -> list[dict[str, Any]]:
    """Per-layer statistics of one forward + backward pass at initialization.

    Returns one row per weight layer (1 .. depth + 1, the last being the output layer)
    with the activations' mean and std, delta's std and norm, the weight-gradient
    norm and the saturated and dead fractions.
    """
    data_seed, weight_seed = np.random.SeedSequence(seed).spawn(2)
    rng = np.random.default_rng(data_seed)
    X = rng.standard_normal((samples, width))
    y = rng.integers(0, CLASSES, samples)
    model = MLP([width] * (depth + 1) + [CLASSES], activation=activation, output="softmax",
                init=_initializer(init, activation), dtype=np.float64,
                seed=int(weight_seed.generate_state(1)[0]))
    # exploding configurations overflow on purpose: keep the infinities, no warnings
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        rows = diagnostics.layer_statistics(model, X, y)
    keep = ("layer", "act_mean", "act_std", "delta_std", "delta_norm", "grad_norm",
            "saturated", "dead")
    return [{k: row[k] for k in keep} for row in rows]


def plan(quick: bool, seed: int) -> list[Run]:
    sizes = SIZES[quick]
    shape = {"depth": DEPTH, "width": sizes["width"], "samples": sizes["samples"]}
    configs: dict[Key, dict[str, Any]] = {
        ("grid", act, init, rep): {"activation": act, "init": init, **shape}
        for act in ACTIVATIONS for init, *_ in INITIALIZERS for rep in range(sizes["seeds"])
        if rep == 0 or (act, init) in CLAIMED}
    for width in SIGMOID_WIDTHS:
        if width == sizes["width"]:
            continue  # that is the grid's (sigmoid, N(0, 1)) network, same seed
        for rep in range(sizes["seeds"]):
            configs[("width", "sigmoid", width, rep)] = {"activation": "sigmoid",
                                                         "init": "normal_1", **shape,
                                                         "width": width}
    per_act = {"gelu": 3.0, "swish": 1.5, "selu": 1.3, "elu": 1.3}
    scale = 0.3 * sizes["width"] * sizes["samples"] / (256 * 256)  # about seconds

    def cost(key: Key) -> float:
        width = key[2] if key[0] == "width" else sizes["width"]
        return scale * per_act.get(key[1], 1.0) * width / sizes["width"]

    # the seed is the replicate's alone: every configuration of one replicate sees the
    # same inputs, labels and underlying random draws (paired comparisons)
    return plan_runs(NAME, seed, propagate, configs, seed_key=lambda key: key[-1:],
                     cost=cost)


def _ratio(first: float | None, last: float | None) -> float:
    if first is None or last is None or not (math.isfinite(first) and math.isfinite(last)):
        return math.nan
    if last == 0:
        return math.inf if first > 0 else math.nan
    return first / last


def _log10(value: float) -> float:
    return math.log10(value) if math.isfinite(value) and value > 0 else math.nan


def assemble(outputs: dict[Key, Any], quick: bool, seed: int) -> StudyResult:
    sizes = SIZES[quick]
    per_layer, summary, seeds = [], [], []
    for (kind, act, init, rep), rows in outputs.items():
        if kind != "grid":
            continue
        hidden = [r for r in rows if r["layer"] <= DEPTH]
        first, last = hidden[0], hidden[-1]
        row = {"activation": act, "init": init, "init_label": init_label(init),
               "act_std_first": first["act_std"], "act_std_last": last["act_std"],
               "act_mean_last": last["act_mean"],
               "delta_std_first": first["delta_std"], "delta_std_last": last["delta_std"],
               "grad_ratio": _ratio(first["grad_norm"], last["grad_norm"]),
               "grad_norm_first": first["grad_norm"], "grad_norm_last": last["grad_norm"],
               "saturated_last": last["saturated"], "dead_last": last["dead"]}
        if (act, init) in CLAIMED:
            seeds.append({"seed": rep, **row})
        if rep == 0:
            per_layer.extend({"activation": act, "init": init, **r} for r in hidden)
            summary.append(row)

    def per_seed(act: str, init: str, column: str) -> list[float]:
        return [r[column] for r in seeds if (r["activation"], r["init"]) == (act, init)]

    def sigmoid_ratios(width: int) -> list[float]:
        if width == sizes["width"]:
            return per_seed("sigmoid", "normal_1", "grad_ratio")
        return [_ratio(rows[0]["grad_norm"], rows[DEPTH - 1]["grad_norm"])
                for (kind, _, w, _rep), rows in outputs.items() if kind == "width"
                and w == width]

    widths = []
    for width in SIGMOID_WIDTHS:
        logs = [_log10(r) for r in sigmoid_ratios(width)]
        mean_log = float(np.mean(logs))  # NaN if any seed over- or underflowed
        widths.append({"width": width, "grad_ratio": 10 ** mean_log,
                       "per_layer_factor": 10 ** (mean_log / (DEPTH - 1)),
                       "seeds": len(logs)})

    def geometric(act: str, init: str, column: str) -> float:
        return 10 ** float(np.mean([_log10(v) for v in per_seed(act, init, column)]))

    def claim(text: str, quantity: str, act: str, init: str, column: str, direction: int,
              margin: float, evidence: str, log: bool = True) -> Claim:
        values = per_seed(act, init, column)
        return Claim.from_samples(text, quantity, [_log10(v) for v in values] if log
                                  else [v - 1 for v in values], direction=direction,
                                  margin=margin, evidence=evidence)

    width = sizes["width"]
    n = sizes["seeds"]
    narrow = [w for w in widths if w["width"] <= 32]
    ratio_q = f"log10 of the weight-gradient norm ratio ‖dW₁‖ / ‖dW_{DEPTH}‖"
    claims = [
        claim("Sigmoid with the old default init U(±1/√n): gradients vanish (first/last "
              "hidden layer weight-gradient norm ratio below 1e-3).", ratio_q, "sigmoid",
              "legacy_uniform", "grad_ratio", -1, 3.0,
              f"geometric mean over {n} seeds: ratio = "
              f"{fmt(geometric('sigmoid', 'legacy_uniform', 'grad_ratio'))} over {DEPTH} "
              f"layers"),
        claim(f"ReLU keeps the signal with He init (std of the activations at layer {DEPTH} "
              f"within a factor 3 of 1) ...", f"log10 std of the activations at layer {DEPTH}",
              "relu", "he_normal", "act_std_last", 0, math.log10(3),
              f"geometric mean over {n} seeds: "
              f"{fmt(geometric('relu', 'he_normal', 'act_std_last'))}"),
        claim(f"... and loses it with Glorot (std at layer {DEPTH} below 1e-3).",
              f"log10 std of the activations at layer {DEPTH}", "relu", "glorot_uniform",
              "act_std_last", -1, 3.0,
              f"geometric mean over {n} seeds: "
              f"{fmt(geometric('relu', 'glorot_uniform', 'act_std_last'))} — Glorot halves "
              f"the variance at every ReLU layer, 2^-{DEPTH // 2} in std after {DEPTH}"),
        claim("SELU with LeCun normal keeps unit variance through the depth.",
              f"std of the activations at layer {DEPTH} − 1", "selu", "lecun_normal",
              "act_std_last", 0, 0.2,
              f"mean over {n} seeds: std = "
              f"{fmt(float(np.mean(per_seed('selu', 'lecun_normal', 'act_std_last'))))}",
              log=False),
        claim("Sigmoid with N(0, 1) weights: vanishing gradients (ratio below 1e-3).",
              ratio_q + f", width {width}", "sigmoid", "normal_1", "grad_ratio", -1, 3.0,
              f"the measurement does not support the lecture at this width: geometric mean "
              f"over {n} seeds {fmt(geometric('sigmoid', 'normal_1', 'grad_ratio'))} at width "
              f"{width}, but " + ", ".join(f"{fmt(w['grad_ratio'])} at width {w['width']}"
                                           for w in narrow)
              + ". Large weights saturate the units (σ' ≈ 0) but multiply the error by "
                "|W| ≈ √n: the backward factor per layer grows like √n."),
    ]
    by = {(r["activation"], r["init"]): r for r in summary}

    def get(act: str, init: str, column: str) -> float:
        return by.get((act, init), {}).get(column, math.nan)

    tanh_glorot = get("tanh", "glorot_uniform", "act_std_last")
    notes = [
        f"tanh with Glorot keeps a usable but shrinking signal (std {fmt(tanh_glorot)} at "
        f"layer {DEPTH}): Glorot's derivation assumes the linear regime of tanh.",
        "Sigmoid's outputs have mean 1/2 whatever the weights, so no initializer makes "
        "a deep sigmoid network propagate a zero-mean signal.",
    ]
    gained = {act: get(act, "gain", "act_std_last") for act in ACTIVATIONS}
    kept = [a for a, v in gained.items() if 0.3 <= v <= 3]
    unbounded = [a for a, v in gained.items() if not 0.3 <= v <= 3
                 and activations.get(a).properties.range[1] == math.inf]
    if gained:
        notes.append(
            "The gain-matched initializer N(0, gain(g)²/fan_in) from init.gain keeps the "
            f"std at layer {DEPTH} within [0.3, 3] for {', '.join(kept) or 'none'}"
            + (f"; not for {', '.join(f'{a} ({fmt(gained[a])})' for a in unbounded)}: for "
               "these smooth ReLU-like units E[g(√q z)²]/q grows with q, so the variance "
               "fixed point that gain solves for repels, and a small deviation grows or "
               "shrinks geometrically with depth" if unbounded else "")
            + (f" (sigmoid's std, {fmt(gained['sigmoid'])}, is small because its mean 1/2 "
               "carries most of its second moment)" if "sigmoid" in gained
               and "sigmoid" not in kept else "") + ".")
    formats = {c: ".3g" for c in ("act_std_first", "act_std_last", "act_mean_last",
                                  "delta_std_first", "delta_std_last", "grad_ratio",
                                  "grad_norm_first", "grad_norm_last", "per_layer_factor")}
    formats.update(saturated_last=".0%", dead_last=".0%")
    return StudyResult(
        NAME, TITLE, {"quick": quick, "seed": seed, "depth": DEPTH,
                      "classes": CLASSES, "dtype": "float64",
                      "activations": list(ACTIVATIONS),
                      "initializers": [i for i, *_ in INITIALIZERS], **sizes},
        [Table("summary", f"First and last ({DEPTH}th) hidden layer at initialization "
               f"(first seed; the claims use all {n} seeds: see the seeds table)",
               summary, formats=formats),
         Table("sigmoid_width", f"Sigmoid with N(0, 1) weights: gradient ratio by width "
               f"(geometric mean over {n} seeds)", widths, formats=formats),
         Table("seeds", "The claimed configurations on every seed", seeds, formats=formats,
               shown=False),
         Table("per_layer", "Per-layer statistics (first seed)", per_layer, shown=False)],
        numbers={f"sigmoid + old default init: gradient ratio layer 1 / layer {DEPTH}":
                 geometric("sigmoid", "legacy_uniform", "grad_ratio"),
                 f"ReLU + He: activation std at layer {DEPTH}":
                 geometric("relu", "he_normal", "act_std_last"),
                 f"ReLU + Glorot: activation std at layer {DEPTH}":
                 geometric("relu", "glorot_uniform", "act_std_last"),
                 f"SELU + LeCun: activation std at layer {DEPTH}":
                 float(np.mean(per_seed("selu", "lecun_normal", "act_std_last")))},
        number_formats={f"SELU + LeCun: activation std at layer {DEPTH}": ".3f"},
        claims=claims, notes=notes)


STUDY = Study(NAME, TITLE, "depth", LECTURE, plan, assemble, cites=("002", "004"))


run = STUDY.run  # run this study alone: run(quick=False, seed=0, jobs=1)


if __name__ == "__main__":
    from neuronlab.studies._runner import main

    raise SystemExit(main(NAME))
