"""Loss functions: ``value(y_pred, y_true)`` and ``gradient(y_pred, y_true)``, in a registry.

Shapes and the averaging convention
-----------------------------------
Rows are samples: ``y_pred`` and ``y_true`` both have shape ``(n_samples, n_outputs)``
(the trainer turns integer class labels into one-hot rows).  The cost of a batch is
the **mean over samples** of the per-sample losses,

    J = (1/n) sum_i J_i,

and ``gradient`` returns ``dJ/dy_pred`` (same shape and dtype as ``y_pred``), so the
``1/n`` is already in it.  Within a sample:

- the *entry-wise* losses, the regression losses (``mse``, ``mae``, ``huber``) and the
  binary cross-entropies, treat every output as its own prediction and by default
  *average* over the ``m`` outputs, ``J_i = (1/m) sum_k ...``, so J is the mean over
  all ``n m`` entries (PyTorch's and Keras's ``reduction="mean"``).  Each takes
  ``outputs="sum"`` to *sum* over the outputs instead: ``mse(half=True,
  outputs="sum")`` is the lecture's ``J_i = 1/2 e^T e``, and
  ``binary_cross_entropy(outputs="sum")`` scikit-learn's multi-label log-loss;
- the categorical cross-entropies *sum* over the classes, ``J_i = -sum_k y_k log p_k``,
  because the classes form one distribution.

Sample weights
--------------
``value_and_gradient(..., sample_weight=w)`` weights the samples (w_i >= 0, not all
0): the cost is their weighted mean, as scikit-learn's MLP computes it,

    J = sum_i w_i J_i / sum_i w_i,    dJ/dy_pred_i = w_i dJ_i/dy_pred_i / sum_i w_i,

so an integer weight k counts a sample as k copies of it and a weight of 0 removes
it from the batch.  ``per_sample`` gives the J_i (their plain mean is ``value``).

Output activation and loss: the pairing written down
----------------------------------------------------
With a softmax output and categorical cross-entropy, or a sigmoid output and binary
cross-entropy, the error at the pre-activation is simply ``delta = (y_hat - y) / n``.
:func:`fused` returns the loss that computes exactly that from the logits
(``softmax_cross_entropy``, ``binary_cross_entropy_with_logits``; ``from_logits`` is
True for them), which is both cheaper and stable: the layer then keeps the identity
as its output activation and the loss does the squashing.

The pairing is the table :data:`FUSED`, keyed by classes (not names), and it also
gives each output activation its natural loss (:func:`paired_loss`).

What the targets are
--------------------
Each loss declares the targets it takes, ``Loss.target_kind`` (one of
:data:`TARGET_KINDS`): ``"labels"`` for the categorical cross-entropies (class labels
0..K-1, which the trainer turns into one-hot rows, or such rows), ``"binary"`` for the
binary cross-entropies (0/1 labels, or probabilities), ``"values"`` for the regression
losses (any real targets).  The trainer reads it; it never guesses from a name.

Note the names: PyTorch's ``cross_entropy`` takes *logits* (it is our
``softmax_cross_entropy``); our ``cross_entropy`` takes probabilities, as in the
lecture.

Probabilities exactly 0 or 1
----------------------------
``binary_cross_entropy`` and ``cross_entropy`` (from probabilities) follow PyTorch's
``BCELoss``: each log is clamped from below at -100, so a confidently wrong prediction
costs at most 100 (nats) per entry instead of infinity, and the denominators of the
gradient are floored at 1e-12, i.e. ``(p - y) / max(p (1 - p), 1e-12)`` and
``-y / max(p, 1e-12)``.  Both stay finite in float32 and float64 with no
floating-point warnings.  Where the clamp is active the returned gradient is
not the derivative of the clamped value (which would be 0) but the capped
derivative of the unclamped one: it still pushes the prediction the right way.
Prefer the logit forms, which need no clamping at all.

All losses hold no state; float32 inputs give float32 gradients.

Examples
--------
>>> import numpy as np
>>> round(get("mse").value(np.array([[0.9]]), np.array([[1.0]])), 12)  # (0.9 - 1)^2
0.01
>>> ce = get("cross_entropy", base=2)  # in bits
>>> round(ce.value(np.array([[0.9, 0.1]]), np.array([[0.6, 0.4]])), 2)
1.42
>>> fused(activations.get("softmax"), get("cross_entropy"))
SoftmaxCrossEntropy(base='e')
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from neuronlab import activations, data
from neuronlab._registry import Registry
from neuronlab._validate import check_bool, check_choice, check_real

#: log(p) is clamped from below at this value (PyTorch's BCELoss convention).
LOG_CLAMP = -100.0
#: Floor of the denominators p (1 - p) and p in the probability-space gradients.
GRAD_EPS = 1e-12


class Loss:
    """Base class of the losses.

    Subclasses set ``formula`` (and ``gradient_formula``) and implement ``value`` and
    ``gradient``; ``name`` is set by the registry.  ``from_logits`` is True when
    ``y_pred`` are pre-activation logits rather than outputs; ``target_kind`` (one of
    :data:`TARGET_KINDS`) says what the targets are: class ``"labels"``, ``"binary"``
    0/1 labels, or real ``"values"``.
    """

    name: ClassVar[str]
    formula: ClassVar[str]
    gradient_formula: ClassVar[str]
    from_logits: ClassVar[bool] = False
    target_kind: ClassVar[str] = "values"

    def value(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        """The cost J of the batch, a Python float."""
        raise NotImplementedError

    def gradient(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """dJ/dy_pred, same shape and dtype as ``y_pred``."""
        raise NotImplementedError

    def per_sample(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """The cost J_i of each sample, float64 of shape (n_samples,); ``value`` is their
        mean."""
        raise NotImplementedError

    def value_and_gradient(self, y_pred: np.ndarray, y_true: np.ndarray, *,
                           out: np.ndarray | None = None,
                           sample_weight: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """``(value, gradient)`` in one call, the gradient written into ``out`` if given
        (an array of y_pred's shape).  With ``sample_weight`` (shape (n_samples,)) both
        are those of the weighted mean (module docstring).  The training step calls
        this; a loss that shares work between the two overrides it.

        Examples
        --------
        >>> y_pred, y_true = np.array([[1.0], [3.0]]), np.zeros((2, 1))
        >>> get("mse").value_and_gradient(y_pred, y_true, sample_weight=np.array([3.0, 1.0]))
        (3.0, array([[1.5],
               [1.5]]))
        """
        gradient = self.gradient(y_pred, y_true)
        if out is not None:
            np.copyto(out, gradient)
            gradient = out
        if sample_weight is not None:
            return self._weighted(y_pred, y_true, gradient, sample_weight)
        return self.value(y_pred, y_true), gradient

    def _weighted(self, y_pred: np.ndarray, y_true: np.ndarray, gradient: np.ndarray,
                  sample_weight: object, per_sample: np.ndarray | None = None
                  ) -> tuple[float, np.ndarray]:
        """The weighted mean's value (from ``per_sample`` if the caller has it), and its
        gradient from the unweighted one: each row dJ_i/n is scaled by n w_i / sum w
        (in place)."""
        w = data.check_sample_weight(sample_weight, len(gradient))
        total = float(w.sum())
        if per_sample is None:
            per_sample = self.per_sample(y_pred, y_true)
        value = float(np.dot(w, per_sample)) / total
        gradient *= (w * (len(w) / total)).astype(gradient.dtype)[:, None]
        return value, gradient

    def get_config(self) -> dict[str, Any]:
        """Hyper-parameters, such that ``type(self)(**get_config())`` rebuilds ``self``."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.get_config() == self.get_config()

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(self.get_config().items()))))


