"""Checks of user-facing arguments, shared by the whole library: the one place for them.

One rule everywhere: a wrong *type* raises ``TypeError``, a wrong *value* of the right
type raises ``ValueError``, and the message names the argument (``name``, written as
the caller wants it shown, usually ``"<owner> <parameter>"`` such as ``"SGD momentum"``),
what it received and what is allowed.

A ``bool`` is an ``int`` to Python but never a number here: ``epochs=True`` or
``lr=True`` is a mistake, not ``1``.  NumPy scalars count as the Python numbers they
stand for (``np.int64(3)`` is an integer, ``np.float32(0.1)`` a real number); a float
is never an integer, not even ``2.0``.

Each check returns the value in its plain Python form (``int``, ``float``, ``bool``,
``str``, a tuple), so a caller can store what it returns.  A module with a check of its
own domain (loss probabilities, the header of a saved file, a formula's parameter
names) builds it on these.

Examples
--------
>>> check_integer(3, "epochs", low=1)
3
>>> check_integer(True, "epochs", low=1)
Traceback (most recent call last):
...
TypeError: epochs must be an integer, got bool True
>>> check_real(1.5, "SGD momentum", 0, 1, high_open=True)
Traceback (most recent call last):
...
ValueError: SGD momentum must be a finite number in [0, 1), got 1.5
>>> check_seed(-1)
Traceback (most recent call last):
...
ValueError: seed must be an integer in [0, 4294967295], got -1
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping

import numpy as np

from neuronlab._suggest import did_you_mean

__all__ = ["SEED_MAX", "check_bool", "check_choice", "check_integer", "check_real",
           "check_real_array", "check_rng", "check_seed", "check_shape", "first_non_finite"]

SEED_MAX = 2**32 - 1
"""The largest seed: scikit-learn's ``random_state`` range, to which ``data.load``
passes the seed for its split (NumPy alone would take any non-negative integer)."""


def _got(value: object) -> str:
    """What was received, with its type: ``float 2.5``, ``bool True``."""
    return f"{type(value).__name__} {value!r}"


def _interval(low: float | None, high: float | None, low_open: bool = False,
              high_open: bool = False) -> str:
    """The allowed range in words: ``""``, ``" >= 0"``, ``" > 0"``, ``" in [0, 1)"``."""
    def show(bound: float) -> str:  # integers in full (a seed's 4294967295), floats short
        return str(bound) if isinstance(bound, numbers.Integral) else f"{bound:g}"

    if low is None and high is None:
        return ""
    if high is None:
        return f" {'>' if low_open else '>='} {show(low)}"
    if low is None:
        return f" {'<' if high_open else '<='} {show(high)}"
    return (f" in {'(' if low_open else '['}{show(low)}, {show(high)}"
            f"{')' if high_open else ']'}")


def check_integer(value: object, name: str, low: int | None = None,
                  high: int | None = None) -> int:
    """``value`` as a Python int within ``[low, high]`` (either bound optional).

    Parameters
    ----------
    value : the argument to check; Python and NumPy integers are accepted, ``bool`` and
        floats (even ``2.0``) are not.
    name : how the argument is named in the message, e.g. ``"Dense fan_in"``.
    low, high : inclusive bounds; ``None`` for none.

    Raises
    ------
    TypeError : ``value`` is not an integer.
    ValueError : it lies outside ``[low, high]``.

    Examples
    --------
    >>> check_integer(np.int64(4), "batch_size", low=1)
    4
    >>> check_integer(2.0, "depth", low=1)
    Traceback (most recent call last):
    ...
    TypeError: depth must be an integer, got float 2.0
    >>> check_integer(0, "depth", low=1)
    Traceback (most recent call last):
    ...
    ValueError: depth must be an integer >= 1, got 0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_got(value)}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be an integer{_interval(low, high)}, got {value!r}")
    return int(value)


def check_seed(seed: object, name: str = "seed") -> int | None:
    """``None`` (fresh randomness) or an integer seed in ``[0, SEED_MAX]``.

    Examples
    --------
    >>> check_seed(None) is None, check_seed(7)
    (True, 7)
    """
    if seed is None:
        return None
    return check_integer(seed, name, 0, SEED_MAX)


def check_rng(seed: object, name: str = "seed") -> np.random.Generator:
    """A random Generator from ``seed``: a ``numpy.random.Generator`` (used as it is),
    an integer seed in ``[0, SEED_MAX]`` or ``None`` (fresh randomness).

    Examples
    --------
    >>> float(check_rng(0).random()) == float(np.random.default_rng(0).random())
    True
    >>> check_rng(1.5, "Dropout seed")
    Traceback (most recent call last):
    ...
    TypeError: Dropout seed must be an integer, got float 1.5
    """
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(check_seed(seed, name))


def check_real(value: object, name: str, low: float | None = None, high: float | None = None,
               *, low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite Python float within a range (either bound optional).

    Parameters
    ----------
    value : the argument to check; a real number (Python's or NumPy's, integers
        included, ``bool`` not), neither NaN nor ±inf.
    name : how the argument is named in the message, e.g. ``"Adam eps"``.
    low, high : the bounds; ``None`` for none.
    low_open, high_open : exclude the bound itself (``low_open=True``: ``value > low``).

    Raises
    ------
    TypeError : ``value`` is not a real number.
    ValueError : it is NaN, infinite or outside the range.

    Examples
    --------
    >>> check_real(1, "lr", 0, low_open=True)
    1.0
    >>> check_real(0.0, "lr", 0, low_open=True)
    Traceback (most recent call last):
    ...
    ValueError: lr must be a finite number > 0, got 0.0
    >>> check_real(float("nan"), "bias_init")
    Traceback (most recent call last):
    ...
    ValueError: bias_init must be a finite number, got nan
    >>> check_real("0.1", "lr")
    Traceback (most recent call last):
    ...
    TypeError: lr must be a real number, got str '0.1'
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_got(value)}")
    number = float(value)
    inside = (math.isfinite(number)
              and (low is None or (number > low if low_open else number >= low))
              and (high is None or (number < high if high_open else number <= high)))
    if not inside:
        raise ValueError(f"{name} must be a finite number"
                         f"{_interval(low, high, low_open, high_open)}, got {value!r}")
    return number


