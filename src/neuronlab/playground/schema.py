"""What the page may send, and the checks every message passes before it is used.

One table, :data:`FIELDS`, describes the configuration (type, range or choices,
default); it drives the validation here, the page's controls (served by
``/api/options``) and the URL the page keeps the configuration in.  A message is a
JSON object with a ``type`` and, per type, a fixed set of fields: anything else is
refused with a :class:`MessageError` that names the field, what was received and
what is allowed.  The page shows that text.

Sizes are capped so that no message can make the server allocate much or work
long: at most :data:`MAX_LAYERS` hidden layers of :data:`MAX_WIDTH` units, a CSV of
:data:`MAX_CSV_BYTES` bytes and :data:`MAX_CSV_ROWS` rows, a formula of
:data:`MAX_FORMULA_LENGTH` characters (the formula parser applies its own limits on
top), a message of :data:`MAX_MESSAGE_BYTES` bytes.  Softmax-like activations are
refused in hidden layers (:func:`output_only` says why) and offered as the output.

Examples
--------
>>> config = validate_config({"dataset": "xor", "layers": [{"width": 4,
...                                                         "activation": "tanh"}]})
>>> config["dataset"], config["layers"], config["lr"]
('xor', [{'width': 4, 'activation': 'tanh'}], 0.03)
>>> validate_config({"dataset": "xor", "colour": "red"})
Traceback (most recent call last):
...
neuronlab.playground.schema.MessageError: unknown field 'colour' in config; known fields: ...
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from neuronlab import activations, init, optim
from neuronlab._suggest import closest

MAX_LAYERS = 8
MAX_WIDTH = 16
MAX_FORMULA_LENGTH = 200
MAX_CSV_BYTES = 256 * 1024
MAX_CSV_ROWS = 5000
MAX_MESSAGE_BYTES = 2 * MAX_CSV_BYTES  # a CSV in a JSON string, escapes included
MAX_CSV_LINK_CHARS = 16 * 1024
"""An uploaded CSV travels in the page's link (deflate, then base64) up to this many
characters: about 1400 rows of numbers with six decimals, 2000 with three.  Links of
16 kB pass through browsers, chat and mail; a larger CSV is left out of the link and
the page says so (the settings still travel)."""

DATASETS = ("circles", "xor", "gaussian", "spirals", "moons", "plane", "csv")
"""The 2-D data sets; ``plane`` is a regression (a tilted plane), ``csv`` the upload."""

FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
"""The input features the network may see, each computed from the point (x1, x2)."""

SPEEDS = (1, 3, 10, 30, 100, 300, 1000, 0)
"""Training steps per second the page may ask for; 0 trains as fast as it can."""


class MessageError(ValueError):
    """A message from the page was refused; the text says what to change."""


@dataclass(frozen=True)
class Field:
    """One configuration field: its kind, its default and what it accepts."""

    kind: str  # "int", "float", "choice", "features", "layers"
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    help: str = ""

    def options(self) -> dict[str, Any]:
        """The field as the page's controls need it (JSON)."""
        out: dict[str, Any] = {"kind": self.kind, "default": self.default, "help": self.help}
        if self.low is not None:
            out["low"], out["high"] = self.low, self.high
        if self.choices:
            out["choices"] = list(self.choices)
        return out


def _activation_choices() -> tuple[str, ...]:
    """Every registered elementwise activation built from its name alone (softmax-like
    ones couple the units of a layer and have no per-unit curve g'(z) to draw; the
    template "formula" needs its expression: the page's "formula…" entry gives it)."""
    registry = activations.REGISTRY
    return tuple(name for name in registry.standalone_names() if registry.cls(name).elementwise)


def output_only() -> dict[str, str]:
    """The registered activations refused in hidden layers, each with the reason the page
    shows: they are vector-valued (softmax, log-softmax), so they belong at the output.

    >>> print(output_only()["softmax"])
    softmax couples the units of a layer: each output depends on every z of the layer \
and the outputs sum to 1, so there is no curve g′(z) per unit. It belongs at the output, \
where softmax gives the probability of each class: choose the output softmax.
    """
    return {name: (f"{name} couples the units of a layer: each output depends on every z "
                   f"of the layer and the outputs sum to 1, so there is no curve g′(z) per "
                   f"unit. It belongs at the output, where softmax gives the probability "
                   f"of each class: choose the output softmax.")
            for name in activations.REGISTRY.standalone_names()
            if not activations.REGISTRY.cls(name).elementwise}


