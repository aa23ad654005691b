r"""The derivative of a function the lead-in sentence defines inline: ``The logistic sigmoid $\sigma(a) = 1/(1 +
e^{-a})$ has derivative $$\frac{d\sigma}{da} = \sigma(a)(1 - \sigma(a))$$`` (also ``\frac{\partial f}{\partial a}``,
``f'(a)``); the softplus ``$\zeta(x) = \log(1 + e^x)$`` whose derivative is the sigmoid, and so on.

Read by structure: the left side is the derivative of one function letter ``F`` in one variable ``v``; ``F`` is
bound only by a definition ``$F(u) = \dots$`` written inline in the lead-in (one, with one variable). The derivative
is computed here (SymPy) from that definition; on the other side ``F(v)`` and a bare ``F`` are read as the defined
function at ``v``.

* **proved** -- the other side equals the derivative of the definition.
* **disagrees** -- it differs (``\sigma(1 + \sigma)``, ``1 - \sigma``): the derivative in the lecture's letters and a
  counterexample.
* **unchecked** -- ``F`` applied to anything but ``v`` on the other side (``\sigma(1 - \sigma)`` reads both ways),
  other unknown functions.
"""

from __future__ import annotations

import re

import sympy
from sympy.core.function import AppliedUndef

from derivspec.core.numbers import fmt
from derivspec.scan.steps import Context, Side, StepResult, equation_values, known_result, read_side

CLAIM = None
RECOGNISED = {
    "derivative of a defined function": r"$\frac{dF}{dv}$, $F'(v)$ of a function the lead-in defines inline "
                                        r"($F(u) = \dots$), differentiated here from that definition",
}
_INLINE = re.compile(r"\$([^$]+)\$")
_PLACEHOLDER = r"(\mathrm{Q}_{defined})"


def _derivative_of(value, left_text: str):
    """(function letter as written, variable) of ``d/dv(F)`` or ``F'(v)``; None otherwise."""
    if isinstance(value, AppliedUndef) and len(value.args) == 1 and isinstance(value.args[0], sympy.Symbol):
        name = value.func.__name__
        match = re.fullmatch(r"d/d(.+)", name)
        if match:
            return value.args[0].name, match.group(1)
        if name.endswith("'") and name.count("'") == 1:
            return name[:-1], value.args[0].name
    match = re.fullmatch(r"\s*((?:\\[A-Za-z]+|[A-Za-z]))\s*'\s*\(\s*([A-Za-z])\s*\)\s*", left_text)
    if match:  # \sigma'(a): the reader may already read it as a known function's derivative
        return match.group(1), match.group(2)
    return None


def _definition(letter: str, context: Context):
    """(variable u, value) of the one inline ``letter(u) = value`` in the lead-in; None otherwise."""
    found = []
    pattern = re.compile(r"^\s*" + re.escape(letter) + r"(?![A-Za-z])\s*\(\s*([A-Za-z])\s*\)\s*=\s*([^=]+)$")
    for math in _INLINE.findall(context.lead_in or ""):
        match = pattern.match(math)
        if match:
            found.append(match.groups())
    if len(found) != 1:
        return None
    variable, text = found[0]
    side = read_side(text, context)
    if not side.readable:
        return None
    u = read_side(variable, context)
    try:
        value, u = side.primary.value(), u.primary.value()
    except Exception:
        return None
    if not isinstance(u, sympy.Symbol) or value.atoms(AppliedUndef) or value.free_symbols != {u}:
        return None
    return u, value, text.strip()


def check(left: Side, relation: str, right: Side, context: Context) -> StepResult | None:
    values = equation_values(left, relation, right)
    if values is None:
        return None
    found = _derivative_of(values[0], left.text)
    if found is None:
        return None
    letter, variable = found
    letter = re.sub(r"\s+", "", letter)
    defined = _definition(letter, context)
    if defined is None:
        return None
    u, definition, written_definition = defined
    v_side = read_side(variable, context)
    if not v_side.readable or not isinstance(v_side.primary.expr, sympy.Symbol):
        return None
    v = v_side.primary.expr
    result = known_result(relation, left.text, right.text, CLAIM, category="known result")
    token = re.escape(letter) + r"(?![A-Za-z])"
    applied = token + r"\s*(?:\\left)?\(\s*" + re.escape(variable) + r"\s*(?:\\right)?\)"
    text = re.sub(applied, lambda m: _PLACEHOLDER, right.text)
    if re.search(token + r"\s*(?:\\left)?\(", text) or re.search(token + r"\s*'", text):
        return result("unchecked", f"the derivative of {letter} (defined as {written_definition}), but the other "
                                   f"side applies {letter} to something other than {variable}: not read")
    text = re.sub(token, lambda m: _PLACEHOLDER, text)
    other_side = read_side(text, context)
    if not other_side.readable:
        return None
    try:
        other = other_side.primary.value()
    except Exception:
        return None
    placeholder = sympy.Symbol("Q_{defined}", real=True)
    at_v = definition.xreplace({u: v})
    other = other.xreplace({placeholder: at_v})
    if other.atoms(AppliedUndef) or not other.free_symbols <= {v}:
        return result("unchecked", f"the derivative of {letter} (defined as {written_definition}), but the other "
                                   "side uses names the definition does not have")
    derived = sympy.diff(definition, u).xreplace({u: v})
    reason = (f"the derivative of the function the lead-in defines, {letter}({sympy.latex(u)}) = {written_definition}, "
              f"computed here (SymPy)")
    if sympy.simplify(other - derived) == 0:
        return result("proved", f"{reason}: proved")
    correct = sympy.latex(derived)
    f = sympy.Symbol("F_defined")
    for form in (f * (1 - f), 1 - f**2, f, f**2):
        if sympy.simplify(form.xreplace({f: at_v}) - derived) == 0:
            applied = f"{letter}({variable})"
            correct = sympy.latex(form).replace("F_{defined}", applied)
            break
    for value in (sympy.Rational(1, 3), sympy.Rational(-5, 4), sympy.Rational(2), sympy.Rational(7, 10)):
        a, b = sympy.N(other.xreplace({v: value}), 30), sympy.N(derived.xreplace({v: value}), 30)
        if a.is_real and b.is_real and abs(a - b) > 1e-9 * (1 + abs(b)):
            return result("disagrees", f"disagrees with {reason}: the derivative is {correct}",
                          f"at {variable}={value}: as written {fmt(float(a), '.12g')}, derived {fmt(float(b), '.12g')}", correct)
    return result("unchecked", f"{reason}: differs symbolically but no instance shows it")
