"""The catalogue as the commands read it: claim listings, where each claim lives, which lectures
it cites, its route descriptions and its sources' statuses -- through the cache
(:mod:`derivspec.core.cache`), so that what one command computed another reads.

One key per source status, built by :func:`source_key` and nowhere else: ``verify`` writes the
statuses it computes under it (behaviour sources included, which train reference models), and
``list``, ``show``, ``errata``, ``coverage``, ``scan`` and the report read them with it, so a
``verify`` followed by ``errata`` recomputes nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Callable

from derivspec.core import cache as stored
from derivspec.core import registry
from derivspec.core.sources import SourceResult, compare_source

ROUTE_INDEX_SECONDS = 120  # building the route index in a child process (imports torch and every route)


def source_key(index: int, file: str, span, seed: int) -> str:
    """The cache key of a claim's ``index``-th source, cited at ``span`` = (first, last) of ``file``."""
    first, last = span
    return f"{index}:{file}:{int(first)}-{int(last)}:seed{seed}"


def open_cache() -> stored.SourceStatusCache:
    return stored.SourceStatusCache()


def source_results(claim, cache: stored.SourceStatusCache | None = None, seed: int = 0,
                   run_behaviour: Callable | None = None,
                   on_compute: Callable[[str], None] | None = None) -> list[SourceResult]:
    """Each source compared with the claim's target, through the cache when one is given.
    Without ``run_behaviour`` a behaviour source comes from the cache or is ``not_run``;
    ``on_compute(description)`` is called before each behaviour check that is not in the cache
    (it trains a model or runs a sampler, seconds each: the caller shows progress)."""
    results = []
    for index, source in enumerate(claim.sources):
        key = source_key(index, source.file, source.span, seed)
        cached = cached_source(cache, claim.id, index, source, seed) if cache else None
        if cached is not None and not (run_behaviour and source.behaviour and cached.status == "not_run"):
            results.append(cached)
            continue
        if on_compute is not None and source.behaviour and run_behaviour:
            on_compute(f"{claim.id}: {source.behaviour} ({source.file}, lines {source.lines})")
        result = compare_source(claim, source, seed, run_behaviour)
        if cache is not None and result.status != "not_run":
            cache.put(claim.id, key, {"status": result.status, "correct": result.correct, "evidence": result.evidence})
        results.append(result)
    return results


def cached_source(cache: stored.SourceStatusCache, claim_id: str, index: int, source, seed: int) -> SourceResult | None:
    """The cached status of claim ``claim_id``'s ``index``-th source, or None."""
    cached = cache.get(claim_id, source_key(index, source.file, source.span, seed))
    return None if cached is None else SourceResult(source, cached["status"], cached["correct"], cached["evidence"])


def source_entry(index: int, result: SourceResult, seed: int) -> tuple[str, dict] | None:
    """(key, value) under which a computed source status is cached (None for ``not_run``)."""
    if result.status == "not_run":
        return None
    return (source_key(index, result.source.file, result.source.span, seed),
            {"status": result.status, "correct": result.correct, "evidence": result.evidence})


# --- the listing and the module index ------------------------------------------------------


def claim_summary(claim, sources: list[SourceResult]) -> dict:
    """The ``list --json`` fields of one claim."""
    return {
        "id": claim.id, "title": claim.title, "family": claim.family,
        "symbols": [{"name": v.name, "latex": v.latex, "assumptions": dict(v.domain.assumptions),
                     "constraint": v.domain.constraint} for v in claim.variables],
        "defined": [{"name": d.name, "latex": d.latex, "expr": str(d.expr)} for d in claim.defined],
        "sources": [{"file": r.source.file, "lines": list(r.source.span), "as_written": r.source.as_written,
                     "status": r.status} for r in sources],
    }


def warn_import_errors() -> None:
    """A derivation module that failed to import loses its claims: say so on stderr."""
    for message in registry.REGISTRY.import_errors:
        print(f"derivspec: warning: {message}", file=sys.stderr)


def claim_listing() -> list[dict]:
    """``list --json``'s claims. Building every claim takes seconds, so the listing is kept in the
    cache under this code's fingerprint (with the module of every claim, which lets ``check``
    import one family module); source statuses are refreshed from the source-status cache, where
    ``verify`` records the behaviour sources it ran."""
    cache = open_cache()
    listing = stored.load("listing")
    if listing is None:
        listing, broken = [], False
        for claim_id in registry.REGISTRY.ids():
            try:
                claim = registry.get(claim_id)
                listing.append(claim_summary(claim, source_results(claim, cache)))
            except Exception as error:  # a defect in one claim: say so, list the rest
                print(f"derivspec: warning: claim {claim_id} could not be built: {type(error).__name__}: {error}",
                      file=sys.stderr)
                broken = True
        warn_import_errors()
        if not (broken or registry.REGISTRY.import_errors):
            stored.store("listing", listing)
            stored.store("modules", registry.REGISTRY.modules())
    for entry in listing:
        for index, source in enumerate(entry["sources"]):
            cached = cache.get(entry["id"], source_key(index, source["file"], source["lines"], 0))
            if cached is not None:
                source["status"] = cached["status"]
    cache.save()
    return listing


