"""Where a training step's time goes, and what the candidate engine changes would save.

Four measurements per configuration:

phases      one epoch of ``fit`` with every layer's ``forward``/``backward``, the fused
            loss's ``value``/``gradient``, ``train.n_correct`` and the optimizer's
            ``step`` wrapped in timers (patched on instances, or on the class for the
            loss, and restored afterwards; the engine's files are not touched).  The
            loop's remainder is batching (``X[idx]``, ``Y[idx]``), the Python loop and
            glue; ``fit`` set-up is the call's wall time minus the epoch's.  The
            matrix-product floor splits the Dense layers' time into the products and
            the rest.  ``instrumentation`` is what the timers themselves added.
profile     cProfile of one epoch: the top functions by own time, per step.
threads     neuronlab's epoch and the floor with NumPy's BLAS at 1 thread and at the
            suite's thread count.
candidates  micro-benchmarks of the step's pieces as the engine does them now (its
            own functions where it has them) and as a prototype would, with
            preallocated buffers and ``out=`` arguments; the saving per step times the
            steps per epoch, as a share of neuronlab's epoch, estimates each change's
            gain.  They are prototypes in this file, not changes to the engine.
"""

from __future__ import annotations

import cProfile
import functools
import pstats
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import numpy as np

from benchmarks._common import LR, Config, Threads, make_data, rotate, summary, timed
from benchmarks.training import Floor, Neuronlab


def _timer(fn: Callable, bucket: str, acc: dict[str, float]) -> Callable:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            acc[bucket] = acc.get(bucket, 0.0) + time.perf_counter() - start
    return wrapped


@contextmanager
def _instrumented(nl: Neuronlab, acc: dict[str, float]):
    """Wrap the step's pieces in timers; yields the optimizer to pass to ``fit``."""
    from neuronlab import losses, optim, train
    from neuronlab.layers import Activation, Dense

    model = nl.model
    last = len(model.layers) - 1
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Dense):
            kind = "dense"
        elif isinstance(layer, Activation):
            kind = "output activation" if i == last else "activation"
        else:
            kind = type(layer).__name__.lower()
        layer.forward = _timer(layer.forward, f"{kind} forward", acc)
        layer.backward = _timer(layer.backward, f"{kind} backward", acc)
    fused = losses.fused(model.output_activation, losses.get(train.default_loss(model)))
    loss_cls = type(fused) if fused is not None else type(losses.get(train.default_loss(model)))
    own = {name: vars(loss_cls).get(name) for name in ("value", "gradient")}
    inherited = {name: getattr(loss_cls, name) for name in own}
    saved_n_correct = train.n_correct
    opt = optim.get("sgd", params=model.parameters(), lr=LR)
    opt.step = _timer(opt.step, "optimizer step", acc)
    try:
        loss_cls.value = _timer(inherited["value"], "loss value", acc)
        loss_cls.gradient = _timer(inherited["gradient"], "loss gradient", acc)
        train.n_correct = _timer(saved_n_correct, "accuracy (n_correct)", acc)
        yield opt
    finally:
        for name, fn in own.items():
            if fn is None:
                delattr(loss_cls, name)
            else:
                setattr(loss_cls, name, fn)
        train.n_correct = saved_n_correct
        for layer in model.layers:
            vars(layer).pop("forward", None)
            vars(layer).pop("backward", None)


