"""Shared pieces: configurations, synthetic data, thread control, timing statistics,
and a description of the machine the numbers came from."""

from __future__ import annotations

import functools
import gc
import importlib
import importlib.metadata
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
#: Thread and BLAS settings inherited from the environment, before ``Threads`` sets its
#: own (``OPENBLAS_CORETYPE`` for one changes which BLAS kernels NumPy runs).
INHERITED_ENV = {k: v for k, v in os.environ.items()
                 if k.startswith(("OPENBLAS_", "OMP_", "MKL_", "GOMP_", "KMP_"))}
LR = 0.01
N_CLASSES = 10


@dataclass(frozen=True)
class Config:
    """One training configuration: layer sizes, hidden activation, batch size, samples."""

    name: str
    sizes: tuple[int, ...]
    activation: str
    batch_size: int
    n_samples: int

    @property
    def n_steps(self) -> int:
        return -(-self.n_samples // self.batch_size)

    def batch_sizes(self) -> list[int]:
        """The size of every batch of one epoch (the last one may be partial)."""
        full, rest = divmod(self.n_samples, self.batch_size)
        return [self.batch_size] * full + ([rest] if rest else [])

    @property
    def architecture(self) -> str:
        """``784-256-256-10``, or ``64-20x128-10`` for a run of equal hidden widths."""
        hidden = self.sizes[1:-1]
        if len(hidden) > 3 and len(set(hidden)) == 1:
            middle = f"{len(hidden)}x{hidden[0]}"
        else:
            middle = "-".join(map(str, hidden))
        return f"{self.sizes[0]}-{middle}-{self.sizes[-1]} {self.activation}"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sizes": list(self.sizes), "activation": self.activation,
                "batch_size": self.batch_size, "n_samples": self.n_samples,
                "n_steps": self.n_steps, "architecture": self.architecture}


WIDE = (784, 256, 256, 10)
DEEP = (64, *[128] * 20, 10)
DIGITS = (64, 128, 128, 10)


def training_configs(quick: bool = False) -> list[Config]:
    """The issue's configurations (``quick`` shrinks the sample counts for a smoke run)."""
    n_wide, n_deep, n_digits = (1024, 512, 512) if quick else (60_000, 20_000, 20_000)
    return [
        Config("wide_b32", WIDE, "relu", 32, n_wide),
        Config("wide_b128", WIDE, "relu", 128, n_wide),
        Config("wide_b512", WIDE, "relu", 512, n_wide),
        Config("deep_b128", DEEP, "tanh", 128, n_deep),
        Config("digits_b32", DIGITS, "relu", 32, n_digits),
    ]


def config_by_name(name: str, quick: bool = False) -> Config:
    for cfg in training_configs(quick):
        if cfg.name == name:
            return cfg
    raise ValueError(f"unknown configuration {name!r}; known: "
                     f"{', '.join(c.name for c in training_configs())}")


def make_data(n_samples: int, n_features: int, n_classes: int = N_CLASSES,
              seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Standard-normal float32 inputs and labels from a random linear teacher.

    Generated directly in float32 (no float64 temporary), so that the memory
    high-water mark of a process is not set by making the data.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features), dtype=np.float32)
    teacher = rng.standard_normal((n_features, n_classes), dtype=np.float32)
    y = np.argmax(X @ teacher, axis=1).astype(np.int64)
    return X, y


def batch_order(seed: int, n_samples: int) -> np.ndarray:
    """The sample order of the first epoch of ``fit(..., shuffle=True, seed=seed)``.

    ``fit`` draws ``np.random.default_rng(seed).permutation(n)`` for its first epoch
    (no validation split); the training section checks this by comparing weights with
    PyTorch after a warm-up epoch, so peers get exactly neuronlab's batch order.
    """
    return np.random.default_rng(seed).permutation(n_samples)


# ----------------------------------------------------------------------------- threads


class Threads:
    """Pins every thread pool in the process (NumPy's BLAS, OpenMP, PyTorch) to ``n``."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._limits = None
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(n)  # inherited by the memory section's subprocesses
        self.apply()

    def apply(self) -> None:
        """(Re)apply the limits: call after importing a library with its own pool."""
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
            threadpool_limits = None
        if threadpool_limits is not None:
            self._limits = threadpool_limits(limits=self.n)
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(self.n)

    def blas(self, n: int):
        """A context manager limiting only the BLAS pools (NumPy's) to ``n`` threads."""
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=n, user_api="blas")


