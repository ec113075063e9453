"""Study 4, signal propagation: the mean-field theory of initialization, for any activation.

For each activation (built-ins and a formula typed by the user, the shifted softplus
``log(1 + exp(x)) - log(2)``):

- its measured properties and its **auto gain** (:func:`neuronlab.meanfield.gain`),
  beside PyTorch's fixed ``calculate_gain`` where it has one;
- **predicted vs measured** second moment ``q_l = E[z_l^2]`` of every layer's
  pre-activations at initialization (``DEPTH`` layers of ``WIDTH`` units, float64),
  with ``sigma_w`` = the auto gain times 0.5, 0.8, 1, 1.25 and 2: predicted by the
  recursion ``q_{l+1} = sigma_w^2 E[phi(sqrt(q_l) u)^2]``, measured on real networks
  (a few seeds) and on an ensemble of networks sampled exactly in distribution
  (:func:`neuronlab.meanfield.sample_propagation`), because single finite-width
  networks scatter around the prediction (ReLU: relative variance about
  ``exp(5 l / width) - 1``, Hanin & Rolnick 2018);
- the **phase diagram** in (sigma_w, sigma_b): the fixed point q* and
  ``chi = sigma_w^2 E[phi'(sqrt(q*) u)^2]`` with the edge of chaos ``chi = 1``, for tanh
  and for the formula;
- **training curves** of deep MLPs on digits with the auto gain and with weights half
  and twice as large (plain SGD with momentum, as in the He-vs-Glorot study: Adam
  would rescale the gradients and hide the effect).

:func:`activation_card` runs the same measurements for a single activation (the
``neuronlab activation`` command writes it as a report page).

Run alone: ``python -m neuronlab.studies.signal [--quick]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from neuronlab import _mathml as m
from neuronlab import activations, meanfield
from neuronlab.init import VarianceScaling
from neuronlab.probe import measure_properties
from neuronlab.propagation import measure_propagation
from neuronlab.studies import _train
from neuronlab.studies._core import (
    Claim,
    Key,
    Run,
    Study,
    StudyResult,
    Table,
    execute,
    fmt,
    mean_std,
    plan_runs,
)

NAME = "signal"
TITLE = "Signal propagation: the gain of any activation, predicted and measured"
LECTURE = (
    "At initialization each layer multiplies the second moment of the pre-activations "
    "by sigma_w^2 E[phi(z)^2] / E[z^2]. In a wide network z is Gaussian, so this is a "
    "one-dimensional map q -> sigma_w^2 E[phi(sqrt(q) u)^2] + sigma_b^2 that can be "
    "computed for any activation (Poole et al. 2016): its fixed point q* is where deep "
    "signals settle, and choosing sigma_w so that q* = 1 gives the gain (sqrt 2 for "
    "ReLU, He's rule; 1 for SELU, LeCun's). The slope chi = sigma_w^2 E[phi'(z)^2] "
    "decides whether gradients vanish (chi < 1, ordered) or explode (chi > 1, chaotic); "
    "chi = 1 is the edge of chaos (Schoenholz et al. 2017). Off the gain the variance "
    "changes geometrically with depth, and deep networks stop training."
)

#: the user's formula shown beside the built-ins (a zero-centred softplus)
FORMULA = "log(1 + exp(x)) - log(2)"
FORMULA_LABEL = "shifted softplus (formula)"
#: label -> (name or formula, options of activations.get)
ACTIVATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "tanh": ("tanh", {}), "relu": ("relu", {}), "selu": ("selu", {}),
    "sigmoid": ("sigmoid", {}), "gelu": ("gelu", {}),
    FORMULA_LABEL: (FORMULA, {"label": "shifted softplus"}),
}
PHASE = ("tanh", FORMULA_LABEL)
TRAIN = ("tanh", "relu", FORMULA_LABEL)
SCALES = (0.5, 0.8, 1.0, 1.25, 2.0)        # sigma_w = scale * gain
#: ``--quick`` propagates only at the scales its claims use (the gain; 0.5 and 2 × for
#: ReLU's geometric claim): 0.8 and 1.25 are drawn in the figure and decide nothing, and
#: their sampled ensembles were a third of the quick run's cost
QUICK_SCALES = (0.5, 1.0, 2.0)
TRAIN_SCALES = (0.5, 1.0, 2.0)
#: PyTorch's calculate_gain, for comparison (leaky_relu at its default slope 0.01)
TORCH_GAIN = {"identity": 1.0, "sigmoid": 1.0, "tanh": 5 / 3, "relu": math.sqrt(2),
              "leaky_relu": math.sqrt(2 / (1 + 0.01 ** 2)), "selu": 0.75}
OPTIMIZER = {"optimizer": "sgd", "lr": 0.002, "momentum": 0.9, "batch_size": 32}
DATASET = "digits"
SIZES = {
    False: {"depth": 50, "width": 512, "samples": 128, "seeds": 3, "ensemble": 512,
            "grid_w": 36, "grid_b": 21, "edge_b": 11, "train_depth": 20,
            "train_width": 64, "epochs": 15, "train_seeds": 3},
    True: {"depth": 20, "width": 128, "samples": 32, "seeds": 1, "ensemble": 256,
           "grid_w": 8, "grid_b": 4, "edge_b": 3, "train_depth": 8, "train_width": 32,
           "epochs": 3, "train_seeds": 1},
}
SIGMA_W = (0.25, 4.0)   # the phase diagram's range
SIGMA_B = (0.0, 2.0)


def _make(spec: tuple[str, Mapping[str, Any]]) -> activations.Activation:
    name, options = spec
    return activations.get(name, **dict(options))


# ----------------------------------------------------------------------------- the runs


def describe(spec: tuple[str, Mapping[str, Any]], seed: int = 0) -> dict[str, Any]:
    """Properties, gain, chi at the gain and the curves g, g' of one activation."""
    fn = _make(spec)
    props = measure_properties(fn)
    g = meanfield.gain(fn)
    z = np.round(np.linspace(-5.0, 5.0, 201), 10)
    with np.errstate(over="ignore", under="ignore"):
        a = fn.forward(z[:, None])[:, 0]
        d = fn.derivative(z[:, None], a[:, None])[:, 0]
    row = {
        "formula": getattr(fn, "formula", ""),
        "computed_as": getattr(fn, "stable_expression", None),
        "derivative": getattr(fn, "derivative_formula", ""),
        "range": "[" + ", ".join("∞" if v == math.inf else "-∞" if v == -math.inf
                                  else f"{v:.4g}" for v in props["range"]) + "]",
        "zero_centred": props["zero_centred"], "monotonic": props["monotonic"],
        "smooth": props["smooth"], "saturating": props["saturating"],
        "saturated_below": props["saturated_below"],
        "saturated_above": props["saturated_above"],
        "max_slope": props["max_slope"], "gain": g,
        "chi_at_gain": meanfield.chi(fn, g, 0.0),
        "slope_at_fixed_point": meanfield.variance_slope(fn, 1.0, g),
        "edge_sigma_w": float(meanfield.edge_of_chaos(fn, 0.0)[0]),
    }
    return {"row": row, "curve": {"z": z, "g": a, "dg": d}}


