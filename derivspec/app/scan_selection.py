"""``scan --select`` / ``--ignore``: which statements a scan reports, by claim family, statement class and rule code.

A value is a claim family (the first dotted part of a claim id: ``kl``, ``nll``), a longer prefix
of claim ids at a dot (``kl.gaussian``, ``nll.grad.softmax.jacobian``), a statement class
(derivspec.scan.classify.CLASSES, spaces or hyphens: ``worked-number``, ``"known result"``), a rule
code or a prefix of codes (``DS201``, ``DS2``: derivspec.scan.rules.registry; ``derivspec rules`` lists them),
a rule's name (``pmf-sums-to-one``) or a family of rules (``laws``: ``derivspec rules --family laws``).
A code in ``--select`` runs its rules even in preview and reports the flags they and the judge's codes
raise; a code in ``--ignore`` does not run them (a statement keeps the judge's verdict) and drops the
judge's flags of that code.
Values are comma-separated and the options repeatable. A record is selected when ``--select`` is
not given or one of its values matches it (its claim, or its class), and then dropped when an
``--ignore`` value matches it. An unknown value is bad input: one line naming the close matches,
exit code 2, before any file is read.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from derivspec.core.errors import DerivspecError


def _class_name(value: str) -> str:
    return " ".join(value.replace("-", " ").replace("_", " ").split()).lower()


def _values(given) -> list[str]:
    return [part.strip() for item in given or () for part in str(item).split(",") if part.strip()]


def _rule_code(value: str) -> bool:
    from derivspec.scan.rules.registry import is_code

    return is_code(value)


def _rules_named(value: str) -> list[str]:
    """The codes a rule's name (``step-differs``) or a family of rules (``laws``) stands for; [] for
    neither."""
    from derivspec.scan.rules.registry import BY_NAME, RULES

    value = value.lower().replace("_", "-")
    if value in BY_NAME:
        return [BY_NAME[value].code]
    return [r.code for r in RULES if r.family == value]


def choices() -> tuple[str, str, str]:
    """(the rule codes by family, the claim families, the statement classes) as the help of
    ``--select`` / ``--ignore`` lists them: ``DS001-DS005 judge, DS101-DS104 dependence, ...``."""
    from derivspec.scan.rules.registry import FAMILIES, RULES

    codes = []
    for family, _ in FAMILIES:
        members = [r.code for r in RULES if r.family == family]
        if members:
            codes.append(f"{members[0]}-{members[-1]} {family}")
    families, classes, _ = known_values()
    return ", ".join(codes), ", ".join(families), ", ".join(c.replace(" ", "-") for c in classes)


def known_values() -> tuple[list[str], list[str], set[str]]:
    """(families, classes, claim ids) the options accept."""
    from derivspec.core import registry
    from derivspec.scan.classify import CLASSES

    ids = set(registry.REGISTRY.ids())
    return sorted({claim.split(".")[0] for claim in ids}), list(CLASSES), ids


@dataclass(frozen=True)
class Selection:
    select: tuple = ()  # ("claim", "kl") or ("class", "identity") pairs
    ignore: tuple = ()

    @classmethod
    def parse(cls, select=(), ignore=()) -> "Selection":
        """The options' values checked against the registry and the classes."""
        chosen = {"--select": _values(select), "--ignore": _values(ignore)}
        if not any(chosen.values()):
            return cls()
        families, classes, ids = known_values()
        parsed = {}
        for option, values in chosen.items():
            parsed[option] = []
            for value in values:
                if _rule_code(value):
                    parsed[option].append(("rule", value.upper()))
                elif _rules_named(value):  # a rule's name, or a family of rules
                    parsed[option] += [("rule", found) for found in _rules_named(value)]
                elif _class_name(value) in classes:
                    parsed[option].append(("class", _class_name(value)))
                elif value in ids or any(claim.startswith(value + ".") for claim in ids):
                    parsed[option].append(("claim", value))
                else:
                    names = families + [c.replace(" ", "-") for c in classes]
                    close = difflib.get_close_matches(value, names + sorted(ids), n=3, cutoff=0.6)
                    known = (f"did you mean {', '.join(close)}?" if close else
                             f"families: {', '.join(families)}; classes: {', '.join(names[len(families):])}; "
                             f"rule codes: {choices()[0]} (derivspec rules)")
                    raise DerivspecError(f"scan {option}: unknown claim family, statement class or rule code "
                                         f"{value!r} ({known})")
        return cls(tuple(parsed["--select"]), tuple(parsed["--ignore"]))

    def rules(self, preview: bool = False) -> frozenset:
        """The codes of the coded rules a scan runs (derivspec.scan.rules.registry.select)."""
        from derivspec.scan.rules.registry import select

        return select([v for w, v in self.select if w == "rule"], [v for w, v in self.ignore if w == "rule"], preview)

    @staticmethod
    def _matches(record, values) -> bool:
        for what, value in values:
            if what == "rule" and (record.rule_code or "").startswith(value):
                return True
            if what == "class" and record.category == value:
                return True
            if what == "claim" and record.claim and (record.claim == value or record.claim.startswith(value + ".")):
                return True
        return False

    def __bool__(self) -> bool:
        return bool(self.select or self.ignore)

    def keeps(self, record) -> bool:
        return ((not self.select or self._matches(record, self.select))
                and not self._matches(record, self.ignore))

    def apply(self, records) -> list:
        return [r for r in records if self.keeps(r)]
