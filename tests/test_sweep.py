"""Sweeps: grids, validation, files, parallel runs (joblib and a real Dask cluster) giving
identical tables, resuming, divergence and errors recorded, the CLI."""

from __future__ import annotations

import contextlib
import csv
import json
import math

import numpy as np
import pytest

from neuronlab import diagnostics, sweep
from neuronlab.cli import main
from neuronlab.sweep import COLUMNS, TIMING_COLUMNS, Sweep, comparable, read_table, run

# Tiny cells (iris, 8 units, 4 epochs: milliseconds each).  identity with lr 1e4 diverges
# within the first epochs, so the determinism tests cover diverged rows too.
GRID = {"activation": ["relu", "tanh", "identity"], "init": ["he_normal", "glorot_uniform"],
        "depth": [1, 3], "lr": [0.05, 1e4]}
FIXED = {"dataset": "iris", "width": 8, "epochs": 4, "optimizer": "sgd", "batch_size": 16}


@pytest.fixture(scope="module")
def tiny() -> Sweep:
    return Sweep(GRID, FIXED)


@pytest.fixture(scope="module")
def two_jobs(tiny, tmp_path_factory):
    """The tiny sweep run once with two loky workers (shared by several tests)."""
    out = tmp_path_factory.mktemp("two-jobs")
    return out, run(tiny, out, jobs=2, progress=False)


# -- the grid -------------------------------------------------------------------------


def test_cells_cross_every_axis_in_grid_order_with_stable_ids(tiny):
    cells = tiny.cells()
    assert len(cells) == len(tiny) == 3 * 2 * 2 * 2
    assert [c["activation"] for c in cells[:8]] == ["relu"] * 8
    assert [c["lr"] for c in cells[:2]] == [0.05, 1e4]  # the last axis varies fastest
    assert all(set(c) == {"cell_id", *sweep.CONFIG_KEYS} for c in cells)
    assert all(c["dataset"] == "iris" and c["seed"] == 0 for c in cells)  # fixed, default
    assert len({c["cell_id"] for c in cells}) == len(cells)
    assert [c["cell_id"] for c in Sweep(GRID, FIXED).cells()] == [c["cell_id"] for c in cells]


def test_cell_id_hashes_the_canonical_config():
    a = Sweep({"activation": ["ReLU", "tanh"]}, {"lr": 1, "init": "kaiming_normal"}).cells()
    b = Sweep({"activation": ["relu", "tanh"]}, {"lr": 1.0, "init": "he_normal"}).cells()
    assert [c["cell_id"] for c in a] == [c["cell_id"] for c in b]
    assert a[0]["activation"] == "relu" and a[0]["init"] == "he_normal"
    assert Sweep(fixed={"seed": 1}).cells()[0]["cell_id"] != Sweep().cells()[0]["cell_id"]


def test_random_sample_is_seeded_and_drawn_from_the_grid(tiny):
    every = {c["cell_id"] for c in tiny.cells()}
    first = Sweep(GRID, FIXED, sample=5, sample_seed=3).cells()
    again = Sweep(GRID, FIXED, sample=5, sample_seed=3).cells()
    other = Sweep(GRID, FIXED, sample=5, sample_seed=4).cells()
    assert first == again and len(first) == 5 and {c["cell_id"] for c in first} <= every
    assert len({c["cell_id"] for c in first}) == 5
    assert first != other
    assert len(Sweep(GRID, FIXED, sample=1000).cells()) == len(every)


