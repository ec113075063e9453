"""Training throughput, the matrix-product floor, and inference throughput.

Each contender trains the same architecture on the same data, one epoch per timed
call, in the same batch order (PyTorch) or an equally shuffled one (scikit-learn):

neuronlab   ``train.fit(model, X, y, optimizer="sgd", epochs=1, shuffle=True, seed=s)``,
            the wall time of the whole call (``epoch_time`` is the loop alone).
torch       an idiomatic eager loop: index the batch, ``zero_grad``, forward,
            ``F.cross_entropy``, ``backward``, ``SGD.step``, and the epoch's running loss
            and accuracy (``.item()``), as ``fit`` reports both.
sklearn     ``MLPClassifier(solver="sgd", momentum=0, alpha=0).partial_fit`` on float32 X
            (one epoch; it validates X and tracks the loss, as ``fit`` does).
floor       the epoch's matrix products alone with NumPy at the same dtype and threads:
            per layer ``Z = A @ W`` forward, ``dW = A.T @ delta`` and (but for the first
            layer) ``E = delta @ W.T`` backward, into preallocated outputs.
numpy       the whole step hand-written in plain NumPy with preallocated arrays
            (``PlainNumpy``): the floor plus the elementwise work NumPy cannot avoid.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._common import (
    LR,
    N_CLASSES,
    Config,
    batch_order,
    interleave,
    make_data,
    optional,
    summary,
)

WARMUP_SAMPLES = 8192


# ----------------------------------------------------------------------------- runners


class Neuronlab:
    name = "neuronlab"

    def __init__(self, cfg: Config, seed: int = 0) -> None:
        from neuronlab.network import MLP

        self.cfg = cfg
        self.model = MLP(list(cfg.sizes), activation=cfg.activation, output="softmax",
                         init="he_normal", seed=seed)
        self.epoch_times: list[float] = []

    def epoch(self, X: np.ndarray, y: np.ndarray, seed: int,
              threads: int | str | None = "auto") -> None:
        """One epoch of ``fit``; ``threads`` as fit's (None: whatever BLAS is set to)."""
        from neuronlab.train import fit

        history = fit(self.model, X, y, optimizer="sgd", lr=LR, epochs=1,
                      batch_size=self.cfg.batch_size, shuffle=True, seed=seed, verbose=False,
                      threads=threads)
        self.epoch_times.append(history.epochs[-1]["time"])

    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(W, b) of every Dense layer, W of shape (fan_in, fan_out)."""
        from neuronlab.layers import Dense

        return [(layer.W.value, layer.b.value) for layer in self.model.layers
                if isinstance(layer, Dense)]

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.model.predict(X)


class Torch:
    name = "torch"

    def __init__(self, cfg: Config, seed: int = 0) -> None:
        import torch

        self.torch, self.cfg = torch, cfg
        torch.manual_seed(seed)
        act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[cfg.activation]
        layers: list[Any] = []
        pairs = list(zip(cfg.sizes[:-1], cfg.sizes[1:], strict=True))
        for i, (fan_in, fan_out) in enumerate(pairs):
            layers.append(torch.nn.Linear(fan_in, fan_out))
            if i < len(pairs) - 1:
                layers.append(act())
        self.model = torch.nn.Sequential(*layers).float()
        self.linears = [m for m in self.model if isinstance(m, torch.nn.Linear)]
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LR, momentum=0.0)

    def load(self, weights: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Copy neuronlab's (W, b) into the Linear layers (weight = W.T)."""
        with self.torch.no_grad():
            for linear, (W, b) in zip(self.linears, weights, strict=True):
                linear.weight.copy_(self.torch.from_numpy(np.ascontiguousarray(W.T)))
                linear.bias.copy_(self.torch.from_numpy(b))

    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(lin.weight.detach().numpy().T, lin.bias.detach().numpy())
                for lin in self.linears]

    def epoch(self, X: np.ndarray, y: np.ndarray, order: np.ndarray) -> None:
        torch, F = self.torch, self.torch.nn.functional
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        perm = torch.from_numpy(order)
        model, opt, bs = self.model, self.optimizer, self.cfg.batch_size
        model.train()
        total, correct = 0.0, 0
        for start in range(0, len(X), bs):
            idx = perm[start:start + bs]
            xb, yb = Xt[idx], yt[idx]
            opt.zero_grad(set_to_none=True)
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            correct += int((out.argmax(dim=1) == yb).sum().item())
        self.last = (total / len(X), correct / len(X))

    def predict(self, X: np.ndarray, chunk: int = 4096) -> np.ndarray:
        torch = self.torch
        self.model.eval()
        with torch.inference_mode():
            Xt = torch.from_numpy(X)
            out = torch.cat([torch.softmax(self.model(Xt[i:i + chunk]), dim=1)
                             for i in range(0, len(X), chunk)])
        return out.numpy()