def check_bool(value: object, name: str) -> bool:
    """``value`` as a Python bool; only ``True`` and ``False`` (NumPy's too) are accepted,
    not ``0``, ``1`` or ``"yes"``.

    Examples
    --------
    >>> check_bool(np.True_, "SGD nesterov")
    True
    >>> check_bool(1, "SGD nesterov")
    Traceback (most recent call last):
    ...
    TypeError: SGD nesterov must be True or False, got int 1
    """
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {_got(value)}")
    return bool(value)


def check_choice(value: object, name: str, allowed: Iterable[str],
                 canonical: Mapping[str, str] | None = None) -> str:
    """``value``, one of the names ``allowed``, or an error with the closest one.

    Parameters
    ----------
    value : the argument to check, a string.
    name : how the argument is named in the message, e.g. ``"GELU approximate"``.
    allowed : the valid names.
    canonical : aliases among ``allowed`` mapped to the name to suggest instead
        (see :func:`neuronlab._suggest.did_you_mean`).

    Raises
    ------
    TypeError : ``value`` is not a string.
    ValueError : it is not one of ``allowed``; the message suggests the closest.

    Examples
    --------
    >>> check_choice("tanh", "GELU approximate", ("none", "tanh"))
    'tanh'
    >>> check_choice("tahn", "GELU approximate", ("none", "tanh"))
    Traceback (most recent call last):
    ...
    ValueError: GELU approximate must be one of 'none', 'tanh'; got 'tahn'. Did you mean 'tanh'?
    """
    allowed = tuple(allowed)
    listed = ", ".join(repr(a) for a in allowed)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {listed} (a string), got {_got(value)}")
    if value not in allowed:
        hint = did_you_mean(value, allowed, canonical)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}.{hint}")
    return value


def check_shape(value: object, name: str = "shape") -> tuple[int, ...]:
    """``value`` as a tuple of non-negative sizes: a tuple or list of integers.

    Examples
    --------
    >>> check_shape([3, np.int64(2)])
    (3, 2)
    >>> check_shape((3, 2.0))
    Traceback (most recent call last):
    ...
    TypeError: shape must be a tuple of integers such as (3, 2), got (3, 2.0)
    >>> check_shape((3, -2))
    Traceback (most recent call last):
    ...
    ValueError: shape must have non-negative sizes, got (3, -2)
    """
    if not isinstance(value, tuple | list) or not all(
            isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in value):
        raise TypeError(f"{name} must be a tuple of integers such as (3, 2), got {value!r}")
    if any(d < 0 for d in value):
        raise ValueError(f"{name} must have non-negative sizes, got {tuple(value)!r}")
    return tuple(int(d) for d in value)


def first_non_finite(array: np.ndarray, block: int = 4096) -> tuple[int, ...] | None:
    """The index of the first NaN or ±inf of a floating-point ``array`` (row-major
    order), or None when every entry is finite.

    The array is scanned in blocks of ``block`` rows, so no boolean copy as large as the
    array is ever made (a 1 GB ``X`` does not need another 250 MB to be checked).

    Examples
    --------
    >>> first_non_finite(np.array([[0.0, 1.0], [2.0, np.inf]]))
    (1, 1)
    >>> first_non_finite(np.zeros(3)) is None
    True
    """
    if array.ndim == 0:
        return None if np.isfinite(array) else ()
    for start in range(0, len(array), block):
        rows = array[start:start + block]
        if not np.isfinite(rows).all():
            index = tuple(int(i) for i in np.argwhere(~np.isfinite(rows))[0])
            return (start + index[0], *index[1:])
    return None


def check_real_array(value: object, name: str, low: float | None = None) -> np.ndarray:
    """``value`` (a number or an array of them) as a float64 array of finite numbers
    ``>= low`` (if given).

    Raises
    ------
    TypeError : ``value`` is not numeric (strings, objects, booleans, complex numbers).
    ValueError : an entry is NaN, infinite or below ``low``; the message gives the first.

    Examples
    --------
    >>> check_real_array([1, 2.5], "sigma_w", low=0)
    array([1. , 2.5])
    >>> check_real_array([1.0, -2.0], "sigma_w", low=0)
    Traceback (most recent call last):
    ...
    ValueError: sigma_w must hold finite numbers >= 0, got -2.0 at index (1,)
    >>> check_real_array(True, "sigma_w")
    Traceback (most recent call last):
    ...
    TypeError: sigma_w must be a real number or an array of them, got bool True
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):  # ragged nested lists
        array = np.asarray(None)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a real number or an array of them, got "
                        f"{_got(value)}")
    array = array.astype(np.float64)
    bad = first_non_finite(array)
    if bad is None and low is not None and (array < low).any():
        bad = tuple(int(i) for i in np.argwhere(array < low)[0])
    if bad is not None:
        where = f" at index {bad}" if bad else ""
        raise ValueError(f"{name} must hold finite numbers{_interval(low, None)}, got "
                         f"{float(array[bad])!r}{where}")
    return array
