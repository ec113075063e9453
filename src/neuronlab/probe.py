"""Measuring an elementwise activation numerically: the one probe of the package.

An activation *declares* its properties (:class:`neuronlab.activations.Properties`:
range, zero-centred, monotonic, smooth, saturating); this module *measures* them, and
the largest slope, by evaluating g and g' on a grid.  Everything that needs such a
measurement asks here:

- :mod:`neuronlab.formula`: a written formula's properties are its measurements;
- :mod:`neuronlab.diagnostics`: the largest slope ``max |g'|`` that the saturation
  threshold is relative to, and where a zero output passes no gradient;
- the atlas study (:mod:`neuronlab.studies.atlas`): declared against measured, for
  every registered activation.

The grid (:func:`probe_grid`) is fine on ``[-PROBE_RANGE, PROBE_RANGE]`` (step
``PROBE_STEP``), wide on ``±10^k`` for k from -3 to 30, and dense beside each kink; a
maximum found on it is refined on finer grids around it (:func:`refine_max`).  A
:class:`Probe` evaluates a deep copy of the activation in float64 with floating-point
warnings silenced, so the activation measured (a network's, with its learnable
parameters, or RReLU's generator) is never touched.

Examples
--------
>>> p = measure_properties("tanh")
>>> p["range"], p["zero_centred"], p["monotonic"], round(p["max_slope"], 6)
((-1.0, 1.0), True, True, 1.0)
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from neuronlab.activations import INF, REGISTRY

__all__ = ["FAR", "FLAT", "PROBE_RANGE", "PROBE_STEP", "SATURATION_SLOPE", "Probe",
           "measure_properties", "probe_grid", "refine_max"]

PROBE_RANGE = 40.0     # the fine grid covers [-40, 40] ...
PROBE_STEP = 0.01      # ... with this step
FAR = (1e15, 1e30)     # g at these |z| decides whether a bound is infinite
FLAT = 1e-8            # |g'(±1e8)| below this: saturating

SATURATION_SLOPE = 0.01
"""A slope ``|g'(z)|`` at most 1% of the activation's largest counts as flat (saturated):
the error sent back through the unit there is shrunk at least 100 times more than at
the steepest point (for sigmoid: ``|z| > 6``, where the lecture's cases z = ±10 sit).
The diagnostics' flat units, the measured saturation regions and the atlas use it."""


def probe_grid(kinks: Iterable[float] = (), step: float = PROBE_STEP,
               wide: bool = True) -> np.ndarray:
    """The sorted points where an activation is probed: ``[-PROBE_RANGE, PROBE_RANGE]``
    in steps of ``step``, 0, each kink and a point 1e-9 (relative) on either side of it,
    and with ``wide`` also ±10^k for k from -3 to 30 (10 points per decade).

    Examples
    --------
    >>> z = probe_grid([1.0], step=0.5, wide=False)
    >>> len(z), float(z.min()), float(z.max()), bool(np.isin(1.0 + 1e-9, z))
    (163, -40.0, 40.0, True)
    """
    fine = np.round(np.arange(-PROBE_RANGE, PROBE_RANGE + step / 2, step), 10)
    decades = np.logspace(-3, 30, 331) if wide else np.empty(0)
    beside = [k + s * 1e-9 * max(1.0, abs(k)) for k in kinks for s in (-1, 0, 1)]
    # in this order np.unique keeps +0.0, not the fine grid's -0.0 (round(-7e-15)), so a
    # message about the point 0 says "x = 0"
    return np.unique(np.concatenate([fine, decades, -decades, beside, [0.0]]))


class Probe:
    """An elementwise activation evaluated for measurement, never the original.

    Parameters
    ----------
    activation : str or activation
        A registered name, a formula string, an activation instance, or any object with
        ``forward(z, training)``, ``derivative(z, a)`` (and ``kinks``).
    units : int, optional
        None: one unit, an activation's learnable parameters as ``build(1, float64)``
        leaves them (their initial values where each unit has its own, the current one
        where a value is shared).  An int: the activation as a layer of that many units
        uses it, each unit with its *current* parameter values (a trained PReLU's
        slopes): ``evaluate`` then gives one column per unit.

    Examples
    --------
    >>> a, d = Probe("relu").evaluate(np.array([-1.0, 2.0]))
    >>> a[:, 0], d[:, 0]
    (array([0., 2.]), array([0., 1.]))
    """

    def __init__(self, activation: Any, units: int | None = None) -> None:
        fn = REGISTRY.get(activation) if isinstance(activation, str) else activation
        if not getattr(fn, "elementwise", True):
            raise ValueError(f"{fn!r} is vector-valued: its properties are not those of a "
                             f"function of one variable")
        if hasattr(fn, "build"):  # an activation: a copy, so its state stays untouched
            fn = copy.deepcopy(fn)
            if units is None:
                fn.build(1, np.dtype(np.float64))
        self.fn, self.units = fn, 1 if units is None else int(units)
        self.kinks = tuple(float(k) for k in getattr(fn, "kinks", ()))

    def evaluate(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(g(z), g'(z))`` at the points ``z`` (1-D), float64 of shape
        ``(len(z), units)``; overflow shows as inf or NaN, without a warning."""
        columns = np.repeat(np.asarray(z, dtype=np.float64)[:, None], self.units, axis=1)
        with np.errstate(all="ignore"):
            a = np.asarray(self.fn.forward(columns, training=False), dtype=np.float64)
            d = np.asarray(self.fn.derivative(columns, a), dtype=np.float64)
        return a.reshape(len(columns), -1), d.reshape(len(columns), -1)


def refine_max(values_of: Callable[[np.ndarray], np.ndarray], i: int, grid: np.ndarray,
               rounds: int = 2) -> tuple[float, float]:
    """``(best value, where)`` of ``values_of`` near ``grid[i]``, its largest point on the
    grid: ``rounds`` times, 2001 points between the neighbours of the best point so far.

    Examples
    --------
    >>> best, at = refine_max(lambda t: 1 - (t - 0.3) ** 2, 1, np.array([-1.0, 0.0, 1.0]))
    >>> round(best, 9), round(at, 6)
    (1.0, 0.3)
    """
    best, at = float(values_of(grid[i:i + 1])[0]), float(grid[i])
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    for _ in range(rounds):
        t = np.linspace(lo, hi, 2001)
        v = values_of(t)
        if not np.isfinite(v).any():
            break
        j = int(np.nanargmax(v))
        if v[j] > best:
            best, at = float(v[j]), float(t[j])
        step = (hi - lo) / 2000
        lo, hi = t[j] - step, t[j] + step
    return best, at


def measure_properties(activation: Any) -> dict[str, Any]:
    """Properties of an elementwise activation, measured numerically (float64).

    Works for any activation with ``forward``, ``derivative`` and ``kinks`` (a name, a
    formula string or an instance), through a :class:`Probe` of one unit.
    g and g' are evaluated on [-40, 40] with step 0.01, on ±10^k for k from -3 to 30,
    and beside each kink; the extremes and the largest slope are refined locally.

    Returns
    -------
    dict with
        ``range`` (low, high): inf and sup of g; an end is infinite when g still grows
        between ``|z| = 1e15`` and ``1e30`` (by more than 1e-6 relative);
        ``bounded_below``, ``bounded_above``;
        ``zero_centred``: g(0) = 0 and g takes both signs;
        ``monotonic``: non-decreasing up to rounding;
        ``continuous``: no jump of g at a kink (1e-7 relative) or on the grid;
        ``smooth``: continuous and no jump of g' at a kink (1e-7 relative); kinks are
        where g or g' may jump, so an activation must list them all (a formula's are
        found symbolically);
        ``saturating``: ``min |g'(±1e8)| < 1e-8``;
        ``saturated_below``/``saturated_above``: where ``|g'|`` stays below
        ``SATURATION_SLOPE`` (1%) of its largest value at the ends of [-40, 40]
        (z <= value / z >= value; None if not);
        ``max_slope`` and ``max_slope_at``: the largest ``|g'(z)|`` and where;
        ``value_at_zero``, ``slope_at_zero``; ``kinks``.

    Examples
    --------
    >>> p = measure_properties("sigmoid")
    >>> p["range"], p["zero_centred"], round(p["max_slope"], 6)
    ((0.0, 1.0), False, 0.25)
    """
    probe = Probe(activation)
    kinks = probe.kinks

    def evaluate(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, d = probe.evaluate(z)
        return a[:, 0], d[:, 0]

    z = probe_grid(kinks)
    a, d = evaluate(z)
    inner = np.abs(z) <= PROBE_RANGE
    zi, ai, di = z[inner], a[inner], d[inner]
    slope = np.abs(di)
    i_slope = int(np.nanargmax(np.where(np.isfinite(slope), slope, -np.inf)))
    max_slope, max_slope_at = refine_max(lambda t: np.abs(evaluate(t)[1]), i_slope, zi)

    far = {s * v: float(evaluate(np.array([s * v]))[0][0]) for s in (-1, 1) for v in FAR}
    grows = any(far[s * FAR[1]] == INF or far[s * FAR[1]] > far[s * FAR[0]]
                + 1e-6 * max(1.0, abs(far[s * FAR[1]])) for s in (-1, 1))
    falls = any(far[s * FAR[1]] == -INF or far[s * FAR[1]] < far[s * FAR[0]]
                - 1e-6 * max(1.0, abs(far[s * FAR[1]])) for s in (-1, 1))
    finite = a[np.isfinite(a)]
    high = INF if grows else max(float(finite.max()), refine_max(
        lambda t: evaluate(t)[0], int(np.nanargmax(ai)), zi)[0])
    low = -INF if falls else min(float(finite.min()), -refine_max(
        lambda t: -evaluate(t)[0], int(np.nanargmin(ai)), zi)[0])

    g0, d0 = (float(v[0]) for v in evaluate(np.zeros(1)))
    zero_centred = g0 == 0 and bool((a > 0).any() and (a < 0).any())
    with np.errstate(all="ignore"):  # inf - inf where g overflows at both neighbours
        steps = np.diff(a)
        slack = 4 * np.spacing(np.minimum(np.abs(a[1:]), np.finfo(np.float64).max))
        monotonic = bool(np.all((steps >= -slack) | (a[1:] == a[:-1])))

    kink_jump_g = kink_jump_d = 0.0
    for k in kinks:
        delta = 1e-9 * max(1.0, abs(k))
        (gl, gr), (dl, dr) = evaluate(np.array([k - delta, k + delta]))
        kink_jump_g = max(kink_jump_g, abs(gr - gl) / max(1.0, abs(gl), abs(gr)))
        kink_jump_d = max(kink_jump_d, abs(dr - dl) / max(1.0, abs(dl), abs(dr)))
    fine = np.abs(zi) <= PROBE_RANGE
    with np.errstate(all="ignore"):
        grid_jump = np.abs(np.diff(ai[fine]))
    continuous = bool(kink_jump_g < 1e-7 and np.nanmax(grid_jump, initial=0.0)
                      <= 10 * PROBE_STEP * max(1.0, max_slope))
    smooth = bool(continuous and kink_jump_d < 1e-7)

    ends = np.abs(evaluate(np.array([-1e8, 1e8]))[1])
    saturating = bool(np.nanmin(ends) < FLAT)
    flat = slope < SATURATION_SLOPE * max_slope if max_slope > 0 else np.ones_like(slope, bool)
    below = above = None
    if not flat.all():
        if flat[0]:
            below = float(zi[int(np.argmin(flat)) - 1]) + 0.0
        if flat[-1]:
            above = float(zi[len(zi) - int(np.argmin(flat[::-1]))]) + 0.0
    return {
        "range": (low, high), "bounded_below": low > -INF, "bounded_above": high < INF,
        "zero_centred": zero_centred, "monotonic": monotonic, "continuous": continuous,
        "smooth": smooth, "saturating": saturating, "saturated_below": below,
        "saturated_above": above, "max_slope": max_slope, "max_slope_at": max_slope_at + 0.0,
        "value_at_zero": g0, "slope_at_zero": d0, "kinks": kinks,
    }
