"""One page's training session: the network, its training thread and the frames it sends.

The engine does all the work: the network is :func:`neuronlab.network.MLP`, a step
is :meth:`neuronlab.train.Trainer.step` followed by the optimizer's ``step``, the
per-layer statistics and verdicts come from :mod:`neuronlab.diagnostics`, and the
step-through of one sample reads the layers' own caches and backward passes.

Threads
-------
Training runs in a thread of its own, which owns every array: the page's commands
reach it through a queue, and what it produces leaves through two doors that never
wait for the page.  *Messages* (the model's layout, a step-through, an error) are
queued and all delivered; *frames* (the state while training) are overwritten: the
page gets the latest one whenever it is ready for one, so a slow page skips frames
and never slows training.  While playing, a frame is built every ``1 / FPS`` seconds
of wall time; between frames the thread trains as fast as it can (or at the speed
the page asked for).

Frames
------
A frame is one JSON text.  Small things are plain JSON (losses, per-layer norms,
verdicts, flags, histograms); arrays are base64 strings of little-endian float32
(weights, weight gradients, per-unit delta), and the per-unit output maps, which
only feed colours, are base64 uint8 (0..255 for -scale..scale, one scale per layer):
for 6 hidden layers of 8 units a frame is about 190 kB.
"""

from __future__ import annotations

import base64
import json
import math
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from neuronlab import activations, diagnostics, formula, losses, optim
from neuronlab import train as training
from neuronlab.layers import Activation, Dense
from neuronlab.network import MLP, Sequential
from neuronlab.playground import datasets
from neuronlab.playground.schema import MessageError, defaults

FPS = 30
"""Frames per second while training."""

HISTORY = 300
"""Points kept of the loss and gradient-norm curves (halved by dropping every other
point when full, so the whole run stays visible)."""

Z_RANGE = 6.0
"""The activation plots and the pre-activation histograms span z in [-Z_RANGE, Z_RANGE]."""

CURVE_POINTS = 121
HIST_BINS = 40

LIVE = ("lr", "l2", "speed")
"""Fields a new configuration may change without starting over (as in TensorFlow
Playground, the learning rate is turned while training runs)."""

DIAGNOSE_EVERY = 5
"""While playing, the verdicts and the dead/saturated flags are renewed every 5th frame
(6 times a second): they are half a frame's cost and change slowly."""


def encode(array: np.ndarray, dtype: Any = np.float32) -> str:
    """An array as base64 of its little-endian bytes (the page decodes it in one call)."""
    return base64.b64encode(np.ascontiguousarray(array, np.dtype(dtype).newbyteorder("<"))
                            .tobytes()).decode("ascii")


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _histogram(z: np.ndarray) -> list[int]:
    """Counts of ``z`` in HIST_BINS equal bins over [-Z_RANGE, Z_RANGE]; values beyond
    count in the end bins, non-finite ones not at all."""
    z = z[np.isfinite(z)]
    idx = ((np.clip(z, -Z_RANGE, Z_RANGE) + Z_RANGE) * (HIST_BINS / (2 * Z_RANGE))).astype(int)
    return np.bincount(np.minimum(idx, HIST_BINS - 1), minlength=HIST_BINS).tolist()


