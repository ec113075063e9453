"""Optimizers, schedules and clipping against torch.optim, plus in-place/no-allocation checks.

Every registered optimizer and schedule must have a PyTorch reference case below (the
coverage tests fail otherwise), so a new registry entry is checked without new tests.
"""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuronlab import optim
from neuronlab.parameter import Parameter

torch = pytest.importorskip("torch")

TORCH_OPTIMIZERS = {
    "sgd": torch.optim.SGD,
    "adagrad": torch.optim.Adagrad,
    "rmsprop": torch.optim.RMSprop,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
}

# (name, hyper-parameters shared by neuronlab and torch)
CASES = [
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.05, "momentum": 0.9}),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("sgd", {"lr": 0.05, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.1}),
    ("adagrad", {"lr": 0.1}),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.05, "initial_accumulator_value": 0.1,
                 "weight_decay": 0.05, "eps": 1e-6}),
    ("rmsprop", {"lr": 0.01}),
    ("rmsprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.8}),
    ("rmsprop", {"lr": 0.01, "centered": True}),
    ("rmsprop", {"lr": 0.01, "centered": True, "momentum": 0.9, "weight_decay": 0.01}),
    ("adam", {"lr": 0.01}),
    ("adam", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.05, "amsgrad": True}),
    ("adamw", {"lr": 0.01}),
    ("adamw", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
]
CASE_IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in CASES]

SHAPES = [(3, 4), (4,), (2, 1, 3)]
TOL = {np.float64: 1e-10, np.float32: 1e-5}


def _problem(seed: int, n_steps: int):
    """Initial values and a gradient sequence of varying scale (1e-2 .. 1e1)."""
    rng = np.random.default_rng(seed)
    init = [rng.normal(size=s) for s in SHAPES]
    grads = [[rng.normal(size=s) * 10.0 ** rng.uniform(-2, 1) for s in SHAPES]
             for _ in range(n_steps)]
    return init, grads


def _assert_close(ours, ref, tol):
    for a, b in zip(ours, ref, strict=True):
        b = b.detach().numpy() if isinstance(b, torch.Tensor) else b
        scale = max(np.abs(b).max(), 1.0)
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol * scale)


def _run_against_torch(name, kw, dtype, n_steps=20, seed=0, **ours_only):
    init, grads = _problem(seed, n_steps)
    params = [Parameter(x.astype(dtype)) for x in init]
    tparams = [torch.tensor(x.astype(dtype), requires_grad=True) for x in init]
    ours = optim.get(name, params, **kw, **ours_only)
    ref = TORCH_OPTIMIZERS[name](tparams, foreach=False, **kw)
    for step_grads in grads:
        for p, tp, g in zip(params, tparams, step_grads, strict=True):
            p.grad[...] = g.astype(dtype)
            tp.grad = torch.tensor(g.astype(dtype))
        ours.step()
        ref.step()
        _assert_close([p.value for p in params], tparams, TOL[dtype])
    return params


# ------------------------------------------------------------------ reference: torch.optim


def test_every_optimizer_has_a_torch_case():
    assert set(optim.names()) == set(TORCH_OPTIMIZERS) == {n for n, _ in CASES}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("name", "kw"), CASES, ids=CASE_IDS)
def test_matches_torch(name, kw, dtype):
    params = _run_against_torch(name, kw, dtype)
    assert all(p.value.dtype == dtype for p in params)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_norm_in_step_matches_torch(dtype):
    init, grads = _problem(1, 20)
    params = [Parameter(x.astype(dtype)) for x in init]
    tparams = [torch.tensor(x.astype(dtype), requires_grad=True) for x in init]
    ours = optim.SGD(params, lr=0.05, momentum=0.9, clip_norm=1.5)
    ref = torch.optim.SGD(tparams, lr=0.05, momentum=0.9, foreach=False)
    for step_grads in grads:
        for p, tp, g in zip(params, tparams, step_grads, strict=True):
            p.grad[...] = g.astype(dtype)
            tp.grad = torch.tensor(g.astype(dtype))
        ours.step()
        norm = torch.nn.utils.clip_grad_norm_(tparams, 1.5, foreach=False)
        ref.step()
        assert ours.last_grad_norm == pytest.approx(float(norm), rel=TOL[dtype])
        _assert_close([p.value for p in params], tparams, TOL[dtype])


