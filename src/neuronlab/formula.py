"""Activations from a formula: ``from_formula("x * tanh(log(1 + exp(x)))")``.

A formula is a text in one variable, ``x`` (or ``z``), using numbers, named
parameters, ``+ - * / **`` (``^`` is read as ``**``) and the functions in
:data:`FUNCTIONS`.  It becomes a :class:`Formula` activation, a full registry citizen
(registered as ``"formula"``): it trains, saves and loads (its expression and
parameters are its config), has a derivative, properties and a gain.

Safe by construction
--------------------
The text is never evaluated as Python.  It is parsed by :func:`ast.parse` into a
syntax tree (parsing executes nothing), every node is checked against a small
whitelist (numbers, the variable, declared parameters, ``pi``, ``e``, the four
arithmetic operations and powers, calls of the allowed functions by name), and the
SymPy expression is built from that tree node by node.  Attribute access, imports,
dunder names, lambdas, keyword arguments, strings, comparisons, lists and every
other construct are refused with a :class:`FormulaError` that lists what is allowed.

From formula to NumPy
---------------------
1. SymPy builds the expression; the derivative ``g'`` (and, for each learnable
   parameter ``p``, ``dg/dp``) is derived symbolically.
2. Forms that overflow or cancel are rewritten into stable primitives before the
   derivative is taken, so it inherits them:
   ``log(1 + exp(u))`` -> ``softplus(u)`` (``max(u, 0) + log1p(exp(-|u|))``),
   ``1 / (1 + exp(-u))`` and ``exp(u) / (1 + exp(u))`` -> ``sigmoid(u)`` (split by sign),
   ``log(sigmoid(u))`` -> ``-softplus(-u)``, ``1 - sigmoid(u)`` -> ``sigmoid(-u)``,
   exponential ratios equal to ``tanh`` (``(e^u - e^-u) / (e^u + e^-u)``,
   ``sinh(u) / cosh(u)``, ...) -> ``tanh(u)``, ``exp(u) - 1`` -> ``expm1(u)``,
   ``log(1 + u)`` -> ``log1p(u)``, ``1 + erf(u)`` and ``erfc`` -> ``Phi``, the normal
   CDF computed from a tail-accurate erfc.
3. Both are compiled to a straight-line NumPy program (no ``exec``, no ``lambdify``):
   one step per distinct sub-expression, shared between g, g' and dg/dp.  The
   program runs in float64 (float32 input is computed in float64 and rounded back)
   with floating-point warnings silenced; where it still gives NaN or inf for a finite
   input (an intermediate overflow the rewrites did not catch, or a removable
   singularity such as ``sin(x)/x`` at 0, or 1/x = inf at 1e-310) the entry is
   recomputed exactly at that point (up to 256 distinct points per call; where the
   value is undefined, its limit).  Compiling takes a fraction of a second (cached per
   formula); a forward and backward pass costs a few times that of a hand-written
   built-in.

Bounded work
------------
A formula file is untrusted input, so nothing about a formula may take unbounded time:
the text has at most :data:`MAX_LENGTH` characters and :data:`MAX_NODES` syntax nodes
(so at most about 100 levels of nesting) with :data:`MAX_NESTED_CALLS` functions nested
inside each other; a constant sub-expression must be a real number within ``MAX_NUMBER``; exact
values are computed by mpmath from the SymPy tree (SymPy itself evaluates no number:
``sin(exp(10**30))`` would need 10**30 digits of pi) at no more than
``EXACT_PRECISIONS[-1]`` bits, and no argument beyond ``2**EXACT_MAGNITUDE_BITS``
reaches ``exp``, ``sin`` or ``cos`` (the saturating functions take their limits
there).  What cannot be computed within these bounds is refused with a
:class:`FormulaError` that says where: ``exp(sin(exp(x)))`` cannot be evaluated at
x = 794 (``sin`` of a number beyond 2**1024).

Kinks and their derivatives
---------------------------
``abs``, ``max``, ``min``, ``relu``, ``sign`` and ``heaviside`` make kinks; they are
found by solving their arguments for x and listed in ``kinks``.  At a kink the
derivative is the mean of the one-sided derivatives (SymPy's ``Heaviside(0) = 1/2``):
``max(x, 0)`` has slope 1/2 at 0 and ``abs`` slope 0 - what PyTorch's autograd gives
for ``torch.maximum``, ``torch.minimum`` and ``torch.abs`` written the same way (its
``relu`` kernel uses 0 instead).  Jumps (``sign``, ``heaviside``) have derivative 0
everywhere, as ``torch.sign``.

Properties
----------
A ``Formula``'s declared ``properties`` are its measurements for its initial parameter
values (:func:`neuronlab.probe.measure_properties`: range, bounds, zero-centred,
monotonic, continuous, smooth, saturating and where, largest slope), taken once the
formula is known to be defined and finite on the probe's grid.

Examples
--------
>>> g = from_formula("x * tanh(log(1 + exp(x)))", name="my_mish")
>>> g.stable_expression
'x*tanh(softplus(x))'
>>> round(float(g.forward(np.array(1.0))), 6)
0.865098
>>> g.derivative_text
'x*(1 - tanh(softplus(x))**2)*sigmoid(x) + tanh(softplus(x))'
"""

from __future__ import annotations

import ast
import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from neuronlab._suggest import did_you_mean
from neuronlab._validate import check_real
from neuronlab.activations import (
    INF,
    REGISTRY,
    Activation,
    Properties,
    _erfc,
    stable_sigmoid,
)
from neuronlab.parameter import Parameter
from neuronlab.probe import PROBE_RANGE, measure_properties, probe_grid

__all__ = ["FUNCTIONS", "Formula", "FormulaError", "from_formula", "is_formula"]

#: The functions a formula may call (name -> number of arguments, or None for two or
#: more).  ``ln`` is ``log``; ``relu(u)`` is ``max(u, 0)``; ``sigmoid``, ``softplus`` and
#: ``Phi`` (the standard normal CDF) are stable primitives; ``heaviside(0) = 1/2``.
FUNCTIONS: dict[str, int | None] = {
    "exp": 1, "log": 1, "ln": 1, "log1p": 1, "expm1": 1, "sqrt": 1,
    "sigmoid": 1, "softplus": 1, "tanh": 1, "sinh": 1, "cosh": 1, "sin": 1, "cos": 1,
    "atan": 1, "arctan": 1, "asinh": 1, "arcsinh": 1, "erf": 1, "erfc": 1, "Phi": 1,
    "abs": 1, "sign": 1, "heaviside": 1, "relu": 1, "max": None, "min": None,
}
#: Names of constants a formula may use.
CONSTANTS = ("pi", "e")
#: The variable: ``x`` or ``z`` (one of them per formula).
VARIABLES = ("x", "z")

MAX_LENGTH = 1000   # characters of a formula
MAX_NODES = 200     # syntax-tree nodes (each level of nesting costs at least two)
MAX_NESTED_CALLS = 6  # functions applied to functions: exp(exp(exp(x))) is 3
MAX_NUMBER = 1e300  # |numbers| (literals and constant powers) a formula may hold
REPAIR_LIMIT = 256  # distinct points per call recomputed exactly where NaN appeared

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NAME_LIKE = re.compile(r"^[A-Za-z0-9_.\- ]*$")


class FormulaError(ValueError):
    """A formula that cannot be parsed, is not allowed, or is not a usable activation."""


def _allowed_text() -> str:
    return (f"allowed: numbers, the variable x (or z), declared parameters, constants "
            f"{', '.join(CONSTANTS)}, operators + - * / ** (or ^), parentheses, and the "
            f"functions {', '.join(FUNCTIONS)}")


# ================================================================ SymPy, lazily


