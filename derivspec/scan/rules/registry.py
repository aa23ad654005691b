r"""The rule registry: every coded check ``scan`` can raise, as ruff's rules are (docs/rules/index.md).

The rules' knowledge -- code, name, kind, property, mechanism, status, family and documentation -- is data:
``derivspec/data/knowledge/rules.toml`` (its header describes the fields), read once per process into
:class:`Rule` rows. Here: lookup (:func:`rule`, :func:`family`, :func:`matching`), :func:`select` (``--select`` /
``--ignore`` / ``--preview`` into the codes a scan runs) and :func:`judge_code`.
"""

from __future__ import annotations

import difflib
import importlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

TABLE = Path(__file__).resolve().parents[2] / "data" / "knowledge" / "rules.toml"


@dataclass(frozen=True)
class Rule:
    """A row of rules.toml (the fields are described there)."""

    code: str
    name: str
    kind: str
    property: str
    mechanism: str
    check: str = ""
    status: str = "preview"
    what: str = ""
    why: str = ""
    example: str = ""
    message: str = ""
    correct: str = ""
    guards: tuple = ()
    family: str = ""
    through: tuple = ()
    reads: str = "definitions"

    @property
    def function(self):
        module, _, name = self.check.rpartition(".")
        return getattr(importlib.import_module(f"derivspec.scan.rules.{module}"), name)

    @property
    def summary(self) -> str:
        """One line: the first sentence of :attr:`what` without its asides (`` -- … -- `` and brackets):
        what ``derivspec rules`` lists."""
        first = self.what.split(". ")[0].strip().rstrip(".")
        first = re.sub(r"\s+--\s.*?\s--(?=[\s:,])", "", first)
        first = re.sub(r"\s+\([^()]*\)", "", first)  # an aside, not an argument list: p(z | x) stays
        if len(first) > 100 and ": " in first:  # a long sentence's statement, without its explanation
            first = first.split(": ")[0]
        return " ".join(first.split()) + "."

    @property
    def not_flagged(self) -> tuple:
        """The rule's own guards, then the common ones it does not see through (a rule reading every statement,
        DS211, reads limits and a size defined further down: a count and a normaliser disagree whatever N is)."""
        seen = set(self.through) | ({"limits", "later"} if self.reads == "statements" else set())
        return tuple(self.guards) + tuple(text for key, text in COMMON_GUARDS.items() if key not in seen)


_DATA = tomllib.loads(TABLE.read_text(encoding="utf-8"))
COMMON_GUARDS = _DATA["common_guards"]  # key -> text, in page order
RULES = tuple(Rule(**{**row, "guards": tuple(row.get("guards", ())), "through": tuple(row.get("through", ()))})
              for row in _DATA["rule"])
BY_CODE = {rule.code: rule for rule in RULES}
BY_NAME = {rule.name: rule for rule in RULES}
FAMILIES = tuple(_DATA["families"].items())  # in code order: DS0, DS1, ... DS4


def rule(code: str) -> Rule:
    """The rule of ``code`` (``DS201``) or of its name (``pmf-sums-to-one``); KeyError naming close codes
    and names when there is none."""
    found = BY_CODE.get(code.upper()) or BY_NAME.get(code.lower().replace("_", "-"))
    if found is None:
        close = difflib.get_close_matches(code.upper(), list(BY_CODE), n=3, cutoff=0.5)
        close += difflib.get_close_matches(code.lower(), list(BY_NAME), n=3, cutoff=0.6)
        raise KeyError(f"no rule {code!r}" + (f" (did you mean {', '.join(close)}?)" if close else
                                               "; `derivspec rules` lists them"))
    return found


def family(name: str) -> list[Rule]:
    """The rules of a family (``laws``); KeyError naming the families when there is none."""
    members = [r for r in RULES if r.family == name.lower()]
    if not members:
        raise KeyError(f"no rule family {name!r}; the families: {', '.join(f for f, _ in FAMILIES)}")
    return members


def is_code(value: str) -> bool:
    """``DS201`` or a prefix of codes (``DS2``, ``DS``)."""
    value = value.upper()
    return value.startswith("DS") and any(code.startswith(value) for code in BY_CODE)


def matching(value: str) -> list[Rule]:
    value = value.upper()
    return [r for r in RULES if r.code.startswith(value)]


def select(select_values=(), ignore_values=(), preview: bool = False) -> frozenset:
    """The codes of the checking rules a scan runs: default ones, preview ones under ``preview``, any selected by a
    code or prefix; less those ignored. The judge's codes are never run here (the judge raises them)."""
    chosen = {r.code for r in RULES if r.mechanism != "judge" and (r.status == "default" or preview)}
    for value in select_values:
        chosen |= {r.code for r in matching(value) if r.mechanism != "judge"}
    for value in ignore_values:
        chosen -= {r.code for r in matching(value)}
    return frozenset(chosen)


def judge_code(kind: str, category: str, relation: str = "") -> str:
    """The code of a judge's flag: a registered source that disagrees with its claim (DS005), a standard result
    (DS002), a worked number (DS003), an inequality (DS004), any other relation whose sides differ (DS001)."""
    if kind == "source":
        return "DS005"
    if kind == "known" or category == "known result":
        return "DS002"
    if kind == "number" or category == "worked number":
        return "DS003"
    if category == "inequality" or relation in ("≤", "≥", "<", ">"):
        return "DS004"
    return "DS001"