# ------------------------------------------------------------------ the lecture's example


def test_lecture_one_step_example():
    w = Parameter(np.array([3.0]), "w")
    w.grad[:] = 4.0
    optim.get("sgd", [w], lr=0.1).step()
    assert w.value[0] == pytest.approx(2.6, rel=1e-15)


# ------------------------------------------------------------------ schedules

TORCH_SCHEDULERS = {
    "constant": lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 1.0),
    "step": lambda opt, step_size, gamma=0.1: torch.optim.lr_scheduler.StepLR(
        opt, step_size=step_size, gamma=gamma),
    "exponential": lambda opt, gamma: torch.optim.lr_scheduler.ExponentialLR(opt, gamma),
    "cosine": lambda opt, t_max, eta_min=0.0: torch.optim.lr_scheduler.CosineAnnealingLR(
        opt, T_max=t_max, eta_min=eta_min),
    "invscaling": lambda opt, power_t=0.5, t_per_epoch=1: torch.optim.lr_scheduler.LambdaLR(
        opt, lambda e: 1 / (1 + t_per_epoch * e) ** power_t),
    # without a call to reduce() the rate stays; reduce() is tested against scikit-learn
    "on_demand": lambda opt, factor=0.2, min_lr=1e-6: torch.optim.lr_scheduler.LambdaLR(
        opt, lambda e: 1.0),
}
SCHEDULE_CASES = [
    ("constant", {}),
    ("step", {"step_size": 3}),
    ("step", {"step_size": 7, "gamma": 0.5}),
    ("exponential", {"gamma": 0.9}),
    ("cosine", {"t_max": 10}),
    ("cosine", {"t_max": 12, "eta_min": 0.01}),
    ("invscaling", {}),
    ("invscaling", {"power_t": 0.25, "t_per_epoch": 1797}),
    ("on_demand", {}),
]


def _torch_lrs(name, kw, base_lr, n_epochs):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = TORCH_SCHEDULERS[name](opt, **kw)
    lrs = []
    for _ in range(n_epochs):
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    return lrs


def test_every_schedule_has_a_torch_case():
    assert set(optim.SCHEDULES.names()) == set(TORCH_SCHEDULERS) == {n for n, _ in SCHEDULE_CASES}


@pytest.mark.parametrize(("name", "kw"), SCHEDULE_CASES)
def test_schedule_matches_torch(name, kw):
    base_lr = 0.3
    expected = _torch_lrs(name, kw, base_lr, 30)
    schedule = optim.SCHEDULES.get(name, **kw)
    opt = optim.SGD([Parameter(np.zeros(2))], lr=base_lr, schedule=name, **kw)
    assert opt.lr == base_lr
    for epoch, lr in enumerate(expected):
        assert schedule(base_lr, epoch) == pytest.approx(lr, rel=1e-12, abs=1e-15)
        opt.set_epoch(epoch)
        assert opt.lr == pytest.approx(lr, rel=1e-12, abs=1e-15)
        assert opt.base_lr == base_lr


def test_scheduled_training_matches_torch():
    """Adam with a step schedule, 3 steps per epoch for 10 epochs, against torch."""
    init, grads = _problem(2, 30)
    params = [Parameter(x.copy()) for x in init]
    tparams = [torch.tensor(x, requires_grad=True) for x in init]
    ours = optim.Adam(params, lr=0.05, schedule="step", step_size=3, gamma=0.5)
    ref = torch.optim.Adam(tparams, lr=0.05, foreach=False)
    sched = torch.optim.lr_scheduler.StepLR(ref, step_size=3, gamma=0.5)
    for epoch in range(10):
        ours.set_epoch(epoch)
        for step_grads in grads[3 * epoch: 3 * epoch + 3]:
            for p, tp, g in zip(params, tparams, step_grads, strict=True):
                p.grad[...] = g
                tp.grad = torch.tensor(g)
            ours.step()
            ref.step()
        sched.step()
    _assert_close([p.value for p in params], tparams, 1e-10)