def propagation(spec: tuple[str, Mapping[str, Any]], scale: float, depth: int, width: int,
                samples: int, seed: int) -> list[float]:
    """Measured mean(z^2) of every layer of one real network (float64)."""
    fn = _make(spec)
    sigma_w = scale * meanfield.gain(fn)
    return measure_propagation(fn, depth, width, sigma_w, samples=samples, seed=seed,
                               dtype=np.float64).tolist()


def ensemble(spec: tuple[str, Mapping[str, Any]], scale: float, depth: int, width: int,
             networks: int, seed: int) -> dict[str, list[float]]:
    """Mean and spread of mean(z^2) per layer over an exactly sampled network ensemble."""
    fn = _make(spec)
    q = meanfield.sample_propagation(fn, depth, width, networks, scale * meanfield.gain(fn),
                                     seed=seed)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = q.mean(axis=0)
        spread = q.std(axis=0) / mean
    return {"mean": mean.tolist(), "relative_spread": spread.tolist(),
            "last": q[:, -1].tolist()}


def phase(spec: tuple[str, Mapping[str, Any]], grid_w: int, grid_b: int, edge_b: int,
          seed: int) -> dict[str, Any]:
    """q* and chi on the (sigma_w, sigma_b) grid and the edge of chaos (no randomness)."""
    fn = _make(spec)
    rows = meanfield.phase_diagram(fn, np.linspace(*SIGMA_W, grid_w),
                                   np.linspace(*SIGMA_B, grid_b))
    b = np.linspace(*SIGMA_B, edge_b)
    edge = meanfield.edge_of_chaos(fn, b, sigma_w_range=SIGMA_W)
    return {"grid": rows, "edge": [{"sigma_b": float(x), "sigma_w": float(y)}
                                   for x, y in zip(b, edge, strict=True)]}


