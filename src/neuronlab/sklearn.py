"""scikit-learn estimators over neuronlab: ``MLPClassifier`` and ``MLPRegressor``.

Drop-in replacements for :mod:`sklearn.neural_network`'s estimators: the same
parameter names, defaults, fitted attributes, stopping rule, warnings and error
messages, so swapping the import is enough::

    from neuronlab.sklearn import MLPClassifier   # was: from sklearn.neural_network ...

What neuronlab adds
-------------------
- ``activation``: every name of :mod:`neuronlab.activations` (scikit-learn's
  ``"identity"``, ``"logistic"``, ``"tanh"``, ``"relu"`` included), a formula in x
  without parameters (``"x * tanh(softplus(x))"``, see :mod:`neuronlab.formula`), or a
  list with one of these per hidden layer.  The bare name ``"formula"`` is refused:
  write the formula itself.
- ``initializer``: every name of :mod:`neuronlab.init`, an ``Initializer`` instance,
  or ``"auto"`` for scikit-learn's scheme (below).
- ``output_activation``: ``"auto"`` picks scikit-learn's (softmax for several
  classes, logistic for two classes and for multi-label, identity for regression);
  the classifier also takes ``"softmax"`` or ``"logistic"`` explicitly, the regressor
  any activation name (e.g. ``"softplus"`` for positive targets).
- ``solver``: every optimizer of :mod:`neuronlab.optim` (``sgd``, ``adam``,
  ``adamw``, ``rmsprop``, ``adagrad``).  ``"lbfgs"`` is refused with a clear error:
  it needs SciPy's L-BFGS-B, which neuronlab does not depend on.
- ``dtype``: ``None`` follows X as scikit-learn does (float32 stays float32, anything
  else becomes float64); ``"float32"``/``"float64"`` force the network's dtype.
- ``monitor``: attach a :class:`neuronlab.diagnostics.Monitor` to each fit; the last
  fit's monitor is the fitted attribute ``diagnostics_``.

All allowed names come from the registries (the ``_parameter_constraints`` table is
built from ``activations.names()``, ``init.names()`` and ``optim.names()``), so a new
activation is available here without touching this file.

How the pieces map
------------------
The estimators are thin: ``neuronlab.MLP`` builds the network and
``neuronlab.train.fit`` runs every epoch; scikit-learn's stopping rule (``tol``,
``n_iter_no_change``, early stopping on a validation score with the best weights
restored) is a ``train.Callback``, and its learning rates are schedules of
:mod:`neuronlab.optim` (``"invscaling"``; ``"on_demand"``, lowered by the stopping
rule, for ``"adaptive"``).  ``coefs_[i]`` and ``intercepts_[i]`` *are* the arrays ``W`` and
``b`` of the i-th ``Dense`` layer (shape ``(fan_in, fan_out)``, scikit-learn's
orientation); training updates them in place, so they stay current after further
``partial_fit`` calls (modify them in place, do not rebind them).

The loss minimised is scikit-learn's: half squared error (regression), log-loss
(softmax or logistic output, fused on the logits; summed over the labels of a
multi-label sample, ``binary_cross_entropy(outputs="sum")``), plus
``alpha / (2 n_batch) * sum ||W||^2`` on the weights of each batch.  ``loss_`` and
``loss_curve_`` report it exactly as scikit-learn computes it.  With ``sample_weight``
each batch minimises scikit-learn's weighted form,
``J = sum_i w_i J_i / sum_i w_i + alpha / (2 sum_i w_i) * sum ||W||^2`` (so an
integer weight counts a sample that many times within its batch), ``loss_`` is the
mean of the batch losses counted by their rows (scikit-learn's), and the
early-stopping score is weighted.  Weights must be >= 0 (scikit-learn accepts
negative ones); a batch whose weights are all 0 is skipped (scikit-learn raises
ZeroDivisionError).

``solver="sgd"`` takes scikit-learn's steps: its momentum accumulates steps
(``v <- momentum v - lr grad``, :class:`neuronlab.optim.SGD` with
``momentum_form="velocity"``), which matters once the rate changes.

Known differences from scikit-learn
-----------------------------------
- Initial biases are 0 (scikit-learn draws them uniformly like the weights).  With
  ``initializer="auto"`` the weights follow scikit-learn's rule: U(-l, l),
  l = sqrt(6 / (fan_in + fan_out)) (Glorot uniform), or sqrt(2 / (fan_in + fan_out))
  for logistic hidden units.
- Adam follows PyTorch's formula (see :mod:`neuronlab.optim`): ``epsilon`` is added
  to the bias-corrected root (PyTorch) rather than to the raw one (scikit-learn),
  which differs by ``epsilon * sqrt(1 - beta_2^t)``; and ``momentum`` must be < 1.
- ``warm_start`` gives each ``fit`` a fresh optimizer whose ``invscaling`` rate starts
  again at ``learning_rate_init`` (scikit-learn continues it from ``t_`` after the
  first epoch).  Over ``partial_fit`` calls the rate follows the epochs, with
  ``t_per_epoch`` the rows of the first call: scikit-learn's rate exactly when every
  call has as many rows.
- For several regression outputs the gradient is the true gradient of the reported
  loss (scikit-learn's is ``n_outputs`` times larger).
- Sparse input is not supported yet.
- Predictions come in the wider of X's and the network's dtype (float64 X on a
  float32 network: computed in float32, returned as float64), as scikit-learn's.
- ``verbose`` shows neuronlab's progress bar instead of printing each iteration.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any, Self

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from neuronlab import activations, data, formula, init, losses, optim, train
from neuronlab.layers import Dense
from neuronlab.network import MLP

__all__ = ["MLPClassifier", "MLPRegressor"]

#: scikit-learn's names for its four hidden activations; all are registry names or
#: aliases ("logistic" is neuronlab's "sigmoid").
SKLEARN_ACTIVATIONS = frozenset({"identity", "logistic", "tanh", "relu"})

#: The seeds drawn from ``random_state`` for the weights and the batch order lie in
#: [0, _SEED_BOUND) (numpy's exclusive ``high``; scikit-learn draws below the same bound).
_SEED_BOUND = np.iinfo(np.int32).max


class _ActivationOptions(StrOptions):
    """The registry's names, or a formula in x without parameters ("x * sigmoid(x)")."""

    def is_satisfied_by(self, val: Any) -> bool:
        return super().is_satisfied_by(val) or formula.is_formula(val, params=())

    def __str__(self) -> str:
        return f"{super().__str__()} or a formula in x such as 'x * sigmoid(x)'"


