"""A trainable array with its gradient."""

from __future__ import annotations

import numpy as np


class Parameter:
    """A learnable array ``value`` and the gradient ``grad`` of the loss with respect to it.

    ``grad`` has the shape and dtype of ``value`` and is overwritten (not summed) by
    each backward pass; optimizers update ``value`` in place.

    ``decay`` declares whether the L2 penalty of training (``fit(l2=...)``,
    scikit-learn's ``alpha``) applies to the parameter.  The layers set it for their
    weight matrices only, as scikit-learn (``coefs_`` but not ``intercepts_``) and
    Keras (a ``kernel_regularizer``, no ``bias_regularizer`` by default) do: a bias
    does not multiply an input, so shrinking it does not smooth the function (Goodfellow
    et al., *Deep Learning*, 7.1), and PReLU's slopes are trained without weight decay
    (He et al. 2015), which would pull them towards ReLU.  (An optimizer's own
    ``weight_decay`` is PyTorch's: it applies to every parameter it is given.)

    Examples
    --------
    >>> p = Parameter(np.zeros((2, 3)), "W", decay=True)
    >>> p.grad.shape, p.decay
    ((2, 3), True)
    """

    __slots__ = ("value", "grad", "name", "decay")

    def __init__(self, value: np.ndarray, name: str = "", *, decay: bool = False) -> None:
        self.value = value
        self.grad = np.zeros_like(value)
        self.name = name
        self.decay = decay

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, shape={self.value.shape}, dtype={self.value.dtype})"