#: What a loss's targets are (``Loss.target_kind``): ``"labels"``, classes of which each
#: sample has one (integer labels or one-hot rows, or distributions over the classes);
#: ``"binary"``, independent 0/1 labels (or probabilities) per output; ``"values"``,
#: real numbers.  The first two are classification: the trainer reports an accuracy.
TARGET_KINDS = ("labels", "binary", "values")

#: How an entry-wise loss combines a sample's m outputs (its ``outputs`` option).
OUTPUTS = ("mean", "sum")

REGISTRY: Registry[Loss] = Registry("loss", Loss)


def get(spec: str | Loss, **params: Any) -> Loss:
    """A loss from its name (with hyper-parameters) or an instance."""
    return REGISTRY.get(spec, **params)


def names() -> list[str]:
    """Names of all registered losses."""
    return REGISTRY.names()


# ----------------------------------------------------------------------------- helpers


def _check(y_pred: np.ndarray, y_true: np.ndarray, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate shapes; return ``y_true`` in ``y_pred``'s dtype (no copy if it already is)."""
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true)
    if y_pred.ndim != 2 or y_pred.shape != y_true.shape:
        raise ValueError(
            f"{loss}: y_pred and y_true must both have shape (n_samples, n_outputs); "
            f"got y_pred {y_pred.shape} and y_true {y_true.shape}"
        )
    if y_pred.size == 0:
        raise ValueError(f"{loss}: empty batch, y_pred has shape {y_pred.shape}")
    if not np.issubdtype(y_pred.dtype, np.floating):
        raise TypeError(f"{loss}: y_pred must be a floating-point array, got dtype {y_pred.dtype}")
    return y_pred, y_true.astype(y_pred.dtype, copy=False)


