"""Mean-field signal propagation at initialization, for any activation.

A deep MLP at initialization with weights ``W ~ N(0, sigma_w^2 / fan_in)`` and biases
``b ~ N(0, sigma_b^2)``, wide enough that each pre-activation ``z`` of a layer is
Gaussian (Poole et al. 2016, "Exponential expressivity in deep neural networks
through transient chaos"; Schoenholz et al. 2017, "Deep information propagation"):

- the second moment ``q_l = E[z_l^2]`` follows the **variance map**

      q_{l+1} = V(q_l) = sigma_w^2 E[phi(sqrt(q_l) u)^2] + sigma_b^2,   u ~ N(0, 1),

  starting from ``q_1 = sigma_w^2 q_0 + sigma_b^2`` for inputs of second moment q_0;
- its **fixed point** ``q* = V(q*)`` is where deep signals settle;
- ``chi = sigma_w^2 E[phi'(sqrt(q*) u)^2]`` is the factor by which a small
  perturbation (and a back-propagated gradient) grows per layer: ``chi < 1`` ordered
  (inputs become alike, gradients vanish), ``chi > 1`` chaotic (gradients explode),
  ``chi = 1`` the **edge of chaos**, where deep networks train.

The expectations are computed by Gauss-Hermite quadrature (``hermegauss``, 200
nodes, checked against 100) for smooth phi; for phi with kinks (its ``kinks``
attribute), or where the two orders disagree, by composite Gauss-Legendre
quadrature on [-16, 16] split at the kinks (scaled by ``1/sqrt(q)``) and refined near
the origin on the scale of phi's own input, which is exact to rounding on every
smooth piece.

The gain of an activation
-------------------------
:func:`gain` is the weight scale that preserves the second moment through a layer
with ``sigma_b = 0``: ``V(1) = 1``, that is

    gain^2 E[phi(u)^2] = 1,    gain = 1 / sqrt(E[phi(u)^2]),

the weight scale whose fixed point is ``q* = 1``.  ``init="auto"`` in
:func:`neuronlab.network.MLP` uses it for every Dense layer (the activation that
follows the layer decides).  PyTorch's ``calculate_gain`` is a fixed table instead;
where it differs it is a convention, not this fixed point:

=============  ===================  ===============================================
activation     PyTorch              ``gain`` here
=============  ===================  ===============================================
identity       1                    1
sigmoid        1                    1.8462 (sigmoid's outputs have mean 1/2, so
                                    E[g^2] = 0.2934; PyTorch treats it as linear)
tanh           5/3 = 1.6667         1.5925 (PyTorch's 5/3 is a heuristic that keeps
                                    activations a little larger than the fixed point)
relu           sqrt(2)              sqrt(2)
leaky_relu(a)  sqrt(2 / (1 + a^2))  sqrt(2 / (1 + a^2)) (PyTorch's default a = 0.01)
selu           3/4                  1.0000 (SELU's fixed point, the self-normalising
                                    LeCun-normal init; PyTorch's 3/4 was chosen
                                    empirically for gradient flow, and its docs advise
                                    'linear', i.e. 1, for self-normalising networks)
any formula    (none)               computed the same way
=============  ===================  ===============================================

Note that the gain fixes the *variance*, not ``chi``: tanh at its gain 1.5925 has
``chi = 1.17`` (mildly chaotic), ReLU at sqrt 2 has ``chi = 1`` exactly.  Nor does it
make q* = 1 *attracting*: that takes ``V'(1) < 1`` (:func:`variance_slope`), true for
tanh, sigmoid and SELU; ReLU is marginal (``V' = 1``: every q is a fixed point), and
for smooth ReLU-like units (GELU, Swish, Mish, a shifted softplus) ``V'(1) > 1``: at
their gain q* = 1 repels, and deep networks drift away from it geometrically (slowly:
GELU's q grows by at most 17% per layer).  A bias (``sigma_b > 0``) or a smaller
``sigma_w`` gives them a stable fixed point instead.

Examples
--------
>>> round(gain("relu") ** 2, 12)
2.0
>>> round(fixed_point("selu", 1.0), 6)
1.0
>>> round(chi("tanh", 1.0, 0.0), 6)  # q* = 0: chi = phi'(0)^2 = 1, the edge of chaos
1.0
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from numpy.polynomial.legendre import leggauss

from neuronlab import activations
from neuronlab._validate import check_integer, check_real, check_real_array, check_seed

__all__ = ["chi", "edge_of_chaos", "expectation", "fixed_point", "gain", "maxout_gain",
           "phase_diagram", "propagate", "sample_propagation",
           "second_moment", "slope_moment", "variance_map", "variance_slope"]

_HERMITE_NODES = (100, 200)   # Gauss-Hermite orders compared for convergence
_LEGENDRE_NODES = 20          # Gauss-Legendre order per piece of the composite rule
_PIECE = 0.25                 # width of the pieces of the composite rule
_HALF_WIDTH = 16.0            # the composite rule covers [-16, 16]; N(0, 1) beyond is < 1e-57
Q_MIN, Q_MAX = 1e-30, 1e30    # a fixed point below / above is reported as 0 / inf
_RTOL = 1e-13                 # relative tolerance of the fixed points

ActivationLike = str | activations.Activation


# ----------------------------------------------------------------------------- quadrature


@functools.cache
def _hermite(n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = hermegauss(n)
    return x, w / math.sqrt(2 * math.pi)  # weights of E[f(u)], u ~ N(0, 1)


@functools.cache
def _legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    return leggauss(n)


@functools.lru_cache(maxsize=32)  # mostly scale 1 (the gain); each rule is ~100 kB
def _composite_legendre(kinks: tuple[float, ...],
                        scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Nodes u and weights of E[f(scale u)] by Gauss-Legendre on pieces of [-16, 16]
    split at ``kinks / scale`` (where f's argument crosses a kink) and, when the scale
    is large, on pieces of width 0.25 / scale near 0 (phi's own features)."""
    grid = np.arange(-_HALF_WIDTH, _HALF_WIDTH + _PIECE / 2, _PIECE)
    inner = [k / scale for k in kinks if -_HALF_WIDTH < k / scale < _HALF_WIDTH]
    fine = grid / scale if scale > 1.0 else np.empty(0)
    fine = fine[np.abs(fine) < _HALF_WIDTH]
    edges = np.unique(np.concatenate([grid, inner, fine]))
    t, w = _legendre(_LEGENDRE_NODES)
    mid, half = (edges[1:] + edges[:-1]) / 2, (edges[1:] - edges[:-1]) / 2
    x = (mid[:, None] + half[:, None] * t).ravel()
    weights = (half[:, None] * w).ravel() * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    return x, weights


