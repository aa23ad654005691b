r"""Whether the definitions a document gives of a claim's names are the claim's own meaning of them.

A statement recognised as a claim is compared with the claim's names read in the claim's meaning
(``\bar\alpha_t`` the cumulative product, ``\beta_t = 1 - \alpha_t``). When the document defines one of
those names near the statement (``\bar\alpha_t = \prod_{s=1}^{t}\alpha_s``, ``\alpha_t = 1 - \beta_t``), a
disagreement stands only if the document's definitions are that meaning. Checked by structure, not by
spelling: each definition is instantiated at concrete indices (``t = 1 .. 4``), and

* every relation the claim defines its names by (``\bar\alpha_t = \alpha_t \bar\alpha_{t-1}``) must hold
  identically once the document's definitions are substituted, at random values of what remains; and
* the claim's free variables, written through the document's definitions, must still vary independently
  (a Jacobian of full rank), so the claim's counterexample is a point the document's reading reaches.

Any name the document defines that is not one of the claim's, an index other than the claim's, or a
definition that cannot be read, is no agreement: the caller then keeps the statement unchecked.
"""

from __future__ import annotations

import random
import re

import sympy
from sympy.core.function import AppliedUndef

from derivspec.scan.names import NameKey
from derivspec.scan.steps import Context, read_side

INDICES = 4  # definitions instantiated at t = 1 .. INDICES
_SCRIPT = re.compile(r"([_^])(?:\{([^{}]*)\}|([A-Za-z0-9]))")


def at_index(latex: str, letter: str, value: int) -> str | None:
    """``latex`` with each sub- or superscript that is arithmetic in ``letter`` (``t``, ``t-1``) evaluated
    at ``letter = value``; None when an index evaluates below 0."""
    low = []

    def replace(m: re.Match) -> str:
        content = m.group(2) if m.group(2) is not None else m.group(3)
        if not re.fullmatch(r"[\s0-9+\-]*" + re.escape(letter) + r"[\s0-9+\-]*", content or ""):
            return m.group(0)
        number = eval(content.replace(letter, f"({value})"), {"__builtins__": {}})  # digits, letter, + and - only
        if number < 0:
            low.append(number)
        return f"{m.group(1)}{{{number}}}"
    text = _SCRIPT.sub(replace, latex)
    return None if low else text


def _family(key: NameKey) -> tuple:
    return key.accents, key.base


def _key(latex: str, context: Context) -> NameKey | None:
    """The key of ``latex`` read as one name (``\\bar{\\alpha}_t``, ``\\mathbf x_{t-1}``)."""
    read = _read(latex, context)
    return NameKey.of_expression(read) if isinstance(read, sympy.Symbol) else None


def _read(latex: str, context: Context):
    side = read_side(latex, context)
    return side.primary.expr if side.readable else None


def _index_letter(claim, context: Context) -> str | None:
    letters = set()
    for item in (*claim.variables, *claim.defined):
        key = _key(item.latex, context)
        if key is not None and key.sub:
            letters |= set(re.findall(r"[A-Za-z]", key.sub))
    return letters.pop() if len(letters) == 1 else None


def _declared_cumulative(claim_id: str, definitions, context: Context) -> bool:
    r"""Every definition is the cumulative product of the one-step rates (``\gamma_t = \prod_{s=1}^t (1 - \beta_s)``)
    of a name other than the claim's ``\bar\alpha_t``, which derivspec.scan.ddpm_kernel.marginal already read as
    ``\bar\alpha_t`` when it compared the marginal with the claim: the document's reading is the one compared."""
    from derivspec.scan.ddpm_kernel import MARGINAL, _cumulative_names

    diffusion = getattr(context, "diffusion", None)
    if claim_id != MARGINAL or diffusion is None:
        return False
    for _, name, value in definitions:
        declared = _cumulative_names(f"{name} = {value}")
        if len(declared) != 1 or declared[0] == ((r"\bar",), r"\alpha") or declared[0] not in diffusion.cumulative:
            return False
    return True


