r"""The user's letters for a claim's variables: ``check --symbols '\mu_q=mu1,\sigma_q=sigma1'``, or
the assignments of unknown letters to the claim's variables that ``check`` tries when none is given
(``docs/check.md``, "Your own letters").

A mapping is a table of names for the reader: the user's name reads as the claim's symbol, so a
formula under a mapping is read and checked exactly as if it were written in the claim's letters.
A claim name whose variable the mapping gives another name is no longer read (each variable has one
name), and a user name replaces a claim name it spells.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field

import sympy

from derivspec.core.claims import Claim
from derivspec.core.errors import FormulaError, ParameterError
from derivspec.core.formula import check_text
from derivspec.core.latex import display_name, name_key

MAX_ASSIGNMENTS = 120  # injective assignments of unknown letters to claim variables tried without --symbols
HINT = "; say which claim variable each of your letters is with --symbols 'YOURS=CLAIMS,...'"
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_ALIASES = ((r"\epsilon", r"\varepsilon"), (r"\phi", r"\varphi"), (r"\theta", r"\vartheta"), (r"\rho", r"\varrho"))


@dataclass(frozen=True)
class Structure:
    r"""The roles the names of a pasted left-hand side play, found by matching it with one of the
    claim's recognition shapes -- the matching ``scan`` uses to recognise a known result
    (:func:`derivspec.scan.known.roles_of_left_side`): ``D_{KL}(\mathcal N(\mu_q, \sigma_q^2) \|
    \mathcal N(\mu_p, \sigma_p^2))`` is the claim's ``\mathrm{KL}(\mathcal N(\mu_1, \sigma_1^2) \|
    \mathcal N(\mu_2, \sigma_2^2))``, so \mu_q is mu1 and \sigma_p is sigma2. ``pairs``: your LaTeX
    name -> the claim's variable name."""

    written: str
    shape: str
    pairs: tuple[tuple[str, str], ...]


@dataclass
class Notation:
    """The mapping a check used: (user name, claim name) pairs; ``inferred`` when check found it
    by trying assignments; ``structure`` when (some of) it came from the left-hand side's structure;
    ``alternatives``: every other mapping under which the formula was also proved equal (to the
    claim's result, or to the same known slip)."""

    pairs: list[tuple[str, str]]
    inferred: bool = False
    alternatives: list[list[tuple[str, str]]] = field(default_factory=list)
    structure: Structure | None = None

    def text(self) -> str:
        return show_pairs(self.pairs)

    @property
    def source(self) -> str:
        return "inferred" if self.inferred else "structure" if self.structure else "given"

    def to_json(self) -> dict:
        data = {"pairs": {user: name for user, name in self.pairs}, "source": self.source,
                "alternatives": [{user: name for user, name in pairs} for pairs in self.alternatives]}
        if self.structure:
            data["matched"] = {"written": self.structure.written, "shape": self.structure.shape,
                               "pairs": dict(self.structure.pairs)}
        return data


def show_pairs(pairs) -> str:
    return ", ".join(f"{user} = {name}" for user, name in pairs)


def latex_names(claim: Claim) -> dict[str, sympy.Symbol]:
    """The claim's LaTeX names, with the variant Greek letters (``\\varepsilon`` for ``\\epsilon``)."""
    names = dict(claim.latex_names)
    for a, b in _ALIASES:
        if a in names:
            names.setdefault(b, names[a])
        elif b in names:
            names.setdefault(a, names[b])
    return names


def latex_table(claim: Claim, mapping: dict[str, sympy.Symbol]) -> dict[str, sympy.Symbol]:
    """The names ``--latex`` reads under ``mapping`` (user LaTeX name -> claim symbol)."""
    keys = {name_key(user) for user in mapping}
    targets = set(mapping.values())
    table = {latex: symbol for latex, symbol in latex_names(claim).items()
             if symbol not in targets and name_key(latex) not in keys}
    table.update(mapping)
    return table


def formula_table(claim: Claim, mapping: dict[str, sympy.Symbol]) -> dict[str, sympy.Symbol]:
    """The names ``--formula`` reads under ``mapping`` (user identifier -> claim symbol)."""
    targets = set(mapping.values())
    table = {name: symbol for name, symbol in claim.symbols.items() if symbol not in targets and name not in mapping}
    table.update(mapping)
    return table


