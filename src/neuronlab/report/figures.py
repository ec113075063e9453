"""The figures of the report: one function per study, from its tables only.

Each function takes a :class:`~neuronlab.studies.StudyResult` and returns a list of
``(caption, Figure)``.  Figures are built with matplotlib's object API
(``matplotlib.figure.Figure``), so no GUI backend or global pyplot state is touched;
:func:`sharp` renders one in the shared style :data:`STYLE` (all in
:mod:`neuronlab.report._plotting`): SVG (vector, sharp at any size and zoom, on a phone
too), or a PNG at twice the screen resolution for the few figures whose SVG would be
heavier.  The lecture studies' figures live in :mod:`neuronlab.report.lecture_figures`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

import neuronlab.report.lecture_figures as lecture_figures  # the module, not the package
from neuronlab.report._plotting import (  # noqa: F401 (re-exported for the figure modules)
    DPI,
    PALETTE,
    STYLE,
    _colors,
    _figure,
    _grid,
    _grouped,
    _log10,
    _num,
    _rows,
    _style,
    png,
    sharp,
    svg,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from neuronlab.studies import StudyResult

FigureList = list[tuple[str, "Figure"]]


# ----------------------------------------------------------------------------- atlas


def atlas(result: StudyResult) -> FigureList:
    curves: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in _rows(result, "curves"):
        c = curves[row["activation"]]
        for key in ("z", "g", "dg"):
            c[key].append(_num(row[key]))
    names = list(curves)
    rows, cols = _grid(len(names), 5)
    fig = _figure(12, 2.2 * rows, grid=(0.35, 0.3))
    for i, name in enumerate(names):
        ax = fig.add_subplot(rows, cols, i + 1)
        c = curves[name]
        ax.axhline(0, color="#999", linewidth=0.6)
        ax.axvline(0, color="#999", linewidth=0.6)
        ax.plot(c["z"], c["g"], color=PALETTE[0], linewidth=1.6, label="g(z)")
        ax.plot(c["z"], c["dg"], color=PALETTE[1], linewidth=1.2, linestyle="--",
                label="g'(z)")
        g = np.array(c["g"])
        finite = g[np.isfinite(g)]
        if finite.size:
            low, high = max(finite.min(), -3.0), min(finite.max(), 3.0)
            ax.set_ylim(min(low, -0.2) - 0.2, max(high, 1.2) + 0.2)
        _style(ax, name, "z" if i >= len(names) - cols else None,
               "g(z), g′(z)" if i % cols == 0 else None)
        if i == 0:
            ax.legend(fontsize=7, frameon=False, loc="upper left")
    first = ("Every registered elementwise activation g (solid) and its derivative g' "
             "(dashed) on [-6, 6], generated from the registry ('formula': an activation "
             "from a formula, shown with x·tanh(softplus(x)), mish).")
    cost = sorted(_rows(result, "cost"), key=lambda r: _num(r["total_ns"]))
    fig2 = _figure(8, 0.28 * len(cost) + 1.2)
    ax = fig2.add_subplot(1, 1, 1)
    y = np.arange(len(cost))
    fwd = np.array([_num(r["forward_ns"]) for r in cost])
    bwd = np.array([_num(r["backward_ns"]) for r in cost])
    ax.barh(y, fwd, color=PALETTE[0], label="forward")
    ax.barh(y, bwd, left=fwd, color=PALETTE[1], label="backward")
    ax.set_yticks(y, [r["activation"] for r in cost])
    ax.set_xscale("log")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    _style(ax, "Cost per element, float32", "nanoseconds per element (log scale)")
    return [(first, fig), ("Measured cost of the forward and backward pass per element "
                           "(wall-clock, best of several repeats).", fig2)]


# ----------------------------------------------------------------------------- depth


def depth(result: StudyResult) -> FigureList:
    summary = _rows(result, "summary")
    acts = list(dict.fromkeys(r["activation"] for r in summary))
    inits = list(dict.fromkeys(r["init"] for r in summary))
    labels = {r["init"]: r["init_label"] for r in summary}
    last_layer = result.config.get("depth", "L")

    def matrix(column: str) -> np.ndarray:
        m = np.full((len(acts), len(inits)), np.nan)
        for r in summary:
            v = _log10([r[column]])[0]
            m[acts.index(r["activation"]), inits.index(r["init"])] = v
        return m

    panels = [("act_std_last", f"log10 std of activations at layer {last_layer}"),
              ("grad_ratio", f"log10 ‖dW₁‖ / ‖dW_{last_layer}‖ (gradient ratio)")]
    if any("grad_norm_first" in r for r in summary):  # the ratio never alone
        panels.append(("grad_norm_first", "log10 ‖dW₁‖ (absolute, first layer)"))
    fig = _figure(6 * len(panels), 4.6)
    for k, (column, title) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        m = matrix(column)
        bound = max(3.0, min(20.0, float(np.nanmax(np.abs(m))) if np.isfinite(m).any() else 3))
        image = ax.imshow(np.clip(m, -bound, bound), cmap="RdBu_r", vmin=-bound, vmax=bound,
                          aspect="auto")
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                text = "—" if not np.isfinite(m[i, j]) else f"{m[i, j]:.0f}" \
                    if abs(m[i, j]) >= 9.5 else f"{m[i, j]:.1f}"
                ax.text(j, i, text, ha="center", va="center", fontsize=7,
                        color="white" if np.isfinite(m[i, j]) and abs(m[i, j]) > 0.6 * bound
                        else "black")
        ax.set_xticks(range(len(inits)), [labels[i] for i in inits], rotation=30, ha="right",
                      fontsize=8)
        ax.set_yticks(range(len(acts)), acts, fontsize=8)
        ax.set_title(title, fontsize=10)
        fig.colorbar(image, ax=ax, shrink=0.8)
    figures = [("Signal at the last hidden layer, gradient ratio first/last layer, and the "
                "first layer's absolute gradient norm, log10, first seed: 0 (white) means "
                "preserved, blue vanishing, red exploding. A ratio near 0 is healthy only if "
                "the absolute norm is too: ReLU with Glorot keeps the ratio but its gradients "
                "are small everywhere. The claims average the claimed pairs over every seed.",
                fig)]
    per_layer = _rows(result, "per_layer")
    colors = _colors(inits)
    for column, what in (("act_std", "activations a (forward)"),
                         ("delta_std", "delta = dJ/dz (backward)")):
        rows, cols = _grid(len(acts), 4)
        fig = _figure(12, 2.7 * rows + 0.6, grid=(1.0, 0.3))
        for i, act in enumerate(acts):
            ax = fig.add_subplot(rows, cols, i + 1)
            for init in inits:
                mine = [r for r in per_layer if r["activation"] == act and r["init"] == init]
                ax.plot([r["layer"] for r in mine], _log10(r[column] for r in mine),
                        color=colors[init], linewidth=1.4, label=labels[init])
            _style(ax, act, "layer" if i >= len(acts) - cols else None,
                   "log10 std" if i % cols == 0 else None)
        handles, names = fig.axes[0].get_legend_handles_labels()
        fig.legend(handles, names, loc="lower center", ncol=len(inits), fontsize=8,
                   frameon=False)
        figures.append((f"Standard deviation of the {what} per layer, log10, for every "
                        f"initializer (first seed).", fig))
    widths = _rows(result, "sigmoid_width")
    if widths:
        fig = _figure(6, 3.2)
        ax = fig.add_subplot(1, 1, 1)
        ax.plot([r["width"] for r in widths], _log10(r["grad_ratio"] for r in widths),
                marker="o", color=PALETTE[3])
        ax.axhline(0, color="#999", linewidth=0.8)
        ax.axhline(-3, color=PALETTE[0], linewidth=0.8, linestyle=":")
        ax.set_xscale("log", base=2)
        _style(ax, "Sigmoid, N(0, 1) weights", "width", "log10 gradient ratio first/last")
        figures.append(("Sigmoid with N(0, 1) weights: the gradient ratio between the first "
                        "and last hidden layer (geometric mean over seeds, as in the table and "
                        "the claim) depends on the width — vanishing when narrow, exploding "
                        "when wide (dotted: the 1e-3 'vanishing' line).", fig))
    return figures


# ----------------------------------------------------------------------------- training


#: the range each plotted quantity can take: spread bands are clipped to it
ACCURACY = (0.0, 1.0)
POSITIVE = (0.0, math.inf)
ANY = (-math.inf, math.inf)


def _seed_curves(ax: Axes, runs: dict[Any, tuple[list[float], list[float]]], color: str,
                 label: str, limits: tuple[float, float] = ANY, *, every_seed: bool = False,
                 outlier: float = 0.15, log: bool = False) -> list[Any]:
    """Mean over seeds (thick), a ± one standard deviation band clipped to ``limits``, and
    single seeds drawn thin: all of them with ``every_seed``, otherwise those whose last
    value is more than ``outlier`` from the seeds' median (in log10 units with ``log``).

    A run that stopped early (diverged) counts only where it has values.  Returns the
    seeds drawn as outliers, so that the caption can name them.  ``runs`` maps a seed to
    ``(x, y)``.
    """
    xs = sorted({v for x, _ in runs.values() for v in x})
    data = np.full((len(runs), len(xs)), np.nan)
    for i, (x, y) in enumerate(runs.values()):
        for xv, yv in zip(x, y, strict=True):
            data[i, xs.index(xv)] = _num(yv)
    with np.errstate(all="ignore"):
        values = np.log10(data) if log else data
        finite = np.isfinite(values)
        count = finite.sum(axis=0)
        mean = np.where(count > 0, np.nansum(np.where(finite, values, 0), axis=0)
                        / np.maximum(count, 1), np.nan)
        spread = np.array([np.nanstd(values[finite[:, j], j]) if count[j] > 1 else np.nan
                           for j in range(len(xs))])
        back = (lambda v: 10 ** v) if log else (lambda v: v)
        ax.plot(xs, back(mean), color=color, linewidth=1.6, label=label)
        if len(runs) > 1:
            low, high = np.clip(back(mean - spread), *limits), np.clip(back(mean + spread),
                                                                        *limits)
            ax.fill_between(xs, low, high, color=color, alpha=0.15, linewidth=0)
        last = np.array([v[np.isfinite(v)][-1] if np.isfinite(v).any() else np.nan
                         for v in values])
        median = np.nanmedian(last) if np.isfinite(last).any() else np.nan
    drawn = []
    for (seed, (x, y)), end in zip(runs.items(), last, strict=True):
        odd = np.isfinite(end) and np.isfinite(median) and abs(end - median) > outlier
        if every_seed or odd:
            ax.plot(x, [_num(v) for v in y], color=color, linewidth=0.8,
                    alpha=0.9 if odd else 0.35, linestyle="--" if odd else "-")
        if odd:
            ax.annotate(f"seed {seed}", (x[-1], _num(y[-1])), fontsize=7, color=color,
                        xytext=(2, 0), textcoords="offset points", va="center")
            drawn.append(seed)
    return drawn


def training(result: StudyResult) -> FigureList:
    curves = _rows(result, "curves")
    datasets = list(dict.fromkeys(r["dataset"] for r in curves))
    depths = sorted({r["depth"] for r in curves})
    acts = list(dict.fromkeys(r["activation"] for r in curves))
    colors = _colors(acts)
    groups = _grouped(curves, ("dataset", "depth", "activation", "seed"))
    figures = []
    outliers: list[str] = []
    for column, label in (("test_accuracy", "test accuracy"), ("loss", "training loss")):
        fig = _figure(12, 6.6, grid=(1.0, 0.3))
        for i, ds in enumerate(datasets):
            for j, dep in enumerate(depths):
                ax = fig.add_subplot(len(datasets), len(depths), i * len(depths) + j + 1)
                for act in acts:
                    runs = {seed: ([r["epoch"] for r in rows], [r[column] for r in rows])
                            for (d_, p, a, seed), rows in groups.items()
                            if (d_, p, a) == (ds, dep, act)}
                    if runs:
                        odd = _seed_curves(ax, runs, colors[act], act,
                                           ACCURACY if column == "test_accuracy" else POSITIVE,
                                           log=column == "loss",
                                           outlier=0.15 if column == "test_accuracy" else 1.0)
                        outliers += [f"{ds}, {dep} layers, {act} seed {k}" for k in odd
                                     if column == "test_accuracy"]
                if column == "loss":
                    ax.set_yscale("log")
                _style(ax, f"{ds}, {dep} hidden layers", "epoch", label)
        handles, names = fig.axes[0].get_legend_handles_labels()
        fig.legend(handles, names, loc="lower center", ncol=len(acts), fontsize=8,
                   frameon=False)
        figures.append((f"{label.capitalize()} per epoch, mean over seeds (band: ± one "
                        f"standard deviation{', clipped to [0, 1]' if column != 'loss' else ''}"
                        f"{'; geometric' if column == 'loss' else ''}); a seed that ends far "
                        f"from the others is drawn dashed and named"
                        + (f" ({'; '.join(outliers)})" if outliers and column != "loss"
                           else "") + ".", fig))
    summary = _rows(result, "summary")
    fig = _figure(12, 3.6)
    panels = [(ds, dep) for ds in datasets for dep in depths]
    for k, (ds, dep) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        mine = [r for r in summary if (r["dataset"], r["depth"]) == (ds, dep)]
        y = np.arange(len(mine))
        acc = np.array([_num(r["test_accuracy"]) for r in mine])
        sd = np.array([_num(r["test_accuracy_std"]) for r in mine])
        # error bars clipped to [0, 1]: an accuracy cannot leave it
        ax.barh(y, acc, xerr=[acc - np.clip(acc - sd, *ACCURACY),
                              np.clip(acc + sd, *ACCURACY) - acc],
                color=[colors[r["activation"]] for r in mine], error_kw={"linewidth": 0.8})
        ax.set_yticks(y, [r["activation"] for r in mine] if k == 0 else [""] * len(mine))
        ax.set_xlim(0, 1)
        ax.invert_yaxis()
        _style(ax, f"{ds}, {dep} layers", "test accuracy")
    figures.append(("Final test accuracy, mean ± std over seeds (clipped to [0, 1]).", fig))
    return figures


# ----------------------------------------------------------------------------- classics


def he_vs_glorot(result: StudyResult) -> FigureList:
    curves = _rows(result, "curves")
    inits = list(dict.fromkeys(r["init"] for r in curves))
    colors = {init: PALETTE[k] for k, init in enumerate(inits)}
    fig = _figure(12, 3.6)
    for k, (column, label) in enumerate((("test_accuracy", "test accuracy"),
                                         ("loss", "training loss"))):
        ax = fig.add_subplot(1, 3, k + 1)
        for init in inits:
            runs = {seed: ([r["epoch"] for r in rows], [r[column] for r in rows])
                    for (seed,), rows in _grouped([r for r in curves if r["init"] == init],
                                                  ("seed",)).items()}
            _seed_curves(ax, runs, colors[init], init,
                         ACCURACY if column == "test_accuracy" else POSITIVE,
                         every_seed=True, log=column == "loss",
                         outlier=0.2 if column == "test_accuracy" else 1.0)
        if column == "loss":
            ax.set_yscale("log")
        if column == "test_accuracy":
            ax.axhline(0.1, color="#333333", linestyle="--", linewidth=1.0, zorder=5,
                       label="chance (10%)")
        _style(ax, label, "epoch", label)
        ax.legend(fontsize=8, frameon=False)
    ax = fig.add_subplot(1, 3, 3)
    initial = _rows(result, "initial")
    for init in inits:
        mine = [r for r in initial if r["init"] == init]
        ax.plot([r["layer"] for r in mine], _log10(r["act_std"] for r in mine),
                color=colors[init], marker=".", label=init)
    _style(ax, "at initialization", "layer", "log10 std of activations")
    runs = _rows(result, "runs")
    blown = [f"{r['init']} seed {r['seed']}" for r in runs if r.get("blew_up")]
    return [("30-layer ReLU network on digits: test accuracy and loss per epoch, every seed "
             "(thin) and their mean (thick; band ± one standard deviation, clipped to the "
             "quantity's range; grey dashed, drawn above the curves: chance); a seed that "
             "ends far from the others is dashed and named"
             + (f" (blew up: {', '.join(blown)})" if blown else "")
             + ". Right: the activations' standard deviation per layer before training "
               "(first seed).", fig)]


def sigmoid_saturation(result: StudyResult) -> FigureList:
    monitor = _rows(result, "monitor")
    configs = list(dict.fromkeys(r["config"] for r in monitor))
    layers = sorted({r["layer"] for r in monitor})
    hidden = layers[:-1]
    colors = _colors(f"layer {k}" for k in layers)
    fig = _figure(12, 3.8)
    for k, config in enumerate(configs[:3]):
        ax = fig.add_subplot(1, 4, k + 1)
        limits = _activation_range(config)
        for layer in hidden:
            mine = [r for r in monitor if r["config"] == config and r["seed"] == 0
                    and r["layer"] == layer]
            step = np.array([r["step"] for r in mine])
            mean = np.array([_num(r["act_mean"]) for r in mine])
            std = np.array([_num(r["act_std"]) for r in mine])
            color = colors[f"layer {layer}"]
            ax.plot(step, mean, color=color, linewidth=1.4, label=f"layer {layer}")
            ax.fill_between(step, np.clip(mean - std, *limits), np.clip(mean + std, *limits),
                            color=color, alpha=0.12, linewidth=0)
        _style(ax, config, "step", "mean activation (± std)" if k == 0 else None)
        if k == 0:
            ax.legend(fontsize=7, frameon=False)
    ax = fig.add_subplot(1, 4, 4)
    for k, config in enumerate(configs):
        first_step = min(r["step"] for r in monitor if r["config"] == config)
        mine = [r for r in monitor if r["config"] == config and r["seed"] == 0
                and r["step"] == first_step]
        ax.plot([r["layer"] for r in mine], _log10(r["grad_norm"] for r in mine),
                marker="o", color=PALETTE[k], label=config)
    _style(ax, "weight-gradient norm, first steps", "layer", "log10 ‖dW‖")
    ax.legend(fontsize=8, frameon=False)
    return [("Mean activation of each hidden layer during training (first seed; band: ± one "
             "standard deviation over the layer's units and samples, clipped to the "
             "activation's range; after Glorot & Bengio 2010, fig. 2), and each layer's "
             "weight-gradient norm at the start (first seed).", fig)]


def _activation_range(name: str) -> tuple[float, float]:
    """The range of a registered activation's outputs (any value for another name)."""
    from neuronlab import activations

    if name not in activations.REGISTRY.standalone_names():  # a formula's label, too
        return ANY
    low, high = activations.get(name).properties.range
    return float(low), float(high)


