"""The fit loop: mini-batches, epochs, validation, early stopping, divergence guard.

One step is the lecture's recipe: forward pass, loss, backward pass (delta rule),
gradient-descent update.  Everything else here decides *which* samples go into a
step, when to stop, and which weights to keep.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuronlab import _paths, data, losses, optim
from neuronlab._terminal import printable
from neuronlab._validate import check_bool, check_integer, check_real, check_seed
from neuronlab.network import Sequential


@dataclass
class History:
    """What ``fit`` observed, one dict per epoch (``loss``, ``accuracy``, ``val_loss`` ...).

    ``history["loss"]`` gives the column as a list.  ``stop_reason`` is one of
    ``"completed"``, ``"early_stopping"``, ``"diverged"``, ``"interrupted"`` or
    ``"callback"``; ``divergence`` says where a NaN/inf appeared (epoch, batch, layer).
    """

    epochs: list[dict[str, float]] = field(default_factory=list)
    stop_reason: str = "completed"
    best_epoch: int | None = None
    divergence: dict[str, Any] | None = None

    def __getitem__(self, key: str) -> list[float]:
        return [row[key] for row in self.epochs if key in row]

    def __len__(self) -> int:
        return len(self.epochs)


class Callback:
    """Hooks called by ``fit``; override the ones you need.

    The ``trainer`` argument exposes ``model``, ``optimizer``, ``loss``, ``history``
    and a ``stop`` flag a callback may set to end training after the current epoch.
    ``on_step_end`` runs after the backward pass and before the optimizer update,
    when every layer's caches (z, a, delta) and every parameter's ``.grad`` belong to
    the same batch.  ``fit`` reuses those arrays' buffers at the next step
    (``Sequential.workspace``): copy what a callback keeps.
    """

    def on_train_begin(self, trainer: Trainer) -> None: ...
    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None: ...
    def on_step_end(self, trainer: Trainer, epoch: int, batch: int) -> None: ...
    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None: ...
    def on_train_end(self, trainer: Trainer) -> None: ...


class Checkpoint(Callback):
    """Save the model after each epoch that improves ``monitor`` (atomically).

    An interrupted write leaves the previous checkpoint file intact.  ``path`` is
    checked on construction (its folder exists and is writable), not after an epoch.
    """

    def __init__(self, path: str, monitor: str = "val_loss") -> None:
        _paths.output_file(path, "Checkpoint path")
        self.path, self.monitor, self.best = path, monitor, np.inf

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        from neuronlab import io

        value = logs.get(self.monitor, logs.get("loss", np.nan))
        if np.isfinite(value) and value < self.best:
            self.best = value
            io.save(trainer.model, self.path, metadata={"epoch": epoch, self.monitor: value})


def default_loss(model: Sequential) -> str:
    """The loss that pairs with the model's output activation (``losses.paired_loss``)."""
    return losses.paired_loss(model.output_activation)


def _is_classification(loss: losses.Loss) -> bool:
    """Class labels or 0/1 labels as targets (an accuracy is reported), not values."""
    return loss.target_kind != "values"


def targets(model: Sequential, loss: losses.Loss, y: object, n_samples: int,
             name: str = "y") -> np.ndarray:
    """Validated targets as (n_samples, n_outputs) rows in the model's dtype, by the loss's
    ``target_kind``: class labels become one-hot rows (``"labels"``), a 1-D ``y`` must
    hold 0/1 labels (``"binary"``), values are checked finite (``"values"``)."""
    k = model.n_outputs
    if loss.target_kind == "labels":
        rows = data.check_labels(y, n_samples, k, name, model.dtype)
    elif loss.target_kind == "binary" and np.asarray(y).ndim == 1:
        rows = data.check_targets(y, n_samples, k, name, model.dtype)
        if not np.isin(rows, (0, 1)).all():
            raise ValueError(f"{name} for binary cross-entropy must hold 0/1 labels")
    else:  # cast, then checked: a target of 1e39 overflows float32 (named, not inf)
        rows = data.check_targets(y, n_samples, k, name, model.dtype)
    return rows.astype(model.dtype, copy=False)