def _top_level_commas(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def parse_symbols(claim: Claim, text: str, latex: bool = True) -> tuple[dict[str, sympy.Symbol], list[list[str]]]:
    r"""``--symbols '\mu_q=mu1, \sigma_q=\sigma_1'`` as user name -> claim symbol (a claim name as
    ``--formula`` spells it, or its LaTeX name), and the user names of each pair. With --latex a
    pair may map an indexed family: ``a_n=x_i`` reads a_1, a_2, ... as the claim's x_1, x_2, ...
    (so that ``\sum_n a_n`` sums over the claim's items). Raises ParameterError (exit 2) for a
    malformed pair, a name that is not one LaTeX name (an identifier with --formula), a claim name
    the claim does not have, or a name or a variable given twice."""
    check_text(text, "--symbols")
    targets = dict(claim.symbols)
    for latex_name, symbol in latex_names(claim).items():
        targets.setdefault(latex_name, symbol)
    names = {symbol: name for name, symbol in claim.symbols.items()}
    mapping: dict[str, sympy.Symbol] = {}
    groups: list[list[str]] = []
    seen_keys: set = set()
    for part in _top_level_commas(text):
        user, sep, target = (s.strip() for s in part.partition("="))
        if not sep or not user or not target:
            raise ParameterError(f"--symbols expects YOUR_NAME=CLAIM_NAME pairs separated by commas, got {part.strip()!r}")
        if latex:
            try:
                key = name_key(user)
            except FormulaError:
                raise ParameterError(f"--symbols: {user!r} is not one LaTeX name (a letter or Greek command, "
                                     "with an accent and one subscript at most)") from None
        elif not _IDENTIFIER.fullmatch(user):
            raise ParameterError(f"--symbols: {user!r} is not a name (letters, digits and '_', as --formula reads)")
        else:
            key = user
        members = {user: targets[target]} if target in targets else _family(claim, key, target) if latex else None
        if not members:
            raise ParameterError(f"--symbols: {target!r} is not a variable of {claim.id}; its variables are: "
                                 f"{', '.join(claim.symbols)}")
        for member, symbol in members.items():
            member_key = name_key(member) if latex else member
            if member_key in seen_keys:
                raise ParameterError(f"--symbols gives {member} twice")
            if symbol in mapping.values():
                raise ParameterError(f"--symbols gives {names[symbol]} two names")
            seen_keys.add(member_key)
            mapping[member] = symbol
        groups.append(list(members))
    return mapping, groups


def _family(claim: Claim, user_key, target: str) -> dict[str, sympy.Symbol] | None:
    """``a_n=x_i``: the user's a_1, a_2, ... for the claim's x_1, x_2, ... (both indexed by one letter)."""
    try:
        target_key = name_key(target)
    except FormulaError:
        return None
    if not (target_key[2] and len(target_key[2]) == 1 and target_key[2].isalpha()):
        return None
    if not (user_key[2] and len(user_key[2]) == 1 and user_key[2].isalpha()):
        raise ParameterError(f"--symbols: {target} is a family of the claim's indexed names; give yours with a "
                             f"letter index too ({display_name((user_key[0], user_key[1], 'i'))}={target})")
    members = {}
    for latex_name, symbol in latex_names(claim).items():
        accent, base, sub = name_key(latex_name)
        if (accent, base) == target_key[:2] and sub and sub.isdigit():
            members[display_name((user_key[0], user_key[1], sub))] = symbol
    return dict(sorted(members.items())) or None


def require_used(groups: list[list[str]], used: set, latex: bool = True) -> None:
    """Each name (or indexed family) of ``--symbols`` must occur in the formula (``used``: the keys read)."""
    for group in groups:
        if not any((name_key(user) if latex else user) in used for user in group):
            shown = group[0] if len(group) == 1 else f"{group[0]}, ..."
            raise ParameterError(f"--symbols: {shown} does not occur in the formula")


def formula_identifiers(text: str) -> set[str]:
    """The identifiers of a ``--formula`` text (for :func:`require_used`)."""
    return set(_IDENTIFIER.findall(text))


def assignments(claim: Claim, unknown: list, used: set, error: FormulaError,
                taken: frozenset = frozenset()) -> list[dict[str, sympy.Symbol]]:
    """The injective assignments of the ``unknown`` name keys to the claim's variables and defined
    symbols not already named in the formula (``used``) nor given to another name (``taken``: the
    symbols a left-hand side's structure fixed), as user LaTeX name -> claim symbol.

    A letter keeps its meaning: one whose letter (and accent) the claim also uses with another
    subscript (``\\sigma_q`` beside the claim's ``\\sigma_1``) is assigned only to those variables;
    other letters may be any. Refuses (FormulaError, naming ``error``, the original problem) when
    there is no assignment or more than MAX_ASSIGNMENTS."""
    hint = HINT
    table = latex_names(claim)
    named = {symbol for latex_name, symbol in table.items() if name_key(latex_name) in used} | set(taken)
    free = [symbol for symbol in claim.symbols.values() if symbol not in named]
    by_letter: dict[tuple[str, str], list] = {}
    for latex_name, symbol in table.items():
        key = name_key(latex_name)
        by_letter.setdefault(key[:2], [])
        if symbol in free and symbol not in by_letter[key[:2]]:
            by_letter[key[:2]].append(symbol)
    allowed = [by_letter.get(key[:2], free) for key in unknown]
    users = [display_name(key) for key in unknown]
    found: list[dict[str, sympy.Symbol]] = []
    if math.prod(len(a) for a in allowed) <= 100 * MAX_ASSIGNMENTS:
        for chosen in itertools.product(*allowed):
            if len(set(chosen)) == len(chosen):
                found.append(dict(zip(users, chosen)))
    else:
        found = [{}] * (MAX_ASSIGNMENTS + 1)
    if not found:
        raise FormulaError(f"{error}{hint} (your letters cannot be given distinct claim variables: the claim has "
                           f"{len(free)} not written with their own names, and a letter the claim also uses keeps "
                           "its meaning)")
    if len(found) > MAX_ASSIGNMENTS:
        raise FormulaError(f"{error}{hint} ({len(unknown)} unknown letters over {len(free)} claim variables are "
                           f"over {MAX_ASSIGNMENTS} assignments, the most check tries)")
    return found


def structure_mapping(claim: Claim, structure: Structure) -> dict[str, sympy.Symbol]:
    """A structure's pairs as user LaTeX name -> claim symbol (as :func:`parse_symbols` gives them)."""
    return {user: claim.symbols[name] for user, name in structure.pairs}


def pairs_of(claim: Claim, mapping: dict[str, sympy.Symbol]) -> list[tuple[str, str]]:
    names = {symbol: name for name, symbol in claim.symbols.items()}
    return [(user, names[symbol]) for user, symbol in mapping.items()]
