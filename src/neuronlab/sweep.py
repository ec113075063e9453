"""Hyper-parameter sweeps: a grid of training runs, in parallel, resumable, into one table.

A sweep crosses activation × initializer × depth × width × learning rate × optimizer ×
seed (any setting may be an axis; the rest are fixed).  Each *cell* of the grid is one
training run (``network.MLP`` + ``train.fit``) with the per-layer diagnostics of
``diagnostics.Monitor``, summarised in a few columns.  Cells run in parallel on local
cores with joblib (loky), or on an existing Dask cluster through joblib's Dask backend.

Every finished cell is appended to ``results.csv`` at once, as one complete line that
is flushed to disk, so an interrupted sweep loses at most the cells that were running
(a line torn by a crash is dropped when the table is read again).  Each cell has a
stable id, the hash of its full configuration, and running the same sweep again skips
the cells already in the table.  A cell that diverges or raises is recorded with its
status and reason; the sweep goes on.  The same seeds give the same table with 1 job,
2 jobs or on Dask (sort by ``cell_id`` and leave out ``TIMING_COLUMNS`` to compare).

Files written into ``out_dir``:

``results.csv``
    one row per cell, columns ``COLUMNS`` (the source of truth);
``results.parquet``
    the same rows, sorted by cell id, when pyarrow is installed (rewritten atomically
    every ``PARQUET_EVERY`` seconds and at the end);
``summary.csv``
    the best configurations of the sweep just run (``summarize``);
``accuracy.png``
    its test accuracy by activation × initializer, one heat map per depth (matplotlib);
``.lock``
    held (``flock``) while a sweep runs: a second sweep into the same folder is refused
    with a message instead of running every unfinished cell a second time.  The
    operating system releases it when the process ends, however it ends.

Examples
--------
>>> s = Sweep({"activation": ["relu", "tanh"], "depth": [1, 2]},
...           {"dataset": "iris", "epochs": 2, "width": 8})
>>> len(s), s.cells()[0]["activation"], s.cells()[0]["depth"]
(4, 'relu', 1)
>>> rows = run(s, tmp_path, progress=False)                     # doctest: +SKIP
>>> summarize(rows)[0]["test_accuracy_mean"]                    # doctest: +SKIP

From a file (TOML; YAML too when PyYAML is installed)::

    # sweep.toml
    [grid]                    # each value a list: one axis of the grid
    activation = ["relu", "tanh", "sigmoid"]
    init = ["glorot_uniform", "he_normal"]
    depth = [2, 8]
    lr = [0.01, 0.1]
    seed = [0, 1, 2]

    [fixed]                   # single values, the same in every cell
    dataset = "circles"
    width = 32
    epochs = 20

    [sample]                  # optional: n cells drawn at random (seeded) from the grid
    n = 20
    seed = 0

and ``neuronlab sweep sweep.toml --jobs 4 --out runs/first`` or, without a file,
``neuronlab sweep --activation relu,tanh --depth 2,8 --data circles --out runs/first``.
With ``--scheduler tcp://HOST:PORT`` (or ``NEURONLAB_DASK_SCHEDULER``) the cells run on
that Dask cluster; its workers need the same neuronlab installed.

Using the runner from other code (e.g. a study's training grid)::

    from neuronlab import sweep
    grid = sweep.Sweep({"activation": names, "depth": [3, 15], "seed": range(3)},
                       {"dataset": "digits", "init": "he_normal", "lr": 0.01})
    rows = sweep.run(grid, out_dir / "training", jobs=jobs, progress=False)
    # rows: one dict per cell in grid order (columns in COLUMNS); per-epoch curves in
    # json.loads(row["history"]); sweep.summarize(rows) gives mean ± std over seeds.

Settings that go in pairs rather than crossed (each activation with its recommended
initializer) are one ``Sweep`` per pair run into the same folder: the table is shared,
each call returns its own rows, and the folder makes the study resumable for free.
Runs that are not a training cell (the studies, statistics at initialization) share the
execution: :mod:`neuronlab.parallel` (``backend``, ``map_unordered``) runs them on local
cores or on the Dask cluster alike.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import hashlib
import io
import itertools
import json
import math
import os
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from neuronlab import _paths
from neuronlab._files import atomic_open
from neuronlab._suggest import did_you_mean
from neuronlab._terminal import markup
from neuronlab._validate import check_integer, check_real, check_seed
from neuronlab.parallel import SCHEDULER_ENV as SCHEDULER_ENV  # the CLI's variable
from neuronlab.parallel import backend as backend  # where sweeps always found it
from neuronlab.parallel import check_jobs

PARQUET_EVERY = 10.0
"""Seconds between rewrites of ``results.parquet`` while a sweep runs (and once at the
end); ``results.csv`` gets every row at once."""


# -- the settings of a cell -----------------------------------------------------------


def _registry_name(module: str, kind: str) -> Callable[[object, str], str]:
    """Validator: the canonical registry name (aliases and case accepted)."""

    def check(value: object, name: str) -> str:
        import importlib

        registry = importlib.import_module(f"neuronlab.{module}").REGISTRY
        if not isinstance(value, str):
            raise TypeError(f"{name} must be the name of an {kind} (one of "
                            f"{', '.join(registry.names())}), got {type(value).__name__} "
                            f"{value!r}")
        try:
            return registry.cls(value).name
        except ValueError as exc:  # unknown: the registry's message names the closest
            raise ValueError(f"{name}: {exc}") from None

    return check


def _dataset(value: object, name: str) -> str:
    from neuronlab import data

    try:
        return data.check_dataset(value)
    except (TypeError, ValueError) as exc:  # data's message names the closest dataset
        raise type(exc)(f"{name}: {exc}") from None


def _integer(low: int) -> Callable[[object, str], int]:
    return lambda value, name: check_integer(value, name, low=low)


def _real(low: float | None = None, high: float | None = None, *, low_open: bool = False,
          high_open: bool = False) -> Callable[[object, str], float]:
    return lambda value, name: check_real(value, name, low, high, low_open=low_open,
                                          high_open=high_open)


@dataclass(frozen=True)
class Setting:
    """One setting of a cell: its default, its validator and its command-line flag.

    ``check(value, name)`` returns the value (in its canonical form) or raises a
    ``TypeError``/``ValueError`` naming it ``name`` (``"grid.depth"``, ``"--depth"``).
    """

    name: str
    default: Any
    check: Callable[[object, str], Any]
    parse: Callable[[str], Any]
    flag: str
    help: str
    registry: str | None = None  # the module whose registry lists the valid names

    def describe(self) -> str:
        """The help text, with the valid names read from the registry."""
        import importlib

        text = f"{self.help} (default: {self.default})"
        if self.registry is not None:
            names = importlib.import_module(f"neuronlab.{self.registry}").names()
            text += f"; one or more of: {', '.join(names)}"
        return text


SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("dataset", "digits", _dataset, str, "--data", "bundled or generated dataset"),
    Setting("activation", "relu", _registry_name("activations", "activation"), str,
            "--activation", "hidden activation", "activations"),
    Setting("init", "he_normal", _registry_name("init", "initializer"), str, "--init",
            "weight initializer", "init"),
    Setting("depth", 2, _integer(1), int, "--depth", "number of hidden layers"),
    Setting("width", 32, _integer(1), int, "--width", "units per hidden layer"),
    Setting("lr", 1e-3, _real(0.0, low_open=True), float, "--lr", "learning rate"),
    Setting("optimizer", "adam", _registry_name("optim", "optimizer"), str, "--optimizer",
            "optimizer", "optim"),
    Setting("seed", 0, check_seed, int, "--seed",
            "seeds the data split, the weights and the batch order"),
    Setting("epochs", 20, _integer(1), int, "--epochs", "passes over the training data"),
    Setting("batch_size", 32, _integer(1), int, "--batch-size", "samples per step"),
    Setting("validation_split", 0.0, _real(0.0, 1.0, high_open=True), float,
            "--validation-split",
            "fraction of the training data held out for val_loss"),
    Setting("bias_init", 0.0, _real(), float, "--bias-init",
            "constant initial bias of the hidden layers"),
    Setting("l2", 0.0, _real(0.0), float, "--l2", "L2 penalty on the weights"),
)}
"""Every setting of a cell, in column order.  A sweep's grid and fixed settings name
these; the ones a sweep leaves out take the default.  (The activation, initializer and
optimizer names are checked against their registries, never against a list here.)"""

CONFIG_KEYS: tuple[str, ...] = tuple(SETTINGS)
RESULT_COLUMNS: tuple[str, ...] = (
    "status", "reason", "epochs_run", "loss", "accuracy", "val_loss", "val_accuracy",
    "test_accuracy", "worst_verdict", "worst_layer", "verdicts", "dead_max", "saturated_max",
    "grad_ratio", "warnings", "history")
TIMING_COLUMNS: tuple[str, ...] = ("wall_time", "finished_at")
COLUMNS: tuple[str, ...] = ("cell_id", *CONFIG_KEYS, *RESULT_COLUMNS, *TIMING_COLUMNS)
"""The columns of ``results.csv``; rows are compared without ``TIMING_COLUMNS``."""

STATUSES = ("ok", "diverged", "error")
_FLOAT_COLUMNS = {"lr", "validation_split", "bias_init", "l2", "loss", "accuracy",
                  "val_loss", "val_accuracy", "test_accuracy", "dead_max", "saturated_max",
                  "grad_ratio", "wall_time"}
_INT_COLUMNS = {"depth", "width", "seed", "epochs", "batch_size", "epochs_run",
                "worst_layer"}


def _unknown_key(key: object, where: str) -> ValueError:
    return ValueError(f"unknown sweep setting {key!r} in {where}.{did_you_mean(key, CONFIG_KEYS)} "
                      f"Known: {', '.join(CONFIG_KEYS)}.")


def _check(key: str, value: object, where: str) -> Any:
    return SETTINGS[key].check(value, f"{where}.{key}")


def cell_id(config: Mapping[str, Any]) -> str:
    """The stable id of a cell: a hash of its full configuration (every ``CONFIG_KEYS``).

    Examples
    --------
    >>> a = Sweep({}, {"activation": "ReLU"}).cells()[0]
    >>> b = Sweep({}, {"activation": "relu"}).cells()[0]
    >>> a["cell_id"] == b["cell_id"] == cell_id(a)
    True
    """
    canonical = json.dumps({k: config[k] for k in CONFIG_KEYS}, sort_keys=True,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


# -- the sweep ------------------------------------------------------------------------


class Sweep:
    """A grid (or a seeded random sample of it) of training runs.

    Parameters
    ----------
    grid : mapping of setting -> list of values; each is one axis of the grid (a single
        value counts as a one-value axis).  Settings are the keys of ``SETTINGS``:
        ``activation``, ``init``, ``depth``, ``width``, ``lr``, ``optimizer``, ``seed``,
        ``dataset``, ``epochs``, ``batch_size``, ``validation_split``, ``bias_init``,
        ``l2``.
    fixed : mapping of setting -> one value, the same in every cell.  A setting in
        neither takes its default (``SETTINGS[name].default``).
    sample : draw this many distinct cells at random from the grid (all of them when
        the grid is no larger), with ``sample_seed``; ``None`` runs the whole grid.

    Names are validated against the registries (``activations``, ``init``, ``optim``)
    and ``data.DATASETS`` on construction, with the closest valid name in the error.

    Examples
    --------
    >>> s = Sweep({"activation": ["tanh", "relu"], "lr": [0.1, 0.01]},
    ...           {"dataset": "circles"})
    >>> s
    Sweep(grid={'activation': ['tanh', 'relu'], 'lr': [0.1, 0.01]}, fixed={'dataset': \
'circles'})
    >>> [(c["activation"], c["lr"]) for c in s.cells()]
    [('tanh', 0.1), ('tanh', 0.01), ('relu', 0.1), ('relu', 0.01)]
    """

    def __init__(self, grid: Mapping[str, Any] | None = None,
                 fixed: Mapping[str, Any] | None = None, *, sample: int | None = None,
                 sample_seed: int = 0) -> None:
        grid, fixed = dict(grid or {}), dict(fixed or {})
        for where, part in (("grid", grid), ("fixed", fixed)):
            for key in part:
                if key not in SETTINGS:
                    raise _unknown_key(key, where)
        both = sorted(set(grid) & set(fixed))
        if both:
            raise ValueError(f"settings {both} are given both in the grid and as fixed; "
                             f"give each once")
        self.grid: dict[str, list[Any]] = {}
        for key in CONFIG_KEYS:  # axes in column order, whatever order they came in
            if key not in grid:
                continue
            values = grid[key]
            if isinstance(values, str) or not isinstance(values, Iterable):
                values = [values]
            values = [_check(key, v, "grid") for v in values]
            if not values:
                raise ValueError(f"grid.{key} is empty; give at least one value")
            repeated = sorted({str(v) for v in values if values.count(v) > 1})
            if repeated:
                raise ValueError(f"grid.{key} repeats {', '.join(repeated)}")
            self.grid[key] = values
        self.fixed = {k: _check(k, fixed[k], "fixed") for k in CONFIG_KEYS if k in fixed}
        if sample is not None:
            sample = check_integer(sample, "sample", low=1)
        self.sample, self.sample_seed = sample, check_integer(sample_seed, "sample_seed", low=0)

    # -- construction from files ------------------------------------------------------
    @classmethod
    def from_dict(cls, spec: Mapping[str, Any], where: str = "sweep") -> Sweep:
        """From ``{"grid": {...}, "fixed": {...}, "sample": {"n": N, "seed": S}}``."""
        if not isinstance(spec, Mapping):
            raise TypeError(f"{where} must be a table/mapping, got {type(spec).__name__}")
        unknown = sorted(set(spec) - {"grid", "fixed", "sample"})
        if unknown:
            raise ValueError(f"unknown section(s) {unknown} in {where}; allowed: grid, "
                             f"fixed, sample (settings go inside [grid] or [fixed])")
        sample = spec.get("sample") or {}
        if not isinstance(sample, Mapping) or set(sample) - {"n", "seed"}:
            raise ValueError(f"[sample] in {where} takes n and seed, got {sample!r}")
        for section in ("grid", "fixed"):
            if not isinstance(spec.get(section, {}), Mapping):
                raise TypeError(f"[{section}] in {where} must be a table")
        return cls(spec.get("grid"), spec.get("fixed"), sample=sample.get("n"),
                   sample_seed=sample.get("seed", 0))

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> Sweep:
        """Read a sweep from a TOML file (sections ``[grid]``, ``[fixed]``, ``[sample]``)."""
        import tomllib

        with open(path, "rb") as f:
            try:
                spec = tomllib.load(f)
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ValueError(f"{path} is not valid TOML: {exc}") from None
        return cls.from_dict(spec, str(path))

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> Sweep:
        """Read a sweep from a YAML file with the same sections (needs PyYAML)."""
        try:
            import yaml
        except ImportError:
            raise ValueError(f"reading {path} needs PyYAML (pip install pyyaml); or write "
                             f"the sweep as TOML") from None
        with open(path, encoding="utf-8") as f:
            try:
                spec = yaml.safe_load(f)
            except (yaml.YAMLError, UnicodeDecodeError) as exc:
                raise ValueError(f"{path} is not valid YAML: {exc}") from None
        return cls.from_dict(spec if spec is not None else {}, str(path))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Sweep:
        """TOML or YAML, by the file's suffix (``.toml``, ``.yaml``, ``.yml``)."""
        suffix = Path(path).suffix.lower()
        if suffix == ".toml":
            return cls.from_toml(path)
        if suffix in (".yaml", ".yml"):
            return cls.from_yaml(path)
        raise ValueError(f"sweep file {path} must end in .toml, .yaml or .yml")

    def to_dict(self) -> dict[str, Any]:
        """The inverse of ``from_dict``."""
        spec: dict[str, Any] = {"grid": dict(self.grid), "fixed": dict(self.fixed)}
        if self.sample is not None:
            spec["sample"] = {"n": self.sample, "seed": self.sample_seed}
        return spec

    # -- the cells --------------------------------------------------------------------
    @property
    def grid_size(self) -> int:
        """Cells in the full grid (before sampling)."""
        return math.prod(len(v) for v in self.grid.values())

    def __len__(self) -> int:
        n = self.grid_size
        return n if self.sample is None else min(self.sample, n)

    def _cell(self, values: Sequence[Any]) -> dict[str, Any]:
        chosen = dict(zip(self.grid, values, strict=True))
        config = {k: chosen.get(k, self.fixed.get(k, SETTINGS[k].default))
                  for k in CONFIG_KEYS}
        return {"cell_id": cell_id(config), **config}

    def cells(self) -> list[dict[str, Any]]:
        """Every cell's full configuration, with its ``cell_id``, in grid order (the last
        axis varies fastest; a sample keeps grid order)."""
        axes = list(self.grid.values())
        if self.sample is None or self.sample >= self.grid_size:
            return [self._cell(v) for v in itertools.product(*axes)]
        rng = np.random.default_rng(self.sample_seed)
        picked = np.sort(rng.choice(self.grid_size, size=self.sample, replace=False))
        cells = []
        for index in picked.tolist():  # mixed-radix digits of the flat index
            values = []
            for axis in reversed(axes):
                index, digit = divmod(index, len(axis))
                values.append(axis[digit])
            cells.append(self._cell(values[::-1]))
        return cells

    def __repr__(self) -> str:
        extra = "" if self.sample is None else \
            f", sample={self.sample}, sample_seed={self.sample_seed}"
        return f"Sweep(grid={self.grid!r}, fixed={self.fixed!r}{extra})"


