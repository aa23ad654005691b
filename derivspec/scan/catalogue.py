"""The claims that declare how ``scan`` recognises them (a ``recognise`` field).

Finding them builds every claim once (seconds); the ids and modules are then kept in the cache
under the code's fingerprint (:mod:`derivspec.cache`), so a later scan imports only those
claims' modules.
"""

from __future__ import annotations


def recognisable_claims() -> list:
    from derivspec import cache as stored
    from derivspec.core import registry

    known = stored.load("scan-recognisable")
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
        stored.store("scan-recognisable", {"ids": [c.id for c in claims],
                                           "modules": {c.id: module_of[c.id] for c in claims}})
    return claims
