"""Optimizers, learning-rate schedules and gradient clipping.

Every optimizer applies the lecture's gradient step in some form,

    w ← w − η ∇J(w),

to each parameter ``w`` (a :class:`~neuronlab.parameter.Parameter`'s ``.value``)
using the gradient ``∇J`` the backward pass left in its ``.grad``.  They differ in
how the step is shaped: momentum (SGD), per-coordinate step sizes from past squared
gradients (AdaGrad, RMSProp) or both (Adam, AdamW).  Each one reproduces the
corresponding ``torch.optim`` class step for step (the tests check this).

Parameters are updated *in place* (the arrays the layers hold are the ones that
change), in their own dtype (float32 stays float32: hyper-parameters are rounded to
it), and without allocating per step: state buffers are created once, at the first
step, and temporaries live in scratch buffers shared by all parameters of a dtype.

``weight_decay`` is PyTorch's coupled L2 penalty, ``∇J ← ∇J + λ w``, for every
optimizer except AdamW, whose decay is decoupled from the gradient
(``w ← (1 − η λ) w`` before the Adam step).

A schedule maps ``(η₀, epoch)`` to the learning rate of that epoch; the training loop
calls :meth:`Optimizer.set_epoch` at the start of each epoch.  With ``clip_norm`` the
gradients are rescaled to a global L2 norm of at most ``clip_norm`` before each step
(see :func:`clip_grad_norm`).

Examples
--------
>>> import numpy as np
>>> from neuronlab.parameter import Parameter
>>> w = Parameter(np.array([3.0]), "w")
>>> w.grad[:] = 4.0                      # ∇J(w) = 4
>>> opt = get("sgd", [w], lr=0.1)
>>> opt.step()                           # w ← 3 − 0.1 · 4
>>> w.value
array([2.6])
>>> names()
['sgd', 'adagrad', 'rmsprop', 'adam', 'adamw']
>>> opt = get("adam", [w], lr=0.01, schedule="cosine", t_max=10)
>>> opt.set_epoch(5)
>>> round(opt.lr, 6)
0.005
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import numpy as np

from neuronlab._registry import Registry
from neuronlab._suggest import did_you_mean
from neuronlab._validate import check_bool, check_integer, check_real
from neuronlab.parameter import Parameter

__all__ = [
    "REGISTRY",
    "SCHEDULES",
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "Constant",
    "CosineAnnealing",
    "ExponentialDecay",
    "InverseScaling",
    "ReduceOnDemand",
    "Optimizer",
    "RMSprop",
    "Schedule",
    "StepDecay",
    "clip_grad_norm",
    "get",
    "names",
]


# --------------------------------------------------------------------------- keywords


def _accepted(cls: type) -> list[str]:
    """Keyword names accepted by ``cls.__init__``."""
    return [p.name for p in inspect.signature(cls.__init__).parameters.values()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            and p.name not in ("self", "params")]


# --------------------------------------------------------------------------- schedules


class Schedule:
    """Base class of the learning-rate schedules: ``schedule(base_lr, epoch) -> lr``.

    ``epoch`` counts from 0 and every schedule gives ``base_lr`` at epoch 0.  The
    formulas are closed forms, equal to PyTorch's ``lr_scheduler`` values.
    """

    name: ClassVar[str]

    def __call__(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """Hyper-parameters, such that ``type(self)(**get_config())`` rebuilds ``self``."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


SCHEDULES: Registry[Schedule] = Registry("schedule", Schedule)


@SCHEDULES.register("constant")
class Constant(Schedule):
    """The same learning rate every epoch: η_e = η₀.

    Examples
    --------
    >>> Constant()(0.1, 7)
    0.1
    """

    def __call__(self, base_lr: float, epoch: int) -> float:
        check_integer(epoch, "schedule epoch", low=0)
        return float(base_lr)


