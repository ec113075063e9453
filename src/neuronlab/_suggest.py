""""Did you mean ...?": the closest known name to a mistyped one, for error messages.

Every "unknown name" error in the package (activations, losses, initializers,
optimizers, datasets, studies, sweep settings, formula functions) builds its hint
here, so the hints agree on what counts as close (:func:`difflib.get_close_matches`,
cutoff 0.6).

Examples
--------
>>> did_you_mean("rleu", ["relu", "tanh"])
" Did you mean 'relu'?"
>>> did_you_mean("zzz", ["relu", "tanh"])
''
>>> did_you_mean("logistc", ["sigmoid", "logistic"], canonical={"logistic": "sigmoid"})
" Did you mean 'sigmoid'?"
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

__all__ = ["closest", "did_you_mean"]


def closest(word: object, known: Iterable[str]) -> str | None:
    """The known name closest to ``word`` (compared as text), or None if none is close."""
    matches = difflib.get_close_matches(str(word), list(known), n=1)
    return matches[0] if matches else None


def did_you_mean(word: object, known: Iterable[str],
                 canonical: Mapping[str, str] | None = None) -> str:
    """``" Did you mean 'name'?"`` for the known name closest to ``word``, else ``""``:
    a sentence to append to an error message.

    ``canonical`` maps aliases among ``known`` to the name to suggest instead.
    """
    match = closest(word, known)
    if match is None:
        return ""
    return f" Did you mean {(canonical or {}).get(match, match)!r}?"