def expectation(f: Callable[[np.ndarray], np.ndarray], q: float | np.ndarray = 1.0,
                kinks: Sequence[float] = ()) -> float | np.ndarray:
    """E[f(sqrt(q) u)] for u ~ N(0, 1), for each q (a number or an array).

    ``f`` maps a 1-D float64 array to the values at those points; ``kinks`` are the
    points where f or f' may jump (the composite rule splits there).

    Examples
    --------
    >>> round(float(expectation(lambda v: v ** 4, 2.0)), 10)  # E[(sqrt 2 u)^4] = 12
    12.0
    """
    qs = np.atleast_1d(np.asarray(q, dtype=np.float64))
    if (qs < 0).any() or np.isnan(qs).any():
        raise ValueError(f"q must be a non-negative second moment, got {q!r}")
    kinks = tuple(sorted(float(k) for k in kinks))
    scales = np.sqrt(qs.ravel())
    out = np.full(scales.shape, math.nan)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        zero = scales == 0
        if zero.any():
            out[zero] = float(f(np.zeros(1))[0])
        todo = ~zero
        if not kinks and todo.any():
            # Gauss-Hermite is exact to rounding for smooth f; a kink (or a near-kink such
            # as a very sharp softplus) shows up as disagreement between the two orders.
            (xc, wc), (xf, wf) = (_hermite(n) for n in _HERMITE_NODES)
            s = scales[todo]
            values = f(np.concatenate([np.outer(s, xc).ravel(), np.outer(s, xf).ravel()]))
            coarse = values[:s.size * xc.size].reshape(s.size, -1) @ wc
            fine = values[s.size * xc.size:].reshape(s.size, -1) @ wf
            good = np.abs(coarse - fine) <= 1e-12 * np.abs(fine)
            index = np.flatnonzero(todo)
            out[index[good]] = fine[good]
            todo[index[good]] = False
        if todo.any():
            index = np.flatnonzero(todo)
            rules = [_composite_legendre(kinks, float(scales[i])) for i in index]
            values = f(np.concatenate([x * scales[i] for i, (x, _) in zip(index, rules,
                                                                           strict=True)]))
            start = 0
            for i, (x, w) in zip(index, rules, strict=True):
                out[i] = float(np.dot(w, values[start:start + x.size]))
                start += x.size
    out = out.reshape(qs.shape)
    return float(out[0]) if np.ndim(q) == 0 else out


