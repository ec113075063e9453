"""Name -> class registries for the catalogues (activations, losses, initializers, ...).

Every catalogue is looked up by name (``get("leaky_relu", alpha=0.01)``) and listed
(``names()``).  Tests, docs, the CLI and the estimator read the registry; nothing
keeps a second list.
"""

from __future__ import annotations

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
    """

    def __init__(self, kind: str, base: type) -> None:
        self.kind = kind
        self.base = base
        self._classes: dict[str, type[T]] = {}
        self._aliases: dict[str, str] = {}
        self._reader: Callable[..., T] | None = None

    def register(self, name: str, *aliases: str) -> Callable[[type[T]], type[T]]:
        """Class decorator: file the class under ``name`` (and ``aliases``)."""

        def decorate(cls: type[T]) -> type[T]:
            for key in (name, *aliases):
                if key in self._aliases:
                    raise ValueError(f"{self.kind} name {key!r} is already registered")
                self._aliases[key] = name
            self._classes[name] = cls
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
        return self.cls(spec)(**params)

    def _normalise(self, name: str) -> str:
        return name.strip().lower().replace("-", "_").replace(" ", "_")

    def _unknown_message(self, name: str) -> str:
        hint = did_you_mean(self._normalise(name), self._aliases, canonical=self._aliases)
        return f"unknown {self.kind} {name!r}.{hint} Known: {', '.join(self.names())}."