@functools.cache
def _kit() -> Any:
    """SymPy and the stable primitives as SymPy functions (imported on first use)."""
    import sympy as sp
    from mpmath.libmp import prec_to_dps

    class _Primitive(sp.Function):
        """A function with a standard form (``standard``) used for exact evaluation."""

        def _eval_is_real(self):
            return self.args[0].is_real

        def _eval_evalf(self, prec):
            return self.standard(self.args[0]).evalf(prec_to_dps(prec))

        def _eval_rewrite_as_exp(self, u, **kwargs):
            return self.standard(u).rewrite(sp.exp)

    class sigmoid(_Primitive):  # noqa: N801 - printed as the lecture writes it
        """sigmoid(u) = 1 / (1 + exp(-u)); sigmoid'(u) = sigmoid(u) sigmoid(-u)."""

        @staticmethod
        def standard(u):
            return 1 / (1 + sp.exp(-u))

        @classmethod
        def eval(cls, u):
            if u.is_zero:
                return sp.Rational(1, 2)
            return None

        def fdiff(self, argindex=1):
            u = self.args[0]
            return sigmoid(u) * sigmoid(-u)

    class softplus(_Primitive):  # noqa: N801
        """softplus(u) = log(1 + exp(u)); softplus'(u) = sigmoid(u)."""

        @staticmethod
        def standard(u):
            return sp.log(1 + sp.exp(u))

        @classmethod
        def eval(cls, u):
            if u.is_zero:
                return sp.log(2)
            return None

        def fdiff(self, argindex=1):
            return sigmoid(self.args[0])

    class log1p(_Primitive):  # noqa: N801
        """log1p(u) = log(1 + u)."""

        @staticmethod
        def standard(u):
            return sp.log(1 + u)

        @classmethod
        def eval(cls, u):
            if u.is_zero:
                return sp.Integer(0)
            return None

        def fdiff(self, argindex=1):
            return 1 / (1 + self.args[0])

    class expm1(_Primitive):  # noqa: N801
        """expm1(u) = exp(u) - 1."""

        @staticmethod
        def standard(u):
            return sp.exp(u) - 1

        @classmethod
        def eval(cls, u):
            if u.is_zero:
                return sp.Integer(0)
            return None

        def fdiff(self, argindex=1):
            return sp.exp(self.args[0])

    class Phi(_Primitive):
        """The standard normal CDF, Phi(u) = (1 + erf(u / sqrt 2)) / 2."""

        @staticmethod
        def standard(u):
            return (1 + sp.erf(u / sp.sqrt(2))) / 2

        @classmethod
        def eval(cls, u):
            if u.is_zero:
                return sp.Rational(1, 2)
            return None

        def fdiff(self, argindex=1):
            u = self.args[0]
            return sp.exp(-u ** 2 / 2) / sp.sqrt(2 * sp.pi)

    class Kit:
        pass

    kit = Kit()
    kit.sp = sp
    kit.sigmoid, kit.softplus, kit.log1p, kit.expm1 = sigmoid, softplus, log1p, expm1
    kit.Phi = Phi
    kit.primitives = (sigmoid, softplus, log1p, expm1, Phi)
    kit.builders = {
        "exp": sp.exp, "log": sp.log, "ln": sp.log, "log1p": log1p, "expm1": expm1,
        "sqrt": sp.sqrt, "sigmoid": sigmoid, "softplus": softplus, "tanh": sp.tanh,
        "sinh": sp.sinh, "cosh": sp.cosh, "sin": sp.sin, "cos": sp.cos, "atan": sp.atan,
        "arctan": sp.atan, "asinh": sp.asinh, "arcsinh": sp.asinh, "erf": sp.erf,
        "erfc": sp.erfc, "Phi": Phi, "abs": sp.Abs, "sign": sp.sign,
        "heaviside": lambda u: sp.Heaviside(u, sp.Rational(1, 2)),
        "relu": lambda u: sp.Max(u, 0), "max": sp.Max, "min": sp.Min,
    }
    return kit


# ================================================================ parsing


def _refuse(node: ast.AST, what: str) -> FormulaError:
    where = f" (column {node.col_offset + 1})" if hasattr(node, "col_offset") else ""
    return FormulaError(f"formula refused: {what}{where}. {_allowed_text()}.")


_REFUSED = {
    ast.Attribute: "attribute access ('.') is not allowed",
    ast.Subscript: "indexing ('[...]') is not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.Compare: "comparisons are not allowed (use max, min, abs or heaviside)",
    ast.BoolOp: "boolean operators (and, or) are not allowed",
    ast.IfExp: "conditional expressions are not allowed (use max, min or heaviside)",
    ast.List: "non-scalar constructs (lists) are not allowed",
    ast.Tuple: "non-scalar constructs (tuples) are not allowed",
    ast.Set: "non-scalar constructs (sets) are not allowed",
    ast.Dict: "non-scalar constructs (dicts) are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.JoinedStr: "strings are not allowed",
    ast.NamedExpr: "assignments (:=) are not allowed",
    ast.Starred: "starred expressions are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Slice: "slices are not allowed",
}


def _check_number(value: float, node: ast.AST) -> None:
    if not math.isfinite(value) or abs(value) > MAX_NUMBER:
        raise _refuse(node, f"the number {value!r} is out of range (|n| <= {MAX_NUMBER:g})")


class _Builder:
    """Builds the SymPy expression from a checked syntax tree, node by node."""

    def __init__(self, params: Iterable[str]) -> None:
        self.kit = _kit()
        sp = self.kit.sp
        self.params = {name: sp.Symbol(name, real=True) for name in params}
        self.variables: set[str] = set()
        self.used_params: set[str] = set()

    def build(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return self.build(node.body)
        return self.constant(self._build(node), node)

    def _build(self, node: ast.AST) -> Any:
        sp = self.kit.sp
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or value is None:
                raise _refuse(node, f"{value!r} is not a number")
            if isinstance(value, str | bytes):
                raise _refuse(node, "strings are not allowed")
            if isinstance(value, complex):
                raise _refuse(node, "complex numbers are not allowed")
            if isinstance(value, int):
                if value.bit_length() > 1000:
                    raise _refuse(node, "the integer is out of range")
                _check_number(float(value), node)
                return sp.Integer(value)
            if isinstance(value, float):
                _check_number(value, node)
                return sp.Float(value)
            raise _refuse(node, f"the constant {value!r} is not allowed")
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand)
            if isinstance(node.op, ast.USub):
                return -operand
            if isinstance(node.op, ast.UAdd):
                return operand
            raise _refuse(node, f"the operator {type(node.op).__name__} is not allowed")
        if isinstance(node, ast.BinOp):
            left, right = self.build(node.left), self.build(node.right)
            op = node.op
            if isinstance(op, ast.Add):
                return left + right
            if isinstance(op, ast.Sub):
                return left - right
            if isinstance(op, ast.Mult):
                return left * right
            if isinstance(op, ast.Div):
                if right.is_zero:
                    raise _refuse(node, "division by zero")
                return left / right
            if isinstance(op, ast.Pow):
                return self.power(left, right, node)
            symbol = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
                      ast.RShift: ">>", ast.BitOr: "|", ast.BitAnd: "&",
                      ast.BitXor: "^"}.get(type(op), "?")
            raise _refuse(node, f"the operator {symbol} is not allowed")
        if isinstance(node, ast.Call):
            return self.call(node)
        for kind, message in _REFUSED.items():
            if isinstance(node, kind):
                raise _refuse(node, message)
        raise _refuse(node, f"'{type(node).__name__}' is not allowed")

    def name(self, node: ast.Name) -> Any:
        sp = self.kit.sp
        name = node.id
        if "__" in name:
            raise _refuse(node, f"dunder names such as {name!r} are not allowed")
        if name in VARIABLES:
            self.variables.add(name)
            if len(self.variables) > 1:
                raise _refuse(node, "use one variable, x or z, not both")
            return sp.Symbol(name, real=True)
        if name in self.params:
            self.used_params.add(name)
            return self.params[name]
        if name == "pi":
            return sp.pi
        if name == "e":
            return sp.E
        if name in FUNCTIONS:
            raise _refuse(node, f"{name!r} is a function: call it, as in {name}(x)")
        known = [*VARIABLES, *self.params, *CONSTANTS, *FUNCTIONS]
        hint = did_you_mean(name, known)
        declared = (f" Declared parameters: {', '.join(self.params)}." if self.params
                    else f" To use a parameter, give it a value: params={{'{name}': 1.0}} "
                         f"(on the command line: --param {name}=1.0).")
        raise FormulaError(f"formula refused: unknown name {name!r} (column "
                           f"{node.col_offset + 1}).{hint}{declared} {_allowed_text()}.")

    def call(self, node: ast.Call) -> Any:
        func = node.func
        if not isinstance(func, ast.Name):
            if isinstance(func, ast.Attribute):
                raise _refuse(func, "attribute access ('.') is not allowed")
            raise _refuse(node, "only the allowed functions can be called, by name")
        name = func.id
        if "__" in name:
            raise _refuse(func, f"dunder names such as {name!r} are not allowed")
        if name not in FUNCTIONS:
            hint = did_you_mean(name, list(FUNCTIONS))
            raise FormulaError(f"formula refused: unknown function {name!r} (column "
                               f"{func.col_offset + 1}).{hint} {_allowed_text()}.")
        if node.keywords:
            raise _refuse(node, "keyword arguments are not allowed")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise _refuse(node, "starred arguments are not allowed")
        arity = FUNCTIONS[name]
        n = len(node.args)
        if (arity is None and n < 2) or (arity is not None and n != arity):
            want = "two or more arguments" if arity is None else f"{arity} argument"
            raise _refuse(node, f"{name}() takes {want}, got {n}")
        args = [self.build(a) for a in node.args]
        return self.kit.builders[name](*args)

    def power(self, base: Any, exponent: Any, node: ast.AST) -> Any:
        if not base.free_symbols and not exponent.free_symbols:
            b, e = _exact_constant(base), _exact_constant(exponent)
            if b == 0 and e < 0:
                raise _refuse(node, "division by zero")
            if b != 0 and abs(e) * abs(math.log10(abs(b))) > 300:
                raise _refuse(node, f"the number {b:g}**{e:g} is out of range")
        return base ** exponent

    def constant(self, value: Any, node: ast.AST) -> Any:
        """``value`` if it is not a constant, or a real constant within MAX_NUMBER (so
        SymPy, asked whether a function of it is positive, never needs unbounded
        precision: sin(exp(exp(exp(5)))) is refused here)."""
        if value.free_symbols:
            return value
        number = _exact_constant(value)
        if math.isnan(number):
            raise _refuse(node, f"the constant {value} is not a real number")
        if not math.isfinite(number) or abs(number) > MAX_NUMBER:
            raise _refuse(node, f"the constant {value} is out of range "
                                f"(|n| <= {MAX_NUMBER:g})")
        return value