def agree(claim_id: str, definitions: list[tuple[int, str, str]], context: Context, more: tuple = (),
          seed: int = 0) -> bool:
    """Whether the document's ``definitions`` (line, name, value) of the claim's names are its meaning, read
    together with ``more`` of its definitions near the statement (those of names the claim does not have are
    left out; a name in ``definitions`` the claim does not have is no agreement)."""
    from derivspec.core import registry
    try:
        claim = registry.get(claim_id)
    except Exception:
        return False
    letter = _index_letter(claim, context)
    if letter is None or not claim.defined or not definitions:
        return False
    if _declared_cumulative(claim_id, definitions, context):
        return True
    families = {_family(k) for k in (_key(i.latex, context) for i in (*claim.variables, *claim.defined)) if k}
    table: dict[NameKey, sympy.Expr] = {}
    extra = [d for d in more if d not in definitions]
    for number, (_, name, value) in enumerate([*definitions, *extra]):
        key = _key(name.strip(), context)
        if key is None or _family(key) not in families or re.sub(r"[{}\s]", "", key.sub) != letter:
            if number >= len(definitions):
                continue
            return False  # a name the claim does not have, or indexed otherwise: not the claim's meaning
        for n in range(1, INDICES + 1):
            left, right = at_index(name, letter, n), at_index(value, letter, n)
            lhs = _read(left, context) if left else None
            rhs = _read(right, context) if right else None
            lhs_key = NameKey.of_expression(lhs) if lhs is not None else None
            if lhs_key is None or rhs is None or rhs.atoms(AppliedUndef) or rhs.has(sympy.Product, sympy.Sum):
                return False
            if table.get(lhs_key, rhs) != rhs:
                return False  # defined twice, otherwise
            table[lhs_key] = rhs

    def resolve(expr: sympy.Expr) -> sympy.Expr:  # the document's definitions, until nothing changes
        for _ in range(len(table) * INDICES + 1):
            swap = {}
            for s in expr.free_symbols:
                key = NameKey.of_expression(s)
                if key in table:
                    swap[s] = table[key]
            if not swap:
                return expr
            expr = expr.xreplace(swap)
        return None  # definitions that refer to each other

    used = {_family(k) for k in (NameKey.of_expression(x) for e in table.values() for x in e.free_symbols) if k}
    mapping = {}
    for item in (*claim.variables, *claim.defined):  # the claim's names at t = INDICES, as the document defines them
        text = at_index(item.latex, letter, INDICES)
        read = _read(text, context) if text else None
        if read is None or not isinstance(read, sympy.Symbol):
            return False
        if item in claim.defined and NameKey.of_expression(read) not in table and _family(
                NameKey.of_expression(read)) not in used:
            continue  # the document neither defines nor uses it: the claim's own definition
        resolved = resolve(read)
        if resolved is None:
            return False
        mapping[item.symbol] = resolved
    for d in claim.defined:
        if d.symbol not in mapping:
            mapping[d.symbol] = claim.expand_defined(d.symbol).xreplace(mapping)
    rng = random.Random(seed)
    relations = [d.symbol - d.expr for d in claim.defined]
    written = [r.xreplace(mapping) for r in relations]
    free = [mapping[v.symbol] for v in claim.variables if mapping[v.symbol].free_symbols]
    primitives = sorted(set().union(*(e.free_symbols for e in (*written, *free))), key=str)
    if len(free) != len(claim.variables):
        return False
    for _ in range(3):
        point = {p: sympy.Rational(rng.randint(5, 95), 100) for p in primitives}
        try:
            if any(abs(complex(sympy.N(e.xreplace(point), 30))) > 1e-12 for e in written):
                return False
        except (TypeError, ValueError):
            return False
    jacobian = sympy.Matrix([[sympy.diff(f, p) for p in primitives] for f in free])
    point = {p: sympy.Rational(rng.randint(5, 95), 100) for p in primitives}
    try:
        return jacobian.xreplace(point).rank() == len(free)
    except Exception:
        return False