#: Registry names that are not an activation by themselves: "formula" is the class of
#: the written formulas, whose default expression x would silently be the identity.
NOT_BY_NAME = frozenset({"formula"})


def _activation_options() -> StrOptions:
    return _ActivationOptions((set(activations.names()) - NOT_BY_NAME) | SKLEARN_ACTIVATIONS)


def _canonical_activation(name: str, parameter: str) -> str:
    """The registry's name for ``name`` (``"logistic"`` -> ``"sigmoid"``), the formula
    itself for a formula, or a ValueError naming the parameter, the value and the
    closest valid name."""
    if not isinstance(name, str):
        raise TypeError(f"{parameter} must hold activation names (str), got "
                        f"{type(name).__name__} {name!r}")
    if name in NOT_BY_NAME:
        raise ValueError(f"{parameter}={name!r} is not an activation: write the formula "
                         f"itself, e.g. {parameter}='x * tanh(softplus(x))'")
    if name not in activations.REGISTRY and formula.is_formula(name, params=()):
        return name
    try:
        return activations.REGISTRY.cls(name).name
    except ValueError as exc:
        raise ValueError(f"{parameter}: {exc}") from None


class _BaseMLP(BaseEstimator):
    """Shared parameters, fitting and stopping rule of the two estimators."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [_activation_options(), list, tuple],
        "solver": [StrOptions(set(optim.names()) | {"lbfgs"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"),
                             Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "initializer": [StrOptions({"auto"} | set(init.names())), init.Initializer],
        "dtype": [None, StrOptions({"float32", "float64"}),
                  Options(type, {np.float32, np.float64})],
        "monitor": ["boolean"],
    }

    def __init__(self, hidden_layer_sizes, activation, solver, alpha, batch_size,
                 learning_rate, learning_rate_init, power_t, max_iter, shuffle,
                 random_state, tol, verbose, warm_start, momentum, nesterovs_momentum,
                 early_stopping, validation_fraction, beta_1, beta_2, epsilon,
                 n_iter_no_change, max_fun, initializer, output_activation, dtype,
                 monitor):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.initializer = initializer
        self.output_activation = output_activation
        self.dtype = dtype
        self.monitor = monitor

    # -- what the subclasses define -----------------------------------------------------
    def _validate_input(self, X, y, incremental: bool, reset: bool):
        """Validated X, the targets for the network, and y for scoring."""
        raise NotImplementedError

    def _output(self, Y) -> tuple[str, losses.Loss]:
        """Output activation (canonical name) and loss for the first fit on ``Y``."""
        raise NotImplementedError

    def _score_output(self, output: np.ndarray, y, sample_weight=None) -> float:
        """Validation score (accuracy or R², weighted) of network outputs against ``y``."""
        raise NotImplementedError

    # -- parameters ---------------------------------------------------------------------
    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        if not all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0
                   for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(s) for s in sizes]

    def _hidden_activations(self, n_hidden: int) -> list[str]:
        if isinstance(self.activation, str):
            return [_canonical_activation(self.activation, "activation")] * n_hidden
        names = [_canonical_activation(a, "activation") for a in self.activation]
        if len(names) != n_hidden:
            raise ValueError(f"activation has {len(names)} names for {n_hidden} hidden "
                             f"layers (hidden_layer_sizes={self.hidden_layer_sizes!r}); give "
                             f"one name per hidden layer, or a single name for all")
        return names

    def _initializer(self, hidden: list[str]) -> str | init.Initializer:
        """scikit-learn's rule for ``"auto"``: Glorot uniform, with the bound shrunk by
        sqrt(3) (l = sqrt(2 / (fan_in + fan_out))) for logistic hidden units."""
        if self.initializer != "auto":
            return self.initializer
        named = [self.activation] if isinstance(self.activation, str) else self.activation
        if named and all(_canonical_activation(a, "activation") == "sigmoid" for a in named):
            return init.get("variance_scaling", scale=1 / 3, mode="fan_avg",
                            distribution="uniform")
        return "glorot_uniform"

    def _network_dtype(self, X: np.ndarray) -> np.dtype:
        return X.dtype if self.dtype is None else np.dtype(self.dtype)

    def _batch_size(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is "
                          "going to be clipped", stacklevel=4)
        return int(np.clip(self.batch_size, 1, n_samples))

    # -- fitting ------------------------------------------------------------------------
    def _fit(self, X, y, sample_weight, incremental: bool):
        if self.solver == "lbfgs":
            raise ValueError(
                "solver='lbfgs' is not available in neuronlab: it needs SciPy's L-BFGS-B "
                "optimizer, which neuronlab does not depend on. Use solver='adam' (the "
                "default) or 'sgd' (or 'adamw', 'rmsprop', 'adagrad'); for L-BFGS use "
                "scikit-learn's own estimator.")
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        sizes = self._hidden_sizes()
        hidden = self._hidden_activations(len(sizes))
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, Y, y_score = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                                 ensure_non_negative=True)
        rng = check_random_state(self.random_state)
        if first_pass:
            self._initialize(X, Y, sizes, hidden, rng)
        # cast, then checked: a float64 value beyond a float32 network's range is named
        X = data.check_X(X, dtype=self._network.dtype)
        Y = data.check_targets(Y, len(Y), Y.shape[1], "y", self._network.dtype)
        if Y.shape[1] != self._network.n_outputs:
            raise ValueError(f"y has {Y.shape[1]} outputs but the fitted network has "
                             f"{self._network.n_outputs}; fit again without warm_start")
        self._prepare_stopping_attributes()
        self.n_iter_ = 0  # epochs of this call (1 after partial_fit), as scikit-learn

        X_val = y_val = w_val = None
        if self.early_stopping:
            X, X_val, Y, y_val, sample_weight, w_val = self._validation_split(
                X, Y, y_score, sample_weight, rng)
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer(n_train=len(X))
            self._optimizer_epochs = 0

        rule = _StoppingRule(self, len(X), X_val, y_val, w_val)
        callbacks: list[train.Callback] = [rule]
        monitor = None
        if self.monitor:
            from neuronlab import diagnostics

            # partial_fit calls are one training in pieces: their rows accumulate
            monitor = self.diagnostics_ if incremental and not first_pass and isinstance(
                getattr(self, "diagnostics_", None), diagnostics.Monitor) \
                else diagnostics.Monitor()
            callbacks.append(monitor)
        history = train.fit(
            self._network, X, Y, loss=self._loss, optimizer=self._optimizer,
            epochs=1 if incremental else self.max_iter, batch_size=self._batch_size(len(X)),
            shuffle=self.shuffle, seed=int(rng.randint(_SEED_BOUND)),
            l2=self.alpha, callbacks=callbacks, verbose=bool(self.verbose),
            sample_weight=sample_weight, first_epoch=self._optimizer_epochs)
        self.diagnostics_ = monitor

        if history.stop_reason == "diverged":
            where = history.divergence or {}
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may contain "
                "large values and need to be preprocessed. (neuronlab: the loss or a weight "
                f"became NaN/inf at epoch {where.get('epoch')}, batch {where.get('batch')}, "
                f"layer {where.get('layer')}; the last finite weights were kept. A smaller "
                "learning_rate_init may help.)")
        if history.stop_reason == "interrupted":
            warnings.warn("Training interrupted by user.", stacklevel=3)
        elif not incremental and not rule.stopped and self.n_iter_ == self.max_iter:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                f"optimization hasn't converged yet.", ConvergenceWarning, stacklevel=3)
        return self

    def _initialize(self, X, Y, sizes: list[int], hidden: list[str], rng) -> None:
        """Build a fresh network and reset every fitted attribute (first fit)."""
        output, self._loss = self._output(Y)
        n_outputs = Y.shape[1]
        self._network = MLP([X.shape[1], *sizes, n_outputs], activation=hidden,
                            output=None if output == "identity" else output,
                            init=self._initializer(hidden), dtype=self._network_dtype(X),
                            seed=int(rng.randint(_SEED_BOUND)))
        dense = [layer for layer in self._network.layers if isinstance(layer, Dense)]
        self.coefs_ = [layer.W.value for layer in dense]
        self.intercepts_ = [layer.b.value for layer in dense]
        self.n_outputs_ = n_outputs
        self.n_layers_ = len(sizes) + 2
        self.out_activation_ = "logistic" if output == "sigmoid" else output
        self.t_ = 0
        self.loss_curve_: list[float] = []
        self._no_improvement_count = 0
        self._best_params = [p.value.copy() for p in self._network.parameters()]
        self.best_loss_ = self.validation_scores_ = self.best_validation_score_ = None
        if hasattr(self, "_optimizer"):
            del self._optimizer

    def _prepare_stopping_attributes(self) -> None:
        """scikit-learn's bookkeeping for the chosen stopping criterion."""
        if self.early_stopping and self.validation_scores_ is None:
            self.validation_scores_, self.best_validation_score_ = [], -np.inf
            self.best_loss_ = None
        elif not self.early_stopping and self.best_loss_ is None:
            self.best_loss_ = np.inf
            self.validation_scores_ = self.best_validation_score_ = None

    def _validation_split(self, X, Y, y_score, sample_weight, rng):
        """``X_train, X_val, Y_train, y_val, w_train, w_val`` (weights None if not given)."""
        if self.validation_fraction == 0:
            raise ValueError("early_stopping=True needs validation_fraction > 0 (the share "
                             "of the samples held out to score each epoch), got 0.0")
        # as scikit-learn: stratified only for a classifier with one output (binary)
        stratify = Y if is_classifier(self) and Y.shape[1] == 1 else None
        arrays = (X, Y, y_score) if sample_weight is None else (X, Y, y_score, sample_weight)
        parts = train_test_split(*arrays, random_state=rng,
                                 test_size=self.validation_fraction, stratify=stratify)
        if parts[1].shape[0] < 2:
            raise ValueError("The validation set is too small. Increase "
                             "'validation_fraction' or the size of your dataset.")
        X_train, X_val, Y_train, _, _, y_val = parts[:6]
        w_train, w_val = parts[6:] if sample_weight is not None else (None, None)
        for part, w in (("training", w_train), ("validation", w_val)):
            if w is not None and not w.any():
                raise ValueError(
                    f"sample_weight is all zero on the {part} part of the early-stopping "
                    f"split (validation_fraction={self.validation_fraction}); give more "
                    "samples a positive weight or change random_state")
        return X_train, X_val, Y_train, y_val, w_train, w_val

    def _make_optimizer(self, n_train: int) -> optim.Optimizer:
        """The solver as a neuronlab optimizer.  SGD is scikit-learn's: its momentum form
        (a velocity of past steps) and its rates as schedules: ``"invscaling"``,
        ``learning_rate_init / (t + 1) ** power_t`` with t = ``n_train`` samples per
        epoch over the epochs of this optimizer; ``"adaptive"``, divided by 5 (down to
        1e-6) each time the stopping rule would stop."""
        params = self._network.parameters()
        if self.solver == "sgd":
            schedule: dict[str, Any] = {}
            if self.learning_rate == "invscaling":
                schedule = {"schedule": "invscaling", "power_t": self.power_t,
                            "t_per_epoch": n_train}
            elif self.learning_rate == "adaptive":
                schedule = {"schedule": "on_demand", "factor": 0.2, "min_lr": 1e-6}
            return optim.get("sgd", params, lr=self.learning_rate_init,
                             momentum=self.momentum, momentum_form="velocity",
                             nesterov=bool(self.nesterovs_momentum and self.momentum > 0),
                             **schedule)
        extra: dict[str, Any] = {"eps": self.epsilon}
        if self.solver in ("adam", "adamw"):
            extra["betas"] = (self.beta_1, self.beta_2)
        return optim.get(self.solver, params, lr=self.learning_rate_init, **extra)

    # -- prediction ---------------------------------------------------------------------
    def _forward(self, X) -> np.ndarray:
        """Network outputs for X, computed in the network's dtype and returned in the
        wider of X's and the network's (float64 X gives float64 predictions, as
        scikit-learn's float32-fitted MLP does)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        output = self._network.predict(X)  # cast to the network's dtype, then checked
        return output.astype(np.result_type(X.dtype, output.dtype), copy=False)


class _StoppingRule(train.Callback):
    """scikit-learn's end-of-iteration bookkeeping and stopping rule, as a callback.

    After each epoch: ``n_iter_``, ``t_``, ``loss_`` and ``loss_curve_`` are updated;
    the no-improvement count grows when the training loss is not below
    ``best_loss_ - tol`` (or, with early stopping, the validation score not above
    ``best_validation_score_ + tol``) and training stops once it exceeds
    ``n_iter_no_change`` (the adaptive SGD rate, a ``ReduceOnDemand`` schedule, is
    divided by 5 instead, down to 1e-6).  With early stopping the weights of the best
    validation score are restored at the end.
    """

    def __init__(self, est: _BaseMLP, n_train: int, X_val: np.ndarray | None,
                 y_val: np.ndarray | None, w_val: np.ndarray | None = None) -> None:
        self.est, self.n_train, self.X_val, self.y_val = est, n_train, X_val, y_val
        self.w_val = w_val
        self.stopped = False

    def on_epoch_end(self, trainer: Any, epoch: int, logs: dict[str, float]) -> None:
        est = self.est
        est.n_iter_ += 1
        est.loss_ = logs["loss"]
        est.t_ += self.n_train
        est.loss_curve_.append(est.loss_)
        est._optimizer_epochs += 1
        self._update_no_improvement_count(trainer)
        if est._no_improvement_count > est.n_iter_no_change:
            schedule = trainer.optimizer.schedule
            if isinstance(schedule, optim.ReduceOnDemand) and schedule.reduce(
                    trainer.optimizer.lr):
                est._no_improvement_count = 0  # adaptive: a smaller rate, not a stop
            else:
                self.stopped = trainer.stop = True

    def _update_no_improvement_count(self, trainer: Any) -> None:
        est = self.est
        if self.X_val is None:
            if est.loss_curve_[-1] > est.best_loss_ - est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            est.best_loss_ = min(est.best_loss_, est.loss_curve_[-1])
            return
        output = trainer.model.predict(self.X_val)
        score = est._score_output(output, self.y_val, self.w_val) \
            if np.isfinite(output).all() else np.nan
        est.validation_scores_.append(score)
        if score < est.best_validation_score_ + est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        if score > est.best_validation_score_:
            est.best_validation_score_ = score
            est._best_params = [p.value.copy() for p in trainer.model.parameters()]

    def on_train_end(self, trainer: Any) -> None:
        if self.X_val is not None:
            for p, best in zip(trainer.model.parameters(), self.est._best_params, strict=True):
                p.value[...] = best


_PARAMETERS_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
        Width of each hidden layer.
    activation : str or list of str, default="relu"
        Hidden activation: any name of ``neuronlab.activations.names()`` or
        scikit-learn's ``"identity"``, ``"logistic"``, ``"tanh"``, ``"relu"``; a list
        gives one per hidden layer.
    solver : {"adam", "sgd", "adamw", "rmsprop", "adagrad"}, default="adam"
        The optimizer (``neuronlab.optim``).  ``"lbfgs"`` raises a ValueError.
    alpha : float, default=1e-4
        L2 penalty ``alpha / (2 n_batch) * sum ||W||^2`` on the weights.
    batch_size : int or "auto", default="auto"
        Samples per step; ``"auto"`` is ``min(200, n_samples)``.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Schedule of the SGD learning rate (ignored by the other solvers):
        ``learning_rate_init / (t + 1) ** power_t`` after each epoch with ``t``
        samples seen, or divided by 5 when the stopping rule would stop.
    learning_rate_init : float, default=1e-3
    power_t : float, default=0.5
    max_iter : int, default=200
        Epochs (passes over the data) per ``fit``.
    shuffle : bool, default=True
    random_state : int, RandomState or None, default=None
        Seeds the weights, the batch order and the validation split.
    tol : float, default=1e-4
    verbose : bool or int, default=False
        Show neuronlab's progress bar.
    warm_start : bool, default=False
        ``fit`` starts from the previous weights (with a fresh optimizer).
    momentum : float in [0, 1), default=0.9
    nesterovs_momentum : bool, default=True
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` (stratified for binary classification),
        stop when its score stops improving by ``tol`` and restore
        the best weights.
    validation_fraction : float, default=0.1
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's decay rates.
    epsilon : float, default=1e-8
        Adam's (RMSProp's, AdaGrad's) denominator offset.
    n_iter_no_change : int or inf, default=10
    max_fun : int, default=15000
        Accepted for compatibility; only L-BFGS would use it.
    initializer : str or Initializer, default="auto"
        Weight initializer: a name of ``neuronlab.init.names()``, an instance, or
        ``"auto"`` for scikit-learn's Glorot-uniform rule (bound sqrt(6 / (fan_in +
        fan_out)), sqrt(2 / ...) for logistic units).  Biases start at 0.
    dtype : {None, "float32", "float64"}, default=None
        The network's dtype; None follows X (float32 kept, otherwise float64).
    monitor : bool, default=False
        Attach a ``neuronlab.diagnostics.Monitor`` to each fit (``diagnostics_``).
"""

