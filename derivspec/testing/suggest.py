"""``--suggest``: what does my function compute? The claims whose symbols fit the function's parameters
(by name, or through ``args``) are tried one by one; those it conforms to are listed, each with the
declarations it needs (``--up-to sign``, a reduction, ``--precision float32``) -- never one it fails
with a registered slip of that claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

from derivspec.core import registry
from derivspec.core.catalogue import claim_variables
from derivspec.core.claims import Claim
from derivspec.testing.arguments import arguments_of, parameters_of
from derivspec.testing.callables import as_function
from derivspec.testing.declarations import declaration_text
from derivspec.testing.errors import ConformanceInconclusive, ConformanceUsageError, NonConformance

SUGGEST_EXAMPLES = 40  # inputs per candidate claim: a first sieve, then the suggestion is checked again


@dataclass
class Suggestion:
    """A claim the function conforms to: ``claim``, ``title`` and ``declared`` -- what it needs
    (``{"up_to": ["sign"]}``, ``{"conventions": {"reduction": "sum"}}``), empty when nothing."""

    claim: str
    title: str
    declared: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"claim": self.claim, "title": self.title, "declared": dict(self.declared),
                "options": declaration_text(self.declared, "cli") if self.declared else ""}

    def __str__(self) -> str:
        if self.declared.get("unstable"):
            return f"{self.claim}: {self.title}  (numerically unstable at some edge inputs)"
        needs = f"  (with {declaration_text(self.declared)})" if self.declared else ""
        return f"{self.claim}: {self.title}{needs}"


def fits(claim: Claim, fn: Callable, args: Mapping | None) -> bool:
    """Whether the function's parameters can be handed the claim's variables and together take all of them."""
    try:
        arguments = arguments_of(claim, fn, args)
    except ConformanceUsageError:
        return False
    taken = set()
    for argument in arguments:
        for expr in argument.exprs:
            taken |= expr.free_symbols
    return all(v.symbol in taken for v in claim.variables)


def suggest(fn: Callable, *, args: Mapping | None = None, seed: int = 0) -> list[Suggestion]:
    """The claims ``fn`` conforms to, with the declarations each needs."""
    fn = as_function(fn)
    found = []
    for claim_id in candidates(fn, args):
        try:
            claim = registry.get(claim_id)
        except Exception:  # a claim that cannot be built is no candidate (list and verify report it)
            continue
        if not fits(claim, fn, args):
            continue
        declared = _declared(claim_id, fn, args, seed)
        if declared is not None:
            found.append(Suggestion(claim_id, claim.title, declared))
    return found


def candidates(fn: Callable, args: Mapping | None) -> list[str]:
    """Claim ids whose symbols (from ``list``'s cached listing: no claim is built) name every parameter
    the function needs that ``args`` does not map, and whose variables the parameters and the
    ``args`` expressions could cover (a diffusion function may take alpha_bar_t and beta_t, the
    claims' defined symbols, for alpha_t and alpha_bar_prev; :func:`fits` decides)."""
    from derivspec.core import cache

    parameters, _ = parameters_of(fn)
    mapped = dict(args or {})
    needed = {p.name for p in parameters if p.default is p.empty and p.name not in mapped}
    words = {p.name for p in parameters} | {w for text in mapped.values() for w in re.findall(r"[A-Za-z_]\w*", str(text))}
    found = []
    listing = cache.load("listing")  # list's listing, when a `list` has run on this code; else the claims
    symbols = {e["id"]: {v["name"] for v in e["symbols"]} for e in listing} if listing else claim_variables()
    for claim_id, names in symbols.items():
        if needed <= names | {"alpha_bar_t", "beta_t"} and names <= words | {"alpha_t", "alpha_bar_prev"}:
            found.append(claim_id)
    return found


def _declared(claim_id: str, fn, args, seed: int) -> dict | None:
    """What the function needs to conform to the claim (empty: nothing), or None when it does not."""
    from derivspec.testing.conforms import conforms

    options = {"args": args, "seed": seed, "max_examples": SUGGEST_EXAMPLES}
    try:
        conforms(claim_id, fn, **options)
        return {}
    except (ConformanceInconclusive, ConformanceUsageError):
        return None
    except NonConformance as failure:
        declared = {}
        if failure.kind == "unstable" and failure.details.get("region") == "all":
            return {"unstable": True}  # right on every typical input, not stable at an edge: it is what it computes
        if failure.kind == "batch" and failure.declaration is not None:
            declared.update(failure.declaration)  # a batch loss (a reduction), or code for one input at a time
        elif failure.convention is not None and failure.slip is None:
            declared["conventions"] = dict(failure.convention)
        elif failure.declaration is not None:
            declared.update(failure.declaration)
        else:
            return None
    keywords = {"conventions": declared.get("conventions"), "up_to": declared.get("up_to"),
                "precision": declared.get("precision"), "batching": declared.get("batching")}
    try:
        conforms(claim_id, fn, **options, **keywords)
    except (NonConformance, ConformanceInconclusive, ConformanceUsageError):
        return None
    return declared