def use_module_index() -> None:
    """Let the registry import only the module of a claim asked for (known from the cache)."""
    registry.REGISTRY.known_modules = stored.load("modules") or {}


def cited_claims(file: str) -> list[str]:
    """Ids of the claims with a source in ``file``.

    From ``list``'s cached listing when there is one; otherwise every claim is built once (no
    source is compared: comparing every claim's sources is what made a first scan slow) and the
    files each claim cites are kept in the cache under the code's fingerprint."""
    use_module_index()
    listing = stored.load("listing")
    if listing is not None:
        return [entry["id"] for entry in listing if any(s["file"] == file for s in entry["sources"])]
    cited = stored.load("cited-files")
    if cited is None:
        cited, broken = {}, False
        for claim_id in registry.REGISTRY.ids():
            try:
                cited[claim_id] = sorted({s.file for s in registry.get(claim_id).sources})
            except Exception:  # a claim that cannot be built: its records say so
                cited[claim_id], broken = [file], True
        if not (broken or registry.REGISTRY.import_errors):
            stored.store("cited-files", cited)
            stored.store("modules", registry.REGISTRY.modules())
    return [claim_id for claim_id, files in cited.items() if file in files]


def recognisable_claims() -> list:
    """The claims that declare how ``scan`` recognises them (a ``recognise`` field). Finding them
    builds every claim once; their ids and modules are then cached, so a later scan imports only
    those claims' modules."""
    known = stored.load("recognisable")
    if known is not None:
        registry.REGISTRY.known_modules = {**(stored.load("modules") or {}), **known.get("modules", {})}
        claims = []
        for claim_id in known["ids"]:
            try:
                claims.append(registry.get(claim_id))
            except Exception:
                continue
        return claims
    claims, broken = [], False
    for claim_id in registry.REGISTRY.ids():
        try:
            claim = registry.get(claim_id)
        except Exception:
            broken = True
            continue
        if claim.recognise:
            claims.append(claim)
    if not broken and not registry.REGISTRY.import_errors:
        module_of = registry.REGISTRY.modules()
        stored.store("recognisable", {"ids": [c.id for c in claims], "modules": {c.id: module_of[c.id] for c in claims}})
    return claims


# --- route descriptions ----------------------------------------------------------------------


def describe_routes(reg: registry.Registry) -> list[dict]:
    """Every registered route as plain data (name, kind, claims, parameters, description, the module that
    registers it): what ``show`` prints, and what lets ``verify CLAIM`` start without importing the modules
    of the claim's routes (``numerics.loading.load_for``: each is imported by the claim's first check that
    runs one of its routes). Stored in the cache by whoever loads the numeric routes (``numerics.loading.load``)."""
    return [{"name": r.name, "kind": r.kind, "claims": list(r.claims), "parameters": list(r.parameters),
             "description": r.description, "module": r.module} for r in reg.routes]


def route_index() -> list[dict] | None:
    """The registered routes, from the registry's own registrations, without importing torch in
    this process: from the cache, where loading the numeric routes stores them; on a cold cache a
    child process loads them once (seconds). None when they cannot be loaded (no numeric extra)."""
    index = stored.load("routes")
    if index is None:
        program = ("import json; from derivspec.numerics.routes import load; "
                   "from derivspec.core.catalogue import describe_routes; print(json.dumps(describe_routes(load())))")
        try:
            child = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                                   timeout=ROUTE_INDEX_SECONDS, check=True)
            index = json.loads(child.stdout)
        except (OSError, subprocess.SubprocessError, ValueError):
            return None
        stored.store("routes", index)
    return index


def routes_of(claim_id: str, kinds=("reference", "monte_carlo", "model")) -> list[dict] | None:
    """The routes registered for ``claim_id`` (None when the route index cannot be loaded)."""
    index = route_index()
    if index is None:
        return None
    return [r for r in index if claim_id in r["claims"] and r["kind"] in kinds]


def claim_variables() -> dict:
    """Each claim's variable names (id -> set), kept in the cache under this code's fingerprint (building every
    claim takes seconds): what ``conform --suggest`` and the slip search's sibling claims read."""
    from derivspec.core import cache, registry

    stored = cache.load("claim-variables")
    if stored is not None:
        return {claim_id: set(names) for claim_id, names in stored.items()}
    found, broken = {}, False
    for claim_id in registry.REGISTRY.ids():
        try:
            found[claim_id] = {v.name for v in registry.get(claim_id).variables}
        except Exception:  # a claim that cannot be built is no candidate
            broken = True
    if not broken:
        cache.store("claim-variables", {k: sorted(v) for k, v in found.items()})
    return found