def self_normalising(result: StudyResult) -> FigureList:
    per_layer = _rows(result, "per_layer")
    configs = list(dict.fromkeys(r["config"] for r in per_layer))
    colors = _colors(configs)
    fig = _figure(12, 3.6)
    for k, (column, label) in enumerate((("act_mean", "mean of activations"),
                                         ("act_std", "std of activations"))):
        ax = fig.add_subplot(1, 2, k + 1)
        for config in configs:
            runs = {seed: ([r["layer"] for r in rows], [r[column] for r in rows])
                    for (seed,), rows in _grouped([r for r in per_layer
                                                   if r["config"] == config],
                                                  ("seed",)).items()}
            _seed_curves(ax, runs, colors[config], config,
                         ANY if column == "act_mean" else POSITIVE, outlier=0.2)
        ax.axhline(0 if column == "act_mean" else 1, color="#999", linestyle=":", linewidth=0.8)
        _style(ax, label, "layer", label)
    fig.axes[1].legend(fontsize=8, frameon=False)
    return [("Mean and standard deviation of each layer's activations (mean over seeds; "
             "band ± one standard deviation over seeds): SELU + LeCun normal sits at (0, 1), "
             "even from shifted inputs.", fig)]


def dying_relu(result: StudyResult) -> FigureList:
    summary = _rows(result, "summary")
    runs = _rows(result, "runs")
    configs = list(dict.fromkeys(r["config"] for r in summary))
    colors = _colors(configs)
    fig = _figure(10, 3.6)
    for k, (column, label) in enumerate((("dead", "dead units after training"),
                                         ("saturated", "units off on ≥ 90% of samples"))):
        ax = fig.add_subplot(1, 2, k + 1)
        for j, config in enumerate(configs):
            mine = [r for r in summary if r["config"] == config]
            ax.plot([r["lr"] for r in mine], [_num(r[column]) for r in mine], marker="o",
                    color=colors[config], label=config)
            seeds = [r for r in runs if r["config"] == config]
            # every seed as a small dot, nudged sideways so that the configurations
            # do not hide each other
            ax.scatter([r["lr"] * 1.06 ** (j - 1.5) for r in seeds],
                       [_num(r[column]) for r in seeds], s=6, color=colors[config],
                       alpha=0.45, linewidths=0)
        ax.set_xscale("log")
        ax.set_ylim(-0.03, 1.03)
        _style(ax, label, "learning rate (Adam)", "fraction of hidden units")
    fig.axes[0].legend(fontsize=8, frameon=False)
    return [("Dead ReLU units (zero output and zero gradient on every training sample) and "
             "units off on at least 90% of the samples, against the learning rate: mean over "
             "seeds (line) and every seed (dots). A leaky unit cannot be dead (its slope is "
             "never 0), but at high learning rates most leaky units sit in the leaky "
             "region.", fig)]


