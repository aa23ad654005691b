"""When the numerics modules are imported: all at once (:func:`load`), or each at the first check that runs
one of its routes (:func:`load_for`).

Importing a numerics module imports torch and the reference models (seconds), so ``verify CLAIM`` registers
the claim's routes from the cached route index (``derivspec.core.catalogue.describe_routes``, stored by
:func:`load` under the code's fingerprint, so it is never stale) as *placeholders*: records with the route's
name, kind, claims, parameters and module whose ``run`` imports the module and runs the route the module
registers. The import, torch's included, is then part of the claim's checks (and of their measured time),
not of the command's start-up. A module's own registrations replace its placeholders in place
(:meth:`derivspec.core.registry.Registry.add_route`), however it comes to be imported. Standard library and
the core layer only: this module never imports torch itself.
"""

from __future__ import annotations

import importlib

from derivspec.core.errors import RegistryError
from derivspec.core.registry import REGISTRY, Registry, RouteRecord, import_all

_LOADED: set[int] = set()


def load(registry: Registry = REGISTRY) -> Registry:
    """Import every numerics module (their decorators register). ``registry.problems()`` then
    says what is inconsistent; ``verify`` reports a claim's problems as its reason (the claim is
    inconclusive) and runs the rest, and property_tests/test_registry.py requires none."""
    if id(registry) not in _LOADED:
        import_all(__package__, registry.import_errors)
        _LOADED.add(id(registry))
        if registry is REGISTRY and not registry.import_errors:  # what `show` reads without importing torch
            from derivspec.core import cache
            from derivspec.core.catalogue import describe_routes

            cache.store("routes", describe_routes(registry))
    return registry


def fully_loaded(registry: Registry = REGISTRY) -> bool:
    """Whether every numerics module has been imported into ``registry`` (:func:`load`)."""
    return id(registry) in _LOADED


def load_for(claim_ids, registry: Registry = REGISTRY) -> Registry:
    """The routes of ``claim_ids`` -- and only those -- registered as placeholders from the cached route
    index, their modules not yet imported: ``verify CLAIM`` starts without torch. Without an index, or where
    neither it nor the registry names a route for a claim (a claim without a route: :meth:`Registry.claim_problems`
    must see every route), every module is imported now (:func:`load`)."""
    if id(registry) in _LOADED:
        return registry
    from derivspec.core import cache

    index = cache.load("routes") if registry is REGISTRY else None
    wanted = set(claim_ids)
    if not index or any("module" not in r or "parameters" not in r for r in index):
        return load(registry)
    registered = {c for r in registry.routes if not r.placeholder for c in r.claims}  # a route added at run time
    if not wanted <= {c for r in index for c in r["claims"]} | registered:
        return load(registry)
    known = {(r.name, r.claims) for r in registry.routes}
    for entry in index:
        claims = tuple(entry["claims"])
        if wanted & set(claims) and (entry["name"], claims) not in known:
            registry.add_route(RouteRecord(entry["name"], entry["kind"], claims, tuple(entry["parameters"]),
                                           entry["description"], _deferred(entry["module"], entry["name"], claims,
                                                                           registry),
                                           entry["module"], placeholder=True))
    return registry


def import_routes(claim_ids, registry: Registry = REGISTRY) -> Registry:
    """The modules of the placeholders of ``claim_ids`` imported now (before worker processes fork: they
    then inherit torch and the routes instead of each importing them)."""
    wanted = set(claim_ids)
    for module in sorted({r.module for r in registry.routes if r.placeholder and wanted & set(r.claims)}):
        _import(module, registry)
    return registry


def _import(module: str, registry: Registry) -> None:
    """Import ``module`` (its routes replace their placeholders); a failure is recorded as :func:`import_all`
    records one, once."""
    try:
        importlib.import_module(module)
    except Exception as error:
        message = f"module {module} failed to import: {type(error).__name__}: " + " ".join(str(error).split())[:300]
        if message not in registry.import_errors:
            registry.import_errors.append(message)


def _deferred(module: str, name: str, claims: tuple[str, ...], registry: Registry):
    """A placeholder's ``run``: imports ``module``, then runs the route it registers under ``name``."""

    def run(*args, **kwargs):
        _import(module, registry)
        for record in registry.routes:
            if record.name == name and record.claims == claims and not record.placeholder:
                return record.run(*args, **kwargs)
        failed = [m for m in registry.import_errors if m.startswith(f"module {module} ")]
        raise RegistryError(failed[0] if failed else f"module {module} does not register route {name}")

    return run