class Sklearn:
    name = "sklearn"

    def __init__(self, cfg: Config, seed: int = 0) -> None:
        from sklearn.neural_network import MLPClassifier

        self.cfg = cfg
        self.model = MLPClassifier(
            hidden_layer_sizes=cfg.sizes[1:-1], activation=cfg.activation, solver="sgd",
            alpha=0.0, batch_size=cfg.batch_size, learning_rate="constant",
            learning_rate_init=LR, momentum=0.0, nesterovs_momentum=False, shuffle=True,
            max_iter=1, random_state=seed, early_stopping=False)

    def epoch(self, X: np.ndarray, y: np.ndarray) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if hasattr(self.model, "coefs_"):
                self.model.partial_fit(X, y)
            else:
                self.model.partial_fit(X, y, classes=np.arange(N_CLASSES))

    @property
    def dtype(self) -> str:
        return str(self.model.coefs_[0].dtype) if hasattr(self.model, "coefs_") else "?"

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(X)


class Floor:
    """The matrix products of one epoch of training, and nothing else."""

    name = "floor"

    def __init__(self, cfg: Config, dtype: Any = np.float32, seed: int = 0) -> None:
        self.cfg = cfg
        rng = np.random.default_rng(seed)
        sizes = cfg.sizes
        self.W = [rng.standard_normal((a, b), dtype=np.float32).astype(dtype)
                  for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        self.dW = [np.empty_like(W) for W in self.W]
        self.buffers = {bs: self._buffers(bs, dtype, rng) for bs in set(cfg.batch_sizes())}

    def _buffers(self, n: int, dtype: Any, rng: np.random.Generator) -> dict[str, list]:
        sizes = self.cfg.sizes
        A = [rng.standard_normal((n, d), dtype=np.float32).astype(dtype) for d in sizes[:-1]]
        Z = [np.empty((n, d), dtype) for d in sizes[1:]]
        delta = [rng.standard_normal((n, d), dtype=np.float32).astype(dtype)
                 for d in sizes[1:]]
        E = [np.empty((n, d), dtype) for d in sizes[:-1]]
        return {"A": A, "Z": Z, "delta": delta, "E": E}

    def step(self, n: int) -> None:
        buf = self.buffers[n]
        A, Z, delta, E = buf["A"], buf["Z"], buf["delta"], buf["E"]
        W, dW = self.W, self.dW
        for i in range(len(W)):
            np.matmul(A[i], W[i], out=Z[i])
        for i in range(len(W) - 1, -1, -1):
            np.matmul(A[i].T, delta[i], out=dW[i])
            if i > 0:
                np.matmul(delta[i], W[i].T, out=E[i])

    def epoch(self) -> None:
        for n in self.cfg.batch_sizes():
            self.step(n)


class PlainNumpy:
    """The whole training step written out in plain NumPy, as tight as NumPy allows.

    Every batch-sized array preallocated, no Python beyond the loops: the gather, ``z = a W + b``,
    the activation in place, softmax + cross-entropy's gradient ``(p - y) / n``, the
    delta rule with ``g'`` from the output (tanh: ``1 - a^2``; ReLU: ``a > 0``), dW, db
    and the SGD update in two passes.  Between the floor (the products alone) and
    neuronlab: what is left between it and neuronlab is the engine's own overhead;
    what lies between the floor and it is NumPy's elementwise work.
    """

    name = "numpy"

    def __init__(self, cfg: Config, seed: int = 0) -> None:
        self.cfg = cfg
        rng = np.random.default_rng(seed)
        sizes, f32 = cfg.sizes, np.float32
        self.W = [(rng.standard_normal((a, b)) * np.sqrt(2 / a)).astype(f32)
                  for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        self.b = [np.zeros(n, f32) for n in sizes[1:]]
        self.dW = [np.empty_like(w) for w in self.W]
        self.db = [np.empty_like(b) for b in self.b]
        self.scratch = [np.empty_like(p) for p in self.W + self.b]
        self.buffers = {n: ([np.empty((n, d), f32) for d in sizes],      # a (a[0] = x)
                            [np.empty((n, d), f32) for d in sizes[1:]],  # delta
                            np.empty((n, 1), f32))                       # row sums
                        for n in set(cfg.batch_sizes())}
        self.onehot = np.eye(sizes[-1], dtype=f32)

    def epoch(self, X: np.ndarray, y: np.ndarray, order: np.ndarray) -> None:
        bs = self.cfg.batch_size
        for start in range(0, len(X), bs):
            idx = order[start:start + bs]
            self._step(X, y, idx, *self.buffers[len(idx)])

    def _step(self, X, y, idx, A, D, row) -> None:
        W, b, last, relu = self.W, self.b, len(self.W) - 1, self.cfg.activation == "relu"
        np.take(X, idx, axis=0, out=A[0], mode="clip")
        for i in range(last + 1):
            np.matmul(A[i], W[i], out=A[i + 1])
            A[i + 1] += b[i]
            if i < last:
                if relu:
                    np.maximum(A[i + 1], 0, out=A[i + 1])
                else:
                    np.tanh(A[i + 1], out=A[i + 1])
        z, g = A[-1], D[-1]
        np.max(z, axis=1, keepdims=True, out=row)
        np.subtract(z, row, out=g)
        np.exp(g, out=g)
        np.add.reduce(g, axis=1, keepdims=True, out=row)
        g /= row
        g -= self.onehot[y[idx]]
        g *= 1.0 / len(idx)
        for i in range(last, -1, -1):
            np.matmul(A[i].T, D[i], out=self.dW[i])
            np.add.reduce(D[i], axis=0, out=self.db[i])
            if i:
                e = np.matmul(D[i], W[i].T, out=D[i - 1])
                if relu:  # g'(z) = 1 where a > 0, into a, which is not needed again
                    e *= np.greater(A[i], 0, out=A[i])
                else:  # g'(z) = 1 - a^2, likewise
                    slope = np.multiply(A[i], A[i], out=A[i])
                    np.subtract(1, slope, out=slope)
                    e *= slope
        for w, grad, s in zip(W + b, self.dW + self.db, self.scratch, strict=True):
            np.multiply(grad, LR, out=s)
            np.subtract(w, s, out=w)


def available_peers() -> dict[str, str | None]:
    """Peer name -> None if usable, else why not."""
    return {"torch": None if optional("torch") else "torch is not installed",
            "sklearn": None if optional("sklearn") else "scikit-learn is not installed"}


# ----------------------------------------------------------------------------- training


def _parity(nl: Neuronlab, tr: Torch) -> float:
    """Largest |w_neuronlab - w_torch| / max |w| over all layers after the warm-up."""
    worst = 0.0
    for (W1, b1), (W2, b2) in zip(nl.weights(), tr.weights(), strict=True):
        for p, q in ((W1, W2), (b1, b2)):
            scale = max(float(np.abs(p).max()), 1e-12)
            worst = max(worst, float(np.abs(p - q).max()) / scale)
    return worst


def _epoch(runners: dict[str, Any], name: str, X: np.ndarray, y: np.ndarray,
           seed: int) -> None:
    """One epoch of contender ``name``; ``seed`` fixes neuronlab's and torch's batch order."""
    if name == "neuronlab":
        runners[name].epoch(X, y, seed)
    elif name == "torch":
        runners[name].epoch(X, y, batch_order(seed, len(X)))
    elif name == "sklearn":
        runners[name].epoch(X, y)
    elif name == "numpy":
        runners[name].epoch(X, y, batch_order(seed, len(X)))
    else:
        runners[name].epoch()


def _repeat(runners: dict[str, Any], name: str, X: np.ndarray, y: np.ndarray, seed: int,
            r: int) -> None:
    _epoch(runners, name, X, y, seed + 1 + r)


def run_training(configs: list[Config], peers_too: bool, floor_too: bool, repeats: int,
                 seed: int = 0, log: Callable[[str], None] = print,
                 before: Callable[[], float | None] = lambda: None) -> dict[str, Any]:
    """Time one epoch of every contender, interleaved, ``repeats`` times per config.

    ``peers_too`` adds PyTorch and scikit-learn (the training section), ``floor_too`` the
    matrix-product floor (the floor section); ``before()`` runs before each configuration
    (``--wait-quiet``) and returns the CPU share other processes used.  Returns
    ``{"training": ..., "floor": ...}`` keyed by configuration name.
    """
    peers = available_peers() if peers_too else {}
    names = ["neuronlab"] + [p for p, why in peers.items() if why is None]
    names += ["floor", "numpy"] if floor_too else []
    training: dict[str, Any] = {}
    floor: dict[str, Any] = {}
    for cfg in configs:
        others_busy = before()
        log(f"training {cfg.name}: {cfg.architecture}, batch {cfg.batch_size}, "
            f"{cfg.n_samples} samples")
        X, y = make_data(cfg.n_samples, cfg.sizes[0], seed=seed)
        nl = Neuronlab(cfg, seed)
        runners: dict[str, Any] = {"neuronlab": nl}
        if "torch" in names:
            runners["torch"] = Torch(cfg, seed)
            runners["torch"].load(nl.weights())
        if "sklearn" in names:
            runners["sklearn"] = Sklearn(cfg, seed)
        if "floor" in names:
            runners["floor"] = Floor(cfg, seed=seed)
            runners["numpy"] = PlainNumpy(cfg, seed=seed)

        # warm-up: one epoch on a subset, in the same order for neuronlab and torch,
        # which then must hold the same weights (checks architecture and batch order)
        m = min(cfg.n_samples, WARMUP_SAMPLES)
        for n in names:
            _epoch(runners, n, X[:m], y[:m], seed)
        parity = _parity(nl, runners["torch"]) if "torch" in names else None
        nl.epoch_times.clear()
        times = interleave({n: functools.partial(_repeat, runners, n, X, y, seed)
                            for n in names}, repeats)

        stats: dict[str, Any] = {}
        for n in names:
            stats[n] = summary(times[n])
            stats[n]["samples_per_s"] = cfg.n_samples / stats[n]["median"]
            stats[n]["step_ms"] = 1e3 * stats[n]["median"] / cfg.n_steps
        stats["neuronlab"]["epoch_loop"] = summary(nl.epoch_times)
        if peers_too:
            row: dict[str, Any] = {"config": cfg.as_dict(), "parity_vs_torch": parity,
                                   "others_busy": others_busy}
            row["neuronlab"] = stats["neuronlab"]
            for peer, why in peers.items():
                row[peer] = stats[peer] if why is None else {"unavailable": why}
                if why is None:  # throughput ratio: > 1 means neuronlab is faster
                    row[f"speed_vs_{peer}"] = stats[peer]["median"] / stats["neuronlab"]["median"]
            if "sklearn" in runners:
                row["sklearn"]["dtype"] = runners["sklearn"].dtype
            training[cfg.name] = row
        if floor_too:
            nl_med, f_med = stats["neuronlab"]["median"], stats["floor"]["median"]
            floor[cfg.name] = {
                "config": cfg.as_dict(), "others_busy": others_busy,
                "floor": stats["floor"], "neuronlab": stats["neuronlab"],
                "plain_numpy": stats["numpy"],
                "plain_multiple": stats["numpy"]["median"] / f_med,
                "multiple_of_plain": nl_med / stats["numpy"]["median"],
                "multiple": nl_med / f_med,
                "multiple_loop": stats["neuronlab"]["epoch_loop"]["median"] / f_med,
            }
    return {"training": training, "floor": floor}


# ----------------------------------------------------------------------------- inference


def _predict(runner: Any, X: np.ndarray, r: int) -> None:
    runner.predict(X)


def run_inference(configs: list[Config], repeats: int, seed: int = 0,
                  log: Callable[[str], None] = print) -> dict[str, Any]:
    """Samples/s of predict (class probabilities for every sample) per architecture."""
    peers = available_peers()
    results: dict[str, Any] = {}
    seen: set[tuple] = set()
    for cfg in configs:
        key = (cfg.sizes, cfg.activation)
        if key in seen:
            continue
        seen.add(key)
        arch = cfg.name.split("_")[0]
        log(f"inference {arch}: {cfg.architecture}, {cfg.n_samples} samples")
        X, y = make_data(cfg.n_samples, cfg.sizes[0], seed=seed)
        runners: dict[str, Any] = {"neuronlab": Neuronlab(cfg, seed)}
        if peers["torch"] is None:
            runners["torch"] = Torch(cfg, seed)
            runners["torch"].load(runners["neuronlab"].weights())
        if peers["sklearn"] is None:
            runners["sklearn"] = Sklearn(cfg, seed)
            runners["sklearn"].epoch(X[:256], y[:256])  # predict needs a fitted model
        names = list(runners)
        outputs = {n: runners[n].predict(X) for n in names}  # warm-up
        agree = (float(np.abs(outputs["neuronlab"] - outputs["torch"]).max())
                 if "torch" in outputs else None)
        times = interleave({n: functools.partial(_predict, runners[n], X) for n in names},
                           repeats)
        row: dict[str, Any] = {"architecture": cfg.architecture, "n_samples": cfg.n_samples,
                               "max_abs_diff_vs_torch": agree}
        for n in names:
            stats = summary(times[n])
            stats["samples_per_s"] = cfg.n_samples / stats["median"]
            row[n] = stats
        for peer in ("torch", "sklearn"):
            if peer in names:
                row[f"speed_vs_{peer}"] = row[peer]["median"] / row["neuronlab"]["median"]
            else:
                row[peer] = {"unavailable": peers[peer]}
        results[arch] = row
    return results