@SCHEDULES.register("step")
class StepDecay(Schedule):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    η_e = η₀ · γ^⌊e / step_size⌋, as ``torch.optim.lr_scheduler.StepLR``.

    Parameters
    ----------
    step_size : int
        Epochs between two decays (>= 1).
    gamma : float, default 0.1
        Decay factor, > 0.

    Examples
    --------
    >>> s = StepDecay(step_size=10, gamma=0.5)
    >>> [s(1.0, e) for e in (0, 9, 10, 25)]
    [1.0, 1.0, 0.5, 0.25]
    """

    def __init__(self, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = check_integer(step_size, "step schedule step_size", low=1)
        self.gamma = check_real(gamma, "step schedule gamma", 0.0, low_open=True)

    def __call__(self, base_lr: float, epoch: int) -> float:
        epoch = check_integer(epoch, "schedule epoch", low=0)
        return float(base_lr) * self.gamma ** (epoch // self.step_size)

    def get_config(self) -> dict[str, Any]:
        return {"step_size": self.step_size, "gamma": self.gamma}


@SCHEDULES.register("exponential")
class ExponentialDecay(Schedule):
    """Multiply the learning rate by ``gamma`` every epoch: η_e = η₀ · γ^e.

    As ``torch.optim.lr_scheduler.ExponentialLR``.

    Parameters
    ----------
    gamma : float
        Decay factor per epoch, > 0.

    Examples
    --------
    >>> ExponentialDecay(gamma=0.5)(1.0, 3)
    0.125
    """

    def __init__(self, gamma: float) -> None:
        self.gamma = check_real(gamma, "exponential schedule gamma", 0.0, low_open=True)

    def __call__(self, base_lr: float, epoch: int) -> float:
        return float(base_lr) * self.gamma ** check_integer(epoch, "schedule epoch", low=0)

    def get_config(self) -> dict[str, Any]:
        return {"gamma": self.gamma}


@SCHEDULES.register("cosine")
class CosineAnnealing(Schedule):
    """Cosine annealing from η₀ down to ``eta_min`` over ``t_max`` epochs.

    η_e = η_min + (η₀ − η_min) · (1 + cos(π e / T_max)) / 2,

    the closed form of ``torch.optim.lr_scheduler.CosineAnnealingLR`` (after ``t_max``
    epochs the rate climbs back up, with period ``2 t_max``, as in PyTorch).
    Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts",
    ICLR 2017.

    Parameters
    ----------
    t_max : int
        Epochs of one half period (>= 1).
    eta_min : float, default 0.0
        The lowest learning rate, >= 0.

    Examples
    --------
    >>> s = CosineAnnealing(t_max=10)
    >>> [round(s(1.0, e), 3) for e in (0, 5, 10)]
    [1.0, 0.5, 0.0]
    """

    def __init__(self, t_max: int, eta_min: float = 0.0) -> None:
        self.t_max = check_integer(t_max, "cosine schedule t_max", low=1)
        self.eta_min = check_real(eta_min, "cosine schedule eta_min", 0.0)

    def __call__(self, base_lr: float, epoch: int) -> float:
        e = check_integer(epoch, "schedule epoch", low=0)
        return self.eta_min + (float(base_lr) - self.eta_min) * (
            1 + math.cos(math.pi * e / self.t_max)) / 2

    def get_config(self) -> dict[str, Any]:
        return {"t_max": self.t_max, "eta_min": self.eta_min}


@SCHEDULES.register("invscaling")
class InverseScaling(Schedule):
    """Divide the learning rate by a power of the time: η_e = η₀ / (1 + k e)^p.

    With ``t_per_epoch`` k the samples of an epoch, ``t = k e`` counts the samples
    seen before epoch e and this is scikit-learn's ``learning_rate="invscaling"``,
    ``η₀ / (t + 1)^power_t``; with k = 1 it decays per epoch.

    Parameters
    ----------
    power_t : float, default 0.5
        The exponent p, >= 0.
    t_per_epoch : int, default 1
        Time units k per epoch (>= 1), e.g. the number of training samples.

    Examples
    --------
    >>> s = InverseScaling(power_t=0.5, t_per_epoch=3)
    >>> [s(1.0, e) for e in (0, 1, 5)]
    [1.0, 0.5, 0.25]
    """

    def __init__(self, power_t: float = 0.5, t_per_epoch: int = 1) -> None:
        self.power_t = check_real(power_t, "invscaling schedule power_t", 0.0)
        self.t_per_epoch = check_integer(t_per_epoch, "invscaling schedule t_per_epoch", low=1)

    def __call__(self, base_lr: float, epoch: int) -> float:
        t = self.t_per_epoch * check_integer(epoch, "schedule epoch", low=0)
        return float(base_lr) / (t + 1) ** self.power_t

    def get_config(self) -> dict[str, Any]:
        return {"power_t": self.power_t, "t_per_epoch": self.t_per_epoch}


@SCHEDULES.register("on_demand")
class ReduceOnDemand(Schedule):
    """Multiply the learning rate by ``factor`` each time :meth:`reduce` is called.

    η = η₀ · factor^k after k reductions, whatever the epoch.  The caller decides
    when: scikit-learn's ``learning_rate="adaptive"`` is this schedule with
    ``factor=0.2``, ``min_lr=1e-6``, reduced by its stopping rule whenever it would
    otherwise stop (the loss stalled for ``n_iter_no_change`` epochs).  Like
    PyTorch's ``ReduceLROnPlateau``, but the plateau is detected outside.  The count k
    is state, not configuration: ``get_config`` leaves it out.

    Parameters
    ----------
    factor : float, default 0.2
        Multiplier per reduction, in (0, 1).
    min_lr : float, default 1e-6
        A rate at or below it is not reduced any more (:meth:`reduce` says False).

    Examples
    --------
    >>> s = ReduceOnDemand(factor=0.5)
    >>> s(1.0, 7), s.reduce(1.0), s(1.0, 8)
    (1.0, True, 0.5)
    """

    def __init__(self, factor: float = 0.2, min_lr: float = 1e-6) -> None:
        self.factor = check_real(factor, "on_demand schedule factor", 0.0, 1.0,
                                  low_open=True, high_open=True)
        self.min_lr = check_real(min_lr, "on_demand schedule min_lr", 0.0)
        self.reductions = 0

    def __call__(self, base_lr: float, epoch: int) -> float:
        check_integer(epoch, "schedule epoch", low=0)
        return float(base_lr) * self.factor ** self.reductions

    def reduce(self, lr: float) -> bool:
        """Lower the rate once more, unless the current rate ``lr`` is already at or
        below ``min_lr``; True if it was lowered (from the next ``set_epoch`` on)."""
        if lr <= self.min_lr:
            return False
        self.reductions += 1
        return True

    def get_config(self) -> dict[str, Any]:
        return {"factor": self.factor, "min_lr": self.min_lr}


# --------------------------------------------------------------------------- clipping


def _l2_norm(g: np.ndarray) -> float:
    """||g||₂ without a temporary array (one rescaled pass only if g·g overflows)."""
    flat = g.reshape(-1)  # a view for contiguous arrays
    with np.errstate(over="ignore", invalid="ignore"):
        sq = float(np.dot(flat, flat))
    if math.isfinite(sq):
        return math.sqrt(sq)
    if not np.all(np.isfinite(g)):
        return math.inf if not np.any(np.isnan(g)) else math.nan
    scale = float(np.max(np.abs(g)))  # g·g overflowed in g's dtype: compute on g / max|g|
    return scale * float(np.linalg.norm((g / scale).astype(np.float64)))


def clip_grad_norm(params: Iterable[Parameter], max_norm: float) -> float:
    """Rescale all gradients together so that their global L2 norm is at most ``max_norm``.

    With N = sqrt(Σ_p ||∇J_p||²) the norm of all gradients concatenated, every
    gradient is multiplied in place by ``max_norm / (N + 1e-6)`` when that factor is
    below 1, exactly as ``torch.nn.utils.clip_grad_norm_``; otherwise (and when N is
    not finite) the gradients are left unchanged.  The direction of the step is kept,
    only its length is capped: Pascanu, Mikolov & Bengio, "On the difficulty of
    training recurrent neural networks", ICML 2013.

    Parameters
    ----------
    params : iterable of Parameter
        Parameters whose ``.grad`` are clipped.
    max_norm : float
        The largest allowed global norm, > 0.

    Returns
    -------
    float
        The global norm N before clipping (``inf`` or ``nan`` for non-finite gradients,
        which are then left for the caller, e.g. a divergence guard, to handle).

    Examples
    --------
    >>> p = Parameter(np.zeros(2))
    >>> p.grad[:] = [3.0, 4.0]
    >>> clip_grad_norm([p], 1.0)
    5.0
    >>> np.round(p.grad, 6)
    array([0.6, 0.8])
    """
    max_norm = check_real(max_norm, "clip_grad_norm max_norm", 0.0, low_open=True)
    params = list(params)
    total = math.hypot(*(_l2_norm(p.grad) for p in params))
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:  # False for nan and for an infinite norm (coef = 0 is skipped below)
        if coef > 0.0:
            for p in params:
                np.multiply(p.grad, coef, out=p.grad)
    return total


# --------------------------------------------------------------------------- optimizers


class Optimizer:
    """Base class: updates a list of parameters in place from their gradients.

    Parameters
    ----------
    params : sequence of Parameter
        The parameters to update (e.g. ``network.parameters()``); floating dtype.
    lr : float
        The base learning rate η₀, >= 0.
    weight_decay : float, default 0.0
        L2 penalty λ, >= 0, added to the gradient: ∇J ← ∇J + λ w.
    clip_norm : float or None, default None
        If set, :func:`clip_grad_norm` caps the global gradient norm before each step.
    schedule : Schedule, str or None, default None
        Learning-rate schedule (a name from ``SCHEDULES`` or an instance).
    **schedule_params
        Hyper-parameters of a schedule given by name (``step_size``, ``gamma``,
        ``t_max``, ``eta_min``).

    Attributes
    ----------
    lr : float
        The current learning rate, ``schedule(base_lr, epoch)``.
    base_lr : float
        The learning rate before scheduling.
    n_steps : int
        Number of :meth:`step` calls so far (``t`` in Adam's bias correction).
    state : list of dict
        Per-parameter buffers (momentum, running averages), created at the first step.
    last_grad_norm : float or None
        Global gradient norm before clipping at the last step (only with ``clip_norm``).
    """

    name: ClassVar[str]

    def __init__(self, params: Sequence[Parameter], lr: float = 0.01, *,
                 weight_decay: float = 0.0, clip_norm: float | None = None,
                 schedule: Schedule | str | None = None, **schedule_params: Any) -> None:
        owner = type(self).__name__
        self.params = self._check_params(params)
        self.base_lr = check_real(lr, f"{owner} lr", 0.0)
        self.weight_decay = check_real(weight_decay, f"{owner} weight_decay", 0.0)
        self.clip_norm = (None if clip_norm is None else
                          check_real(clip_norm, f"{owner} clip_norm", 0.0, low_open=True))
        self.schedule = self._make_schedule(schedule, schedule_params)
        self.epoch = 0
        self.lr = self.base_lr if self.schedule is None else self.schedule(self.base_lr, 0)
        self.n_steps = 0
        self.state: list[dict[str, np.ndarray]] = [{} for _ in self.params]
        self.last_grad_norm: float | None = None
        self._scratch: list[tuple[np.ndarray, np.ndarray]] | None = None

    # ----------------------------------------------------------------- public API

    def step(self) -> None:
        """Clip the gradients (with ``clip_norm``), then update every parameter in place."""
        if self.clip_norm is not None:
            self.last_grad_norm = clip_grad_norm(self.params, self.clip_norm)
        if self._scratch is None:
            self._scratch = self._allocate_scratch()
        self.n_steps += 1
        lr = float(self.lr)  # a Python float is cast to each parameter's dtype
        for p, state, scratch in zip(self.params, self.state, self._scratch, strict=True):
            self._update(p.value, p.grad, state, scratch, lr)

    def set_epoch(self, epoch: int) -> None:
        """Set ``lr = schedule(base_lr, epoch)`` (epochs count from 0); no-op without schedule."""
        epoch = check_integer(epoch, f"{type(self).__name__} epoch", low=0)
        self.epoch = epoch
        if self.schedule is not None:
            self.lr = self.schedule(self.base_lr, epoch)

    def get_config(self) -> dict[str, Any]:
        """Hyper-parameters, such that ``type(self)(params, **get_config())`` rebuilds ``self``.

        A schedule appears as its name with its hyper-parameters flattened in.
        """
        config: dict[str, Any] = {"lr": self.base_lr, **self._hyper_parameters(),
                                  "weight_decay": self.weight_decay,
                                  "clip_norm": self.clip_norm}
        s = self.schedule
        name = getattr(type(s), "name", None)
        if s is None:
            config["schedule"] = None
        elif name in SCHEDULES and SCHEDULES.cls(name) is type(s):
            config["schedule"] = name
            config.update(s.get_config())
        else:  # an unregistered Schedule subclass: keep the instance
            config["schedule"] = s
        return config

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    # ----------------------------------------------------------------- for subclasses

    def _hyper_parameters(self) -> dict[str, Any]:
        """The subclass's own hyper-parameters (for ``get_config``)."""
        return {}

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray],
                scratch: tuple[np.ndarray, np.ndarray], lr: float) -> None:
        """Update ``w`` in place from its gradient ``g`` (two scratch arrays of w's shape)."""
        raise NotImplementedError

    def _decayed(self, w: np.ndarray, g: np.ndarray, out: np.ndarray) -> np.ndarray:
        """∇J + λ w (coupled weight decay) written to ``out``; ``g`` itself when λ = 0."""
        if not self.weight_decay:
            return g
        np.multiply(w, self.weight_decay, out=out)
        np.add(g, out, out=out)
        return out

    # ----------------------------------------------------------------- internals

    def _check_params(self, params: Any) -> list[Parameter]:
        owner = type(self).__name__
        if isinstance(params, Parameter) or not isinstance(params, Iterable):
            raise TypeError(f"{owner}: params must be a sequence of Parameter (e.g. "
                            f"network.parameters()), got {type(params).__name__}")
        params = list(params)
        if not params:
            raise ValueError(f"{owner}: params is empty; there is nothing to optimize")
        seen: set[int] = set()
        for i, p in enumerate(params):
            if not isinstance(p, Parameter):
                raise TypeError(f"{owner}: params[{i}] must be a Parameter, got "
                                f"{type(p).__name__}")
            if not np.issubdtype(p.value.dtype, np.floating):
                raise TypeError(f"{owner}: params[{i}] ({p.name!r}) must have a floating "
                                f"dtype, got {p.value.dtype}")
            if id(p) in seen:
                raise ValueError(f"{owner}: params[{i}] ({p.name!r}) appears more than once; "
                                 "it would be updated twice per step")
            seen.add(id(p))
        return params

    def _make_schedule(self, schedule: Any, schedule_params: dict[str, Any]) -> Schedule | None:
        if schedule is None:
            if schedule_params:
                raise TypeError(self._unexpected(schedule_params, None))
            return None
        if isinstance(schedule, str):
            cls = SCHEDULES.cls(schedule)  # ValueError naming the closest schedule
            if set(schedule_params) - set(_accepted(cls)):
                raise TypeError(self._unexpected(schedule_params, cls))
            return cls(**schedule_params)
        return SCHEDULES.get(schedule, **schedule_params)

    def _unexpected(self, given: dict[str, Any], schedule_cls: type | None) -> str:
        own = _accepted(type(self))
        known = own + (_accepted(schedule_cls) if schedule_cls is not None else [])
        bad = sorted(set(given) - set(known))
        hint = next((h for b in bad if (h := did_you_mean(b, known))), "")
        where = (f"{type(self).__name__} or its {schedule_cls.name!r} schedule"
                 if schedule_cls is not None else
                 f"{type(self).__name__} (schedule hyper-parameters need schedule=...)")
        return (f"unexpected hyper-parameter(s) {', '.join(map(repr, bad))} for {where}."
                f"{hint} Accepted: {', '.join(known)}.")

    def _allocate_scratch(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Two scratch arrays per parameter, views of pools shared by all params of a dtype."""
        sizes: dict[np.dtype, int] = {}
        for p in self.params:
            sizes[p.value.dtype] = max(sizes.get(p.value.dtype, 0), p.value.size)
        pools = {dt: (np.empty(n, dt), np.empty(n, dt)) for dt, n in sizes.items()}
        return [tuple(pool[: p.value.size].reshape(p.value.shape)  # type: ignore[misc]
                      for pool in pools[p.value.dtype]) for p in self.params]


REGISTRY: Registry[Optimizer] = Registry("optimizer", Optimizer)


def get(spec: str | Optimizer, params: Sequence[Parameter] | None = None,
        **kw: Any) -> Optimizer:
    """An optimizer from its name (with the parameters and hyper-parameters) or an instance.

    Parameters
    ----------
    spec : str or Optimizer
        A name from :func:`names` or an existing optimizer (returned as is).
    params : sequence of Parameter
        The parameters to update; required with a name.  With an instance it may be
        given only if it is the instance's own parameter list.
    **kw
        Hyper-parameters of the optimizer (and of its schedule).

    Examples
    --------
    >>> p = Parameter(np.zeros(3))
    >>> get("sgd", [p], lr=0.1, momentum=0.9)  # doctest: +NORMALIZE_WHITESPACE
    SGD(lr=0.1, momentum=0.9, dampening=0.0, nesterov=False, momentum_form='gradient',
        weight_decay=0.0, clip_norm=None, schedule=None)
    """
    if isinstance(spec, Optimizer):
        if params is not None and [id(p) for p in params] != [id(p) for p in spec.params]:
            raise ValueError(f"params differ from those of the given optimizer {spec!r}; "
                             "pass a name to build an optimizer for these parameters")
        return REGISTRY.get(spec, **kw)
    if params is None and isinstance(spec, str):
        raise TypeError(f"optimizer {spec!r} needs the parameters to update: "
                        f"get({spec!r}, network.parameters(), ...)")
    return REGISTRY.get(spec, params=params, **kw)


def names() -> list[str]:
    """Names of all registered optimizers."""
    return REGISTRY.names()


@REGISTRY.register("sgd")
class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    Without momentum this is the lecture's step  w ← w − η ∇J.  With momentum μ a
    buffer accumulates the past, in one of two forms.  ``momentum_form="gradient"``
    (PyTorch's; the default) accumulates gradients, with b₁ = ∇J at the first step,
    and applies the current rate to the sum:

        b ← μ b + (1 − d) ∇J
        w ← w − η b                      (classical, Polyak 1964)
        w ← w − η (∇J + μ b)             (nesterov=True, Nesterov 1983)

    ``momentum_form="velocity"`` (Sutskever et al. 2013; scikit-learn's MLP, Keras)
    accumulates steps, each taken with the rate of its own time, from v₀ = 0:

        v ← μ v − η ∇J
        w ← w + v                        (classical)
        w ← w + μ v − η ∇J               (nesterov=True)

    At a constant rate the two take identical steps (v = −η b); they differ once η
    changes (a schedule): a velocity keeps the old rates of its past steps.

    With the gradient form, equal to ``torch.optim.SGD`` step for step.

    Parameters
    ----------
    params : sequence of Parameter
    lr : float, default 0.01
        Learning rate η, >= 0.
    momentum : float, default 0.0
        μ in [0, 1).
    dampening : float, default 0.0
        d in [0, 1]; must be 0 with Nesterov momentum.
    nesterov : bool, default False
        Use Nesterov's look-ahead momentum (requires momentum > 0).
    momentum_form : {"gradient", "velocity"}, default "gradient"
        What the momentum buffer accumulates (above); "velocity" needs dampening = 0.
    weight_decay, clip_norm, schedule, **schedule_params
        See :class:`Optimizer`.

    References
    ----------
    B. T. Polyak, "Some methods of speeding up the convergence of iteration methods", 1964.
    Y. Nesterov, "A method for solving a convex programming problem with convergence
    rate O(1/k²)", 1983.  I. Sutskever, J. Martens, G. Dahl & G. Hinton, "On the
    importance of initialization and momentum in deep learning", ICML 2013.

    Examples
    --------
    >>> w = Parameter(np.array([3.0]))
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     w.grad[:] = 4.0
    ...     opt.step()                   # b = 4, then b = 0.9·4 + 4 = 7.6
    >>> np.round(w.value, 6)             # 3 − 0.4 − 0.76
    array([1.84])
    """

    def __init__(self, params: Sequence[Parameter], lr: float = 0.01, *,
                 momentum: float = 0.0, dampening: float = 0.0, nesterov: bool = False,
                 momentum_form: str = "gradient", weight_decay: float = 0.0,
                 clip_norm: float | None = None, schedule: Schedule | str | None = None,
                 **schedule_params: Any) -> None:
        super().__init__(params, lr, weight_decay=weight_decay, clip_norm=clip_norm,
                         schedule=schedule, **schedule_params)
        self.momentum = check_real(momentum, "SGD momentum", 0.0, 1.0, high_open=True)
        self.dampening = check_real(dampening, "SGD dampening", 0.0, 1.0)
        self.nesterov = check_bool(nesterov, "SGD nesterov")
        if self.nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError("SGD: nesterov=True requires momentum > 0 and dampening = 0, "
                             f"got momentum={momentum!r}, dampening={dampening!r}")
        if momentum_form not in ("gradient", "velocity"):
            raise ValueError("SGD: momentum_form must be 'gradient' (PyTorch's) or "
                             f"'velocity' (scikit-learn's, Keras's), got {momentum_form!r}")
        if momentum_form == "velocity" and self.dampening:
            raise ValueError("SGD: dampening is part of the 'gradient' momentum form; "
                             f"momentum_form='velocity' needs dampening=0, got {dampening!r}")
        self.momentum_form = momentum_form

    def _hyper_parameters(self) -> dict[str, Any]:
        return {"momentum": self.momentum, "dampening": self.dampening,
                "nesterov": self.nesterov, "momentum_form": self.momentum_form}

    def _update(self, w, g, state, scratch, lr):
        s0, s1 = scratch
        g = self._decayed(w, g, s0)
        mu = self.momentum
        if mu and self.momentum_form == "velocity":
            v = state.get("velocity")
            if v is None:
                v = state["velocity"] = np.zeros_like(w)
            np.multiply(v, mu, out=v)  # v ← μ v − η g
            np.multiply(g, lr, out=s1)
            np.subtract(v, s1, out=v)
            if self.nesterov:  # w ← w + μ v − η g
                np.multiply(v, mu, out=s0)
                np.subtract(s0, s1, out=s1)
                np.add(w, s1, out=w)
            else:  # w ← w + v
                np.add(w, v, out=w)
            return
        if mu:
            b = state.get("momentum_buffer")
            if b is None:  # first step: b = ∇J
                b = state["momentum_buffer"] = np.array(g, dtype=w.dtype, copy=True)
            else:
                np.multiply(b, mu, out=b)
                if self.dampening:
                    np.multiply(g, 1.0 - self.dampening, out=s1)
                    np.add(b, s1, out=b)
                else:
                    np.add(b, g, out=b)
            if self.nesterov:
                np.multiply(b, mu, out=s1)
                g = np.add(g, s1, out=s1)
            else:
                g = b
        np.multiply(g, lr, out=s1)  # w ← w − η g
        np.subtract(w, s1, out=w)


@REGISTRY.register("adagrad")
class Adagrad(Optimizer):
    """AdaGrad: per-coordinate step sizes shrinking with the sum of squared gradients.

        G ← G + ∇J ⊙ ∇J
        w ← w − η_t ∇J / (√G + ε),    η_t = η / (1 + (t − 1) · lr_decay)

    with G₀ = ``initial_accumulator_value``.  Equal to ``torch.optim.Adagrad``.

    Parameters
    ----------
    params : sequence of Parameter
    lr : float, default 0.01
        Learning rate η, >= 0.
    lr_decay : float, default 0.0
        >= 0.
    initial_accumulator_value : float, default 0.0
        G₀, >= 0.
    eps : float, default 1e-10
        ε > 0, keeps the division finite.
    weight_decay, clip_norm, schedule, **schedule_params
        See :class:`Optimizer`.

    References
    ----------
    J. Duchi, E. Hazan & Y. Singer, "Adaptive subgradient methods for online learning and
    stochastic optimization", JMLR 12, 2011.

    Examples
    --------
    >>> w = Parameter(np.array([3.0]))
    >>> w.grad[:] = 4.0
    >>> opt = Adagrad([w], lr=0.1)
    >>> opt.step()                       # 3 − 0.1 · 4 / √16
    >>> np.round(w.value, 6)
    array([2.9])
    """

    def __init__(self, params: Sequence[Parameter], lr: float = 0.01, *,
                 lr_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, weight_decay: float = 0.0,
                 clip_norm: float | None = None, schedule: Schedule | str | None = None,
                 **schedule_params: Any) -> None:
        super().__init__(params, lr, weight_decay=weight_decay, clip_norm=clip_norm,
                         schedule=schedule, **schedule_params)
        self.lr_decay = check_real(lr_decay, "Adagrad lr_decay", 0.0)
        self.initial_accumulator_value = check_real(
            initial_accumulator_value, "Adagrad initial_accumulator_value", 0.0)
        self.eps = check_real(eps, "Adagrad eps", 0.0, low_open=True)

    def _hyper_parameters(self) -> dict[str, Any]:
        return {"lr_decay": self.lr_decay,
                "initial_accumulator_value": self.initial_accumulator_value, "eps": self.eps}

    def _update(self, w, g, state, scratch, lr):
        s0, s1 = scratch
        if not state:
            state["sum"] = np.full_like(w, self.initial_accumulator_value)
        G = state["sum"]
        g = self._decayed(w, g, s0)
        clr = lr / (1 + (self.n_steps - 1) * self.lr_decay)
        np.multiply(g, g, out=s1)  # G ← G + g²
        np.add(G, s1, out=G)
        np.sqrt(G, out=s1)  # w ← w − η_t g / (√G + ε)
        np.add(s1, self.eps, out=s1)
        np.divide(g, s1, out=s1)
        np.multiply(s1, clr, out=s1)
        np.subtract(w, s1, out=w)


@REGISTRY.register("rmsprop")
class RMSprop(Optimizer):
    """RMSProp: divide the gradient by a running root-mean-square of recent gradients.

        v ← α v + (1 − α) ∇J ⊙ ∇J
        m ← α m + (1 − α) ∇J,  v̂ = v − m ⊙ m      (centered=True; else v̂ = v)
        w ← w − η ∇J / (√v̂ + ε)                      (momentum = 0)
        b ← μ b + ∇J / (√v̂ + ε),  w ← w − η b       (momentum μ > 0)

    Equal to ``torch.optim.RMSprop`` (where rounding makes the centered v̂ slightly
    negative, it is taken as 0 instead of PyTorch's NaN).

    Parameters
    ----------
    params : sequence of Parameter
    lr : float, default 0.01
        Learning rate η, >= 0.
    alpha : float, default 0.99
        Smoothing constant α in [0, 1).
    eps : float, default 1e-8
        ε > 0.
    momentum : float, default 0.0
        μ in [0, 1).
    centered : bool, default False
        Normalize by the estimated variance instead of the raw second moment.
    weight_decay, clip_norm, schedule, **schedule_params
        See :class:`Optimizer`.

    References
    ----------
    T. Tieleman & G. Hinton, "Lecture 6.5 - rmsprop", COURSERA: Neural Networks for
    Machine Learning, 2012.  A. Graves, "Generating sequences with recurrent neural
    networks", arXiv:1308.0850, 2013 (centered form).

    Examples
    --------
    >>> w = Parameter(np.array([3.0]))
    >>> w.grad[:] = 4.0
    >>> opt = RMSprop([w], lr=0.01, alpha=0.75)
    >>> opt.step()                       # v = 0.25 · 16 = 4, w = 3 − 0.01 · 4 / 2
    >>> np.round(w.value, 6)
    array([2.98])
    """

    def __init__(self, params: Sequence[Parameter], lr: float = 0.01, *,
                 alpha: float = 0.99, eps: float = 1e-8, momentum: float = 0.0,
                 centered: bool = False, weight_decay: float = 0.0,
                 clip_norm: float | None = None, schedule: Schedule | str | None = None,
                 **schedule_params: Any) -> None:
        super().__init__(params, lr, weight_decay=weight_decay, clip_norm=clip_norm,
                         schedule=schedule, **schedule_params)
        self.alpha = check_real(alpha, "RMSprop alpha", 0.0, 1.0, high_open=True)
        self.eps = check_real(eps, "RMSprop eps", 0.0, low_open=True)
        self.momentum = check_real(momentum, "RMSprop momentum", 0.0, 1.0,
                                    high_open=True)
        self.centered = check_bool(centered, "RMSprop centered")

    def _hyper_parameters(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "eps": self.eps, "momentum": self.momentum,
                "centered": self.centered}

    def _update(self, w, g, state, scratch, lr):
        s0, s1 = scratch
        if not state:
            state["square_avg"] = np.zeros_like(w)
            if self.centered:
                state["grad_avg"] = np.zeros_like(w)
            if self.momentum:
                state["momentum_buffer"] = np.zeros_like(w)
        v = state["square_avg"]
        g = self._decayed(w, g, s0)
        a = self.alpha
        np.multiply(v, a, out=v)  # v ← α v + (1 − α) g²
        np.multiply(g, g, out=s1)
        np.multiply(s1, 1.0 - a, out=s1)
        np.add(v, s1, out=v)
        if self.centered:
            m = state["grad_avg"]
            np.subtract(g, m, out=s1)  # m ← m + (1 − α)(g − m), torch's lerp
            np.multiply(s1, 1.0 - a, out=s1)
            np.add(m, s1, out=m)
            np.multiply(m, m, out=s1)  # v̂ = max(v − m², 0)
            np.subtract(v, s1, out=s1)
            np.maximum(s1, 0.0, out=s1)
            np.sqrt(s1, out=s1)
        else:
            np.sqrt(v, out=s1)
        np.add(s1, self.eps, out=s1)
        np.divide(g, s1, out=s1)  # g / (√v̂ + ε)
        if self.momentum:
            b = state["momentum_buffer"]
            np.multiply(b, self.momentum, out=b)
            np.add(b, s1, out=b)
            np.multiply(b, lr, out=s1)
        else:
            np.multiply(s1, lr, out=s1)
        np.subtract(w, s1, out=w)


@REGISTRY.register("adam")
class Adam(Optimizer):
    """Adam: momentum on the gradient, scaled by a running RMS, both bias-corrected.

        m ← β₁ m + (1 − β₁) ∇J
        v ← β₂ v + (1 − β₂) ∇J ⊙ ∇J          (AMSGrad: v_max ← max(v_max, v), used for v)
        w ← w − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    at step t = 1, 2, ...  Equal to ``torch.optim.Adam``.

    Parameters
    ----------
    params : sequence of Parameter
    lr : float, default 0.001
        Learning rate η, >= 0.
    betas : (float, float), default (0.9, 0.999)
        β₁, β₂ in [0, 1).
    eps : float, default 1e-8
        ε > 0.
    amsgrad : bool, default False
        Use the running maximum of v (Reddi et al. 2018).
    weight_decay, clip_norm, schedule, **schedule_params
        See :class:`Optimizer` (coupled L2; see :class:`AdamW` for decoupled decay).

    References
    ----------
    D. P. Kingma & J. Ba, "Adam: A method for stochastic optimization", ICLR 2015.
    S. J. Reddi, S. Kale & S. Kumar, "On the convergence of Adam and beyond", ICLR 2018.

    Examples
    --------
    >>> w = Parameter(np.array([3.0]))
    >>> w.grad[:] = 4.0
    >>> opt = Adam([w], lr=0.1)
    >>> opt.step()                       # the first step has length ≈ η whatever ∇J
    >>> np.round(w.value, 6)
    array([2.9])
    """

    decoupled_weight_decay: ClassVar[bool] = False

    def __init__(self, params: Sequence[Parameter], lr: float = 0.001, *,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 amsgrad: bool = False, weight_decay: float = 0.0,
                 clip_norm: float | None = None, schedule: Schedule | str | None = None,
                 **schedule_params: Any) -> None:
        super().__init__(params, lr, weight_decay=weight_decay, clip_norm=clip_norm,
                         schedule=schedule, **schedule_params)
        owner = type(self).__name__
        if isinstance(betas, str) or not isinstance(betas, Sequence):
            raise TypeError(f"{owner} betas must be a pair (beta1, beta2), got "
                            f"{type(betas).__name__} {betas!r}")
        if len(betas) != 2:
            raise ValueError(f"{owner} betas must be a pair (beta1, beta2), got {len(betas)} "
                             f"values {betas!r}")
        self.betas = tuple(check_real(b, f"{owner} betas[{i}]", 0.0, 1.0, high_open=True)
                           for i, b in enumerate(betas))
        self.eps = check_real(eps, f"{owner} eps", 0.0, low_open=True)
        self.amsgrad = check_bool(amsgrad, f"{owner} amsgrad")

    def _hyper_parameters(self) -> dict[str, Any]:
        return {"betas": self.betas, "eps": self.eps, "amsgrad": self.amsgrad}

    def _update(self, w, g, state, scratch, lr):
        s0, s1 = scratch
        if not state:
            state["exp_avg"] = np.zeros_like(w)
            state["exp_avg_sq"] = np.zeros_like(w)
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(w)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        if self.weight_decay and self.decoupled_weight_decay:
            np.multiply(w, 1.0 - lr * self.weight_decay, out=w)  # w ← (1 − η λ) w
        elif self.weight_decay:
            g = self._decayed(w, g, s0)
        b1, b2 = self.betas
        t = self.n_steps
        np.subtract(g, m, out=s1)  # m ← m + (1 − β₁)(g − m), torch's lerp
        np.multiply(s1, 1.0 - b1, out=s1)
        np.add(m, s1, out=m)
        np.multiply(v, b2, out=v)  # v ← β₂ v + (1 − β₂) g²
        np.multiply(g, g, out=s1)
        np.multiply(s1, 1.0 - b2, out=s1)
        np.add(v, s1, out=v)
        if self.amsgrad:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        step_size = lr / (1 - b1**t)
        np.sqrt(v, out=s1)  # denominator √v / √(1 − β₂ᵗ) + ε
        np.divide(s1, math.sqrt(1 - b2**t), out=s1)
        np.add(s1, self.eps, out=s1)
        np.divide(m, s1, out=s1)
        np.multiply(s1, step_size, out=s1)
        np.subtract(w, s1, out=w)


@REGISTRY.register("adamw")
class AdamW(Adam):
    """Adam with decoupled weight decay: shrink w, then take the Adam step.

        w ← (1 − η λ) w,   then the :class:`Adam` update (λ not added to ∇J).

    Equal to ``torch.optim.AdamW``; the default λ = 0.01 is PyTorch's.

    Parameters
    ----------
    params : sequence of Parameter
    lr : float, default 0.001
    betas, eps, amsgrad, clip_norm, schedule, **schedule_params
        See :class:`Adam`.
    weight_decay : float, default 0.01
        Decoupled decay λ, >= 0.

    References
    ----------
    I. Loshchilov & F. Hutter, "Decoupled weight decay regularization", ICLR 2019.

    Examples
    --------
    >>> w = Parameter(np.array([3.0]))
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> opt.step()                       # ∇J = 0: only the decay, 3 · (1 − 0.05)
    >>> np.round(w.value, 6)
    array([2.85])
    """

    decoupled_weight_decay: ClassVar[bool] = True

    def __init__(self, params: Sequence[Parameter], lr: float = 0.001, *,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 amsgrad: bool = False, weight_decay: float = 0.01,
                 clip_norm: float | None = None, schedule: Schedule | str | None = None,
                 **schedule_params: Any) -> None:
        super().__init__(params, lr, betas=betas, eps=eps, amsgrad=amsgrad,
                         weight_decay=weight_decay, clip_norm=clip_norm, schedule=schedule,
                         **schedule_params)