def from_command_line(path: str | os.PathLike[str] | None,
                      values: Mapping[str, str | None], sample: int | None = None,
                      sample_seed: int | None = None) -> Sweep:
    """A sweep from an optional file and command-line strings (``{"depth": "2,8"}``).

    A setting given on the command line replaces the file's: a comma-separated list
    becomes an axis of the grid, a single value a fixed setting.  ``None`` values are
    ignored.  ``sample``/``sample_seed`` replace the file's ``[sample]``.
    """
    base = Sweep.from_file(path) if path is not None else Sweep()
    grid, fixed = dict(base.grid), dict(base.fixed)
    for key, text in values.items():
        if text is None:
            continue
        if key not in SETTINGS:
            raise _unknown_key(key, "the command line")
        setting = SETTINGS[key]
        tokens = [t.strip() for t in str(text).split(",") if t.strip()]
        if not tokens:
            raise ValueError(f"{setting.flag} needs at least one value, got {text!r}")
        try:
            parsed = [setting.parse(t) for t in tokens]
        except ValueError:
            raise ValueError(f"{setting.flag} takes comma-separated "
                             f"{setting.parse.__name__} values, got {text!r}") from None
        parsed = [setting.check(v, setting.flag) for v in parsed]
        grid.pop(key, None)
        fixed.pop(key, None)
        if len(parsed) == 1:
            fixed[key] = parsed[0]
        else:
            grid[key] = parsed
    return Sweep(grid, fixed, sample=sample if sample is not None else base.sample,
                 sample_seed=sample_seed if sample_seed is not None else base.sample_seed)


