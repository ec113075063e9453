"""Classic result (c): SELU with LeCun-normal weights keeps the activations near mean 0
and variance 1 through many layers (Klambauer et al. 2017).

A ``DEPTH``-layer MLP of width ``WIDTH`` (float64), one forward pass through
:func:`neuronlab.diagnostics.layer_statistics`, mean and std of every hidden layer's
activations.  SELU is compared with ELU (same shape, no scaling), ReLU + He (keeps
the second moment but not a zero mean) and tanh + Glorot; SELU is also fed inputs
that are *not* standardized (mean 1, std 2) to show that it pulls them back to the
fixed point (0, 1).

Run alone: ``python -m neuronlab.studies.self_normalising [--quick]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neuronlab import diagnostics
from neuronlab.network import MLP
from neuronlab.studies._core import (
    Claim,
    Key,
    Run,
    Study,
    StudyResult,
    Table,
    fmt,
    mean_std,
    plan_runs,
)

NAME = "self_normalising"
TITLE = "SELU + LeCun normal: self-normalising through 60 layers"
LECTURE = (
    "SELU is ELU scaled by λ ≈ 1.0507 with α ≈ 1.6733, constants chosen so that mean 0 "
    "and variance 1 are an attracting fixed point of a layer with Var(W) = 1/fan_in "
    "(LeCun normal): activations that drift are pulled back, layer after layer, without "
    "batch normalisation. ELU has the shape but not the constants; ReLU with He keeps "
    "the second moment but its outputs are all positive."
)

DEPTH = 60
WIDTH = 256
CHECK_LAYER = 50
#: key -> (activation, initializer, input mean, input std)
CONFIGS = {
    "selu": ("selu", "lecun_normal", 0.0, 1.0),
    "selu_shifted_input": ("selu", "lecun_normal", 1.0, 2.0),
    "elu": ("elu", "lecun_normal", 0.0, 1.0),
    "relu_he": ("relu", "he_normal", 0.0, 1.0),
    "tanh_glorot": ("tanh", "glorot_uniform", 0.0, 1.0),
}
SIZES = {False: {"samples": 512, "seeds": 3}, True: {"samples": 128, "seeds": 2}}


def forward_statistics(activation: str, init: str, input_mean: float, input_std: float,
                       samples: int, seed: int) -> list[dict[str, float]]:
    """Mean and std of the activations of every hidden layer, one forward pass."""
    data_seed, weight_seed = np.random.SeedSequence(seed).spawn(2)
    X = input_mean + input_std * np.random.default_rng(data_seed).standard_normal(
        (samples, WIDTH))
    model = MLP([WIDTH] * (DEPTH + 1) + [10], activation=activation, output="softmax",
                init=init, dtype=np.float64, seed=int(weight_seed.generate_state(1)[0]))
    rows = diagnostics.layer_statistics(model, X)
    return [{"layer": r["layer"], "act_mean": r["act_mean"], "act_std": r["act_std"]}
            for r in rows if r["layer"] <= DEPTH]


def plan(quick: bool, seed: int) -> list[Run]:
    sizes = SIZES[quick]
    configs = {(name, rep): {"activation": act, "init": init, "input_mean": m, "input_std": s,
                             "samples": sizes["samples"]}
               for name, (act, init, m, s) in CONFIGS.items() for rep in range(sizes["seeds"])}
    return plan_runs(NAME, seed, forward_statistics, configs, seed_key=lambda key: key[1:],
                     cost=lambda key: 0.1 + sizes["samples"] / 2000)


def assemble(outputs: dict[Key, Any], quick: bool, seed: int) -> StudyResult:
    per_layer = []
    for (name, rep), rows in outputs.items():
        per_layer.extend({"config": name, "seed": rep, **r} for r in rows)
    summary = []
    for name, (act, init, m, s) in CONFIGS.items():
        row: dict[str, Any] = {"config": name, "activation": act, "init": init,
                               "input_mean": m, "input_std": s}
        for layer in (1, 10, CHECK_LAYER, DEPTH):
            for stat in ("act_mean", "act_std"):
                values = [r[stat] for r in per_layer if r["config"] == name
                          and r["layer"] == layer]
                row[f"{stat.removeprefix('act_')}_layer_{layer}"] = mean_std(values)[0]
        summary.append(row)
    by = {r["config"]: r for r in summary}
    selu, shifted = by["selu"], by["selu_shifted_input"]
    m50, s50 = selu[f"mean_layer_{CHECK_LAYER}"], selu[f"std_layer_{CHECK_LAYER}"]
    claims = [
        Claim.boolean(f"SELU + LeCun normal keeps mean ≈ 0 and std ≈ 1 at layer {CHECK_LAYER} and "
              f"beyond.",
              abs(m50) < 0.2 and 0.8 <= s50 <= 1.2
              and 0.8 <= selu[f"std_layer_{DEPTH}"] <= 1.2,
              f"layer {CHECK_LAYER}: mean {m50:+.3f}, std {s50:.3f}; layer {DEPTH}: mean "
              f"{selu[f'mean_layer_{DEPTH}']:+.3f}, std {selu[f'std_layer_{DEPTH}']:.3f}"),
        Claim.boolean("The fixed point attracts: inputs with mean 1 and std 2 are pulled back.",
              abs(shifted[f"mean_layer_{CHECK_LAYER}"]) < 0.2
              and 0.8 <= shifted[f"std_layer_{CHECK_LAYER}"] <= 1.2,
              f"layer 1: mean {shifted['mean_layer_1']:+.2f}, std "
              f"{shifted['std_layer_1']:.2f}; layer {CHECK_LAYER}: mean "
              f"{shifted[f'mean_layer_{CHECK_LAYER}']:+.3f}, std "
              f"{shifted[f'std_layer_{CHECK_LAYER}']:.3f}"),
    ]
    notes = [f"Without SELU's constants ELU drifts (std {fmt(by['elu'][f'std_layer_{DEPTH}'])} "
             f"at layer {DEPTH}); ReLU + He keeps a std of "
             f"{fmt(by['relu_he'][f'std_layer_{DEPTH}'])} but a mean of "
             f"{fmt(by['relu_he'][f'mean_layer_{DEPTH}'])}; tanh + Glorot shrinks to "
             f"{fmt(by['tanh_glorot'][f'std_layer_{DEPTH}'])}."]
    formats = {c: ".3g" for c in summary[0] if c.startswith(("mean_", "std_"))}
    return StudyResult(
        NAME, TITLE, {"quick": quick, "seed": seed, "depth": DEPTH, "width": WIDTH,
                      "dtype": "float64", **SIZES[quick]},
        [Table("summary", "Mean and std of the activations (mean over seeds)", summary,
               formats=formats),
         Table("per_layer", "Every layer, every seed", per_layer, shown=False)],
        numbers={f"SELU mean at layer {CHECK_LAYER}": m50,
                 f"SELU std at layer {CHECK_LAYER}": s50,
                 f"SELU std at layer {DEPTH}": selu[f"std_layer_{DEPTH}"]},
        number_formats={f"SELU mean at layer {CHECK_LAYER}": "+.3f",
                        f"SELU std at layer {CHECK_LAYER}": ".3f",
                        f"SELU std at layer {DEPTH}": ".3f"},
        claims=claims, notes=notes)


STUDY = Study(NAME, TITLE, "classics", LECTURE, plan, assemble, cites=("004",))


run = STUDY.run  # run this study alone: run(quick=False, seed=0, jobs=1)


if __name__ == "__main__":
    from neuronlab.studies._runner import main

    raise SystemExit(main(NAME))