def zero_centred(result: StudyResult) -> FigureList:
    signs = _rows(result, "signs")
    fig = _figure(12, 3.8)
    ax = fig.add_subplot(1, 3, 1)
    acts = list(dict.fromkeys(r["activation"] for r in signs))
    layers = sorted({r["layer"] for r in signs})
    width = 0.8 / (2 * len(acts))
    for k, act in enumerate(acts):
        for m, (column, hatch) in enumerate((("per_sample", None), ("batch_32", "//"))):
            mine = [r for r in signs if r["activation"] == act]
            offset = (2 * k + m - len(acts) + 0.5) * width
            values = [_num(r[column]) for r in mine]
            bars = ax.bar(np.array(layers) + offset, values, width,
                          color=PALETTE[k], alpha=1 if hatch is None else 0.55, hatch=hatch,
                          label=f"{act}, {'one sample' if hatch is None else 'batch of 32'}")
            ax.bar_label(bars, labels=[f"{v:.0%}" for v in values], fontsize=6, padding=1)
    ax.set_xticks(layers, ["1 (pixels)"] + [str(x) for x in layers[1:]])
    _style(ax, "neurons with one-signed ∂J/∂W", "layer (its input)", "fraction")
    ax.set_ylim(0, 1.12)
    ax.legend(fontsize=7, frameon=False, loc="upper center", ncol=2,
              bbox_to_anchor=(0.5, -0.18))
    paths = _rows(result, "paths")
    surface = _rows(result, "surface")
    w_star = result.config.get("w_star", [2.0, -2.0])
    for k, kind in enumerate(dict.fromkeys(r["inputs"] for r in paths)):
        ax = fig.add_subplot(1, 3, k + 2)
        grid = [r for r in surface if r["inputs"] == kind]
        w1 = sorted({r["w1"] for r in grid})
        w2 = sorted({r["w2"] for r in grid})
        z = np.full((len(w2), len(w1)), np.nan)
        for r in grid:
            z[w2.index(r["w2"]), w1.index(r["w1"])] = _num(r["loss"])
        ax.contour(w1, w2, np.log10(z + 1e-12), levels=14, colors="#c8c8c8", linewidths=0.7,
                   negative_linestyles="solid")
        mine = [r for r in paths if r["inputs"] == kind]
        ax.plot([r["w1"] for r in mine], [r["w2"] for r in mine], color=PALETTE[3],
                linewidth=1.0, marker=".", markersize=2.5)
        ax.plot(*w_star, marker="*", color="black", markersize=10)
        ax.plot(0, 0, marker="o", color=PALETTE[0])
        ax.set_aspect("equal")
        _style(ax, f"{kind} inputs, seed 0: {len(mine) - 1} steps", "w1", "w2")
    return [("Left: fraction of neurons whose incoming weight gradients share one sign, "
             "per layer (mean over seeds). Right: SGD on the two-weight toy problem from "
             "(0, 0) to w* (star) with positive (sigmoid) and zero-centred (tanh) inputs, "
             "the first seed's path; the claim and the zigzag table give the mean number "
             "of steps over every seed.", fig)]


