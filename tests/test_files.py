"""Atomic writes (neuronlab._files), the one helper io, sweep, diagnostics and the report
write through: a symlink stays a symlink, permissions are kept, an interrupted write
changes nothing, and a folder is swapped in whole."""

from __future__ import annotations

import os
import stat

import pytest

from neuronlab import _files, io
from neuronlab.network import MLP

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX symlinks and modes")


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@posix_only
def test_a_symlink_stays_a_symlink_and_its_target_is_replaced(tmp_path):
    target = tmp_path / "real" / "data.txt"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    _files.write_text(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["data.txt"]  # no temp left


@posix_only
def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "later.txt")
    _files.write_text(link, "made")
    assert link.is_symlink() and (tmp_path / "later.txt").read_text() == "made"


@posix_only
def test_an_existing_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "private.txt"
    path.write_text("old")
    path.chmod(0o600)
    _files.write_text(path, "new")
    assert _mode(path) == 0o600
    path.chmod(0o754)
    with _files.atomic_open(path, binary=False) as f:
        f.write("newer")
    assert _mode(path) == 0o754 and path.read_text() == "newer"


@posix_only
def test_a_new_file_gets_the_umask_mode(tmp_path):
    old = os.umask(0o027)
    try:
        _files.write_bytes(tmp_path / "fresh.bin", b"x")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "fresh.bin") == 0o640  # 0o666 minus the umask, like open()


def test_an_interrupted_write_changes_nothing(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("old")
    with pytest.raises(KeyboardInterrupt), _files.atomic_open(path, binary=False) as f:
        f.write("half of the new")
        raise KeyboardInterrupt
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


@posix_only
def test_saving_a_model_through_a_symlink_keeps_the_link_and_the_mode(tmp_path):
    # issue 12 item 11: an atomic save used to replace a symlink by a file and reset its mode
    net = MLP([3, 4, 2], seed=0)
    target = tmp_path / "models" / "v1.safetensors"
    target.parent.mkdir()
    io.save(net, target)
    target.chmod(0o640)
    link = tmp_path / "current.safetensors"
    link.symlink_to(target)
    io.save(MLP([3, 4, 2], seed=1), link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert _mode(target) == 0o640
    loaded = io.load(target)
    assert (loaded.parameters()[0].value == MLP([3, 4, 2], seed=1).parameters()[0].value).all()


def test_a_folder_is_swapped_in_whole(tmp_path):
    out = tmp_path / "out"
    with _files.replace_folder(out, owned={"a", "b"}) as new:
        (new / "a").write_text("1")
        (new / "b").write_text("1")
    with pytest.raises(KeyboardInterrupt), _files.replace_folder(out, owned={"a", "b"}) as new:
        (new / "a").write_text("2")
        raise KeyboardInterrupt  # before b is written
    assert {p.name: p.read_text() for p in out.iterdir()} == {"a": "1", "b": "1"}
    with _files.replace_folder(out, owned={"a", "b"}) as new:
        (new / "a").write_text("3")
    assert {p.name: p.read_text() for p in out.iterdir()} == {"a": "3"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # nothing left beside it


@posix_only
def test_a_symlinked_folder_stays_a_symlink(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "a").write_text("old")
    link = tmp_path / "link"
    link.symlink_to(real)
    with _files.replace_folder(link, owned={"a"}) as new:
        (new / "a").write_text("new")
    assert link.is_symlink() and (real / "a").read_text() == "new"


def test_a_folder_that_is_not_the_writers_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="notes.txt"), \
            _files.replace_folder(tmp_path, owned={"a"}):
        pass  # pragma: no cover - refused before the block runs
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="not a folder"), \
            _files.replace_folder(tmp_path / "file", owned={"a"}):
        pass  # pragma: no cover
    assert (tmp_path / "notes.txt").read_text() == "mine"
