"""What every study is made of: runs with derived seeds, tidy tables, and results.

A study is split into independent *runs* (one network trained, one configuration
propagated ...) so that runs can go to different cores.  Each run is identified by a
key, and its seed is derived from the study seed and that key alone, never from the
order in which runs start or finish: ``--jobs 1`` and ``--jobs 2`` give the same
numbers.  After every run is done the study *assembles* the outputs into a
:class:`StudyResult`: tables of tidy rows (one observation per row), the headline
numbers, and the lecture's claims with whether they held.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuronlab import parallel
from neuronlab._validate import SEED_MAX, check_bool, check_integer

Key = tuple[Any, ...]


def derive_seed(seed: int, *identity: object) -> int:
    """A 32-bit seed for one run, from the study seed and the run's identity.

    The identity is hashed (SHA-256 of its ``repr``), so equal identities give equal
    seeds in every process and run order, and different identities independent streams
    (``numpy.random.SeedSequence``).

    Examples
    --------
    >>> derive_seed(0, "depth", ("relu", 1)) == derive_seed(0, "depth", ("relu", 1))
    True
    >>> derive_seed(0, "depth", ("relu", 1)) == derive_seed(1, "depth", ("relu", 1))
    False
    """
    seed = check_integer(seed, "seed", 0, SEED_MAX)
    digest = hashlib.sha256(repr(identity).encode()).digest()
    entropy = [int(seed), int.from_bytes(digest[:8], "little")]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


@dataclass(frozen=True)
class Run:
    """One independent piece of a study: ``fn(**kwargs, seed=seed)``.

    ``fn`` must be a module-level function (runs are pickled to worker processes) and
    return plain data (numbers, lists, dicts, small arrays).  ``cost`` is a rough
    relative estimate used only to start the longest runs first.
    """

    study: str
    key: Key
    fn: Callable[..., Any]
    kwargs: Mapping[str, Any]
    seed: int
    cost: float = 1.0

    def __call__(self) -> Any:
        return self.fn(**self.kwargs, seed=self.seed)


def plan_runs(study: str, seed: int, fn: Callable[..., Any],
              configs: Mapping[Key, Mapping[str, Any]],
              seed_key: Callable[[Key], Key] | None = None,
              cost: Callable[[Key], float] | None = None) -> list[Run]:
    """Runs of ``fn`` for each ``key -> kwargs``; the seed comes from ``seed_key(key)``.

    ``seed_key`` picks the part of the key that should change the random stream.  Runs
    compared *against* each other (He vs Glorot on the same data) share a seed when
    it leaves the compared factor out, so the comparison is paired.
    """
    seed_key = seed_key or (lambda key: key)
    cost = cost or (lambda key: 1.0)
    return [Run(study, key, fn, dict(kwargs), derive_seed(seed, study, seed_key(key)),
                float(cost(key)))
            for key, kwargs in configs.items()]


# ----------------------------------------------------------------------------- values


def clean(value: Any) -> Any:
    """``value`` as plain JSON-ready Python: numpy scalars and arrays become numbers and
    lists, non-finite floats become None (shown as a dash, written as ``null``)."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.ndarray):
        return [clean(v) for v in value.tolist()]
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


@dataclass
class Table:
    """Tidy rows (one observation per row, one variable per column) with a title.

    ``shown`` tables appear in the report; the others (long per-layer or per-epoch
    tables) only in the JSON and CSV files.  ``formats`` maps a column to a format
    spec for display (``".3g"``, ``".1%"``); ``timing`` names the columns that hold
    wall-clock measurements, which differ from run to run.
    """

    name: str
    title: str
    rows: list[dict[str, Any]]
    shown: bool = True
    formats: dict[str, str] = field(default_factory=dict)
    timing: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.rows = [clean(dict(row)) for row in self.rows]
        self.timing = tuple(self.timing)

    @property
    def columns(self) -> list[str]:
        seen: dict[str, None] = {}
        for row in self.rows:
            seen.update(dict.fromkeys(row))
        return list(seen)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "columns": self.columns,
                "shown": self.shown, "formats": dict(self.formats),
                "timing": list(self.timing), "rows": self.rows}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Table:
        return cls(d["name"], d["title"], list(d["rows"]), d.get("shown", True),
                   dict(d.get("formats", {})), tuple(d.get("timing", ())))


