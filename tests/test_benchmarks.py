"""Smoke test of the benchmark suite: ``python -m benchmarks --quick`` runs and writes a
JSON file with every section filled in.

Timings are never asserted (they depend on the machine and on what else runs on it);
only that each section produced its numbers.  One thread keeps the run short on a
busy machine, where two spinning BLAS threads per process would crawl.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neuronlab import activations

ROOT = Path(__file__).resolve().parent.parent

# the sections issue 5 asks for (the suite adds "breakdown")
REQUIRED = ("training", "floor", "inference", "activations", "diagnostics", "scaling",
            "memory", "allocations")


def _suite_sections() -> tuple[str, ...]:
    spec = importlib.util.spec_from_file_location("_benchmarks",
                                                  ROOT / "benchmarks" / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SECTIONS


def _positive(x: object) -> bool:
    return isinstance(x, int | float) and math.isfinite(x) and x > 0


def _run_quick(out: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--threads", "1", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "training throughput" in proc.stdout  # the rich tables were printed
    return json.loads(out.read_text())


def _check_sections(results: dict) -> None:
    sections = _suite_sections()
    assert set(REQUIRED) <= set(sections)
    for section in sections:
        assert section in results, f"section {section!r} missing from the JSON"
        assert results[section], f"section {section!r} is empty"
        assert "skipped" not in results[section], f"section {section!r} was skipped"
    assert results["machine"]["cpu"] and results["machine"]["threads"] == 1
    assert isinstance(results["targets"], list) and results["targets"]


def _check_training(results: dict) -> None:
    names = {"wide_b32", "wide_b128", "wide_b512", "deep_b128", "digits_b32"}
    assert set(results["training"]) == names and set(results["floor"]) == names
    for row in results["training"].values():
        assert _positive(row["neuronlab"]["samples_per_s"])
        for peer in ("torch", "sklearn"):
            assert _positive(row[peer].get("samples_per_s")) or "unavailable" in row[peer]
    for row in results["floor"].values():
        assert _positive(row["floor"]["median"]) and _positive(row["multiple"])
        assert _positive(row["plain_numpy"]["median"]) and _positive(row["multiple_of_plain"])


def _check_activations(results: dict) -> None:
    measured = results["activations"]["activations"]
    assert set(measured) == set(activations.names())
    for name, row in measured.items():
        assert "error" not in row, f"{name}: {row.get('error')}"
        assert _positive(row["neuronlab"]["total_ns"])


def _check_others(results: dict) -> None:
    for arch in ("wide", "deep", "digits"):
        assert _positive(results["inference"][arch]["neuronlab"]["samples_per_s"])
    diagnostics = results["diagnostics"]
    assert "unavailable" in diagnostics or all(
        math.isfinite(row["overhead"]) and _positive(row["per_step"]["monitor_s"])
        for row in diagnostics.values())
    for sweep in ("width", "depth", "batch"):
        assert math.isfinite(results["scaling"][sweep]["exponent"])
    for row in results["memory"].values():
        assert row["neuronlab"]["train_peak_mb"] >= 0
        assert row["neuronlab"]["tracemalloc"]["tracemalloc_peak_mb"] >= 0
    for row in results["allocations"].values():
        assert row["steps_measured"] > 0 and row["fresh_arrays_per_step"] >= 0
    for row in results["breakdown"].values():
        assert row["phases"] and row["profile"]["top"] and row["candidates"]
    for row in results["io"]["models"].values():
        for operation in ("save", "load"):
            assert _positive(row["time"][operation]["neuronlab"]["median"])
            assert _positive(row["time"][operation]["time_ratio_vs_library"])
    measured = results["io"]["models"]["large_f32"]["memory"]
    assert all(measured[op]["neuronlab"]["traced_peak_mb"] >= 0 for op in ("save", "load"))


def test_quick_run_writes_every_section(tmp_path: Path) -> None:
    """One run (it takes seconds), checked section by section."""
    results = _run_quick(tmp_path / "results.json")
    _check_sections(results)
    _check_training(results)
    _check_activations(results)
    _check_others(results)


def test_the_plain_numpy_reference_trains_as_fit_does() -> None:
    """The benchmark's plain-NumPy step is the same computation as ``fit``'s: from the
    same weights, one epoch in the same batch order gives the same weights."""
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks._common import LR, Config, batch_order, make_data
        from benchmarks.training import Neuronlab, PlainNumpy
    finally:
        sys.path.remove(str(ROOT))
    for activation in ("relu", "tanh"):
        cfg = Config(f"tiny_{activation}", (12, 16, 16, 4), activation, 8, 60)
        X, y = make_data(cfg.n_samples, cfg.sizes[0], n_classes=4, seed=1)
        nl, plain = Neuronlab(cfg, seed=2), PlainNumpy(cfg, seed=3)
        for W, b, (W_nl, b_nl) in zip(plain.W, plain.b, nl.weights(), strict=True):
            W[...], b[...] = W_nl, b_nl
        start = [W.copy() for W in plain.W]
        plain.epoch(X, y, batch_order(5, len(X)))
        nl.epoch(X, y, seed=5)
        for W, b, W0, (W_nl, b_nl) in zip(plain.W, plain.b, start, nl.weights(), strict=True):
            assert np.abs(W - W0).max() > 10 * LR * 1e-3  # it trained
            np.testing.assert_allclose(W, W_nl, rtol=1e-4, atol=1e-6)
            np.testing.assert_allclose(b, b_nl, rtol=1e-4, atol=1e-6)


def test_the_saxpy_prototype_computes_y_plus_alpha_x() -> None:
    """The breakdown's SGD-through-BLAS prototype binds NumPy's own saxpy by name: where
    it finds one, it must compute y + alpha x in place (float32 rounding)."""
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.breakdown import _numpy_blas_saxpy
    finally:
        sys.path.remove(str(ROOT))
    saxpy = _numpy_blas_saxpy()
    if saxpy is None:
        pytest.skip("no known saxpy symbol in this NumPy's BLAS")
    rng = np.random.default_rng(0)
    x, y = (rng.standard_normal((300, 200), dtype=np.float32) for _ in range(2))
    expected = y + np.float32(-0.01) * x
    saxpy(-0.01, x, y)
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-7)


def test_the_io_benchmarks_library_alternative_does_what_io_does(tmp_path: Path) -> None:
    """The io section's measured alternative (save and load on the safetensors library)
    reads and writes the same files as ``neuronlab.io`` and keeps its checks, so the two
    are timed doing the same work."""
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.io import LibraryIO, build, check_interchangeable
    finally:
        sys.path.remove(str(ROOT))
    import safetensors.numpy as st_numpy

    for name in ("tiny", "large_f64"):
        model = build(name, quick=True)
        for p in model.parameters():  # distinct values everywhere, biases included
            p.value[...] = np.random.default_rng(1).normal(size=p.value.shape)
        check_interchangeable(model, tmp_path)  # raises on any difference
    path = tmp_path / "hostile.safetensors"
    LibraryIO().save(build("tiny", quick=True), path)
    tensors = st_numpy.load_file(path)
    architecture = {"dtype": "float32", "layers": [{"type": "dense", "config": {
        "fan_in": 10**6, "fan_out": 10**6, "dtype": "float32"}}]}
    st_numpy.save_file(tensors, path, metadata={"neuronlab_format": "1", "metadata": "{}",
                                                "architecture": json.dumps(architecture)})
    with pytest.raises(ValueError, match="refusing to allocate"):
        LibraryIO().load(path)