@pytest.mark.parametrize(("grid", "fixed", "error", "message"), [
    ({"activation": ["rleu"]}, {}, ValueError, "grid.activation: unknown activation 'rleu'. "
                                               "Did you mean 'relu'?"),
    ({}, {"init": "he_norml"}, ValueError, "Did you mean 'he_normal'?"),
    ({"optimizer": ["adma"]}, {}, ValueError, "Did you mean 'adam'?"),
    ({}, {"dataset": "iriss"}, ValueError, "fixed.dataset: unknown dataset 'iriss'. Did you "
                                           "mean 'iris'?"),
    ({"activations": ["relu"]}, {}, ValueError, "unknown sweep setting 'activations' in grid. "
                                                "Did you mean 'activation'?"),
    ({}, {"learning_rate": 0.1}, ValueError, "unknown sweep setting 'learning_rate'"),
    ({"depth": [0, 2]}, {}, ValueError, "grid.depth must be an integer >= 1, got 0"),
    ({"depth": [2.5]}, {}, TypeError, "grid.depth must be an integer"),
    ({"depth": [True]}, {}, TypeError, "grid.depth"),
    ({}, {"lr": -1.0}, ValueError, "fixed.lr must be a finite number > 0"),
    ({}, {"lr": "fast"}, TypeError, "fixed.lr"),
    ({"width": []}, {}, ValueError, "grid.width is empty"),
    ({"activation": ["relu", "ReLU"]}, {}, ValueError, "grid.activation repeats relu"),
    ({"depth": [1, 2]}, {"depth": 3}, ValueError, "both in the grid and as fixed"),
    ({}, {"activation": 3}, TypeError, "fixed.activation must be the name of an activation"),
])
def test_invalid_settings_are_named_with_the_closest_valid_one(grid, fixed, error, message):
    with pytest.raises(error, match=None) as info:
        Sweep(grid, fixed)
    assert message in str(info.value)


def test_toml_file(tmp_path, tiny):
    path = tmp_path / "sweep.toml"
    path.write_text("""
[grid]
activation = ["relu", "tanh", "identity"]
init = ["he_normal", "glorot_uniform"]
depth = [1, 3]
lr = [0.05, 1e4]

[fixed]
dataset = "iris"
width = 8
epochs = 4
optimizer = "sgd"
batch_size = 16
""")
    assert Sweep.from_toml(path).cells() == tiny.cells()
    assert Sweep.from_file(path).cells() == tiny.cells()
    assert Sweep.from_dict(tiny.to_dict()).cells() == tiny.cells()
    path.write_text('[grid]\nseed = [0, 1, 2, 3]\n[sample]\nn = 2\nseed = 7\n')
    sampled = Sweep.from_toml(path)
    assert (sampled.sample, sampled.sample_seed, len(sampled.cells())) == (2, 7, 2)


@pytest.mark.parametrize(("text", "message"), [
    ("[grid]\nactivation = ['rleu']\n", "Did you mean 'relu'?"),
    ("[grids]\nactivation = ['relu']\n", "unknown section(s) ['grids']"),
    ("activation = ['relu']\n", "settings go inside [grid] or [fixed]"),
    ("[sample]\ncount = 3\n", "[sample] in"),
    ("[grid\n", "is not valid TOML"),
])
def test_toml_errors(tmp_path, text, message):
    path = tmp_path / "sweep.toml"
    path.write_text(text)
    with pytest.raises(ValueError) as info:
        Sweep.from_toml(path)
    assert message in str(info.value)


def test_yaml_file(tmp_path, tiny):
    pytest.importorskip("yaml")
    path = tmp_path / "sweep.yaml"
    path.write_text(json.dumps(tiny.to_dict()))  # JSON is YAML
    assert Sweep.from_file(path).cells() == tiny.cells()
    with pytest.raises(ValueError, match="must end in .toml, .yaml or .yml"):
        Sweep.from_file(tmp_path / "sweep.json")


# -- running --------------------------------------------------------------------------


