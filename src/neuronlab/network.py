"""Networks: a ``Sequential`` stack of layers and the one-line ``MLP`` builder."""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from neuronlab import activations, data, meanfield
from neuronlab._validate import check_integer, check_real, check_seed
from neuronlab.init import VarianceScaling
from neuronlab.layers import LAYERS, Activation, Dense, Dropout, Layer, Maxout
from neuronlab.parameter import Parameter


class Sequential:
    """Layers applied in order; backward runs them in reverse (the delta rule).

    Parameters
    ----------
    layers : sequence of Layer
    dtype : the floating dtype inputs are cast to (float32 by default).

    Examples
    --------
    >>> net = Sequential([Dense(2, 3, seed=0), Activation("tanh"), Dense(3, 1, seed=1)])
    >>> net.forward(np.zeros((4, 2))).shape
    (4, 1)
    """

    def __init__(self, layers: Sequence[Layer], dtype: Any = np.float32) -> None:
        if not layers:
            raise ValueError("a network needs at least one layer")
        self.layers = list(layers)
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise TypeError(f"network dtype must be a floating type, got {self.dtype}")
        self.n_inputs = self._check_widths()

    def _check_widths(self) -> int:
        """The input width, after checking each layer accepts its predecessor's output."""
        widths = [layer.input_width for layer in self.layers]
        first = next((i for i, w in enumerate(widths) if w is not None), None)
        if first is None:
            raise ValueError("a network needs a layer with a fixed input width (Dense, Maxout)")
        width = widths[first]
        for layer in self.layers[first:]:
            if layer.input_width not in (None, width):
                raise ValueError(f"layer {layer!r} expects {layer.input_width} inputs but the "
                                 f"layer before it gives {width}")
            width = layer.output_width(width)
        return widths[first]

    # -- the passes -----------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Run every layer; each caches what its backward pass needs."""
        a = np.asarray(x, dtype=self.dtype)
        for layer in self.layers:
            a = layer.forward(a, training)
        return a

    def backward(self, grad: np.ndarray, skip_output_activation: bool = False) -> None:
        """Back-propagate ``grad = dJ/d(output)`` and set every parameter's ``.grad``.

        With ``skip_output_activation`` the gradient is taken to be with respect to the
        *input* of the final activation (the logits), as fused losses such as
        softmax + cross-entropy provide it (``dJ/dz = y_hat - y``).
        No gradient is computed with respect to the network's input.
        """
        layers = self.layers[:-1] if skip_output_activation else self.layers
        for i in range(len(layers) - 1, -1, -1):
            grad = layers[i].backward(grad, need_input_grad=i > 0)

    @contextmanager
    def workspace(self) -> Iterator[Sequential]:
        """Reuse every layer's batch-shaped arrays from one training step to the next.

        Inside, a training-mode ``forward`` and the ``backward`` after it write each
        layer's outputs and deltas into buffers the layer keeps (one set per batch
        shape), instead of allocating them anew each step; ``fit`` trains inside one.
        An array a training pass returns is then overwritten by the next one: copy
        what you keep.  Inference (``training=False``, ``predict``) is unaffected.
        The buffers are freed on leaving.

        Examples
        --------
        >>> net = Sequential([Dense(2, 3, seed=0), Activation("relu")])
        >>> with net.workspace():
        ...     first = net.forward(np.ones((4, 2)), training=True)
        ...     second = net.forward(np.ones((4, 2)), training=True)
        >>> first is second
        True
        """
        outer = [layer.workspace for layer in self.layers]  # nested: keep the outer's
        for layer, buffers in zip(self.layers, outer, strict=True):
            layer.workspace = {} if buffers is None else buffers
        try:
            yield self
        finally:
            for layer, buffers in zip(self.layers, outer, strict=True):
                layer.workspace = buffers

    def predict(self, x: np.ndarray, batch_size: int = 4096) -> np.ndarray:
        """Outputs for ``x`` in inference mode, in batches to bound memory.

        ``x`` is validated as ``fit`` validates it (:func:`neuronlab.data.check_X`): a
        2-D real array of ``n_inputs`` columns, cast to the network's dtype and then
        free of NaN and infinity (a value beyond float32's range is named by its row
        and column); complex input is refused rather than losing its imaginary part.
        ``forward`` is the raw pass and checks nothing.
        """
        x = data.check_X(x, self.n_inputs, dtype=self.dtype)
        if len(x) <= batch_size:
            return self.forward(x)
        return np.concatenate([self.forward(x[i:i + batch_size])
                               for i in range(0, len(x), batch_size)])

    # -- structure ------------------------------------------------------------------
    def parameters(self) -> list[Parameter]:
        return [p for layer in self.layers for p in layer.parameters()]

    @property
    def n_outputs(self) -> int:
        width = self.n_inputs
        for layer in self.layers:
            width = layer.output_width(width)
        return width

    @property
    def output_activation(self) -> activations.Activation | None:
        """The activation applied last, if the network ends with one."""
        last = self.layers[-1]
        return last.fn if isinstance(last, Activation) else None

    def summary(self) -> list[dict[str, Any]]:
        """One row per layer: index, kind, output width, parameter count."""
        rows, width = [], self.n_inputs
        for i, layer in enumerate(self.layers):
            width = layer.output_width(width)
            rows.append({"index": i, "layer": repr(layer), "width": width,
                         "parameters": sum(p.value.size for p in layer.parameters())})
        return rows

    def get_config(self) -> dict[str, Any]:
        return {"dtype": self.dtype.name,
                "layers": [{"type": layer.name, "config": layer.get_config()}
                           for layer in self.layers]}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Sequential:
        """Rebuild the architecture from ``get_config()`` (weights freshly initialized).

        Only registered layer and activation names are accepted: nothing is imported
        or evaluated, so a config naming an unknown layer raises ``ValueError``.
        """
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError("model config must be a dict with a 'layers' list")
        layers: list[Layer] = []
        for entry in config["layers"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("config", {}), dict):
                raise ValueError(f"malformed layer entry in model config: {entry!r}")
            layers.append(LAYERS.cls(entry.get("type", "?"))(**entry.get("config", {})))
        network = cls(layers, config.get("dtype", "float32"))
        width = network.n_inputs
        for layer in layers:  # per-unit activation parameters need the layer width
            if isinstance(layer, Activation):
                layer.build(width, network.dtype)
            width = layer.output_width(width)
        return network

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Sequential([\n  {inner}\n])"


