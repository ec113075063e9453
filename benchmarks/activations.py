"""Per-activation cost: forward + backward ns per element, beside PyTorch's.

Every registered activation (``activations.names()``, nothing listed here) is timed on
a float32 batch ``z`` of standard-normal values times 3 (both branches of every kink
and the saturated tails are exercised): ``a = g.forward(z, training=True)`` and
``g.backward(z, a, grad)``.  PyTorch's counterpart comes from the test suite's
reference table (``tests/reference.py``), so no second list of activations lives
here; its forward runs with autograd recording and its backward is
``torch.autograd.grad(a, z, grad, retain_graph=True)``.
"""

from __future__ import annotations

import functools
import importlib
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._common import optional, rotate


def torch_reference() -> dict[str, Callable | None] | None:
    """name -> ``f(torch_tensor, activation)`` from ``tests/reference.py``, if importable.

    The table is ``tests.reference.TORCH`` (one entry per registered activation, None
    where PyTorch has no counterpart).
    """
    from neuronlab import activations

    try:
        module = importlib.import_module("tests.reference")
    except Exception:  # noqa: BLE001 - the reference is optional for the benchmarks
        return None
    if isinstance(getattr(module, "TORCH", None), dict):
        return module.TORCH
    names = set(activations.names())
    for value in vars(module).values():
        if isinstance(value, dict) and names & set(value) and \
                all(v is None or callable(v) for v in value.values()):
            return value
    return None


def _nothing() -> None:
    return None


def _per_call(fn: Callable[[], Any], inner: int) -> float:
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - start) / inner


def run_activations(shape: tuple[int, int], repeats: int, inner: int, seed: int = 0,
                    log: Callable[[str], None] = print) -> dict[str, Any]:
    """ns/element of forward and backward for every registered activation."""
    from neuronlab import activations
    from neuronlab.studies.atlas import FORMULA_EXAMPLE

    torch = optional("torch")
    reference = torch_reference() if torch is not None else None
    rng = np.random.default_rng(seed)
    z = 3 * rng.standard_normal(shape, dtype=np.float32)
    grad = rng.standard_normal(shape, dtype=np.float32)
    size = z.size
    log(f"activations: {len(activations.names())} registered, batch {shape}")
    results: dict[str, Any] = {"shape": list(shape), "reference": reference is not None,
                               "activations": {}}
    for name in activations.names():
        row: dict[str, Any] = {}
        try:
            # the template "formula" needs an expression: the atlas's (mish as a formula)
            needs = activations.REGISTRY.template_hint(name) is not None
            g = activations.get(name, **({"expression": FORMULA_EXAMPLE} if needs else {}))
            g.build(shape[1], np.dtype(np.float32))
            a = g.forward(z, training=True)
            g.backward(z, a, grad)  # warm-up
            row["dtype_out"] = str(a.dtype)
        except Exception as exc:  # noqa: BLE001 - one broken entry must not stop the suite
            results["activations"][name] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        contenders: dict[str, tuple[Callable, Callable]] = {
            "neuronlab": (lambda g=g: g.forward(z, training=True),
                          lambda g=g, a=a: g.backward(z, a, grad))}
        ref = reference.get(name) if reference is not None else None
        if ref is not None:
            try:
                zt = torch.from_numpy(z).requires_grad_(True)
                gt = torch.from_numpy(grad)
                at = ref(zt, g)
                if at.requires_grad:
                    torch.autograd.grad(at, zt, gt, retain_graph=True)
                    backward = functools.partial(torch.autograd.grad, at, zt, gt,
                                                 retain_graph=True)
                else:  # no derivative in PyTorch (step): forward only
                    backward = _nothing
                    row["torch_note"] = "no backward in PyTorch"
                contenders["torch"] = (functools.partial(ref, zt, g), backward)
            except Exception as exc:  # noqa: BLE001
                row["torch_error"] = f"{type(exc).__name__}: {exc}"
        times = {n: ([], []) for n in contenders}
        for r in range(repeats):
            for n in rotate(list(contenders), r):
                forward, backward = contenders[n]
                times[n][0].append(_per_call(forward, inner))
                times[n][1].append(_per_call(backward, inner))
        for n, (fw, bw) in times.items():
            f_ns, b_ns = 1e9 * float(np.median(fw)) / size, 1e9 * float(np.median(bw)) / size
            row[n] = {"forward_ns": f_ns, "backward_ns": b_ns, "total_ns": f_ns + b_ns}
        if "torch" in row:
            row["ratio_vs_torch"] = row["neuronlab"]["total_ns"] / row["torch"]["total_ns"]
        results["activations"][name] = row
    return results