class Session:
    """The training state of one page.

    Parameters
    ----------
    notify : callable
        Called from the training thread whenever a message or frame is waiting; it
        must return at once (the server sets an event in its loop).
    """

    def __init__(self, notify: Callable[[], None]) -> None:
        self.notify = notify
        self.commands: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._messages: list[str] = []
        self._frame: str | None = None
        self._lock = threading.Lock()
        self.frames_built = 0
        self.csv: tuple[np.ndarray, np.ndarray, bool] | None = None
        self.model: Sequential | None = None
        self.playing = False
        self.thread = threading.Thread(target=self._run, name="neuronlab-playground",
                                       daemon=True)
        self.thread.start()

    # -- the server's side ------------------------------------------------------------
    def submit(self, message: dict[str, Any]) -> None:
        """A validated message from the page (see :func:`schema.parse_message`)."""
        self.commands.put(message)

    def take(self) -> tuple[list[str], str | None]:
        """The waiting messages (all) and the latest frame (or None), emptied."""
        with self._lock:
            messages, frame = self._messages, self._frame
            self._messages, self._frame = [], None
        return messages, frame

    def close(self) -> None:
        self.commands.put(None)

    def error(self, text: str) -> None:
        self._send({"type": "error", "message": text})

    # -- the training thread ----------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        text = json.dumps(message, allow_nan=False)
        with self._lock:
            self._messages.append(text)
        self.notify()

    def _publish_frame(self) -> None:
        diagnose = not self.playing or self.frames_built % DIAGNOSE_EVERY == 0
        text = json.dumps(self.frame(diagnose), allow_nan=False)
        with self._lock:
            self._frame = text
        self.frames_built += 1
        self.notify()

    def _run(self) -> None:
        next_step = next_frame = time.perf_counter()
        while True:
            if not self.playing:
                command = self.commands.get()
            else:
                wait = 0.0 if not self.speed else min(next_step, next_frame) - time.perf_counter()
                try:
                    command = self.commands.get(timeout=wait) if wait > 0 else \
                        self.commands.get_nowait()
                except queue.Empty:
                    command = {}
            if command is None:
                return
            if command:
                was_playing = self.playing
                self._guarded(self._handle, command)
                if self.playing and not was_playing:
                    next_step = next_frame = time.perf_counter()
                continue
            now = time.perf_counter()
            if not self.speed or now >= next_step:
                next_step = max(next_step + 1.0 / self.speed, now) if self.speed else now
                if not self._guarded(self._train_step):
                    self._guarded(self._publish_frame)  # show where it stopped
            if self.playing and now >= next_frame:
                # a steady rate on average: a late frame is made up by the next one,
                # unless more than a frame behind (then the schedule starts from now)
                next_frame = max(next_frame + 1.0 / FPS, now - 1.0 / FPS)
                self._guarded(self._publish_frame)

    def _guarded(self, action: Callable[..., None], *args: Any) -> bool:
        """Run ``action``; on an error pause and tell the page (the session goes on)."""
        try:
            action(*args)
        except MessageError as exc:
            self.playing = False
            self.error(str(exc))
            return False
        except Exception as exc:  # noqa: BLE001 - nothing may end the session's thread
            self.playing = False
            self.error(f"{type(exc).__name__}: {exc}")
            return False
        return True

    def _handle(self, command: dict[str, Any]) -> None:
        kind = command["type"]
        if kind == "csv":
            self.csv = datasets.read_csv(command["text"])
            self._send({"type": "csv", "rows": len(self.csv[0]),
                        "regression": self.csv[2]})
            if self.model is not None and self.config["dataset"] == "csv":
                self.playing = False  # training on the previous CSV: start on this one
                self.build(self.config)
            return
        if kind == "config":
            config = command["config"]
            if self.model is not None and all(config[name] == self.config[name]
                                              for name in config if name not in LIVE):
                self.tune(config)
            else:
                self.playing = False
                self.build(config)
            return
        if self.model is None:
            self.build(defaults())
        if kind == "play":
            self.playing = True
        elif kind == "pause":
            self.playing = False
            self._publish_frame()
        elif kind == "step":
            self.playing = False
            self._train_step()
            self._publish_frame()
        elif kind == "reset":
            self.playing = False
            self.build(self.config)
        elif kind == "trace":
            self.playing = False
            self._send(self.trace(command["sample"]))

    # -- building -----------------------------------------------------------------------
    def build(self, config: dict[str, Any]) -> None:
        """A fresh network and data for ``config`` (validated by the schema); sends the
        model's layout and a first frame.  On a refused formula or a CSV-less csv data
        set nothing changes and a MessageError says why."""
        for i, layer in enumerate(config["layers"], start=1):
            name = layer["activation"]
            if name in activations.REGISTRY and activations.REGISTRY.template_hint(name):
                raise MessageError(f"hidden layer {i}: {name!r} names no activation by "
                                   f"itself: choose 'formula…' and write one, such as "
                                   f"x * tanh(x)")
            if name not in activations.REGISTRY:
                try:
                    fn = formula.from_formula(name)
                except formula.FormulaError as exc:
                    raise MessageError(f"hidden layer {i}: {exc}") from None
                if not fn.elementwise:
                    raise MessageError(f"hidden layer {i}: {name!r} is not elementwise")
        if config["dataset"] == "csv":
            if self.csv is None:
                raise MessageError("no CSV uploaded yet: choose a file (x1, x2, label per "
                                   "line) first")
            points, targets, regression = self.csv
        else:
            regression = config["dataset"] == "plane"
            points, targets = datasets.generate(config["dataset"], config["samples"],
                                                config["noise"], config["seed"])
        split = datasets.split(points, targets, config["train_ratio"], config["seed"],
                               regression)
        names = config["features"]
        widths = [layer["width"] for layer in config["layers"]]
        output = None if regression else config["output"]
        model = MLP([len(names), *widths, 2 if output == "softmax" else 1],
                    activation=[layer["activation"] for layer in config["layers"]],
                    output=output, init=config["init"], dropout=config["dropout"],
                    seed=config["seed"])
        loss = losses.get(training.default_loss(model))
        optimizer = optim.get(config["optimizer"], params=model.parameters(), lr=config["lr"])
        self.config, self.split, self.model, self.loss = config, split, model, loss
        self.trainer = training.Trainer(model, loss, optimizer, training.History(), config["l2"])
        self.X_train = datasets.features(split.train, names)
        self.X_test = datasets.features(split.test, names)
        self.Y_train = training.targets(model, loss, split.y_train, len(split.y_train))
        self.Y_test = training.targets(model, loss, split.y_test, len(split.y_test))
        self.X_grid = datasets.features(datasets.grid(), names)
        self.rng = np.random.default_rng(config["seed"] + 2)
        self.order, self.cursor = self.rng.permutation(len(self.X_train)), 0
        self.speed = config["speed"]
        self.steps = 0
        self.diagnosis: list[dict[str, Any]] | None = None
        self.curve: list[list[float | None]] = []  # [step, train loss, test loss, *||dW||]
        self.weights = [layer for layer in model.layers if isinstance(layer, Dense)]
        self.activations = [model.layers[i + 1] if i + 1 < len(model.layers) and
                            isinstance(model.layers[i + 1], Activation) else None
                            for i, layer in enumerate(model.layers) if isinstance(layer, Dense)]
        self._send(self.layout())
        self._publish_frame()

    def tune(self, config: dict[str, Any]) -> None:
        """Apply a change of the ``LIVE`` fields only (learning rate, L2, speed) to the
        running session: the weights, the optimizer's state and the step count stay."""
        optimizer = self.trainer.optimizer
        optimizer.base_lr = optimizer.lr = config["lr"]
        self.trainer.l2 = config["l2"]
        self.speed = config["speed"]
        self.config = config
        self._send({"type": "config", "config": config})

    def layout(self) -> dict[str, Any]:
        """What does not change while training: the layers, the data, the curves g, g'."""
        z = np.linspace(-Z_RANGE, Z_RANGE, CURVE_POINTS)
        curves = []
        for act in self.activations[:-1]:
            a = act.fn.forward(z)
            curves.append({"name": getattr(act.fn, "display_name", act.fn.name),
                           "g": np.round(a, 5).tolist(),
                           "dg": np.round(act.fn.derivative(z, a), 5).tolist()})
        split = self.split
        feature_maps = [self._colour(column[:, None]) for column in self.X_grid.T]
        output = self.model.output_activation
        return {"type": "layout", "config": self.config,
                "output": output.name if output is not None else "identity",
                "features": self.config["features"],
                "widths": [layer.fan_out for layer in self.weights],
                "regression": split.regression, "domain": datasets.DOMAIN,
                "grid": datasets.GRID, "z_range": Z_RANGE, "curves": curves,
                "hist_bins": HIST_BINS,
                "train": {"points": encode(split.train), "y": encode(split.y_train)},
                "test": {"points": encode(split.test), "y": encode(split.y_test)},
                "feature_maps": [encode(colours, np.uint8) for colours, _ in feature_maps],
                "feature_scales": [scale for _, scale in feature_maps]}

    # -- training -----------------------------------------------------------------------
    def _train_step(self) -> None:
        """One mini-batch step of gradient descent (the next batch of a seeded
        permutation, a new one each epoch)."""
        batch = self.config["batch_size"]
        if self.cursor >= len(self.order):
            self.order, self.cursor = self.rng.permutation(len(self.X_train)), 0
        idx = self.order[self.cursor:self.cursor + batch]
        self.cursor += batch
        with np.errstate(all="ignore"):  # overflow shows as a non-finite loss, said below
            value, _ = self.trainer.step(self.X_train[idx], self.Y_train[idx])
            if math.isfinite(value):
                self.trainer.optimizer.step()
        if not math.isfinite(value):
            self.playing = False
            raise MessageError(f"training diverged at step {self.steps + 1} (the loss is "
                               f"{value}): lower the learning rate and press reset")
        self.steps += 1

    # -- the frame --------------------------------------------------------------------
    def frame(self, diagnose: bool = True) -> dict[str, Any]:
        """The state now: losses, gradients and deltas on the training set, verdicts,
        flags, histograms, weights and every unit's output map.

        ``diagnose=False`` reuses the last verdicts and dead/saturated flags (while
        playing they are renewed every ``DIAGNOSE_EVERY`` frames: two of the frame's
        four passes over the data).
        """
        model, X, Y = self.model, self.X_train, self.Y_train
        with np.errstate(all="ignore"):
            if diagnose or self.diagnosis is None:
                self.diagnosis = self._diagnose()
            train_loss, _ = training.backprop(model, self.loss, X, Y, training=False,
                                              fused=self.trainer.fused)
            layers = []
            for dense, act, found in zip(self.weights, self.activations, self.diagnosis,
                                         strict=True):
                delta = dense.delta * len(X)  # dJ/dz of each sample's own loss
                layer = {"W": encode(dense.W.value), "b": encode(dense.b.value),
                         "dW": encode(dense.W.grad),
                         "grad_norm": _finite(float(np.linalg.norm(dense.W.grad))),
                         "delta": encode(np.sqrt(np.mean(delta * delta, axis=0))), **found}
                if act is not None and act is not model.layers[-1]:
                    layer["z_hist"] = _histogram(act.z)
                layers.append(layer)
            test_loss = float(self.loss.value(model.predict(self.X_test), self.Y_test))
            output = model.forward(self.X_grid)  # caches every unit's map over the grid
            maps, scales = [], []
            for dense, act in zip(self.weights[:-1], self.activations[:-1], strict=True):
                colours, scale = self._colour(act.a if act is not None else dense.a_prev)
                maps.append(encode(colours, np.uint8))
                scales.append(scale)
            # per output unit: the value (regression) or its probability, [0, 1] -> [-1, 1]
            units = output if self.split.regression else 2 * output - 1
            unit_colours, _ = self._colour(units, 1.0)
            colours = unit_colours[-1]  # the surface: the value, or p of class 1
        self._remember(train_loss, test_loss, [layer["grad_norm"] for layer in layers])
        return {"type": "frame", "frame": self.frames_built, "step": self.steps,
                "epoch": self.steps * self.config["batch_size"] / len(X),
                "playing": self.playing,
                "loss": {"train": _finite(train_loss), "test": _finite(test_loss)},
                "curve": self.curve, "layers": layers, "maps": maps, "map_scales": scales,
                "output": encode(colours, np.uint8),
                "output_units": encode(unit_colours, np.uint8)}

    def _diagnose(self) -> list[dict[str, Any]]:
        """Per layer: the diagnostics' verdict and remedy, and which units are dead or
        saturated, on the training set."""
        model, X, Y = self.model, self.X_train, self.Y_train
        judged = diagnostics.verdicts(diagnostics.layer_statistics(model, X, Y, self.loss))
        flags = diagnostics.unit_flags(model, X, Y, self.loss)
        return [{"dead": flag["dead"].tolist(), "saturated": flag["saturated"].tolist(),
                 "status": verdict.status, "reason": verdict.reason, "remedy": verdict.remedy}
                for verdict, flag in zip(judged, flags, strict=True)]

    @staticmethod
    def _colour(values: np.ndarray, scale: float | None = None) -> tuple[np.ndarray, float]:
        """Maps of shape (units, GRID * GRID) as uint8 (0: -scale, 255: +scale); the
        scale is the largest |value| unless given."""
        values = np.nan_to_num(np.asarray(values, dtype=np.float32).T)
        if scale is None:
            scale = float(np.abs(values).max()) or 1.0
        q = np.clip(np.rint((values / scale + 1.0) * 127.5), 0, 255).astype(np.uint8)
        return q, scale

    def _remember(self, train_loss: float, test_loss: float,
                  norms: list[float | None]) -> None:
        point = [self.steps, _finite(train_loss), _finite(test_loss), *norms]
        if self.curve and self.curve[-1][0] == self.steps:
            self.curve[-1] = point
        else:
            self.curve.append(point)
        if len(self.curve) > HISTORY:  # every other point, the newest kept
            self.curve = self.curve[::-2][::-1]

    # -- one sample, step by step -----------------------------------------------------
    def trace(self, sample: int) -> dict[str, Any]:
        """The lecture's numbers for training sample ``sample``: the forward pass layer
        by layer (``a_prev``, ``z``, ``a``), the loss, and the backward pass (``e``,
        ``delta``, ``dW``, ``db``), each as the engine computes it for this one sample
        in inference mode (no dropout, no L2 term; the weights are not changed).

        ``e = dJ/da`` is what reaches each activation layer's ``backward``, recorded
        on the way down; ``delta = dJ/dz`` and ``dW``, ``db`` are the Dense layer's own
        cache and gradients.  With a sigmoid output and binary cross-entropy, or a
        softmax output and cross-entropy, the gradient enters at the logits
        (``delta = a - y``), as in training, so the output layer has no ``e``.
        ``output`` is the network's value (regression) or its probability of class 1
        (the last output unit).
        """
        if not 0 <= sample < len(self.X_train):
            raise MessageError(f"sample must be between 0 and {len(self.X_train) - 1} (a "
                               f"training point), got {sample}")
        model = self.model
        x, y = self.X_train[sample:sample + 1], self.Y_train[sample:sample + 1]
        a_out = model.forward(x)
        fused, last = self.trainer.fused, model.layers[-1]
        if fused is not None:
            value, grad = fused.value_and_gradient(last.z, y)
            layers = model.layers[:-1]
        else:
            value, grad = self.loss.value_and_gradient(a_out, y)
            layers = model.layers
        arriving: dict[int, np.ndarray] = {}
        for i in range(len(layers) - 1, -1, -1):
            arriving[i] = grad
            grad = layers[i].backward(grad)
        out = []
        for dense, act in zip(self.weights, self.activations, strict=True):
            if act is not None:  # a hidden layer, or the sigmoid or softmax output
                z, a = act.z, act.a
                e = arriving.get(model.layers.index(act))  # None where the loss is fused
            else:  # a linear output (regression): a = z, and e = dJ/da = delta
                z = a = a_out
                e = dense.delta
            out.append({"a_prev": dense.a_prev[0].tolist(), "z": z[0].tolist(),
                        "a": a[0].tolist(), "e": None if e is None else e[0].tolist(),
                        "delta": dense.delta[0].tolist(), "W": dense.W.value.tolist(),
                        "dW": dense.W.grad.tolist(), "db": dense.b.grad.tolist()})
        return {"type": "trace", "sample": sample,
                "point": self.split.train[sample].tolist(),
                "target": float(self.split.y_train[sample]),
                "output": float(a_out[0, -1]), "loss": float(value),
                "loss_name": self.loss.name, "fused": fused is not None, "layers": out}
