"""Saving and loading a model: ``neuronlab.io``'s own safetensors code against the same
two functions built on the ``safetensors`` library (issue 13).

Contenders.  Both write the same standard safetensors layout and run neuronlab's same
checks (plain-JSON metadata, registered classes, finite weights; on loading, the
architecture's sizes against the tensors in the file before ``from_config`` allocates,
and the tensors' names, shapes and dtypes against the rebuilt network).

==============  ==========================================================================
neuronlab       ``neuronlab.io.save`` / ``load``: the header written and parsed in Python,
                the tensors written from the parameters' own buffers and read into them
library         the measured alternative, :class:`LibraryIO`: ``safetensors.numpy.save``
                to a bytes object written through ``neuronlab._files.atomic_open``;
                loading with ``safe_open`` (the header parsed and checked in Rust, then
                neuronlab's checks, then ``get_tensor`` copied into the network)
library_file    saving only: ``safetensors.numpy.save_file(arrays, path)``, the
                library's own write and its best case (no whole-file bytes object).  Not
                a candidate as it is: safetensors 0.8 writes a temporary file and renames
                it without ``fsync`` (a crash can leave an empty file), replaces a symlink
                by a file, and creates files with mode 0600 whatever the umask
==============  ==========================================================================

Models: ``tiny`` (4-8-3 float32: a call is all overhead), ``digits`` (64-128-128-10
float32), ``large_f32`` and ``large_f64`` (2048-2048-2048-2048: three 2048 x 2048
layers, 48 and 96 MiB).  ``--quick`` makes the large ones 256 wide.

Time.  Each timed call repeats the operation ``inner`` times (about 0.1 s of work) and
the contenders take turns, repeat by repeat (``_common.interleave``); ``time_ratio`` is
neuronlab's median over the library's (below 1: neuronlab is faster).  The files live
in ``/dev/shm`` (tmpfs) where it exists: the atomic write's ``fsync`` then costs nothing,
so the figures are the format code's, not the disk's; loading reads from memory.

Memory.  Each (contender, model, operation) runs alone in a fresh subprocess
(``python -m benchmarks.io CONTENDER MODEL OPERATION``).  After the imports, the model
and (to load) the file exist, the child resets the kernel's high-water mark (``5`` to
``/proc/self/clear_refs``), reads ``VmRSS``, runs the operation once and reads ``VmHWM``:
``rss_peak_mb`` is what the operation added at its peak, the library's Rust allocations
and the file pages it maps included, which tracemalloc does not see.  Then it runs the
operation again under ``tracemalloc``: ``traced_peak_mb`` is the peak of Python and
NumPy allocations above the level before, exact and unaffected by other processes.
Loading has to allocate the model itself (``model_mb``); the rest is the overhead.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._common import ROOT, interleave, reset_peak, status_kb, summary

CONTENDERS = ("neuronlab", "library", "library_file")
OPERATIONS = ("save", "load")
METADATA = {"epochs": 10, "lr": 0.01, "note": "benchmark"}


def models(quick: bool) -> dict[str, tuple[list[int], str]]:
    """name -> (layer sizes, dtype name)."""
    width = 256 if quick else 2048
    return {"tiny": ([4, 8, 3], "float32"),
            "digits": ([64, 128, 128, 10], "float32"),
            "large_f32": ([width] * 4, "float32"),
            "large_f64": ([width] * 4, "float64")}


def build(name: str, quick: bool) -> Any:
    from neuronlab.network import MLP

    sizes, dtype = models(quick)[name]
    return MLP(sizes, activation="tanh", dtype=np.dtype(dtype), seed=0)


def scratch_dir() -> Path:
    """A fresh folder on tmpfs (/dev/shm) where there is one, else the default temp."""
    shm = Path("/dev/shm")
    return Path(tempfile.mkdtemp(prefix="neuronlab-io-",
                                 dir=shm if shm.is_dir() and os.access(shm, os.W_OK) else None))


# ----------------------------------------------------------------------------- alternative


class LibraryIO:
    """The measured alternative: ``neuronlab.io.save`` and ``load`` built on the
    safetensors library, with neuronlab's checks kept (the same helpers ``io`` uses).

    ``via_file=True`` saves with the library's own ``safetensors.numpy.save_file``
    instead of ``neuronlab._files.atomic_open`` (see the module's docstring for what it
    does not keep).  Not used by neuronlab: see benchmarks/README.md, "io".
    """

    def __init__(self, via_file: bool = False) -> None:
        self.via_file = via_file

    def save(self, model: Any, path: str | os.PathLike[str], *,
             metadata: dict[str, Any] | None = None, allow_nonfinite: bool = False) -> None:
        import safetensors.numpy

        from neuronlab import io as nio
        from neuronlab._files import atomic_open

        strings, arrays = nio._checked_contents(model, metadata, allow_nonfinite)
        # the library writes a view's underlying buffer as it is (safetensors 0.8 passes
        # the data pointer of a non-contiguous array): give it C-ordered arrays
        arrays = {name: np.ascontiguousarray(value) for name, value in arrays.items()}
        if self.via_file:
            safetensors.numpy.save_file(arrays, path, metadata=strings)
            return
        with atomic_open(path) as f:
            f.write(safetensors.numpy.save(arrays, metadata=strings))

    def load(self, path: str | os.PathLike[str], *, allow_nonfinite: bool = False) -> Any:
        from safetensors import SafetensorError, safe_open

        from neuronlab import io as nio

        try:
            with safe_open(path, framework="numpy") as f:
                entries = {}
                for name in f.keys():
                    view = f.get_slice(name)
                    code, shape = view.get_dtype(), tuple(view.get_shape())
                    if code not in nio._DTYPES:
                        raise nio._bad(path, f"tensor {name!r}: dtype {code!r} is not allowed "
                                             f"(allowed: {', '.join(nio._DTYPES)})")
                    dtype = nio._DTYPES[code]
                    nbytes = dtype.itemsize * int(np.prod(shape))
                    entries[name] = nio._Entry(dtype, shape, 0, nbytes)
                header = nio._Header(entries, f.metadata() or {}, 0, 0)
                model, parameters = nio._rebuild(header, path)
                for name, parameter in parameters.items():
                    np.copyto(parameter.value, f.get_tensor(name))
        except SafetensorError as err:
            raise nio._bad(path, f"not a valid safetensors file ({err})") from err
        nio._check_loaded(parameters, path, allow_nonfinite)
        return model


def implementation(contender: str) -> tuple[Callable[..., None], Callable[..., Any]]:
    """(save, load) of a contender."""
    if contender == "neuronlab":
        from neuronlab import io as nio

        return nio.save, nio.load
    library = LibraryIO(via_file=contender == "library_file")
    return library.save, library.load


def _operations(contender: str) -> tuple[str, ...]:
    return OPERATIONS if contender != "library_file" else ("save",)


def check_interchangeable(model: Any, folder: Path) -> None:
    """Each contender's file loads with every other contender to the same weights: they
    are measured doing the same work."""
    for writer in CONTENDERS:
        path = folder / f"check-{writer}.safetensors"
        implementation(writer)[0](model, path, metadata=METADATA)
        for reader in ("neuronlab", "library"):
            loaded = implementation(reader)[1](path)
            for p, q in zip(model.parameters(), loaded.parameters(), strict=True):
                if not np.array_equal(p.value, q.value):
                    raise AssertionError(f"{reader} read {writer}'s file differently")
        path.unlink()


# ----------------------------------------------------------------------------- time


def _inner(model: Any) -> int:
    """Repetitions per timed call: about 0.1 s of work (1 for the large models)."""
    size = sum(p.value.nbytes for p in model.parameters())
    return max(1, min(400, int(50e6 / max(size, 1) / 10)))


def _time_model(name: str, quick: bool, repeats: int, folder: Path) -> dict[str, Any]:
    model = build(name, quick)
    check_interchangeable(model, folder)
    inner = 20 if quick else _inner(model)
    source = folder / f"{name}.safetensors"
    implementation("neuronlab")[0](model, source, metadata=METADATA)
    out: dict[str, Any] = {"inner": inner, "file_bytes": source.stat().st_size,
                           "model_mb": sum(p.value.nbytes for p in model.parameters()) / 2**20}
    for operation in OPERATIONS:
        actions = {}
        for contender in CONTENDERS:
            if operation not in _operations(contender):
                continue
            save, load = implementation(contender)
            target = folder / f"{name}-{contender}.safetensors"
            if operation == "save":
                def action(r: int, save=save, target=target) -> None:
                    for _ in range(inner):
                        save(model, target, metadata=METADATA)
            else:
                def action(r: int, load=load) -> None:
                    for _ in range(inner):
                        load(source)
            actions[contender] = action
        times = interleave(actions, repeats)
        row = {c: summary([t / inner for t in ts]) for c, ts in times.items()}
        for contender in list(row):
            if contender != "neuronlab":
                row[f"time_ratio_vs_{contender}"] = (row["neuronlab"]["median"]
                                                     / row[contender]["median"])
        out[operation] = row
    return out


# ----------------------------------------------------------------------------- memory


@contextmanager
def _rss_peak(out: dict[str, Any]):
    """``out["rss_peak_mb"]``: the high-water mark of the resident set inside the block
    above the resident set before it (``ru_maxrss`` where clear_refs is unavailable)."""
    reset = reset_peak()
    before = status_kb("VmRSS") if reset else \
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    yield
    peak = status_kb("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["rss_peak_mb"] = (peak - before) / 1024
    out["rss_method"] = "clear_refs+VmHWM" if reset else "ru_maxrss"


def child(contender: str, model_name: str, operation: str, quick: bool) -> dict[str, Any]:
    """Runs in the subprocess: one operation measured by RSS, then again by tracemalloc."""
    import tracemalloc

    save, load = implementation(contender)
    if contender != "neuronlab":
        import safetensors.numpy  # noqa: F401 - imported before the baseline, as neuronlab is
    model = build(model_name, quick)
    folder = scratch_dir()
    try:
        path = folder / "model.safetensors"
        save(model, path, metadata=METADATA)  # the file to load; to save: warms up

        def run() -> None:
            if operation == "save":
                save(model, path, metadata=METADATA)
            else:
                load(path)

        out: dict[str, Any] = {"model_mb": sum(p.value.nbytes for p in model.parameters())
                               / 2**20}
        with _rss_peak(out):
            run()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        run()
        out["traced_peak_mb"] = (tracemalloc.get_traced_memory()[1] - before) / 2**20
        tracemalloc.stop()
    finally:
        for file in folder.iterdir():
            file.unlink()
        folder.rmdir()
    return out


def _spawn(contender: str, model_name: str, operation: str, quick: bool) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.io", contender, model_name, operation]
    cmd += ["--quick"] if quick else []
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip()
                else f"exit {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _memory_model(name: str, quick: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for operation in OPERATIONS:
        row = {c: _spawn(c, name, operation, quick) for c in CONTENDERS
               if operation in _operations(c)}
        for contender in list(row):
            if contender != "neuronlab":
                for key in ("rss_peak_mb", "traced_peak_mb"):
                    ours, theirs = row["neuronlab"].get(key), row[contender].get(key)
                    if ours is not None and theirs is not None:
                        row[f"{key[:-3]}_ratio_vs_{contender}"] = ours / max(theirs, 1e-6)
        out[operation] = row
    return out


# ----------------------------------------------------------------------------- section


def run_io(quick: bool, repeats: int, log: Callable[[str], None] = print) -> dict[str, Any]:
    from benchmarks._common import optional

    if optional("safetensors.numpy") is None:
        return {"unavailable": "the safetensors library is not installed (pip install "
                               "safetensors, or the test extra)"}
    import safetensors

    folder = scratch_dir()
    results: dict[str, Any] = {"folder": str(folder.parent), "safetensors":
                               safetensors.__version__, "models": {}}
    try:
        for name, (sizes, dtype) in models(quick).items():
            log(f"io: {name} ({'-'.join(map(str, sizes))} {dtype}), save and load timed")
            row: dict[str, Any] = {"sizes": sizes, "dtype": dtype}
            row["time"] = _time_model(name, quick, repeats, folder)
            if not quick or name.startswith("large_f32"):
                log(f"io: {name}, peak memory (one subprocess per contender and operation)")
                row["memory"] = _memory_model(name, quick)
            results["models"][name] = row
    finally:
        for file in folder.iterdir():
            file.unlink()
        folder.rmdir()
    return results


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("contender", choices=CONTENDERS)
    parser.add_argument("model", choices=list(models(False)))
    parser.add_argument("operation", choices=OPERATIONS)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    out = child(args.contender, args.model, args.operation, args.quick)
    out["child_s"] = time.perf_counter() - start
    print(json.dumps(out))


if __name__ == "__main__":
    main()
