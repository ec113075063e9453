"""Progress display: one bar per named task (each study, the report), drawn with rich.

The library reports progress through plain callbacks (``on_plan(counts)``, then
``progress(name, done, total)`` after each step); :class:`Bars` is the display the
command line and ``python -m neuronlab.studies.<name>`` plug into them, so neither
draws bars of its own.

Examples
--------
>>> with Bars(enabled=False) as bars:
...     bars.plan({"atlas": 3})
...     bars.progress("atlas", 1, 3)
...     bars.completed("atlas")
1
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

__all__ = ["Bars"]


class Bars:
    """Progress bars (name, bar, done/total, elapsed) for named tasks.

    Parameters
    ----------
    enabled : bool, default True
        False draws nothing (``--quiet``) but still counts.
    console : rich.console.Console, optional
        Where to draw (default: a new console on the terminal).

    Use as a context manager; :meth:`plan` and :meth:`progress` have the signatures of
    the ``on_plan`` and ``progress`` callbacks of :func:`neuronlab.studies.run`.
    """

    def __init__(self, enabled: bool = True, console: Any = None) -> None:
        from rich import progress as rp

        self._done: dict[str, int] = {}
        self._tasks: dict[str, Any] = {}
        self._bars = rp.Progress(rp.TextColumn("{task.description:<20}"), rp.BarColumn(),
                                 rp.MofNCompleteColumn(), rp.TimeElapsedColumn(),
                                 console=console, disable=not enabled)

    def __enter__(self) -> Bars:
        self._bars.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._bars.stop()

    def plan(self, counts: dict[str, int]) -> None:
        """Add one bar per task: ``{name: number of steps}``."""
        for name, total in counts.items():
            self._tasks[name] = self._bars.add_task(name, total=total)
            self._done[name] = 0

    def progress(self, name: str, done: int, total: int) -> None:
        """Task ``name`` has finished ``done`` of its ``total`` steps."""
        if name not in self._tasks:
            self.plan({name: total})
        self._done[name] = done
        self._bars.update(self._tasks[name], completed=done, total=total)

    def completed(self, name: str) -> int:
        """Steps of task ``name`` reported done so far."""
        return self._done[name]
