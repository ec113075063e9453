"""Gradient-flow diagnostics: per-layer statistics, verdicts, tables and plots.

The lectures explain why deep networks fail to train: every layer multiplies the
error on its way down by ``g'(z)`` and by ``W`` (the delta rule
``delta = g'(z) * (delta_next @ W_next.T)``), so saturating activations (sigmoid's
slope is at most 0.25) and badly scaled weights make gradients vanish or explode,
and ReLU units whose pre-activation is negative for every input die.  This module
measures those effects on a real network, as an observer of the caches the layers
keep for their backward pass (``a_prev``, ``z``, ``a``, ``delta``, ``W.grad``); it
never changes training.

Layers
------
A *layer* here is one weight layer (``Dense`` or ``Maxout``) together with the
activation that follows it, numbered from 1 at the input as in the lecture.  Its
*units* are the outputs of that activation (``Maxout``: its units; a ``Dense``
without an activation: its outputs ``z``, with ``g = identity``).

Statistics (one row per interval and layer)
-------------------------------------------
Rows are plain dicts with the keys ``COLUMNS``; an *interval* is an epoch (default)
or ``every`` optimizer steps for :class:`Monitor`, and one forward + backward pass
for :func:`layer_statistics`.  Over the samples seen in the interval (the
distributions, i.e. activation mean, std and histogram, slope and saturation, and the
stds of delta and dW, on the monitor's sampled steps only: ``SAMPLE_EVERY``):

``act_mean``, ``act_std``
    mean and standard deviation of the activations ``a`` over all samples and units.
``hist_edges``, ``hist_counts``
    histogram of ``a`` in ``HIST_BINS`` fixed bins, over the activation's declared
    range (``HIST_SPAN`` on an unbounded side); values beyond are counted in the end
    bins.  To stay cheap it counts the interval's last (sampled) batch only: its
    first rows, at most ``HIST_VALUES`` values.
``slope``, ``max_slope``
    mean of ``|g'(z)|`` over samples and units, and the activation's maximum slope
    ``max_z |g'(z)|`` (computed numerically; 0.25 for sigmoid, 1 for tanh and ReLU).
``saturated``, ``saturation_rate``
    A unit is *flat* on a sample when ``|g'(z)|`` is at most ``SATURATION_SLOPE``
    (1%) of the maximum slope, and *saturated* in the interval when it is flat on at
    least ``SATURATED_SAMPLES`` (90%) of the samples seen.  ``saturated`` is the
    fraction of saturated units, ``saturation_rate`` the fraction of flat
    (sample, unit) pairs.  A ReLU unit is flat exactly when it is off (z <= 0), so a
    dead ReLU unit is also saturated; sigmoid and tanh units are flat for ``|z|`` beyond
    about 6.0 and 3.0.  The maximum slope is found numerically (0.25 for sigmoid, 1
    for tanh and ReLU, 1.10 for swish, 1.76 for SELU).  All three are NaN
    for vector-valued activations (softmax) and for an output activation that a fused
    loss bypasses (softmax or sigmoid with cross-entropy: the loss's gradient is
    taken on ``z``, so ``g'`` plays no part); 0 (``slope`` 1) without an activation
    and for Maxout.
``dead``
    fraction of *dead units*: output exactly 0 **and** zero gradient ``delta = dJ/dz``
    for every sample seen in the interval (every step, not sampled).  For activations
    whose output is 0 only where g' = 0 (ReLU, ReLU6, hard sigmoid: found
    numerically) a zero output already implies ``delta = g'(z) e = 0``, and only the
    output is read.  Without targets (``layer_statistics`` with ``y=None``) the
    gradient test is that local one, ``g'(z) = 0``, for every activation.
``delta_norm``, ``delta_std``
    ``delta = dJ/dz`` of the layer (for the batch-mean loss, so it carries ``1/n``):
    root mean square over the interval's steps of the batch's Frobenius norm
    ``||delta||``, and the standard deviation of all its entries.
``grad_norm``, ``grad_std``
    the same for the weight gradient ``dW = a_prev.T @ delta`` (``W.grad``, an L2
    penalty of ``fit`` included): RMS over steps of ``||dW||``, and the standard
    deviation of its entries.
``weight_norm``, ``weight_std``
    ``||W||`` and std of ``W`` when the interval closes.
``update_ratio``
    ``||W_after - W_before|| / ||W_before||`` for the *first* optimizer step of the
    interval: the update the optimizer actually applied (momentum, Adam's scaling,
    weight decay and clipping included), measured from a snapshot of ``W``.  NaN
    for :func:`layer_statistics` (no update).

Interval columns: ``epoch`` (of the interval's last step), ``step`` (optimizer steps
completed at its end, counted from 1), ``steps``, ``samples`` and ``lr``; ``None`` in
:func:`layer_statistics` rows.  ``layer`` (1..L), ``index`` (position of the weight
layer in ``model.layers``), ``activation`` (name) and ``units`` name the layer.

Verdicts
--------
:func:`verdicts` turns each interval's rows into one plain-word status per layer,
with the numbers behind it and the lecture's remedy (``REMEDIES``).  The thresholds
are the module constants below; in order of priority:

``non_finite``
    the layer's weights or outputs hold NaN or infinity (``weight_norm``,
    ``weight_std``, ``act_mean`` or ``act_std`` is not finite), or the last layer's do
    and this layer's gradient norms are not finite: no other statistic of it means
    anything
``dead``
    ``dead > DEAD_FRACTION``
``saturated``
    ``saturated > SATURATED_FRACTION``
``exploding``
    ``grad_norm`` or ``delta_norm`` above ``EXPLODING_RATIO`` times the last layer's
    (or infinite)
``vanishing``
    ``grad_norm`` or ``delta_norm`` below ``VANISHING_RATIO`` times the last layer's
``healthy``
    none of these

The comparison is with the last (output) layer of the same interval, where the error
enters: the ratio says how much of it reaches the layer.  Both the weight gradient
``dW = a_prev.T @ delta`` and ``delta`` itself are compared, because when the forward
activations shrink (or grow) layer by layer while ``delta`` grows (or shrinks) going
down, as in a deep ReLU or linear stack with too small (too large) weights, the two
effects cancel in ``dW`` and only ``delta`` shows the problem.

Rendering is kept apart from the data: :func:`print_table` (rich) and :func:`plot`
(matplotlib, Agg, PNG written atomically).

Examples
--------
>>> from neuronlab import data
>>> from neuronlab.network import MLP
>>> from neuronlab.train import fit
>>> d = data.load("iris")
>>> net = MLP([4, 16, 16, 3], activation="relu", init="he_normal", seed=0)
>>> monitor = Monitor()
>>> _ = fit(net, d.X_train, d.y_train, lr=0.1, epochs=3, seed=0, verbose=False,
...         callbacks=[monitor])
>>> rows = monitor.table()
>>> len(rows), rows[0]["epoch"], rows[0]["layer"], rows[0]["activation"]
(9, 0, 1, 'relu')
>>> [v.status for v in verdicts(rows)]
['healthy', 'healthy', 'healthy']
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuronlab import activations, data, losses
from neuronlab import train as training
from neuronlab._files import atomic_open
from neuronlab._terminal import markup
from neuronlab._validate import check_choice, check_integer
from neuronlab.layers import Activation, Dense, Maxout
from neuronlab.network import Sequential
from neuronlab.probe import PROBE_STEP, SATURATION_SLOPE, Probe, probe_grid, refine_max

__all__ = [
    "COLUMNS", "DEAD_FRACTION", "EXPLODING_RATIO", "HIST_BINS", "HIST_SPAN", "HIST_VALUES",
    "REMEDIES", "SATURATED_FRACTION", "SATURATED_SAMPLES", "SATURATION_SLOPE", "SAMPLE_EVERY",
    "STATUSES", "VANISHING_RATIO", "Monitor", "Verdict", "layer_statistics",
    "plot", "print_layer_table", "print_table", "unit_flags", "verdicts",
]

# -- thresholds -------------------------------------------------------------------------

# SATURATION_SLOPE (a unit is *flat* on a sample when |g'(z)| is at most 1% of the
# activation's maximum slope) is the probe's, which measures the slopes: imported above.

SATURATED_SAMPLES = 0.9
"""A unit is saturated in an interval when its slope is at most ``SATURATION_SLOPE`` of
the maximum on at least 90% of the samples: it then gets at most a tenth of the updates
it would otherwise.  (Not 'on most samples': a healthy ReLU unit is off on about half
of them by design, so a majority rule would call every ReLU layer saturated.)"""

SATURATED_FRACTION = 0.5
"""A layer is 'saturated' when more than half of its units are: then most of the
error sent back through it is multiplied by ~0 (Glorot & Bengio 2010 saw the top
sigmoid layer saturate at 0 this way)."""

DEAD_FRACTION = 0.5
"""A layer is 'dead' when more than half of its units are: the lecture's figure ("as
high as greater than 50% of the ReLU units can die if the learning rate is too high")
marks the point where the layer has lost most of its capacity for good."""

VANISHING_RATIO = 1e-3
"""'vanishing': the layer's weight-gradient (or delta) norm is below 1/1000 of the last
layer's.  With a common learning rate its weights then move ~1000 times slower, i.e.
they barely learn (sigmoid's factor 0.25 per layer reaches 1e-3 after five layers)."""

EXPLODING_RATIO = 1e3
"""'exploding': the layer's weight-gradient (or delta) norm is above 1000 times the last
layer's (or infinite), the mirror image: a learning rate that suits the top layer makes
this one jump and diverge."""

SAMPLE_EVERY = 8
"""The monitor measures the *distributions* (activation mean, std and histogram, the
slope and saturation columns, the stds of delta and dW) on the first step of each
interval and every 8th step after it; the norms, the dead-unit test and the update
ratio on every step.  The distributions are the costly part (recomputing g'(z) costs
as much as GELU's forward pass), and an eighth of an epoch's batches (~170 samples of
digits) estimates them well; the dead test must see every sample by definition, and
the norms are cheap."""

HIST_BINS = 20
"""Number of histogram bins per layer."""

HIST_VALUES = 2048
"""The histogram counts the first rows of the interval's last sampled batch, up to this
many values (e.g. 16 samples of a 128-unit layer): enough for its shape, and cheap."""

HIST_SPAN = 4.0
"""Histogram limit on an unbounded side of the activation's range (e.g. [0, 4] for ReLU,
[-4, 4] for the identity); values beyond fall into the end bins."""

STATUSES = ("non_finite", "dead", "saturated", "exploding", "vanishing", "healthy")
"""The verdicts, in order of priority (the first that applies is the status)."""

REMEDIES: dict[str, str] = {
    "non_finite": "The weights or outputs hold NaN or infinity: training diverged (or the "
                  "model was built or loaded with such values), and the network predicts "
                  "NaN. Start again from a fresh initialization with a lower learning "
                  "rate, gradient clipping (clip_norm=1.0), or standardized inputs.",
    "dead": "ReLU units that output 0 on every input get no gradient and never recover "
            "(a large update can push the bias far negative): initialize the biases to a "
            "small positive value (bias_init=0.01), lower the learning rate, or use "
            "leaky_relu or elu, which keep a slope for z < 0.",
    "saturated": "Saturated units pass almost no gradient (sigmoid's slope is at most 0.25 "
                 "and ~0 for |z| > 5): the pre-activations are too large. Use Glorot "
                 "initialization for sigmoid/tanh (He for ReLU), standardize the inputs, "
                 "lower the learning rate, or switch to a non-saturating activation "
                 "(relu, leaky_relu).",
    "saturated_relu": "Most units are off (z <= 0) on almost every sample and pass no "
                      "gradient: initialize the biases to 0.01 (bias_init=0.01), use He "
                      "initialization, lower the learning rate, or use leaky_relu.",
    "exploding": "The error grows on its way down: the weights are too large for the "
                 "depth. Use Glorot, He or LeCun initialization (variance about 1/fan_in), "
                 "a lower learning rate, or gradient clipping (clip_norm=1.0).",
    "vanishing": "The error shrinks on its way down (each layer multiplies it by g'(z), at "
                 "most 0.25 for sigmoid, and by W): use tanh or a ReLU-family activation, "
                 "Glorot (sigmoid, tanh) or He (ReLU) initialization instead of a smaller "
                 "one, or fewer layers.",
    "healthy": "Nothing to change.",
}
"""The lecture's remedy for each status (``saturated_relu``: saturated one-sided units)."""

COLUMNS = (
    "epoch", "step", "steps", "samples", "lr", "layer", "index", "activation", "units",
    "act_mean", "act_std", "slope", "max_slope", "saturated", "saturation_rate", "dead",
    "delta_norm", "delta_std", "grad_norm", "grad_std", "weight_norm", "weight_std",
    "update_ratio", "hist_edges", "hist_counts",
)
"""Keys of every statistics row, in order."""

_NAN = float("nan")


# -- the activation's slope profile -----------------------------------------------------

@dataclass(frozen=True)
class _Profile:
    """What the diagnostics need to know about an elementwise activation's slope."""

    max_slope: float  # max over z of |g'(z)|
    relu_like: bool  # g' = 0 for z < -0.5 and g' > 0 on (0.5, 5): off for negative z
    zero_is_flat: bool  # g(z) = 0 only where g'(z) = 0: a zero output passes no gradient


_PROFILES: dict[tuple[type, str], _Profile] = {}


def _slope_profile(fn: Any, units: int) -> _Profile:
    """The slope profile of an elementwise activation, measured by :mod:`neuronlab.probe`.

    g and g' are evaluated on the probe's fine grid over [-40, 40] (step 0.01, 0.05
    with learnable parameters, plus each kink and its two sides; the largest slope is
    refined around the best point) on a copy of ``fn``, so no state of the network's
    activation (RReLU's drawn slopes, a generator) is touched.  Parameter-free
    activations are cached by class and configuration; learnable ones (PReLU) are
    evaluated with each unit's current values, the profile taken over the units.
    """
    has_params = bool(fn.parameters())
    key = (type(fn), repr(fn.get_config()))
    if not has_params and key in _PROFILES:
        return _PROFILES[key]
    probe = Probe(fn, units if has_params else None)
    grid = probe_grid(probe.kinks, step=0.05 if has_params else PROBE_STEP, wide=False)

    def evaluate(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(max over units of |g'|, max over units of |g|) at each grid point."""
        a, d = probe.evaluate(z)
        d = np.where(np.isfinite(d), np.abs(d), -np.inf).max(axis=1)
        return d, np.abs(a).max(axis=1)

    d, a = evaluate(grid)
    max_slope = refine_max(lambda z: evaluate(z)[0], int(np.argmax(d)), grid)[0]
    profile = _Profile(
        max_slope if math.isfinite(max_slope) else _NAN,
        relu_like=bool(np.all(d[grid < -0.5] == 0) and np.all(d[(grid > 0.5) & (grid < 5)] > 0)),
        zero_is_flat=bool(np.all(d[a == 0] == 0)),
    )
    if not has_params:
        _PROFILES[key] = profile
    return profile


def _hist_edges(fn: Any, bins: int) -> np.ndarray:
    low, high = -HIST_SPAN, HIST_SPAN
    props = getattr(fn, "properties", None)
    if props is not None:
        lo, hi = (float(v) for v in props.range)
        if math.isfinite(lo) and math.isfinite(hi):
            low, high = lo, hi
        elif math.isfinite(lo):  # e.g. ReLU [0, 4], ELU [-1, 4]
            low, high = lo, max(HIST_SPAN, lo + HIST_SPAN)
        elif math.isfinite(hi):  # e.g. log-sigmoid [-4, 0]
            low, high = min(-HIST_SPAN, hi - HIST_SPAN), hi
    return np.linspace(low, high, bins + 1)


# -- one layer's accumulators -----------------------------------------------------------


class _Layer:
    """One weight layer with its activation, and the running sums of one interval.

    Per step only cheap reductions are kept, never copies of the activations: scalar
    sums (of a, a^2, delta, delta^2, dW, dW^2), per unit the count of flat samples
    (on sampled steps), the units not yet seen alive (only their columns are read),
    and the last sampled batch's activations for the histogram.
    """

    def __init__(self, number: int, index: int, weights: Dense | Maxout,
                 activation: Activation | None, feeds: Dense | None, bypassed: bool,
                 bins: int) -> None:
        self.number, self.index = number, index
        self.maxout = weights if isinstance(weights, Maxout) else None
        self.dense: Dense = weights.dense if isinstance(weights, Maxout) else weights
        self.act = activation
        self.feeds = feeds  # the Dense whose cached input is this layer's output
        self.fn = activation.fn if activation is not None else None
        self.units = self.maxout.units if self.maxout is not None else self.dense.fan_out
        if self.fn is not None:  # a formula shows its label (or expression), not "formula"
            self.name = getattr(self.fn, "display_name", self.fn.name)
        else:
            self.name = "maxout" if self.maxout is not None else "identity"
        # the slope: computed per step, constant 1 (identity, maxout), or undefined
        self.constant_slope: float | None = None
        self.max_slope = 1.0
        self.zero_is_flat = False  # a zero output implies g'(z) = 0, hence delta = 0
        if self.fn is None:
            self.constant_slope = 1.0
        elif bypassed or not self.fn.elementwise:
            self.constant_slope, self.max_slope = _NAN, _NAN
        elif isinstance(self.fn, activations.Identity):  # declared by its class: g' = 1
            self.constant_slope = 1.0
        else:
            profile = _slope_profile(self.fn, self.units)
            self.max_slope, self.zero_is_flat = profile.max_slope, profile.zero_is_flat
        self.threshold = SATURATION_SLOPE * self.max_slope
        # g' >= 0 needs no abs(); learnable slopes (PReLU) may turn negative in training
        self.monotonic = bool(getattr(getattr(self.fn, "properties", None), "monotonic",
                                      False)) and not (self.fn and self.fn.parameters())
        self.edges = _hist_edges(self.fn, bins)
        self.centre: float | None = None  # where to centre the sums (see accumulate)
        self.reset()

    def reset(self) -> None:
        self.steps = self.n = self.grad_steps = 0  # every step
        self.sampled = self.sampled_n = self.sampled_grads = 0  # sampled steps
        self.shift = 0.0
        self.a_sum = self.a_sq = 0.0
        self.d_sq = self.g_sq = 0.0  # every step (the norms)
        self.d_sum = self.d_sq_s = self.g_sum = self.g_sq_s = 0.0  # sampled (the stds)
        self.slope_sum = 0.0
        self.flat = np.zeros(self.units, dtype=np.int64)  # flat samples per unit
        self.pending = np.arange(self.units)  # units not yet seen alive
        self.last: np.ndarray | None = None

    def _output(self) -> tuple[np.ndarray, np.ndarray]:
        """``(a, z)`` of the current batch, from the caches."""
        if self.act is not None:
            return self.act.a, self.act.z
        if self.feeds is not None:
            a = self.feeds.a_prev
        else:  # nothing caches this layer's output: recompute it (small output layers)
            dense = self.dense
            a = dense.a_prev @ dense.W.value + dense.b.value
            if self.maxout is not None:
                a = a.reshape(len(a), self.units, self.maxout.k).max(axis=2)
        return a, a

    def accumulate(self, with_grad: bool, sample: bool = True) -> None:
        """Add the current batch (caches of one forward/backward pass) to the sums.

        Every step: the norms of delta and dW and the dead-unit test.  With ``sample``
        also the distributions: the activations' sums, g'(z), the sums behind the
        stds of delta and dW, and the histogram's batch (the monitor samples every
        ``sample_every``-th step: these are the costly part).
        """
        a, z = self._output()
        n = len(a)
        d = None
        if sample:
            if self.sampled == 0 and self.centre is None and a.size:
                mean, std = float(a.mean()), float(a.std())  # first interval: first batch
                self.centre = mean if abs(mean) > 10 * std else 0.0
            if self.sampled == 0:
                # Centre the sums on the mean when it dwarfs the spread (saturated
                # sigmoids), so that E[x^2] - E[x]^2 does not cancel; later intervals
                # use the previous interval's mean and std.
                self.shift = self.centre or 0.0
            x = a - self.shift if self.shift else a
            # the histogram's batch: a copy, as fit's layers reuse their buffers each step
            self.last = x if x is not a else a.copy()
            self.a_sum += float(np.add.reduce(x, axis=None))
            self.a_sq += float(np.vdot(x, x))
            if self.constant_slope is None:
                d = self.fn.derivative(z, a)  # a fresh array
                if not self.monotonic:
                    np.abs(d, out=d)
                self.slope_sum += float(np.add.reduce(d, axis=None))
                self.flat += np.add.reduce(d <= self.threshold, axis=0, dtype=np.int32)
            self.sampled += 1
            self.sampled_n += n
        if with_grad:
            delta, dW = self.dense.delta, self.dense.W.grad
            d_sq, g_sq = float(np.vdot(delta, delta)), float(np.vdot(dW, dW))
            self.d_sq += d_sq
            self.g_sq += g_sq
            self.grad_steps += 1
            if sample:
                self.d_sq_s += d_sq
                self.g_sq_s += g_sq
                # db is the sum of delta over the samples
                self.d_sum += float(np.add.reduce(self.dense.b.grad, axis=None))
                self.g_sum += float(np.add.reduce(dW, axis=None))
                self.sampled_grads += 1
            if self.pending.size:
                self._see_alive(a, delta)
        elif self.pending.size:
            self._see_alive_locally(a, d)
        self.n += n
        self.steps += 1

    def _see_alive(self, a: np.ndarray, delta: np.ndarray) -> None:
        """Drop from ``pending`` the units with a non-zero output or delta in the batch.

        Only the pending columns are read; in the usual steady state (the pending units
        are dead) two ``any`` calls settle the batch.
        """
        idx = self.pending
        a_p = a.take(idx, axis=1)
        if self.zero_is_flat:  # (ReLU) a zero output has g'(z) = 0, so delta = g' e = 0
            if a_p.any():
                self.pending = idx[~(a_p != 0).any(axis=0)]
            return
        if self.maxout is not None:  # a unit's gradient reaches one of its k pieces
            delta_p = delta.reshape(len(delta), self.units, -1).take(idx, axis=1)
        else:
            delta_p = delta.take(idx, axis=1)
        if not (a_p.any() or delta_p.any()):
            return
        live = (a_p != 0).any(axis=0)
        moving = delta_p != 0
        live |= moving.any(axis=(0, 2)) if moving.ndim == 3 else moving.any(axis=0)
        self.pending = idx[~live]

    def _see_alive_locally(self, a: np.ndarray, d: np.ndarray | None) -> None:
        """Without a backward pass: alive unless a zero output with g'(z) = 0 (then
        delta = g'(z) e = 0 whatever the error e)."""
        live = (a != 0).any(axis=0)
        if d is not None:
            live |= (d != 0).any(axis=0)
        elif self.constant_slope == 1.0:
            live[:] = True  # identity and maxout always pass the gradient
        self.pending = self.pending[~live[self.pending]]

    def row(self) -> dict[str, Any]:
        """The interval's statistics (see the module docstring)."""
        seen = self.sampled_n
        entries = seen * self.units
        mean_x = self.a_sum / entries
        W = self.dense.W.value
        w_sq = float(np.vdot(W, W))
        if self.constant_slope is None:
            slope = self.slope_sum / entries
            saturated = float(np.mean(self.flat >= SATURATED_SAMPLES * seen))
            rate = float(self.flat.sum()) / entries
        else:
            slope = self.constant_slope
            saturated = rate = 0.0 if self.constant_slope == 1.0 else _NAN
        k, ks = self.grad_steps, self.sampled_grads
        act_mean = self.shift + mean_x
        act_std = math.sqrt(max(self.a_sq / entries - mean_x * mean_x, 0.0))
        self.centre = act_mean if abs(act_mean) > 10 * act_std else 0.0
        row = {
            "layer": self.number, "index": self.index, "activation": self.name,
            "units": self.units, "act_mean": act_mean, "act_std": act_std,
            "slope": slope, "max_slope": self.max_slope, "saturated": saturated,
            "saturation_rate": rate,
            "dead": self.pending.size / self.units,
            "delta_norm": math.sqrt(self.d_sq / k) if k else _NAN,
            "delta_std": _std(self.d_sq_s, self.d_sum, entries) if ks else _NAN,
            "grad_norm": math.sqrt(self.g_sq / k) if k else _NAN,
            "grad_std": _std(self.g_sq_s, self.g_sum, ks * W.size) if ks else _NAN,
            "weight_norm": math.sqrt(w_sq), "weight_std": _std(w_sq, float(W.sum()), W.size),
            "update_ratio": _NAN,
        }
        row["hist_edges"], row["hist_counts"] = self._histogram()
        return row

    def _histogram(self) -> tuple[list[float], list[int]]:
        """Counts of (the first ``HIST_VALUES`` values of) the last batch in the fixed
        bins, binned exactly as np.histogram does (``[e_i, e_i+1)``, the last bin
        closed); values beyond the range count in the end bins, non-finite ones not at
        all.  One ``bincount``, as np.histogram's own overhead is ~50 us a call."""
        edges = self.edges
        bins = len(edges) - 1
        rows = max(1, HIST_VALUES // self.units)
        x = np.asarray(self.last[:rows], dtype=np.float64).ravel()
        if self.shift:  # the batch was kept centred on ``shift``
            x = x + self.shift
        if not np.isfinite(x).all():
            x = x[np.isfinite(x)]
        x = np.clip(x, edges[0], edges[-1])
        idx = ((x - edges[0]) * (bins / (edges[-1] - edges[0]))).astype(np.intp)
        np.minimum(idx, bins - 1, out=idx)
        idx -= x < edges[idx]  # rounding near an edge: as np.histogram, by comparison
        idx += (x >= edges[idx + 1]) & (idx < bins - 1)
        return edges.tolist(), np.bincount(idx, minlength=bins).tolist()


def _std(sum_sq: float, total: float, count: int) -> float:
    mean = total / count
    return math.sqrt(max(sum_sq / count - mean * mean, 0.0))


def _layers(model: Sequential, bins: int, fused: bool) -> list[_Layer]:
    """The model's weight layers, each with the activation right after it."""
    found: list[tuple[int, Dense | Maxout, Activation | None]] = []
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Dense | Maxout):
            found.append((i, layer, None))
        elif isinstance(layer, Activation) and found and found[-1][2] is None \
                and found[-1][0] == i - 1:
            found[-1] = (found[-1][0], found[-1][1], layer)
    out = []
    last = len(model.layers) - 1
    for number, (i, weights, act) in enumerate(found, start=1):
        nxt = model.layers[i + 1] if i + 1 <= last else None
        feeds = nxt if isinstance(nxt, Dense) else nxt.dense if isinstance(nxt, Maxout) \
            else None
        bypassed = fused and act is not None and act is model.layers[last]
        out.append(_Layer(number, i, weights, act, feeds, bypassed, bins))
    if not out:
        raise ValueError("the model has no Dense or Maxout layer to diagnose")
    return out


# -- the callback -----------------------------------------------------------------------


class Monitor(training.Callback):
    """Record per-layer statistics during ``fit``, per epoch or every ``every`` steps.

    Each step (after the backward pass, before the update) adds cheap reductions of
    the caches to running sums; when an interval ends, one row per layer is stored
    (see the module docstring for the exact definitions).  Nothing is printed and
    nothing the training reads is changed: the same seed gives the same history
    with and without the monitor.

    Parameters
    ----------
    every : int, optional
        Close an interval every ``every`` optimizer steps (counted across epochs)
        instead of at each epoch's end.  A last, shorter interval is closed when
        training ends.
    bins : int, default HIST_BINS
        Histogram bins per layer.
    sample_every : int, default SAMPLE_EVERY
        Measure the distributions (``act_mean``, ``act_std``, the histogram, ``slope``,
        ``saturated``, ``saturation_rate``, ``delta_std``, ``grad_std``) on the first
        step of each interval and every ``sample_every``-th step after it; 1 for every
        step.  ``delta_norm``, ``grad_norm``, ``dead`` and ``update_ratio`` always use
        every step.

    Notes
    -----
    Cost: per step and layer two dot products and a look at the columns of the units
    not yet seen alive; on sampled steps a few more reductions and g'(z); per interval
    a copy of each ``W`` (for the update ratio) and one histogram, of a copy of the last
    sampled batch's activations (``fit`` reuses the layers' buffers every step).

    Rows accumulate across ``fit`` calls with the same monitor (``step`` keeps
    counting; ``epoch`` is that of each call).  The update ratio needs the weights
    after the interval's first update: it is filled in at the next step or epoch
    end, and stays NaN if training stops first (divergence, Ctrl-C).

    Examples
    --------
    >>> from neuronlab import data
    >>> from neuronlab.network import MLP
    >>> from neuronlab.train import fit
    >>> d = data.load("iris")
    >>> monitor = Monitor(every=10)
    >>> _ = fit(MLP([4, 8, 3], activation="tanh", seed=0), d.X_train, d.y_train,
    ...         epochs=2, batch_size=16, seed=0, verbose=False, callbacks=[monitor])
    >>> [row["step"] for row in monitor.table() if row["layer"] == 1]
    [10, 14]
    """

    def __init__(self, every: int | None = None, bins: int = HIST_BINS,
                 sample_every: int = SAMPLE_EVERY) -> None:
        # every=None: once per epoch
        self.every = None if every is None else check_integer(every, "Monitor every", low=1)
        self.bins = check_integer(bins, "Monitor bins", low=1)
        self.sample_every = check_integer(sample_every, "Monitor sample_every", low=1)
        self._rows: list[dict[str, Any]] = []
        self._layers: list[_Layer] = []
        self._step = 0
        self._steps = 0  # steps in the open interval
        self._epoch = 0
        self._snapshot: list[np.ndarray] | None = None
        self._snapshot_rows: list[dict[str, Any]] | None = None
        self._ratios: list[float] | None = None

    def __repr__(self) -> str:
        return (f"Monitor(every={self.every!r}, bins={self.bins!r}, "
                f"sample_every={self.sample_every!r})")

    def table(self) -> list[dict[str, Any]]:
        """The recorded rows (copies), one per (interval, layer), keys ``COLUMNS``."""
        return [dict(row) for row in self._rows]

    # -- hooks ----------------------------------------------------------------------
    def on_train_begin(self, trainer: training.Trainer) -> None:
        self._layers = _layers(trainer.model, self.bins, getattr(trainer, "fused", None)
                               is not None)
        self._start()

    def on_epoch_begin(self, trainer: training.Trainer, epoch: int) -> None:
        self._epoch = epoch

    def on_step_end(self, trainer: training.Trainer, epoch: int, batch: int) -> None:
        self._resolve_update()
        if self._steps == 0:
            self._snapshot = [layer.dense.W.value.copy() for layer in self._layers]
        if self._steps % self.sample_every == 0:
            with np.errstate(all="ignore"):  # sums of non-finite values: no warnings
                for layer in self._layers:
                    layer.accumulate(with_grad=True, sample=True)
        else:  # dot products and comparisons only, which never warn
            for layer in self._layers:
                layer.accumulate(with_grad=True, sample=False)
        self._steps += 1
        self._step += 1
        self._epoch = epoch
        if self.every is not None and self._steps == self.every:
            self._close(trainer)

    def on_epoch_end(self, trainer: training.Trainer, epoch: int,
                     logs: dict[str, float]) -> None:
        self._resolve_update()
        if self.every is None and self._steps:
            self._close(trainer)

    def on_train_end(self, trainer: training.Trainer) -> None:
        if self._steps:
            self._close(trainer)  # a partial interval (every=N, divergence, Ctrl-C)
        self._snapshot = self._snapshot_rows = None  # weights may have been restored

    # -- intervals ------------------------------------------------------------------
    def _start(self) -> None:
        self._steps = 0
        self._ratios = None
        for layer in self._layers:
            layer.reset()

    def _resolve_update(self) -> None:
        """Measure the update applied since the snapshot (the interval's first step)."""
        if self._snapshot is None:
            return
        ratios = []
        with np.errstate(all="ignore"):
            for layer, before in zip(self._layers, self._snapshot, strict=True):
                change = layer.dense.W.value - before
                norm = math.sqrt(float(np.vdot(before, before)))
                change = math.sqrt(float(np.vdot(change, change)))
                ratios.append(change / norm if norm > 0 else (_NAN if change == 0 else math.inf))
        self._snapshot = None
        if self._snapshot_rows is not None:  # the interval has already been closed
            for row, ratio in zip(self._snapshot_rows, ratios, strict=True):
                row["update_ratio"] = ratio
            self._snapshot_rows = None
        else:
            self._ratios = ratios

    def _close(self, trainer: training.Trainer) -> None:
        lr = float(getattr(trainer.optimizer, "lr", _NAN))
        rows = []
        with np.errstate(all="ignore"):
            for i, layer in enumerate(self._layers):
                stats = layer.row()
                if self._ratios is not None:
                    stats["update_ratio"] = self._ratios[i]
                rows.append(_ordered({"epoch": self._epoch, "step": self._step,
                                      "steps": layer.steps, "samples": layer.n, "lr": lr,
                                      **stats}))
        if self._snapshot is not None:
            self._snapshot_rows = rows
        self._rows.extend(rows)
        self._start()


def _ordered(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in COLUMNS}


# -- one pass on given data -------------------------------------------------------------


def layer_statistics(model: Sequential, X: object, y: object = None,
                     loss: str | losses.Loss | None = None,
                     bins: int = HIST_BINS) -> list[dict[str, Any]]:
    """Per-layer statistics of one forward and backward pass on ``(X, y)``, no update.

    The rows have the keys ``COLUMNS`` and the definitions of :class:`Monitor`, for
    one interval holding all of ``X`` (``epoch``, ``step`` and ``lr`` are None,
    ``update_ratio`` is NaN).  Every parameter's ``.grad`` and the layers' caches are
    overwritten; the weights are not touched.

    Parameters
    ----------
    model : Sequential
    X : (n_samples, n_features) array
    y : targets as ``fit`` takes them (class labels or one-hot for cross-entropy), or
        None for the forward statistics only (gradient columns NaN; ``dead`` then uses
        the local test ``g'(z) = 0``).
    loss : name or Loss; by default the one ``fit`` pairs with the output activation.
    bins : histogram bins.

    Examples
    --------
    >>> from neuronlab.network import MLP
    >>> net = MLP([64, 256, 256, 256, 10], activation="sigmoid", init="normal", seed=0)
    >>> X = np.random.default_rng(0).random((200, 64))
    >>> rows = layer_statistics(net, X, np.arange(200) % 10)
    >>> [round(row["grad_norm"] / rows[-1]["grad_norm"], 3) for row in rows]  # vanishing
    [0.004, 0.035, 0.185, 1.0]
    """
    layers, n = _one_pass(model, X, y, loss, bins)
    rows = []
    with np.errstate(all="ignore"):
        for layer in layers:
            rows.append(_ordered({"epoch": None, "step": None, "steps": 1,
                                  "samples": n, "lr": None, **layer.row()}))
    return rows


def unit_flags(model: Sequential, X: object, y: object = None,
               loss: str | losses.Loss | None = None) -> list[dict[str, Any]]:
    """Which units of each layer are dead or saturated, on one pass over ``(X, y)``.

    The per-unit form of the ``dead`` and ``saturated`` columns of
    :func:`layer_statistics` (same definitions, same pass): a unit is *dead* when its
    output is 0 and its delta is 0 on every sample of ``X``, *saturated* when
    ``|g'(z)|`` is at most ``SATURATION_SLOPE`` of the maximum slope on at least
    ``SATURATED_SAMPLES`` of them.  Every parameter's ``.grad`` and the layers' caches
    are overwritten; the weights are not touched.

    Returns
    -------
    list of dict, one per layer (1..L): ``layer``, ``dead`` and ``saturated`` (boolean
    arrays of shape ``(units,)``; saturated is all False where undefined, e.g. softmax).

    Examples
    --------
    >>> from neuronlab.network import MLP
    >>> net = MLP([2, 3, 1], activation="relu", output=None, bias_init=-100.0, seed=0)
    >>> flags = unit_flags(net, np.ones((4, 2)), np.zeros(4))
    >>> flags[0]["dead"].tolist(), flags[0]["saturated"].tolist()
    ([True, True, True], [True, True, True])
    """
    layers, n = _one_pass(model, X, y, loss, HIST_BINS)
    out = []
    for layer in layers:
        dead = np.zeros(layer.units, dtype=bool)
        dead[layer.pending] = True
        if layer.constant_slope is None:
            saturated = layer.flat >= SATURATED_SAMPLES * layer.sampled_n
        else:
            saturated = np.zeros(layer.units, dtype=bool)
        out.append({"layer": layer.number, "dead": dead, "saturated": saturated})
    return out


def _one_pass(model: Sequential, X: object, y: object, loss: str | losses.Loss | None,
              bins: int) -> tuple[list[_Layer], int]:
    """The layers' accumulators after one forward (and, with targets, backward) pass."""
    X = data.check_X(X, model.n_inputs, dtype=model.dtype)  # cast, then checked
    bins = check_integer(bins, "bins", low=1)
    fused = None
    if y is not None:
        loss_fn = losses.get(loss if loss is not None else training.default_loss(model))
        Y = training.targets(model, loss_fn, y, len(X))
        fused = losses.fused(model.output_activation, loss_fn)
        training.backprop(model, loss_fn, X, Y, training=False, fused=fused)
    else:
        model.forward(X)
    layers = _layers(model, bins, fused is not None)
    with np.errstate(all="ignore"):
        for layer in layers:
            layer.accumulate(with_grad=y is not None)
    return layers, len(X)


# -- verdicts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """One layer's diagnosis in plain words.

    Attributes
    ----------
    layer : int
        1..L, from the input.
    activation : str
    status : str
        One of ``STATUSES``: the first finding in priority order, or "healthy".
    numbers : dict
        The measurements behind it (fractions, norms, the ratio to the last layer).
    remedy : str
        The lecture's remedy for the status.
    reason : str
        One sentence with the decisive numbers and thresholds.
    findings : tuple of str
        Every status that applies, in priority order (empty when healthy).
    epoch, step : the interval judged (None for :func:`layer_statistics` rows).
    """

    layer: int
    activation: str
    status: str
    numbers: dict[str, float] = field(default_factory=dict)
    remedy: str = ""
    reason: str = ""
    findings: tuple[str, ...] = ()
    epoch: int | None = None
    step: int | None = None


def verdicts(rows: Sequence[dict[str, Any]], which: str = "last") -> list[Verdict]:
    """Judge each layer: dead, saturated, exploding, vanishing or healthy.

    Parameters
    ----------
    rows : rows of :meth:`Monitor.table` or :func:`layer_statistics`.
    which : "last" judges the last interval only (the network as it ended), "all"
        every interval, in order.

    Returns
    -------
    list of Verdict, one per layer (and interval).
    """
    check_choice(which, "verdicts which", ("last", "all"))
    groups: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row.get("epoch"), row.get("step")), []).append(row)
    if not groups:
        return []
    chosen = [list(groups.values())[-1]] if which == "last" else list(groups.values())
    out = []
    for group in chosen:
        top = max(group, key=lambda row: row["layer"])
        for row in group:
            out.append(_judge(row, top))
    return out


def _ratio(value: Any, reference: Any) -> float:
    value, reference = float(value), float(reference)
    if math.isfinite(value) and math.isfinite(reference) and reference > 0:
        return value / reference
    return _NAN


def _judge(row: dict[str, Any], top: dict[str, Any]) -> Verdict:
    dead, saturated = float(row["dead"]), float(row["saturated"])
    norm, delta = float(row["grad_norm"]), float(row["delta_norm"])
    grad_ratio, delta_ratio = _ratio(norm, top["grad_norm"]), _ratio(delta, top["delta_norm"])
    numbers = {"dead": dead, "saturated": saturated,
               "saturation_rate": float(row["saturation_rate"]), "slope": float(row["slope"]),
               "max_slope": float(row["max_slope"]), "act_mean": float(row["act_mean"]),
               "act_std": float(row["act_std"]), "grad_norm": norm,
               "last_grad_norm": float(top["grad_norm"]), "grad_ratio": grad_ratio,
               "delta_norm": delta, "last_delta_norm": float(top["delta_norm"]),
               "delta_ratio": delta_ratio, "update_ratio": float(row["update_ratio"])}
    findings = []
    broken, output_broken = _non_finite(row), _non_finite(top)
    if broken or (output_broken and not (math.isfinite(norm) and math.isfinite(delta))):
        findings.append("non_finite")
    if dead > DEAD_FRACTION:
        findings.append("dead")
    if saturated > SATURATED_FRACTION:
        findings.append("saturated")
    if math.isinf(norm) or math.isinf(delta) or max(grad_ratio, delta_ratio) > EXPLODING_RATIO:
        findings.append("exploding")
    elif min(grad_ratio, delta_ratio) < VANISHING_RATIO:
        findings.append("vanishing")
    status = findings[0] if findings else "healthy"
    remedy = REMEDIES[status]
    if status == "saturated" and _relu_like(row["activation"], row["units"]):
        remedy = REMEDIES["saturated_relu"]
    flow = (f"||dW|| is {_fmt(grad_ratio)} and ||delta|| {_fmt(delta_ratio)} times the "
            f"last layer's")
    reasons = {
        "non_finite": (f"the weights or outputs hold NaN or infinity (||W|| "
                       f"{float(row['weight_norm']):.3g}, mean output "
                       f"{float(row['act_mean']):.3g})") if broken else
                      ("the network's output holds NaN or infinity, so the error reaching "
                       "this layer (||dW||, ||delta||) is not finite either"),
        "dead": f"{_fmt(dead, '%')} of the units output 0 and get no gradient on every "
                f"sample (a layer with more than {DEAD_FRACTION:.0%} is dead)",
        "saturated": f"{_fmt(saturated, '%')} of the units are flat (|g'(z)| at most "
                     f"{SATURATION_SLOPE:.0%} of the maximum slope {_fmt(row['max_slope'])}) "
                     f"on {SATURATED_SAMPLES:.0%} of the samples or more (a layer with more "
                     f"than {SATURATED_FRACTION:.0%} is saturated); mean |g'(z)| "
                     f"{_fmt(row['slope'])}",
        "exploding": f"{flow} (above {EXPLODING_RATIO:g} is exploding)",
        "vanishing": f"{flow} (below {VANISHING_RATIO:g} is vanishing)",
        "healthy": f"{_fmt(dead, '%')} dead, {_fmt(saturated, '%')} saturated; {flow}",
    }
    return Verdict(int(row["layer"]), str(row["activation"]), status, numbers, remedy,
                   reasons[status], tuple(findings), row.get("epoch"), row.get("step"))


def _non_finite(row: dict[str, Any]) -> bool:
    """True when a layer's weights or outputs hold NaN or infinity."""
    return not all(math.isfinite(float(row[key]))
                   for key in ("weight_norm", "weight_std", "act_mean", "act_std"))


def _relu_like(name: str, units: int) -> bool:
    from neuronlab import activations

    if name not in activations.REGISTRY:
        return False
    fn = activations.get(name)
    if not fn.elementwise:
        return False
    fn.build(int(units), np.dtype(np.float64))
    return _slope_profile(fn, int(units)).relu_like


# -- rendering --------------------------------------------------------------------------

_STYLE = {"non_finite": "bold red reverse", "dead": "bold red", "saturated": "bold yellow",
          "exploding": "bold magenta", "vanishing": "bold cyan", "healthy": "green"}


def _fmt(value: Any, kind: str = "g") -> str:
    if value is None:
        return "-"
    if isinstance(value, str | int | np.integer):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "-" if math.isnan(value) else str(value)
    if kind == "%":
        return f"{value:.0%}"
    return f"{value:{'.3g' if kind == 'g' else kind}}"


_TABLE_COLUMNS = (
    ("epoch", "epoch"), ("layer", "layer"), ("activation", "g"), ("units", "units"),
    ("act_mean", "mean a"), ("act_std", "std a"), ("slope", "|g'|"), ("saturated", "sat"),
    ("dead", "dead"), ("delta_norm", "||δ||"), ("grad_norm", "||dW||"),
    ("update_ratio", "ΔW/W"),
)


def print_table(rows_or_verdicts: Sequence[dict[str, Any]] | Sequence[Verdict],
                console: Any = None, title: str | None = None) -> None:
    """Print statistics rows or verdicts as a rich table.

    Rows show, per layer (and interval): the activation ``g``, its width, the mean and
    std of the activations, the mean slope ``|g'|``, the saturated and dead fractions,
    ``||delta||``, ``||dW||`` and the update ratio ``||ΔW|| / ||W||``.  Verdicts show the
    status with the numbers behind it, and the remedy when the layer is not healthy.

    Parameters
    ----------
    rows_or_verdicts : rows (:meth:`Monitor.table`, :func:`layer_statistics`) or the
        output of :func:`verdicts`.
    console : rich.console.Console, optional (a new one on stdout by default).
    title : table title.
    """
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    items = list(rows_or_verdicts)
    if items and isinstance(items[0], Verdict):
        table = Table(title=title or "verdicts", box=box.SIMPLE_HEAD, show_lines=True)
        table.add_column("layer", justify="right")
        table.add_column("g")
        table.add_column("status")
        table.add_column("why, and the remedy", ratio=1)
        for v in items:
            when = "" if v.epoch is None else f"\nepoch {v.epoch}"
            text = markup(v.reason) if v.status == "healthy" else \
                f"{markup(v.reason)}\n[dim]{markup(v.remedy)}[/]"
            table.add_row(str(v.layer), markup(v.activation),
                          f"[{_STYLE.get(v.status, '')}]{v.status}[/]{when}", text)
        console.print(table)
        return
    table = Table(title=title or "per-layer statistics", box=box.SIMPLE_HEAD, padding=0,
                  show_edge=False)
    # leave out columns with nothing in them (no epochs, no update in one pass)
    columns = [c for c in _TABLE_COLUMNS
               if any(_fmt(row.get(c[0])) != "-" for row in items) or c[0] == "layer"]
    names = max((len(markup(row.get("activation", ""))) for row in items), default=1)
    for key, header in columns:
        if key == "activation":
            table.add_column(header, min_width=min(names, 8), no_wrap=True, overflow="ellipsis")
        else:
            table.add_column(header, justify="right", no_wrap=True)
    for row in items:
        cells = []
        for key, _ in columns:
            value = row.get(key)
            if key in ("epoch", "layer", "units", "activation"):  # the label is the file's
                cells.append("-" if value is None else markup(value))
            else:
                cells.append(_fmt(value, "%" if key in ("saturated", "dead") else ".2g"))
        table.add_row(*cells)
    console.print(table)


def print_layer_table(model: Sequential, X: object, y: object = None, *,
                      loss: str | losses.Loss | None = None,
                      console: Any = None) -> list[dict[str, Any]]:
    """Print the per-layer statistics of ``model`` on ``(X, y)`` and, with ``y``, the
    verdicts; returns the rows of :func:`layer_statistics`."""
    rows = layer_statistics(model, X, y, loss)
    print_table(rows, console, title="per-layer statistics (one pass, no update)")
    if y is not None:
        print_table(verdicts(rows), console)
    return rows


def plot(monitor_or_rows: Monitor | Sequence[dict[str, Any]],
         path: str | os.PathLike[str]) -> str:
    """Draw the diagnostics as a PNG at ``path`` (written atomically); returns the path.

    Top row: per layer, the activations' std, ``||delta||`` (log scale), and the dead
    and saturated fractions, over the intervals (epochs or steps), or against the
    layer number when there is a single interval (``layer_statistics``).  Bottom row:
    the activation histograms of the last interval (up to 8 layers, evenly chosen).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    rows = monitor_or_rows.table() if isinstance(monitor_or_rows, Monitor) \
        else [dict(row) for row in monitor_or_rows]
    if not rows:
        raise ValueError("nothing to plot: no rows (did the monitor see a training step?)")
    layers = sorted({row["layer"] for row in rows})
    keys = sorted({(row.get("epoch"), row.get("step")) for row in rows},
                  key=lambda k: (k[1] is None, k[1] or 0))
    last = [row for row in rows if (row.get("epoch"), row.get("step")) == keys[-1]]
    shown = [layers[i] for i in sorted({round(j) for j in np.linspace(0, len(layers) - 1,
                                                                      min(8, len(layers)))})]
    fig = Figure(figsize=(4 * max(4, len(shown)) * 0.8, 7), layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 4 * len(shown))
    metrics = (("act_std", "std of activations", False), ("delta_norm", "‖δ‖ = ‖dJ/dz‖", True),
               ("dead", "dead fraction", False), ("saturated", "saturated fraction", False))
    width = len(shown)
    per_layer = len(keys) == 1
    epochs = [k[0] for k in keys]
    use_epoch = all(e is not None for e in epochs) and len(set(epochs)) == len(epochs)
    for m, (key, label, log) in enumerate(metrics):
        ax = fig.add_subplot(grid[0, m * width:(m + 1) * width])
        if per_layer:
            ys = [_finite_or_nan(row[key]) for row in sorted(last, key=lambda r: r["layer"])]
            ax.plot(layers, ys, marker="o")
            ax.set_xlabel("layer")
        else:
            for layer in layers:
                mine = [row for row in rows if row["layer"] == layer]
                xs = [row["epoch"] + 1 if use_epoch else row["step"] for row in mine]
                ax.plot(xs, [_finite_or_nan(row[key]) for row in mine], label=f"layer {layer}")
            ax.set_xlabel("epoch" if use_epoch else "step")
            if len(layers) <= 10:
                ax.legend(fontsize="x-small")
        if log and any(_finite_or_nan(row[key]) > 0 for row in rows):
            ax.set_yscale("log")
        if key in ("dead", "saturated"):
            ax.set_ylim(-0.03, 1.03)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(label, fontsize="small")
    for j, layer in enumerate(shown):
        row = next(row for row in last if row["layer"] == layer)
        ax = fig.add_subplot(grid[1, j * 4:(j + 1) * 4])
        edges = np.asarray(row["hist_edges"])
        ax.stairs(np.asarray(row["hist_counts"]), edges, fill=True)
        ax.set_title(f"layer {layer} ({row['activation']})", fontsize="small")
        ax.tick_params(labelsize="x-small")
    target = os.path.abspath(os.fspath(path))
    with atomic_open(target) as f:
        fig.savefig(f, format="png", dpi=100)
    return target


def _finite_or_nan(value: Any) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return _NAN
    return value if math.isfinite(value) else _NAN
