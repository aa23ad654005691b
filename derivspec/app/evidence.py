"""The evidence cache of ``verify``: each claim's verify record, kept under the code's fingerprint, the run's
device and seed, so that ``verify CLAIM`` of a claim whose evidence is cached prints it without importing
torch or building any claim (derivspec.core.cache: a change to any claim, route, model or to the sympy,
torch, numpy or scipy versions starts a fresh cache).

A verify record is reproducible: each claim's draws come from generators seeded by (run seed, claim,
route), never by worker or order (DESIGN.md, "Monte Carlo policy"), so the record a run computed is the
record a later run of the same code, device and seed would compute. A record is used only where the
claim's routes are the ones it was computed with: those of the route index the numeric routes store when
they load (derivspec.core.catalogue.describe_routes), or, in a process that has loaded routes (and may have
added one, as a test does), the registry's own. Only ``verified`` and ``failed`` records are kept: an
``inconclusive`` one may come from a worker that was killed or a time limit on a busy machine.

``derivspec verify --no-cache`` runs every check again (and refreshes the cache).
"""

from __future__ import annotations

import os
from pathlib import Path

KEPT = ("verified", "failed")
GPU_DEVICE_FILES = ("/dev/nvidiactl", "/dev/nvidia0", "/proc/driver/nvidia/version", "/dev/kfd", "/dev/dxg")


def cheap_device(name: str) -> str | None:
    """``--device`` resolved without importing torch where that is certain: ``cpu``; ``auto`` on a machine
    with no GPU driver (no NVIDIA, ROCm or WSL device file: torch cannot find one there). None where only
    torch can say (``cuda``, which must be checked; ``auto`` beside a GPU driver)."""
    if name == "cpu":
        return "cpu"
    if name == "auto" and not any(Path(path).exists() for path in GPU_DEVICE_FILES):
        return "cpu"
    return None


def requested_ids(claims: list[str]) -> list[str] | None:
    """The ids ``verify`` is asked for (every claim when none is named), from the cached module index
    without importing a claim; None when the index does not know them all (the registry then reads the
    name: an old id's new name, or bad input naming close matches)."""
    from derivspec.core import cache

    modules = cache.load("modules")
    if not modules:
        return None
    ids = list(claims) if claims else list(modules)
    return ids if all(c in modules for c in ids) else None


def _name(device: str, seed: int) -> str:
    return f"verify-{device}-seed{seed}"


def _index_signatures() -> dict[str, list] | None:
    """claim id -> its routes (name, kind, module) as the route index records them; None without one."""
    from derivspec.core import cache

    index = cache.load("routes")
    if not index or any("module" not in r for r in index):
        return None
    found: dict[str, list] = {}
    for r in index:
        for claim_id in r["claims"]:
            found.setdefault(claim_id, []).append([r["name"], r["kind"], r["module"]])
    return {claim_id: sorted(routes) for claim_id, routes in found.items()}


def signatures(ids) -> dict[str, list | None]:
    """Each claim's routes (name, kind, module), sorted: the registry's where this process has loaded
    routes, else the route index's; None when neither is known."""
    import sys

    registry = sys.modules.get("derivspec.core.registry")  # not imported: no route is loaded (nor SymPy)
    if registry is not None and registry.REGISTRY.routes:
        routes = registry.REGISTRY.routes
        return {c: sorted([r.name, r.kind, r.module] for r in routes if c in r.claims) for c in ids}
    index = _index_signatures()
    return {c: None if index is None else index.get(c, []) for c in ids}


def cached(ids: list[str], device: str, seed: int) -> dict[str, dict]:
    """claim id -> its cached verify record, for the ids whose record this code computed on ``device``
    with ``seed`` under the routes the claim has now (:func:`signatures`)."""
    from derivspec.core import cache

    stored = cache.load(_name(device, seed)) or {}
    wanted = [claim_id for claim_id in dict.fromkeys(ids) if claim_id in stored]
    now = signatures(wanted) if wanted else {}
    found = {}
    for claim_id in wanted:
        entry = stored[claim_id]
        if entry.get("routes") is not None and entry["routes"] == now[claim_id]:
            found[claim_id] = entry["record"]
    return found


def keep(records: list[dict], device: str, seed: int) -> None:
    """Add the ``verified`` and ``failed`` records of a run to the cache (under the routes they ran with)."""
    from derivspec.core import cache

    fresh = {}
    now = signatures([record["claim"] for record in records])
    for record in records:
        routes = now[record["claim"]]
        if record.get("status") in KEPT and routes is not None:
            fresh[record["claim"]] = {"record": record, "routes": routes}
    if fresh:
        cache.store(_name(device, seed), {**(cache.load(_name(device, seed)) or {}), **fresh})


def keep_outcomes(outcomes: list, device: str, seed: int) -> None:
    """What a verify run computed, kept for the next run: each claim's source comparisons (the catalogue's
    cache), its record (:func:`keep`) and its time (the order the next run hands work out in, longest first)."""
    from derivspec.core import cache as store
    from derivspec.core.catalogue import open_cache

    comparisons = open_cache()
    for outcome in outcomes:
        for claim_id, key, value in outcome.cache_entries:
            comparisons.put(claim_id, key, value)
    comparisons.save()
    keep([o.record for o in outcomes], device, seed)
    store.store("verify-times", {**(store.load("verify-times") or {}),
                                 **{o.claim_id: o.record["seconds"] for o in outcomes}})


def disabled() -> bool:
    """``DERIVSPEC_NO_EVIDENCE_CACHE`` set: every verify runs its checks (benchmarks measure the work)."""
    return bool(os.environ.get("DERIVSPEC_NO_EVIDENCE_CACHE"))