VERDICTS = ("reproduced", "not reproduced", "inconclusive")

UNMEASURED = "not measured"
"""The ``method`` of a claim whose quantity no seed could measure (:meth:`Claim.unmeasured`)."""


def interval(samples: Sequence[float], level: float = 0.95,
             method: str = "t") -> tuple[float, float, float]:
    """Mean of per-seed ``samples`` and a two-sided confidence interval at ``level``.

    ``method="t"``: Student's t interval, mean ± t_{(1+level)/2, n-1} · s / √n (s with
    ddof = 1); the right default for the handful of seeds a study affords.
    ``method="bootstrap"``: percentile interval of the mean over 10 000 resamples drawn
    with a fixed generator (the same samples give the same interval).  With a single
    sample the interval is unbounded: one seed decides nothing.

    Examples
    --------
    >>> mean, low, high = interval([1.0, 2.0, 3.0])
    >>> mean, round(low, 3), round(high, 3)
    (2.0, -0.484, 4.484)
    """
    values = np.asarray([float(v) for v in samples], dtype=np.float64)
    if values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError(f"a claim needs finite per-seed samples, got {samples!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    mean = float(values.mean())
    if values.size == 1:
        return mean, -math.inf, math.inf
    if method == "t":
        from scipy.stats import t

        half = float(t.ppf((1 + level) / 2, values.size - 1)
                     * values.std(ddof=1) / math.sqrt(values.size))
        return mean, mean - half, mean + half
    if method == "bootstrap":
        rng = np.random.default_rng(0)
        means = values[rng.integers(0, values.size, (10_000, values.size))].mean(axis=1)
        low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
        return mean, float(low), float(high)
    raise ValueError(f"method must be 't' or 'bootstrap', got {method!r}")


def decide(low: float, high: float, direction: int, margin: float) -> str:
    """The verdict of an interval ``[low, high]`` on an effect.

    ``direction=+1``: the lecture predicts an effect of at least ``margin``; reproduced
    when ``low >= margin``, not reproduced when ``high < margin`` (the effect is the
    other way, or smaller than the smallest that matters), inconclusive otherwise.
    ``direction=-1`` mirrors it.  ``direction=0``: the lecture predicts *no* effect;
    reproduced when the interval lies inside ``(-margin, margin)``, not reproduced when
    it lies wholly outside, inconclusive otherwise.

    Examples
    --------
    >>> decide(0.2, 0.4, +1, 0.1), decide(-0.1, 0.05, +1, 0.1), decide(0.0, 0.3, +1, 0.1)
    ('reproduced', 'not reproduced', 'inconclusive')
    >>> decide(-0.01, 0.02, 0, 0.05), decide(0.1, 0.2, 0, 0.05)
    ('reproduced', 'not reproduced')
    """
    if direction not in (-1, 0, 1):
        raise ValueError(f"direction must be -1, 0 or +1, got {direction!r}")
    if not margin >= 0:
        raise ValueError(f"margin must be a non-negative number, got {margin!r}")
    if direction == 0:
        if -margin < low and high < margin:
            return "reproduced"
        if low >= margin or high <= -margin:
            return "not reproduced"
        return "inconclusive"
    low, high = (low, high) if direction > 0 else (-high, -low)
    if low >= margin:
        return "reproduced"
    if high < margin:
        return "not reproduced"
    return "inconclusive"


@dataclass(frozen=True)
class Claim:
    """A statement from the lecture or a paper, decided by an interval over seeds.

    Declared before measuring: the ``quantity`` measured (in words, with its unit and
    which arm is subtracted from which), the ``direction`` the lecture predicts (+1: the
    quantity is positive, -1: negative, 0: no effect) and the ``margin``, the smallest
    effect that matters.  Measured: ``effect`` (the mean over ``seeds`` per-seed
    values, paired differences where the seeds pair) and its interval
    ``[low, high]`` at ``level`` by ``method``.  ``verdict`` follows from those by
    :func:`decide`.  Build claims with :meth:`from_samples` (seeds) or :meth:`exact`
    (a deterministic computation, whose interval is its value).

    Examples
    --------
    >>> c = Claim.from_samples("He trains where Glorot stalls", "accuracy, He - Glorot",
    ...                        [0.5, 0.6, 0.55, 0.62], direction=+1, margin=0.1)
    >>> c.verdict, c.seeds
    ('reproduced', 4)
    """

    text: str
    quantity: str
    direction: int
    margin: float
    effect: float | None
    low: float | None
    high: float | None
    seeds: int
    verdict: str
    evidence: str = ""
    level: float = 0.95
    method: str = "t"

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")

    @classmethod
    def from_samples(cls, text: str, quantity: str, samples: Sequence[float], *,
                     direction: int, margin: float, evidence: str = "",
                     level: float = 0.95, method: str = "t") -> Claim:
        """Decide a claim from per-seed values of the quantity."""
        effect, low, high = interval(samples, level, method)
        return cls(text, quantity, direction, float(margin), effect, low, high,
                   len(samples), decide(low, high, direction, margin), evidence, level,
                   method)

    @classmethod
    def exact(cls, text: str, quantity: str, value: float, *, direction: int,
              margin: float, evidence: str = "") -> Claim:
        """Decide a claim about a deterministic computation (no seed changes it)."""
        value = float(value)
        return cls(text, quantity, direction, float(margin), value, value, value, 1,
                   decide(value, value, direction, margin), evidence, 1.0, "exact")

    @classmethod
    def unmeasured(cls, text: str, quantity: str, reason: str, *, direction: int,
                   margin: float) -> Claim:
        """A claim whose quantity could not be measured on any seed, with the reason.

        Its verdict is ``"inconclusive"``: nothing was measured, so nothing is decided,
        and no number stands in for the missing measurement (``effect``, ``low`` and
        ``high`` are None, ``seeds`` is 0).  ``reason`` says why (it becomes the
        claim's evidence, shown beside it in the report and at the terminal).

        Examples
        --------
        >>> c = Claim.unmeasured("B reaches it sooner", "steps, A / B",
        ...                      "no seed reached the target", direction=+1, margin=0.3)
        >>> c.verdict, c.effect, c.seeds, c.method
        ('inconclusive', None, 0, 'not measured')
        """
        if not reason.strip():
            raise ValueError("an unmeasured claim needs the reason it was not measured")
        decide(0.0, 0.0, direction, margin)  # checks direction and margin
        return cls(text, quantity, direction, float(margin), None, None, None, 0,
                   "inconclusive", reason, 0.95, UNMEASURED)

    @property
    def measured(self) -> bool:
        """Whether the claim's quantity was measured (see :meth:`unmeasured`)."""
        return self.method != UNMEASURED

    @property
    def holds(self) -> bool:
        return self.verdict == "reproduced"

    def to_dict(self) -> dict[str, Any]:
        return clean({"text": self.text, "quantity": self.quantity,
                      "direction": self.direction, "margin": self.margin,
                      "effect": self.effect, "interval": [self.low, self.high],
                      "level": self.level, "method": self.method, "seeds": self.seeds,
                      "verdict": self.verdict, "evidence": self.evidence})

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Claim:
        low, high = d["interval"]
        return cls(d["text"], d["quantity"], d["direction"], d["margin"], d["effect"],
                   low, high, d["seeds"], d["verdict"], d.get("evidence", ""),
                   d.get("level", 0.95), d.get("method", "t"))


@dataclass
class StudyResult:
    """Everything one study measured.

    Attributes
    ----------
    name, title : the study's registry name and heading.
    config : the sizes and settings used (``quick``, ``seed``, widths, epochs ...).
    tables : tidy tables, in display order.
    numbers : the headline numbers, ``{label: value}``.
    number_formats : display format of some of them, ``{label: ".1%"}``.
    claims : the classic results checked, each with whether it held.
    notes : further sentences with numbers in them.
    timing_notes : sentences about wall-clock measurements (they vary run to run).
    seconds : wall-clock time of the study's runs, summed (varies run to run).
    """

    name: str
    title: str
    config: dict[str, Any]
    tables: list[Table]
    numbers: dict[str, Any] = field(default_factory=dict)
    number_formats: dict[str, str] = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timing_notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def __post_init__(self) -> None:
        self.config = clean(self.config)
        self.numbers = clean(self.numbers)

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(f"study {self.name!r} has no table {name!r}; it has "
                       f"{', '.join(t.name for t in self.tables)}")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "config": self.config,
                "numbers": self.numbers, "number_formats": dict(self.number_formats),
                "claims": [c.to_dict() for c in self.claims],
                "notes": list(self.notes), "timing_notes": list(self.timing_notes),
                "seconds": clean(self.seconds),
                "tables": [t.to_dict() for t in self.tables]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> StudyResult:
        return cls(d["name"], d["title"], dict(d["config"]),
                   [Table.from_dict(t) for t in d["tables"]], dict(d.get("numbers", {})),
                   dict(d.get("number_formats", {})),
                   [Claim.from_dict(c) for c in d.get("claims", [])], list(d.get("notes", [])),
                   list(d.get("timing_notes", [])), d.get("seconds") or 0.0)

    def deterministic(self) -> dict[str, Any]:
        """``to_dict()`` without wall-clock measurements: equal for equal seeds, whatever
        the number of jobs."""
        d = self.to_dict()
        d.pop("seconds")
        d.pop("timing_notes")
        for table in d["tables"]:
            for row in table["rows"]:
                for column in table["timing"]:
                    row.pop(column, None)
        return d


LECTURE_NOTES = {
    "000": "activation functions (step, sigmoid, tanh, ReLU, leaky ReLU) and the set-up "
           "of backpropagation on a 2-4-3-2 network",
    "001": "better activation functions: saturation, zero-centred outputs, dying ReLUs",
    "002": "backprop in an MLP: forward z = W a, a = g(z); backward δ = g′(z) ⊙ e, "
           "e = Wᵀ δ, ∂J/∂w_ij = δ_i a_j",
    "003": "the toy MLP forward pass, MSE and cross-entropy with their gradients, "
           "softmax and its Jacobian, activation functions",
    "004": "derivatives, gradient descent and the learning rate, backpropagation, "
           "vanishing and exploding gradients, Glorot/He/LeCun initialization",
}
"""The five lecture notes the library is built from, numbered 000–004 as the course
numbers them, with what each covers; studies cite them by these numbers."""


@dataclass(frozen=True)
class Study:
    """A registered study: how to split it into runs and how to assemble their outputs.

    ``plan(quick, seed) -> list[Run]``;
    ``assemble(outputs, quick, seed) -> StudyResult`` with ``outputs[run.key]``.
    ``lecture`` is the explanation the report prints beside the result; ``cites`` the
    numbers of the lecture notes it tests (``"002"``, see :data:`LECTURE_NOTES`);
    ``formulas`` the lecture's formulas as ``(caption, MathML)`` pairs (built with
    :mod:`neuronlab._mathml`).
    """

    name: str
    title: str
    group: str
    lecture: str
    plan: Callable[[bool, int], list[Run]]
    assemble: Callable[[dict[Key, Any], bool, int], StudyResult]
    cites: tuple[str, ...] = ()
    formulas: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        unknown = [n for n in self.cites if n not in LECTURE_NOTES]
        if unknown:
            raise ValueError(f"study {self.name!r} cites unknown lecture notes {unknown}; "
                             f"the notes are {', '.join(LECTURE_NOTES)}")

    def run(self, quick: bool = False, seed: int = 0, jobs: int = 1,
            scheduler: str | None = None) -> StudyResult:
        """Run this study alone and return its result (see :func:`run_studies`)."""
        return run_studies([self], quick=quick, seed=seed, jobs=jobs, scheduler=scheduler)[0]


# ----------------------------------------------------------------------------- running


def _call(run: Run) -> tuple[Any, float]:
    """Execute one run with one BLAS thread and floating-point errors raised."""
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    with threadpool_limits(1), np.errstate(all="raise", under="ignore"):
        try:
            output = run()
        except Exception as exc:
            raise RuntimeError(f"study {run.study!r}, run {run.key!r} (seed {run.seed}) "
                               f"failed: {type(exc).__name__}: {exc}") from exc
    return output, time.perf_counter() - start


def _indexed_call(indexed: tuple[int, Run]) -> tuple[int, Any, float]:
    index, run = indexed
    return (index, *_call(run))


def execute(runs: Sequence[Run], jobs: int = 1,
            scheduler: str | None = None) -> Iterator[tuple[Run, Any, float]]:
    """Yield ``(run, output, seconds)`` as runs finish, longest (by ``cost``) first.

    With one job and no scheduler the runs execute in this process; otherwise on the
    shared parallel backend (:mod:`neuronlab.parallel`: joblib's loky processes, or
    the workers of the Dask ``scheduler``).  Each run executes with one BLAS thread and
    NumPy floating-point errors raised, wherever it runs, so its numbers depend on its
    seed alone.  Outputs are matched to runs by index, never by completion order.
    """
    order = sorted(range(len(runs)), key=lambda i: -runs[i].cost)
    calls = parallel.map_unordered(_indexed_call, [(i, runs[i]) for i in order], jobs,
                                   scheduler)
    for i, output, seconds in calls:
        yield runs[i], output, seconds


Progress = Callable[[str, int, int], None]


def run_studies(studies: Sequence[Study], *, quick: bool = False, seed: int = 0,
                jobs: int = 1, scheduler: str | None = None,
                progress: Progress | None = None,
                on_plan: Callable[[dict[str, int]], None] | None = None
                ) -> list[StudyResult]:
    """Plan every run of ``studies``, execute them all together, assemble each study.

    Parameters are those of :func:`neuronlab.studies.run`, which selects the studies
    by name.  The runs of all studies share the workers (longest first); the results
    come back in the order of ``studies``.
    """
    seed = check_integer(seed, "seed", 0, SEED_MAX)
    quick = check_bool(quick, "quick")
    jobs = parallel.check_jobs(jobs)
    plans: dict[str, list[Run]] = {}
    for study in studies:
        planned = study.plan(bool(quick), int(seed))
        keys = [r.key for r in planned]
        if len(set(keys)) != len(keys):
            raise RuntimeError(f"study {study.name!r} planned two runs with the same key")
        plans[study.name] = planned
    if on_plan is not None:
        on_plan({name: len(p) for name, p in plans.items()})
    outputs: dict[str, dict[Key, Any]] = {name: {} for name in plans}
    seconds = dict.fromkeys(plans, 0.0)
    all_runs = [r for p in plans.values() for r in p]
    for finished, output, elapsed in execute(all_runs, jobs, scheduler):
        outputs[finished.study][finished.key] = output
        seconds[finished.study] += elapsed
        if progress is not None:
            progress(finished.study, len(outputs[finished.study]), len(plans[finished.study]))
    results = []
    for study in studies:
        ordered = {r.key: outputs[study.name][r.key] for r in plans[study.name]}
        with np.errstate(all="raise", under="ignore"):
            result = study.assemble(ordered, bool(quick), int(seed))
        result.seconds = seconds[study.name]
        results.append(result)
    return results


# ----------------------------------------------------------------------------- helpers


def mean_std(values: Sequence[float | None]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof = 1; 0 for a single value) of the
    finite values, NaN if there are none."""
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return math.nan, math.nan
    spread = float(np.std(finite, ddof=1)) if len(finite) > 1 else 0.0
    return float(np.mean(finite)), spread


def fmt(value: float | None, spec: str = ".3g") -> str:
    """A number for a sentence; a dash when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return format(value, spec)
