"""The command line as a careless user and an attacker meet it (issue 12, causes 3, 9-11):
hostile strings shown and never obeyed, locations checked before the work, clear errors
and exit codes, one sweep per folder, no orphan workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from neuronlab import MLP, io, sweep
from neuronlab.cli import EXIT_DIVERGED, EXIT_INTERRUPTED, EXIT_USAGE, main
from neuronlab.train import fit

TRAIN = ["train", "--data", "iris", "--hidden", "8", "--epochs", "3", "--quiet"]
SWEEP = ["sweep", "--data", "iris", "--depth", "1", "--width", "4", "--epochs", "1",
         "--jobs", "1", "--quiet"]
HOSTILE = "\x1b[2J\x1b[H[bold green]all layers healthy[/]"  # clears the screen, then lies


# -- cause 3: strings from files and users are shown, never obeyed ---------------------


def test_diagnose_shows_a_hostile_formula_label_instead_of_obeying_it(tmp_path, capsys):
    path = tmp_path / "evil.safetensors"
    io.save(MLP([4, 8, 3], activation="x * tanh(x)", label=HOSTILE, seed=0), path)
    assert main(["diagnose", str(path), "--data", "iris"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out  # no escape reaches the terminal ...
    assert "\\x1b[2J" in out  # ... it is shown as text
    assert "[bold green]all" in out  # the markup is printed, not interpreted


def test_a_sweep_summary_escapes_what_its_results_table_holds(tmp_path, capsys):
    out = tmp_path / "runs"
    assert main([*SWEEP, "--out", str(out)]) == 0
    table = out / "results.csv"
    text = table.read_text(encoding="utf-8")
    table.write_text(text.replace(",healthy,", f",{HOSTILE},"), encoding="utf-8")
    capsys.readouterr()
    assert main([*SWEEP, "--out", str(out)]) == 0  # every cell done: only the summary
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "[bold green]all" in printed


def test_an_error_quoting_user_input_shows_its_control_characters(tmp_path, capsys):
    assert main(["sweep", str(tmp_path / "\x1b[2Jsweep.toml")]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[2Jsweep.toml" in err


# -- cause 9: every location is checked before the work starts -------------------------


def _no_work(monkeypatch):
    """Make every long piece of work fail loudly: the check must come first."""
    def work(*args, **kwargs):
        raise AssertionError("the work started before its location was checked")

    monkeypatch.setattr("neuronlab.train.fit", work)
    monkeypatch.setattr("neuronlab.studies.run", work)
    monkeypatch.setattr("neuronlab.studies.signal.activation_card", work)
    monkeypatch.setattr("neuronlab.sweep._run", work)


@pytest.mark.parametrize("make, command, named", [
    (lambda d: None, [*TRAIN, "--out", "{d}/missing/x.safetensors"], "{d}/missing"),
    (lambda d: None, [*TRAIN, "--out", "{d}"], "{d} is a folder"),
    (lambda d: (d / "f").write_text("x"), ["study", "--quick", "--out", "{d}/f"],
     "{d}/f is a file"),
    (lambda d: (d / "f").write_text("x"), ["activation", "tanh", "--out", "{d}/f"],
     "{d}/f is a file"),
    (lambda d: (d / "f").write_text("x"), [*SWEEP, "--out", "{d}/f"], "{d}/f is a file"),
    (lambda d: (d / "s" / "results.csv").mkdir(parents=True), [*SWEEP, "--out", "{d}/s"],
     "{d}/s/results.csv is a folder"),
    (lambda d: None, ["sweep", "{d}/sweep.toml"], "{d}/sweep.toml does not exist"),
    (lambda d: None, ["diagnose", "{d}/model.safetensors", "--data", "iris"],
     "{d}/model.safetensors does not exist"),
])
def test_a_bad_location_is_refused_before_the_work(tmp_path, monkeypatch, capsys, make,
                                                     command, named):
    _no_work(monkeypatch)
    make(tmp_path)
    assert main([part.format(d=tmp_path) for part in command]) == EXIT_USAGE
    assert named.format(d=tmp_path) in capsys.readouterr().err


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc, a folder "
                    "no one can write into (permission bits do not stop root)")
def test_an_unwritable_folder_is_refused_before_training(monkeypatch, capsys):
    _no_work(monkeypatch)
    assert main([*TRAIN, "--out", "/proc/self/x.safetensors"]) == EXIT_USAGE
    assert "cannot write into /proc/self" in capsys.readouterr().err


# -- cause 10: clear errors and honest exit codes --------------------------------------


@pytest.mark.parametrize("argv, message", [
    (["--hidden", "100000000000"], "more than this machine's"),
    (["--seed", "-1"], r"seed must be an integer in [0, 4294967295], got -1"),
    (["--hidden", "8,x"], "--hidden must be comma-separated integers"),
])
def test_train_explains_bad_settings(argv, message, capsys):
    assert main([*TRAIN, *argv]) == EXIT_USAGE
    assert message in capsys.readouterr().err


def test_an_activation_without_a_gain_is_refused_before_its_runs(tmp_path, capsys):
    assert main(["activation", "x + b", "--param", "b=1e308",
                 "--out", str(tmp_path)]) == EXIT_USAGE
    assert "no finite gain" in capsys.readouterr().err
    assert not (tmp_path / "report.html").exists()


def test_a_results_table_that_is_not_utf8_is_named(tmp_path, capsys):
    (tmp_path / "results.csv").write_bytes(b"cell_id,\xff\xfe\n")
    assert main([*SWEEP, "--out", str(tmp_path)]) == EXIT_USAGE
    assert f"{tmp_path / 'results.csv'} is not UTF-8" in capsys.readouterr().err


@pytest.mark.parametrize("build, error, message", [
    (lambda: MLP([3, 4, 2], seed=-1), ValueError, r"seed must be an integer in \[0, "),
    (lambda: MLP([3, True, 2]), TypeError, "sizes.1. must be an integer, got bool"),
    (lambda: fit(MLP([3, 2]), np.zeros((4, 3)), [0, 1, 0, 1], epochs=True),
     TypeError, "epochs must be an integer, got bool"),
    (lambda: fit(MLP([3, 2]), np.zeros((2, 3)), np.array([0, 1e30])), ValueError,
     r"label 1e\+30 that the model never saw"),
    (lambda: fit(MLP([3, 2]), np.zeros((2, 3)), np.array([0, 2**64 - 1], np.uint64)),
     ValueError, "label 18446744073709551615 that"),
])
def test_library_settings_are_validated_as_what_they_are(build, error, message):
    with pytest.raises(error, match=message):
        build()


def _interrupt_at_step(monkeypatch, n):
    """Ctrl-C during the n-th training step (iris here: 4 steps per epoch)."""
    from neuronlab.train import Trainer

    step, calls = Trainer.step, []

    def interrupted(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt
        return step(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "step", interrupted)


def test_train_interrupted_in_its_first_epoch_saves_nothing_and_says_so(tmp_path,
                                                                         monkeypatch, capsys):
    out = tmp_path / "m.safetensors"
    _interrupt_at_step(monkeypatch, 2)
    assert main([*TRAIN, "--out", str(out)]) == EXIT_INTERRUPTED
    assert not out.exists()
    assert "--save-untrained" in capsys.readouterr().out
    _interrupt_at_step(monkeypatch, 2)
    assert main([*TRAIN, "--out", str(out), "--save-untrained"]) == EXIT_INTERRUPTED
    assert io.read_metadata(out)["stop_reason"] == "interrupted"


def test_train_interrupted_later_saves_the_best_weights_with_a_nonzero_exit(tmp_path,
                                                                             monkeypatch):
    out = tmp_path / "m.safetensors"
    _interrupt_at_step(monkeypatch, 10)  # in the third epoch
    assert main([*TRAIN, "--out", str(out)]) == EXIT_INTERRUPTED
    metadata = io.read_metadata(out)
    assert metadata["stop_reason"] == "interrupted" and len(metadata["history"]) == 2


def test_train_diverging_at_once_exits_nonzero_and_saves_no_untrained_model(tmp_path,
                                                                              capsys):
    out = tmp_path / "m.safetensors"
    assert main([*TRAIN, "--optimizer", "sgd", "--lr", "1e30", "--out", str(out)]) \
        == EXIT_DIVERGED
    assert not out.exists()
    assert "diverged" in capsys.readouterr().out


# -- cause 11: concurrent and killed sweeps --------------------------------------------


def _start(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)


def test_a_second_sweep_on_the_same_folder_is_refused_until_the_first_is_gone(tmp_path,
                                                                               capsys):
    holder = _start(f"import pathlib, time\nfrom neuronlab import sweep\n"
                    f"with sweep._lock(pathlib.Path({str(tmp_path)!r})):\n"
                    f"    print('locked', flush=True)\n    time.sleep(600)\n")
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert main([*SWEEP, "--out", str(tmp_path)]) == EXIT_USAGE
        err = capsys.readouterr().err
        assert f"another sweep (process {holder.pid}) is running into {tmp_path}" in err
        assert not (tmp_path / "results.csv").exists()  # the second sweep ran nothing
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        holder.stdout.close()
    # killed without a chance to clean up: its lock must not block the next sweep
    assert main([*SWEEP, "--out", str(tmp_path)]) == 0
    assert len(sweep.read_table(tmp_path)) == 1


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            pass
    return found


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads Linux's /proc")
def test_killing_a_parallel_sweep_leaves_no_workers_behind(tmp_path):
    # three workers for two cells that would each train for hours: one worker stays idle
    command = [*SWEEP, "--jobs", "3", "--seed", "0,1", "--epochs", "1000000",
               "--out", str(tmp_path)]
    sweep_process = subprocess.Popen([sys.executable, "-m", "neuronlab.cli", *command],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    try:
        # wait until two workers are training (started up and past their imports)
        deadline = time.monotonic() + 300
        while len([w for w in workers if _cpu_seconds(w) > 2.0]) < 2:
            assert time.monotonic() < deadline, "the sweep's workers never started"
            assert sweep_process.poll() is None, "the sweep ended early"
            time.sleep(0.2)
            workers |= _children(sweep_process.pid)
        sweep_process.send_signal(signal.SIGKILL)
        sweep_process.wait()
        # a worker checks for its parent every PARENT_POLL = 0.5 s; without the check
        # they would train on for hours: a minute separates the two on any machine
        deadline = time.monotonic() + 60
        while any(_running(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [w for w in workers if _running(w)]
    finally:
        for w in workers:
            if _running(w):
                os.kill(w, signal.SIGKILL)


# -- neighbours: the same holes elsewhere ----------------------------------------------


def test_a_checkpoint_path_is_checked_when_the_callback_is_made(tmp_path):
    from neuronlab.train import Checkpoint

    with pytest.raises(ValueError, match="the folder .*missing does not exist"):
        Checkpoint(str(tmp_path / "missing" / "best.safetensors"))


def test_a_sweep_seed_out_of_the_split_range_is_refused_before_any_cell(tmp_path, capsys):
    assert main([*SWEEP, "--seed", str(2**32), "--out", str(tmp_path)]) == EXIT_USAGE
    assert "--seed must be an integer in [0, 4294967295]" in capsys.readouterr().err
    assert not (tmp_path / "results.csv").exists()


def test_a_sweep_file_that_is_not_utf8_is_named(tmp_path, capsys):
    config = tmp_path / "sweep.toml"
    config.write_bytes(b'[fixed]\ndataset = "\xff"\n')
    assert main(["sweep", str(config), "--out", str(tmp_path / "out")]) == EXIT_USAGE
    assert f"{config} is not valid TOML" in capsys.readouterr().err


def test_report_rerendering_shows_control_characters_in_its_errors(tmp_path, capsys):
    from neuronlab.report.__main__ import main as report_main

    assert report_main([str(tmp_path / "\x1b[2Jresults.json")]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[2Jresults.json" in err
