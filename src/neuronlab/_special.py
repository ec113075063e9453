"""The error function and the normal CDF, vectorised, for NumPy arrays: the one place.

GELU's forward pass (``z Phi(z)``), the formula activations' ``erf``, ``erfc`` and
``Phi``, and the mean-field maths of maxout all evaluate these.  NumPy has no ``erf``,
and the engine keeps SciPy out of ``import neuronlab`` (only the studies' statistics
import it, when they run).

Examples
--------
>>> import numpy as np
>>> [round(float(v), 6) for v in erf(np.array([0.0, 0.5, -2.0]))]
[0.0, 0.5205, -0.995322]
>>> round(float(normal_cdf(np.array(1.0))), 6)
0.841345
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["erf", "erfc", "normal_cdf"]

# Cody's rational Chebyshev approximations for erf and erfc (W. J. Cody, "Rational
# Chebyshev approximations for the error function", Math. Comp. 23 (1969) 631-637;
# coefficients as in his SPECFUN routine CALERF).  Relative error near 1e-16.
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERF_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
          2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
          2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERF_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
          1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
          3.43936767414372164e03, 1.23033935480374942e03)
_ERF_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
          1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERF_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
          6.05183413124413191e-2, 2.33520497626869185e-3)
_SQRT_1_PI = 0.56418958354775628695  # 1 / sqrt(pi)


def _horner(t: np.ndarray, coefficients: tuple[float, ...], monic: bool = False) -> np.ndarray:
    """The polynomial with these coefficients (highest degree first) at t, as a fresh
    array; ``monic`` prepends a leading coefficient 1."""
    if monic:
        out = t + coefficients[0]
        rest = coefficients[1:]
    else:
        out = t * coefficients[0]
        out += coefficients[1]
        rest = coefficients[2:]
    for c in rest:
        out *= t
        out += c
    return out


def _exp_minus_square(y: np.ndarray) -> np.ndarray:
    """exp(-y^2) for 0 <= y <= 40, to a few ulp: with h = y rounded to a multiple of
    1/16, h^2 is exact and exp(-y^2) = exp(-h^2) exp(-(y - h)(y + h))."""
    h = y * 16
    np.rint(h, out=h)
    h *= 1 / 16
    d = y - h
    d *= y + h
    np.negative(d, out=d)
    np.exp(d, out=d)
    h *= h
    np.negative(h, out=h)
    np.exp(h, out=h)
    h *= d
    return h


def _erfc_small(x: np.ndarray) -> np.ndarray:
    """erfc(x) = 1 - erf(x) for |x| <= 0.46875."""
    out = _erf_small(x)
    np.subtract(1, out, out=out)
    return out


def _erfcx_middle(y: np.ndarray) -> np.ndarray:
    """erfc(y) e^{y^2} = C(y) / D(y), made for 0.46875 <= y <= 4 (and, to 1e-9
    relative, good on 0 <= y <= 10: enough for float32; on (10, 11], where float32's
    erfc is a subnormal or 0, its error does not show)."""
    num = _horner(y, (_ERF_C[8], *_ERF_C[:8]))
    num /= _horner(y, _ERF_D, monic=True)
    return num


def _erfcx_large(y: np.ndarray) -> np.ndarray:
    """erfc(y) e^{y^2} = (1/sqrt(pi) - R(1/y^2) / y^2) / y for y > 4."""
    s = y * y
    np.divide(1, s, out=s)
    num = _horner(s, (_ERF_P[5], *_ERF_P[:5]))
    num *= s
    num /= _horner(s, _ERF_Q, monic=True)
    np.subtract(_SQRT_1_PI, num, out=num)
    num /= y
    return num


def _with_sign(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """erfc(x) from t = erfc(|x|): 2 - t where x < 0 (t exact where x >= 0)."""
    flip = t * -2
    flip += 2
    flip *= x < 0
    t += flip
    return t


def erfc(x: np.ndarray) -> np.ndarray:
    """The complementary error function, elementwise, in the dtype of ``x``.

    W. J. Cody's rational Chebyshev approximations (Math. Comp. 23 (1969) 631-637,
    coefficients of his SPECFUN routine CALERF): ``erf`` by a rational function of
    ``x^2`` for ``|x| <= 0.46875``; ``erfc(|x|) = exp(-x^2) R(|x|)`` beyond, with one
    rational R for ``|x| <= 4`` and another in ``1/x^2`` above; ``erfc(-y) = 2 - erfc(y)``.
    About 1e-15 relative in float64 (the tests compare with ``math.erfc``).  float32
    uses the middle rational alone on ``|x| <= 11`` (erfc(x) underflows float32 beyond
    10.1: ``exp(-121)`` is 0, so erfc(x) is exactly 0 from there, and ``gelu(-1e30)`` is
    -0 rather than -1e30 times the smallest subnormal), good to 1e-9 on ``|x| <= 10``,
    so needs one pass over the data instead of three regions; its relative error is
    below ``4e-7 (1 + x^2)`` (float32 rounding of ``exp(-x^2)``).
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    y = np.abs(x)
    if x.dtype == np.float32:
        np.clip(y, 0, 11, out=y)  # NaN stays NaN; exp(-11^2) underflows float32 to 0
        t = _erfcx_middle(y)
        y *= y
        np.negative(y, out=y)
        np.exp(y, out=y)
        t *= y
        return _with_sign(x, t)
    flat_x, flat_y = x.reshape(-1), y.reshape(-1)
    out = np.empty_like(flat_x)
    small = np.flatnonzero(flat_y <= 0.46875)
    middle = np.flatnonzero((flat_y > 0.46875) & (flat_y <= 4.0))
    large = np.flatnonzero(~(flat_y <= 4.0))  # NaN lands here and stays NaN
    if small.size:
        out[small] = _erfc_small(flat_x[small])
    for index, erfcx in ((middle, _erfcx_middle), (large, _erfcx_large)):
        if index.size:
            yi = np.clip(flat_y[index], 0, 40.0)  # erfc(40) underflows to 0
            t = erfcx(yi)
            t *= _exp_minus_square(yi)
            out[index] = _with_sign(flat_x[index], t)
    return out.reshape(x.shape)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise, in the dtype of ``x`` (non-float: float64).

    ``erf(x) = x A(x^2) / B(x^2)`` for ``|x| <= 0.46875`` (Cody's first rational, so
    no cancellation near 0: ``erf(1e-300)`` is ``1.128e-300``), and ``1 - erfc(x)``
    beyond, where ``|erf(x)| > 0.49`` and nothing cancels.  About 1e-15 relative in
    float64 (the tests compare with ``math.erf``).
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    out = erfc(x)
    np.subtract(1, out, out=out)
    small = np.abs(x) <= 0.46875  # NaN is not small and stays NaN
    if small.any():
        out[small] = _erf_small(x[small])
    return out


def _erf_small(x: np.ndarray) -> np.ndarray:
    """erf(x) = x A(x^2) / B(x^2) for |x| <= 0.46875."""
    s = x * x
    num = _horner(s, (_ERF_A[4], *_ERF_A[:4]))
    num *= x
    num /= _horner(s, _ERF_B, monic=True)
    return num


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """The standard normal CDF, ``Phi(z) = erfc(-z / sqrt 2) / 2``, accurate in both
    tails (``1 + erf`` would cancel for z < 0), in the dtype of ``z``."""
    out = erfc(np.asarray(z) * -math.sqrt(0.5))
    out *= 0.5
    return out