def test_rows_cover_every_cell_and_equal_the_table_on_disk(tiny, two_jobs):
    out, rows = two_jobs
    assert [r["cell_id"] for r in rows] == [c["cell_id"] for c in tiny.cells()]
    assert all(list(r) == list(COLUMNS) for r in rows)
    assert comparable(read_table(out)) == comparable(rows)
    with open(out / "results.csv", newline="") as f:
        lines = list(csv.reader(f))
    assert tuple(lines[0]) == COLUMNS and len(lines) == 1 + len(rows)
    statuses = {r["status"] for r in rows}
    assert statuses == {"ok", "diverged"}
    ok = [r for r in rows if r["status"] == "ok"]
    assert all(0.0 <= r["test_accuracy"] <= 1.0 and r["epochs_run"] == 4 for r in ok)
    for r in ok:  # the Monitor's verdicts of the last epoch, one per weight layer
        verdicts = r["verdicts"].split(",")
        assert len(verdicts) == r["depth"] + 1
        assert set(verdicts) <= set(diagnostics.STATUSES)
        assert r["worst_verdict"] in verdicts and 0 <= r["worst_layer"] <= r["depth"] + 1
        assert 0.0 <= r["dead_max"] <= 1.0 and 0.0 <= r["saturated_max"] <= 1.0
        assert r["grad_ratio"] >= 0  # 0 where saturated tanh units pass nothing back
    assert all(len(json.loads(r["history"])) == r["epochs_run"] for r in rows)
    assert (out / "summary.csv").exists()
    assert (out / "accuracy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_parquet_holds_the_same_rows(two_jobs):
    pq = pytest.importorskip("pyarrow.parquet")
    out, rows = two_jobs
    table = pq.read_table(out / "results.parquet").to_pylist()
    assert table == sorted(table, key=lambda r: r["cell_id"])
    assert comparable(table) == comparable(rows)


def test_one_job_and_two_jobs_give_the_same_table(tiny, two_jobs, tmp_path):
    one = run(tiny, tmp_path, jobs=1, progress=False)
    assert comparable(one) == comparable(two_jobs[1])
    assert [r["cell_id"] for r in one] == [r["cell_id"] for r in two_jobs[1]]


def test_comparable_leaves_out_only_the_timing_columns(two_jobs):
    rows = [dict(r) for r in two_jobs[1]]
    changed = [dict(r, wall_time=r["wall_time"] + 1.0, finished_at="then") for r in rows]
    assert comparable(changed) == comparable(rows)
    changed[0]["test_accuracy"] = -1.0
    assert comparable(changed) != comparable(rows)
    assert set(TIMING_COLUMNS) == {"wall_time", "finished_at"}


@contextlib.contextmanager
def _local_dask_cluster():
    """A real two-process Dask cluster, TCP on 127.0.0.1, no dashboard."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", protocol="tcp", dashboard_address=":0",
                                  worker_dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_dask_cluster_gives_the_same_table_as_joblib(tiny, two_jobs, tmp_path, monkeypatch,
                                                     capsys):
    with _local_dask_cluster() as address:
        assert address.startswith("tcp://127.0.0.1:")
        on_dask = run(tiny, tmp_path / "dask", scheduler=address, progress=False)
        # the CLI finds the scheduler through the environment variable
        monkeypatch.setenv(sweep.SCHEDULER_ENV, address)
        code = main(["sweep", "--activation", "relu,tanh", "--depth", "1", "--data", "iris",
                     "--width", "8", "--epochs", "2", "--out", str(tmp_path / "cli"),
                     "--quiet"])
    assert comparable(on_dask) == comparable(two_jobs[1])
    assert code == 0 and f"on {address}" in " ".join(capsys.readouterr().out.split())
    assert len(read_table(tmp_path / "cli")) == 2


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}), \
            pytest.raises(ValueError, match="cannot reach the Dask scheduler at 'tcp://127"):
        run(Sweep(fixed=FIXED), tmp_path, scheduler="tcp://127.0.0.1:1", progress=False)
    assert read_table(tmp_path) == []  # nothing ran


class _Crash(Exception):
    pass


def test_an_interrupted_sweep_resumes_without_redoing_finished_cells(tiny, two_jobs,
                                                                     tmp_path):
    first: list[str] = []

    def crash_after_five(row):
        first.append(row["cell_id"])
        if len(first) == 5:
            raise _Crash  # as if the machine went down after five cells

    with pytest.raises(_Crash):
        run(tiny, tmp_path, jobs=1, progress=False, on_result=crash_after_five)
    kept = {r["cell_id"]: r for r in read_table(tmp_path)}
    assert set(kept) == set(first) and len(kept) == 5

    second: list[str] = []
    rows = run(tiny, tmp_path, jobs=2, progress=False,
               on_result=lambda row: second.append(row["cell_id"]))
    assert sorted(second) == sorted(c["cell_id"] for c in tiny.cells()
                                    if c["cell_id"] not in kept)
    for r in rows:  # the first five were read back, not recomputed
        if r["cell_id"] in kept:
            assert r["finished_at"] == kept[r["cell_id"]]["finished_at"]
            assert r["wall_time"] == kept[r["cell_id"]]["wall_time"]
    assert comparable(rows) == comparable(two_jobs[1])
    third: list[str] = []
    run(tiny, tmp_path, jobs=1, progress=False, on_result=lambda r: third.append(r))
    assert third == [] and len(read_table(tmp_path)) == len(tiny)


def test_max_cells_runs_a_sweep_in_instalments(tiny, tmp_path):
    assert len(run(tiny, tmp_path, jobs=1, progress=False, max_cells=3)) == 3
    assert len(run(tiny, tmp_path, jobs=1, progress=False, max_cells=100)) == len(tiny)


def test_a_line_torn_by_a_crash_is_dropped_and_the_cell_rerun(tiny, two_jobs, tmp_path):
    run(tiny, tmp_path, jobs=1, progress=False, max_cells=4)
    path = tmp_path / "results.csv"
    whole = path.read_bytes()
    last = whole[whole.rstrip(b"\n").rfind(b"\n") + 1:]
    path.write_bytes(whole[:-len(last)] + last[:len(last) // 2])  # half a line, no newline
    assert len(read_table(tmp_path)) == 3
    assert path.read_bytes() == whole[:-len(last)]  # the torn half was cut off
    rows = run(tiny, tmp_path, jobs=1, progress=False)
    assert comparable(rows) == comparable(two_jobs[1])


def test_a_table_from_another_version_is_refused(tiny, tmp_path):
    (tmp_path / "results.csv").write_text("cell_id,status\n")
    with pytest.raises(ValueError, match="written by another version"):
        run(tiny, tmp_path, progress=False)


def test_diverging_and_failing_cells_are_recorded_and_the_sweep_goes_on(tmp_path,
                                                                         monkeypatch):
    from neuronlab import train

    real_fit = train.fit

    def fit(model, *args, **kwargs):
        if model.layers[1].fn.name == "sigmoid":
            raise RuntimeError("boom\nin two lines")
        return real_fit(model, *args, **kwargs)

    monkeypatch.setattr(train, "fit", fit)
    grid = Sweep({"activation": ["identity", "sigmoid", "tanh"]},
                 {**FIXED, "depth": 2, "lr": 1e4})
    rows = {r["activation"]: r for r in run(grid, tmp_path, jobs=1, progress=False)}
    diverged, failed, fine = rows["identity"], rows["sigmoid"], rows["tanh"]
    assert diverged["status"] == "diverged"
    assert diverged["reason"].startswith("non-finite loss or weights at epoch ")
    assert "layer" in diverged["reason"] and diverged["epochs_run"] < FIXED["epochs"]
    assert math.isfinite(diverged["test_accuracy"])  # measured on the last finite weights
    assert failed["status"] == "error" and failed["reason"] == "RuntimeError: boom in two lines"
    assert math.isnan(failed["test_accuracy"]) and failed["history"] == "[]"
    assert fine["status"] == "ok" and fine["reason"] == ""
    assert comparable(read_table(tmp_path)) == comparable(rows.values())


def test_diagnostics_columns_show_vanishing_gradients():
    """A deep sigmoid net with N(0, 1) weights: the lecture's vanishing gradients."""
    cell = Sweep(fixed={**FIXED, "activation": "sigmoid", "init": "normal", "depth": 6,
                        "width": 16, "lr": 0.05}).cells()[0]
    row = sweep.run_cell(cell)
    assert row["status"] == "ok" and row["worst_verdict"] == "vanishing"
    assert row["worst_layer"] == 1 and row["verdicts"].startswith("vanishing,")
    assert row["grad_ratio"] < diagnostics.VANISHING_RATIO


def test_a_cell_does_not_depend_on_the_callers_floating_point_state(tiny):
    cell = next(c for c in tiny.cells() if c["activation"] == "identity" and c["lr"] > 1)
    with np.errstate(all="raise"):
        strict = sweep.run_cell(cell)
    with np.errstate(all="ignore"):
        lax = sweep.run_cell(cell)
    assert strict["status"] == "diverged" and comparable([strict]) == comparable([lax])


def test_run_rejects_bad_arguments(tiny, tmp_path):
    with pytest.raises(ValueError, match="jobs must be a positive integer or -1"):
        run(tiny, tmp_path, jobs=0)
    with pytest.raises(TypeError, match="sweep must be a Sweep"):
        run(tiny.to_dict(), tmp_path)


# -- the summary ----------------------------------------------------------------------


def test_summary_groups_seeds_and_ranks_by_mean_accuracy(tmp_path):
    grid = Sweep({"activation": ["tanh", "identity"], "seed": [0, 1]},
                 {**FIXED, "depth": 2, "lr": 0.05})
    rows = run(grid, tmp_path, jobs=1, progress=False)
    best = sweep.summarize(rows)
    assert len(best) == 2 and all(e["n"] == e["n_ok"] == 2 for e in best)
    assert "seed" not in best[0]
    for e in best:
        accs = [r["test_accuracy"] for r in rows if r["activation"] == e["activation"]]
        assert e["test_accuracy_mean"] == pytest.approx(np.mean(accs))
        assert e["test_accuracy_std"] == pytest.approx(np.std(accs))
    assert best[0]["test_accuracy_mean"] >= best[1]["test_accuracy_mean"]
    with open(tmp_path / "summary.csv", newline="") as f:
        written = list(csv.DictReader(f))
    assert [w["activation"] for w in written] == [e["activation"] for e in best]


def test_accuracy_grid_has_one_panel_per_depth(two_jobs):
    grid = sweep.accuracy_grid(two_jobs[1])
    assert sorted(grid) == [("iris", 1), ("iris", 3)]
    panel = grid[("iris", 1)]
    assert panel["activations"] == ["relu", "tanh", "identity"]
    assert panel["inits"] == ["he_normal", "glorot_uniform"]
    assert panel["values"].shape == (3, 2)
    best_relu_he = max(r["test_accuracy"] for r in two_jobs[1]
                       if (r["activation"], r["init"], r["depth"], r["status"])
                       == ("relu", "he_normal", 1, "ok"))
    assert panel["values"][0, 0] == pytest.approx(best_relu_he)


# -- the command line -----------------------------------------------------------------


def test_cli_runs_a_sweep_from_a_file_with_overrides(tmp_path, capsys):
    config = tmp_path / "sweep.toml"
    config.write_text('[grid]\nactivation = ["relu", "tanh"]\ndepth = [1, 2]\n'
                      '[fixed]\ndataset = "circles"\nwidth = 8\nepochs = 3\n')
    out = tmp_path / "out"
    argv = ["sweep", str(config), "--depth", "1", "--lr", "0.01,0.1", "--out", str(out),
            "--jobs", "1", "--quiet"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "sweep of 4 cells" in printed and "best configurations" in printed
    rows = read_table(out)
    assert {(r["activation"], r["depth"], r["lr"]) for r in rows} == {
        (a, 1, lr) for a in ("relu", "tanh") for lr in (0.01, 0.1)}
    assert all(r["dataset"] == "circles" for r in rows)
    assert main(argv) == 0 and len(read_table(out)) == 4  # resumed: nothing to do


@pytest.mark.parametrize(("argv", "message"), [
    (["--activation", "relu,rleu"], "--activation: unknown activation 'rleu'. Did you mean "
                                    "'relu'?"),
    (["--depth", "two"], "--depth takes comma-separated int values, got 'two'"),
    (["--optimizer", "sdg"], "Did you mean 'sgd'?"),
    (["--data", "digit"], "Did you mean 'digits'?"),
    (["--jobs", "0"], "jobs must be a positive integer or -1"),
])
def test_cli_errors_teach(tmp_path, capsys, argv, message):
    assert main(["sweep", *argv, "--out", str(tmp_path), "--quiet"]) == 2
    assert message in capsys.readouterr().err
