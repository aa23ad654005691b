"""The core layer: claims, the registry, symbolic checking, the formula and LaTeX readers,
errors and exit codes. It imports only the standard library, sympy and mpmath.

Derivation modules take what they need to write a claim from here::

    from derivspec.core import Claim, Source, Step, Var, WrongVariant, claim
"""

from derivspec.core.claims import (BINARY, POSITIVE, REAL, UNIT_INTERVAL, Claim, Computed, Defined, Domain, Source,
                                   Step, Var, WrongVariant, count_between, positive_between, real_between)
from derivspec.core.registry import REGISTRY, claim, target_of

__all__ = ["BINARY", "POSITIVE", "REAL", "UNIT_INTERVAL", "Claim", "Computed", "Defined", "Domain", "Source", "Step",
           "Var", "WrongVariant", "count_between", "positive_between", "real_between", "REGISTRY", "claim",
           "target_of"]