def _activation(activation: ActivationLike) -> activations.Activation:
    """A fresh float64 copy of an elementwise activation (learnable parameters at their
    initial values), or a clear error."""
    if isinstance(activation, str):
        act = activations.get(activation)
    elif isinstance(activation, activations.Activation):
        act = activation
    else:
        raise TypeError(f"activation must be a name, a formula or an Activation instance, "
                        f"got {type(activation).__name__}")
    if not act.elementwise:
        raise ValueError(
            f"activation {act.name!r} is vector-valued (each output depends on the whole "
            f"row), so it has no per-unit gain; use gain('identity') = 1 or a "
            f"variance-scaling preset instead"
        )
    fresh = type(act)(**act.get_config())
    fresh.build(1, np.dtype(np.float64))
    return fresh


def _phi(act: activations.Activation) -> Callable[[np.ndarray], np.ndarray]:
    return lambda u: act.forward(u[:, None], training=False)[:, 0]


def _dphi(act: activations.Activation) -> Callable[[np.ndarray], np.ndarray]:
    def derivative(u: np.ndarray) -> np.ndarray:
        z = u[:, None]
        return act.derivative(z, act.forward(z, training=False))[:, 0]
    return derivative


def second_moment(activation: ActivationLike, q: float | np.ndarray = 1.0) -> Any:
    """E[phi(sqrt(q) u)^2], u ~ N(0, 1)."""
    act = _activation(activation)
    phi = _phi(act)
    return expectation(lambda u: phi(u) ** 2, q, act.kinks)


def slope_moment(activation: ActivationLike, q: float | np.ndarray = 1.0) -> Any:
    """E[phi'(sqrt(q) u)^2], u ~ N(0, 1)."""
    act = _activation(activation)
    dphi = _dphi(act)
    return expectation(lambda u: dphi(u) ** 2, q, act.kinks)


def gain(activation: ActivationLike) -> float:
    """The variance-preserving weight scale of an activation: 1 / sqrt(E[g(z)^2]), z ~ N(0, 1).

    With ``Var(W) = gain^2 / fan_in`` the pre-activations of the next layer keep unit
    second moment (the fixed point q* = 1 of the mean-field variance map, Poole et
    al. 2016).  See the module docstring for the quadrature and PyTorch's table.

    Parameters
    ----------
    activation : str or Activation
        Any elementwise activation: a registered name, a formula (``"x * tanh(x)"``) or
        an instance (its learnable parameters, if any, are taken at their initial
        values).

    Raises
    ------
    ValueError
        For vector-valued activations (softmax, log-softmax): their outputs depend on
        the whole row, so there is no per-unit gain.

    Examples
    --------
    >>> round(gain("relu") ** 2, 12)
    2.0
    >>> round(gain("tanh"), 4)
    1.5925
    """
    act = _activation(activation)
    m2 = second_moment(act)
    if not math.isfinite(m2) or m2 <= 0:
        raise ValueError(f"activation {act.name!r} has E[g(z)^2] = {m2} for z ~ N(0, 1); "
                         f"no finite gain")
    return 1.0 / math.sqrt(m2)


def maxout_gain(k: int) -> float:
    """The variance-preserving weight scale of a maxout unit of ``k`` pieces:
    1 / sqrt(E[max(u_1, ..., u_k)^2]) for independent u_i ~ N(0, 1) (1 for k = 2)."""
    # checked before the cache: True == 1 and 2.0 == 2 would find their cached values
    return _maxout_gain(check_integer(k, "maxout pieces k", low=1))


@functools.cache
def _maxout_gain(k: int) -> float:
    from neuronlab.activations import _normal_cdf

    # the maximum has density k phi(v) Phi(v)^(k-1)
    m2 = expectation(lambda v: v * v * k * _normal_cdf(v) ** (k - 1))
    return 1.0 / math.sqrt(m2)


# ----------------------------------------------------------------------------- the maps