def _check_probabilities(p: np.ndarray, loss: str) -> None:
    """Reject finite values outside [0, 1] (NaN passes through, to be seen in the loss)."""
    lo, hi = p.min(), p.max()
    if lo < 0 or hi > 1:
        on_logits = {"cross_entropy": "softmax_cross_entropy",
                     "binary_cross_entropy": "binary_cross_entropy_with_logits"}[loss]
        raise ValueError(
            f"{loss} expects probabilities in [0, 1] as y_pred, got values in [{lo}, {hi}]; "
            f"for logits use {on_logits!r}"
        )


def _check_distributions(p: np.ndarray) -> None:
    """Reject rows of ``p`` that do not sum to 1 (NaN passes through, to be seen in the
    loss).  The tolerance, ``max(1e-4, 16 m eps)`` for m classes, covers the rounding
    of a softmax in the dtype; a row further off is not a distribution, and the
    cross-entropy of it would be a number that measures nothing."""
    sums = p.sum(axis=1, dtype=np.float64)
    tolerance = max(1e-4, 16 * p.shape[1] * float(np.finfo(p.dtype).eps))
    off = np.flatnonzero(np.abs(sums - 1) > tolerance)
    if off.size:
        row = int(off[0])
        raise ValueError(
            f"cross_entropy expects each row of y_pred to be a probability distribution "
            f"summing to 1, but row {row} sums to {sums[row]:.6g} ({off.size} of {len(p)} "
            f"rows are off by more than {tolerance:.2g}); normalise it "
            f"(y_pred / y_pred.sum(axis=1, keepdims=True)), end the network with a "
            f"softmax, or for independent outputs use 'binary_cross_entropy'")


def _clamped_log(x: np.ndarray) -> np.ndarray:
    """max(log x, -100) for x in [0, 1], without evaluating log(0)."""
    tiny = np.finfo(x.dtype).smallest_subnormal
    out = np.log(np.maximum(x, tiny))
    return np.maximum(out, LOG_CLAMP, out=out)


def _log_base(base: str | float, loss: str) -> float:
    """ln(base) after validating ``base`` ("e" or a finite positive number other than 1:
    log(inf) would make every J 0, log(1) divide by 0)."""
    allowed = "'e' or a finite positive number other than 1 (e.g. 2)"
    if isinstance(base, str):
        if base != "e":
            raise ValueError(f"{loss} base must be {allowed}, got {base!r}")
        return 1.0
    if isinstance(base, bool) or not isinstance(base, int | float | np.integer | np.floating):
        raise TypeError(f"{loss} base must be {allowed}, got {type(base).__name__} {base!r}")
    number = check_real(base, f"{loss} base", 0, low_open=True)
    if number == 1:
        raise ValueError(f"{loss} base must be {allowed}, got {base!r}")
    return math.log(number)


def _base_config(base: str | float) -> str | float:
    return "e" if base == "e" else float(base)


# ----------------------------------------------------------------------------- entry-wise


