"""Errors for bad usage or bad input.

Every one of them reaches the user as a single line on stderr and exit code 2
(DESIGN.md, "Public interface"); none is ever turned into a pass.
"""


class DerivspecError(Exception):
    """Bad usage or bad input. The message is one line that names the problem."""


class UnknownClaimError(DerivspecError):
    """A claim id that is not in the registry."""


class FormulaError(DerivspecError):
    """A formula or LaTeX string that cannot be read, or that uses unknown names."""


class ParameterError(DerivspecError):
    """A parameter value outside its constraint (sigma <= 0, p outside (0, 1), NaN, ...)."""