OUTPUTS = ("sigmoid", "softmax")
"""The output layer of a classification, each paired with its cross-entropy
(:func:`neuronlab.train.default_loss`) and trained on the logits: one sigmoid unit, the
probability of class 1; or two softmax units, the probability of each class.  A
regression's output is linear whatever this says (its loss is MSE)."""


FIELDS: dict[str, Field] = {
    "dataset": Field("choice", "circles", choices=DATASETS, help="the 2-D data set"),
    "noise": Field("float", 0.1, 0.0, 0.5, help="noise added to the points"),
    "samples": Field("int", 400, 50, 2000, help="points generated"),
    "train_ratio": Field("float", 0.5, 0.1, 0.9, help="fraction of the points trained on"),
    "features": Field("features", ["x1", "x2"], choices=FEATURES, help="input features"),
    "layers": Field("layers", [{"width": 4, "activation": "tanh"},
                               {"width": 2, "activation": "tanh"}],
                    0, MAX_LAYERS, help="hidden layers: width and activation each"),
    "output": Field("choice", "sigmoid", choices=OUTPUTS,
                    help="the output layer of a classification: one sigmoid unit "
                         "(p of class 1) or two softmax units (p of each class); a "
                         "regression's output is linear"),
    "init": Field("choice", "auto", choices=("auto", *init.names()),
                  help="weight initializer ('auto': the gain of each layer's activation)"),
    "optimizer": Field("choice", "sgd", choices=tuple(optim.names()), help="optimizer"),
    "lr": Field("float", 0.03, 1e-6, 10.0, help="learning rate"),
    "batch_size": Field("int", 10, 1, 512, help="samples per step"),
    "l2": Field("float", 0.0, 0.0, 1.0, help="L2 penalty on the weights"),
    "dropout": Field("float", 0.0, 0.0, 0.9, help="dropout rate after each hidden layer"),
    "seed": Field("int", 0, 0, 2**31 - 1, help="seed of the data, weights and batches"),
    "speed": Field("choice", 0, choices=SPEEDS, help="steps per second (0: as fast as it can)"),
}


def options() -> dict[str, Any]:
    """Everything the page builds its controls from: fields, activations, caps."""
    return {"fields": {name: field.options() for name, field in FIELDS.items()},
            "activations": list(_activation_choices()), "output_only": output_only(),
            "limits": {"layers": MAX_LAYERS, "width": MAX_WIDTH,
                       "formula_length": MAX_FORMULA_LENGTH, "csv_bytes": MAX_CSV_BYTES,
                       "csv_rows": MAX_CSV_ROWS, "csv_link_chars": MAX_CSV_LINK_CHARS}}


def defaults() -> dict[str, Any]:
    return json.loads(json.dumps({name: field.default for name, field in FIELDS.items()}))


# -- messages ---------------------------------------------------------------------------

MESSAGES: dict[str, tuple[str, ...]] = {
    "config": ("config",),
    "play": (),
    "pause": (),
    "step": (),
    "reset": (),
    "trace": ("sample",),
    "csv": ("text",),
}
"""Message types the page may send, with their fields (besides ``type``)."""


def parse_message(text: str | bytes) -> dict[str, Any]:
    """A message from the page as a checked dict, or :class:`MessageError`.

    ``config`` messages come back with a complete, validated configuration;
    ``trace`` with an integer ``sample``; ``csv`` with its ``text`` (its content is
    checked where it is read, :func:`neuronlab.playground.datasets.read_csv`).

    >>> parse_message('{"type": "play"}')
    {'type': 'play'}
    >>> parse_message('{"type": "jump"}')
    Traceback (most recent call last):
    ...
    neuronlab.playground.schema.MessageError: unknown message type 'jump'; known: config, \
play, pause, step, reset, trace, csv
    """
    if len(text) > MAX_MESSAGE_BYTES:
        raise MessageError(f"message of {len(text)} bytes refused: at most "
                           f"{MAX_MESSAGE_BYTES} bytes (a CSV of at most {MAX_CSV_BYTES} bytes)")
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        raise MessageError("message is not valid JSON") from None
    if not isinstance(message, dict):
        raise MessageError(f"message must be a JSON object, got {type(message).__name__}")
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in MESSAGES:
        raise MessageError(f"unknown message type {kind!r}; known: {', '.join(MESSAGES)}")
    _known_only(message, ("type", *MESSAGES[kind]), f"a {kind!r} message")
    missing = [name for name in MESSAGES[kind] if name not in message]
    if missing:
        raise MessageError(f"a {kind!r} message needs the field {missing[0]!r}")
    if kind == "config":
        return {"type": kind, "config": validate_config(message["config"])}
    if kind == "trace":
        return {"type": kind, "sample": _integer("sample", message["sample"], 0, 10**6)}
    if kind == "csv":
        text = message["text"]
        if not isinstance(text, str):
            raise MessageError(f"csv text must be a string, got {type(text).__name__}")
        if len(text.encode()) > MAX_CSV_BYTES:
            raise MessageError(f"CSV file of {len(text.encode())} bytes refused: at most "
                               f"{MAX_CSV_BYTES} bytes ({MAX_CSV_ROWS} rows)")
        return {"type": kind, "text": text}
    return {"type": kind}


