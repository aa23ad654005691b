"""How the user's function is parameterised: ``args``, ``conventions`` and ``wrt``, read and checked.

Users parameterise differently from the claim: a KL written in log-variances takes
``lv1 = 2 log σ₁``; a DDPM step written in β_t and ᾱ_t takes ``beta_t = 1 - α_t`` and
``abar_t = α_t ᾱ_{t-1}``. ``args`` maps each parameter of the user's function to an expression in
the claim's symbols (read by :func:`derivspec.core.formula.parse_formula`, the reader ``check``
uses); ``"[h1, h2, h3]"`` is a list, passed as a 1-D array. Without ``args``, parameters named
like the claim's symbols (its variables or defined symbols) are matched by name.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

import sympy

from derivspec.core.claims import Claim
from derivspec.core.errors import FormulaError
from derivspec.core.formula import parse_formula
from derivspec.testing.errors import HINT_SYNTAX, ConformanceUsageError

REDUCTIONS = ("none", "mean", "sum")
LOG_BASES = {"e": sympy.E, "2": sympy.Integer(2), "10": sympy.Integer(10)}
CONVENTIONS = {"reduction": REDUCTIONS, "log_base": tuple(LOG_BASES)}
DEFAULT_CONVENTIONS = {"reduction": "none", "log_base": "e"}


@dataclass(frozen=True)
class Argument:
    """One parameter of the user's function: its name, the expression(s) in the claim's variables
    (defined symbols expanded), whether it is a list (a 1-D array) and whether it is passed as a
    whole number (a bare whole-number symbol: a count, a label; binary values come as floats)."""

    name: str
    text: str
    exprs: tuple[sympy.Expr, ...]
    is_list: bool
    integer: bool
    schedule: str | None = None  # handed by the check: the index t, or an array of a declared schedule
    constant: object = field(default=None, compare=False, hash=False)  # that array


def conventions_of(claim: Claim, conventions: Mapping | None) -> dict[str, str]:
    """The declared conventions, completed with the defaults; an unknown key or value is bad input."""
    chosen = dict(DEFAULT_CONVENTIONS)
    for key, value in (conventions or {}).items():
        if key not in CONVENTIONS:
            raise ConformanceUsageError(f"unknown convention {key!r}; the conventions are: "
                                        + ", ".join(f"{k} ({'|'.join(v)})" for k, v in CONVENTIONS.items()))
        text = _convention_value(value)
        if text not in CONVENTIONS[key]:
            raise ConformanceUsageError(f"convention {key}={value!r} is not one of {', '.join(CONVENTIONS[key])}")
        chosen[key] = text
    if chosen["log_base"] != "e" and not has_logarithm(claim):
        raise ConformanceUsageError(f"convention log_base does not apply to {claim.id}: its target has no logarithm "
                                    "(it is not a quantity in nats)")
    return chosen


def _convention_value(value) -> str:
    if isinstance(value, str):
        return value.strip().lower().removeprefix("'").removesuffix("'")
    if isinstance(value, (int, float)) and float(value) in (2.0, 10.0):
        return str(int(value))
    if isinstance(value, float) and abs(value - 2.718281828459045) < 1e-12:
        return "e"
    return str(value)


def has_logarithm(claim: Claim) -> bool:
    """Whether the claim's target is written with a logarithm (a quantity in nats, so that a base-2
    or base-10 implementation is a convention)."""
    return claim.expand_defined(claim.target).has(sympy.log)


def applicable_conventions(claim: Claim) -> dict[str, tuple[str, ...]]:
    """The conventions a user may declare for this claim (for the docs and ``show``)."""
    found = {"reduction": REDUCTIONS}
    if has_logarithm(claim):
        found["log_base"] = tuple(LOG_BASES)
    return found


def wrt_of(claim: Claim, wrt) -> tuple[str, ...]:
    """The claim variables a gradient is taken by; each must be a continuous variable of the claim."""
    if wrt is None:
        return ()
    names = (wrt,) if isinstance(wrt, str) else tuple(wrt)
    variables = {v.name: v for v in claim.variables}
    for name in names:
        if name not in variables:
            raise ConformanceUsageError(f"wrt names {name!r}, which is not a variable of {claim.id}; "
                                        f"its variables are: {', '.join(variables)}")
        domain = variables[name].domain
        if domain.values is not None or domain.integer:
            raise ConformanceUsageError(f"wrt names {name!r}, a whole-number variable of {claim.id}: "
                                        "there is no derivative by it")
    if len(set(names)) != len(names):
        raise ConformanceUsageError(f"wrt names a variable twice: {', '.join(names)}")
    return names


def parameters_of(fn: Callable) -> tuple[list[inspect.Parameter], bool]:
    """The function's parameters a value can be passed to by name, and whether it takes ``**kwargs``."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        raise ConformanceUsageError(f"cannot read the parameters of {_name(fn)}: give a Python function") from None
    named, keywords = [], False
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
            named.append(parameter)
        elif parameter.kind == parameter.VAR_KEYWORD:
            keywords = True
        elif parameter.kind == parameter.POSITIONAL_ONLY:
            raise ConformanceUsageError(f"{_name(fn)} has a positional-only parameter {parameter.name!r}: "
                                        "parameters are passed by name")
    return named, keywords


