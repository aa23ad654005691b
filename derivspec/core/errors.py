"""Errors for bad usage or bad input, and the exit codes of every command.

Every error reaches the user as a single line on stderr and exit code 2 (DESIGN.md, "Public
interface"); none is ever turned into a pass.
"""

EXIT_OK = 0  # holds / equivalent
EXIT_FAILED = 1  # a check failed / not equivalent
EXIT_BAD_INPUT = 2  # bad usage or bad input
EXIT_INCONCLUSIVE = 3  # could not be decided soundly

VERDICT_EXIT_CODES = {"equivalent": EXIT_OK, "not_equivalent": EXIT_FAILED, "inconclusive": EXIT_INCONCLUSIVE}


class DerivspecError(Exception):
    """Bad usage or bad input. The message is one line that names the problem."""


class UnknownClaimError(DerivspecError):
    """A claim id that is not in the registry."""


class FormulaError(DerivspecError):
    """A formula or LaTeX string that cannot be read, or that uses unknown names."""


class ParameterError(DerivspecError):
    """A parameter value outside its constraint (sigma <= 0, p outside (0, 1), NaN, ...)."""


class RegistryError(Exception):
    """The registry is inconsistent: a route naming no claim, parameters that do not match a
    claim's variables, a claim without a route. A defect of the code, not of the input."""
