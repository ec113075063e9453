r"""MathML from a small structure: the lectures' formulas as a browser typesets them.

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

The same formula as TeX, for Markdown readers that render ``$$ … $$`` math (GitHub,
GitLab, VS Code, Jupyter, pandoc), comes from the MathML itself (:func:`to_tex`), so the
HTML and Markdown reports show one formula written once:

>>> print(to_tex(math(row("δ", "=", "g", "′", "(", "z", ")", "⊙", "e"))))
\delta=g'(z)\odot e
"""

from __future__ import annotations

import re
from html import escape
from xml.etree import ElementTree

Item = str | int | float

TEX_OPERATORS = {
    "+": "+", "−": "-", "-": "-", "=": "=", "≈": r"\approx", "≠": r"\neq", "<": "<",
    ">": ">", "≤": r"\le", "≥": r"\ge", "⊙": r"\odot", "·": r"\cdot", "×": r"\times",
    "÷": r"\div", "/": "/", "(": "(", ")": ")", "[": "[", "]": "]", "{": r"\{", "}": r"\}",
    "|": "|", "‖": r"\|", ",": ",", ";": ";", "←": r"\leftarrow", "→": r"\to",
    "⇒": r"\Rightarrow", "∑": r"\sum", "∂": r"\partial", "∇": r"\nabla", "Δ": r"\Delta",
    "′": "'", "∈": r"\in", "⊤": r"\top", "∝": r"\propto", "∼": r"\sim", "!": "!"}
"""Strings shown as operators, each with its TeX spelling."""

OPERATORS = frozenset(TEX_OPERATORS)
"""Strings shown as operators."""

TEX_GREEK = dict(zip(
    "αβγδεζηθικλμνξπρστυφχψωΓΘΛΞΠΣΥΦΨΩ",
    (r"\alpha \beta \gamma \delta \varepsilon \zeta \eta \theta \iota \kappa \lambda \mu "
     r"\nu \xi \pi \rho \sigma \tau \upsilon \varphi \chi \psi \omega \Gamma \Theta "
     r"\Lambda \Xi \Pi \Sigma \Upsilon \Phi \Psi \Omega").split(), strict=True))
"""Greek identifiers and their TeX commands (φ, U+03C6, is TeX's ``\\varphi``; Δ is an
operator, in :data:`TEX_OPERATORS`)."""


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


# ----------------------------------------------------------------------------- TeX


_TEX_SPECIAL = {c: "\\" + c for c in "#$%&_{}"} | {"~": r"\textasciitilde{}",
                                                 "^": r"\textasciicircum{}",
                                                 "\\": r"\textbackslash{}"}


def _tex_text(words: str) -> str:
    return r"\text{" + "".join(_TEX_SPECIAL.get(c, c) for c in words) + "}"


def _tex_identifier(name: str, upright: bool) -> str:
    if name in TEX_GREEK:
        return TEX_GREEK[name]
    if not name.isascii() or not (name.isalnum() or name == "*"):
        return _tex_text(name)  # any other character: TeX's text mode shows it as it is
    return r"\mathrm{" + name + "}" if upright and len(name) > 1 else name


def _tex_join(parts: list[str]) -> str:
    """Pieces side by side, with a space only where a command would run into a letter."""
    out = ""
    for part in parts:
        if re.search(r"\\[A-Za-z]+$", out) and part[:1].isalnum():
            out += " "
        out += part
    return out


def _tex(element: ElementTree.Element) -> str:
    tag, children = element.tag, list(element)
    if tag == "mi":
        return _tex_identifier(element.text or "", element.get("mathvariant") == "normal")
    if tag == "mn":
        return element.text or ""
    if tag == "mo":
        return TEX_OPERATORS.get(element.text or "", None) or _tex_text(element.text or "")
    if tag == "mtext":
        return _tex_text(element.text or "")
    if tag in ("math", "mrow"):
        return _tex_join([_tex(child) for child in children])
    if tag == "msqrt":
        return r"\sqrt{" + _tex_join([_tex(child) for child in children]) + "}"
    if tag == "mfrac":
        return r"\frac{" + _tex(children[0]) + "}{" + _tex(children[1]) + "}"
    if tag in ("msub", "msup", "msubsup"):
        base = _tex(children[0])
        if children[0].tag not in ("mi", "mn", "mo"):
            base = "{" + base + "}"
        marks = {"msub": "_", "msup": "^", "msubsup": "_^"}[tag]
        return base + "".join(f"{mark}{{{_tex(child)}}}"
                              for mark, child in zip(marks, children[1:], strict=True))
    if tag == "munder":
        base, below = _tex(children[0]), _tex(children[1])
        if children[0].tag == "mo":  # a sum's index goes under it in display style
            return base + "_{" + below + "}"
        return r"\underset{" + below + "}{" + base + "}"
    raise ValueError(f"cannot write the MathML element <{tag}> as TeX: the formulas are "
                     f"built from {', '.join(_BUILT)} (see neuronlab._mathml)")


_BUILT = ("math", "mrow", "mi", "mn", "mo", "mtext", "mfrac", "msub", "msup", "msubsup",
          "msqrt", "munder")


def to_tex(mathml: str) -> str:
    r"""A formula built by this module (its MathML text) as TeX math, without delimiters.

    Markdown readers render it between ``$$`` lines (display) or ``$`` (inline).  Greek
    letters and operators become TeX commands, multi-letter names ``\mathrm``, words
    ``\text``; the output is plain ASCII unless a character has no TeX command here
    (it is then kept inside ``\text{…}``, which TeX renderers show as it is).

    Examples
    --------
    >>> print(to_tex(math(row("a", "=", frac(1, row(1, "+", sup("e", row("−", "z"))))))))
    a=\frac{1}{1+e^{-z}}
    >>> print(to_tex(math(row(sub("w", row("t", "+", 1)), "=",
    ...                       sqrt(frac(2, sub("n", "in")))))))
    w_{t+1}=\sqrt{\frac{2}{n_{\mathrm{in}}}}
    """
    try:
        root = ElementTree.fromstring(mathml)
    except ElementTree.ParseError as exc:
        raise ValueError(f"not a MathML formula ({exc}): {mathml[:60]!r}") from None
    if root.tag != "math":
        raise ValueError(f"a formula must be one <math> element, got <{root.tag}>")
    return _tex(root)