def arguments_of(claim: Claim, fn: Callable, args: Mapping | None, *, reserved: tuple[str, ...] = ()) -> list[Argument]:
    """Each parameter the function is given, with its expression in the claim's variables.

    ``args`` entries come first; the other parameters are matched by name to the claim's symbols;
    a parameter with a default that matches nothing keeps its default; one without is bad input.
    ``reserved`` names parameters the check passes itself (a sampler's ``n`` and ``rng``)."""
    parameters, keywords = parameters_of(fn)
    names = {p.name for p in parameters}
    args = dict(args or {})
    for key in args:
        if not isinstance(key, str) or not key.isidentifier():
            raise ConformanceUsageError(f"args key {key!r} is not a parameter name")
        if key not in names and not keywords:
            raise ConformanceUsageError(f"args names {key!r}, which is not a parameter of {_name(fn)} "
                                        f"(its parameters: {', '.join(sorted(names)) or 'none'})")
    symbols = claim.symbols
    result = []
    for parameter in parameters:
        if parameter.name in reserved:
            continue
        if parameter.name in args:
            result.append(read_argument(claim, parameter.name, args.pop(parameter.name)))
        elif parameter.name in symbols:
            result.append(read_argument(claim, parameter.name, parameter.name))
        elif parameter.default is parameter.empty:
            raise ConformanceUsageError(
                f"parameter {parameter.name!r} of {_name(fn)} is not a symbol of {claim.id} (its symbols: "
                f"{', '.join(symbols)}); map it with " + (f"--args {parameter.name}=EXPR (an expression in those symbols)"
                                                            if HINT_SYNTAX.get() == "cli" else
                                                            f"args={{{parameter.name!r}: 'an expression in those symbols'}}"))
    for key, value in args.items():  # **kwargs takes the rest
        result.append(read_argument(claim, key, value))
    if not result and not reserved:
        raise ConformanceUsageError(f"{_name(fn)} takes none of the symbols of {claim.id} "
                                    f"({', '.join(symbols)}): map its parameters with "
                                    + ("--args PARAM=EXPR" if HINT_SYNTAX.get() == "cli" else "args"))
    return result


def read_argument(claim: Claim, name: str, value) -> Argument:
    """``value`` (a formula, a list of formulas written ``[a, b]``, a list, or a SymPy expression) in
    the claim's symbols, defined symbols expanded; an expression naming no variable is bad input."""
    if isinstance(value, (list, tuple)):
        texts, is_list = [str(v) if not isinstance(v, sympy.Basic) else v for v in value], True
    elif isinstance(value, str) and value.strip().startswith("[") and value.strip().endswith("]"):
        texts, is_list = _split_list(value.strip()[1:-1]), True
    elif isinstance(value, (str, sympy.Basic)):
        texts, is_list = [value], False
    else:
        raise ConformanceUsageError(f"args[{name!r}] = {value!r}: give an expression in the claim's symbols as a string")
    if is_list and not texts:
        raise ConformanceUsageError(f"args[{name!r}] is an empty list")
    variables = {v.symbol for v in claim.variables}
    exprs = []
    for text in texts:
        if isinstance(text, sympy.Basic):
            expr = text
        else:
            try:
                expr = parse_formula(text, claim.symbols)
            except FormulaError as error:
                raise ConformanceUsageError(f"args[{name!r}] = {text!r}: {error}") from None
        expr = claim.expand_defined(sympy.sympify(expr))
        if not expr.free_symbols:
            raise ConformanceUsageError(f"args[{name!r}] = {text!r} names no symbol of {claim.id} "
                                        f"(its symbols: {', '.join(claim.symbols)})")
        unknown = expr.free_symbols - variables
        if unknown:
            raise ConformanceUsageError(f"args[{name!r}] = {text!r} uses {', '.join(sorted(map(str, unknown)))}, "
                                        f"not a symbol of {claim.id}")
        exprs.append(expr)
    integer = all(e.is_Symbol and _whole(claim, e) for e in exprs)
    shown = value if isinstance(value, str) else ("[" + ", ".join(map(str, texts)) + "]" if is_list else str(value))
    return Argument(name, shown, tuple(exprs), is_list, integer)


def _whole(claim: Claim, symbol: sympy.Symbol) -> bool:
    """A whole number handed as an integer: a count, a label, an index. A binary value (y in {0, 1}) or a
    sign (y in {-1, 1}) is handed as a float, the way code receives targets and labels of a binary loss."""
    var = next((v for v in claim.variables if v.symbol == symbol), None)
    if var is None or not (var.domain.integer or var.domain.values is not None):
        return False
    return var.domain.values is None or not set(var.domain.values) <= {-1, 0, 1}


def _split_list(text: str) -> list[str]:
    """Top-level comma-separated parts (commas inside parentheses belong to a function call)."""
    parts, depth, current = [], 0, []
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return [p for p in parts if p]


def parse_words(words: list[str], option: str) -> dict[str, str]:
    """``PARAM=EXPR`` words of the command line (an expression may contain commas and '=' is split
    at the first one)."""
    found = {}
    for word in words:
        name, sep, text = word.partition("=")
        name = name.strip()
        if not sep or not name or not text.strip():
            raise ConformanceUsageError(f"{option} expects NAME=VALUE, got {word!r}")
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise ConformanceUsageError(f"{option}: {name!r} is not a name")
        if name in found:
            raise ConformanceUsageError(f"{option} gives {name} twice")
        found[name] = text.strip()
    return found


def _name(fn) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
