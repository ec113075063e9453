"""Where a training step's time goes, and what the candidate engine changes would save.

Four measurements per configuration:

phases      one epoch of ``fit`` with every layer's ``forward``/``backward``, the
            loss's ``value_and_gradient``, the accuracy count and the optimizer's
            ``step`` wrapped in timers (patched on instances, or on the class for the
            loss, and restored afterwards; the engine's files are not touched).  The
            loop's remainder is batching (the gather of X and Y), the Python loop and
            glue; ``fit`` set-up is the call's wall time minus the epoch's.  The
            matrix-product floor splits the Dense layers' time into the products and
            the rest.  ``instrumentation`` is what the timers themselves added.
profile     cProfile of one epoch: the top functions by own time, per step.
threads     neuronlab's epoch and the floor with NumPy's BLAS at 1 thread and at the
            suite's thread count (``fit(threads=None)``, so not fit's own "auto" choice),
            and neuronlab's CPU time, which counts BLAS workers spinning between products.
candidates  micro-benchmarks of the step's pieces as the engine does them now (its
            own functions where it has them) and as a prototype would, with
            preallocated buffers and ``out=`` arguments; the saving per step times the
            steps per epoch, as a share of neuronlab's epoch, estimates each change's
            gain.  They are prototypes in this file, not changes to the engine.
"""

from __future__ import annotations

import cProfile
import pstats
import time
from collections.abc import Callable
from contextlib import contextmanager
from functools import partial
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
    patched = [(loss_cls, "value_and_gradient", "loss value and gradient"),
               (train._Correct, "__call__", "accuracy")]
    own = [(cls, name, vars(cls).get(name)) for cls, name, _ in patched]
    opt = optim.get("sgd", params=model.parameters(), lr=LR)
    opt.step = _timer(opt.step, "optimizer step", acc)
    try:
        for cls, name, bucket in patched:
            setattr(cls, name, _timer(getattr(cls, name), bucket, acc))
        yield opt
    finally:
        for cls, name, fn in own:
            if fn is None:
                delattr(cls, name)
            else:
                setattr(cls, name, fn)
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
            cpu: list[float] = []  # neuronlab's CPU time: spinning BLAS workers count
            for r in range(repeats):
                for what in rotate(list(times), r):
                    # threads=None: neuronlab on this block's BLAS setting, not fit's "auto"
                    fn = partial(_cpu_timed, cpu, nl.epoch, X, y, seed + 1 + r,
                                 threads=None) if what == "neuronlab" else floor.epoch
                    times[what].append(timed(fn))
        out[str(n)] = {k: summary(v) for k, v in times.items()}
        out[str(n)]["neuronlab_cpu"] = summary(cpu)
    return out


def _cpu_timed(into: list[float], fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Call ``fn`` and append the process's CPU time (all threads) it took to ``into``."""
    start = time.process_time()
    fn(*args, **kwargs)
    into.append(time.process_time() - start)


# ----------------------------------------------------------------------------- candidates


def _per_call(fn: Callable[[], Any], inner: int) -> float:
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - start) / inner


#: Below this size the ctypes call (~3 µs) costs more than NumPy's two passes.
AXPY_MIN_SIZE = 32768


def _numpy_blas_saxpy() -> Callable[[float, np.ndarray, np.ndarray], None] | None:
    """``y += alpha * x`` (float32, contiguous) by the saxpy of the BLAS NumPy itself
    links, so on its thread pool (SciPy's BLAS is another library with another pool);
    None where no known symbol is found.  A prototype: the engine does not do this."""
    import ctypes

    try:
        from numpy._core import _multiarray_umath as core
    except ImportError:  # NumPy 1.x
        from numpy.core import _multiarray_umath as core
    lib = ctypes.CDLL(core.__file__)  # symbols of the libraries it links, too
    known = (("scipy_cblas_saxpy64_", ctypes.c_int64), ("cblas_saxpy64_", ctypes.c_int64),
             ("cblas_saxpy", ctypes.c_int))  # NumPy 2 wheels, NumPy 1 wheels, MKL/system
    found = next(((getattr(lib, name), index) for name, index in known
                  if hasattr(lib, name)), None)
    if found is None:
        return None
    fn, index = found
    fn.restype = None
    fn.argtypes = [index, ctypes.c_float, ctypes.c_void_p, index, ctypes.c_void_p, index]

    def saxpy(alpha: float, x: np.ndarray, y: np.ndarray) -> None:
        fn(x.size, alpha, x.ctypes.data, 1, y.ctypes.data, 1)

    return saxpy