def variance_map(activation: ActivationLike, q: float | np.ndarray, sigma_w: float,
                 sigma_b: float = 0.0) -> Any:
    """V(q) = sigma_w^2 E[phi(sqrt(q) u)^2] + sigma_b^2: the next layer's second moment."""
    return sigma_w ** 2 * second_moment(activation, q) + sigma_b ** 2


def variance_slope(activation: ActivationLike, q: float, sigma_w: float,
                   sigma_b: float = 0.0) -> float:
    """V'(q), the slope of the variance map (central differences, 1e-4 relative).

    At a fixed point it decides its stability: ``V'(q*) < 1`` attracts (tanh, SELU:
    deep signals return to q*), ``= 1`` is marginal (ReLU at its gain: every q is a
    fixed point), ``> 1`` repels (GELU, Swish, Mish at their gains: deep signals
    drift away from q*, growing or dying geometrically).

    Examples
    --------
    >>> round(variance_slope("relu", 1.0, 2 ** 0.5), 8)
    1.0
    """
    act = _activation(activation)
    q = float(q)
    if not math.isfinite(q) or q < 0:
        return math.nan
    h = 1e-4 * q if q > 0 else 1e-8
    lo = max(q - h, 0.0)
    up, down = (variance_map(act, v, sigma_w, sigma_b) for v in (q + h, lo))
    return float((up - down) / (q + h - lo))


def _check_sigmas(sigma_w: Any, sigma_b: Any) -> tuple[np.ndarray, np.ndarray]:
    """The weight and bias scales (numbers or arrays) as flat float64 arrays of the
    shape they broadcast to."""
    w, b = np.broadcast_arrays(check_real_array(sigma_w, "sigma_w", low=0),
                               check_real_array(sigma_b, "sigma_b", low=0))
    return w.ravel(), b.ravel()


