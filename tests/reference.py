"""PyTorch counterparts of neuronlab's activations (test-only reference).

Shared by the activation tests, the whole-network tests and the benchmarks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from neuronlab import formula
from neuronlab.activations import ActivationFunction, get

#: What an entry needs beyond its name to be built by the battery.  The template
#: ``"formula"`` is refused alone (it would otherwise default to an expression nobody
#: chose), so the battery writes a real one: mish, with a kink-free derivative that
#: goes through the stable rewrites (softplus, tanh) and saturates on the left.
BATTERY_ARGUMENTS: dict[str, dict[str, Any]] = {
    "formula": {"expression": "x * tanh(softplus(x))"},
}


def build(name: str, **params: Any) -> ActivationFunction:
    """``activations.get(name, **params)``, with the arguments a template needs
    (:data:`BATTERY_ARGUMENTS`) unless ``params`` gives them."""
    return get(name, **{**BATTERY_ARGUMENTS.get(name, {}), **params})


def torch_of_formula(expr: Any, x: torch.Tensor, values: dict[str, torch.Tensor]
                     ) -> torch.Tensor:
    """A formula's SymPy expression (as parsed: ``Formula.symbolic()["expression"]``)
    evaluated with torch ops, so autograd gives its derivatives; ``values`` maps its
    parameters to tensors."""
    import sympy as sp

    kit = formula._kit()
    if expr.is_Symbol:
        return x if expr.name in ("x", "z") else values[expr.name]
    if expr.is_number:
        return torch.tensor(float(expr), dtype=x.dtype)
    args = [torch_of_formula(a, x, values) for a in expr.args]
    if expr.is_Add:
        return sum(args[1:], args[0])
    if expr.is_Mul:
        out = args[0]
        for a in args[1:]:
            out = out * a
        return out
    if expr.is_Pow:
        return args[0] ** args[1]
    table = {sp.exp: torch.exp, sp.log: torch.log, sp.tanh: torch.tanh, sp.erf: torch.erf,
             sp.Abs: torch.abs, kit.sigmoid: torch.sigmoid,
             kit.softplus: F.softplus, sp.sin: torch.sin}
    if expr.func in (sp.Max, sp.Min):
        fn = torch.maximum if expr.func == sp.Max else torch.minimum
        out = args[0]
        for a in args[1:]:
            out = fn(out, a.expand_as(x) if a.dim() == 0 else a)
        return out
    return table[expr.func](*args)


def _formula(x: torch.Tensor, act: ActivationFunction) -> torch.Tensor:
    values = {name: torch.tensor(float(p.value.reshape(-1)[0]), dtype=x.dtype)
              for name, p in act.weights.items()}
    values.update({name: torch.tensor(v, dtype=x.dtype) for name, v in act.params.items()
                   if name not in values})
    return torch_of_formula(act.symbolic()["expression"], x, values)


def _hard_sigmoid(x, act):
    if act.slope == 1 / 6 and act.offset == 0.5:
        return F.hardsigmoid(x)
    return F.hardtanh(act.slope * x + act.offset, 0.0, 1.0)


def _prelu(x, act):
    return F.prelu(x, torch.as_tensor(act.weight.value, dtype=x.dtype))


def _swish(x, act):
    beta = act.beta if act.weight is None else float(act.weight.value[0])
    return F.silu(x) if beta == 1.0 else x * torch.sigmoid(beta * x)


#: Every registered name -> ``f(torch_tensor, activation)``, PyTorch's counterpart with
#: the activation's own hyper-parameters, or None where PyTorch has none.  A result
#: that does not require grad (step: torch has no derivative for heaviside) is
#: compared in the forward pass only.  Shared with the network tests and the
#: benchmarks.
TORCH: dict[str, Callable[[torch.Tensor, ActivationFunction], torch.Tensor] | None] = {
    "identity": lambda x, act: x.clone(),
    "step": lambda x, act: torch.heaviside(x.detach(), torch.tensor(act.value_at_zero,
                                                                    dtype=x.dtype)),
    "sign": lambda x, act: torch.sign(x),
    "piecewise_linear": lambda x, act: F.hardtanh(x + 0.5, 0.0, 1.0),
    "sigmoid": lambda x, act: torch.sigmoid(x),
    "hard_sigmoid": _hard_sigmoid,
    "tanh": lambda x, act: torch.tanh(x),
    "hard_tanh": lambda x, act: F.hardtanh(x, act.min_val, act.max_val),
    "relu": lambda x, act: F.relu(x),
    "relu6": lambda x, act: F.relu6(x),
    "leaky_relu": lambda x, act: F.leaky_relu(x, act.alpha),
    "prelu": _prelu,
    "rrelu": lambda x, act: F.rrelu(x, act.lower, act.upper, training=False),
    "elu": lambda x, act: F.elu(x, act.alpha),
    "selu": lambda x, act: F.selu(x),
    "celu": lambda x, act: F.celu(x, act.alpha),
    "gelu": lambda x, act: F.gelu(x, approximate=act.approximate),
    "swish": _swish,
    "hard_swish": lambda x, act: F.hardswish(x),
    "mish": lambda x, act: F.mish(x),
    "softplus": lambda x, act: F.softplus(x, act.beta, act.threshold),
    "softsign": lambda x, act: F.softsign(x),
    "log_sigmoid": lambda x, act: F.logsigmoid(x),
    "softmax": lambda x, act: F.softmax(x, dim=-1),
    "log_softmax": lambda x, act: F.log_softmax(x, dim=-1),
    # the battery's formula (BATTERY_ARGUMENTS), through torch ops term by term
    "formula": _formula,
}