def validate_config(config: Any) -> dict[str, Any]:
    """A complete configuration: the given fields checked, the others at their default."""
    if not isinstance(config, dict):
        raise MessageError(f"config must be a JSON object, got {type(config).__name__}")
    _known_only(config, tuple(FIELDS), "config")
    out = defaults()
    for name, value in config.items():
        out[name] = _check(name, FIELDS[name], value)
    return out


def _known_only(obj: dict[str, Any], known: tuple[str, ...], where: str) -> None:
    for key in obj:
        if key not in known:
            close = closest(key, known)
            hint = f" (did you mean {close!r}?)" if close else ""
            raise MessageError(f"unknown field {str(key)[:40]!r} in {where}{hint}; known "
                               f"fields: {', '.join(known) or 'none'}")


def _check(name: str, field: Field, value: Any) -> Any:
    if field.kind == "int":
        return _integer(name, value, field.low, field.high)
    if field.kind == "float":
        return _number(name, value, field.low, field.high)
    if field.kind == "choice":
        if isinstance(value, bool) or value not in field.choices:
            allowed = ", ".join(str(c) for c in field.choices)
            raise MessageError(f"{name} must be one of {allowed}; got {_show(value)}")
        return value
    if field.kind == "features":
        return _features(value)
    return _layers(value)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _integer(name: str, value: Any, low: float | None, high: float | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MessageError(f"{name} must be an integer, got {_show(value)}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise MessageError(f"{name} must be between {low:g} and {high:g}, got {value}")
    return value


def _number(name: str, value: Any, low: float | None, high: float | None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MessageError(f"{name} must be a number, got {_show(value)}")
    if not math.isfinite(value) or (low is not None and value < low) or \
            (high is not None and value > high):
        raise MessageError(f"{name} must be between {low:g} and {high:g}, got {value}")
    return float(value)


def _features(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > len(FEATURES):
        raise MessageError(f"features must be a non-empty list of {', '.join(FEATURES)}")
    for feature in value:
        if feature not in FEATURES:
            raise MessageError(f"unknown feature {_show(feature)}; known: {', '.join(FEATURES)}")
    if len(set(value)) != len(value):
        raise MessageError("features must not repeat")
    return [f for f in FEATURES if f in value]  # the canonical order


def _layers(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or len(value) > MAX_LAYERS:
        raise MessageError(f"layers must be a list of at most {MAX_LAYERS} hidden layers")
    out = []
    for i, layer in enumerate(value, start=1):
        if not isinstance(layer, dict):
            raise MessageError(f"hidden layer {i} must be an object with width and activation")
        _known_only(layer, ("width", "activation"), f"hidden layer {i}")
        width = _integer(f"the width of hidden layer {i}", layer.get("width"), 1, MAX_WIDTH)
        activation = layer.get("activation")
        if not isinstance(activation, str) or not activation.strip():
            raise MessageError(f"the activation of hidden layer {i} must be a name or a "
                               f"formula in x")
        refused = output_only().get(activation.strip())
        if refused:
            raise MessageError(f"hidden layer {i}: {refused}")
        if len(activation) > MAX_FORMULA_LENGTH:
            raise MessageError(f"the formula of hidden layer {i} has {len(activation)} "
                               f"characters: at most {MAX_FORMULA_LENGTH}")
        out.append({"width": width, "activation": activation.strip()})
    return out