# -- one cell -------------------------------------------------------------------------


def run_cell(config: Mapping[str, Any]) -> dict[str, Any]:
    """Train one cell and return its row (every column of ``COLUMNS``).

    The run is isolated from the calling process's state so that it gives the same row
    in any worker: NumPy's floating-point error state is fixed (overflow is the
    divergence guard's business), Python warnings are recorded into the ``warnings``
    column instead of being shown or raised, and BLAS runs on one thread.  Any
    ``Exception`` becomes ``status="error"`` with its type and message as the reason;
    a diverged run is ``status="diverged"`` with where it happened.  A Ctrl-C is not a
    result: it propagates, and the cell stays unfinished.
    """
    from threadpoolctl import threadpool_limits

    _import_before_recording_warnings()
    start = time.perf_counter()
    row: dict[str, Any] = {"cell_id": config.get("cell_id") or cell_id(config)}
    row.update({k: config[k] for k in CONFIG_KEYS})
    row.update({k: math.nan for k in _FLOAT_COLUMNS & set(RESULT_COLUMNS)})
    row.update(status="ok", reason="", epochs_run=0, worst_verdict="", worst_layer=0,
               verdicts="", warnings="", history="[]")
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=1), \
            np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        warnings.simplefilter("always")
        try:
            row.update(_train(config))
        except Exception as exc:  # any failure of a cell is its result, not the sweep's
            row.update(status="error", reason=_one_line(f"{type(exc).__name__}: {exc}"))
    seen = dict.fromkeys(_one_line(f"{w.category.__name__}: {w.message}") for w in caught)
    row["warnings"] = " | ".join(seen)[:500]
    row["wall_time"] = time.perf_counter() - start
    row["finished_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    return {k: row[k] for k in COLUMNS}


def _import_before_recording_warnings() -> None:
    """Import what a cell uses before its warnings are recorded: a warning raised while a
    module is first imported would otherwise land in the first cell a process runs only,
    and a worker's table would differ from an in-process one."""
    import sklearn.datasets  # noqa: F401  (data.load's loaders and split)
    import sklearn.model_selection  # noqa: F401

    from neuronlab import data, diagnostics, network, train  # noqa: F401


def _train(config: Mapping[str, Any]) -> dict[str, Any]:
    from neuronlab import data, diagnostics
    from neuronlab.network import MLP
    from neuronlab.train import accuracy, fit

    seed = config["seed"]
    ds = data.load(config["dataset"], seed=seed)
    sizes = [ds.n_features, *[config["width"]] * config["depth"], ds.n_classes]
    model = MLP(sizes, activation=config["activation"], output="softmax",
                init=config["init"], bias_init=config["bias_init"], seed=seed)
    monitor = diagnostics.Monitor()
    history = fit(model, ds.X_train, ds.y_train, optimizer=config["optimizer"],
                  lr=config["lr"], epochs=config["epochs"], batch_size=config["batch_size"],
                  seed=seed, validation_split=config["validation_split"], l2=config["l2"],
                  callbacks=[monitor], verbose=False)
    if history.stop_reason == "interrupted":
        raise KeyboardInterrupt  # a Ctrl-C inside fit: stop the sweep, record nothing
    last = history.epochs[-1] if history.epochs else {}
    out: dict[str, Any] = {
        "epochs_run": len(history),
        "history": json.dumps([{k: v for k, v in e.items() if k not in ("time", "lr")}
                               for e in history.epochs], separators=(",", ":")),
        **{k: float(last.get(k, math.nan))
           for k in ("loss", "accuracy", "val_loss", "val_accuracy")},
    }
    if history.stop_reason == "diverged":
        where = history.divergence or {}
        out["status"] = "diverged"
        out["reason"] = _one_line(
            f"non-finite loss or weights at epoch {where.get('epoch')}, batch "
            f"{where.get('batch')}, layer {where.get('layer')} (last finite weights kept)")
    y_test = np.eye(ds.n_classes)[ds.y_test]
    out["test_accuracy"] = accuracy(model.predict(ds.X_test), y_test)
    out.update(_diagnostics(monitor.table()))
    return out


def _diagnostics(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The Monitor's last interval (the network as training ended) in a few columns.

    ``verdicts``: each layer's verdict, from the input up, comma-separated;
    ``worst_verdict``/``worst_layer``: the most severe of them (``diagnostics.STATUSES``
    order) and its layer, 1-based (0 when all are healthy); ``dead_max`` and
    ``saturated_max``: the largest fraction of dead and of saturated units in a layer;
    ``grad_ratio``: the first layer's weight-gradient norm over the last layer's (below
    ``diagnostics.VANISHING_RATIO`` it vanishes, above ``EXPLODING_RATIO`` it explodes).
    Empty when there is no interval (a run that diverged on its first step).
    """
    from neuronlab import diagnostics

    found = sorted(diagnostics.verdicts(list(rows), which="last"), key=lambda v: v.layer)
    if not found:
        return {}
    last = [r for r in rows if (r["epoch"], r["step"]) == (found[0].epoch, found[0].step)]
    worst = min(found, key=lambda v: (diagnostics.STATUSES.index(v.status), v.layer))
    saturated = [float(r["saturated"]) for r in last if not math.isnan(r["saturated"])]
    return {"verdicts": ",".join(v.status for v in found), "worst_verdict": worst.status,
            "worst_layer": 0 if worst.status == "healthy" else int(worst.layer),
            "dead_max": max(float(r["dead"]) for r in last),
            "saturated_max": max(saturated, default=math.nan),
            "grad_ratio": float(found[0].numbers["grad_ratio"])}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# -- the table ------------------------------------------------------------------------


def _format(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)  # the shortest string that reads back to the same float
    return str(value)


def _parse(column: str, text: str) -> Any:
    if column in _FLOAT_COLUMNS:
        return float(text)
    if column in _INT_COLUMNS:
        return int(text)
    return text


class ResultTable:
    """``results.csv``: one line per finished cell, appended and flushed as it finishes.

    A line is written whole with one ``write`` and synced to disk before the next, and
    a torn last line (a crash mid-write) is cut off when the file is opened again, so
    the table never holds a partial row.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.rows: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            self._read()
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(self.path, lambda f: f.write(_csv_line(COLUMNS)))

    def _read(self) -> None:
        raw = self.path.read_bytes()
        if raw and not raw.endswith(b"\n"):  # torn by a crash: drop the partial line
            with open(self.path, "r+b") as f:
                f.truncate(raw.rfind(b"\n") + 1)
            raw = raw[:raw.rfind(b"\n") + 1]
        try:
            lines = raw.decode("utf-8").splitlines()
        except UnicodeDecodeError as exc:
            raise ValueError(f"{self.path} is not UTF-8 text (byte {exc.start} is "
                             f"{raw[exc.start]:#04x}), so not a table neuronlab wrote: move "
                             f"it away or use another out_dir") from None
        if not lines:
            _atomic_write(self.path, lambda f: f.write(_csv_line(COLUMNS)))
            return
        header = next(csv.reader(lines[:1]))
        if tuple(header) != COLUMNS:
            raise ValueError(
                f"{self.path} has columns {header}, not this neuronlab's {list(COLUMNS)}; "
                f"it was written by another version: move it away or use another out_dir")
        for number, values in enumerate(csv.reader(lines[1:]), start=2):
            if len(values) != len(COLUMNS):
                raise ValueError(f"{self.path} has a malformed row: {values!r}")
            try:
                row = {c: _parse(c, v) for c, v in zip(COLUMNS, values, strict=True)}
            except ValueError as exc:
                raise ValueError(f"{self.path}, row {number}: {exc}") from None
            self.rows[row["cell_id"]] = row

    def append(self, row: Mapping[str, Any]) -> None:
        """Write one finished cell as one complete line and sync it to disk."""
        line = _csv_line(_format(row[c]) for c in COLUMNS)
        with open(self.path, "a", encoding="utf-8", newline="") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        self.rows[row["cell_id"]] = {c: row[c] for c in COLUMNS}

    def __contains__(self, cell: object) -> bool:
        return cell in self.rows

    def __len__(self) -> int:
        return len(self.rows)


def _csv_line(values: Iterable[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(list(values))
    return buffer.getvalue()


def read_table(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The rows of a ``results.csv`` (or of ``out_dir/results.csv``), typed, sorted by
    cell id."""
    path = Path(path)
    if path.is_dir():
        path = path / "results.csv"
    if not path.exists():
        raise ValueError(f"no sweep results at {path}")
    return sorted(ResultTable(path).rows.values(), key=lambda r: r["cell_id"])


def comparable(rows: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """Rows as sorted tuples without the timing columns, with NaN made comparable:
    two runs of the same sweep give equal lists."""
    keep = [c for c in COLUMNS if c not in TIMING_COLUMNS]

    def value(v: Any) -> Any:
        return "nan" if isinstance(v, float) and math.isnan(v) else v

    return sorted(tuple(value(r[c]) for c in keep) for r in rows)


def _atomic_write(path: Path, write: Callable[[Any], Any], binary: bool = False) -> None:
    """``write(f)`` into a file that replaces ``path`` atomically (:mod:`neuronlab._files`):
    a reader sees the old file or the new one, never half of one."""
    with atomic_open(path, binary=binary) as f:
        write(f)


def _write_parquet(rows: Sequence[Mapping[str, Any]], path: Path) -> bool:
    """``results.parquet`` sorted by cell id, if pyarrow is installed (else False)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return False

    def kind(column: str) -> Any:
        if column in _FLOAT_COLUMNS:
            return pa.float64()
        return pa.int64() if column in _INT_COLUMNS else pa.string()

    ordered = sorted(rows, key=lambda r: r["cell_id"])
    table = pa.table({c: pa.array([r[c] for r in ordered], type=kind(c)) for c in COLUMNS})
    _atomic_write(path, lambda f: pq.write_table(table, f), binary=True)
    return True


# -- running --------------------------------------------------------------------------


class _Progress:
    """A rich progress bar over the cells: done/total, elapsed, ETA, status counts."""

    def __init__(self, total: int, done: int, enabled: bool) -> None:
        self.counts = dict.fromkeys(STATUSES, 0)
        self.bar = None
        if enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                TextColumn("{task.fields[status]}"))
            self.task = self.bar.add_task("sweep", total=total, completed=done,
                                          status=f"{done} already done" if done else "")
            self.bar.start()

    def advance(self, row: Mapping[str, Any]) -> None:
        self.counts[row["status"]] += 1
        if self.bar is not None:
            status = "  ".join(f"{k} {v}" for k, v in self.counts.items() if v)
            self.bar.update(self.task, advance=1, status=status)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def run(sweep: Sweep, out_dir: str | os.PathLike[str], jobs: int = 1,
        scheduler: str | None = None, progress: bool = True, *,
        max_cells: int | None = None,
        on_result: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Run every unfinished cell of ``sweep``, streaming rows into ``out_dir/results.csv``.

    Parameters
    ----------
    sweep : the cells to run.
    out_dir : folder of the table (created); cells already in its ``results.csv`` are
        skipped, so running the same sweep again resumes it.
    jobs : parallel worker processes on this machine (joblib/loky; ``-1`` for all cores,
        ``1`` runs in this process).  Ignored with a scheduler: the cluster decides.
    scheduler : address of an existing Dask scheduler (``tcp://HOST:PORT``): the cells
        run on its workers through joblib's Dask backend.  ``None`` runs locally (the
        CLI reads ``NEURONLAB_DASK_SCHEDULER``; this function reads no environment).
    progress : show a progress bar (done/total and ETA).
    max_cells : run at most this many of the unfinished cells, then stop (a sweep in
        instalments; the next call goes on).
    on_result : called in this process with each new row as it is recorded.

    Returns
    -------
    list of dict
        One row per finished cell of this sweep (``COLUMNS``), in grid order, including
        the ones found in the table.  Also writes ``results.parquet`` (with pyarrow),
        ``summary.csv`` and ``accuracy.png`` (with matplotlib), each atomically.
    """
    if not isinstance(sweep, Sweep):
        raise TypeError(f"sweep must be a Sweep, got {type(sweep).__name__}")
    jobs = check_jobs(jobs)
    if max_cells is not None:
        max_cells = check_integer(max_cells, "max_cells", low=0)
    out = _paths.output_dir(out_dir, "sweep folder", files=OUTPUT_FILES)
    out.mkdir(parents=True, exist_ok=True)
    with _lock(out):
        return _run(sweep, out, jobs, scheduler, progress, max_cells, on_result)


OUTPUT_FILES = ("results.csv", "results.parquet", "summary.csv", "accuracy.png", ".lock")
"""The files ``run`` writes into its folder; ``.lock`` is held while it runs."""


@contextlib.contextmanager
def _lock(out: Path) -> Iterator[None]:
    """Hold ``out/.lock`` while a sweep runs into ``out``: a second sweep on the same
    folder is refused (it would run every unfinished cell a second time).

    The lock is the operating system's (``flock``), released when the process ends
    however it ends, so a sweep killed with ``kill -9`` never blocks the next one; the
    file itself stays, holding the pid of the last sweep that took it.
    """
    with open(out / ".lock", "a+", encoding="utf-8") as f:
        if not _try_lock(f.fileno()):
            f.seek(0)
            holder = f.read().strip()
            raise ValueError(
                f"another sweep{f' (process {holder})' if holder.isdigit() else ''} is "
                f"running into {out}; wait for it to finish (it will have run these "
                f"cells), or give another folder")
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        yield  # closing the file releases the lock


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on the open file ``fd`` without waiting; False if held."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)  # the lock covers the first byte (not tested here)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _run(sweep: Sweep, out: Path, jobs: int, scheduler: str | None, progress: bool,
         max_cells: int | None,
         on_result: Callable[[dict[str, Any]], None] | None) -> list[dict[str, Any]]:
    from joblib import Parallel, delayed

    table = ResultTable(out / "results.csv")
    cells = sweep.cells()
    todo = [c for c in cells if c["cell_id"] not in table]
    if max_cells is not None:
        todo = todo[:max_cells]
    bar = _Progress(len(cells), sum(c["cell_id"] in table for c in cells), progress)
    parquet_at = time.monotonic()
    try:
        if todo:
            with backend(jobs, scheduler):
                results = Parallel(return_as="generator_unordered")(
                    delayed(run_cell)(c) for c in todo)
                for row in results:
                    table.append(row)
                    bar.advance(row)
                    if time.monotonic() - parquet_at > PARQUET_EVERY:
                        _write_parquet(list(table.rows.values()), out / "results.parquet")
                        parquet_at = time.monotonic()
                    if on_result is not None:
                        on_result(row)
    finally:
        bar.close()
    rows = [table.rows[c["cell_id"]] for c in cells if c["cell_id"] in table]
    _write_parquet(list(table.rows.values()), out / "results.parquet")
    write_summary(rows, out)
    return rows


# -- the summary ----------------------------------------------------------------------


def summarize(rows: Iterable[Mapping[str, Any]], metric: str = "test_accuracy",
              top: int | None = 10) -> list[dict[str, Any]]:
    """The best configurations: cells grouped over ``seed``, ranked by mean ``metric``.

    Each entry holds the configuration (without ``seed``), ``n`` cells, how many were
    ``ok``/``diverged``/``error``, the mean and standard deviation of ``metric`` over the
    ``ok`` cells (NaN when none), and the most frequent ``worst_verdict``.  Groups with no
    ``ok`` cell rank last.

    Examples
    --------
    >>> rows = [{"cell_id": str(i), **Sweep().cells()[0], "seed": i, "status": "ok",
    ...          "test_accuracy": a, "worst_verdict": "healthy"}
    ...         for i, a in enumerate([0.8, 0.9])]
    >>> best = summarize(rows)[0]
    >>> best["n"], round(best["test_accuracy_mean"], 3)
    (2, 0.85)
    """
    keys = [k for k in CONFIG_KEYS if k != "seed"]
    groups: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in keys), []).append(row)
    table = []
    for config, members in groups.items():
        ok = [float(r[metric]) for r in members if r["status"] == "ok"]
        verdicts = [r.get("worst_verdict", "") for r in members if r.get("worst_verdict")]
        entry = dict(zip(keys, config, strict=True))
        entry.update(
            n=len(members), **{f"n_{s}": sum(r["status"] == s for r in members)
                               for s in STATUSES},
            **{f"{metric}_mean": float(np.mean(ok)) if ok else math.nan,
               f"{metric}_std": float(np.std(ok)) if ok else math.nan},
            worst_verdict=max(sorted(set(verdicts)), key=verdicts.count) if verdicts else "")
        table.append(entry)
    table.sort(key=lambda e: (math.isnan(e[f"{metric}_mean"]), -np.nan_to_num(
        e[f"{metric}_mean"], nan=0.0), -e["n_ok"]))
    return table if top is None else table[:top]


def accuracy_grid(rows: Iterable[Mapping[str, Any]], metric: str = "test_accuracy"
                  ) -> dict[tuple[str, int], dict[str, Any]]:
    """The data of the heat maps: for each (dataset, depth), a matrix activation ×
    initializer holding the best mean ``metric`` over the other varied settings (learning
    rate, optimizer, width ...), the mean taken over seeds of the ``ok`` cells (NaN
    where none).  Returns ``{(dataset, depth): {"activations", "inits", "values"}}``."""
    rows = list(rows)
    best: dict[tuple[Any, ...], float] = {}
    for entry in summarize(rows, metric, top=None):
        key = (entry["dataset"], entry["depth"], entry["activation"], entry["init"])
        value = entry[f"{metric}_mean"]
        if not math.isnan(value):
            best[key] = max(best.get(key, -math.inf), value)
    activations = list(dict.fromkeys(r["activation"] for r in rows))
    inits = list(dict.fromkeys(r["init"] for r in rows))
    panels = sorted({(r["dataset"], r["depth"]) for r in rows})
    return {(d, depth): {"activations": activations, "inits": inits,
                         "values": np.array([[best.get((d, depth, a, i), math.nan)
                                              for i in inits] for a in activations])}
            for d, depth in panels}


def plot_accuracy(rows: Iterable[Mapping[str, Any]], path: str | os.PathLike[str],
                  metric: str = "test_accuracy") -> bool:
    """Heat maps of ``accuracy_grid`` (one per depth, a row of panels per dataset) saved
    atomically as a PNG; False (and nothing written) when matplotlib is missing."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return False
    grid = accuracy_grid(rows, metric)
    if not grid:
        return False
    datasets = sorted({d for d, _ in grid})
    depths = sorted({depth for _, depth in grid})
    first = next(iter(grid.values()))
    n_act, n_init = len(first["activations"]), len(first["inits"])
    fig = Figure(figsize=(1.2 + (1.0 + 0.9 * n_init) * len(depths),
                          0.8 + (0.8 + 0.45 * n_act) * len(datasets)), layout="constrained")
    axes = fig.subplots(len(datasets), len(depths), squeeze=False)
    image = None
    for r, dataset in enumerate(datasets):
        for c, depth in enumerate(depths):
            ax = axes[r][c]
            panel = grid.get((dataset, depth))
            if panel is None:
                ax.set_axis_off()
                continue
            values = np.ma.masked_invalid(panel["values"])
            image = ax.imshow(values, vmin=0.0, vmax=1.0, cmap="viridis", aspect="auto")
            ax.set_xticks(range(n_init), panel["inits"], rotation=45, ha="right")
            ax.set_yticks(range(n_act), panel["activations"])
            for (i, j), v in np.ndenumerate(panel["values"]):
                ax.text(j, i, "—" if math.isnan(v) else f"{v:.2f}", ha="center", va="center",
                        color="white" if math.isnan(v) or v < 0.6 else "black", fontsize=8)
            ax.set_title(f"{dataset}, depth {depth}", fontsize=10)
    if image is not None:
        fig.colorbar(image, ax=axes, label=metric.replace("_", " "), shrink=0.8)
    fig.suptitle(f"{metric.replace('_', ' ')}: mean over seeds, best over the other settings",
                 fontsize=9)
    _atomic_write(Path(path), lambda f: fig.savefig(f, format="png", dpi=100), binary=True)
    return True


def write_summary(rows: Sequence[Mapping[str, Any]], out_dir: str | os.PathLike[str],
                  top: int | None = 20) -> list[dict[str, Any]]:
    """Write ``summary.csv`` (``summarize``) and ``accuracy.png`` (``plot_accuracy``) into
    ``out_dir``, each atomically; returns the summary."""
    out = Path(out_dir)
    best = summarize(rows, top=top)
    if best:
        columns = list(best[0])
        _atomic_write(out / "summary.csv", lambda f: f.write(
            _csv_line(columns) + "".join(_csv_line(_format(e[c]) for c in columns)
                                         for e in best)))
        plot_accuracy(rows, out / "accuracy.png")
    return best


def print_summary(rows: Sequence[Mapping[str, Any]], top: int = 10, console: Any = None,
                  metric: str = "test_accuracy") -> None:
    """Print the status counts and ``summarize``'s best configurations with rich (only
    the settings that vary in the sweep are shown)."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    counts = {s: sum(r["status"] == s for r in rows) for s in STATUSES}
    console.print(f"{len(rows)} cells: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    best = summarize(rows, metric, top=top)
    if not best:
        return
    varying = [k for k in CONFIG_KEYS if k != "seed" and len({r[k] for r in rows}) > 1] \
        or ["activation"]
    table = Table(title=f"best configurations by mean {metric} over seeds")
    for column in (*varying, "ok/n", metric, "worst verdict"):
        table.add_column(column, justify="left" if column in varying else "right")
    for e in best:
        mean, std = e[f"{metric}_mean"], e[f"{metric}_std"]
        table.add_row(*(markup(e[k]) for k in varying), f"{e['n_ok']}/{e['n']}",
                      "—" if math.isnan(mean) else f"{mean:.3f} ± {std:.3f}",
                      markup(e["worst_verdict"] or ""))
    console.print(table)
