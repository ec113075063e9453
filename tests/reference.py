"""PyTorch counterparts of neuronlab's activations (test-only reference).

Shared by the activation tests, the whole-network tests and the benchmarks.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from neuronlab.activations import ActivationFunction


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
    # a user's formula: checked against the built-ins it reproduces in test_formula.py
    "formula": None,
}