def test_set_epoch_without_schedule_keeps_lr():
    opt = optim.SGD([Parameter(np.zeros(2))], lr=0.2)
    opt.set_epoch(5)
    assert opt.lr == 0.2


def test_schedule_instance_and_config():
    s = optim.CosineAnnealing(t_max=5, eta_min=0.001)
    opt = optim.get("sgd", [Parameter(np.zeros(2))], lr=0.1, schedule=s)
    assert opt.schedule is s
    assert opt.get_config()["schedule"] == "cosine"
    assert opt.get_config()["t_max"] == 5
    assert repr(s) == "CosineAnnealing(t_max=5, eta_min=0.001)"


# ------------------------------------------------------------------ clipping


def _grads_pair(scale, dtype=np.float64):
    rng = np.random.default_rng(3)
    params = [Parameter(np.zeros(s, dtype=dtype)) for s in SHAPES]
    tparams = [torch.zeros(s, dtype=torch.from_numpy(np.zeros(0, dtype)).dtype,
                           requires_grad=True) for s in SHAPES]
    for p, tp in zip(params, tparams, strict=True):
        p.grad[...] = rng.normal(size=p.shape) * scale
        tp.grad = torch.tensor(p.grad.copy())
    return params, tparams


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_grad_norm_matches_torch(dtype):
    params, tparams = _grads_pair(10.0, dtype)
    grad_arrays = [p.grad for p in params]
    norm = optim.clip_grad_norm(params, 2.0)
    ref = torch.nn.utils.clip_grad_norm_(tparams, 2.0, foreach=False)
    assert norm == pytest.approx(float(ref), rel=TOL[dtype])
    _assert_close([p.grad for p in params], [tp.grad for tp in tparams], TOL[dtype])
    assert all(p.grad is g for p, g in zip(params, grad_arrays, strict=True))  # in place
    assert all(p.grad.dtype == dtype for p in params)
    total = math.sqrt(sum(float(np.sum(p.grad.astype(np.float64) ** 2)) for p in params))
    assert total == pytest.approx(2.0, rel=1e-5)


def test_clip_grad_norm_under_the_norm_changes_nothing():
    params, tparams = _grads_pair(0.01)
    before = [p.grad.copy() for p in params]
    norm = optim.clip_grad_norm(params, 5.0)
    assert norm == pytest.approx(float(torch.nn.utils.clip_grad_norm_(tparams, 5.0)),
                                 rel=1e-12)
    assert norm < 5.0
    for p, b in zip(params, before, strict=True):
        np.testing.assert_array_equal(p.grad, b)


def test_clip_grad_norm_no_overflow_for_huge_float32_gradients():
    p = Parameter(np.zeros(4, dtype=np.float32))
    p.grad[:] = 1e30  # g·g overflows float32; the norm does not
    norm = optim.clip_grad_norm([p], 1.0)
    assert norm == pytest.approx(2e30, rel=1e-6)
    np.testing.assert_allclose(p.grad, 0.5, rtol=1e-5)


def test_clip_grad_norm_leaves_non_finite_gradients():
    p = Parameter(np.zeros(3))
    p.grad[:] = [1.0, np.inf, 2.0]
    assert optim.clip_grad_norm([p], 1.0) == math.inf
    assert p.grad[1] == np.inf and p.grad[0] == 1.0


# ------------------------------------------------------------------ in place, dtype, memory