def _syntax_tree(text: str) -> ast.Expression:
    if not isinstance(text, str):
        raise TypeError(f"formula must be a string, got {type(text).__name__}")
    if not text.strip():
        raise FormulaError("formula is empty; write an expression in x such as "
                           "'x * sigmoid(x)'")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula is {len(text)} characters long; at most {MAX_LENGTH}")
    try:
        # ^ means power, with the precedence of ** (as SymPy's convert_xor): replaced
        # before parsing, since Python's ^ binds more loosely than + (strings, the only
        # place a ^ could mean something else, are refused anyway)
        tree = ast.parse(text.strip().replace("^", "**"), mode="eval")
    except SyntaxError as exc:
        column = f" at column {exc.offset}" if exc.offset else ""
        raise FormulaError(f"formula {text!r} is not a valid expression{column}: "
                           f"{exc.msg}. {_allowed_text()}.") from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise FormulaError(f"formula {text!r} cannot be parsed: {exc}") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise FormulaError(f"formula is too long: more than {MAX_NODES} syntax nodes")
    calls = _nested_calls(tree)
    if calls > MAX_NESTED_CALLS:
        raise FormulaError(f"formula nests {calls} function calls inside each other, at most "
                           f"{MAX_NESTED_CALLS} (such as exp(exp(exp(x))): values that grow "
                           f"beyond any float range)")
    return tree


def _nested_calls(tree: ast.AST) -> int:
    """The most function calls nested inside each other in ``tree``."""
    most = 0
    stack = [(tree, 0)]
    while stack:
        node, nested = stack.pop()
        nested += isinstance(node, ast.Call)
        most = max(most, nested)
        stack.extend((child, nested) for child in ast.iter_child_nodes(node))
    return most


