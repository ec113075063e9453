"""Text for the terminal: strings that come from a file or a user are shown, never obeyed.

A model file's formula label, a results table's cell, a path or a formula typed on the
command line may hold control characters (an ANSI escape that clears the screen, a
carriage return that overwrites a line, a right-to-left override that reverses what
follows) or Rich markup (``[red]``, ``[link=...]``).  Printed raw, they act on the
terminal instead of being read.  :func:`printable` shows every such character as its
escape code, so a hostile string stays visible as what it is; :func:`markup` does the
same and escapes Rich markup, for text that goes through a Rich console or table.

Examples
--------
>>> printable("relu\\x1b[2J")
'relu\\\\x1b[2J'
>>> markup("[red]x[/red]")
'\\\\[red]x\\\\[/red]'
"""

from __future__ import annotations

import unicodedata

_KEPT_IN_MULTILINE = frozenset("\n")


def _shown(char: str) -> str:
    """The escape code of one character, as ``repr`` writes it (``\\x1b``, ``\\u202e``)."""
    return repr(char)[1:-1] if char not in "'\"" else char


def _is_control(char: str) -> bool:
    """Control (Cc), format (Cf: bidirectional overrides, zero-width), surrogate,
    private-use, unassigned characters and the line/paragraph separators."""
    category = unicodedata.category(char)
    return category[0] == "C" or category in ("Zl", "Zp")


def printable(text: object, *, multiline: bool = False) -> str:
    """``str(text)`` with every control character shown as its escape code.

    Parameters
    ----------
    text : anything; ``str()`` is taken.
    multiline : keep newlines (for error messages written over several lines);
        otherwise a newline is shown as ``\\n`` too, so one value stays on one line.

    Examples
    --------
    >>> printable("a\\tb\\r\\u202ec")
    'a\\\\tb\\\\r\\\\u202ec'
    >>> printable("two\\nlines", multiline=True)
    'two\\nlines'
    """
    text = str(text)
    kept = _KEPT_IN_MULTILINE if multiline else frozenset()
    if text.isprintable() and not kept:
        return text
    return "".join(_shown(c) if _is_control(c) and c not in kept else c for c in text)


def markup(text: object) -> str:
    """:func:`printable` text with Rich markup escaped, for a Rich console or table cell.

    Examples
    --------
    >>> from rich.console import Console
    >>> console = Console(width=40, color_system=None)
    >>> console.print(markup("[bold]tanh[/] \\x1b[2J"))
    [bold]tanh[/] \\x1b[2J
    """
    from rich.markup import escape

    return escape(printable(text))