ALL_OPTIONS = {
    "sgd": {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    "adagrad": {"lr_decay": 0.01, "weight_decay": 0.01},
    "rmsprop": {"centered": True, "momentum": 0.9, "weight_decay": 0.01},
    "adam": {"amsgrad": True, "weight_decay": 0.01},
    "adamw": {"amsgrad": True},
}


def _all_arrays(opt):
    return [a for state in opt.state for a in state.values()] + [
        a for scratch in opt._scratch for a in scratch]


@pytest.mark.parametrize("options", [False, True], ids=["defaults", "all-options"])
@pytest.mark.parametrize("name", optim.names())
def test_float32_in_place_and_state_allocated_once(name, options):
    rng = np.random.default_rng(4)
    params = [Parameter(rng.normal(size=(5, 3)).astype(np.float32)),
              Parameter(np.zeros(3, dtype=np.float32))]
    values = [p.value for p in params]
    kw = ALL_OPTIONS[name] if options else {}
    opt = optim.get(name, params, lr=0.01, clip_norm=1.0, **kw)
    for step in range(6):
        for p in params:
            p.grad[...] = rng.normal(size=p.shape)
        opt.step()
        if step == 0:
            arrays = _all_arrays(opt)
            assert all(a.dtype == np.float32 for a in arrays)
    assert all(a is b for a, b in zip(_all_arrays(opt), arrays, strict=True))
    assert all(p.value is v for p, v in zip(params, values, strict=True))
    assert all(p.value.dtype == np.float32 for p in params)
    assert all(np.isfinite(p.value).all() for p in params)


@pytest.mark.parametrize("name", optim.names())
def test_step_does_not_allocate(name):
    rng = np.random.default_rng(5)
    params = [Parameter(rng.normal(size=(200, 100))), Parameter(rng.normal(size=100))]
    opt = optim.get(name, params, lr=0.001, clip_norm=10.0, **ALL_OPTIONS[name])
    for p in params:
        p.grad[...] = rng.normal(size=p.shape)
    opt.step()  # buffers are created here
    tracemalloc.start()
    try:
        for _ in range(3):
            opt.step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16_000, f"{name} allocated {peak} bytes per step (a parameter is 160 kB)"


# ------------------------------------------------------------------ registry and config


def test_get_accepts_an_instance_and_checks_params():
    params = [Parameter(np.zeros(2))]
    opt = optim.Adam(params)
    assert optim.get(opt) is opt
    assert optim.get(opt, params) is opt
    with pytest.raises(ValueError, match="params differ"):
        optim.get(opt, [Parameter(np.zeros(2))])
    with pytest.raises(TypeError, match="hyper-parameters"):
        optim.get(opt, lr=0.1)


@pytest.mark.parametrize(("name", "kw"), CASES, ids=CASE_IDS)
def test_config_round_trip(name, kw):
    params = [Parameter(np.zeros(3))]
    opt = optim.get(name, params, **kw, clip_norm=2.0, schedule="step", step_size=4)
    config = opt.get_config()
    assert type(opt)(params, **config).get_config() == config
    assert optim.get(name, params, **config).get_config() == config
    assert repr(opt).startswith(type(opt).__name__ + "(lr=")


def test_defaults_follow_torch():
    p = [Parameter(np.zeros(1))]
    assert optim.AdamW(p).weight_decay == 0.01
    assert optim.Adam(p).betas == (0.9, 0.999)
    assert optim.Adagrad(p).eps == 1e-10
    assert optim.RMSprop(p).alpha == 0.99


# ------------------------------------------------------------------ validation

BAD = [
    ("sgd", {"lr": -0.1}, "SGD lr must be a finite number >= 0, got -0.1"),
    ("adam", {"lr": float("nan")}, "lr.*nan"),
    ("rmsprop", {"lr": float("inf")}, "lr.*inf"),
    ("sgd", {"momentum": 1.0}, r"momentum must be a finite number in \[0, 1\), got 1.0"),
    ("rmsprop", {"momentum": -0.5}, r"momentum.*\[0, 1\)"),
    ("sgd", {"nesterov": True}, "nesterov=True requires momentum > 0"),
    ("sgd", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "dampening"),
    ("sgd", {"dampening": 1.5}, "dampening"),
    ("adam", {"betas": (1.0, 0.999)}, r"betas\[0\].*\[0, 1\), got 1.0"),
    ("adamw", {"betas": (0.9, -0.1)}, r"betas\[1\]"),
    ("adam", {"eps": 0.0}, "Adam eps must be a finite number > 0, got 0.0"),
    ("rmsprop", {"eps": -1e-8}, "eps"),
    ("adagrad", {"eps": 0}, "eps"),
    ("rmsprop", {"alpha": 1.0}, "alpha"),
    ("adagrad", {"lr_decay": -1}, "lr_decay"),
    ("adagrad", {"initial_accumulator_value": -0.1}, "initial_accumulator_value"),
    ("sgd", {"weight_decay": -1e-4}, "weight_decay"),
    ("adamw", {"weight_decay": -0.01}, "weight_decay"),
    ("sgd", {"clip_norm": 0.0}, "clip_norm.*> 0"),
    ("adam", {"clip_norm": -1.0}, "clip_norm"),
    ("sgd", {"schedule": "cosin", "t_max": 3}, "unknown schedule 'cosin'.*'cosine'"),
    ("sgd", {"schedule": "step", "step_size": 0}, "step_size"),
    ("sgd", {"schedule": "exponential", "gamma": 0.0}, "gamma"),
    ("sgd", {"schedule": "cosine", "t_max": 5, "eta_min": -1.0}, "eta_min"),
]


@pytest.mark.parametrize(("name", "kw", "match"), BAD)
def test_bad_hyper_parameters_raise(name, kw, match):
    with pytest.raises(ValueError, match=match):
        optim.get(name, [Parameter(np.zeros(2))], **kw)


def test_bad_calls_raise_type_errors():
    params = [Parameter(np.zeros(2))]
    with pytest.raises(TypeError, match="'momentun'.*Did you mean 'momentum'"):
        optim.get("sgd", params, momentun=0.9)
    with pytest.raises(TypeError, match="'step_sise'.*'step' schedule.*'step_size'"):
        optim.get("sgd", params, schedule="step", step_sise=3)
    with pytest.raises(TypeError, match="needs the parameters"):
        optim.get("adam")
    with pytest.raises(TypeError, match="lr must be a real number"):
        optim.get("sgd", params, lr="0.1")
    with pytest.raises(TypeError, match="nesterov must be True or False"):
        optim.get("sgd", params, momentum=0.9, nesterov="yes")
    with pytest.raises(TypeError, match="sequence of Parameter"):
        optim.SGD(params[0])
    with pytest.raises(TypeError, match="floating dtype"):
        optim.SGD([Parameter(np.zeros(2, dtype=np.int64))])
    with pytest.raises(TypeError, match="betas must be a pair"):
        optim.Adam(params, betas=0.9)


def test_bad_params_and_names_raise_value_errors():
    p = Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="params is empty"):
        optim.SGD([])
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([p, p])
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'.*'adam'"):
        optim.get("adamm", [p])
    with pytest.raises(ValueError, match="epoch"):
        optim.SGD([p], schedule="constant").set_epoch(-1)
    with pytest.raises(ValueError, match="max_norm"):
        optim.clip_grad_norm([p], 0.0)


