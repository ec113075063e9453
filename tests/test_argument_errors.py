"""The same mistake gets the same error everywhere (``neuronlab._validate``).

Every public constructor or function that takes a number, an integer, a flag, a seed
or a name is fed the same wrong inputs; a wrong *type* (a bool where a number is
wanted, a string, a float where an integer is wanted) must raise ``TypeError``, a
wrong *value* of the right type (NaN, inf, a negative size) ``ValueError``, and the
message must name the parameter and show what was received.

Before the one validation module, these disagreed: ``init`` and ``losses`` called a
bool or a string given for a number a ValueError, ``meanfield`` and
``diagnostics.Monitor`` did the same for a bool or float given for an integer, the
studies for a seed; ``train.fit`` and ``meanfield`` took ``True`` as the number 1
(``l2=True``, ``sigma_w=True``) and ``data.spirals`` made NaN data from
``noise=nan``; a name that was not a string (``mode=3``) was a ValueError.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from neuronlab import (
    activations,
    data,
    diagnostics,
    formula,
    gradcheck,
    init,
    layers,
    losses,
    meanfield,
    network,
    optim,
    parallel,
    propagation,
    sweep,
    train,
)
from neuronlab.parameter import Parameter
from neuronlab.studies._core import derive_seed, run_studies

NAN, INF = float("nan"), float("inf")

#: The wrong inputs of each kind of argument and the error each must raise.
WRONG: dict[str, list[tuple[Any, type[Exception]]]] = {
    # a finite real number (negative values are tried separately, where not allowed)
    "real": [(True, TypeError), ("0.5", TypeError), (None, TypeError), (1j, TypeError),
             (NAN, ValueError), (INF, ValueError), (-INF, ValueError)],
    # an integer: no bool, no float (not even 2.0), no string
    "int": [(True, TypeError), (2.5, TypeError), (2.0, TypeError), ("2", TypeError),
            (NAN, TypeError), (INF, TypeError), (-1, ValueError)],
    # a seed: an integer in [0, 2**32 - 1] (None is fresh randomness, allowed)
    "seed": [(True, TypeError), (1.5, TypeError), ("1", TypeError), (-1, ValueError),
             (2**32, ValueError)],
    # True or False, nothing else
    "bool": [(1, TypeError), (0, TypeError), ("yes", TypeError), (None, TypeError)],
    # a name from a fixed set
    "choice": [(3, TypeError), (True, TypeError), (None, TypeError),
               ("nonsense", ValueError)],
    # a number or an array of them (the mean-field scales)
    "reals": [(True, TypeError), ("0.5", TypeError), ([1.0, "a"], TypeError),
              (NAN, ValueError), ([1.0, INF], ValueError), (-1.0, ValueError)],
}


def _params() -> list[Parameter]:
    return [Parameter(np.zeros(2), "w")]


def _fit(**kwargs: Any) -> Any:
    """train.fit on a tiny problem; the wrong argument is refused before any step."""
    model = network.MLP([2, 3, 2], seed=0)
    return train.fit(model, np.zeros((4, 2)), np.array([0, 1, 0, 1]), verbose=False,
                     **kwargs)


# (label, call(value), parameter name in the message, kind, extra): ``extra`` says
# whether a negative number is allowed ("negative ok") for a "real".
Case = tuple[str, Callable[[Any], Any], str, str, str]
CASES: list[Case] = [
    # optim: optimizers, schedules, clipping
    ("SGD lr", lambda v: optim.SGD(_params(), lr=v), "lr", "real", ""),
    ("SGD momentum", lambda v: optim.SGD(_params(), momentum=v), "momentum", "real", ""),
    ("SGD dampening", lambda v: optim.SGD(_params(), dampening=v), "dampening", "real", ""),
    ("SGD weight_decay", lambda v: optim.SGD(_params(), weight_decay=v), "weight_decay",
     "real", ""),
    ("SGD nesterov", lambda v: optim.SGD(_params(), momentum=0.9, nesterov=v), "nesterov",
     "bool", ""),
    ("Adam eps", lambda v: optim.Adam(_params(), eps=v), "eps", "real", ""),
    ("Adam amsgrad", lambda v: optim.Adam(_params(), amsgrad=v), "amsgrad", "bool", ""),
    ("Adam clip_norm", lambda v: optim.Adam(_params(), clip_norm=v), "clip_norm", "real", ""),
    ("RMSprop alpha", lambda v: optim.RMSprop(_params(), alpha=v), "alpha", "real", ""),
    ("RMSprop centered", lambda v: optim.RMSprop(_params(), centered=v), "centered", "bool",
     ""),
    ("Adagrad lr_decay", lambda v: optim.Adagrad(_params(), lr_decay=v), "lr_decay", "real",
     ""),
    ("Optimizer.set_epoch", lambda v: optim.SGD(_params()).set_epoch(v), "epoch", "int", ""),
    ("StepDecay step_size", lambda v: optim.StepDecay(step_size=v), "step_size", "int", ""),
    ("StepDecay gamma", lambda v: optim.StepDecay(1, gamma=v), "gamma", "real", ""),
    ("StepDecay epoch", lambda v: optim.StepDecay(1)(0.1, v), "epoch", "int", ""),
    ("CosineAnnealing t_max", lambda v: optim.CosineAnnealing(t_max=v), "t_max", "int", ""),
    ("InverseScaling power_t", lambda v: optim.InverseScaling(power_t=v), "power_t", "real",
     ""),
    ("ReduceOnDemand factor", lambda v: optim.ReduceOnDemand(factor=v), "factor", "real", ""),
    ("clip_grad_norm max_norm", lambda v: optim.clip_grad_norm(_params(), v), "max_norm",
     "real", ""),
    # init
    ("constant value", lambda v: init.Constant(v), "value", "real", "negative ok"),
    ("uniform low", lambda v: init.Uniform(low=v, high=10.0), "low", "real", "negative ok"),
    ("normal std", lambda v: init.Normal(std=v), "std", "real", ""),
    ("variance_scaling scale", lambda v: init.VarianceScaling(scale=v), "scale", "real", ""),
    ("variance_scaling mode", lambda v: init.VarianceScaling(mode=v), "mode", "choice", ""),
    ("variance_scaling distribution", lambda v: init.VarianceScaling(distribution=v),
     "distribution", "choice", ""),
    ("he_normal mode", lambda v: init.HeNormal(mode=v), "mode", "choice", ""),
    ("orthogonal gain", lambda v: init.Orthogonal(gain=v), "gain", "real", ""),
    # activations (their checks are mapped to _validate's by the activations module)
    ("ELU alpha", lambda v: activations.ELU(alpha=v), "alpha", "real", ""),
    ("LeakyReLU alpha", lambda v: activations.LeakyReLU(alpha=v), "alpha", "real", ""),
    ("Softplus beta", lambda v: activations.Softplus(beta=v), "beta", "real", ""),
    ("Swish learnable", lambda v: activations.Swish(learnable=v), "learnable", "bool", ""),
    ("formula parameter", lambda v: formula.from_formula("a * x", params={"a": v}), "'a'",
     "real", "negative ok"),
    # layers and networks
    ("Dense fan_in", lambda v: layers.Dense(v, 2), "fan_in", "int", ""),
    ("Dense bias_init", lambda v: layers.Dense(2, 2, bias_init=v), "bias_init", "real",
     "negative ok"),
    ("Dense seed", lambda v: layers.Dense(2, 2, seed=v), "seed", "seed", ""),
    ("Maxout k", lambda v: layers.Maxout(2, 3, k=v), "k", "int", ""),
    ("Dropout rate", lambda v: layers.Dropout(v), "rate", "real", ""),
    ("Dropout seed", lambda v: layers.Dropout(0.5, seed=v), "seed", "seed", ""),
    ("MLP maxout_pieces", lambda v: network.MLP([2, 3, 2], maxout_pieces=v),
     "maxout_pieces", "int", ""),
    ("MLP dropout", lambda v: network.MLP([2, 3, 2], dropout=v), "dropout", "real", ""),
    ("MLP bias_init", lambda v: network.MLP([2, 3, 2], bias_init=v), "bias_init", "real",
     "negative ok"),
    ("MLP seed", lambda v: network.MLP([2, 3, 2], seed=v), "seed", "seed", ""),
    # losses
    ("mse half", lambda v: losses.get("mse", half=v), "half", "bool", ""),
    ("mse outputs", lambda v: losses.get("mse", outputs=v), "outputs", "choice", ""),
    ("huber delta", lambda v: losses.get("huber", delta=v), "delta", "real", ""),
    # training
    ("fit epochs", lambda v: _fit(epochs=v), "epochs", "int", ""),
    ("fit batch_size", lambda v: _fit(batch_size=v), "batch_size", "int", ""),
    ("fit patience", lambda v: _fit(patience=v), "patience", "int", ""),
    ("fit first_epoch", lambda v: _fit(first_epoch=v), "first_epoch", "int", ""),
    ("fit threads", lambda v: _fit(threads=v), "threads", "int", ""),
    ("fit seed", lambda v: _fit(seed=v), "seed", "seed", ""),
    ("fit l2", lambda v: _fit(l2=v), "l2", "real", ""),
    ("fit validation_split", lambda v: _fit(validation_split=v), "validation_split", "real",
     ""),
    ("fit min_delta", lambda v: _fit(min_delta=v), "min_delta", "real", ""),
    ("fit shuffle", lambda v: _fit(shuffle=v), "shuffle", "bool", ""),
    ("fit early_stopping", lambda v: _fit(early_stopping=v), "early_stopping", "bool", ""),
    # diagnostics
    ("Monitor every", lambda v: diagnostics.Monitor(every=v), "every", "int", ""),
    ("Monitor bins", lambda v: diagnostics.Monitor(bins=v), "bins", "int", ""),
    ("Monitor sample_every", lambda v: diagnostics.Monitor(sample_every=v), "sample_every",
     "int", ""),
    ("verdicts which", lambda v: diagnostics.verdicts([], which=v), "which", "choice", ""),
    # mean-field theory and measured propagation
    ("propagate depth", lambda v: meanfield.propagate("tanh", v), "depth", "int", ""),
    ("propagate sigma_w", lambda v: meanfield.propagate("tanh", 2, sigma_w=v), "sigma_w",
     "real", ""),
    ("propagate sigma_b", lambda v: meanfield.propagate("tanh", 2, sigma_b=v), "sigma_b",
     "real", ""),
    ("sample_propagation width", lambda v: meanfield.sample_propagation("tanh", 2, v),
     "width", "int", ""),
    ("sample_propagation seed",
     lambda v: meanfield.sample_propagation("tanh", 1, 2, networks=2, seed=v), "seed",
     "seed", ""),
    ("maxout_gain k", lambda v: meanfield.maxout_gain(v), "k", "int", ""),
    ("fixed_point sigma_w", lambda v: meanfield.fixed_point("tanh", v), "sigma_w", "reals",
     ""),
    ("chi sigma_b", lambda v: meanfield.chi("tanh", 1.0, v), "sigma_b", "reals", ""),
    ("phase_diagram sigma_w", lambda v: meanfield.phase_diagram("tanh", v, [0.0]), "sigma_w",
     "reals", ""),
    ("edge_of_chaos tol", lambda v: meanfield.edge_of_chaos("tanh", 0.0, tol=v), "tol",
     "real", ""),
    ("measure_propagation depth",
     lambda v: propagation.measure_propagation("tanh", v, 4, samples=4), "depth", "int", ""),
    ("measure_propagation sigma_w",
     lambda v: propagation.measure_propagation("tanh", 1, 4, sigma_w=v, samples=4),
     "sigma_w", "real", ""),
    # data
    ("load test_size", lambda v: data.load("xor", test_size=v, n_samples=40), "test_size",
     "real", ""),
    ("load n_samples", lambda v: data.load("xor", n_samples=v), "n_samples", "int", ""),
    ("load seed", lambda v: data.load("xor", seed=v, n_samples=40), "seed", "seed", ""),
    ("load name", lambda v: data.load(v), "dataset", "choice", ""),
    ("spirals noise", lambda v: data.spirals(20, noise=v), "noise", "real", ""),
    ("spirals n_samples", lambda v: data.spirals(v), "n_samples", "int", ""),
    # gradient checks
    ("check_loss rtol", lambda v: gradcheck.check_loss("mse", [[0.5]], [[1.0]], rtol=v),
     "rtol", "real", ""),
    ("check_layer seed", lambda v: gradcheck.check_layer(layers.Dense(1, 1, dtype="float64"),
                                                         [[1.0]], seed=v), "seed", "seed", ""),
    # sweeps, studies, parallel runs
    ("Sweep depth", lambda v: sweep.Sweep(fixed={"depth": v}), "depth", "int", ""),
    ("Sweep lr", lambda v: sweep.Sweep(fixed={"lr": v}), "lr", "real", ""),
    ("Sweep bias_init", lambda v: sweep.Sweep(fixed={"bias_init": v}), "bias_init", "real",
     "negative ok"),
    ("Sweep seed", lambda v: sweep.Sweep(fixed={"seed": v}), "seed", "seed", ""),
    ("Sweep dataset", lambda v: sweep.Sweep(fixed={"dataset": v}), "dataset", "choice", ""),
    ("Sweep activation", lambda v: sweep.Sweep(fixed={"activation": v}), "activation",
     "choice", ""),
    ("Sweep sample", lambda v: sweep.Sweep(sample=v), "sample", "int", ""),
    ("study seed", lambda v: derive_seed(v, "depth"), "seed", "seed", ""),
    ("run_studies quick", lambda v: run_studies([], quick=v), "quick", "bool", ""),
    ("jobs", lambda v: parallel.check_jobs(v), "jobs", "int", ""),
]

#: Where one of the wrong inputs is a valid value, or a different mistake, by design.
#: Keyed by the repr of the input (``True == 1`` would otherwise make them one key).
EXCEPTIONS: dict[tuple[str, str], type[Exception] | None] = {
    ("fit threads", "'2'"): ValueError,  # a string is allowed ("auto"): a wrong value
    ("Adam clip_norm", "None"): None,    # None: no clipping
    ("jobs", "-1"): None,                # -1: every core
    ("propagate sigma_w", "None"): None,  # None: the activation's gain
    ("measure_propagation sigma_w", "None"): None,
}


def _cases() -> list[Any]:
    out = []
    for label, call, name, kind, extra in CASES:
        wrong = list(WRONG[kind])
        if kind == "real" and extra != "negative ok":
            wrong.append((-1.0, ValueError))
        for value, error in wrong:
            error = EXCEPTIONS.get((label, repr(value)), error)
            if error is not None:
                out.append(pytest.param(call, name, value, error, id=f"{label}={value!r}"))
    return out


@pytest.mark.parametrize(("call", "name", "value", "error"), _cases())
def test_the_same_mistake_gets_the_same_error_everywhere(call, name, value, error):
    with pytest.raises((TypeError, ValueError)) as info:
        call(value)
    message = str(info.value)
    assert info.type is error or issubclass(info.type, error), \
        f"{info.type.__name__} instead of {error.__name__}: {message}"
    assert re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", message), \
        f"the message does not name {name!r}: {message}"
    shown = repr(value) if not isinstance(value, list) else None
    assert shown is None or shown in message, f"the message does not show {shown}: {message}"


def test_spirals_refuse_nan_noise_instead_of_making_nan_data():
    # before: data.spirals(noise=nan) returned an X full of NaN, silently
    with pytest.raises(ValueError, match="spirals noise must be a finite number >= 0"):
        data.spirals(20, noise=NAN)
    X, _ = data.spirals(20, noise=0.1)
    assert np.isfinite(X).all() and not math.isnan(float(X.sum()))