def linear_collapse(result: StudyResult) -> FigureList:
    decision = _rows(result, "decision")
    fig = _figure(13, 3.6)
    for k, network in enumerate(dict.fromkeys(r["network"] for r in decision)):
        ax = fig.add_subplot(1, 4, k + 1)
        grid = [r for r in decision if r["network"] == network]
        x1 = sorted({r["x1"] for r in grid})
        x2 = sorted({r["x2"] for r in grid})
        p = np.full((len(x2), len(x1)), np.nan)
        for r in grid:
            p[x2.index(r["x2"]), x1.index(r["x1"])] = _num(r["p1"])
        ax.contourf(x1, x2, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.8)
        ax.contour(x1, x2, p, levels=[0.5], colors="black", linewidths=1.2)
        if "points" in [t.name for t in result.tables]:
            pts = _rows(result, "points")
            ax.scatter([r["x1"] for r in pts], [r["x2"] for r in pts],
                       c=[PALETTE[3] if r["y"] else PALETTE[0] for r in pts], s=5,
                       edgecolors="white", linewidths=0.3)
        ax.set_aspect("equal")
        _style(ax, f"deep network, {network} activations", "x1", "x2")
    steps = _rows(result, "steps")
    kinds = list(dict.fromkeys(r["kind"] for r in steps))
    colors = _colors(kinds)
    for k, (title, wanted) in enumerate((("two ReLUs make a step", "step"),
                                         ("sums of steps approximate", "steps"))):
        ax = fig.add_subplot(1, 4, k + 3)
        for kind in kinds:
            if kind != "target" and not kind.startswith(wanted) \
                    and not kind.endswith(wanted):
                continue
            if kind == "target" and wanted == "step":
                continue
            mine = [r for r in steps if r["kind"] == kind]
            style = {"color": "black", "linewidth": 2.0} if kind == "target" else \
                {"color": colors[kind], "linewidth": 1.2}
            ax.plot([r["x"] for r in mine], [r["y"] for r in mine], label=kind, **style)
        _style(ax, title, "x", "y")
        ax.legend(fontsize=7, frameon=False, loc="upper left" if k == 0 else "lower left")
    return [("Predicted probability of the inner circle (black line: 0.5; first seed) for "
             "a deep network with identity activations — one linear map, at best a straight "
             "boundary — and with ReLUs; right: relu(k(x−c)) − relu(k(x−c)−1) for growing k, "
             "and sums of such steps approximating sin(2πx) + x/2.", fig)]