def _phases(cfg: Config, X: np.ndarray, y: np.ndarray, repeats: int, seed: int) -> dict:
    from neuronlab.train import fit

    nl, floor = Neuronlab(cfg, seed), Floor(cfg, seed=seed)
    kw = {"lr": LR, "epochs": 1, "batch_size": cfg.batch_size, "shuffle": True,
          "verbose": False}
    nl.epoch(X[:4096], y[:4096], seed)
    floor.epoch()
    buckets: list[dict[str, float]] = []
    plain, instrumented, floor_t, epoch_t = [], [], [], []
    for r in range(repeats):
        for what in rotate(["plain", "instrumented", "floor"], r):
            if what == "plain":
                plain.append(timed(lambda r=r: nl.epoch(X, y, seed + 1 + r)))
            elif what == "floor":
                floor_t.append(timed(floor.epoch))
            else:
                acc: dict[str, float] = {}
                with _instrumented(nl, acc) as opt:
                    histories: list[Any] = []
                    instrumented.append(timed(lambda r=r, opt=opt, h=histories: h.append(
                        fit(nl.model, X, y, optimizer=opt, seed=seed + 1 + r, **kw))))
                    epoch_t.append(histories[0].epochs[-1]["time"])
                buckets.append(acc)
    wall, epoch, floor_s = (float(np.median(v)) for v in (instrumented, epoch_t, floor_t))
    parts = {k: float(np.median([b.get(k, 0.0) for b in buckets])) for k in buckets[0]}
    dense = parts.get("dense forward", 0.0) + parts.get("dense backward", 0.0)
    rows = [("matrix products (floor)", floor_s),
            ("dense: bias, db sum, rest", dense - floor_s)]
    rows += [(k, v) for k, v in parts.items() if not k.startswith("dense")]
    rows.append(("batching, loop, Python glue", epoch - sum(parts.values())))
    rows.append(("fit set-up (validation, one-hot, snapshots)", wall - epoch))
    plain_s = float(np.median(plain))
    return {
        "config": cfg.as_dict(), "plain_wall": plain_s, "instrumented_wall": wall,
        "instrumentation": wall - plain_s, "floor": floor_s,
        "phases": [{"phase": k, "seconds": v, "share": v / wall,
                    "us_per_step": 1e6 * v / cfg.n_steps} for k, v in rows],
    }


def _profile(cfg: Config, X: np.ndarray, y: np.ndarray, seed: int, top: int) -> dict:
    nl = Neuronlab(cfg, seed)
    nl.epoch(X[:4096], y[:4096], seed)
    profiler = cProfile.Profile()
    profiler.enable()
    nl.epoch(X, y, seed + 1)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    rows = []
    for (path, line, func), (_, ncalls, tottime, cumtime, _) in stats.stats.items():
        short = path.split("/src/")[-1].split("site-packages/")[-1]
        rows.append({"function": f"{short}:{line}({func})", "calls_per_step":
                     ncalls / cfg.n_steps, "own_us_per_step": 1e6 * tottime / cfg.n_steps,
                     "cum_us_per_step": 1e6 * cumtime / cfg.n_steps,
                     "own_share": tottime / total})
    rows.sort(key=lambda r: -r["own_us_per_step"])
    calls = sum(r["calls_per_step"] for r in rows)
    return {"total_s": total, "python_calls_per_step": calls, "top": rows[:top]}


def _threads(cfg: Config, X: np.ndarray, y: np.ndarray, counts: list[int], repeats: int,
             seed: int, threads: Threads) -> dict:
    nl, floor = Neuronlab(cfg, seed), Floor(cfg, seed=seed)
    nl.epoch(X[:4096], y[:4096], seed)
    out: dict[str, Any] = {}
    for n in counts:
        with threads.blas(n):
            times: dict[str, list[float]] = {"neuronlab": [], "floor": []}
            for r in range(repeats):
                for what in rotate(list(times), r):
                    fn = (lambda r=r: nl.epoch(X, y, seed + 1 + r)) if what == "neuronlab" \
                        else floor.epoch
                    times[what].append(timed(fn))
        out[str(n)] = {k: summary(v) for k, v in times.items()}
    return out


# ----------------------------------------------------------------------------- candidates


def _per_call(fn: Callable[[], Any], inner: int) -> float:
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - start) / inner


