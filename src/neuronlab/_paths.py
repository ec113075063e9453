"""Checks of input and output locations, made before the work that needs them.

A training run, a sweep or a study that can only fail when it writes its result
should fail before it starts: these checks refuse a missing folder, a folder where a
file is expected (and the reverse), and a folder this process cannot write into, with
a ``ValueError`` that names the path and says what to do.  A folder is tested by
creating (and removing) a temporary file in it, which also catches read-only file
systems and ACLs that permission bits do not show.

Examples
--------
>>> import tempfile
>>> work = Path(tempfile.mkdtemp())
>>> output_dir(work / "new" / "report", "--out") == work / "new" / "report"
True
>>> output_file(work / "missing" / "model.safetensors", "--out")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: --out .../missing/model.safetensors: the folder .../missing does not exist; ...
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def _writable(folder: Path, what: str, path: object) -> None:
    """Refuse a folder in which no file can be created."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ValueError(f"{what} {path}: cannot write into {folder} "
                         f"({exc.strerror or exc})") from None


def output_file(path: str | os.PathLike[str], what: str) -> Path:
    """Check that a file can be written (or atomically replaced) at ``path``.

    Its folder must exist and be writable, and ``path`` must not be a folder.
    ``what`` names the path in the message (an option such as ``"--out"``).
    """
    file = Path(path)
    if file.is_dir():
        raise ValueError(f"{what} {path} is a folder; give a file name inside it, such as "
                         f"{file / 'model.safetensors'}")
    folder = file.parent
    if not folder.exists():
        raise ValueError(f"{what} {path}: the folder {folder} does not exist; create it "
                         f"first (mkdir -p {folder})")
    if not folder.is_dir():
        raise ValueError(f"{what} {path}: {folder} is a file, not a folder")
    _writable(folder, what, path)
    return file


def output_dir(path: str | os.PathLike[str], what: str, files: Iterable[str] = ()) -> Path:
    """Check that ``path`` is (or can be created as) a writable folder.

    ``files`` are names the work will write inside it: none of them may be a folder.
    Nothing is created here.
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{what} {path} is a file; it must be a folder (give a new name, "
                         f"or move the file away)")
    existing = next(p for p in (folder, *folder.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise ValueError(f"{what} {path}: {existing} is a file, so the folder cannot be "
                         f"created under it")
    _writable(existing, what, path)
    for name in files:
        if (folder / name).is_dir():
            raise ValueError(f"{what} {path}: {folder / name} is a folder, but a file of that "
                             f"name is written there; move it away")
    return folder


def input_file(path: str | os.PathLike[str], what: str) -> Path:
    """Check that ``path`` is a file this process can read."""
    file = Path(path)
    if not file.exists():
        raise ValueError(f"{what} {path} does not exist")
    if file.is_dir():
        raise ValueError(f"{what} {path} is a folder, not a file")
    try:
        with open(file, "rb"):
            pass
    except OSError as exc:
        raise ValueError(f"{what} {path} cannot be read ({exc.strerror or exc})") from None
    return file