def n_correct(y_pred: np.ndarray, y_true: np.ndarray, single_label: bool | None = None) -> int:
    """Rows whose predicted class matches: arg-max for single-label rows, else a 0.5
    threshold per output (every label of a row must match).  ``single_label=None``
    infers it from ``y_true`` (rows summing to 1 with more than one output)."""
    if single_label is None:
        single_label = y_pred.shape[1] > 1 and bool(np.allclose(y_true.sum(axis=1), 1))
    if not single_label:
        return int(np.all((y_pred >= 0.5) == (y_true >= 0.5), axis=1).sum())
    return int(np.count_nonzero(y_pred.argmax(axis=1) == y_true.argmax(axis=1)))


def accuracy(y_pred: np.ndarray, y_true: np.ndarray) -> float:
    """Fraction of rows predicted correctly (see ``n_correct``)."""
    return n_correct(y_pred, y_true) / len(y_true)


def backprop(model: Sequential, loss: losses.Loss, x: np.ndarray, y: np.ndarray,
             training: bool = True, fused: losses.Loss | None = None,
             sample_weight: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """One forward and backward pass: every parameter's ``.grad`` is set for J = loss(model(x), y).

    With a ``fused`` loss (``losses.fused(model.output_activation, loss)``, e.g. softmax +
    cross-entropy) the gradient is taken on the logits, ``dJ/dz = (ŷ − y) / n``, and the
    output activation's own backward is skipped.  With ``sample_weight`` J is the
    weighted mean ``sum_i w_i J_i / sum_i w_i`` (see :mod:`neuronlab.losses`).
    Returns the loss and the output.
    """
    a = model.forward(x, training=training)
    last = model.layers[-1]
    if fused is not None:
        z = last.z  # logits: the input of the output activation
        value, grad = fused.value_and_gradient(z, y, out=last.buffer("dJ/dz", z.shape, z.dtype),
                                               sample_weight=sample_weight)
        model.backward(grad, skip_output_activation=True)
    else:
        value, grad = loss.value_and_gradient(a, y, out=last.buffer("dJ/da", a.shape, a.dtype),
                                              sample_weight=sample_weight)
        model.backward(grad)
    return float(value), a


class Trainer:
    """State shared with callbacks during one ``fit`` call."""

    def __init__(self, model: Sequential, loss: losses.Loss, optimizer: optim.Optimizer,
                 history: History, l2: float = 0.0) -> None:
        self.model, self.loss, self.optimizer, self.history = model, loss, optimizer, history
        self.fused = losses.fused(model.output_activation, loss)
        self.l2 = l2
        self.decayed = [p for p in model.parameters() if p.decay]
        self.stop = False

    def step(self, x: np.ndarray, y: np.ndarray,
             sample_weight: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        """Forward, loss, backward (no update); returns the batch loss and the output.

        With ``l2 > 0`` the batch loss gains ``l2 / (2 n) * sum ||W||^2`` over the
        parameters declared to decay (``Parameter.decay``: the weight matrices, not the
        biases or an activation's slopes) and each such gradient ``l2 / n * W``, where n
        is the batch size, or the sum of the batch's ``sample_weight``: scikit-learn's
        ``alpha`` penalty.
        """
        value, a = backprop(self.model, self.loss, x, y, fused=self.fused,
                            sample_weight=sample_weight)
        if self.l2:
            n = len(x) if sample_weight is None else float(sample_weight.sum())
            scale = self.l2 / n
            for W in self.decayed:
                value += 0.5 * scale * float(np.vdot(W.value, W.value))
                W.grad += scale * W.value
        return value, a

    def evaluate(self, X: np.ndarray, y: np.ndarray,
                 sample_weight: np.ndarray | None = None) -> dict[str, float]:
        """Loss (weighted by ``sample_weight`` if given) and, for classification, the
        accuracy (unweighted) in inference mode."""
        a = self.model.predict(X)
        if sample_weight is None:
            out = {"loss": float(self.loss.value(a, y))}
        else:
            out = {"loss": float(np.average(self.loss.per_sample(a, y), weights=sample_weight))}
        if _is_classification(self.loss):
            out["accuracy"] = accuracy(a, y)
        return out


def _check_finite_weights(model: Sequential) -> None:
    """Refuse to train a model whose weights already hold NaN or infinity (set by hand,
    or loaded with ``allow_nonfinite``): every step would be NaN, and there would be no
    finite weights to restore."""
    for i, layer in enumerate(model.layers):
        for p in layer.parameters():
            if not np.isfinite(p.value).all():
                raise ValueError(f"the model's layer {i} ({layer!r}) has non-finite "
                                 f"weights ({p.name} holds NaN or infinity) before training; "
                                 f"build a new model or re-initialize that layer")


def _locate_non_finite(model: Sequential) -> str:
    """Name of the first layer with a non-finite weight, gradient or output."""
    for i, layer in enumerate(model.layers):
        for p in layer.parameters():
            if not (np.isfinite(p.value).all() and np.isfinite(p.grad).all()):
                return f"{i}: {layer!r} ({p.name})"
        out = getattr(layer, "a", None)
        if out is not None and not np.isfinite(out).all():
            return f"{i}: {layer!r} (output)"
    return "output (loss)"


def fit(model: Sequential, X: object, y: object, *, loss: str | losses.Loss | None = None,
        optimizer: str | optim.Optimizer = "sgd", lr: float = 0.01, epochs: int = 10,
        batch_size: int = 32, shuffle: bool = True, seed: int | None = None,
        validation_split: float = 0.0, validation_data: tuple[object, object] | None = None,
        early_stopping: bool = False, patience: int = 10, min_delta: float = 0.0,
        l2: float = 0.0, callbacks: Sequence[Callback] = (), verbose: bool = True,
        threads: int | str | None = "auto", sample_weight: object = None,
        first_epoch: int = 0, **optimizer_params: Any) -> History:
    """Train ``model`` on ``(X, y)`` by mini-batch gradient descent; returns the History.

    Parameters
    ----------
    X : (n_samples, n_features) array.
    y : class labels 0..K-1 (or one-hot) for cross-entropy losses, targets otherwise.
    loss : name or Loss; by default the one paired with the output activation
        (softmax -> cross-entropy, sigmoid -> binary cross-entropy, else MSE).
        Softmax + cross-entropy is fused on the logits, so the output gradient is ŷ − y.
    optimizer : name (``sgd``, ``adam`` ...) or an Optimizer; ``lr`` and
        ``**optimizer_params`` (momentum, weight_decay, clip_norm, schedule ...) go to it.
    epochs, batch_size : passes over the data and samples per gradient step.
    shuffle, seed : the batch order is a seeded permutation per epoch.
    validation_split : fraction of (X, y) held out (seeded) to measure ``val_loss``
        (with their ``sample_weight``).
    validation_data : an explicit ``(X_val, y_val)`` or ``(X_val, y_val, w_val)`` instead.
    l2 : L2 penalty on the weight matrices (not biases), ``l2 / (2 n) ||W||^2`` per batch
        of n samples (n the batch's weight sum with ``sample_weight``), as
        scikit-learn's ``alpha``.
    sample_weight : (n_samples,) weights w_i >= 0, not all 0.  Each batch minimises the
        weighted mean ``J = sum_i w_i J_i / sum_i w_i`` (scikit-learn's MLP), so within a
        batch an integer weight counts a sample that many times; a batch whose weights
        are all 0 is skipped (no step).  ``history["loss"]`` stays the mean of the
        batch losses counted by their rows, as scikit-learn's ``loss_curve_``; the
        accuracy is unweighted.
    first_epoch : the number of the first epoch (0 for a new training): the schedule
        of the learning rate (``optimizer.set_epoch``), callbacks and History rows
        continue the numbering of an earlier ``fit`` of the same optimizer.
    early_stopping, patience, min_delta : stop when the validation loss (training loss
        without validation) has not improved by ``min_delta`` for ``patience`` epochs.
        With early stopping on, the model ends with the weights of its best epoch
        (``history.best_epoch``) however training ends (patience ran out, the epochs
        did, a callback or Ctrl-C stopped it; after a divergence, the last finite
        ones).  A NaN loss never counts as an improvement.
    callbacks : Callback objects (e.g. ``diagnostics.Monitor``).
    verbose : show a progress bar and a line per epoch.
    threads : BLAS threads for the matrix products during training (threadpoolctl).
        ``"auto"`` uses one thread when every product of a step is small (under 2^20
        multiply-adds, e.g. 64-128-128-10 at batch 32, where a second thread makes no
        step faster and only spins on another core) and otherwise keeps the library's
        setting; None always keeps it (one per core).  On a machine whose cores other
        programs are using, ``threads=1`` avoids multi-threaded BLAS, whose spinning
        workers then slow every product many times over.

    Divergence guard: when the loss or a parameter becomes NaN/inf, training stops, the
    last finite weights (those at the end of the last complete epoch, or the initial
    ones) are restored and ``history.divergence`` names the epoch, batch and layer, and
    which weights were restored.  A model whose weights are not finite to begin with
    is refused.  Ctrl-C stops cleanly with the best weights so far.

    Examples
    --------
    >>> from neuronlab import MLP, data
    >>> d = data.load("iris")
    >>> net = MLP([4, 16, 3], activation="tanh", seed=0)
    >>> h = fit(net, d.X_train, d.y_train, lr=0.1, epochs=30, seed=0, verbose=False)
    >>> h["accuracy"][-1] > 0.8
    True
    """
    for label, value, low in (("epochs", epochs, 1), ("batch_size", batch_size, 1),
                              ("patience", patience, 1), ("first_epoch", first_epoch, 0)):
        check_integer(value, label, low=low)
    for label, flag in (("shuffle", shuffle), ("early_stopping", early_stopping),
                        ("verbose", verbose)):
        check_bool(flag, label)
    check_seed(seed)
    check_real(l2, "l2", 0)
    check_real(validation_split, "validation_split", 0, 1, high_open=True)
    check_real(min_delta, "min_delta", 0)
    if isinstance(threads, str):
        if threads != "auto":
            raise ValueError(f"threads must be a positive integer, 'auto' or None, got "
                             f"{threads!r}")
    elif threads is not None:
        check_integer(threads, "threads", low=1)
    _check_finite_weights(model)
    loss_fn = losses.get(loss if loss is not None else default_loss(model))
    X = data.check_X(X, model.n_inputs, dtype=model.dtype)
    Y = targets(model, loss_fn, y, len(X))
    W = None if sample_weight is None else data.check_sample_weight(sample_weight, len(X))
    rng = np.random.default_rng(seed)
    train, val = _validation(X, Y, W, model, loss_fn, validation_split, validation_data, rng)
    opt = optim.get(optimizer, params=model.parameters(), lr=lr, **optimizer_params) \
        if isinstance(optimizer, str) else optim.get(optimizer)
    history = History()
    trainer = Trainer(model, loss_fn, opt, history, l2)
    if threads == "auto":
        threads = 1 if _largest_product(model, min(batch_size, len(X))) < SMALL_PRODUCT else None
    with _blas_threads(threads):
        _Loop(trainer, train, val, callbacks, verbose).run(
            range(first_epoch, first_epoch + epochs), batch_size, shuffle, rng,
            early_stopping, patience, min_delta)
    return history


#: Multiply-adds below which a matrix product gains nothing from a second BLAS thread.
#: OpenBLAS itself stays on one thread below 2^18.  Measured on 2 cores: an epoch of
#: 64-128-128-10 at batch 32 (products of 2^19) takes the same time on one thread as
#: on two, for half the CPU time (the second thread spins); 64-20x128-10 at batch 128
#: (2^21) is 22% faster on two.
SMALL_PRODUCT = 2**20


def _largest_product(model: Sequential, batch_size: int) -> int:
    """Multiply-adds of a training step's largest matrix product: the batch size times
    the size of the largest weight matrix (its forward, dW and input-gradient products
    all have that many)."""
    return batch_size * max((p.value.size for p in model.parameters() if p.value.ndim == 2),
                            default=0)


def _blas_threads(threads: int | None) -> AbstractContextManager[Any]:
    """Limit the BLAS thread pools to ``threads`` inside the block (nothing for None)."""
    if threads is None:
        return nullcontext()
    return _blas_pools().limit(limits=int(threads))


_pools: tuple[int, Any] = (-1, None)


def _blas_pools() -> Any:
    """threadpoolctl's controller of the BLAS libraries in the process.  Building one
    scans every loaded library (about 2 ms with scikit-learn imported: more than a small
    fit), so it is kept, and built again only after new modules were imported."""
    global _pools
    if _pools[0] != len(sys.modules):
        from threadpoolctl import ThreadpoolController

        _pools = (len(sys.modules), ThreadpoolController().select(user_api="blas"))
    return _pools[1]


@dataclass
class _Rows:
    """Inputs, targets and (optional) sample weights of the same samples."""

    X: np.ndarray
    Y: np.ndarray
    W: np.ndarray | None = None

    def take(self, idx: np.ndarray) -> _Rows:
        return _Rows(self.X[idx], self.Y[idx], None if self.W is None else self.W[idx])


def _validation(X, Y, W, model, loss_fn, split, validation_data, rng
                ) -> tuple[_Rows, _Rows | None]:
    """The training rows and the validation rows (None without validation)."""
    rows = _Rows(X, Y, W)
    if validation_data is not None:
        if split:
            raise ValueError("give either validation_split or validation_data, not both")
        if not isinstance(validation_data, tuple | list) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be (X_val, y_val) or (X_val, y_val, "
                             f"w_val), got {type(validation_data).__name__}")
        X_val = data.check_X(validation_data[0], model.n_inputs, "X_val", model.dtype)
        Y_val = targets(model, loss_fn, validation_data[1], len(X_val), "y_val")
        W_val = None if len(validation_data) == 2 or validation_data[2] is None else \
            data.check_sample_weight(validation_data[2], len(X_val), "w_val")
        return rows, _Rows(X_val, Y_val, W_val)
    if not split:
        return rows, None
    n_val = int(round(split * len(X)))
    if n_val < 1 or n_val >= len(X):
        raise ValueError(f"validation_split={split} leaves {n_val} validation and "
                         f"{len(X) - n_val} training samples; both must be at least 1")
    order = rng.permutation(len(X))
    val, train = rows.take(order[:n_val]), rows.take(order[n_val:])
    for part, name in ((train, "the training part"), (val, "the validation part")):
        if part.W is not None and not part.W.any():
            raise ValueError(f"sample_weight is all zero on {name} of validation_split="
                             f"{split}; give those samples weight or use validation_data")
    return train, val


class _Loop:
    """The epoch/batch loop of one fit call, with its bookkeeping of the best weights."""

    def __init__(self, trainer: Trainer, train: _Rows, val: _Rows | None, callbacks,
                 verbose) -> None:
        self.trainer, self.X, self.Y, self.W = trainer, train.X, train.Y, train.W
        self.val = val
        self.callbacks, self.verbose = list(callbacks), verbose
        self.params = trainer.model.parameters()
        self.classification = _is_classification(trainer.loss)
        single_label = trainer.loss.target_kind == "labels"
        self.labels = self.Y.argmax(axis=1) if single_label else None  # once, not per step
        self.best_weights = self._snapshot()
        self.last_finite = self.best_weights  # fit checked that the initial ones are
        self.last_finite_epoch: int | None = None  # None: the initial weights

    def _snapshot(self) -> list[np.ndarray]:
        return [p.value.copy() for p in self.params]

    def _restore(self, weights: list[np.ndarray]) -> None:
        for p, w in zip(self.params, weights, strict=True):
            p.value[...] = w

    def run(self, epochs: range, batch_size, shuffle, rng, early_stopping, patience,
            min_delta):
        # A diverging run overflows; the guard below detects the non-finite loss or
        # weights and restores the last finite ones, so the warnings are not needed.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"), \
                self.trainer.model.workspace():
            self._run(epochs, batch_size, shuffle, rng, early_stopping, patience, min_delta)

    def _run(self, epochs, batch_size, shuffle, rng, early_stopping, patience, min_delta):
        trainer, history = self.trainer, self.trainer.history
        n_batches = -(-len(self.X) // batch_size)
        # one batch buffer each, reused every step (no per-step allocation of inputs)
        x_buffer = np.empty((min(batch_size, len(self.X)), self.X.shape[1]), self.X.dtype)
        y_buffer = np.empty((len(x_buffer), self.Y.shape[1]), self.Y.dtype)
        w_buffer = None if self.W is None else np.empty(len(x_buffer), self.W.dtype)
        count = _Correct(self.labels, len(x_buffer)) if self.classification else None
        best, waited = np.inf, 0
        progress = _Progress(len(epochs) * n_batches, self.verbose)
        for cb in self.callbacks:
            cb.on_train_begin(trainer)
        try:
            for epoch in epochs:
                start = time.perf_counter()
                trainer.optimizer.set_epoch(epoch)
                for cb in self.callbacks:
                    cb.on_epoch_begin(trainer, epoch)
                order = rng.permutation(len(self.X)) if shuffle else np.arange(len(self.X))
                total, correct, counted = 0.0, 0, 0
                for batch in range(n_batches):
                    idx = order[batch * batch_size:(batch + 1) * batch_size]
                    w = None if w_buffer is None else _gather(self.W, idx, w_buffer)
                    if w is not None and not w.any():
                        progress.advance(epoch, None)
                        continue  # all weights 0: no samples, no step
                    x = _gather(self.X, idx, x_buffer)
                    y = _gather(self.Y, idx, y_buffer)
                    value, a = trainer.step(x, y, w)
                    if not np.isfinite(value):
                        return self._diverged(epoch, batch)
                    for cb in self.callbacks:
                        cb.on_step_end(trainer, epoch, batch)
                    trainer.optimizer.step()
                    total += value * len(idx)
                    counted += len(idx)
                    if count is not None:
                        correct += count(a, y, idx)
                    progress.advance(epoch, value)
                logs = self._epoch_logs(epoch, total / counted, correct / counted, start)
                if not all(np.isfinite(p.value).all() for p in self.params):
                    return self._diverged(epoch, n_batches - 1)
                self.last_finite, self.last_finite_epoch = self._snapshot(), epoch
                history.epochs.append(logs)
                progress.epoch_done(logs)
                monitored = logs.get("val_loss", logs["loss"])
                if np.isfinite(monitored) and monitored < best - min_delta:
                    best, waited, history.best_epoch = monitored, 0, epoch
                    self.best_weights = self.last_finite
                else:
                    waited += 1
                for cb in self.callbacks:
                    cb.on_epoch_end(trainer, epoch, logs)
                if early_stopping and waited >= patience:
                    history.stop_reason = "early_stopping"
                    self._restore(self.best_weights)
                    break
                if trainer.stop:
                    history.stop_reason = "callback"
                    break
            if early_stopping:  # patience did not run out: still end with the best
                self._restore(self.best_weights)
        except KeyboardInterrupt:
            history.stop_reason = "interrupted"
            self._restore(self.best_weights)
        finally:
            progress.close()
            for cb in self.callbacks:
                cb.on_train_end(trainer)

    def _epoch_logs(self, epoch: int, train_loss: float, train_accuracy: float,
                    start: float) -> dict[str, float]:
        """Running means over the epoch's batches (as Keras reports), then validation."""
        logs = {"epoch": epoch, "loss": train_loss, "lr": self.trainer.optimizer.lr}
        if self.classification:
            logs["accuracy"] = train_accuracy
        if self.val is not None:
            weighted = () if self.val.W is None else (self.val.W,)
            for key, value in self.trainer.evaluate(self.val.X, self.val.Y, *weighted).items():
                logs[f"val_{key}"] = value
        logs["time"] = time.perf_counter() - start
        return logs

    def _diverged(self, epoch: int, batch: int) -> None:
        history = self.trainer.history
        history.stop_reason = "diverged"
        restored = ("the initial weights" if self.last_finite_epoch is None else
                    f"the weights of epoch {self.last_finite_epoch}")
        history.divergence = {"epoch": epoch, "batch": batch,
                              "layer": _locate_non_finite(self.trainer.model),
                              "restored": restored}
        self._restore(self.last_finite)
        if self.verbose:
            print(f"diverged at epoch {epoch}, batch {batch}, layer "
                  f"{printable(history.divergence['layer'])}: restored {restored}, the last "
                  f"finite ones (try a smaller learning rate or gradient clipping)")


def _gather(rows: np.ndarray, idx: np.ndarray, buffer: np.ndarray) -> np.ndarray:
    """``rows[idx]`` written into the leading ``len(idx)`` rows of ``buffer``.

    ``idx`` comes from a permutation, so every index is valid: ``mode="clip"`` spares
    the copy of the whole output that ``take`` makes with its default ``mode="raise"``.
    """
    return np.take(rows, idx, axis=0, out=buffer[:len(idx)], mode="clip")


class _Correct:
    """Correct predictions of a batch, as :func:`n_correct`, without per-step allocation:
    for single-label targets the true classes are ``labels`` (arg-max of the targets,
    taken once per fit) gathered by the batch's indices."""

    def __init__(self, labels: np.ndarray | None, batch_size: int) -> None:
        self.labels = labels
        self.true = np.empty(batch_size, np.intp)
        self.predicted = np.empty(batch_size, np.intp)
        self.hit = np.empty(batch_size, bool)

    def __call__(self, a: np.ndarray, y: np.ndarray, idx: np.ndarray) -> int:
        if self.labels is None:
            return n_correct(a, y, single_label=False)
        n = len(idx)
        true = _gather(self.labels, idx, self.true)
        predicted = np.argmax(a, axis=1, out=self.predicted[:n])
        return int(np.count_nonzero(np.equal(predicted, true, out=self.hit[:n])))


class _Progress:
    """A rich progress bar over all steps of a fit, or nothing when quiet."""

    def __init__(self, total: int, verbose: bool) -> None:
        self.bar = None
        if verbose:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                TextColumn("{task.completed}/{task.total}"),
                                TimeRemainingColumn(), TextColumn("{task.fields[status]}"))
            self.task = self.bar.add_task("training", total=total, status="")
            self.bar.start()

    def advance(self, epoch: int, loss: float | None) -> None:
        """One step done (``loss`` None for a skipped batch: the status is kept)."""
        if self.bar is not None:
            status = {} if loss is None else {"status": f"loss {loss:.4f}"}
            self.bar.update(self.task, advance=1, description=f"epoch {epoch + 1}", **status)

    def epoch_done(self, logs: dict[str, float]) -> None:
        if self.bar is not None:
            shown = "  ".join(f"{k} {v:.4f}" for k, v in logs.items()
                              if k not in ("epoch", "time", "lr"))
            self.bar.console.print(f"epoch {int(logs['epoch']) + 1}: {shown}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