def _candidates(cfg: Config, X: np.ndarray, y: np.ndarray, repeats: int, inner: int,
                seed: int) -> list[dict[str, Any]]:
    """(now, prototype) per step for the pieces of a step, as functions of no argument."""
    from neuronlab import activations, losses, optim, train
    from neuronlab.parameter import Parameter

    rng = np.random.default_rng(seed)
    f32 = np.float32
    B, sizes = cfg.batch_size, cfg.sizes
    hidden = sizes[1:-1]
    Y = np.eye(sizes[-1], dtype=f32)[y]
    order = rng.permutation(len(X))
    pos = [0]

    def next_idx() -> np.ndarray:
        start = pos[0] = (pos[0] + B) % (len(X) - B)
        return order[start:start + B]

    xb, yb = np.empty((B, sizes[0]), f32), np.empty((B, sizes[-1]), f32)
    W = [rng.standard_normal((a, b), dtype=f32) * 0.05
         for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    bias = [np.zeros(b, f32) for b in sizes[1:]]
    A = [rng.standard_normal((B, a), dtype=f32) for a in sizes[:-1]]
    D = [rng.standard_normal((B, b), dtype=f32) for b in sizes[1:]]
    Zb = [np.empty((B, b), f32) for b in sizes[1:]]
    Eb = [np.empty((B, a), f32) for a in sizes[:-1]]
    g = activations.get(cfg.activation)
    Zh = [3 * rng.standard_normal((B, w), dtype=f32) for w in hidden]
    Gh = [rng.standard_normal((B, w), dtype=f32) for w in hidden]
    Ab = [np.empty((B, w), f32) for w in hidden]
    Tb = [np.empty((B, w), f32) for w in hidden]

    def act_now() -> None:
        for z, e in zip(Zh, Gh, strict=True):
            g.backward(z, g.forward(z, True), e)

    if cfg.activation == "relu":
        def act_new() -> None:
            for z, a, e, t in zip(Zh, Ab, Gh, Tb, strict=True):
                np.maximum(z, 0, out=a)
                np.greater(a, 0, out=t)  # relu'(z) as 0/1 in float32
                np.multiply(e, t, out=t)  # delta (into e itself in the engine)
    else:
        def act_new() -> None:
            for z, a, e, t in zip(Zh, Ab, Gh, Tb, strict=True):
                np.tanh(z, out=a)
                np.multiply(a, a, out=t)
                np.subtract(1, t, out=t)
                np.multiply(e, t, out=t)

    logits = 3 * rng.standard_normal((B, sizes[-1]), dtype=f32)
    labels = rng.integers(0, sizes[-1], B)
    onehot = np.eye(sizes[-1], dtype=f32)[labels]
    softmax = activations.get("softmax")
    fused = losses.fused(softmax, losses.get("cross_entropy"))
    m_b, tot_b = np.empty((B, 1), f32), np.empty((B, 1), f32)
    s_b, p_b = np.empty_like(logits), np.empty_like(logits)
    arg_b = np.empty(B, np.intp)
    probabilities = softmax.forward(logits)

    def loss_now() -> None:
        softmax.forward(logits)  # the output layer's forward, which fit runs too
        float(fused.value(logits, onehot))
        fused.gradient(logits, onehot)

    def loss_new() -> None:
        np.max(logits, axis=1, keepdims=True, out=m_b)
        np.subtract(logits, m_b, out=s_b)
        np.exp(s_b, out=p_b)
        np.sum(p_b, axis=1, keepdims=True, out=tot_b)
        np.divide(p_b, tot_b, out=p_b)  # the output probabilities a, computed once
        np.log(tot_b, out=tot_b)
        float(tot_b.sum() - np.vdot(onehot, s_b)) / B  # the loss value
        np.subtract(p_b, onehot, out=s_b)
        np.multiply(s_b, f32(1.0 / B), out=s_b)  # the gradient dJ/dz

    def accuracy_now() -> None:
        train.n_correct(probabilities, onehot)

    def accuracy_new() -> None:
        np.argmax(logits, axis=1, out=arg_b)  # argmax of the logits = of the softmax
        np.count_nonzero(arg_b == labels)

    def batch_now() -> None:
        idx = next_idx()
        X[idx]
        Y[idx]

    def batch_new() -> None:
        idx = next_idx()
        np.take(X, idx, axis=0, out=xb)
        np.take(Y, idx, axis=0, out=yb)

    dbias = [np.empty(b, f32) for b in sizes[1:]]

    def dense_now() -> None:
        for i in range(len(W)):
            z = A[i] @ W[i]
            z += bias[i]
        for i in range(len(W) - 1, -1, -1):
            np.sum(D[i], axis=0, out=dbias[i])
            if i:
                D[i] @ W[i].T

    def dense_new() -> None:
        for i in range(len(W)):
            np.matmul(A[i], W[i], out=Zb[i])
            np.add(Zb[i], bias[i], out=Zb[i])
        for i in range(len(W) - 1, -1, -1):
            np.add.reduce(D[i], axis=0, out=dbias[i])  # no Python wrapper
            if i:
                np.matmul(D[i], W[i].T, out=Eb[i])

    finite_now = functools.partial(_finite_now, X)
    finite_new = functools.partial(_finite_new, X)

    params = [Parameter(w.copy(), "W") for w in W] + [Parameter(b.copy(), "b") for b in bias]
    for p in params:
        p.grad[...] = rng.standard_normal(p.grad.shape, dtype=f32)
    opt = optim.get("sgd", params=params, lr=LR)
    try:
        from scipy.linalg.blas import saxpy
    except ImportError:  # pragma: no cover - scipy comes with scikit-learn
        saxpy = None

    def opt_new() -> None:
        for p in params:
            saxpy(p.grad.reshape(-1), p.value.reshape(-1), a=-LR)

    candidates = [
        ("batch gather into preallocated buffers (np.take out=)", batch_now, batch_new),
        (f"{cfg.activation} forward+backward with out= buffers, no extra passes",
         act_now, act_new),
        ("softmax + cross-entropy in one pass (probabilities once, buffers)",
         loss_now, loss_new),
        ("accuracy from logits and integer labels (no allclose, no one-hot argmax)",
         accuracy_now, accuracy_new),
        ("Dense z, e into buffers (matmul out=), db via np.add.reduce", dense_now, dense_new),
    ]
    if saxpy is not None:
        candidates.append(("SGD update as one BLAS axpy per parameter", opt.step, opt_new))
    finite = "fit set-up: X finiteness checked in blocks of 4096 rows (no n x d temporary)"
    per_fit = {finite}
    candidates.append((finite, finite_now, finite_new))
    results = []
    for name, now, new in candidates:
        now(), new()
        k = max(1, inner // 100) if name in per_fit else inner
        t_now, t_new = [], []
        for r in range(repeats):
            for which in rotate(["now", "new"], r):
                (t_now if which == "now" else t_new).append(
                    _per_call(now if which == "now" else new, k))
        a, b = float(np.median(t_now)), float(np.median(t_new))
        once = name in per_fit  # once per fit call, not per step
        results.append({"candidate": name, "per": "fit" if once else "step",
                        "now_us_per_step": 1e6 * a / (cfg.n_steps if once else 1),
                        "prototype_us_per_step": 1e6 * b / (cfg.n_steps if once else 1),
                        "saved_s_per_epoch": (a - b) * (1 if once else cfg.n_steps)})
    return results


def _finite_now(X: np.ndarray) -> bool:
    """What ``data.check_X`` does: a bool array the size of X."""
    return bool(np.isfinite(X).all())


def _finite_new(X: np.ndarray, rows: int = 4096) -> bool:
    """The same check in blocks of rows: the temporary stays small and in cache."""
    return all(bool(np.isfinite(X[i:i + rows]).all()) for i in range(0, len(X), rows))


def run_breakdown(configs: list[Config], repeats: int, threads: Threads, quick: bool,
                  seed: int = 0, log: Callable[[str], None] = print) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for cfg in configs:
        log(f"breakdown {cfg.name}: phases, cProfile, threads, candidates")
        X, y = make_data(cfg.n_samples, cfg.sizes[0], seed=seed)
        row = _phases(cfg, X, y, repeats, seed)
        row["profile"] = _profile(cfg, X, y, seed, top=8 if quick else 15)
        row["threads"] = _threads(cfg, X, y, sorted({1, threads.n}), repeats, seed, threads)
        row["candidates"] = _candidates(cfg, X, y, repeats, 20 if quick else 300, seed)
        th = row["threads"]
        if "1" in th and str(threads.n) in th and threads.n != 1:
            one, many = (th[k]["neuronlab"]["median"] for k in ("1", str(threads.n)))
            row["candidates"].append({
                "candidate": f"BLAS threads: 1 instead of {threads.n} for this size",
                "per": "epoch", "now_us_per_step": 1e6 * many / cfg.n_steps,
                "prototype_us_per_step": 1e6 * one / cfg.n_steps,
                "saved_s_per_epoch": many - one})
        for c in row["candidates"]:
            c["gain_share"] = c["saved_s_per_epoch"] / row["plain_wall"]
        results[cfg.name] = row
    return results
