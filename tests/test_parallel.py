"""The one parallel backend (neuronlab.parallel): studies run on local processes or on a
Dask cluster with the same numbers as in one process."""

from __future__ import annotations

import json

import distributed
import pytest

from neuronlab import parallel
from neuronlab.cli import main
from neuronlab.studies import StudyResult

# two of the cheapest studies in their quick form: a few seconds of runs in all
CHEAP = "self_normalising,zero_centred"


def _square(x: int) -> int:
    return x * x


@pytest.mark.parametrize("jobs", [1, 2])
def test_map_unordered_returns_every_result(jobs):
    assert sorted(parallel.map_unordered(_square, range(7), jobs=jobs)) == \
        [x * x for x in range(7)]


@pytest.mark.parametrize("jobs, error", [(0, ValueError), (-2, ValueError),
                                         (True, TypeError), ("2", TypeError)])
def test_bad_jobs_are_named(jobs, error):
    with pytest.raises(error, match="jobs must be"):
        parallel.check_jobs(jobs)


def _verdicts_and_numbers(folder) -> list[dict]:
    """Each study of a results.json without its wall-clock measurements."""
    doc = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return [StudyResult.from_dict(study).deterministic() for study in doc["studies"]]


def test_studies_on_a_dask_cluster_give_the_same_results_as_one_process(tmp_path):
    common = ["study", "--only", CHEAP, "--quick", "--seed", "1", "--quiet"]
    assert main([*common, "--jobs", "1", "--out", str(tmp_path / "one")]) == 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", protocol="tcp", dashboard_address=":0",
                                  worker_dashboard_address=None) as cluster:
        assert main([*common, "--scheduler", cluster.scheduler_address,
                     "--out", str(tmp_path / "dask")]) == 0
    one, on_dask = (_verdicts_and_numbers(tmp_path / d) for d in ("one", "dask"))
    assert [s["name"] for s in one] == CHEAP.split(",")
    # the same claims with the same verdicts, and every number equal: each run executes
    # with one BLAS thread and its own derived seed wherever it runs
    assert on_dask == one