def _parse(text: str, params: Iterable[str]) -> tuple[Any, Any]:
    """(SymPy expression, its variable symbol) of a checked formula text."""
    builder = _Builder(params)
    try:
        expr = builder.build(_syntax_tree(text))
    except RecursionError:
        raise FormulaError("formula is nested too deeply") from None
    sp = builder.kit.sp
    name = next(iter(builder.variables), "x")
    variable = sp.Symbol(name, real=True)
    if variable not in expr.free_symbols:
        raise FormulaError(f"formula {text!r} does not depend on x: an activation must be "
                           f"a function of its input")
    unused = [p for p in builder.params if p not in builder.used_params]
    if unused:
        raise FormulaError(f"parameter(s) {', '.join(map(repr, unused))} declared but not "
                           f"used in the formula {text!r}")
    if expr.has(sp.I, sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise FormulaError(f"formula {text!r} holds a complex or infinite constant")
    return expr, variable


def is_formula(text: Any, params: Iterable[str] | None = None) -> bool:
    """True when ``text`` is a formula that parses.

    With ``params=None`` any other identifier counts as a parameter; otherwise only the
    names in ``params`` do (``params=()``: no parameters).  A plain name that is not a
    registered activation (``"rleu"``) is not a formula.  Nothing is evaluated.

    Examples
    --------
    >>> is_formula("x * sigmoid(x)"), is_formula("rleu"), is_formula("__import__('os')")
    (True, False, False)
    >>> is_formula("x * sigmoid(beta * x)"), is_formula("x * sigmoid(beta * x)", params=())
    (True, False)
    """
    if not isinstance(text, str):
        return False
    try:
        tree = _syntax_tree(text)
    except (FormulaError, TypeError):
        return False
    if params is None:
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        calls = {n.func.id for n in ast.walk(tree)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        params = [n for n in names - calls if _IDENTIFIER.match(n) and "__" not in n
                  and n not in (*VARIABLES, *CONSTANTS, *FUNCTIONS)]
    try:
        _parse(text, params)
    except (FormulaError, RecursionError):
        return False
    return True


def looks_like_name(text: str) -> bool:
    """True for texts made of letters, digits, '_', '-', '.' and spaces: a mistyped
    registry name (``"rleu"``, ``"os.system"``) rather than a formula."""
    return bool(_NAME_LIKE.match(text))


# ================================================================ stable rewrites


def _split_one(expr: Any) -> Any | None:
    """``u`` when ``expr`` is ``1 + u`` (two terms), else None."""
    if expr.is_Add and len(expr.args) == 2:
        a, b = expr.args
        if a == 1:
            return b
        if b == 1:
            return a
    return None


def _split_exp(expr: Any) -> tuple[Any, Any] | None:
    """``(c, v)`` when ``expr`` is ``c + exp(v)`` with a positive number c, else None."""
    if expr.is_Add and len(expr.args) == 2:
        c, rest = expr.as_coeff_Add()
        if c.is_positive and rest.func.__name__ == "exp":
            return c, rest.args[0]
    return None


def _rewrite_node(e: Any, kit: Any) -> Any:
    """One local rewrite of ``e`` into stable primitives (``e`` itself if none applies)."""
    sp = kit.sp
    sigmoid, softplus = kit.sigmoid, kit.softplus
    if e.func == sp.log:
        u = e.args[0]
        rest = _split_one(u)
        if rest is not None:
            if rest.func == sp.exp:
                return softplus(rest.args[0])             # log(1 + e^v)
            return kit.log1p(rest)                        # log(1 + v)
        split = _split_exp(u)
        if split is not None:                             # log(c + e^v)
            c, v = split
            return sp.log(c) + softplus(v - sp.log(c))
        if u.func == sigmoid:
            return -softplus(-u.args[0])                  # log sigmoid(v)
        if u.is_Pow and u.base.func == sigmoid and u.exp.is_number:
            return -u.exp * softplus(-u.base.args[0])
    if e.is_Pow:
        base, p = e.args
        rest = _split_one(base)
        if rest is not None and rest.func == sp.exp and p.is_number and p.is_negative:
            return sigmoid(-rest.args[0]) ** (-p)         # (1 + e^v)^-k
        split = _split_exp(base)
        if split is not None and p.is_number and p.is_negative:  # (c + e^v)^-k
            c, v = split
            return c ** p * sigmoid(sp.log(c) - v) ** (-p)
    if e.is_Add:
        c, rest = e.as_coeff_Add()
        if c != 0:
            for term in sp.Add.make_args(rest):
                coeff, f = term.as_coeff_Mul()
                other = rest - term
                if f.func == sigmoid and coeff == -c:     # c (1 - sigmoid(v))
                    return c * sigmoid(-f.args[0]) + other
                if f.func == sp.exp and coeff == -c:      # c (1 - e^v)
                    return -c * kit.expm1(f.args[0]) + other
                if f.func == kit.Phi and coeff == -c:     # c (1 - Phi(v))
                    return c * kit.Phi(-f.args[0]) + other
                if f.func == sp.erf and abs(coeff) == abs(c):  # c (1 ± erf(v))
                    sign = 1 if coeff == c else -1
                    return 2 * c * kit.Phi(sign * sp.sqrt(2) * f.args[0]) + other
                if f.func == sp.erfc and coeff == -c / 2:  # c (1 - erfc(v) / 2)
                    return c * kit.Phi(sp.sqrt(2) * f.args[0]) + other
    if e.func == sp.erfc:                                 # erfc(v) = 2 Phi(-sqrt2 v)
        return 2 * kit.Phi(-sp.sqrt(2) * e.args[0])
    if e.is_Mul:
        factors = list(sp.Mul.make_args(e))
        for i, f in enumerate(factors):
            if f.func != sp.exp:
                continue
            w = f.args[0]
            for j, g in enumerate(factors):
                base, m = (g.base, g.exp) if g.is_Pow else (g, sp.Integer(1))
                if base.func != sigmoid or not (m.is_Integer and m > 0):
                    continue
                u = base.args[0]
                for k in range(1, int(m) + 1):            # e^{c - k u} sigmoid(u)^m
                    c = sp.expand(w + k * u)
                    if not any(s.name in VARIABLES for s in c.free_symbols):
                        rest = [h for n, h in enumerate(factors) if n not in (i, j)]
                        return sp.Mul(*rest, sp.exp(c), sigmoid(-u) ** k,
                                      sigmoid(u) ** (m - k))
        recognised = _recognise(e, kit)
        if recognised is not None:
            return recognised
    return e


def _recognise(e: Any, kit: Any) -> Any | None:
    """``tanh(c)`` or ``sigmoid(c)`` when the exponential ratio ``e`` equals one of them."""
    sp = kit.sp
    hyperbolic = (sp.exp, sp.sinh, sp.cosh, kit.expm1)
    if not e.has(*hyperbolic):
        return None
    factors = sp.Mul.make_args(e)
    if not any((f.is_Pow and f.exp.is_negative) or f.func == kit.sigmoid for f in factors):
        return None
    arguments = {a.args[0] for a in e.atoms(*hyperbolic)}
    candidates = []
    for a in arguments:
        for scale in (1, -1, sp.Rational(1, 2), -sp.Rational(1, 2), 2, -2):
            candidates += [sp.tanh(scale * a), kit.sigmoid(scale * a)]
    symbols = sorted(e.free_symbols, key=str)
    points = [dict(zip(symbols, values, strict=False))
              for values in ((0.37, 1.3, 0.7, 2.1), (-0.81, 0.6, 1.9, 0.4),
                             (1.73, 2.2, 0.3, 1.1))]
    standard = _standard(e, kit)
    try:
        at_points = [_mp_at(standard, p) for p in points]
    except _BeyondExact:
        return None
    for cand in candidates:
        candidate = _standard(cand, kit)
        try:
            close = all(abs(_mp_at(candidate, p) - v) <= 1e-14 * max(1.0, abs(v))
                        for p, v in zip(points, at_points, strict=True))
            if close and sp.cancel(sp.together((standard - candidate).rewrite(sp.exp))) == 0:
                return cand
        except _BeyondExact:
            continue
        except (TypeError, ValueError, ZeroDivisionError):  # pragma: no cover - odd forms
            continue
    return None


def _standard(e: Any, kit: Any) -> Any:
    """``e`` with the stable primitives replaced by their standard forms."""
    for primitive in kit.primitives:
        e = e.replace(primitive, primitive.standard)
    return e


def _stabilise(e: Any, kit: Any) -> Any:
    """Rewrite bottom-up into stable primitives, until nothing changes."""
    for _ in range(8):
        new = _bottom_up(e, kit)
        if new == e:
            return e
        e = new
    return e


def _bottom_up(e: Any, kit: Any) -> Any:
    if not e.args or e.is_Atom:
        return e
    args = [_bottom_up(a, kit) for a in e.args]
    if any(a is not b for a, b in zip(args, e.args, strict=True)):
        e = e.func(*args)
    for _ in range(8):
        new = _rewrite_node(e, kit)
        if new == e:
            break
        e = new if new.is_Atom else new.func(*[_bottom_up(a, kit) for a in new.args])
    return e


def _drop_delta(e: Any, kit: Any) -> Any:
    """Derivatives of jumps (DiracDelta) are 0, as PyTorch's sign."""
    sp = kit.sp
    return e.replace(lambda n: n.func == sp.DiracDelta, lambda n: sp.Integer(0))


# ================================================================ the NumPy program


def _erf(u: np.ndarray) -> np.ndarray:
    """erf, vectorised: a Taylor series for |u| < 0.5 (exact to rounding), 1 - erfc
    beyond (where erf is far from 0, so nothing cancels)."""
    u = np.asarray(u, dtype=np.float64)
    out = 1.0 - _erfc(u)
    small = np.abs(u) < 0.5
    if small.any():
        x = u[small]
        s, term, total = x * x, x.copy(), x.copy()
        for n in range(1, 16):
            term = term * (-s) / n
            total += term / (2 * n + 1)
        out[small] = total * (2 / math.sqrt(math.pi))
    return out


def _normal_cdf(u: np.ndarray) -> np.ndarray:
    """Phi(u) = erfc(-u / sqrt 2) / 2, accurate in both tails."""
    out = _erfc(np.asarray(u, dtype=np.float64) * -math.sqrt(0.5))
    out *= 0.5
    return out


def _heaviside(u: np.ndarray, at_zero: float) -> np.ndarray:
    h = np.sign(u) * 0.5 + 0.5  # 0, 1/2, 1 (NaN stays NaN)
    if at_zero != 0.5:
        h = np.where(u == 0, at_zero, h)
    return h


def _softplus(u: np.ndarray) -> np.ndarray:
    """log(1 + e^u) = max(u, 0) + log1p(e^-|u|): no overflow, exact in both tails (and
    several times faster than ``logaddexp(0, u)``)."""
    u = np.asarray(u, dtype=np.float64)
    out = np.abs(u)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += np.maximum(u, 0.0)
    return out


def _reduce(fn: Any) -> Any:
    return lambda *args: functools.reduce(fn, args)


_NUMPY = {
    "exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos, "sinh": np.sinh,
    "cosh": np.cosh, "tanh": np.tanh, "atan": np.arctan, "asinh": np.arcsinh,
    "erf": _erf, "erfc": lambda u: _erfc(np.asarray(u, dtype=np.float64)),
    "Abs": np.abs, "sign": np.sign, "sigmoid": stable_sigmoid, "softplus": _softplus,
    "log1p": np.log1p, "expm1": np.expm1, "Phi": _normal_cdf, "Max": _reduce(np.maximum),
    "Min": _reduce(np.minimum),
}


def _power(b: Any, p: float) -> Any:
    if p == 2:
        return b * b
    if p == 1:
        return b
    if p == -1:
        return 1.0 / b
    if p == 0.5:
        return np.sqrt(b)
    if p == -0.5:
        return 1.0 / np.sqrt(b)
    if p == -2:
        return 1.0 / (b * b)
    return np.power(b, p)


class _Program:
    """A straight-line program: one step per distinct sub-expression of the outputs.

    Steps are tuples ``(op, args, extra)``; ``args`` index earlier steps.  Running it
    evaluates only the steps the requested outputs need, each once.
    """

    def __init__(self, outputs: list[Any], variable: Any, params: Mapping[str, Any],
                 kit: Any) -> None:
        self.steps: list[tuple[str, tuple[int, ...], Any]] = []
        self._index: dict[Any, int] = {}
        sp = kit.sp
        self._symbols = {variable: ("var", None), **{s: ("param", n) for n, s in params.items()}}
        self._sp = sp
        self.outputs = [self._visit(e) for e in outputs]
        self._needed: dict[tuple[int, ...], list[int]] = {}

    def _visit(self, e: Any) -> int:
        if e in self._index:
            return self._index[e]
        sp = self._sp
        if e in self._symbols:
            op, extra = self._symbols[e]
            step = (op, (), extra)
        elif e.is_number:
            value = _exact_constant(e)
            if not math.isfinite(value):
                raise FormulaError(f"the constant {e} is not a finite real number")
            step = ("const", (), value)
        elif e.is_Add:
            step = ("add", tuple(self._visit(a) for a in e.args), None)
        elif e.is_Mul:
            step = ("mul", tuple(self._visit(a) for a in e.args), None)
        elif e.is_Pow:
            base, p = e.args
            if p.is_number:
                step = ("pow", (self._visit(base),), float(p))
            else:
                step = ("powx", (self._visit(base), self._visit(p)), None)
        elif e.func == sp.Heaviside:
            at_zero = float(e.args[1]) if len(e.args) > 1 else 0.5
            step = ("heaviside", (self._visit(e.args[0]),), at_zero)
        elif e.func.__name__ in _NUMPY:
            step = ("call", tuple(self._visit(a) for a in e.args), e.func.__name__)
        else:
            raise FormulaError(f"SymPy produced {e.func.__name__}({', '.join(map(str, e.args))}),"
                               f" which neuronlab cannot compile")
        self.steps.append(step)
        self._index[e] = len(self.steps) - 1
        return len(self.steps) - 1

    def _plan(self, which: tuple[int, ...]) -> list[int]:
        if which not in self._needed:
            need: set[int] = set()
            stack = [self.outputs[w] for w in which]
            while stack:
                i = stack.pop()
                if i not in need:
                    need.add(i)
                    stack.extend(self.steps[i][1])
            self._needed[which] = sorted(need)
        return self._needed[which]

    def run(self, z: np.ndarray, values: Mapping[str, float],
            which: tuple[int, ...]) -> list[Any]:
        """The outputs ``which`` at ``z`` (float64) with parameter ``values``."""
        results: dict[int, Any] = {}
        for i in self._plan(which):
            op, args, extra = self.steps[i]
            a = [results[j] for j in args]
            if op == "var":
                r = z
            elif op == "param":
                r = values[extra]
            elif op == "const":
                r = extra
            elif op == "add":
                r = a[0] + a[1]
                for b in a[2:]:
                    r = r + b
            elif op == "mul":
                r = a[0] * a[1]
                for b in a[2:]:
                    r = r * b
            elif op == "pow":
                r = _power(a[0], extra)
            elif op == "powx":
                r = np.power(a[0], a[1])
            elif op == "heaviside":
                r = _heaviside(np.asarray(a[0], dtype=np.float64), extra)
            else:
                r = _NUMPY[extra](*a)
            results[i] = r
        return [results[self.outputs[w]] for w in which]


@dataclass(frozen=True)
class _Compiled:
    """Everything about a formula that does not depend on the parameter values."""

    text: str
    variable: Any
    params: tuple[str, ...]
    learnable: tuple[str, ...]
    expression: Any          # as parsed
    stable: Any              # rewritten into stable primitives
    derivative: Any          # d stable / dx
    param_derivatives: tuple[Any, ...]  # d stable / dp for p in learnable
    program: _Program
    exact: tuple[Any, ...]   # standard forms of the outputs (for exact evaluation)


@functools.lru_cache(maxsize=256)
def _compile(text: str, params: tuple[str, ...], learnable: tuple[str, ...]) -> _Compiled:
    kit = _kit()
    sp = kit.sp
    expression, variable = _parse(text, params)
    stable = _stabilise(expression, kit)
    derivative = _stabilise(_drop_delta(sp.diff(stable, variable), kit), kit)
    symbols = {p: sp.Symbol(p, real=True) for p in params}
    param_derivatives = tuple(_stabilise(_drop_delta(sp.diff(stable, symbols[p]), kit), kit)
                              for p in learnable)
    outputs = [stable, derivative, *param_derivatives]
    program = _Program(outputs, variable, symbols, kit)
    exact = (expression, *(_standard(o, kit) for o in outputs[1:]))
    return _Compiled(text, variable, params, learnable, expression, stable, derivative,
                     param_derivatives, program, exact)


# ================================================================ exact evaluation, bounded
#
# Where the float64 program gives NaN (or inf) the value is recomputed with mpmath,
# walking the SymPy tree node by node (SymPy itself evaluates nothing: its automatic
# simplification of numbers such as sin(exp(10**30)) needs unbounded precision).  The
# work is bounded by construction, not by a timer: at most EXACT_PRECISIONS[-1] bits,
# and no argument beyond 2**EXACT_MAGNITUDE_BITS reaches a function whose cost grows
# with the size of its argument (exp, sin, cos need the argument modulo ln 2 or pi).

EXACT_PRECISIONS = (96, 192, 384, 768, 1536)  # bits tried in turn until two agree
EXACT_MAGNITUDE_BITS = 1024  # |u| < 2**1024 (float64's range) for sin, cos, exp ... args
LIMIT_STEP_BITS = 200        # a removable singularity's limit: the values at x ± 2**-200
LIMIT_GROWTH = 2.0**20       # ... infinite if they exceed this times those at x ± 2**-100


class _BeyondExact(Exception):
    """Exact evaluation would need unbounded work (the reason in words)."""


@functools.lru_cache(maxsize=512)
def _exact_steps(expr: Any) -> tuple[tuple[str, tuple[int, ...], Any], ...]:
    """``expr`` as a straight-line program for :class:`_Exact`, one step per distinct
    sub-expression (``(op, argument steps, extra)``, the last step the result): the
    SymPy tree is walked once per expression, not once per point."""
    sp = _kit().sp
    steps: list[tuple[str, tuple[int, ...], Any]] = []
    index: dict[Any, int] = {}

    def visit(e: Any) -> int:
        if e in index:
            return index[e]
        if e.is_Symbol:
            step = ("symbol", (), e)
        elif e.is_Rational:
            step = ("number", (), (int(e.p), int(e.q)))
        elif e.is_Float:
            step = ("number", (), e._mpf_)
        elif e is sp.pi or e is sp.E:
            step = (str(e), (), None)
        elif e.is_Add or e.is_Mul:
            step = ("add" if e.is_Add else "mul", tuple(visit(a) for a in e.args), None)
        elif e.is_Pow:
            step = ("pow", (visit(e.base), visit(e.exp)), None)
        elif e.func == sp.Heaviside:
            step = ("heaviside", tuple(visit(a) for a in e.args), None)
        elif e.func.__name__ in _NUMPY:
            step = ("function", tuple(visit(a) for a in e.args), e.func.__name__)
        else:
            raise _BeyondExact(f"{e.func.__name__} cannot be evaluated exactly")
        steps.append(step)
        index[e] = len(steps) - 1
        return index[e]

    visit(expr)
    return tuple(steps)


@functools.cache
def _mp_context(bits: int) -> Any:
    """An mpmath context of its own with ``bits`` of precision (never changed, so
    threads may share it; making one costs about a millisecond)."""
    import mpmath

    ctx = mpmath.MPContext()
    ctx.prec = bits
    return ctx


class _Exact:
    """One evaluation of a SymPy expression with mpmath at one precision."""

    def __init__(self, env: Mapping[Any, float], bits: int,
                 shift: tuple[Any, int, int] | None) -> None:
        self.ctx = ctx = _mp_context(bits + (2 * LIMIT_STEP_BITS if shift else 0))
        self.env = {s: ctx.mpf(v) for s, v in env.items()}
        if shift is not None:  # the variable moved by ± 2**-step_bits max(1, |x|)
            variable, side, step_bits = shift
            x = self.env[variable]
            self.env[variable] = x + side * ctx.ldexp(max(ctx.mpf(1), abs(x)), -step_bits)
        self.overflowed = False  # an intermediate value was beyond exp(2**1024)

    def value(self, e: Any) -> Any:
        """``e`` at the environment: its steps (:func:`_exact_steps`), run in order."""
        ctx = self.ctx
        results: list[Any] = []
        for op, args, extra in _exact_steps(e):
            a = [results[i] for i in args]
            if op == "symbol":
                r = self.env[extra]
            elif op == "number":  # (p, q) of a rational, or the _mpf_ of a Float
                r = ctx.mpf(extra[0]) / extra[1] if len(extra) == 2 else ctx.make_mpf(extra)
            elif op == "pi":
                r = +ctx.pi
            elif op == "E":
                r = +ctx.e
            elif op == "add":
                r = ctx.fsum(a)
            elif op == "mul":
                r = ctx.fprod(a)
            elif op == "pow":
                r = self.power(*a)
            elif op == "heaviside":
                u = a[0]
                at_zero = a[1] if len(a) > 1 else ctx.mpf(0.5)
                r = ctx.nan if ctx.isnan(u) else (at_zero if u == 0 else ctx.mpf(int(u > 0)))
            else:
                r = self.function(extra, a)
            if isinstance(r, ctx.mpc):
                r = r.real if r.imag == 0 else ctx.nan  # complex: not a real number
            results.append(r)
        return results[-1]

    def function(self, name: str, args: list[Any]) -> Any:
        ctx = self.ctx
        if any(ctx.isnan(a) for a in args):
            return ctx.nan
        if name in ("Max", "Min"):
            return max(args) if name == "Max" else min(args)
        (u,) = args
        if ctx.isinf(u) or ctx.mag(u) > EXACT_MAGNITUDE_BITS:
            return self.huge(name, u)
        try:
            if name == "sigmoid":
                return 1 / (1 + ctx.exp(-u))
            if name == "softplus":
                return ctx.log1p(ctx.exp(u)) if u < 0 else u + ctx.log1p(ctx.exp(-u))
            if name == "Phi":
                return ctx.ncdf(u)
            if name == "Abs":
                return abs(u)
            return getattr(ctx, name)(u)
        except OverflowError:  # mpmath's erfc of numbers near 2**1024
            raise _BeyondExact(f"{name} of a number near 2**{EXACT_MAGNITUDE_BITS}") from None

    def huge(self, name: str, u: Any) -> Any:
        """``name`` at an infinite argument or one beyond ``2**EXACT_MAGNITUDE_BITS``:
        its limit, or inf for those that grow fast (``exp``, ``cosh`` ...); ``sin`` and
        ``cos`` have neither (their value would need the argument modulo pi)."""
        ctx = self.ctx
        if name in ("log", "log1p"):  # cheap at any size: the exponent times ln 2
            return ctx.log(u)
        if name == "asinh":
            return ctx.sign(u) * ctx.log(2 * abs(u))  # exact to far below 2**-1024
        limits = {"sigmoid": (0, 1), "softplus": (0, u), "tanh": (-1, 1), "erf": (-1, 1),
                  "erfc": (2, 0), "Phi": (0, 1), "atan": (-ctx.pi / 2, ctx.pi / 2),
                  "sign": (-1, 1), "Abs": (-u, u), "exp": (0, ctx.inf),
                  "expm1": (-1, ctx.inf), "sinh": (-ctx.inf, ctx.inf),
                  "cosh": (ctx.inf, ctx.inf)}
        if name not in limits:
            raise _BeyondExact(f"{name} of a number beyond 2**{EXACT_MAGNITUDE_BITS} in size")
        r = ctx.mpf(limits[name][int(u > 0)])
        if ctx.isinf(r) and not ctx.isinf(u):
            self.overflowed = True
        return r

    def power(self, b: Any, p: Any) -> Any:
        """``b ** p`` as SymPy defines it for real numbers (NaN where it is complex)."""
        ctx = self.ctx
        if ctx.isnan(b) or ctx.isnan(p):
            return ctx.nan
        if b == 0 and p < 0:
            raise ZeroDivisionError
        if ctx.isint(p) and abs(p) <= 2**20:
            return ctx.power(b, int(p))
        if b == 0:
            return ctx.mpf(0)
        if b < 0:
            return ctx.nan  # SymPy's principal root is complex
        return self.function("exp", [p * ctx.log(b)])


def _mp_at(expr: Any, env: Mapping[Any, float], shift: tuple[Any, int, int] | None = None
           ) -> float:
    """``expr`` at the values ``env`` (symbol -> float), rounded to float64 from mpmath
    values at increasing precisions until two agree to 2**-50, relative, or, where
    cancellation leaves a value near 0 (``1 - tanh(x)**2`` at -1e27), to 2**-(p / 2)
    absolute with p the lower precision (the error of the value at 2p is then about
    2**-(3p / 2) times the size of the terms that cancel); NaN where undefined or not
    real.
    ``shift=(variable, ±1, b)`` moves the variable by ± 2**-b max(1, |x|).
    Raises :class:`_BeyondExact` when the work would be unbounded."""
    previous = None
    previous_bits = 0
    for bits in EXACT_PRECISIONS:
        exact = _Exact(env, bits, shift)
        try:
            value = exact.value(expr)
        except ZeroDivisionError:
            value = exact.ctx.nan
        current = float(value)
        if math.isnan(current) and exact.overflowed:
            raise _BeyondExact(f"an intermediate value is beyond exp(2**{EXACT_MAGNITUDE_BITS})")
        if previous is not None and (
                previous == current or (math.isnan(previous) and math.isnan(current))
                or abs(previous - current) <= max(2.0**-50 * abs(current),
                                                  2.0**-(previous_bits // 2))):
            return current
        previous, previous_bits = current, bits
    raise _BeyondExact(f"its value does not settle within {EXACT_PRECISIONS[-1]} bits of "
                       f"precision")


def _exact_value(expr: Any, variable: Any, point: float, values: Mapping[str, float]) -> float:
    """``expr`` at ``point`` computed exactly (mpmath: no overflow), or where it is
    undefined (``sin(x)/x`` at 0) the mean of its values at ``point ± 2**-200
    max(1, |point|)`` (its limit, or at a jump the mean of the one-sided limits, the
    convention of the kinks); inf when one of them is infinite or over 2**20 times
    larger than at ``point ± 2**-100 max(1, |point|)`` (the derivative of
    ``sqrt(abs(x))`` at 0: a power-law pole); NaN when it is not a real number there.

    Raises
    ------
    FormulaError
        When the exact value would need unbounded work (``sin(exp(x))`` at 1e30).
    """
    sp = _kit().sp
    env: dict[Any, float] = {sp.Symbol(k, real=True): float(v) for k, v in values.items()}
    env[variable] = float(point)
    try:
        value = _mp_at(expr, env)
        if not math.isnan(value):
            return value
        sides = [_mp_at(expr, env, (variable, side, LIMIT_STEP_BITS)) for side in (-1, 1)]
        if all(math.isfinite(v) for v in sides):
            wider = [_mp_at(expr, env, (variable, side, LIMIT_STEP_BITS // 2))
                     for side in (-1, 1)]
            if any(abs(v) > LIMIT_GROWTH * max(1.0, abs(w))
                   for v, w in zip(sides, wider, strict=True)):
                return math.inf  # growing without bound as x nears the point
        low, high = sides
    except _BeyondExact as reason:
        raise FormulaError(
            f"formula {str(expr)!r} cannot be evaluated at {variable} = {point:g}: "
            f"{reason}; an activation must have values neuronlab can compute with bounded "
            f"work (keep the arguments of exp, sin and cos within float range, e.g. "
            f"exp(tanh(x)) rather than exp(exp(x)))") from None
    if math.isnan(low) or math.isnan(high):
        return math.nan
    if math.isinf(low) or math.isinf(high):
        return low if low == high else math.inf  # infinite there (1 / |x| at 0)
    return (low + high) / 2  # the limit, or at a jump the mean of the one-sided values


def _exact_constant(expr: Any) -> float:
    """A constant sub-expression's float value (NaN if not real; inf beyond float
    range), with bounded work; :class:`FormulaError` when that is not enough."""
    try:
        return _mp_at(expr, {})
    except _BeyondExact as reason:
        raise FormulaError(f"the constant {expr} cannot be evaluated: {reason}") from None


MAX_KINK_DEGREE = 8  # kinks where a polynomial condition of at most this degree is 0


def _numeric_kinks(compiled: _Compiled, values: Mapping[str, float]) -> tuple[float, ...]:
    """Real x where an argument of abs, sign, heaviside or a max/min pair is zero.

    A condition polynomial in x (``x - alpha*x``, ``x**2 - 2``) is solved from its
    coefficients, each evaluated with bounded work; another one is solved by SymPy
    when it holds no parameter (``exp(x) - 2``; substituting a value for a parameter
    would let SymPy evaluate numbers such as exp(exp(exp(1000))) without bound) and
    its solutions are a finite set."""
    kit = _kit()
    sp = kit.sp
    x = compiled.variable
    env = {sp.Symbol(k, real=True): float(v) for k, v in values.items()}
    conditions = []
    for node in compiled.stable.atoms(sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min):
        args = node.args[:1] if node.func in (sp.Abs, sp.sign, sp.Heaviside) else node.args
        if node.func in (sp.Max, sp.Min):
            conditions += [a - b for i, a in enumerate(args) for b in args[i + 1:]]
        else:
            conditions += list(args)
    kinks: set[float] = set()
    for condition in conditions:
        if x not in condition.free_symbols:
            continue
        try:
            if condition.is_polynomial(x) and sp.degree(condition, x) <= MAX_KINK_DEGREE:
                roots = _polynomial_roots([_mp_at(c, env) for c in
                                           sp.Poly(condition, x).all_coeffs()])
            elif condition.free_symbols == {x}:
                solutions = sp.solveset(condition, x, domain=sp.S.Reals)
                roots = ([_mp_at(s, {}) for s in solutions]
                         if isinstance(solutions, sp.FiniteSet) else [])
            else:
                roots = []
        except (_BeyondExact, NotImplementedError, ValueError, TypeError):  # pragma: no cover
            continue
        kinks.update(float(r) + 0.0 for r in roots if math.isfinite(r))
    return tuple(sorted(kinks))


def _polynomial_roots(coefficients: list[float]) -> list[float]:
    """The real roots of the polynomial with these coefficients (highest degree first):
    exact division for a line, NumPy's eigenvalue roots polished by Newton steps else."""
    c = np.array(coefficients, dtype=np.float64)
    if not np.isfinite(c).all():
        return []
    nonzero = np.flatnonzero(c)
    if len(nonzero) == 0:
        return []
    c = c[nonzero[0]:]
    if len(c) == 1:
        return []
    if len(c) == 2:
        return [-c[1] / c[0]]
    ctx = _mp_context(128)
    exact, slope = [ctx.mpf(v) for v in c], [ctx.mpf(v) for v in np.polyder(c)]
    roots = []
    for r in np.roots(c):
        if abs(r.imag) > 1e-6 * max(1.0, abs(r)):
            continue
        t = ctx.mpf(float(r.real))
        for _ in range(4):  # Newton in 128 bits: the eigenvalue solver leaves a few ulps
            d = ctx.polyval(slope, t)
            if d == 0:
                break
            t -= ctx.polyval(exact, t) / d
        roots.append(float(t))
    return roots


# ================================================================ the activation


def _check_params(params: Any, learnable: Any) -> tuple[dict[str, float], tuple[str, ...]]:
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise TypeError(f"Formula params must be a mapping of names to numbers such as "
                        f"{{'alpha': 0.1}}, got {type(params).__name__}")
    checked: dict[str, float] = {}
    for name, value in params.items():
        if not isinstance(name, str) or not _IDENTIFIER.match(name) or "__" in name:
            raise FormulaError(f"Formula parameter name {name!r} must be an identifier "
                               f"without '__' (such as 'alpha')")
        if name in (*VARIABLES, *CONSTANTS, *FUNCTIONS):
            raise FormulaError(f"Formula parameter name {name!r} is taken (a variable, "
                               f"constant or function); choose another, such as 'alpha'")
        try:
            checked[name] = check_real(value, f"Formula parameter {name!r}")
        except ValueError as exc:  # NaN or inf: a formula that cannot be used
            raise FormulaError(str(exc)) from None
    if isinstance(learnable, str):
        learnable = (learnable,)
    try:
        learnable = tuple(learnable or ())
    except TypeError:
        raise TypeError(f"Formula learnable must be a list of parameter names, got "
                        f"{learnable!r}") from None
    for name in learnable:
        if name not in checked:
            raise FormulaError(f"learnable parameter {name!r} has no value: give it in "
                               f"params, e.g. params={{{name!r}: 1.0}}")
    if len(set(learnable)) != len(learnable):
        raise FormulaError(f"learnable lists a parameter twice: {list(learnable)}")
    return checked, learnable


class _Probe:
    """The compiled formula at fixed parameter values, with the Activation's interface
    (what :func:`measure_properties` needs), without building a Formula."""

    elementwise = True

    def __init__(self, compiled: _Compiled, values: Mapping[str, float],
                 kinks: tuple[float, ...]) -> None:
        self.compiled, self.values, self.kinks = compiled, dict(values), kinks

    def forward(self, z: np.ndarray, training: bool = False) -> np.ndarray:
        return _evaluate(self.compiled, z, self.values, (0,), repair_limit=None)[0]

    def derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return _evaluate(self.compiled, z, self.values, (1,), repair_limit=None)[0]


def _evaluate(compiled: _Compiled, z: np.ndarray, values: Mapping[str, float],
              which: tuple[int, ...], repair_limit: int | None = REPAIR_LIMIT
              ) -> list[np.ndarray]:
    """Outputs ``which`` (0: g, 1: g', 2...: dg/dp) at z, as fresh float64 arrays of z's
    shape; NaN exactly where z is NaN.  Where the program gives NaN or ±inf at a finite
    z (an intermediate overflow: ``sin(x)/x`` at 1e-310 computes 1/x = inf) the value is
    recomputed exactly (at most ``repair_limit`` distinct points, all for None); a true
    overflow (``exp(x)`` at 1000) stays inf."""
    z64 = np.asarray(z, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        outs = compiled.program.run(z64, values, which)
    nan_in = np.isnan(z64)
    any_nan_in = bool(nan_in.any())
    finite_in = np.isfinite(z64)
    results: list[np.ndarray] = []
    for w, out in zip(which, outs, strict=True):
        fresh = (isinstance(out, np.ndarray) and out.shape == z64.shape
                 and out.dtype == np.float64 and not np.may_share_memory(out, z64)
                 and not any(out is r for r in results))
        if not fresh:  # a constant, the input itself, or shared with another output
            out = np.array(np.broadcast_to(out, z64.shape), dtype=np.float64)
        bad = ~np.isfinite(out)
        bad &= finite_in
        if bad.any():
            points = np.unique(z64[bad])[:repair_limit]
            exact = {float(p): _exact_value(compiled.exact[w], compiled.variable, float(p),
                                            values) for p in points}
            flat_out, flat_z = out.reshape(-1), z64.reshape(-1)
            for i in np.flatnonzero(bad.reshape(-1)):
                flat_out[i] = exact.get(float(flat_z[i]), math.nan)
        if any_nan_in:
            out[nan_in] = math.nan
        results.append(out)
    return results


@functools.lru_cache(maxsize=256)
def _measured(text: str, params: tuple[tuple[str, float], ...],
              learnable: tuple[str, ...]) -> tuple[tuple[float, ...], dict[str, Any]]:
    """(kinks, measured properties) of a formula at these parameter values."""
    compiled = _compile(text, tuple(p for p, _ in params), learnable)
    values = dict(params)
    kinks = _numeric_kinks(compiled, values)
    probe = _Probe(compiled, values, kinks)
    z = probe_grid(kinks)
    # undefined somewhere (sqrt(x), log(x))?  Ask SymPy at a few of the NaN points first
    raw = _evaluate(compiled, z, values, (0, 1), repair_limit=0)
    for w, what in ((0, "g"), (1, "its derivative g'")):
        nan_at = z[np.isnan(raw[w])]
        nan_at = nan_at[np.argsort(np.abs(nan_at), kind="stable")]
        sample = np.unique(np.concatenate([nan_at[:4], nan_at[::max(1, len(nan_at) // 4)]]))
        for at in sorted(sample, key=abs):
            if math.isnan(_exact_value(compiled.exact[w], compiled.variable, float(at),
                                       values)):
                raise FormulaError(
                    f"formula {text!r}: {what} is not a real number at x = {at:g}; an "
                    f"activation must be defined for every real x (write e.g. "
                    f"sqrt(abs(x)) or log(1 + x**2) instead of sqrt(x) or log(x))")
    a, d = (probe.forward(z), probe.derivative(z, None))
    for what, v in (("g", a), ("its derivative g'", d)):
        if np.isnan(v).any():  # pragma: no cover - the exact values are real numbers
            at = float(z[np.isnan(v)][0])
            raise FormulaError(f"formula {text!r}: {what} cannot be evaluated at x = "
                               f"{at:g}; rewrite it with stable functions (softplus, "
                               f"sigmoid, tanh)")
    inside = np.abs(z) <= PROBE_RANGE  # beyond, inf may be a true overflow (exp(x))
    if not np.isfinite(a[inside]).all():
        at = float(z[inside][~np.isfinite(a[inside])][0])
        raise FormulaError(f"formula {text!r} is infinite (or beyond the float range) at "
                           f"x = {at:g}; an activation needs finite values")
    if not np.isfinite(d[inside]).all():
        at = float(z[inside][~np.isfinite(d[inside])][0])
        raise FormulaError(f"formula {text!r}: its derivative is infinite (or beyond the "
                           f"float range) at x = {at:g}; gradient descent needs a finite "
                           f"slope everywhere")
    return kinks, measure_properties(probe)


def _properties_of(measured: Mapping[str, Any]) -> Properties:
    return Properties(tuple(measured["range"]), zero_centred=measured["zero_centred"],
                      monotonic=measured["monotonic"], smooth=measured["smooth"],
                      saturating=measured["saturating"])


@REGISTRY.register("formula")
class Formula(Activation):
    """An activation written as a formula in x (see :mod:`neuronlab.formula`).

    ``g(z)`` is the formula with z for x; ``g'(z)`` is its symbolic derivative
    (``derivative_text``).  Both run as compiled NumPy programs with stable rewrites.
    A learnable parameter ``p`` is a Parameter named ``p`` (shape ``(1,)``); ``backward``
    sets ``p.grad = sum(e * dg/dp)`` with ``dg/dp`` derived symbolically.
    ``properties`` and ``kinks`` are measured (:func:`measure_properties`) for the
    initial parameter values.

    Parameters
    ----------
    expression : str, default "x"
        The formula in ``x`` (or ``z``); see :data:`FUNCTIONS`.
    label : str or None, default None
        A display name (``from_formula``'s ``name``), shown by ``repr`` and the CLI.
    params : dict of str to float, default None
        Values of the named parameters of the formula.
    learnable : list of str, default ()
        Parameters trained with the weights (their values in ``params`` are the
        initial ones).

    Examples
    --------
    >>> g = Formula("x * sigmoid(beta * x)", params={"beta": 1.0}, learnable=["beta"])
    >>> round(float(g.forward(np.array(1.0))), 6)
    0.731059
    >>> [p.name for p in g.parameters()]
    ['beta']
    """

    formula = "g(z) = any formula in z (or x), by default z"
    derivative_formula = "g'(z) = its symbolic derivative (SymPy)"
    properties = Properties((-INF, INF), zero_centred=True, monotonic=True, smooth=True,
                            saturating=False)
    kinks = ()

    def __init__(self, expression: str = "x", label: str | None = None,
                 params: Mapping[str, float] | None = None,
                 learnable: Iterable[str] = ()) -> None:
        if not isinstance(expression, str):
            raise TypeError(f"Formula expression must be a string, got "
                            f"{type(expression).__name__}")
        if label is not None and not isinstance(label, str):
            raise TypeError(f"Formula label must be a string or None, got {label!r}")
        values, learnable = _check_params(params, learnable)
        self.expression = expression
        self.label = label
        self.params = values
        self.learnable = learnable
        self._setup()
        # float64 until build() casts to the network's dtype (from the exact value)
        self.weights = {name: Parameter(np.full(1, values[name], dtype=np.float64), name)
                        for name in learnable}

    def _setup(self) -> None:
        names = tuple(self.params)
        self._compiled = _compile(self.expression, names, self.learnable)
        kinks, measured = _measured(self.expression, tuple(self.params.items()),
                                    self.learnable)
        self.kinks = kinks
        self.measured = dict(measured)
        self.properties = _properties_of(measured)
        var = str(self._compiled.variable)
        self.formula = f"g({var}) = {self.expression_text}"
        self.derivative_formula = f"g'({var}) = {self.derivative_text}"

    # -- text --------------------------------------------------------------------------
    @property
    def expression_text(self) -> str:
        """The formula as SymPy reads it."""
        return str(self._compiled.expression)

    @property
    def stable_expression(self) -> str:
        """The formula as computed: rewritten into stable primitives."""
        return str(self._compiled.stable)

    @property
    def derivative_text(self) -> str:
        """g'(x), as derived symbolically and computed."""
        return str(self._compiled.derivative)

    def symbolic(self) -> dict[str, Any]:
        """The SymPy objects: ``expression`` (as parsed, standard functions), ``stable``
        (as computed), ``derivative``, ``variable`` and ``parameters`` (name -> Symbol).
        For reference implementations (e.g. evaluating the formula with torch ops)."""
        c = self._compiled
        return {"expression": c.expression, "stable": c.stable, "derivative": c.derivative,
                "variable": c.variable,
                "parameters": {p: s for p in c.params
                               for s in c.expression.free_symbols if s.name == p}}

    def parameter_derivative_text(self, name: str) -> str:
        """dg/d(name) for a learnable parameter."""
        return str(self._compiled.param_derivatives[self.learnable.index(name)])

    @property
    def display_name(self) -> str:
        return self.label or self.expression

    # -- parameters --------------------------------------------------------------------
    def build(self, n_units: int, dtype: np.dtype) -> None:
        dtype = np.dtype(dtype)
        for p in self.weights.values():
            if p.value.dtype != dtype:
                p.value = p.value.astype(dtype)
                p.grad = np.zeros_like(p.value)

    def parameters(self) -> list[Parameter]:
        return list(self.weights.values())

    def _values(self) -> dict[str, float]:
        values = dict(self.params)
        for name, p in self.weights.items():
            values[name] = float(p.value.reshape(-1)[0])
        return values

    # -- the maths ---------------------------------------------------------------------
    def _run(self, z: np.ndarray, which: tuple[int, ...]) -> list[np.ndarray]:
        return _evaluate(self._compiled, z, self._values(), which)

    def _forward(self, z: np.ndarray, training: bool) -> np.ndarray:
        return _cast(self._run(z, (0,))[0], z.dtype)

    def _derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        return _cast(self._run(z, (1,))[0], z.dtype)

    def _backward(self, z: np.ndarray, a: np.ndarray, grad: np.ndarray) -> np.ndarray:
        if not self.weights:
            return super()._backward(z, a, grad)
        which = (1, *range(2, 2 + len(self.learnable)))
        d, *dparams = self._run(z, which)
        g64 = np.asarray(grad, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            for name, dp in zip(self.learnable, dparams, strict=True):
                p = self.weights[name]
                dp *= g64
                p.grad[...] = np.asarray(dp.sum()).astype(p.grad.dtype)
            d *= g64
        return _cast(d, z.dtype)

    def get_config(self) -> dict[str, Any]:
        return {"expression": self.expression, "label": self.label,
                "params": dict(self.params), "learnable": list(self.learnable)}

    # -- pickling and copies: the compiled program is rebuilt from the config ----------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_compiled", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._compiled = _compile(self.expression, tuple(self.params), self.learnable)


def _cast(out: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if out.dtype == dtype:
        return out
    with np.errstate(over="ignore"):  # a value beyond float32's range is a true overflow
        return out.astype(dtype)


def from_formula(expression: str, name: str | None = None,
                 params: Mapping[str, float] | None = None,
                 learnable: Iterable[str] = ()) -> Formula:
    """An activation from a formula in x: ``from_formula("x * tanh(softplus(x))")``.

    Parameters
    ----------
    expression : str
        The formula (see :mod:`neuronlab.formula` for what is allowed).
    name : str, optional
        A display name (the activation's ``label``; its registry name stays
        ``"formula"``, which is what a saved model records with the expression).
    params : dict of str to float, optional
        Values of the parameters used in the formula.
    learnable : sequence of str
        Parameters to train (a learnable parameter starts at its value in ``params``).

    Raises
    ------
    FormulaError
        (a ValueError) for a refused or invalid formula, with what is allowed.

    Examples
    --------
    >>> g = from_formula("x * sigmoid(beta * x)", name="swish_b", params={"beta": 1.5})
    >>> g.derivative_text
    'beta*x*sigmoid(-beta*x)*sigmoid(beta*x) + sigmoid(beta*x)'
    """
    return Formula(expression, label=name, params=params, learnable=learnable)


def _read(text: str, **options: Any) -> Activation:
    """The activation a string that is no registered name stands for: a formula in x,
    or a ValueError naming the closest registered name when it looks like a mistyped
    name (``"rleu"``) rather than a formula."""
    try:
        return Formula(text, **options)
    except FormulaError as exc:
        if not looks_like_name(text):
            raise
        try:  # a mistyped name rather than a formula: say which name was meant
            REGISTRY.cls(text)
        except ValueError as unknown:
            raise ValueError(f"{unknown} Or write a formula in x, such as "
                             f"'x * sigmoid(x)'.") from None
        raise exc  # pragma: no cover - text is not registered


REGISTRY.read_unregistered_with(_read)