def training(spec: tuple[str, Mapping[str, Any]], scale: float, depth: int, width: int,
             epochs: int, seed: int) -> dict[str, Any]:
    """Train a deep MLP on digits; weights N(0, (scale gain)^2 / fan_in) in every layer
    (``init="auto"`` for scale 1: the output layer then has gain 1)."""
    fn = _make(spec)
    name, options = spec
    init: Any = "auto" if scale == 1.0 else VarianceScaling(
        (scale * meanfield.gain(fn)) ** 2, "fan_in", "normal")
    d = _train.dataset(DATASET)
    from neuronlab.network import MLP
    from neuronlab.train import fit

    weight_seed, fit_seed = (int(s.generate_state(1)[0])
                             for s in np.random.SeedSequence(seed).spawn(2))
    model = MLP([d.n_features, *[width] * depth, d.n_classes], activation=name,
                output="softmax", init=init, seed=weight_seed, **dict(options))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        history = fit(model, d.X_train, d.y_train, epochs=epochs, seed=fit_seed,
                      validation_data=(d.X_test, d.y_test), verbose=False, **OPTIMIZER)
        final = _train.accuracy_on_test(model, d)
    rows = [{"epoch": r["epoch"] + 1, "loss": r["loss"], "test_accuracy": r.get("val_accuracy")}
            for r in history.epochs]
    return {"epochs": rows, "test_accuracy": final, "stop_reason": history.stop_reason}


# ----------------------------------------------------------------------------- planning


def _plan(quick: bool, seed: int, specs: Mapping[str, tuple[str, dict[str, Any]]],
          phase_labels: Sequence[str], train_labels: Sequence[str],
          scales: Sequence[float] = SCALES) -> list[Run]:
    sizes = SIZES[quick]
    runs: list[Run] = []
    runs += plan_runs(NAME, seed, describe, {("describe", label): {"spec": spec}
                                             for label, spec in specs.items()},
                      cost=lambda key: 0.05)
    measured = {("measured", label, s, rep): {"spec": spec, "scale": s,
                                              "depth": sizes["depth"],
                                              "width": sizes["width"],
                                              "samples": sizes["samples"]}
                for label, spec in specs.items() for s in scales
                for rep in range(sizes["seeds"])}
    # the same draws for every activation and scale: the comparison is paired
    runs += plan_runs(NAME, seed, propagation, measured, seed_key=lambda key: key[3:],
                      cost=lambda key: 0.02 * sizes["depth"] * (sizes["width"] / 256) ** 2)
    sampled = {("ensemble", label, s): {"spec": spec, "scale": s, "depth": sizes["depth"],
                                        "width": sizes["width"],
                                        "networks": sizes["ensemble"]}
               for label, spec in specs.items() for s in scales}
    runs += plan_runs(NAME, seed, ensemble, sampled, seed_key=lambda key: (),
                      cost=lambda key: 0.3 * sizes["ensemble"] / 128)
    runs += plan_runs(NAME, seed, phase, {("phase", label): {
        "spec": specs[label], "grid_w": sizes["grid_w"], "grid_b": sizes["grid_b"],
        "edge_b": sizes["edge_b"]} for label in phase_labels},
        cost=lambda key: 0.005 * sizes["grid_w"] * sizes["grid_b"])
    trained = {("training", label, s, rep): {"spec": specs[label], "scale": s,
                                             "depth": sizes["train_depth"],
                                             "width": sizes["train_width"],
                                             "epochs": sizes["epochs"]}
               for label in train_labels for s in TRAIN_SCALES
               for rep in range(sizes["train_seeds"])}
    runs += plan_runs(NAME, seed, training, trained, seed_key=lambda key: key[3:],
                      cost=lambda key: 0.05 * sizes["epochs"] * sizes["train_depth"] / 8)
    return runs