# ------------------------------------------------------------------ property: convex descent


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6), frac=st.floats(0.01, 1.0))
def test_sgd_decreases_a_convex_quadratic_for_small_lr(seed, n, frac):
    """J(w) = ½ wᵀAw − bᵀw with A ≻ 0; for η ≤ 1/L each step lowers J by ≥ η‖∇J‖²/2."""
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(n, n))
    A = M.T @ M + 0.1 * np.eye(n)
    b = rng.normal(size=n)
    lr = frac / np.linalg.eigvalsh(A).max()
    w = Parameter(3 * rng.normal(size=n))
    opt = optim.SGD([w], lr=lr)

    def J(x):
        return 0.5 * x @ A @ x - b @ x

    prev = J(w.value)
    for _ in range(5):
        w.grad[:] = A @ w.value - b
        gg = float(w.grad @ w.grad)
        opt.step()
        cur = J(w.value)
        assert cur <= prev - 0.5 * lr * gg + 1e-10 * (1 + abs(prev))
        prev = cur


# ------------------------------------------------------------------ the velocity form


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_velocity_form_matches_scikit_learn_sgd_with_a_changing_rate(nesterov, dtype):
    """momentum_form="velocity" is scikit-learn's SGDOptimizer (v ← μ v − η g), step for
    step, while the rate changes every step (the gradient form differs then)."""
    from sklearn.neural_network._stochastic_optimizers import SGDOptimizer

    init, grads = _problem(2, 20)
    params = [Parameter(x.astype(dtype)) for x in init]
    theirs = [x.astype(dtype) for x in init]
    ours = optim.SGD(params, lr=0.1, momentum=0.9, nesterov=nesterov,
                     momentum_form="velocity")
    ref = SGDOptimizer(theirs, learning_rate_init=0.1, momentum=0.9, nesterov=nesterov)
    pytorch_form = optim.SGD([Parameter(x.copy()) for x in init], lr=0.1, momentum=0.9,
                             nesterov=nesterov)
    for k, step_grads in enumerate(grads):
        lr = 0.1 / (k + 1) ** 0.5
        ours.lr = ref.learning_rate = pytorch_form.lr = lr
        for p, q, g in zip(params, pytorch_form.params, step_grads, strict=True):
            p.grad[...] = g.astype(dtype)
            q.grad[...] = g
        ours.step()
        pytorch_form.step()
        ref.update_params(theirs, [g.astype(dtype) for g in step_grads])
        _assert_close([p.value for p in params], theirs, TOL[dtype])
    assert not np.allclose(pytorch_form.params[0].value, theirs[0], rtol=1e-3)


