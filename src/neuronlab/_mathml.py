"""MathML from a small structure: the lectures' formulas as a browser typesets them.

MathML Core is native in current browsers (no script, no font download, works offline),
so the report shows ``δ = g′(z) ⊙ e`` as a student would write it.  A formula is built
from nested calls; a plain string or number becomes an identifier, a number or an
operator:

``"x"``, ``"δ"``      an identifier ``<mi>``
``2``, ``"0.25"``     a number ``<mn>``
``"+"``, ``"="``      an operator ``<mo>`` (any string in ``OPERATORS``)
markup              anything else starting with ``<`` is kept as it is

Examples
--------
>>> row("a", "=", frac(1, row(1, "+", sup("e", row("−", "z")))))
'<mrow><mi>a</mi><mo>=</mo><mfrac><mn>1</mn><mrow><mn>1</mn><mo>+</mo><msup><mi>e</mi><mrow><mo>−</mo><mi>z</mi></mrow></msup></mrow></mfrac></mrow>'
>>> math(sub("z", 1), block=False)
'<math><msub><mi>z</mi><mn>1</mn></msub></math>'
"""

from __future__ import annotations

from html import escape

Item = str | int | float

OPERATORS = frozenset("+ − - = ≈ ≠ < > ≤ ≥ ⊙ · × ÷ / ( ) [ ] { } | ‖ , ; ← → ⇒ ∑ ∂ ∇ Δ ′ "
                      "∈ ⊤ ∝ ∼ !".split())
"""Strings shown as operators."""


def atom(item: Item) -> str:
    """One item as MathML: markup kept, numbers as ``<mn>``, operators as ``<mo>``,
    words in upright ``<mi mathvariant="normal">``, single letters as ``<mi>``."""
    if isinstance(item, bool) or not isinstance(item, str | int | float):
        raise TypeError(f"a formula item must be a string or a number, got {item!r}")
    if isinstance(item, int | float):
        return f"<mn>{item:g}</mn>" if isinstance(item, float) else f"<mn>{item}</mn>"
    if not item:
        raise ValueError("a formula item must not be empty")
    if item in OPERATORS:  # before markup: "<" alone is the operator
        return f"<mo>{escape(item)}</mo>"
    if item.startswith("<"):
        return item
    if item.replace(".", "", 1).isdigit():
        return f"<mn>{item}</mn>"
    if len(item) > 1 and item.isalpha():
        return f'<mi mathvariant="normal">{escape(item)}</mi>'
    return f"<mi>{escape(item)}</mi>"


def row(*items: Item) -> str:
    """Items side by side (``<mrow>``)."""
    return "<mrow>" + "".join(atom(i) for i in items) + "</mrow>"


def frac(numerator: Item, denominator: Item) -> str:
    """numerator over denominator."""
    return f"<mfrac>{atom(numerator)}{atom(denominator)}</mfrac>"


def sub(base: Item, index: Item) -> str:
    """base with a subscript."""
    return f"<msub>{atom(base)}{atom(index)}</msub>"


def sup(base: Item, power: Item) -> str:
    """base with a superscript."""
    return f"<msup>{atom(base)}{atom(power)}</msup>"


def subsup(base: Item, index: Item, power: Item) -> str:
    """base with a subscript and a superscript."""
    return f"<msubsup>{atom(base)}{atom(index)}{atom(power)}</msubsup>"


def sqrt(*items: Item) -> str:
    """The square root of the items."""
    return "<msqrt>" + "".join(atom(i) for i in items) + "</msqrt>"


def under(base: Item, below: Item) -> str:
    """base with something under it (a sum's index)."""
    return f"<munder>{atom(base)}{atom(below)}</munder>"


def text(words: str) -> str:
    """Words inside a formula."""
    return f"<mtext>{escape(words)}</mtext>"


def partial(top: Item, bottom: Item) -> str:
    """∂top / ∂bottom."""
    return frac(row("∂", top), row("∂", bottom))


def math(*items: Item, block: bool = True) -> str:
    """A whole formula: ``<math display="block">`` (or inline)."""
    display = ' display="block"' if block else ""
    body = "".join(atom(i) for i in items)
    return f"<math{display}>{body}</math>"
