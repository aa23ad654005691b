"""Which claims a user's code can be conformed to, and with which conventions (docs and listings).

Every claim of the catalogue is a scalar function of its variables (a target SymPy derives), so
every claim can be conformed to: ``property_tests/test_conform_catalogue.py`` checks it claim by
claim (the derived target as a plain function passes, by name and through a reparameterised
``args`` mapping; each registered wrong variant fails with its name). ``reduction`` applies to
every claim (a batch of independent inputs); ``log_base`` to the claims whose target is written
with a logarithm (a quantity in nats).
"""

from __future__ import annotations

from derivspec.core.claims import Claim
from derivspec.testing.arguments import applicable_conventions


def conformance_line(claim: Claim) -> str:
    """One line for the claim's docs page: how to conform a function to it, with its conventions."""
    conventions = applicable_conventions(claim)
    shown = "; ".join(f"`{key}` ({', '.join(values)})" for key, values in conventions.items())
    return (f"Conformance: your implementation can be checked against this claim -- "
            f"`derivspec conform {claim.id} MODULE:FUNCTION` or `derivspec.testing.conforms(\"{claim.id}\", fn)` "
            f"([Test your implementation](testing.md)); conventions: {shown}.")