def test_velocity_and_gradient_forms_agree_at_a_constant_rate():
    init, grads = _problem(3, 15)
    runs = []
    for form in ("gradient", "velocity"):
        params = [Parameter(x.copy()) for x in init]
        opt = optim.SGD(params, lr=0.05, momentum=0.8, nesterov=True, momentum_form=form)
        for step_grads in grads:
            for p, g in zip(params, step_grads, strict=True):
                p.grad[...] = g
            opt.step()
        runs.append([p.value for p in params])
    _assert_close(runs[0], runs[1], 1e-12)


def test_velocity_form_refuses_dampening_and_unknown_forms():
    p = [Parameter(np.zeros(2))]
    with pytest.raises(ValueError, match="momentum_form='velocity' needs dampening=0"):
        optim.SGD(p, momentum=0.9, dampening=0.1, momentum_form="velocity")
    with pytest.raises(ValueError, match="momentum_form must be 'gradient'.*'velocity'"):
        optim.SGD(p, momentum=0.9, momentum_form="keras")


def test_on_demand_reductions_follow_scikit_learn_s_adaptive_rate():
    """reduce() at each stall: scikit-learn's SGDOptimizer.trigger_stopping sequence of
    rates (÷5 while above 1e-6, then stop), as our schedule's rates."""
    from sklearn.neural_network._stochastic_optimizers import SGDOptimizer

    ref = SGDOptimizer([np.zeros(1)], learning_rate_init=0.1, lr_schedule="adaptive")
    opt = optim.SGD([Parameter(np.zeros(1))], lr=0.1, schedule="on_demand")
    for epoch in range(1, 20):
        stop_ref = ref.trigger_stopping("stalled", verbose=False)
        lowered = opt.schedule.reduce(opt.lr)
        assert lowered is not stop_ref
        opt.set_epoch(epoch)
        assert opt.lr == pytest.approx(ref.learning_rate, rel=1e-12)
    assert opt.schedule.reductions == 8  # 0.1 / 5^8 = 2.56e-7 <= 1e-6
    with pytest.raises(ValueError, match="factor"):
        optim.ReduceOnDemand(factor=1.0)
