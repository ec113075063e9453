"""The figures of the lecture studies (backprop, losses, gradient descent, initialization
details, training dynamics, the notes' worked numbers), from their tables only.

Same contract as :mod:`neuronlab.report.figures`: each function takes a
:class:`~neuronlab.studies.StudyResult` and returns ``[(caption, Figure)]``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from neuronlab.report._plotting import (
    PALETTE,
    _colors,
    _figure,
    _grouped,
    _num,
    _rows,
    _style,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from neuronlab.studies import StudyResult

FigureList = list[tuple[str, "Figure"]]
GUIDE = "#333333"
"""Colour of reference lines (chance, guides): dark, dashed, drawn above the data."""


def _seed_lines(ax: Axes, x: list[list[float]], runs: list[list[float]], color: str,
                label: str) -> None:
    """Every seed as a thin line and their mean as a thick one."""
    for xs, ys in zip(x, runs, strict=True):
        ax.plot(xs, [_num(v) for v in ys], color=color, linewidth=0.6, alpha=0.45)
    n = min(len(r) for r in runs)
    mean = np.nanmean(np.array([[_num(v) for v in r[:n]] for r in runs]), axis=0)
    ax.plot(x[0][:n], mean, color=color, linewidth=1.8, label=label)


def _plain_log_ticks(ax: Axes) -> None:
    """Only the decades labelled on a log x axis (minor labels overlap)."""
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())


# ----------------------------------------------------------------------------- backprop


def backprop(result: StudyResult) -> FigureList:
    rows = _rows(result, "worked")
    fig = _figure(12, 3.8)
    ax = fig.add_subplot(1, 3, 1)
    grads = [r for r in rows if r["quantity"] == "∂J/∂W"]
    labels = [f"layer {r['layer']}: w{r['i']}{r['j']}" for r in grads]
    y = np.arange(len(grads))
    ax.barh(y, [r["by_hand"] for r in grads], color="#cfd8e3", label="by hand (δ_i a_j)")
    ax.plot([r["engine"] for r in grads], y, "o", color=PALETTE[0], label="engine backward")
    ax.plot([r["finite_differences"] for r in grads], y, "x", color=PALETTE[3], markersize=8,
            label="finite differences")
    ax.axvline(0, color="#999", linewidth=0.8)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    _style(ax, "∂J/∂W: three ways", "∂J/∂w_ij", None)
    ax.legend(fontsize=7, frameon=False, loc="lower left")
    ax = fig.add_subplot(1, 3, 2)
    for k, quantity in enumerate(("e", "δ")):
        mine = [r for r in rows if r["quantity"] == quantity]
        pos = np.arange(len(mine)) + 0.2 * (2 * k - 1)
        ax.bar(pos, [r["by_hand"] for r in mine], width=0.4, color=PALETTE[k + 1],
               label=f"{quantity} (by hand)")
    mine = [r for r in rows if r["quantity"] == "e"]
    ax.set_xticks(range(len(mine)), [f"layer {r['layer']}, unit {r['i']}" for r in mine],
                  rotation=20, ha="right", fontsize=7)
    ax.axhline(0, color="#999", linewidth=0.8)
    _style(ax, "the error e and δ = g′(z) ⊙ e", None, "value")
    ax.legend(fontsize=7, frameon=False)
    ax = fig.add_subplot(1, 3, 3)
    cost = sorted(_rows(result, "cost"), key=lambda r: r["parameters"])
    params = [r["parameters"] for r in cost]
    ax.loglog(params, [_num(r["finite_differences_s"]) for r in cost], "o-", color=PALETTE[3],
              label="finite differences (2 passes per weight)")
    ax.loglog(params, [_num(r["backprop_s"]) for r in cost], "o-", color=PALETTE[0],
              label="backprop (1 forward + 1 backward)")
    _plain_log_ticks(ax)
    _style(ax, "one gradient, wall-clock", "parameters", "seconds")
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    return [("Left: lecture 002's network worked by hand — the gradient of each of its 8 "
             "weights by the delta rule (bars), the engine's backward pass (dots) and "
             "central finite differences (crosses) agree. Middle: the error e and δ per "
             "unit. Right: the time for one gradient as the network grows (measured on this "
             "machine, one thread).", fig)]


# ----------------------------------------------------------------------------- losses


def losses(result: StudyResult) -> FigureList:
    out: FigureList = []
    gradient = _rows(result, "gradient")
    traj = _rows(result, "trajectories")
    fig = _figure(12, 3.7)
    ax = fig.add_subplot(1, 3, 1)
    z = [r["z"] for r in gradient]
    ax.plot(z, [abs(_num(r["mse"])) for r in gradient], color=PALETTE[3], label="MSE")
    ax.plot(z, [abs(_num(r["cross_entropy"])) for r in gradient], color=PALETTE[0],
            label="cross-entropy")
    ax.axvspan(-8, -2.5, color=PALETTE[3], alpha=0.08, linewidth=0)
    ax.text(-7.7, 0.1, "output saturated\non the wrong side", fontsize=7, color=PALETTE[3])
    ax.set_yscale("log")
    _style(ax, "|∂E/∂z| through a sigmoid, target 1", "z (output a = σ(z))", "|∂E/∂z|")
    ax.legend(fontsize=8, frameon=False, loc="lower left")
    colors = {"mse": PALETTE[3], "binary_cross_entropy": PALETTE[0]}
    names = {"mse": "MSE", "binary_cross_entropy": "cross-entropy"}
    for k, (column, label) in enumerate((("output", "output a (target 0)"),
                                         ("grad_w", "∂E/∂w"))):
        ax = fig.add_subplot(1, 3, k + 2)
        for (loss, start), mine in _grouped(traj, ("loss_fn", "start")).items():
            ax.plot([r["step"] for r in mine], [_num(r[column]) for r in mine],
                    color=colors[loss], linestyle="-" if start == "saturated" else ":",
                    label=f"{names[loss]}, {start} start")
        if column == "output":
            ax.axhline(0.2, color=GUIDE, linewidth=0.8, linestyle="--", zorder=3)
        _style(ax, label, "gradient-descent step", label)
        ax.legend(fontsize=7, frameon=False)
    out.append(("Left: the gradient reaching z through a sigmoid output: MSE's carries σ′(z) "
                "and vanishes when the output saturates, cross-entropy's is a − y. Middle "
                "and right: one neuron started confidently wrong (solid: output 0.98, target "
                "0; dotted: output 0.82), trained with each loss — MSE's gradient starts "
                "tiny and the output stalls (dashed: 0.2, 'learned').", fig))
    jac = _rows(result, "jacobian")
    scales = sorted({r["scale"] for r in jac})
    fig = _figure(10, 4.0)
    for k, scale in enumerate(scales):
        ax = fig.add_subplot(1, len(scales), k + 1)
        mine = [r for r in jac if r["scale"] == scale]
        n = max(r["i"] for r in mine)
        mat = np.zeros((n, n))
        for r in mine:
            mat[r["i"] - 1, r["k"] - 1] = r["engine"]
        image = ax.imshow(mat, cmap="RdBu_r", vmin=-0.25, vmax=0.25)
        for (i, j), v in np.ndenumerate(mat):
            ax.text(j, i, f"{v:.3f}", ha="center", va="center", fontsize=7)
        probs = [r["p_i"] for r in mine if r["k"] == 1]
        ax.set_xticks(range(n), [f"z{j + 1}" for j in range(n)])
        ax.set_yticks(range(n), [f"p{i + 1} = {p:.3f}" for i, p in enumerate(probs)])
        ax.set_title(f"logits × {scale:g}" + (" (note 003's)" if scale == 1 else
                                              " (more confident)"), fontsize=10)
        fig.colorbar(image, ax=ax, shrink=0.8, label="∂p_i/∂z_k")
    out.append(("The softmax Jacobian ∂p_i/∂z_k from the engine's backward pass at note "
                "003's logits (1.1, 2.2, 0.2, −1.7) and at four times them: p_i(1 − p_i) on "
                "the diagonal, −p_i p_k off it; every row sums to 0, and a confident "
                "softmax has a Jacobian near 0 — it saturates like a sigmoid.", fig))
    digits = _rows(result, "digits")
    fig = _figure(10, 3.4)
    for k, (column, label) in enumerate((("test_accuracy", "test accuracy"),
                                         ("loss", "training loss (each its own)"))):
        ax = fig.add_subplot(1, 2, k + 1)
        for j, loss in enumerate(("cross_entropy", "mse")):
            runs = _grouped([r for r in digits if r["loss_fn"] == loss], ("seed",))
            _seed_lines(ax, [[r["epoch"] for r in rs] for rs in runs.values()],
                        [[r[column] for r in rs] for rs in runs.values()],
                        (PALETTE[0], PALETTE[3])[j], {"mse": "MSE"}.get(loss, "cross-entropy"))
        if column == "loss":
            ax.set_yscale("log")
        _style(ax, label, "epoch", label)
        ax.legend(fontsize=8, frameon=False)
    out.append(("A softmax network on digits, the same SGD and learning rate, trained with "
                "each loss (thin: each seed; thick: their mean).", fig))
    return out


# ----------------------------------------------------------------------------- gradient descent


def gradient_descent(result: StudyResult) -> FigureList:
    out: FigureList = []
    toy = _rows(result, "toy")
    rates = list(dict.fromkeys(r["lr"] for r in toy))
    colors = {lr: PALETTE[k] for k, lr in enumerate(rates)}
    fig = _figure(12, 3.7)
    ax = fig.add_subplot(1, 2, 1)
    w = np.linspace(-2.2, 4.2, 200)
    ax.plot(w, (1 - w) ** 2, color="#bbbbbb", linewidth=1.2, zorder=1)
    for lr in rates:
        mine = [r for r in toy if r["lr"] == lr][:12]
        ax.plot([r["w"] for r in mine], [_num(r["c"]) for r in mine], "o-", color=colors[lr],
                markersize=3, linewidth=0.9, label=f"η = {lr:g}")
    ax.set_xlim(-2.2, 4.2)
    ax.set_ylim(-0.3, 10)
    _style(ax, "c = (1 − w)² from w = 3 (note 004)", "w", "c")
    ax.legend(fontsize=7, frameon=False, loc="upper center", ncol=3)
    ax = fig.add_subplot(1, 2, 2)
    for lr in rates:
        mine = [r for r in toy if r["lr"] == lr]
        ax.semilogy([r["step"] for r in mine], [abs(r["w"] - 1) for r in mine], "-",
                    color=colors[lr], label=f"η = {lr:g}" + (" (diverges)" if lr > 1 else ""))
    _style(ax, "distance to the minimum", "step", "|w − 1|")
    ax.legend(fontsize=7, frameon=False)
    out.append(("Note 004's example: gradient descent on c = (1 − w)² from w = 3. A small η "
                "creeps, η = 0.5 jumps to the minimum in one step, η = 0.9 zig-zags across "
                "it, and η > 1 lands farther away at every step: it diverges.", fig))
    curves = _rows(result, "lr_curves")
    runs = _rows(result, "lr_runs")
    settings = list(dict.fromkeys(r["setting"] for r in curves))
    fig = _figure(12, 3.5)
    for k, (column, label) in enumerate((("loss", "training loss"),
                                         ("test_accuracy", "test accuracy"))):
        ax = fig.add_subplot(1, 2, k + 1)
        for j, setting in enumerate(settings):
            mine = _grouped([r for r in curves if r["setting"] == setting], ("seed",))
            stopped = {r["stop_reason"] for r in runs if r["setting"] == setting}
            name = f"{setting} (η = {mine[next(iter(mine))][0]['lr']:g})"
            if stopped - {"completed"}:
                name += f" — {', '.join(sorted(stopped - {'completed'}))}"
            _seed_lines(ax, [[r["epoch"] for r in rs] for rs in mine.values()],
                        [[r[column] for r in rs] for rs in mine.values()], PALETTE[j], name)
        if column == "loss":
            ax.set_yscale("log")
            ax.axhline(math.log(10), color=GUIDE, linewidth=0.8, linestyle="--", zorder=3,
                       label="ln 10 (uniform guess)")
        else:
            ax.axhline(0.1, color=GUIDE, linewidth=0.8, linestyle="--", zorder=3,
                       label="chance (10%)")
        _style(ax, label, "epoch", label)
        ax.legend(fontsize=7, frameon=False)
    out.append(("An MLP on digits with plain SGD at three learning rates (thin: each seed; "
                "thick: mean). Too small barely moves; too large makes the loss jump above "
                "that of a uniform guess and stay there.", fig))
    noise = _rows(result, "noise")
    step_curves = _rows(result, "step_curves")
    fig = _figure(12, 3.6)
    ax = fig.add_subplot(1, 2, 1)
    for seed, mine in _grouped(noise, ("seed",)).items():
        ax.loglog([r["batch_size"] for r in mine], [r["noise"] for r in mine], "o-",
                  color=PALETTE[0], alpha=0.6, linewidth=0.8,
                  label="each seed" if seed == (0,) else None)
    first = [r for r in noise if r["seed"] == noise[0]["seed"]]
    b = np.array([r["batch_size"] for r in first], dtype=float)
    ax.loglog(b, first[0]["noise"] / b, "--", color=GUIDE, label="1/B", zorder=3)
    _style(ax, "mini-batch gradient noise E‖g_B − g‖²", "batch size B", "noise")
    ax.legend(fontsize=8, frameon=False)
    ax = fig.add_subplot(1, 2, 2)
    batches = sorted({r["batch_size"] for r in step_curves})
    for j, batch in enumerate(batches):
        mine = _grouped([r for r in step_curves if r["batch_size"] == batch], ("seed",))
        _seed_lines(ax, [[r["step"] for r in rs] for rs in mine.values()],
                    [[r["test_accuracy"] for r in rs] for rs in mine.values()], PALETTE[j],
                    f"batch {batch}")
    target = result.config.get("target_accuracy", 0.9)
    ax.axhline(target, color=GUIDE, linewidth=0.8, linestyle="--", zorder=3,
               label=f"target {target:.0%}")
    ax.set_xscale("log")
    _style(ax, "test accuracy against optimizer steps", "steps (log scale)", "test accuracy")
    ax.legend(fontsize=7, frameon=False)
    out.append(("Left: the noise of a mini-batch gradient (first layer, at fixed weights) "
                "against the batch size, with the 1/B line. Right: test accuracy after each "
                "epoch against the optimizer steps taken: larger batches take fewer, less "
                "noisy steps per epoch.", fig))
    overfit = _rows(result, "overfit")
    fig = _figure(8, 3.4)
    ax = fig.add_subplot(1, 1, 1)
    groups = _grouped(overfit, ("seed",))
    for column, color, label in (("loss", PALETTE[0], "training loss"),
                                 ("val_loss", PALETTE[3], "validation loss")):
        _seed_lines(ax, [[r["epoch"] for r in rs] for rs in groups.values()],
                    [[r[column] for r in rs] for rs in groups.values()], color, label)
    for rs in groups.values():
        best = min(rs, key=lambda r: _num(r["val_loss"]))
        ax.plot(best["epoch"], best["val_loss"], "v", color=PALETTE[3], markersize=6)
    ax.set_yscale("log")
    _style(ax, "a wide network on 150 digits", "epoch", "loss (log scale)")
    ax.legend(fontsize=8, frameon=False)
    out.append(("Epochs and overfitting: the training loss keeps falling while the validation "
                "loss turns up after its minimum (triangles): the epochs after it only fit "
                "the training samples.", fig))
    return out


# ----------------------------------------------------------------------------- init details


def init_details(result: StudyResult) -> FigureList:
    rules = _rows(result, "rules")
    fig = _figure(12, 3.8)
    ax = fig.add_subplot(1, 3, 1)
    y = np.arange(len(rules))
    ax.barh(y, [_num(r["std_by_formula"]) for r in rules],
            color=[PALETTE[3] if r["std_sampled"] is None else "#cfd8e3" for r in rules],
            label="σ by the formula")
    ax.plot([_num(r["std_sampled"]) for r in rules], y, "o", color=PALETTE[0],
            label="σ of the engine's sample")
    ax.set_yticks(y, [r["rule"] for r in rules], fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    _style(ax, f"{result.config['fan_in']} → {result.config['fan_out']} layer",
           "standard deviation (log)", None)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    per_layer = _rows(result, "per_layer")
    colors = {"glorot_normal": PALETTE[0], "slip": PALETTE[3]}
    names = {"glorot_normal": "σ = √(1/fan_avg)", "slip": "σ = 1/fan_avg (slip)"}
    for k, (column, label) in enumerate((("act_std", "std of activations"),
                                         ("grad_norm", "‖∂J/∂W‖ (absolute)"))):
        ax = fig.add_subplot(1, 3, k + 2)
        for (variant, seed), mine in _grouped(per_layer, ("variant", "seed")).items():
            ax.semilogy([r["layer"] for r in mine], [_num(r[column]) for r in mine], "o-",
                        color=colors[variant], markersize=2.5, linewidth=1,
                        label=names[variant] if seed == 0 else None)
        _style(ax, label + " at initialization", "layer", label)
        ax.legend(fontsize=7, frameon=False)
    return [("Left: each rule's standard deviation by its formula (bars; red: note 004's "
             "σ = 1/fan_avg) and the engine's sampled one (dots). Middle and right: a deep "
             "tanh network on digits at initialization — with the slip, the signal and the "
             "gradients shrink by about √fan_avg per layer.", fig)]


# ----------------------------------------------------------------------------- dynamics


def dynamics(result: StudyResult) -> FigureList:
    out: FigureList = []
    monitor = _rows(result, "monitor")
    configs = list(dict.fromkeys(r["config"] for r in monitor))
    layers = sorted({r["layer"] for r in monitor})
    colors = _colors(f"layer {k}" for k in layers)
    fig = _figure(12, 2.6 * len(configs) + 0.5, grid=(0.9, 0.35))
    for i, config in enumerate(configs):
        for k, (column, label) in enumerate((("update_ratio", "‖ΔW‖/‖W‖ per step"),
                                             ("grad_norm", "‖∂J/∂W‖ (absolute)"))):
            ax = fig.add_subplot(len(configs), 2, 2 * i + k + 1)
            for layer in layers:
                mine = [r for r in monitor if r["config"] == config and r["seed"] == 0
                        and r["layer"] == layer]
                ax.semilogy([r["step"] for r in mine], [_num(r[column]) for r in mine],
                            color=colors[f"layer {layer}"], linewidth=1.2,
                            label=f"layer {layer}")
            if column == "update_ratio":
                ax.axhline(1e-3, color=GUIDE, linewidth=1.0, linestyle="--", zorder=3,
                           label="1e-3 guide")
            _style(ax, f"{config}: {label}", "step" if i == len(configs) - 1 else None,
                   label)
    handles, names = fig.axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(names), fontsize=8, frameon=False)
    out.append(("Per layer over training (first seed): the update / weight ratio of each "
                "optimizer step against the 1e-3 rule of thumb (dashed), beside the absolute "
                "weight-gradient norm, so that a small ratio from vanishing gradients is not "
                "mistaken for a calm one.", fig))
    fig = _figure(12, 3.4)
    for k, (column, label) in enumerate((("dead", "dead units"),
                                         ("saturated", "saturated units"))):
        ax = fig.add_subplot(1, 2, k + 1)
        for j, config in enumerate(configs):
            hidden = [r for r in monitor if r["config"] == config and r["layer"] < max(layers)]
            by_step = _grouped(hidden, ("seed", "step"))
            seeds = sorted({s for s, _ in by_step})
            xs, ys = [], []
            for seed in seeds:
                steps = sorted(st for s, st in by_step if s == seed)
                xs.append(steps)
                ys.append([float(np.mean([_num(r[column]) for r in by_step[(seed, st)]]))
                           for st in steps])
            _seed_lines(ax, xs, ys, PALETTE[j], config)
        ax.set_ylim(-0.03, 1.03)
        _style(ax, f"{label}, mean over hidden layers", "step", "fraction of units")
        ax.legend(fontsize=7, frameon=False)
    out.append(("Dead ReLUs (zero output and gradient on every sample of an interval) and "
                "saturated units (|g′| ≤ 1% of its maximum on ≥ 90% of samples) over "
                "training, for each network (thin: each seed).", fig))
    hist = _rows(result, "histograms")
    for kind, what in (("activation", "activations a"), ("gradient", "log10 |∂J/∂W|")):
        mine = [r for r in hist if r["kind"] == kind]
        shown = [c for c in configs if any(r["config"] == c for r in mine)]
        fig = _figure(12, 2.3 * len(shown) + 0.6, grid=(0.85, 0.35))
        for i, config in enumerate(shown):
            rows_c = [r for r in mine if r["config"] == config]
            steps = sorted({r["step"] for r in rows_c})
            picks = [steps[0], steps[len(steps) // 2], steps[-1]]
            hidden = sorted({r["layer"] for r in rows_c})
            for j, step in enumerate(picks):
                ax = fig.add_subplot(len(shown), 3, 3 * i + j + 1)
                for layer in hidden:
                    r = next(r for r in rows_c if r["step"] == step and r["layer"] == layer)
                    edges = np.array(r["edges"], dtype=float)
                    counts = np.array(r["counts"], dtype=float)
                    if counts.sum() > 0:
                        ax.stairs(counts / counts.sum(), edges, color=colors[f"layer {layer}"],
                                  linewidth=1.1, label=f"layer {layer}")
                _style(ax, f"{config}, step {step}", what if i == len(shown) - 1 else None,
                       "fraction" if j == 0 else None)
        handles, names = fig.axes[0].get_legend_handles_labels()
        fig.legend(handles, names, loc="lower center", ncol=len(names), fontsize=8,
                   frameon=False)
        out.append((f"Histograms of the {what} of each layer at the start, middle and end of "
                    f"training (first seed).", fig))
    return out


# ----------------------------------------------------------------------------- worked numbers


def worked_numbers(result: StudyResult) -> FigureList:
    rows = _rows(result, "worked")

    def find(note: str, contains: str) -> dict[str, Any] | None:
        return next((r for r in rows if r["note"] == note and contains in r["where"]), None)

    fig = _figure(12, 3.7)
    z = np.linspace(-10.5, 10.5, 400)
    sig = 1 / (1 + np.exp(-z))
    ax = fig.add_subplot(1, 3, 1)
    ax.plot(z, 1 - np.tanh(z) ** 2, color=PALETTE[1], label="tanh′ (engine's formula)")
    ax.plot(z, sig * (1 - sig), color=PALETTE[0], label="σ′")
    for note, where, zpos in (("004", "tanh's slope at z = −10", -10.0),
                              ("004", "tanh's slope at z = 10", 10.0),
                              ("004", "tanh's slope at z = 0", 0.0),
                              ("004", "sigmoid's slope at z = 0", 0.0)):
        r = find(note, where)
        if r is None:
            continue
        ok = r["agrees"]
        ax.plot(zpos, r["note_value"], "o" if ok else "X", markersize=8 if not ok else 5,
                color=PALETTE[2] if ok else PALETTE[3], zorder=4)
        if not ok:
            ax.annotate(f"note: {r['note_value']:g}\nengine: {r['engine_value']:.1g}",
                        (zpos, r["note_value"]), (zpos + 2.0, 0.75), fontsize=7,
                        arrowprops={"arrowstyle": "->", "color": PALETTE[3]})
    _style(ax, "note 004's slopes (green: right, red ✗: slip)", "z", "slope")
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    ax = fig.add_subplot(1, 3, 2)
    w = np.linspace(-1.6, 7.6, 200)
    ax.plot(w, (1 - w) ** 2, color="#bbbbbb")
    for label, w1, color in (("w + ∇ → 7 (ascent)", 7.0, PALETTE[3]),
                             ("w − ∇ → −1 (overshoot)", -1.0, PALETTE[1]),
                             ("w − 0.1∇ → 2.6", 2.6, PALETTE[2])):
        ax.annotate("", (w1, (1 - w1) ** 2), (3.0, 4.0),
                    arrowprops={"arrowstyle": "->", "color": color, "linewidth": 1.4})
        ax.plot(w1, (1 - w1) ** 2, "o", color=color, label=label)
    ax.plot(3.0, 4.0, "ko", label="start w = 3, ∇c = 4")
    slip = find("003", "update V ← V + η∇")
    if slip is not None:
        ax.plot(slip["note_value"], (1 - slip["note_value"]) ** 2, "X", color=PALETTE[3],
                markersize=8, label="note 003's sign, η = 0.1: 3.4")
    _style(ax, "gradient steps on c = (1 − w)² (note 004)", "w", "c")
    ax.legend(fontsize=6.5, frameon=False, loc="upper center")
    ax = fig.add_subplot(1, 3, 3)
    soft = [r for r in rows if r["where"].startswith("softmax of")]
    x = np.arange(len(soft))
    ax.bar(x, [r["engine_value"] for r in soft], color="#cfd8e3", label="engine")
    ax.plot(x, [r["note_value"] for r in soft], "_", color=PALETTE[3], markersize=22,
            markeredgewidth=2, label="note 003")
    for k, r in enumerate(soft):
        ax.text(k, r["engine_value"] + 0.02, f"{r['engine_value']:.4f}", ha="center",
                fontsize=7)
    ax.set_xticks(x, ["1.1", "2.2", "0.2", "−1.7"])
    _style(ax, "softmax of note 003's logits", "logit z", "p")
    ax.legend(fontsize=7, frameon=False)
    return [("The notes' worked numbers beside the engine's: note 004's activation slopes "
             "(its tanh′(−10) ≈ 1 is a slip: tanh saturates on both sides), note 004's "
             "gradient steps on c = (1 − w)² and note 003's '+' update, and note 003's "
             "softmax (its 0.013 should round to 0.014).", fig)]


FIGURES = {"backprop": backprop, "losses": losses, "gradient_descent": gradient_descent,
           "init_details": init_details, "dynamics": dynamics,
           "worked_numbers": worked_numbers}
"""The figure function of each lecture study, by study name."""