def plan(quick: bool, seed: int) -> list[Run]:
    return _plan(quick, seed, ACTIVATIONS, PHASE, TRAIN,
                 scales=QUICK_SCALES if quick else SCALES)


# ----------------------------------------------------------------------------- assembling


def _standard_errors(mean: Sequence[float], spread: Sequence[float],
                     predicted: Sequence[float], networks: int) -> float:
    """max over layers of |ensemble mean / predicted - 1| in units of the mean's
    relative standard error (spread / sqrt(networks))."""
    m, s, p = (np.asarray(v, dtype=float) for v in (mean, spread, predicted))
    ok = np.isfinite(m) & np.isfinite(s) & np.isfinite(p) & (p > 0) & (s > 0)
    if not ok.any():
        return math.nan
    return float(np.max(np.abs(m[ok] / p[ok] - 1) / (s[ok] / math.sqrt(networks))))


def _relative_error(measured: Sequence[float], predicted: Sequence[float]) -> float:
    m, p = np.asarray(measured, dtype=float), np.asarray(predicted, dtype=float)
    ok = np.isfinite(m) & np.isfinite(p) & (p > 0)
    if not ok.any():
        return math.nan
    return float(np.max(np.abs(m[ok] / p[ok] - 1)))


def assemble(outputs: dict[Key, Any], quick: bool, seed: int,
             specs: Mapping[str, tuple[str, dict[str, Any]]] | None = None) -> StudyResult:
    sizes = SIZES[quick]
    depth, width = sizes["depth"], sizes["width"]
    labels = list(dict.fromkeys(key[1] for key in outputs if key[0] == "describe"))
    specs = specs or ACTIVATIONS
    described = {label: outputs[("describe", label)] for label in labels}
    properties = [{"activation": label, **described[label]["row"],
                   "pytorch_gain": TORCH_GAIN.get(specs[label][0]) if label in specs
                   else None} for label in labels]
    curves = [{"activation": label, "z": z, "g": g, "dg": dg} for label in labels
              for z, g, dg in zip(*(described[label]["curve"][k] for k in ("z", "g", "dg")),
                                  strict=True)]
    gains = {label: described[label]["row"]["gain"] for label in labels}
    scales = sorted({key[2] for key in outputs if key[0] == "measured"})

    per_layer, summary = [], []
    #: (label, scale) -> (q at the last layer of every sampled network, of every real one)
    last_q: dict[tuple[str, float], tuple[list[float], list[float]]] = {}
    for label in labels:
        spec = specs[label]
        fn = _make(spec)
        for s in scales:
            sigma_w = s * gains[label]
            with np.errstate(over="ignore", invalid="ignore"):
                predicted = meanfield.propagate(fn, depth, sigma_w)
            runs = [outputs[key] for key in outputs
                    if key[0] == "measured" and key[1] == label and key[2] == s]
            measured = np.array(runs, dtype=float)
            with np.errstate(over="ignore", invalid="ignore"):
                m_mean = measured.mean(axis=0)
                m_std = measured.std(axis=0)
            sampled = outputs[("ensemble", label, s)]
            for layer in range(depth):
                per_layer.append({
                    "activation": label, "scale": s, "sigma_w": sigma_w, "layer": layer + 1,
                    "predicted": predicted[layer], "measured": m_mean[layer],
                    "measured_std": m_std[layer], "ensemble": sampled["mean"][layer],
                    "ensemble_spread": sampled["relative_spread"][layer]})
            last_q[(label, s)] = (sampled["last"], [run[-1] for run in runs])
            summary.append({
                "activation": label, "scale": s, "sigma_w": sigma_w,
                "predicted_last": predicted[-1], "measured_last": m_mean[-1],
                "ensemble_last": sampled["mean"][-1],
                "max_error_measured": _relative_error(m_mean, predicted),
                "max_error_ensemble": _relative_error(sampled["mean"], predicted),
                "max_error_in_standard_errors": _standard_errors(
                    sampled["mean"], sampled["relative_spread"], predicted,
                    sizes["ensemble"]),
                "network_spread_last": sampled["relative_spread"][-1]})

    phase_rows, edge_rows = [], []
    for key, out in outputs.items():
        if key[0] == "phase":
            phase_rows += [{"activation": key[1], **r} for r in out["grid"]]
            edge_rows += [{"activation": key[1], **r} for r in out["edge"]]

    curves_train, train_summary = [], []
    trained = sorted({(key[1], key[2]) for key in outputs if key[0] == "training"},
                     key=lambda t: (labels.index(t[0]) if t[0] in labels else 0, t[1]))
    for label, s in trained:
        outs = [(key[3], outputs[key]) for key in outputs
                if key[0] == "training" and key[1] == label and key[2] == s]
        for rep, out in outs:
            curves_train += [{"activation": label, "scale": s, "seed": rep, **r}
                             for r in out["epochs"]]
        acc, spread = mean_std([out["test_accuracy"] for _, out in outs])
        train_summary.append({
            "activation": label, "scale": s, "init": "auto" if s == 1.0 else f"{s:g} × gain",
            "test_accuracy": acc, "test_accuracy_std": spread,
            "stop_reasons": ", ".join(sorted({out["stop_reason"] for _, out in outs}))})

    train_runs = {(key[1], key[2], key[3]): outputs[key]["test_accuracy"] for key in outputs
                  if key[0] == "training"}
    claims, notes, numbers = _claims(summary, edge_rows, train_summary, properties, sizes,
                                     last_q, train_runs)
    formats = {c: ".4g" for c in ("gain", "pytorch_gain", "chi_at_gain", "edge_sigma_w",
                                   "slope_at_fixed_point", "max_slope", "saturated_below",
                                   "saturated_above")}
    pct = {c: ".1%" for c in ("max_error_measured", "max_error_ensemble",
                              "network_spread_last", "test_accuracy", "test_accuracy_std")}
    tables = [
        Table("properties", "Measured properties, auto gain (PyTorch's table beside it), "
              "chi and the slope V'(1) of the variance map at the gain (q* = 1 attracts "
              "when V'(1) < 1), and the edge of chaos at sigma_b = 0", properties,
              formats=formats),
        Table("propagation_summary", f"Second moment of the last of {depth} layers "
              f"(width {width}): predicted, measured on real networks, ensemble mean",
              summary, formats={"sigma_w": ".4g", "predicted_last": ".4g",
                                "measured_last": ".4g", "ensemble_last": ".4g", **pct}),
        Table("propagation", "Every layer: predicted and measured second moments",
              per_layer, shown=False),
        Table("curves", "g(z) and g'(z)", curves, shown=False),
    ]
    if phase_rows:
        tables += [Table("phase", "q* and chi on the (sigma_w, sigma_b) grid", phase_rows,
                         shown=False),
                   Table("edge", "Edge of chaos: sigma_w with chi = 1 for each sigma_b",
                         edge_rows, shown=False)]
    if train_summary:
        tables += [Table("training_summary", "Deep MLPs on digits: final test accuracy",
                         train_summary, formats=pct),
                   Table("training", "Training curves", curves_train, shown=False)]
    config = {"quick": quick, "seed": seed, "dtype": "float64", "formula": FORMULA,
              "scales": list(scales), **sizes}
    return StudyResult(NAME, TITLE, config, tables, numbers=numbers,
                       number_formats={k: ".4g" for k in numbers},
                       claims=claims, notes=notes)