def fixed_point(activation: ActivationLike, sigma_w: Any, sigma_b: Any = 0.0,
                q0: float = 1.0) -> Any:
    """The fixed point q* = V(q*) the recursion reaches from q0 (numbers or arrays).

    From ``q0`` the iterates move towards the first fixed point in the direction
    ``V(q0) - q0`` (for increasing V, which covers the usual activations, the one the
    recursion converges to).  It is found by bracketing (steps of 4x) and bisection in
    log q to 1e-13 relative; 0 when it lies below 1e-30 (the signal dies out), inf
    above 1e30 (it explodes).

    Examples
    --------
    >>> round(fixed_point("tanh", 2.0, 0.0), 4)
    2.1215
    """
    act = _activation(activation)
    w, b = _check_sigmas(sigma_w, sigma_b)
    shape = np.broadcast(np.asarray(sigma_w), np.asarray(sigma_b)).shape
    phi = _phi(act)

    def gap(q: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """V(q) - q for the cells ``rows``."""
        m2 = expectation(lambda u: phi(u) ** 2, q, act.kinks)
        return w[rows] ** 2 * m2 + b[rows] ** 2 - q

    n = w.size
    q_star = np.full(n, math.nan)
    all_rows = np.arange(n)
    g0 = gap(np.full(n, float(q0)), all_rows)
    settled = np.abs(g0) <= _RTOL * q0
    q_star[settled] = q0
    lo, hi = np.full(n, float(q0)), np.full(n, float(q0))
    down = ~settled & (g0 < 0)  # the root lies below q0
    up = ~settled & (g0 > 0)
    # bracket: move the free end by 4x until the sign changes or a limit is passed
    rows = np.flatnonzero(down)  # gap(hi) < 0: look below
    while rows.size:
        lo[rows] = hi[rows] / 4
        found = gap(lo[rows], rows) >= 0
        hi[rows[~found]] = lo[rows[~found]]
        gone = ~found & (lo[rows] < Q_MIN)
        q_star[rows[gone]] = 0.0
        rows = rows[~found & ~gone]
    rows = np.flatnonzero(up)  # gap(lo) > 0: look above
    while rows.size:
        hi[rows] = lo[rows] * 4
        found = gap(hi[rows], rows) <= 0
        lo[rows[~found]] = hi[rows[~found]]
        gone = ~found & (hi[rows] > Q_MAX)
        q_star[rows[gone]] = math.inf
        rows = rows[~found & ~gone]
    # bisection in log q on the bracketed cells: gap(lo) >= 0 >= gap(hi)
    rows = np.flatnonzero(np.isnan(q_star))
    for _ in range(200):
        if not rows.size:
            break
        mid = np.sqrt(lo[rows] * hi[rows])
        g = gap(mid, rows)
        above = g >= 0
        lo[rows[above]] = mid[above]
        hi[rows[~above]] = mid[~above]
        done = hi[rows] - lo[rows] <= _RTOL * hi[rows]
        q_star[rows[done]] = np.sqrt(lo[rows[done]] * hi[rows[done]])
        rows = rows[~done]
    out = q_star.reshape(shape)
    return float(out) if out.ndim == 0 else out


def chi(activation: ActivationLike, sigma_w: Any, sigma_b: Any = 0.0,
        q: Any = None) -> Any:
    """chi = sigma_w^2 E[phi'(sqrt(q) u)^2] at the fixed point q* (or at a given q).

    The per-layer growth factor of small perturbations and of back-propagated
    gradients.  At q* = inf it is taken at q = 1e30 (its limit, for the usual
    activations).
    """
    act = _activation(activation)
    w, b = _check_sigmas(sigma_w, sigma_b)
    shape = np.broadcast(np.asarray(sigma_w), np.asarray(sigma_b)).shape
    if q is None:
        q = np.atleast_1d(fixed_point(act, w, b))
    qs = np.minimum(np.broadcast_to(np.asarray(q, dtype=np.float64), w.shape), Q_MAX)
    dphi = _dphi(act)
    out = (w ** 2 * expectation(lambda u: dphi(u) ** 2, qs, act.kinks)).reshape(shape)
    return float(out) if out.ndim == 0 else out


def propagate(activation: ActivationLike, depth: int, sigma_w: float | None = None,
              sigma_b: float = 0.0, q0: float = 1.0) -> np.ndarray:
    """Predicted second moments q_1 .. q_depth of the pre-activations of each layer.

    ``q_1 = sigma_w^2 q0 + sigma_b^2`` (the first layer sees the inputs, of second
    moment ``q0``), then ``q_{l+1} = V(q_l)``.  ``sigma_w`` defaults to the gain
    (``init="auto"``).

    Examples
    --------
    >>> propagate("relu", 3).round(12).tolist()
    [2.0, 2.0, 2.0]
    """
    act = _activation(activation)
    depth = check_integer(depth, "depth", low=1)
    sigma_w = gain(act) if sigma_w is None else check_real(sigma_w, "sigma_w", 0)
    sigma_b = check_real(sigma_b, "sigma_b", 0)
    q0 = check_real(q0, "q0", 0)
    q = np.empty(int(depth))
    q[0] = sigma_w ** 2 * q0 + sigma_b ** 2
    for layer in range(1, int(depth)):
        q[layer] = variance_map(act, q[layer - 1], sigma_w, sigma_b) \
            if math.isfinite(q[layer - 1]) else math.inf
    return q


def sample_propagation(activation: ActivationLike, depth: int, width: int,
                       networks: int = 256, sigma_w: float | None = None,
                       sigma_b: float = 0.0, q0: float = 1.0, samples: int = 8,
                       seed: int = 0) -> np.ndarray:
    """mean(z^2) per layer for each of many random networks, sampled exactly in
    distribution without drawing their weight matrices (float64).

    For a batch A of ``samples`` inputs (or activations) and ``W ~ N(0, sigma_w^2 / n)``,
    ``b ~ N(0, sigma_b^2)``, the columns of ``Z = A W + b`` are independent
    ``N(0, sigma_w^2 A A^T / n + sigma_b^2 1 1^T)``: one ``samples x samples`` covariance
    per layer replaces the ``n x n`` weights, so hundreds of width-1024 networks cost
    what a few real ones do.  Use it to average over the network ensemble, which the
    mean-field recursion (:func:`propagate`) predicts: single finite-width networks
    scatter around it (for ReLU the relative variance of q_l is about
    ``exp(5 l / width) - 1``, Hanin & Rolnick 2018).

    Returns
    -------
    ndarray of shape (networks, depth)
    """
    act = _activation(activation)
    depth, width = check_integer(depth, "depth", low=1), check_integer(width, "width", low=1)
    networks = check_integer(networks, "networks", low=1)
    samples = check_integer(samples, "samples", low=1)
    sigma_w = gain(act) if sigma_w is None else check_real(sigma_w, "sigma_w", 0)
    sigma_b = check_real(sigma_b, "sigma_b", 0)
    q0 = check_real(q0, "q0", 0)
    rng = np.random.default_rng(check_seed(seed))
    n, k, s = int(width), int(networks), int(samples)
    a = rng.normal(0.0, math.sqrt(q0), (k, s, n))
    q = np.empty((k, int(depth)))
    phi = _phi(act)
    with np.errstate(over="ignore", invalid="ignore"):
        for layer in range(int(depth)):
            cov = sigma_w ** 2 / n * (a @ a.transpose(0, 2, 1)) + sigma_b ** 2
            values, vectors = np.linalg.eigh(cov)
            root = vectors * np.sqrt(np.clip(values, 0, None))[:, None, :]
            z = root @ rng.standard_normal((k, s, n))
            q[:, layer] = np.mean(z * z, axis=(1, 2))
            a = phi(z.reshape(-1)).reshape(z.shape)
    return q


def phase_diagram(activation: ActivationLike, sigma_w: Sequence[float],
                  sigma_b: Sequence[float]) -> list[dict[str, float]]:
    """The (sigma_w, sigma_b) plane: q* and chi at every grid point, one row each.

    Rows ``{"sigma_w", "sigma_b", "q_star", "chi", "phase"}`` with phase "ordered"
    (chi < 1), "chaotic" (chi > 1) or "critical" (``|chi - 1| < 1e-9``).
    """
    w, b = np.meshgrid(check_real_array(sigma_w, "sigma_w", low=0),
                       check_real_array(sigma_b, "sigma_b", low=0), indexing="ij")
    act = _activation(activation)
    q_star = np.atleast_1d(fixed_point(act, w.ravel(), b.ravel()))
    c = np.atleast_1d(chi(act, w.ravel(), b.ravel(), q_star))
    rows = []
    for sw, sb, q, x in zip(w.ravel(), b.ravel(), q_star, c, strict=True):
        phase = "critical" if abs(x - 1) < 1e-9 else "ordered" if x < 1 else "chaotic"
        rows.append({"sigma_w": float(sw), "sigma_b": float(sb), "q_star": float(q),
                     "chi": float(x), "phase": phase})
    return rows


def edge_of_chaos(activation: ActivationLike, sigma_b: Sequence[float] | float,
                  sigma_w_range: tuple[float, float] = (0.05, 10.0),
                  tol: float = 1e-7) -> np.ndarray:
    """For each sigma_b, the sigma_w where chi = 1 (NaN if chi - 1 keeps one sign on
    ``sigma_w_range``), by bisection: chi grows with sigma_w for the usual activations.

    Examples
    --------
    >>> round(float(edge_of_chaos("tanh", 0.0)[0]), 6)  # Poole et al.: sigma_w = 1
    1.0
    """
    act = _activation(activation)
    bs = np.atleast_1d(check_real_array(sigma_b, "sigma_b", low=0))
    if isinstance(sigma_w_range, str) or not isinstance(sigma_w_range, Sequence):
        raise TypeError(f"sigma_w_range must be a pair (low, high), got "
                        f"{type(sigma_w_range).__name__} {sigma_w_range!r}")
    if len(sigma_w_range) != 2:
        raise ValueError(f"sigma_w_range must be a pair (low, high), got {sigma_w_range!r}")
    low = check_real(sigma_w_range[0], "sigma_w_range[0]", 0)
    high = check_real(sigma_w_range[1], "sigma_w_range[1]", low, low_open=True)
    tol = check_real(tol, "tol", 0, low_open=True)
    lo, hi = np.full(bs.shape, low), np.full(bs.shape, high)
    c_lo = np.atleast_1d(chi(act, lo, bs)) - 1
    c_hi = np.atleast_1d(chi(act, hi, bs)) - 1
    out = np.full(bs.shape, math.nan)
    rows = np.flatnonzero((c_lo <= 0) & (c_hi >= 0))
    while rows.size:
        mid = (lo[rows] + hi[rows]) / 2
        c = np.atleast_1d(chi(act, mid, bs[rows])) - 1
        below = c < 0
        lo[rows[below]] = mid[below]
        hi[rows[~below]] = mid[~below]
        done = hi[rows] - lo[rows] <= tol
        out[rows[done]] = (lo[rows[done]] + hi[rows[done]]) / 2
        rows = rows[~done]
    return out