class EntrywiseLoss(Loss):
    """Base of the losses with one cost ``c_ik`` per entry (sample i, output k).

    A sample's cost combines its m entries by their mean (default) or their sum,

        J_i = (1/m) sum_k c_ik   (outputs="mean"),    J_i = sum_k c_ik   (outputs="sum"),

    and J is the mean of the J_i over the n samples: ``dJ/dc_ik`` is ``1 / (n m)`` or
    ``1 / n``, the reciprocal of :meth:`_count`.

    Parameters
    ----------
    outputs : {"mean", "sum"}, default "mean"
        How a sample's outputs combine: ``"mean"`` is PyTorch's and Keras's
        ``reduction="mean"``; ``"sum"`` treats the outputs as parts of one prediction
        (the lecture's ``1/2 e^T e``, scikit-learn's multi-label log-loss).

    Examples
    --------
    >>> y_pred, y_true = np.array([[1.0, 3.0]]), np.zeros((1, 2))
    >>> get("mae").value(y_pred, y_true), get("mae", outputs="sum").value(y_pred, y_true)
    (2.0, 4.0)
    """

    def __init__(self, outputs: str = "mean") -> None:
        # 'mean' averages a sample's outputs (PyTorch); 'sum' adds them (the lecture's ½eᵀe)
        self.outputs = check_choice(outputs, f"{self.name} outputs", OUTPUTS)

    def _count(self, y: np.ndarray) -> int:
        """What the sum of the costs of a batch ``y`` (n, m) is divided by: n m or n."""
        return y.size if self.outputs == "mean" else len(y)

    def _combine(self, per_entry: np.ndarray) -> np.ndarray:
        """The J_i from the costs of the entries (n, m), float64 of shape (n,)."""
        if self.outputs == "mean":
            return per_entry.mean(axis=1, dtype=np.float64)
        return per_entry.sum(axis=1, dtype=np.float64)

    def get_config(self) -> dict[str, Any]:
        return {"outputs": self.outputs}


# ----------------------------------------------------------------------------- regression


