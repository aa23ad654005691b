"""The claim registry: one source of truth for list, show, verify, check, errata and docs.

Claims are registered beside their math (``derivations/<family>.py``), the way
``torch.distributions`` registers KL pairs with ``register_kl``.
"""

from __future__ import annotations

import difflib
import importlib

from derivspec.claims import Claim
from derivspec.errors import UnknownClaimError

FAMILY_MODULES = ("derivations.nll", "derivations.kl", "derivations.map", "derivations.elbo", "derivations.ddpm")

_CLAIMS: dict[str, Claim] = {}


def register(claim: Claim) -> Claim:
    if claim.id in _CLAIMS:
        raise ValueError(f"claim {claim.id!r} registered twice")
    _CLAIMS[claim.id] = claim
    return claim


def _load() -> None:
    for module in FAMILY_MODULES:
        importlib.import_module(module)


def all_claims() -> list[Claim]:
    _load()
    return list(_CLAIMS.values())


def get(claim_id: str) -> Claim:
    _load()
    if claim_id in _CLAIMS:
        return _CLAIMS[claim_id]
    close = difflib.get_close_matches(claim_id, list(_CLAIMS), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else "; `derivspec list` shows all claims"
    raise UnknownClaimError(f"unknown claim {claim_id!r}{hint}")
