"""The core layer: claims, the registry, symbolic checking, the formula and LaTeX readers,
errors and exit codes. It imports only the standard library, sympy and mpmath.

Derivation modules take what they need to write a claim from here::

    from derivspec.core import Claim, Source, Step, Var, WrongVariant, claim

The names load on first use, so importing ``derivspec.core.errors`` (as the CLI does before it
parses its arguments) does not import SymPy.
"""

import importlib

_EXPORTS = {
    "derivspec.core.claims": ("BINARY", "POSITIVE", "REAL", "UNIT_INTERVAL", "Claim", "Computed", "Defined", "Domain",
                              "Recognise", "Sizes", "AnySize", "Vector", "Index",
                              "Source", "Step", "Var", "WrongVariant", "count_between", "positive_between",
                              "real_between"),
    "derivspec.core.registry": ("REGISTRY", "claim", "target_of"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'derivspec.core' has no attribute {name!r}")
