"""A trainable array with its gradient."""

from __future__ import annotations

import numpy as np


class Parameter:
    """A learnable array ``value`` and the gradient ``grad`` of the loss with respect to it.

    ``grad`` has the shape and dtype of ``value`` and is overwritten (not summed) by
    each backward pass; optimizers update ``value`` in place.

    Examples
    --------
    >>> p = Parameter(np.zeros((2, 3)), "W")
    >>> p.grad.shape
    (2, 3)
    """

    __slots__ = ("value", "grad", "name")

    def __init__(self, value: np.ndarray, name: str = "") -> None:
        self.value = value
        self.grad = np.zeros_like(value)
        self.name = name

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, shape={self.value.shape}, dtype={self.value.dtype})"