def _claims(summary: list[dict[str, Any]], edge: list[dict[str, Any]],
            train: list[dict[str, Any]], properties: list[dict[str, Any]],
            sizes: Mapping[str, Any],
            last_q: Mapping[tuple[str, float], tuple[list[float], list[float]]],
            train_runs: Mapping[tuple[str, float, int], float],
            ) -> tuple[list[Claim], list[str], dict[str, Any]]:
    """The claims, decided over sampled networks (the ensemble), real networks (seeds)
    or training seeds; the edge of chaos is an exact computation."""
    claims, notes, numbers = [], [], {}
    L = sizes["depth"]
    at_gain = [r for r in summary if r["scale"] == 1.0]
    slope = {row["activation"]: row["slope_at_fixed_point"] for row in properties}
    ensemble = (f"{sizes['ensemble']} networks of depth {L}, width {sizes['width']}, "
                f"sampled exactly in distribution")
    for r in at_gain:
        label, v = r["activation"], _finite(slope.get(r["activation"]), math.nan)
        sampled, _ = last_q[(label, 1.0)]
        p = _finite(r["predicted_last"], math.nan)
        if not (math.isfinite(v) and p > 0 and all(math.isfinite(q) and q > 0
                                                   for q in sampled)):
            notes.append(f"{label}: no claim about the recursion at the gain: the predicted "
                         f"or a sampled q at layer {L} left the float64 range.")
            continue
        if v <= 1 + 1e-6:
            claims.append(Claim.from_samples(
                f"{label}: at the auto gain the mean-field recursion predicts the second "
                f"moment of layer {L} (its fixed point q* = 1 is stable or marginal, V'(1) = "
                f"{v:.3f}).",
                f"q at layer {L} of each sampled network / predicted − 1", [q / p - 1 for q
                                                                            in sampled],
                direction=0, margin=0.1,
                evidence=f"predicted q = {fmt(p)}, ensemble mean {fmt(r['ensemble_last'])}; "
                         f"{ensemble}; single networks scatter by "
                         f"{fmt(r['network_spread_last'], '.0%')} (relative std)"))
        else:
            drift = 1 if p > 1 else -1
            claims.append(Claim.from_samples(
                f"{label}: q* = 1 repels at the auto gain (V'(1) = {v:.3f} > 1), so the "
                f"second moment drifts {'up' if drift > 0 else 'down'} with depth, as the "
                f"recursion predicts (by more than a factor 2 at layer {L}).",
                f"log10 q at layer {L} of each sampled network", [math.log10(q) for q in sampled],
                direction=drift, margin=math.log10(2),
                evidence=f"predicted q = {fmt(p)}, ensemble mean {fmt(r['ensemble_last'])}; "
                         f"{ensemble}"))
    stable = [r for r in at_gain if _finite(slope.get(r["activation"])) <= 1 + 1e-6]
    if stable:
        worst = max(stable, key=lambda r: _finite(r["max_error_ensemble"]))
        numbers["largest ensemble deviation at the gain (stable q*)"] = \
            worst["max_error_ensemble"]
    tanh = [r for r in at_gain if r["activation"] == "tanh"]
    if tanh:
        r = tanh[0]
        _, real = last_q[("tanh", 1.0)]
        claims.append(Claim.from_samples(
            f"For tanh single real networks follow the prediction too (within 10% at layer "
            f"{L}).", f"q at layer {L} of each real network / predicted − 1",
            [q / r["predicted_last"] - 1 for q in real], direction=0, margin=0.1,
            evidence=f"largest deviation over the layers, mean over the networks: "
                     f"{fmt(r['max_error_measured'], '.1%')}; {sizes['seeds']} network(s) of "
                     f"width {sizes['width']}"))
    relu = [r for r in at_gain if r["activation"] == "relu"]
    if relu:
        hanin = math.sqrt(math.exp(5 * L / sizes["width"]) - 1)
        notes.append(
            f"Finite width: single ReLU networks scatter around the prediction by "
            f"{fmt(relu[0]['network_spread_last'], '.0%')} (relative std over the "
            f"ensemble at layer {L}); Hanin & Rolnick's estimate "
            f"sqrt(exp(5 L / n) - 1) is {hanin:.0%}. Saturating activations such as tanh "
            f"scatter far less: their signals decorrelate instead of aligning.")
    if ("relu", 2.0) in last_q:
        # ReLU is positively homogeneous and every scale uses the same draws, so the
        # sampled q at 0.5 × the gain is exactly 4^-(2(L-1)) times that at 2 ×: one claim
        sampled, _ = last_q[("relu", 2.0)]
        expected = 4.0 ** (L - 1) * 8
        rows = {r["scale"]: r for r in summary if r["activation"] == "relu"}
        claims.append(Claim.from_samples(
            "Off the gain the variance changes geometrically: for ReLU at twice the gain "
            "each layer multiplies q by 4 (at half the gain it divides q by 4).",
            f"log10 (q at layer {L} of each sampled network / {expected:.3g}), at 2 × the "
            f"gain", [math.log10(q / expected) for q in sampled], direction=0,
            margin=math.log10(3),
            evidence=f"layer {L}: ensemble mean q = {fmt(rows[2.0]['ensemble_last'])} "
                     f"(predicted {expected:.3g}) at 2 × the gain"
                     + (f", {fmt(rows[0.5]['ensemble_last'])} (predicted "
                        f"{0.25 ** (L - 1) * 0.5:.3g}) at 0.5 ×" if 0.5 in rows else "")
                     + f"; {ensemble}; the same draws at both scales, so by ReLU's "
                       f"homogeneity one measurement decides both"))
    tanh_edge = [r for r in edge if r["activation"] == "tanh" and r["sigma_b"] == 0.0]
    if tanh_edge:
        e0 = tanh_edge[0]["sigma_w"]
        line = [r for r in edge if r["activation"] == "tanh"]
        shown = "sigma_w on the edge: " + ", ".join(f"{r['sigma_w']:.3f} (sigma_b "
                                                    f"{r['sigma_b']:.2g})" for r in line)
        claims.append(Claim.exact(
            "tanh's edge of chaos: chi = 1 at sigma_w = 1 without bias (Poole et al. 2016).",
            "sigma_w on the edge at sigma_b = 0, − 1", e0 - 1, direction=0, margin=1e-3,
            evidence=shown))
        claims.append(Claim.exact(
            "... moving to larger sigma_w as sigma_b grows.",
            "smallest increase of sigma_w on the edge between neighbouring sigma_b",
            min(b["sigma_w"] - a["sigma_w"] for a, b in zip(line, line[1:], strict=False)),
            direction=+1, margin=0.0, evidence=shown))
        numbers["tanh edge of chaos sigma_w (sigma_b = 0)"] = e0
    by = {(r["activation"], r["scale"]): r for r in train}
    for label in dict.fromkeys(r["activation"] for r in train):
        bad_scales = [s for s in TRAIN_SCALES if s != 1.0 and (label, s) in by]
        if (label, 1.0) not in by or not bad_scales:
            continue
        reps = sorted(rep for (lab, s, rep) in train_runs if (lab, s) == (label, 1.0))
        # paired: every scale trains from the same seed (same split, batches, draws)
        gap = [train_runs[(label, 1.0, rep)]
               - max(train_runs[(label, s, rep)] for s in bad_scales) for rep in reps]
        claims.append(Claim.from_samples(
            f"{label}: an auto-initialized deep network trains where badly scaled ones do "
            f"not (half or twice the gain: test accuracy lower by at least 20 points).",
            "test accuracy, auto gain − the better of half and twice the gain (paired seeds)",
            gap, direction=+1, margin=0.2,
            evidence=f"auto {fmt(by[(label, 1.0)]['test_accuracy'], '.0%')}, "
                     + ", ".join(f"{by[(label, s)]['init']} "
                                 f"{fmt(by[(label, s)]['test_accuracy'], '.0%')}"
                                 for s in bad_scales)
                     + f" (means over {len(reps)} seeds; {sizes['train_depth']} layers of "
                       f"{sizes['train_width']}, {sizes['epochs']} epochs)"))
    for row in properties:
        if row["activation"] == "tanh":
            numbers["tanh gain"] = row["gain"]
            numbers["tanh chi at its gain"] = row["chi_at_gain"]
    notes.append("PyTorch's calculate_gain is a fixed table: sigmoid 1 (the fixed point "
                 "needs 1.85, since sigmoid's outputs have mean 1/2), tanh 5/3 (1.59 here), "
                 "SELU 3/4 (1 here: SELU's own fixed point).")
    return claims, notes, numbers