def optional(module: str) -> Any | None:
    """Import ``module`` or return None when it is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


# ----------------------------------------------------------------------------- timing


#: Seconds of idling before each timed call.  After a BLAS or OpenMP call the library's
#: worker threads keep spinning for a while (OpenBLAS about 2^28 cycles, libgomp a few
#: ms); with as many threads as cores, a contender timed right after another library
#: ran competes with those spinning threads (PyTorch measured up to 1.6x slower right
#: after a NumPy epoch on 2 cores).  The pause lets every pool park first, so each
#: library runs with its own defaults undisturbed.  ``--quick`` sets it to 0.
PAUSE = 0.3


def timed(fn: Callable[[], Any]) -> float:
    """Wall time of one call, after a pause (see ``PAUSE``) and a garbage collection (so
    no collection of earlier garbage lands inside the measurement).

    The survivors are then frozen (``gc.freeze``): PyTorch's imports leave millions of
    objects, which would make every later full collection take a third of a second.
    """
    if PAUSE:
        time.sleep(PAUSE)
    gc.collect()
    gc.freeze()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cpu_busy(seconds: float = 2.0) -> float | None:
    """Fraction of all CPUs busy over ``seconds`` while this process sleeps: the load
    other processes put on the machine right now (None where /proc/stat is missing)."""
    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    return 1.0 - (idle1 - idle0) / max(total1 - total0, 1)


def wait_quiet(limit: float | None, log: Callable[[str], None], max_wait: float = 900.0
               ) -> float | None:
    """With ``limit`` set, wait (up to ``max_wait`` s) until other processes keep less
    than that fraction of the CPUs busy; returns the last busy fraction measured."""
    if limit is None:
        return None
    start, busy = time.perf_counter(), cpu_busy()
    while busy is not None and busy > limit and time.perf_counter() - start < max_wait:
        log(f"waiting: other processes keep {100 * busy:.0f}% of the CPUs busy "
            f"(limit {100 * limit:.0f}%)")
        time.sleep(8.0)
        busy = cpu_busy()
    return busy


def interleave(actions: dict[str, Callable[[int], Any]], repeats: int) -> dict[str, list[float]]:
    """Time ``actions[name](r)`` for r = 0 .. repeats-1, the contenders taking turns
    (in a rotated order each repeat); returns each one's list of seconds."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    for r in range(repeats):
        for name in rotate(list(actions), r):
            times[name].append(timed(functools.partial(actions[name], r)))
    return times


def summary(times: list[float]) -> dict[str, Any]:
    """Median and spread of repeated timings (seconds).

    ``spread`` is half the range relative to the median: ``(max - min) / (2 median)``.
    """
    med = statistics.median(times)
    return {"median": med, "min": min(times), "max": max(times),
            "spread": (max(times) - min(times)) / (2 * med) if med > 0 else 0.0,
            "times": list(times)}


def rotate(names: list[str], r: int) -> list[str]:
    """The contenders' order for repeat ``r``: rotated so none is always first."""
    k = r % len(names) if names else 0
    return names[k:] + names[:k]


def fit_exponent(x: list[float], y: list[float]) -> float:
    """Least-squares slope of log y against log x: y ~ x^k."""
    k, _ = np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)
    return float(k)


# ----------------------------------------------------------------------------- machine


def _cpuinfo() -> dict[str, str]:
    """The first processor's fields from /proc/cpuinfo (empty where there is none)."""
    fields: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if not line.strip():
                break
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    except OSError:
        pass
    return fields


def _cpu_model() -> str:
    return _cpuinfo().get("model name") or platform.processor() or platform.machine()


def _cpu_details() -> dict[str, Any]:
    info = _cpuinfo()
    flags = set(info.get("flags", "").split())
    return {"family": info.get("cpu family"), "model": info.get("model"),
            "stepping": info.get("stepping"), "cache": info.get("cache size"),
            "mhz": info.get("cpu MHz"),
            "simd": [f for f in ("avx2", "fma", "avx512f", "avx512_bf16") if f in flags]}


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def machine(threads: int) -> dict[str, Any]:
    """CPU, cores, thread pools, BLAS and library versions: where the numbers came from."""
    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cpu_details": _cpu_details(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "threads": threads,
        "inherited_env": INHERITED_ENV,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {dist: _version(dist) for dist in
                     ("neuronlab", "numpy", "torch", "scikit-learn", "threadpoolctl")},
        "git": _git_commit(),
    }
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["numpy_blas"] = {k: blas.get(k) for k in ("name", "version", "openblas configuration")}
    except Exception:  # noqa: BLE001 - older NumPy: no dict mode
        info["numpy_blas"] = None
    try:
        from threadpoolctl import threadpool_info

        info["thread_pools"] = [{k: pool.get(k) for k in
                                 ("user_api", "internal_api", "prefix", "version",
                                  "num_threads", "threading_layer", "architecture")}
                                for pool in threadpool_info()]
    except ImportError:
        info["thread_pools"] = None
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch_threads"] = torch.get_num_threads()
        info["torch_blas"] = "MKL" if torch.backends.mkl.is_available() else "other"
    return info


def status_kb(field: str) -> int | None:
    """A ``/proc/self/status`` field in kB (``VmRSS``, ``VmHWM``); None off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak() -> bool:
    """Reset the resident set's high-water mark (``VmHWM``) to the current RSS, where
    Linux allows it (``/proc/self/clear_refs``); False where it cannot be reset."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True