@REGISTRY.register("mse", "mean_squared_error", "squared_error")
class MSE(EntrywiseLoss):
    """Squared error: the mean over samples of the mean (or sum) over outputs.

    J = c / (n m) * sum_ik (y_hat_ik - y_ik)^2, dJ/dy_hat = 2 c (y_hat - y) / (n m),
    with c = 1 (PyTorch ``MSELoss``, Keras) or c = 1/2 with ``half=True``; with
    ``outputs="sum"`` the m outputs are summed, not averaged (no 1/m):
    J = c / n * sum_i e_i^T e_i with e = y_hat - y.

    Parameters
    ----------
    half : bool, default False
        Multiply by 1/2 so the gradient is ``e / (n m)`` (``e / n`` with
        ``outputs="sum"``): scikit-learn's squared loss (``mean((y - y_hat)^2) / 2``).
    outputs : {"mean", "sum"}, default "mean"
        How a sample's outputs combine.  ``half=True, outputs="sum"`` is the lecture's
        cost ``J = 1/2 e^T e = (e_1^2 + e_2^2) / 2`` for two outputs, whose gradient is
        ``e`` itself (per sample; averaged over the n samples of a batch).

    Examples
    --------
    >>> lecture = MSE(half=True, outputs="sum")  # J = 1/2 e^T e
    >>> y_hat, y = np.array([[0.8, 0.3]]), np.array([[1.0, 0.0]])
    >>> round(lecture.value(y_hat, y), 12)  # (0.2^2 + 0.3^2) / 2
    0.065
    >>> lecture.gradient(y_hat, y).round(12)  # e = y_hat - y
    array([[-0.2,  0.3]])
    """

    formula = ("J = c/(n m) sum_ik (y_hat_ik - y_ik)^2, c = 1 (or 1/2 if half); "
               "outputs='sum': no 1/m")
    gradient_formula = "dJ/dy_hat = 2 c (y_hat - y) / (n m)   (outputs='sum': / n)"

    def __init__(self, half: bool = False, outputs: str = "mean") -> None:
        self.half = check_bool(half, "mse half")
        super().__init__(outputs)

    def _scale(self, e: np.ndarray) -> float:
        """c / (n m), or c / n when the outputs are summed."""
        return (0.5 if self.half else 1.0) / self._count(e)

    def value(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        y_pred, y_true = _check(y_pred, y_true, "mse")
        e = (y_pred - y_true).astype(np.float64, copy=False)
        return float(np.vdot(e, e)) * self._scale(e)

    def gradient(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        y_pred, y_true = _check(y_pred, y_true, "mse")
        e = y_pred - y_true
        e *= 2.0 * self._scale(e)
        return e

    def per_sample(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        y_pred, y_true = _check(y_pred, y_true, "mse")
        e = (y_pred - y_true).astype(np.float64, copy=False)
        return np.einsum("ik,ik->i", e, e) * (
            (0.5 if self.half else 1.0) / (e.shape[1] if self.outputs == "mean" else 1))

    def get_config(self) -> dict[str, Any]:
        return {"half": self.half, **super().get_config()}


@REGISTRY.register("mae", "mean_absolute_error", "l1")
class MAE(EntrywiseLoss):
    """Mean absolute error over samples and outputs (PyTorch ``L1Loss``).

    ``J = 1/(n m) sum_ik |y_hat_ik - y_ik|``, ``dJ/dy_hat = sign(y_hat - y) / (n m)``;
    at y_hat = y the gradient is 0 (``sign(0) = 0``, as in PyTorch).  With
    ``outputs="sum"`` (see :class:`EntrywiseLoss`) the 1/m is dropped.
    """

    formula = "J = 1/(n m) sum_ik |y_hat_ik - y_ik|"
    gradient_formula = "dJ/dy_hat = sign(y_hat - y) / (n m)"

    def value(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        y_pred, y_true = _check(y_pred, y_true, "mae")
        e = y_pred - y_true
        return float(np.abs(e, out=e).sum(dtype=np.float64)) / self._count(e)

    def gradient(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        y_pred, y_true = _check(y_pred, y_true, "mae")
        e = y_pred - y_true
        g = np.sign(e, out=e)
        g *= 1.0 / self._count(g)
        return g

    def per_sample(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        y_pred, y_true = _check(y_pred, y_true, "mae")
        return self._combine(np.abs(y_pred - y_true))


@REGISTRY.register("huber", "smooth_l1")
class Huber(EntrywiseLoss):
    """Huber loss over samples and outputs (PyTorch ``HuberLoss``, same default delta).

    Per entry with ``r = |y_hat - y|``: ``r^2 / 2`` if r < delta, else
    ``delta (r - delta / 2)``; J is their mean over the n m entries.
    dJ/dy_hat = clip(y_hat - y, -delta, delta) / (n m).

    Parameters
    ----------
    delta : float, default 1.0
        Where the quadratic turns linear (> 0).
    outputs : {"mean", "sum"}, default "mean"
        See :class:`EntrywiseLoss`.
    """

    formula = "J = 1/(n m) sum_ik [r^2/2 if r < delta else delta (r - delta/2)], r = |y_hat - y|"
    gradient_formula = "dJ/dy_hat = clip(y_hat - y, -delta, delta) / (n m)"

    def __init__(self, delta: float = 1.0, outputs: str = "mean") -> None:
        self.delta = check_real(delta, "huber delta", 0, low_open=True)
        super().__init__(outputs)

    def _entries(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """The per-entry cost, float64 of shape (n, m)."""
        y_pred, y_true = _check(y_pred, y_true, "huber")
        r = np.abs((y_pred - y_true).astype(np.float64, copy=False))
        d = self.delta
        return np.where(r < d, 0.5 * r * r, d * (r - 0.5 * d))

    def value(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        per_entry = self._entries(y_pred, y_true)
        return float(per_entry.sum()) / self._count(per_entry)

    def gradient(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        y_pred, y_true = _check(y_pred, y_true, "huber")
        e = y_pred - y_true
        np.clip(e, -self.delta, self.delta, out=e)
        e *= 1.0 / self._count(e)
        return e

    def per_sample(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        return self._combine(self._entries(y_pred, y_true))

    def get_config(self) -> dict[str, Any]:
        return {"delta": self.delta, **super().get_config()}


# ----------------------------------------------------------------------------- binary


@REGISTRY.register("binary_cross_entropy", "bce", "log_loss")
class BinaryCrossEntropy(EntrywiseLoss):
    """Binary cross-entropy from probabilities, mean over samples and outputs.

    J = -1/(n m) sum_ik [y log p + (1 - y) log(1 - p)],
    dJ/dp = (p - y) / (p (1 - p)) / (n m).

    Stable at p exactly 0 or 1 as PyTorch's ``BCELoss``: logs clamped at -100 and the
    gradient's denominator floored at 1e-12 (see the module docstring).  Targets may
    be soft (in [0, 1]).  With a sigmoid output prefer
    ``binary_cross_entropy_with_logits`` (see :func:`fused`).  With ``outputs="sum"``
    (see :class:`EntrywiseLoss`) the 1/m is dropped: scikit-learn's log-loss for
    multi-label targets.
    """

    formula = "J = -1/(n m) sum_ik [y log p + (1 - y) log(1 - p)]"
    gradient_formula = "dJ/dp = (p - y) / max(p (1 - p), 1e-12) / (n m)"
    target_kind = "binary"

    def _log_likelihood(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        """y log p + (1 - y) log(1 - p), entry by entry (no cancellation)."""
        p, y = _check(y_pred, y_true, "binary_cross_entropy")
        _check_probabilities(p, "binary_cross_entropy")
        log_p = _clamped_log(p)
        log_p *= y
        log_q = _clamped_log(1 - p)
        log_q *= 1 - y
        log_p += log_q
        return log_p

    def value(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        log_l = self._log_likelihood(y_pred, y_true)
        return -float(log_l.sum(dtype=np.float64)) / self._count(log_l)

    def gradient(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        p, y = _check(y_pred, y_true, "binary_cross_entropy")
        _check_probabilities(p, "binary_cross_entropy")
        denom = p * (1 - p)
        np.maximum(denom, GRAD_EPS, out=denom)
        g = p - y
        g /= denom
        g *= 1.0 / self._count(g)
        return g

    def per_sample(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        return -self._combine(self._log_likelihood(y_pred, y_true))


def _sigmoid_from(z: np.ndarray, e: np.ndarray) -> np.ndarray:
    """sigmoid(z) given e = exp(-|z|) (the stable split by sign, as in activations)."""
    s = 1 / (1 + e)
    return np.where(z >= 0, s, e * s)


@REGISTRY.register("binary_cross_entropy_with_logits", "bce_with_logits")
class BinaryCrossEntropyWithLogits(EntrywiseLoss):
    """Binary cross-entropy on logits z (sigmoid and BCE fused), mean over samples and outputs.

    ``J = 1/(n m) sum_ik [max(z, 0) - z y + log(1 + e^-|z|)]``, which equals the BCE of
    p = sigmoid(z) but never forms p, so it is finite for any finite z;
    dJ/dz = (sigmoid(z) - y) / (n m).  PyTorch: ``BCEWithLogitsLoss``.  With
    ``outputs="sum"`` (see :class:`EntrywiseLoss`) the 1/m is dropped.
    """

    formula = "J = 1/(n m) sum_ik [max(z, 0) - z y + log(1 + exp(-|z|))]"
    gradient_formula = "dJ/dz = (sigmoid(z) - y) / (n m)"
    from_logits = True
    target_kind = "binary"

    def value(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        z, y = _check(y_pred, y_true, "binary_cross_entropy_with_logits")
        per_entry = np.maximum(z, 0)
        per_entry -= z * y
        per_entry += np.log1p(np.exp(-np.abs(z)))
        return float(per_entry.sum(dtype=np.float64)) / self._count(z)

    def gradient(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        z, y = _check(y_pred, y_true, "binary_cross_entropy_with_logits")
        g = _sigmoid_from(z, np.exp(-np.abs(z)))
        g -= y
        g *= 1.0 / self._count(g)
        return g

    def per_sample(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        z, y = _check(y_pred, y_true, "binary_cross_entropy_with_logits")
        per_entry = np.maximum(z, 0)
        per_entry -= z * y
        per_entry += np.log1p(np.exp(-np.abs(z)))
        return self._combine(per_entry)


# ----------------------------------------------------------------------------- categorical


@REGISTRY.register("cross_entropy", "categorical_cross_entropy")
class CrossEntropy(Loss):
    """Categorical cross-entropy from probabilities (rows of ``y_pred`` are distributions).

    J = -1/(n ln b) sum_i sum_k y_ik ln p_ik, dJ/dp = -y / p / (n ln b).

    This is the lecture's H(y, p) = -sum_k y_k log_b p_k, averaged over samples.
    Each row of ``y_pred`` must be a distribution (sum to 1 within ``max(1e-4,
    16 m eps)``): a row that does not is refused with a ValueError rather than
    silently renormalised or scored.  Stable at p exactly 0 or 1: logs clamped at
    -100 and the gradient's denominator floored at 1e-12, as in PyTorch's ``BCELoss``.
    With a softmax output prefer ``softmax_cross_entropy`` (see :func:`fused`).  Not
    PyTorch's ``cross_entropy``, which takes logits.

    Parameters
    ----------
    base : "e" or float, default "e"
        Base of the logarithm: "e" for nats, 2 for bits (as in the lecture).

    Examples
    --------
    >>> import numpy as np
    >>> round(CrossEntropy(base=2).value(np.array([[0.9, 0.1]]), np.array([[0.6, 0.4]])), 4)
    1.42
    """

    formula = "J = -1/n sum_i sum_k y_ik log_b p_ik"
    gradient_formula = "dJ/dp = -y / (max(p, 1e-12) n ln b)"
    target_kind = "labels"

    def __init__(self, base: str | float = "e") -> None:
        self._ln_base = _log_base(base, self.name)
        self.base = _base_config(base)

    def value(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        p, y = _check(y_pred, y_true, "cross_entropy")
        _check_probabilities(p, "cross_entropy")
        _check_distributions(p)
        return -float(np.vdot(y, _clamped_log(p))) / (len(p) * self._ln_base)

    def gradient(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        p, y = _check(y_pred, y_true, "cross_entropy")
        _check_probabilities(p, "cross_entropy")
        _check_distributions(p)
        g = np.maximum(p, GRAD_EPS)
        np.divide(y, g, out=g)
        g *= -1.0 / (len(p) * self._ln_base)
        return g

    def per_sample(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        p, y = _check(y_pred, y_true, "cross_entropy")
        _check_probabilities(p, "cross_entropy")
        _check_distributions(p)
        return -np.einsum("ik,ik->i", y, _clamped_log(p), dtype=np.float64) / self._ln_base

    def get_config(self) -> dict[str, Any]:
        return {"base": self.base}


@REGISTRY.register("softmax_cross_entropy", "softmax_cross_entropy_with_logits")
class SoftmaxCrossEntropy(Loss):
    """Softmax and categorical cross-entropy fused, on logits z (PyTorch's ``cross_entropy``).

    With log softmax(z)_k = z_k - LSE(z), LSE(z) = max z + ln sum_j e^(z_j - max z):

    J = 1/(n ln b) sum_i [ (sum_k y_ik) LSE(z_i) - sum_k y_ik z_ik ],
    dJ/dz = (softmax(z) * sum_k y_k - y) / (n ln b),

    which is ``(softmax(z) - y) / n`` for one-hot or normalised targets in nats.  Only
    differences ``z - max z <= 0`` are exponentiated, so logits hundreds apart are fine.

    Parameters
    ----------
    base : "e" or float, default "e"
        Base of the logarithm: "e" for nats, 2 for bits.
    """

    formula = "J = -1/n sum_i sum_k y_ik log_b softmax(z_i)_k"
    gradient_formula = "dJ/dz = (softmax(z) sum_k y_k - y) / (n ln b)"
    from_logits = True
    target_kind = "labels"

    def __init__(self, base: str | float = "e") -> None:
        self._ln_base = _log_base(base, self.name)
        self.base = _base_config(base)

    def value(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        return self.value_and_gradient(y_pred, y_true)[0]

    def gradient(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        return self.value_and_gradient(y_pred, y_true)[1]

    def per_sample(self, y_pred: np.ndarray, y_true: np.ndarray) -> np.ndarray:
        z, y = _check(y_pred, y_true, "softmax_cross_entropy")
        shifted = (z - z.max(axis=1, keepdims=True)).astype(np.float64, copy=False)
        log_e_sum = np.log(np.exp(shifted).sum(axis=1))
        return (y.sum(axis=1) * log_e_sum - np.einsum("ik,ik->i", y, shifted)) / self._ln_base

    def value_and_gradient(self, y_pred: np.ndarray, y_true: np.ndarray, *,
                           out: np.ndarray | None = None,
                           sample_weight: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """Both from one exponentiation: ``e = exp(z - max z)``, ``LSE = max z + ln sum e``."""
        z, y = _check(y_pred, y_true, "softmax_cross_entropy")
        g = np.subtract(z, z.max(axis=1, keepdims=True), out=out)  # <= 0: exp can't overflow
        y_sum = y.sum(axis=1, keepdims=True)
        # J = sum_i [y_sum_i ln e_sum_i - sum_k y_ik shifted_ik]: two non-negative terms,
        # no cancellation; per sample (rows) only when weighted, else one dot product
        y_dot_shifted = (np.einsum("ik,ik->i", y, g) if sample_weight is not None
                         else np.vdot(y, g))
        np.exp(g, out=g)
        e_sum = g.sum(axis=1, keepdims=True)
        if sample_weight is not None:
            per_sample = (y_sum[:, 0] * np.log(e_sum[:, 0]) - y_dot_shifted) / self._ln_base
        else:
            j = (float(np.vdot(y_sum, np.log(e_sum))) - float(y_dot_shifted)) / (
                len(z) * self._ln_base)
        scale = 1.0 / (len(z) * self._ln_base)
        y_sum /= e_sum
        g *= y_sum
        g -= y
        g *= scale
        if sample_weight is not None:
            return self._weighted(y_pred, y_true, g, sample_weight,
                                  per_sample.astype(np.float64, copy=False))
        return j, g

    def get_config(self) -> dict[str, Any]:
        return {"base": self.base}


# ----------------------------------------------------------------------------- pairing

#: The written-down pairing behind ``delta = y_hat - y`` at the output layer:
#: (output activation class, loss class) -> the loss on the logits z that equals
#: ``loss(activation(z))``, built with the loss's own configuration (its ``base`` or
#: ``outputs``).  Keyed by classes, so a renamed alias or a loss that merely has a
#: similar name never fuses by accident.
FUSED: dict[tuple[type, type[Loss]], type[Loss]] = {
    (activations.Softmax, CrossEntropy): SoftmaxCrossEntropy,
    (activations.Sigmoid, BinaryCrossEntropy): BinaryCrossEntropyWithLogits,
}


def fused(activation: activations.Activation | str | None, loss: Loss | str) -> Loss | None:
    """The loss on logits equivalent to ``loss(activation(z))``, or None if there is none.

    The pairing :data:`FUSED`:

    =========== ============================== ==========================================
    activation  loss                           fused loss (on the logits z)
    =========== ============================== ==========================================
    softmax     cross_entropy(base)            softmax_cross_entropy(base)
    sigmoid     binary_cross_entropy(outputs)  binary_cross_entropy_with_logits(outputs)
    =========== ============================== ==========================================

    Any other combination (including ``activation=None``) returns None: then the
    output activation's backward pass and ``loss.gradient`` are chained as usual.

    Examples
    --------
    >>> fused("sigmoid", "binary_cross_entropy")
    BinaryCrossEntropyWithLogits(outputs='mean')
    >>> fused("relu", "mse") is None
    True
    """
    if activation is None:
        return None
    activation = activations.get(activation)
    loss = get(loss)
    on_logits = FUSED.get((type(activation), type(loss)))
    return None if on_logits is None else on_logits(**loss.get_config())


def paired_loss(activation: object) -> str:
    """The name of the loss that pairs with an output activation (an instance, a name,
    or None): the loss of
    :data:`FUSED` for it (softmax -> ``cross_entropy``, sigmoid ->
    ``binary_cross_entropy``), else ``mse`` (also without an output activation).

    Examples
    --------
    >>> paired_loss("softmax"), paired_loss("relu"), paired_loss(None)
    ('cross_entropy', 'mse', 'mse')
    """
    if activation is not None:
        kind = type(activations.get(activation))
        for act_class, loss_class in FUSED:
            if act_class is kind:
                return loss_class.name
    return "mse"