def _finite(value: Any, default: float = math.inf) -> float:
    return float(value) if value is not None and math.isfinite(value) else default


_q = m.sup("q", m.row("(", "l", ")"))
_FORMULAS = (
    ("The mean-field length map: the pre-activations' second moment, layer to layer",
     m.math(m.row(m.sup("q", m.row("(", "l", "+", 1, ")")), "=", m.sup(m.sub("σ", "w"), 2),
                  m.sub("E", m.row("u", "∼", "N", "(", 0, ",", 1, ")")), "[",
                  m.sup(m.row("φ", "(", m.sqrt(_q), "u", ")"), 2), "]", "+",
                  m.sup(m.sub("σ", "b"), 2)))),
    ("The gradient's gain per layer at the fixed point q*: χ = 1 is the edge of chaos",
     m.math(m.row("χ", "=", m.sup(m.sub("σ", "w"), 2), "E", "[",
                  m.sup(m.row("φ", "′", "(", m.sqrt(m.sup("q", "*")), "u", ")"), 2), "]"))),
)


STUDY = Study(NAME, TITLE, "signal", LECTURE, plan, assemble, cites=("004", "002"),
              formulas=_FORMULAS)


run = STUDY.run  # run this study alone: run(quick=False, seed=0, jobs=1)


def activation_card(activation: str, *, label: str | None = None,
                    params: Mapping[str, float] | None = None,
                    learnable: Sequence[str] = (), quick: bool = True, seed: int = 0,
                    jobs: int = 1, phase_diagram: bool = True) -> StudyResult:
    """The study's measurements for one activation (a name or a formula): properties,
    gain and chi, predicted vs measured propagation at the gain and two other scales,
    and its phase diagram.  ``neuronlab activation`` writes it as a report page."""
    import time

    options: dict[str, Any] = {}
    if activation not in activations.REGISTRY:
        options = {"label": label, "params": dict(params or {}), "learnable": list(learnable)}
    elif params:
        options = dict(params)
    fn = activations.get(activation, **options)  # errors surface here, before any run
    shown = label or getattr(fn, "display_name", None) or activation
    try:  # every run needs the gain: an activation without one fails now, not after them
        meanfield.gain(fn)
    except ValueError as exc:
        raise ValueError(f"{shown}: {exc} (check the formula and its parameters)") from None
    specs = {shown: (activation, options)}
    runs = _plan(quick, seed, specs, [shown] if phase_diagram else [], [],
                 scales=(0.8, 1.0, 1.25))
    start = time.perf_counter()
    outputs = {r.key: out for r, out, _ in execute(runs, jobs)}
    ordered = {r.key: outputs[r.key] for r in runs}
    with np.errstate(all="raise", under="ignore"):
        result = assemble(ordered, quick, seed, specs)
    result.title = f"Activation lab: {shown}"
    result.config["activation"] = activation
    result.config["options"] = options
    result.seconds = time.perf_counter() - start
    return result


