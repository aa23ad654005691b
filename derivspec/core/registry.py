"""The registry: one source of truth for list, show, verify, check, errata and docs.

A claim is registered where it is defined, under a name a reader and a traceback can see::

    @claim("kl.gaussian.univariate")
    def kl_gaussian_univariate() -> Claim:
        return Claim(title=..., derivation=..., ...)

The function runs when the claim is first asked for, so ``check`` builds one claim, not the
catalogue. Families are discovered: every module under ``derivspec.derivations`` is imported.

Numeric evidence registers against claim ids, the way ``torch.distributions`` registers KL
pairs with ``register_kl``: ``numerics/`` adds :class:`RouteRecord` objects (routes, and the
behaviour checks of behaviour sources). The records are plain data here -- this layer never
imports torch -- and :meth:`Registry.validate` checks them against the claims: every claim has
a route, every route names real claims, and its parameters are the claim's variables.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

import sympy

from derivspec.core.claims import Claim
from derivspec.core.errors import ParameterError, RegistryError, UnknownClaimError

# Ids that moved, so an old command line still finds its claim.
RENAMED = {
    "entropy.categorical": "kl.entropy.categorical",
    "grad.logistic": "nll.grad.logistic",
    "grad.softmax.true-class": "nll.grad.softmax.true-class",
    "grad.softmax.other-class": "nll.grad.softmax.other-class",
    "grad.linear-regression": "nll.grad.linear-regression",
}


@dataclass(frozen=True)
class RouteRecord:
    """A numeric route or behaviour check registered by ``numerics/`` for some claims.

    ``kind`` is ``reference``, ``monte_carlo``, ``model`` or ``behaviour``; ``parameters`` are
    the names the route is called with (the claim's variables; for a behaviour, the source's
    ``at`` values); ``run`` is the callable ``numerics`` uses (opaque here). ``broken`` (behaviour
    checks): ``(description, keyword overrides)`` pairs -- a wrong rule, a shifted distribution, a
    broken model -- under which the check must report that the behaviour does not hold.
    ``placeholder``: a record made from the cached route index before its module is imported
    (``numerics.loading``); the module's own record replaces it when the module is imported.
    """

    name: str
    kind: str
    claims: tuple[str, ...]
    parameters: tuple[str, ...]
    description: str
    run: Callable
    module: str = ""
    broken: tuple[tuple[str, dict], ...] = ()
    placeholder: bool = False


@dataclass(frozen=True)
class SpecRecord:
    """An executable specification registered beside its reference model
    (``derivspec.reference_models.specification``): ``run(ctx) -> SpecResult`` (opaque here)."""

    name: str
    title: str
    family: str  # the claim family whose statements it makes executable
    module: str  # reference_models/<module>.py
    statements: str  # the lecture statements it makes executable, with their seed lines
    steps: int  # progress stages
    report: str  # "always" | "full" | "never": when the report runs it for its plots
    run: Callable


class Registry:
    """Claims (built on demand from their functions), the numeric routes registered for them and
    the executable specifications of the reference models."""

    def __init__(self, packages: tuple[str, ...] = ()):
        self.packages = packages  # discovered (imported) before the first look-up
        self._factories: dict[str, Callable[[], Claim]] = {}
        self._built: dict[str, Claim] = {}
        self._discovered = not packages
        self.routes: list[RouteRecord] = []
        self.import_errors: list[str] = []  # modules that failed to import: their claims/routes are missing
        self._problems: list[tuple[str | None, str]] | None = None
        self.known_modules: dict[str, str] = {}  # claim id -> module, from a previous discovery (the app's cache)
        self._specs: dict[str, SpecRecord] = {}
        self.specs_loaded = False  # set once every reference model has been imported

    # --- claims ---------------------------------------------------------------------------

    def claim(self, claim_id: str):
        """Decorator: register the function that builds claim ``claim_id``."""

        def register(build: Callable[[], Claim]):
            if claim_id in self._factories:
                raise RegistryError(f"claim {claim_id!r} registered twice "
                                    f"({self._factories[claim_id].__qualname__} and {build.__qualname__})")
            self._factories[claim_id] = build
            self._problems = None
            return build

        return register

    def discover(self) -> None:
        """Import every module of the registry's packages once (their decorators register)."""
        if self._discovered:
            return
        self._discovered = True
        for package_name in self.packages:
            import_all(package_name, self.import_errors)

    def ids(self) -> list[str]:
        self.discover()
        return list(self._factories)

    def modules(self) -> dict[str, str]:
        """Claim id -> the module that registers it (after discovery)."""
        self.discover()
        return {claim_id: build.__module__ for claim_id, build in self._factories.items()}

    def get(self, claim_id: str) -> Claim:
        """The claim, built on first use; an unknown id names the closest matches. With
        ``known_modules`` the claim's own module is imported instead of every family."""
        claim_id = RENAMED.get(claim_id, claim_id)
        if claim_id not in self._factories and claim_id in self.known_modules and not self._discovered:
            try:
                importlib.import_module(self.known_modules[claim_id])
            except Exception:
                pass  # discover() below imports everything and records the failure
        if claim_id not in self._factories:
            self.discover()
        if claim_id not in self._factories:
            close = difflib.get_close_matches(claim_id, list(self._factories), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else "; `derivspec list` shows all claims"
            raise UnknownClaimError(f"unknown claim {claim_id!r}{hint}")
        if claim_id not in self._built:
            build = self._factories[claim_id]
            built = build()
            if not isinstance(built, Claim):
                raise RegistryError(f"{build.__qualname__} (claim {claim_id}) returned {type(built).__name__}, not a Claim")
            self._built[claim_id] = dataclasses.replace(built, id=claim_id)
        return self._built[claim_id]

    def all_claims(self) -> list[Claim]:
        return [self.get(claim_id) for claim_id in self.ids()]

    def target(self, claim_id: str) -> sympy.Expr:
        """The derived target of another claim, for a derivation that starts from it."""
        return self.get(claim_id).target

    # --- routes ---------------------------------------------------------------------------

    def add_route(self, record: RouteRecord) -> RouteRecord:
        """Register ``record``; it takes the place of its module's placeholder for it, if there is one."""
        for i, r in enumerate(self.routes):
            if r.name == record.name and set(r.claims) & set(record.claims):
                if not (r.placeholder and r.module == record.module and r.claims == record.claims):
                    raise RegistryError(f"route {record.name} registered twice for {', '.join(record.claims)}")
                self.routes[i] = record
                break
        else:
            self.routes.append(record)
        self._problems = None
        return record

    def routes_for(self, claim_id: str, kinds: tuple[str, ...] = ("reference", "monte_carlo", "model")) -> list[RouteRecord]:
        return [r for r in self.routes if claim_id in r.claims and r.kind in kinds]

    def behaviour(self, claim_id: str, name: str) -> RouteRecord:
        for record in self.routes_for(claim_id, ("behaviour",)):
            if record.name == name:
                return record
        raise RegistryError(f"claim {claim_id} has no behaviour check named {name!r}")

    # --- executable specifications ----------------------------------------------------------

    def add_spec(self, record: SpecRecord) -> SpecRecord:
        if record.name in self._specs:
            raise RegistryError(f"specification {record.name!r} registered twice "
                                f"({self._specs[record.name].module} and {record.module})")
        if record.report not in ("always", "full", "never"):
            raise RegistryError(f"specification {record.name!r}: report must be always, full or never, "
                                f"not {record.report!r}")
        self._specs[record.name] = record
        return record

    def specs(self) -> list[SpecRecord]:
        """The specifications by name (not by the order their modules happened to be imported)."""
        return [self._specs[name] for name in sorted(self._specs)]

    def spec(self, name: str) -> SpecRecord:
        """The specification ``name``; an unknown name names the closest matches (bad input)."""
        if name not in self._specs:
            close = difflib.get_close_matches(name, list(self._specs), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(self._specs)}"
            raise ParameterError(f"unknown reference model {name!r}{hint}")
        return self._specs[name]

    def problems(self) -> list[tuple[str | None, str]]:
        """(claim id or None, message) for everything inconsistent: a route naming no claim or with
        parameters that are not the claim's variables, a claim without a route, a behaviour source
        without its check, a module that failed to import. A claim whose function raises is left
        to ``verify``, which reports it inconclusive."""
        problems = self.global_problems()
        for claim_id in self.ids():
            try:
                claim = self.get(claim_id)
            except Exception:
                claim = None
            problems += [(claim_id, message) for message in self.claim_problems(claim_id, claim)]
        return problems

    def global_problems(self) -> list[tuple[None, str]]:
        """The problems of no one claim: modules that failed to import, routes that name no claim (every
        derivation module is imported to know the ids; no claim is built)."""
        ids = self.ids()
        problems: list[tuple[None, str]] = [(None, message) for message in self.import_errors]
        for record in self.routes:
            for claim_id in record.claims:
                if claim_id not in ids:
                    close = difflib.get_close_matches(claim_id, ids, n=3, cutoff=0.5)
                    problems.append((None, f"route {record.name} names unknown claim {claim_id!r}"
                                     + (f" (did you mean {', '.join(close)}?)" if close else "")))
        return problems

    def claim_problems(self, claim_id: str, claim: Claim | None = None) -> list[str]:
        """The problems of one claim, from the routes registered so far (``claim``: the built claim, None
        where it cannot be built): a route whose parameters are not its variables, no route at all, a
        behaviour source without its check. What ``verify CLAIM`` reports without building the rest of
        the catalogue."""
        problems = []
        if claim is not None:
            for record in self.routes:
                if claim_id in record.claims and record.kind != "behaviour":
                    problems += _parameter_mismatch(record, claim_id, [v.name for v in claim.variables],
                                                    "its variables")
        if not self.routes_for(claim_id):
            problems.append(f"claim {claim_id} has no numeric route")
        if claim is not None:
            problems += self._behaviour_problems(claim)
        return problems

    def validate(self) -> None:
        """Raise RegistryError naming every problem (see :meth:`problems`)."""
        problems = self.problems()
        if problems:
            raise RegistryError("; ".join(message for _, message in problems))

    def _behaviour_problems(self, claim: Claim) -> list[str]:
        behaviours = {r.name: r for r in self.routes_for(claim.id, ("behaviour",))}
        problems, used = [], set()
        for source in claim.sources:
            if source.behaviour is None:
                continue
            record = behaviours.get(source.behaviour)
            if record is None:
                close = difflib.get_close_matches(source.behaviour, list(behaviours), n=3, cutoff=0.5)
                problems.append(f"source {source.file}:{source.lines} of {claim.id} names behaviour check "
                                f"{source.behaviour!r}, which is not registered"
                                + (f" (did you mean {', '.join(close)}?)" if close else ""))
                continue
            used.add(record.name)
            problems += _parameter_mismatch(record, claim.id, list(source.at),
                                            f"the values of its source {source.file}:{source.lines}")
        problems += [f"behaviour check {name} of {claim.id} is used by no source" for name in set(behaviours) - used]
        return problems


def _parameter_mismatch(record: RouteRecord, claim_id: str, expected: list[str], what: str) -> list[str]:
    missing = [n for n in expected if n not in record.parameters]
    extra = [n for n in record.parameters if n not in expected]
    if not missing and not extra:
        return []
    parts = []
    if missing:
        parts.append(f"lacks {', '.join(missing)}")
    for name in extra:
        close = difflib.get_close_matches(name, expected, n=1, cutoff=0.5)
        parts.append(f"has {name}" + (f" (did you mean {close[0]}?)" if close else ""))
    return [f"route {record.name} ({record.module}) does not match claim {claim_id}: its parameters "
            f"({', '.join(record.parameters)}) should be {what} ({', '.join(expected)}): {'; '.join(parts)}"]


def import_all(package_name: str, errors: list[str] | None = None) -> list[str]:
    """Import a package and every module below it; return the module names. With ``errors``,
    a module that fails to import is recorded there (one line) and the others still load."""
    package = importlib.import_module(package_name)
    names = [package_name]
    for module in pkgutil.walk_packages(package.__path__, prefix=package_name + ".",
                                        onerror=lambda name: errors.append(f"package {name} failed to import")
                                        if errors is not None else None):
        try:
            importlib.import_module(module.name)
        except Exception as error:
            if errors is None:
                raise
            errors.append(f"module {module.name} failed to import: {type(error).__name__}: "
                          + " ".join(str(error).split())[:300])
            continue
        names.append(module.name)
    return names


REGISTRY = Registry(packages=("derivspec.derivations",))
claim = REGISTRY.claim
get = REGISTRY.get
all_claims = REGISTRY.all_claims
target_of = REGISTRY.target