def _candidates(cfg: Config, X: np.ndarray, y: np.ndarray, repeats: int, inner: int,
                seed: int) -> list[dict[str, Any]]:
    """(now, prototype) per step for the changes still open, as functions of no argument.

    The engine's own code is "now" where it has it; each prototype does the same work.
    """
    from neuronlab import optim
    from neuronlab.parameter import Parameter

    rng = np.random.default_rng(seed)
    f32 = np.float32
    B, sizes = cfg.batch_size, cfg.sizes
    W = [rng.standard_normal((a, b), dtype=f32) * 0.05
         for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    bias = [np.zeros(b, f32) for b in sizes[1:]]
    A = [rng.standard_normal((B, a), dtype=f32) for a in sizes[:-1]]
    D = [rng.standard_normal((B, b), dtype=f32) for b in sizes[1:]]
    Z = [np.empty((B, b), f32) for b in sizes[1:]]
    E = [np.empty((B, a), f32) for a in sizes[:-1]]
    dW = [np.empty_like(w) for w in W]
    db = [np.empty_like(b) for b in bias]
    # the bias as one more row of W, and a column of ones after each layer's input
    Wb = [np.vstack([w, b[None]]) for w, b in zip(W, bias, strict=True)]
    dWb = [np.empty_like(w) for w in Wb]
    A1 = [np.hstack([a, np.ones((B, 1), f32)]) for a in A]

    ones = np.ones(B, f32)

    def dense_now() -> None:  # what Dense does inside fit's workspace
        for i in range(len(W)):
            np.matmul(A[i], W[i], out=Z[i])
            Z[i] += bias[i]
        for i in range(len(W) - 1, -1, -1):
            np.matmul(A[i].T, D[i], out=dW[i])
            np.matmul(ones, D[i], out=db[i])
            if i:
                np.matmul(D[i], W[i].T, out=E[i])

    def dense_folded() -> None:
        for i in range(len(W)):
            np.matmul(A1[i], Wb[i], out=Z[i])
        for i in range(len(W) - 1, -1, -1):
            np.matmul(A1[i].T, D[i], out=dWb[i])  # dW and db in one product
            if i:
                np.matmul(D[i], W[i].T, out=E[i])

    params = [Parameter(w.copy(), "W") for w in W] + [Parameter(b.copy(), "b") for b in bias]
    for p in params:
        p.grad[...] = rng.standard_normal(p.grad.shape, dtype=f32)
    opt = optim.get("sgd", params=params, lr=LR)
    n = sum(p.value.size for p in params)
    flat_w, flat_g, flat_s = np.zeros(n, f32), np.ones(n, f32), np.empty(n, f32)

    def sgd_flat() -> None:
        np.multiply(flat_g, LR, out=flat_s)
        np.subtract(flat_w, flat_s, out=flat_w)

    candidates = [
        ("bias folded into the product ([A, 1] @ [W; b]; db from the dW product)",
         dense_now, dense_folded),
        ("SGD over one flat buffer of all parameters (2 ufunc calls per step, "
         "not 2 per parameter)", opt.step, sgd_flat),
    ]
    axpy = _numpy_blas_saxpy()
    if axpy is not None:
        scratch = [np.empty_like(p.value) for p in params]

        def sgd_axpy() -> None:  # one pass on BLAS's threads for the large parameters
            for p, s in zip(params, scratch, strict=True):
                if p.value.size >= AXPY_MIN_SIZE:
                    axpy(-LR, p.grad, p.value)
                else:
                    np.multiply(p.grad, LR, out=s)
                    np.subtract(p.value, s, out=p.value)

        candidates.append((f"SGD through NumPy's own BLAS saxpy (ctypes) for parameters of "
                           f">= {AXPY_MIN_SIZE} elements", opt.step, sgd_axpy))
    results = []
    for name, now, new in candidates:
        now(), new()
        t_now, t_new = [], []
        for r in range(repeats):
            for which in rotate(["now", "new"], r):
                (t_now if which == "now" else t_new).append(
                    _per_call(now if which == "now" else new, inner))
        a, b = float(np.median(t_now)), float(np.median(t_new))
        results.append({"candidate": name, "per": "step",
                        "now_us_per_step": 1e6 * a, "prototype_us_per_step": 1e6 * b,
                        "saved_s_per_epoch": (a - b) * cfg.n_steps})
    return results


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
            cpu_one, cpu_many = (th[k]["neuronlab_cpu"]["median"] for k in ("1", str(threads.n)))
            row["candidates"].append({
                "candidate": f"BLAS threads: 1 instead of {threads.n} for this size "
                             f"(CPU time {cpu_one:.3f} s instead of {cpu_many:.3f} s)",
                "per": "epoch", "now_us_per_step": 1e6 * many / cfg.n_steps,
                "prototype_us_per_step": 1e6 * one / cfg.n_steps,
                "saved_s_per_epoch": many - one})
        for c in row["candidates"]:
            c["gain_share"] = c["saved_s_per_epoch"] / row["plain_wall"]
        results[cfg.name] = row
    return results