def card_lines(result: StudyResult) -> list[str]:
    """The text summary of an :func:`activation_card`, one line each (what
    ``neuronlab activation`` prints): formula, derivative, measured properties, the auto
    gain, the fixed point's stability and chi."""
    row = result.table("properties").rows[0]
    lines = [f"activation:  {row['activation']}", f"formula:     {row['formula']}"]
    if row.get("computed_as"):
        lines.append(f"computed as: {row['computed_as']}  (stable rewrite)")
    lines.append(f"derivative:  {row['derivative']}")
    flags = [name.replace("_", "-") if row[name] else f"not {name.replace('_', '-')}"
             for name in ("zero_centred", "monotonic", "smooth", "saturating")]
    lines.append(f"properties:  range {row['range']}, {', '.join(flags)} (measured)")
    regions = [f"z <= {row['saturated_below']:.3g}" if row["saturated_below"] is not None
               else "", f"z >= {row['saturated_above']:.3g}"
               if row["saturated_above"] is not None else ""]
    lines.append(f"             saturated (|g'| < 1% of its max) where "
                 f"{' and '.join(r for r in regions if r) or 'nowhere'}; max slope "
                 f"{row['max_slope']:.4g}")
    torch_gain = f" (PyTorch's calculate_gain: {row['pytorch_gain']:.4g})" \
        if row.get("pytorch_gain") is not None else ""
    lines.append(f"auto gain:   {row['gain']:.6g}{torch_gain}: Var(W) = gain^2 / fan_in "
                 f"keeps q* = 1")
    slope = row["slope_at_fixed_point"]
    kind = "attracts" if slope < 1 - 1e-6 else "repels" if slope > 1 + 1e-6 else "marginal"
    chi = row["chi_at_gain"]
    phase = "ordered" if chi < 1 - 1e-9 else "chaotic" if chi > 1 + 1e-9 else "critical"
    lines.append(f"fixed point: q* = 1 at the gain, V'(1) = {slope:.4g} ({kind})")
    lines.append(f"chi at q*:   {chi:.6g} ({phase}); edge of chaos at sigma_b = 0: "
                 f"sigma_w = {fmt(row['edge_sigma_w'], '.6g')}")
    return lines


if __name__ == "__main__":
    from neuronlab.studies._runner import main

    raise SystemExit(main(NAME))