_ATTRIBUTES_DOC = """
    Attributes
    ----------
    coefs_, intercepts_ : list of ndarray
        The ``W`` (fan_in, fan_out) and ``b`` arrays of each Dense layer, updated in
        place by training.
    loss_ : float
        Loss (with the alpha penalty) of the last epoch, the mean over its batches.
    loss_curve_ : list of float
        ``loss_`` of every epoch since the network was built.
    best_loss_ : float or None
        Lowest ``loss_`` (None with early stopping).
    validation_scores_ : list of float or None
        Validation score per epoch (early stopping only).
    best_validation_score_ : float or None
    t_ : int
        Training samples seen.
    n_iter_ : int
        Epochs run by the last ``fit`` (1 after ``partial_fit``).
    n_layers_, n_outputs_ : int
    out_activation_ : str
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X has string feature names.
    diagnostics_ : Monitor or None
        The last fit's monitor when ``monitor=True`` (``diagnostics_.table()``: one row
        per layer and epoch); successive ``partial_fit`` calls add to the same one.
"""


def _docstring(summary: str, parameters: str, attributes: str, examples: str) -> str:
    """A numpydoc docstring: the shared parameters and attributes with the estimator's own."""
    parts = [summary.rstrip(), "", _PARAMETERS_DOC.strip("\n"), parameters.rstrip(), "",
             _ATTRIBUTES_DOC.strip("\n"), attributes.rstrip(), "", examples.strip("\n")]
    return "\n".join(part.strip("\n") for part in parts if part.strip() or not part) + "\n"


