"""Name -> class registries for the catalogues (activations, losses, initializers, ...).

Every catalogue is looked up by name (``get("leaky_relu", alpha=0.01)``) and listed
(``names()``).  Tests, docs, the CLI and the estimator read the registry; nothing
keeps a second list.

A name registered as a *template* (the activations' ``"formula"``) is the class of
things the user writes, not one of them: its class has an argument without a default
(the formula's expression), :meth:`Registry.get` refuses the name without it, saying
how to give it, rather than build something nobody chose, and
:meth:`Registry.standalone_names` (the names a user may pick alone: CLI help, sweeps,
the estimator's options) leaves it out.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from neuronlab._suggest import did_you_mean

T = TypeVar("T")


class Registry(Generic[T]):
    """A catalogue of classes of one kind, each under one or more names.

    Examples
    --------
    >>> class Shape: ...
    >>> reg = Registry("shape", Shape)
    >>> @reg.register("square", "box")
    ... class Square(Shape):
    ...     pass
    >>> reg.names()
    ['square']
    >>> type(reg.get("box")).__name__
    'Square'

    A template needs an argument, and says how to give it:

    >>> @reg.register("polygon", template="Give its corners: get('polygon', sides=5).")
    ... class Polygon(Shape):
    ...     def __init__(self, sides: int) -> None:
    ...         self.sides = sides
    >>> reg.standalone_names(), reg.get("polygon", sides=5).sides
    (['square'], 5)
    >>> reg.get("polygon")
    Traceback (most recent call last):
    ...
    ValueError: shape 'polygon' is a template: it needs sides. Give its corners: \
get('polygon', sides=5).
    """

    def __init__(self, kind: str, base: type) -> None:
        self.kind = kind
        self.base = base
        self._classes: dict[str, type[T]] = {}
        self._aliases: dict[str, str] = {}
        self._templates: dict[str, str] = {}  # name -> how to give what it needs
        self._reader: Callable[..., T] | None = None

    def register(self, name: str, *aliases: str,
                 template: str | None = None) -> Callable[[type[T]], type[T]]:
        """Class decorator: file the class under ``name`` (and ``aliases``).

        ``template``: the class is a template, whose ``__init__`` arguments without a
        default are needed; the text says how to give them (shown when they are not).
        """

        def decorate(cls: type[T]) -> type[T]:
            for key in (name, *aliases):
                if key in self._aliases:
                    raise ValueError(f"{self.kind} name {key!r} is already registered")
                self._aliases[key] = name
            self._classes[name] = cls
            if template is not None:
                self._templates[name] = template
            cls.name = name  # type: ignore[attr-defined]
            return cls

        return decorate

    def read_unregistered_with(self, reader: Callable[..., T]) -> None:
        """Let :meth:`get` hand a string that is no registered name to ``reader``.

        ``reader(text, **params)`` returns an instance or raises ValueError.  A module
        that builds on this catalogue's base class installs its reader when imported
        (the activation formulas do), so the catalogue need not import it back.
        """
        self._reader = reader

    def names(self) -> list[str]:
        """Canonical names, in registration order."""
        return list(self._classes)

    def standalone_names(self) -> list[str]:
        """Canonical names that stand for one thing alone, in registration order: every
        name but the templates (:meth:`template_hint`)."""
        return [name for name in self._classes if name not in self._templates]

    def template_hint(self, name: str) -> str | None:
        """How to give what the template ``name`` needs; None for any other name."""
        return self._templates.get(self.cls(name).name)  # type: ignore[attr-defined]

    def __iter__(self) -> Iterator[str]:
        return iter(self._classes)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._normalise(name) in self._aliases

    def cls(self, name: str) -> type[T]:
        """The class registered under ``name`` (or one of its aliases)."""
        if not isinstance(name, str):
            raise TypeError(f"{self.kind} name must be a string, got {type(name).__name__}")
        key = self._normalise(name)
        if key not in self._aliases:
            raise ValueError(self._unknown_message(name))
        return self._classes[self._aliases[key]]

    def get(self, spec: str | T, **params: Any) -> T:
        """An instance from a name (with hyper-parameters) or an existing instance."""
        if isinstance(spec, self.base):
            if params:
                raise TypeError(
                    f"hyper-parameters {sorted(params)} given with an existing {self.kind} "
                    f"instance {spec!r}; pass a name instead"
                )
            return spec  # type: ignore[return-value]
        if not isinstance(spec, str):
            raise TypeError(
                f"{self.kind} must be a name (one of {', '.join(self.names())}) or a "
                f"{self.base.__name__} instance, got {type(spec).__name__}"
            )
        if self._reader is not None and spec not in self:
            return self._reader(spec, **params)
        cls = self.cls(spec)
        hint = self.template_hint(spec)
        if hint is not None:
            missing = [p.name for p in inspect.signature(cls).parameters.values()
                       if p.default is p.empty and p.name not in params
                       and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
            if missing:
                raise ValueError(f"{self.kind} {spec!r} is a template: it needs "
                                 f"{', '.join(missing)}. {hint}")
        return cls(**params)

    def _normalise(self, name: str) -> str:
        return name.strip().lower().replace("-", "_").replace(" ", "_")

    def _unknown_message(self, name: str) -> str:
        hint = did_you_mean(self._normalise(name), self._aliases, canonical=self._aliases)
        return f"unknown {self.kind} {name!r}.{hint} Known: {', '.join(self.names())}."
