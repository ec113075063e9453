"""Writing files and folders atomically: a reader (or the next run, after a crash or a
Ctrl-C) finds the old version or the new one, never half of one or a mix of two.

A file is written to a fresh temporary file in the same folder, flushed to disk, and
renamed over the target (``os.replace`` is atomic on POSIX and Windows).  A symlink stays
a symlink: the file it points to is replaced.  An existing file keeps its permission
bits; a new file gets the usual ones (``0o666`` minus the umask).  A folder is built
beside the target under a temporary name and swapped in when complete.

Examples
--------
>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_text(folder / "notes.txt", "first").read_text()
'first'
>>> with atomic_open(folder / "notes.txt", binary=False) as f:
...     _ = f.write("second")
>>> (folder / "notes.txt").read_text()
'second'
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import stat
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_open", "replace_folder", "write_bytes", "write_text"]


def _target(path: str | os.PathLike[str]) -> Path:
    """The file actually written for ``path``: a symlink's target (followed to the end,
    dangling or not), else ``path`` itself, as an absolute path."""
    return Path(os.path.realpath(os.fspath(path)))


def _sibling(target: Path, suffix: str) -> Path:
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}.{suffix}")


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; a no-op where folders cannot be opened)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], binary: bool = True) -> Iterator[IO[Any]]:
    """A file object whose contents replace ``path`` when the block ends without error.

    Parameters
    ----------
    path : str or path-like
        The file to replace or create (its folder must exist).  A symlink is followed:
        the file it points to is replaced and the link is kept.
    binary : bool, default True
        Bytes (``"wb"``), or text (UTF-8, newlines written as given).

    On any exception, KeyboardInterrupt included, the temporary file is removed and
    whatever was at ``path`` is left as it was.  An existing file keeps its permission
    bits (``chmod``); a new one gets ``0o666`` minus the umask, like ``open``.
    """
    target = _target(path)
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = _sibling(target, "tmp")
        try:
            fd = os.open(tmp, flags, 0o666)  # the umask applies, as for a plain open()
            break
        except FileExistsError:  # pragma: no cover - 48 random bits collided
            continue
    try:
        with (os.fdopen(fd, "wb") if binary else
              os.fdopen(fd, "w", encoding="utf-8", newline="")) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_folder(target.parent)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (:func:`atomic_open`), creating its folder.
    Returns ``path``."""
    path = Path(path)
    _target(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path) as f:
        f.write(data)
    return path


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; see :func:`write_bytes`."""
    return write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def replace_folder(path: str | os.PathLike[str], owned: Collection[str]) -> Iterator[Path]:
    """A new, empty folder that replaces the folder ``path`` when the block ends without
    error; on an error (KeyboardInterrupt included) it is removed and ``path`` is left
    as it was.

    The new folder is built beside ``path`` and swapped in by two renames (old aside,
    new in), then the old one is deleted: at every moment ``path`` is the complete old
    folder, the complete new one, or (between the renames) absent, never a mix of two
    runs.  A symlink to a folder is followed and kept.

    Parameters
    ----------
    path : str or path-like
        The folder to replace or create.
    owned : collection of str
        The names the writer puts in the folder.  An existing folder holding anything
        else is refused (ValueError) rather than deleted: it is not this writer's.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report"
    >>> with replace_folder(out, owned={"a.txt"}) as new:
    ...     _ = write_text(new / "a.txt", "done")
    >>> sorted(p.name for p in out.iterdir())
    ['a.txt']
    """
    target = _target(path)
    if target.exists():
        if not target.is_dir():
            raise ValueError(f"{os.fspath(path)!r} is a file, not a folder: choose a folder "
                             f"for the output")
        foreign = sorted(p.name for p in target.iterdir() if p.name not in owned)
        if foreign:
            raise ValueError(
                f"the folder {os.fspath(path)!r} holds files this output does not write "
                f"({', '.join(foreign[:5])}{', ...' if len(foreign) > 5 else ''}); the "
                f"whole folder is replaced, so choose a new or empty folder (or a previous "
                f"output folder)")
    target.parent.mkdir(parents=True, exist_ok=True)
    new = _sibling(target, "new")
    new.mkdir()
    try:
        yield new
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    old = _sibling(target, "old")
    try:
        if target.exists():
            os.replace(target, old)
        os.replace(new, target)
    except BaseException:
        if old.exists() and not target.exists():
            os.replace(old, target)  # put the old folder back
        shutil.rmtree(new, ignore_errors=True)
        raise
    _sync_folder(target.parent)
    shutil.rmtree(old, ignore_errors=True)