def MLP(sizes: Sequence[int], activation: str | Sequence[str] = "relu",  # noqa: N802
        output: str | None = "softmax", init: Any = "glorot_uniform", bias_init: float = 0.0,
        dropout: float = 0.0, dtype: Any = np.float32, seed: int | None = None,
        maxout_pieces: int = 2, **activation_params: Any) -> Sequential:
    """A multilayer perceptron in one line.

    Parameters
    ----------
    sizes : [n_inputs, hidden_1, ..., n_outputs]
    activation : name of the hidden activation, or one name per hidden layer.
        ``"maxout"`` builds Maxout layers with ``maxout_pieces`` pieces per unit.
    output : activation of the output layer (``"softmax"``, ``"sigmoid"``,
        ``"identity"``/None for regression).
    init : weight initializer for every Dense layer (Glorot uniform by default, as in
        Keras and the lecture; use ``"he_normal"`` for ReLU-like activations), or
        ``"auto"``: each Dense layer draws N(0, gain^2 / fan_in) with the gain of the
        activation that follows it (:func:`neuronlab.meanfield.gain`, which keeps the
        pre-activations' second moment at its fixed point 1; the maxout gain for
        maxout layers), and the output layer N(0, 1 / fan_in).
    bias_init : constant initial bias of the hidden layers (e.g. 0.01 for ReLU).
    dropout : dropout rate after each hidden activation (0 for none).
    seed : seeds the weights, dropout and random activations (RReLU), so equal seeds
        give equal networks and equal training runs.
    **activation_params : hyper-parameters of the hidden activation (``alpha=0.1``).

    Examples
    --------
    >>> net = MLP([64, 128, 128, 10], activation="relu", output="softmax",
    ...           init="he_normal", seed=0)
    >>> net.forward(np.zeros((2, 64))).shape
    (2, 10)
    """
    if isinstance(sizes, str) or not isinstance(sizes, Iterable):
        raise TypeError(f"sizes must be a list of integers [n_inputs, ..., n_outputs], got "
                        f"{type(sizes).__name__} {sizes!r}")
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes must be >= 2 positive integers [n_inputs, ..., n_outputs], "
                         f"got {sizes!r}")
    sizes = [check_integer(s, f"sizes[{i}]", low=1) for i, s in enumerate(sizes)]
    hidden = len(sizes) - 2
    per_layer = [activation] * hidden if isinstance(activation, str) else list(activation)
    if len(per_layer) != hidden:
        raise ValueError(f"got {len(per_layer)} activations for {hidden} hidden layers")
    maxout_pieces = check_integer(maxout_pieces, "maxout_pieces", low=1)
    check_real(bias_init, "bias_init")
    check_real(dropout, "dropout", 0, 1, high_open=True)
    _check_memory(sizes, [maxout_pieces if name == "maxout" else 1 for name in per_layer],
                  np.dtype(dtype))
    rng = np.random.default_rng(check_seed(seed))
    auto = isinstance(init, str) and init == "auto"
    gains: dict[tuple[str, str], float] = {}

    def weights(name: str) -> Any:
        """``init``, or with ``init="auto"`` N(0, gain^2 / fan_in) for the activation."""
        if not auto:
            return init
        key = (name, repr(sorted(activation_params.items())))
        if key not in gains:
            gains[key] = (meanfield.maxout_gain(maxout_pieces) if name == "maxout" else
                          meanfield.gain(activations.get(name, **activation_params)))
        return VarianceScaling(gains[key] ** 2, "fan_in", "normal")

    layers: list[Layer] = []
    for fan_in, fan_out, name in zip(sizes[:-2], sizes[1:-1], per_layer, strict=True):
        if name == "maxout":
            layers.append(Maxout(fan_in, fan_out, maxout_pieces, weights(name), bias_init,
                                 dtype, rng))
        else:
            layers.append(Dense(fan_in, fan_out, weights(name), bias_init, dtype, rng))
            params = dict(activation_params)
            cls = activations.REGISTRY.cls(name) if name in activations.REGISTRY else None
            if cls is not None and "seed" in inspect.signature(cls).parameters:
                params.setdefault("seed", int(rng.integers(2**63)))  # e.g. RReLU's slopes
            layer = Activation(name, **params)
            layer.build(fan_out, np.dtype(dtype))
            layers.append(layer)
        if dropout:
            layers.append(Dropout(dropout, rng))
    output_init = VarianceScaling(1.0, "fan_in", "normal") if auto else init
    layers.append(Dense(sizes[-2], sizes[-1], output_init, 0.0, dtype, rng))
    if output not in (None, "identity", "linear"):
        layers.append(Activation(output))
    return Sequential(layers, dtype)


def _physical_memory() -> int | None:
    """Bytes of RAM in this machine, or None where the OS does not say (Windows)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _check_memory(sizes: Sequence[int], pieces: Sequence[int], dtype: np.dtype) -> None:
    """Refuse, before anything is allocated, a network whose weights alone need more
    memory than the machine has.

    An initializer draws the weights in float64 before casting them, so building a
    layer needs 8 bytes per weight at its peak, and training holds several copies more
    (gradients, optimizer state, the best weights); this check only stops the sizes
    that can never work (a typo such as ``--hidden 100000000000``) with a clear message
    instead of a ``MemoryError``, or the system killing the process.
    """
    per_layer = [fan_in * fan_out * k + fan_out * k for fan_in, fan_out, k
                 in zip(sizes[:-1], sizes[1:], [*pieces, 1], strict=True)]
    count = sum(per_layer)
    need = max(8 * max(per_layer), dtype.itemsize * count)
    memory = _physical_memory()
    if memory is not None and need > memory:
        raise ValueError(f"sizes {list(sizes)} make a network of {count:,} parameters: "
                         f"{need / 2**30:,.1f} GiB for its weights alone, more than this "
                         f"machine's {memory / 2**30:,.1f} GiB of memory; use smaller widths")