class MLPClassifier(ClassifierMixin, _BaseMLP):
    __doc__ = _docstring(
        """Multi-layer perceptron classifier trained by neuronlab (scikit-learn's API).

    Minimises the log-loss: softmax output and categorical cross-entropy for more
    than two classes, a logistic output and binary cross-entropy for two classes
    and for multi-label targets (2-D 0/1 ``y``), both fused on the logits.
    """, """
    output_activation : {"auto", "softmax", "logistic"}, default="auto"
        ``"auto"``: softmax for several classes, logistic otherwise.  ``"softmax"``
        with two classes uses two softmax outputs; ``"logistic"`` with several
        classes trains one logistic output per class (one-vs-rest, probabilities
        normalised to sum to 1).
    """, """
    classes_ : ndarray
        The class labels (label indices for multi-label ``y``).
    """, """
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), activation="gelu", max_iter=300,
    ...                     learning_rate_init=0.01, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """)

    _parameter_constraints: dict = {
        **_BaseMLP._parameter_constraints,
        "output_activation": [StrOptions({"auto", "softmax", "logistic", "sigmoid"})],
    }

    def __init__(self, hidden_layer_sizes: int | Sequence[int] = (100,),
                 activation: str | Sequence[str] = "relu", *, solver: str = "adam",
                 alpha: float = 0.0001, batch_size: int | str = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001,
                 power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
                 random_state: int | np.random.RandomState | None = None, tol: float = 1e-4,
                 verbose: bool | int = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int = 10, max_fun: int = 15000,
                 initializer: str = "auto", output_activation: str = "auto",
                 dtype: Any = None, monitor: bool = False) -> None:
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, solver=solver,
            alpha=alpha, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
            warm_start=warm_start, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, n_iter_no_change=n_iter_no_change,
            max_fun=max_fun, initializer=initializer, output_activation=output_activation,
            dtype=dtype, monitor=monitor)

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Self:
        """Fit the model to data ``X`` and labels ``y`` (1-D, or 2-D 0/1 for multi-label).

        ``sample_weight`` (shape (n_samples,), >= 0) weights each sample's loss (see
        the class docstring).  Returns ``self``.
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=False)

    def partial_fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None,
                    classes: ArrayLike | None = None) -> Self:
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer
        state (Adam's moments, momentum, learning rate).

        ``classes`` (all labels that will ever be seen) is required on the first call;
        ``sample_weight`` as in ``fit``.  Returns ``self``.
        """
        self._validate_params()
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight, incremental=True)

    def _validate_input(self, X: ArrayLike, y: ArrayLike, incremental: bool,
                        reset: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        X, y = validate_data(self, X, y, multi_output=True, dtype=(np.float64, np.float32),
                             reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in "
                        f"the previous call to fit. Previously got {self.classes_}, `y` has "
                        f"{classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError("`y` has classes not in `self.classes_`. `self.classes_` "
                                 f"has {self.classes_}. 'y' has {classes}.")
        Y = self._label_binarizer.transform(y).astype(np.float64)
        if self._two_softmax_outputs(first_fit=reset):
            Y = np.hstack([1 - Y, Y])
        return X, Y, y

    def _two_softmax_outputs(self, first_fit: bool = False) -> bool:
        """Two classes on two softmax outputs (the requested one, or the fitted one)."""
        if self._label_binarizer.y_type_ != "binary":
            return False
        return self.output_activation == "softmax" if first_fit else self.n_outputs_ == 2

    def _output(self, Y: np.ndarray) -> tuple[str, losses.Loss]:
        kind = self._label_binarizer.y_type_
        choice = self.output_activation
        if choice == "auto":
            choice = "softmax" if kind == "multiclass" else "sigmoid"
        elif choice == "softmax" and kind.startswith("multilabel"):
            raise ValueError("output_activation='softmax' cannot fit multi-label targets "
                             "(the labels of a sample are not exclusive); use 'logistic' "
                             "or 'auto'")
        choice = _canonical_activation(choice, "output_activation")
        if choice == "softmax":
            return choice, losses.get("cross_entropy")
        # scikit-learn's log-loss sums over the labels of a sample (multi-label)
        return choice, losses.get("binary_cross_entropy", outputs="sum")

    def _labels(self, output: np.ndarray) -> np.ndarray:
        if self._two_softmax_outputs():
            output = output[:, 1:]
        if output.shape[1] == 1:
            output = output.ravel()
        return self._label_binarizer.inverse_transform(output)

    def _score_output(self, output: np.ndarray, y: np.ndarray,
                      sample_weight: np.ndarray | None = None) -> float:
        return accuracy_score(y, self._labels(output), sample_weight=sample_weight)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted class labels, shape (n_samples,) or (n_samples, n_labels)."""
        return self._labels(self._forward(X))

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Probability of each class (columns ordered as ``classes_``).

        For multi-label ``y``, the independent probability of each label.
        """
        output = self._forward(X)
        if self.out_activation_ == "softmax" or self._label_binarizer.y_type_ != "multiclass":
            if output.shape[1] == 1:
                p = output.ravel()
                return np.vstack([1 - p, p]).T
            return output
        total = output.sum(axis=1, keepdims=True)  # one-vs-rest logistic outputs
        return np.divide(output, total, out=np.full_like(output, 1 / output.shape[1]),
                         where=total > 0)

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """``log(predict_proba(X))`` (``-inf`` where a probability underflowed to 0)."""
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba, out=proba)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        # a softmax output cannot fit multi-label targets (its labels are exclusive)
        tags.classifier_tags.multi_label = self.output_activation != "softmax"
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    __doc__ = _docstring(
        """Multi-layer perceptron regressor trained by neuronlab (scikit-learn's API).

    Minimises half the mean squared error (scikit-learn's ``squared_error``) with an
    identity output by default; several outputs (2-D ``y``) are supported.
    """, """
    loss : {"squared_error"}, default="squared_error"
        scikit-learn's ``"poisson"`` is not available yet (ValueError).
    output_activation : str, default="auto"
        ``"auto"`` is the identity; any name of ``neuronlab.activations.names()``
        bounds the predictions (e.g. ``"softplus"`` for positive targets).
    """, "", """
    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> X, y = make_regression(200, 5, noise=1.0, random_state=0)
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01,
    ...                    max_iter=500, random_state=0).fit(X, y / 100)
    >>> reg.score(X, y / 100) > 0.9
    True
    """)

    _parameter_constraints: dict = {
        **_BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
        "output_activation": [StrOptions({"auto"} | _activation_options().options)],
    }

    def __init__(self, loss: str = "squared_error",
                 hidden_layer_sizes: int | Sequence[int] = (100,),
                 activation: str | Sequence[str] = "relu", *, solver: str = "adam",
                 alpha: float = 0.0001, batch_size: int | str = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001,
                 power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
                 random_state: int | np.random.RandomState | None = None, tol: float = 1e-4,
                 verbose: bool | int = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False,
                 validation_fraction: float = 0.1, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, n_iter_no_change: int = 10, max_fun: int = 15000,
                 initializer: str = "auto", output_activation: str = "auto",
                 dtype: Any = None, monitor: bool = False) -> None:
        self.loss = loss
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, solver=solver,
            alpha=alpha, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
            warm_start=warm_start, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, n_iter_no_change=n_iter_no_change,
            max_fun=max_fun, initializer=initializer, output_activation=output_activation,
            dtype=dtype, monitor=monitor)

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Self:
        """Fit the model to data ``X`` and targets ``y`` (1-D or 2-D), each sample's loss
        weighted by ``sample_weight`` (shape (n_samples,), >= 0). Returns ``self``."""
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=False)

    def partial_fit(self, X: ArrayLike, y: ArrayLike,
                    sample_weight: ArrayLike | None = None) -> Self:
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer
        state; ``sample_weight`` as in ``fit``. Returns ``self``."""
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=True)

    def _validate_input(self, X: ArrayLike, y: ArrayLike, incremental: bool,
                        reset: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.loss == "poisson":
            raise ValueError("loss='poisson' is not available in neuronlab yet; use "
                             "loss='squared_error' (optionally with "
                             "output_activation='softplus' for positive targets)")
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        Y = y.reshape(len(y), -1)
        return X, Y, y

    def _output(self, Y: np.ndarray) -> tuple[str, losses.Loss]:
        choice = "identity" if self.output_activation == "auto" else self.output_activation
        # scikit-learn's squared_error: half the mean over all samples and outputs
        return _canonical_activation(choice, "output_activation"), losses.get("mse", half=True)

    def _score_output(self, output: np.ndarray, y: np.ndarray,
                      sample_weight: np.ndarray | None = None) -> float:
        return r2_score(y, output.ravel() if output.shape[1] == 1 else output,
                        sample_weight=sample_weight)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted targets, shape (n_samples,) or (n_samples, n_outputs)."""
        output = self._forward(X)
        return output.ravel() if output.shape[1] == 1 else output

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