def signal(result: StudyResult) -> FigureList:
    names = [t.name for t in result.tables]
    out: FigureList = []
    curves: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in _rows(result, "curves"):
        for key in ("z", "g", "dg"):
            curves[row["activation"]][key].append(_num(row[key]))
    acts = list(curves)
    gains = {r["activation"]: _num(r["gain"]) for r in _rows(result, "properties")}
    rows, cols = _grid(len(acts), 3)
    fig = _figure(12, 2.6 * rows + 0.3)
    for i, name in enumerate(acts):
        ax = fig.add_subplot(rows, cols, i + 1)
        c = curves[name]
        ax.plot(c["z"], c["g"], color=PALETTE[0], linewidth=1.5, label="φ(z)")
        ax.plot(c["z"], c["dg"], color=PALETTE[1], linewidth=1.2, linestyle="--",
                label="φ′(z)")
        _style(ax, f"{name} (gain {gains.get(name, math.nan):.4g})", "z", "φ(z), φ′(z)")
        if i == 0:
            ax.legend(fontsize=8, frameon=False)
    out.append(("Each activation φ and its derivative φ′ (computed symbolically for the "
                "formula), with its auto gain.", fig))

    per_layer = _rows(result, "propagation")
    scales = sorted({r["scale"] for r in per_layer})
    colors = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(scales)}
    fig = _figure(12, 2.8 * rows + 0.4)
    for i, name in enumerate(acts):
        ax = fig.add_subplot(rows, cols, i + 1)
        for s in scales:
            mine = [r for r in per_layer if r["activation"] == name and r["scale"] == s]
            layers = [r["layer"] for r in mine]
            ax.plot(layers, _log10(r["predicted"] for r in mine), color=colors[s],
                    linewidth=1.4, label=f"{s:g} × gain")
            ax.plot(layers, _log10(r["ensemble"] for r in mine), "o", color=colors[s],
                    markersize=2.5)
            ax.plot(layers, _log10(r["measured"] for r in mine), "x", color=colors[s],
                    markersize=3, alpha=0.7)
        _style(ax, name, "layer", "log10 q = log10 E[z²]")
        if i == 0:
            ax.legend(fontsize=7, frameon=False)
    out.append(("Second moment of each layer's pre-activations at initialization, for "
                "weights of the auto gain times each scale: predicted by the mean-field "
                "recursion (lines), ensemble mean of exactly sampled networks (dots) and "
                "real networks (crosses).", fig))

    if "phase" in names:
        grid = _rows(result, "phase")
        edge = _rows(result, "edge")
        phase_acts = list(dict.fromkeys(r["activation"] for r in grid))
        fig = _figure(6 * len(phase_acts), 4.2)
        for i, name in enumerate(phase_acts):
            ax = fig.add_subplot(1, len(phase_acts), i + 1)
            mine = [r for r in grid if r["activation"] == name]
            w = sorted({r["sigma_w"] for r in mine})
            b = sorted({r["sigma_b"] for r in mine})
            chi = np.full((len(b), len(w)), np.nan)
            for r in mine:
                chi[b.index(r["sigma_b"]), w.index(r["sigma_w"])] = _num(r["chi"])
            with np.errstate(divide="ignore", invalid="ignore"):
                image = ax.pcolormesh(w, b, np.log10(chi), cmap="RdBu_r", vmin=-1, vmax=1,
                                      shading="nearest")
            line = [r for r in edge if r["activation"] == name]
            ax.plot([_num(r["sigma_w"]) for r in line], [_num(r["sigma_b"]) for r in line],
                    color="black", linewidth=1.6, label="edge of chaos χ = 1")
            if name in gains:
                ax.plot([gains[name]], [0.0], marker="*", color="gold", markersize=12,
                        markeredgecolor="black", linestyle="none", label="auto gain")
            _style(ax, name, "σ_w", "σ_b")
            ax.legend(fontsize=7, frameon=False, loc="upper left")
            fig.colorbar(image, ax=ax, label="log10 χ")
        out.append(("Phase diagram: χ = σ_w² E[φ′(√q* u)²] at the fixed point q* over "
                    "(σ_w, σ_b); blue is ordered (gradients vanish), red chaotic (they "
                    "explode), the black line is the edge of chaos χ = 1.", fig))

    if "training" in names:
        train = _rows(result, "training")
        train_acts = list(dict.fromkeys(r["activation"] for r in train))
        fig = _figure(4 * len(train_acts), 3.2)
        for i, name in enumerate(train_acts):
            ax = fig.add_subplot(1, len(train_acts), i + 1)
            mine = [r for r in train if r["activation"] == name]
            for k, s in enumerate(sorted({r["scale"] for r in mine})):
                runs = {seed: ([r["epoch"] for r in rs], [r["test_accuracy"] for r in rs])
                        for (seed,), rs in _grouped([r for r in mine if r["scale"] == s],
                                                    ("seed",)).items()}
                _seed_curves(ax, runs, PALETTE[k], "auto" if s == 1.0 else f"{s:g} × gain",
                             ACCURACY, every_seed=True, outlier=0.2)
            stopped = [r for r in _rows(result, "training_summary")
                       if r["activation"] == name and "diverged" in str(r["stop_reasons"])]
            for r in stopped:  # a curve that ends early is named, never silently missing
                ax.text(0.98, 0.04 + 0.09 * stopped.index(r), f"{r['init']}: diverged",
                        transform=ax.transAxes, ha="right", fontsize=7, color=PALETTE[3])
            _style(ax, name, "epoch", "test accuracy")
            ax.legend(fontsize=7, frameon=False)
        out.append(("Deep MLPs on digits (SGD with momentum), test accuracy per epoch: "
                    "every seed (thin) and the mean (thick, band ± one standard deviation "
                    "clipped to [0, 1]). With the auto gain they train; with half or twice "
                    "the gain the signal vanishes or explodes and they do not (runs that "
                    "diverged stop early and are named in red).", fig))
    return out


FIGURES: dict[str, Callable[[StudyResult], FigureList]] = {
    "atlas": atlas, "depth": depth, "training": training, "he_vs_glorot": he_vs_glorot,
    "sigmoid_saturation": sigmoid_saturation, "self_normalising": self_normalising,
    "dying_relu": dying_relu, "zero_centred": zero_centred,
    "linear_collapse": linear_collapse, "signal": signal,
    **lecture_figures.FIGURES,
}
"""The figure function of each study, by study name."""


def study_figures(result: StudyResult) -> FigureList:
    """The figures of one study (none for a study without a figure function)."""
    fn = FIGURES.get(result.name)
    return fn(result) if fn is not None else []


def render_study(result: StudyResult) -> list[tuple[str, bytes]]:
    """``(caption, image bytes)`` for each figure of one study: SVG, or a PNG at twice the
    screen resolution for the few figures whose SVG would be heavy (see ``sharp``)."""
    import matplotlib
    import numpy as np

    # NaN cells (missing values) are expected here
    with np.errstate(all="ignore"), matplotlib.rc_context(STYLE):
        return [(caption, sharp(fig)) for caption, fig in study_figures(result)]
