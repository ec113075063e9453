"""Checks of plain settings shared by the library: integers, seeds and finite numbers.

A ``bool`` is an ``int`` to Python but never a count or a size here: ``epochs=True``
is a mistake, not one epoch.  Wrong types raise ``TypeError``, wrong values
``ValueError``, and the message names the setting, what it got and what is allowed.

Examples
--------
>>> check_integer(3, "epochs", low=1)
3
>>> check_integer(True, "epochs", low=1)
Traceback (most recent call last):
...
TypeError: epochs must be an integer, got bool True
>>> check_seed(-1)
Traceback (most recent call last):
...
ValueError: seed must be an integer in [0, 4294967295], got -1
"""

from __future__ import annotations

import math
import numbers

SEED_MAX = 2**32 - 1
"""The largest seed: scikit-learn's ``random_state`` range, to which ``data.load``
passes the seed for its split (NumPy alone would take any non-negative integer)."""


def check_integer(value: object, name: str, low: int | None = None,
                  high: int | None = None) -> int:
    """``value`` as a Python int within ``[low, high]`` (either bound optional).

    NumPy integers are accepted; ``bool`` and floats (even ``2.0``) are not.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        if high is None:
            allowed = f">= {low}"
        elif low is None:
            allowed = f"<= {high}"
        else:
            allowed = f"in [{low}, {high}]"
        raise ValueError(f"{name} must be an integer {allowed}, got {value!r}")
    return int(value)


def check_seed(seed: object, name: str = "seed") -> int | None:
    """``None`` (fresh randomness) or an integer seed in ``[0, SEED_MAX]``."""
    if seed is None:
        return None
    return check_integer(seed, name, 0, SEED_MAX)


def check_finite(value: object, name: str) -> float:
    """``value`` as a finite Python float: a real number (NumPy's included; not a bool),
    neither NaN nor ±inf.

    Examples
    --------
    >>> check_finite(0.01, "bias_init")
    0.01
    >>> check_finite(float("nan"), "bias_init")
    Traceback (most recent call last):
    ...
    ValueError: bias_init must be a finite number, got nan
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number
