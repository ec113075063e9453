"""Finite-difference checks of any layer, loss or network against its backward pass.

The numerical derivative is the central difference
``(J(θ + h) - J(θ - h)) / 2h`` in float64; it matches the analytic gradient to about
``h²`` (smooth functions), so agreement to ~1e-6 relative means backward is right.
Checks run in inference mode (``training=False``) so dropout and RReLU are
deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from neuronlab import losses
from neuronlab._validate import check_real, check_rng
from neuronlab.layers import Layer
from neuronlab.network import Sequential


@dataclass(frozen=True)
class GradcheckResult:
    """Worst disagreement found: ``ok`` if every entry satisfies
    ``|analytic - numeric| <= atol + rtol * |numeric|``."""

    ok: bool
    max_abs_error: float
    max_rel_error: float
    worst: str  # which array and index disagreed most

    def __bool__(self) -> bool:
        return self.ok


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of ``f()`` with respect to every entry of ``x`` (perturbed in place)."""
    grad = np.zeros_like(x, dtype=np.float64)
    flat, out = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        step = h * max(1.0, abs(float(saved)))
        flat[i] = saved + step
        up = f()
        flat[i] = saved - step
        down = f()
        flat[i] = saved
        out[i] = (up - down) / (2 * step)
    return grad


def _compare(pairs: list[tuple[str, np.ndarray, np.ndarray]], rtol: float,
             atol: float) -> GradcheckResult:
    ok, worst, max_abs, max_rel = True, "", 0.0, 0.0
    for label, analytic, numeric in pairs:
        err = np.abs(np.asarray(analytic, dtype=np.float64) - numeric)
        rel = err / np.maximum(np.abs(numeric), atol)
        ok &= bool(np.all(err <= atol + rtol * np.abs(numeric)))
        i = int(np.argmax(err)) if err.size else 0
        if err.size and err.flat[i] >= max_abs:
            max_abs, worst = float(err.flat[i]), f"{label}[{np.unravel_index(i, err.shape)}]"
        max_rel = max(max_rel, float(rel.max(initial=0.0)))
    return GradcheckResult(ok, max_abs, max_rel, worst)


def _check_tolerances(rtol: float, atol: float) -> None:
    check_real(rtol, "rtol", 0)
    check_real(atol, "atol", 0)


def _require_float64(*arrays: np.ndarray) -> None:
    for a in arrays:
        if a.dtype != np.float64:
            raise ValueError(f"gradcheck needs float64 arrays for accurate differences, got "
                             f"{a.dtype}; build the model with dtype='float64'")


def check_layer(layer: Layer, x: np.ndarray, seed: int = 0, rtol: float = 1e-6,
                atol: float = 1e-8) -> GradcheckResult:
    """Check ``layer.backward`` (input and parameter gradients) for J = sum(g * layer(x))."""
    _check_tolerances(rtol, atol)
    x = np.array(x, dtype=np.float64)
    params = layer.parameters()
    _require_float64(*(p.value for p in params))
    g = check_rng(seed).standard_normal(layer.forward(x).shape)

    def J() -> float:
        return float(np.sum(g * layer.forward(x)))

    layer.forward(x)
    grad_x = layer.backward(g.copy())
    pairs = [("input", grad_x, numerical_gradient(J, x))]
    analytic = [p.grad.copy() for p in params]
    pairs += [(p.name, a, numerical_gradient(J, p.value)) for p, a in zip(params, analytic,
                                                                           strict=True)]
    return _compare(pairs, rtol, atol)


def check_loss(loss: str | losses.Loss, y_pred: np.ndarray, y_true: np.ndarray,
               rtol: float = 1e-6, atol: float = 1e-8) -> GradcheckResult:
    """Check ``loss.gradient`` against differences of ``loss.value``."""
    _check_tolerances(rtol, atol)
    loss = losses.get(loss)
    y_pred, y_true = np.array(y_pred, dtype=np.float64), np.asarray(y_true, dtype=np.float64)
    numeric = numerical_gradient(lambda: float(loss.value(y_pred, y_true)), y_pred)
    return _compare([("y_pred", loss.gradient(y_pred, y_true), numeric)], rtol, atol)


def check_network(model: Sequential, x: np.ndarray, y: np.ndarray,
                  loss: str | losses.Loss | None = None, rtol: float = 1e-6,
                  atol: float = 1e-8) -> GradcheckResult:
    """Check every parameter gradient of ``model`` for J = loss(model(x), y).

    ``y`` is given as the loss expects it (one-hot rows for cross-entropy).  The
    analytic gradient takes the same path as training, so a fused softmax +
    cross-entropy is checked as fused.
    """
    from neuronlab.train import backprop, default_loss

    _check_tolerances(rtol, atol)
    _require_float64(*(p.value for p in model.parameters()))
    loss_fn = losses.get(loss if loss is not None else default_loss(model))
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    backprop(model, loss_fn, x, y, training=False,
             fused=losses.fused(model.output_activation, loss_fn))
    analytic = [(f"layer{i}.{p.name}", p.grad.copy(), p)
                for i, layer in enumerate(model.layers) for p in layer.parameters()]

    def J() -> float:
        return float(loss_fn.value(model.forward(x), y))

    return _compare([(label, g, numerical_gradient(J, p.value)) for label, g, p in analytic],
                    rtol, atol)
