r"""The marginal and the posterior of the scalar linear-Gaussian model the document declares.

From ``z \sim \mathcal{N}(m, v)`` and ``x \mid z \sim \mathcal{N}(a z + b, s^2)`` (or the same written
as ``p(z) = \mathcal{N}(z; m, v)``, ``p(x|z) = \mathcal{N}(x; az + b, s^2)``), Bishop (2006) eqs.
2.115-2.117 in one dimension, derived here from the densities by completing the square:

* the marginal  ``p(x) = N(x; a m + b, a^2 v + s^2)``;
* the posterior ``p(z|x) = N(z; V (m / v + a (x - b) / s^2), V)`` with ``1/V = 1/v + a^2/s^2``.

A statement ``p(x) = \mathcal{N}(x; μ, σ²)`` or ``p(z|x) = …`` is compared with what the model implies:
proved when SymPy reduces both differences to 0; flagged only when it differs with the second
argument of N read as a variance and also read as a standard deviation (the document's convention
is not assumed). Scalars only: bold or matrix names leave the statement to the other checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy

_N = r"\\mathcal\s*\{?\s*N\s*\}?\s*(?:\\left)?\("
_NAME = r"[A-Za-z](?:_\{?[A-Za-z0-9]\}?)?"
_GIVEN = r"\s*(?:\||\\mid)\s*"
SAMPLED = re.compile(r"(?<![\\A-Za-z])(" + _NAME + r")(?:" + _GIVEN + r"(" + _NAME + r"))?\s*\\sim\s*" + _N)
DENSITY = re.compile(r"(?<![\\A-Za-z])p\s*\(\s*(" + _NAME + r")(?:" + _GIVEN + r"(" + _NAME + r"))?\s*\)\s*=\s*" + _N)


def _arguments(text: str, start: int) -> list[str] | None:
    """The top-level arguments of the bracket opened just before ``start`` (split at ',' and ';')."""
    depth, parts, current = 0, [], []
    for i in range(start, len(text)):
        ch = text[i]
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            if depth == 0:
                parts.append("".join(current).strip())
                return [re.sub(r"\\right\s*$", "", p).strip() for p in parts]
            depth -= 1
        if ch in ",;" and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    return None


@dataclass(frozen=True)
class Gaussian:
    variable: str
    given: str | None
    mean: str
    spread: str  # the second argument as written (a variance or a standard deviation)


_GREEK_NAME = r"(?:\\[A-Za-z]+|[A-Za-z])(?:_\{?[A-Za-z0-9]\}?)?"  # \mu, \theta_0, x_i as well
_GREEK_PAIR = r"(" + _GREEK_NAME + r")(?:" + _GIVEN + r"(" + _GREEK_NAME + r"))?"
GREEK_SAMPLED = re.compile(r"(?<![\\A-Za-z])" + _GREEK_PAIR + r"\s*\\sim\s*" + _N)
GREEK_DENSITY = re.compile(r"(?<![\\A-Za-z])p\s*\(\s*" + _GREEK_PAIR + r"\s*\)\s*=\s*" + _N)
_BAR = re.compile(r"^(.*?)\s*(?:\\mid|\|)\s*(.*)$")


def gaussians_in(text: str, greek: bool = False) -> list[Gaussian]:
    """Every ``x | z ~ N(mean, spread)`` and ``p(x|z) = N(x; mean, spread)`` in ``text``; ``greek``: names may be
    Greek letters (\\mu \\sim N(\\mu_0, \\sigma_0^2)) and a density may write N(\\mu \\mid \\mu_0, \\sigma_0^2)."""
    found = []
    patterns = ((GREEK_SAMPLED, 0), (GREEK_DENSITY, 1)) if greek else ((SAMPLED, 0), (DENSITY, 1))
    for pattern, skip in patterns:
        for match in pattern.finditer(text):
            args = _arguments(text, match.end())
            if greek and skip and args is not None and len(args) == 2 and _BAR.match(args[0]):
                args = [*_BAR.match(args[0]).groups(), args[1]]  # N(\mu \mid \mu_0, \sigma_0^2)
            if args is None or len(args) != 2 + skip or (skip and args[0] != match.group(1)):
                continue
            found.append(Gaussian(match.group(1), match.group(2), args[skip], args[skip + 1]))
    return found


@dataclass(frozen=True)
class Model:
    latent: Gaussian  # z ~ N(m, v)
    observed: Gaussian  # x | z ~ N(a z + b, s^2)


def document_model(text: str) -> Model | None:
    """The one linear-Gaussian pair the document declares: a prior on z and x given z."""
    found = gaussians_in(text)
    for observed in found:
        if observed.given is None:
            continue
        priors = {g for g in found if g.given is None and g.variable == observed.given}
        if len(priors) == 1:
            return Model(priors.pop(), observed)
    return None


def implied(model: Model, read, variance: bool) -> dict | None:
    """(variable, given) -> (mean, variance) of the marginal p(x) and the posterior p(z|x);
    ``variance``: whether N's second argument is a variance (else a standard deviation)."""
    z, x = read(model.latent.variable), read(model.observed.variable)
    m, v = read(model.latent.mean), read(model.latent.spread)
    mean, s2 = read(model.observed.mean), read(model.observed.spread)
    if not variance:
        v, s2 = v ** 2, s2 ** 2
    a = sympy.diff(mean, z)
    b = sympy.expand(mean - a * z)
    if a.has(z) or b.has(z) or s2.has(z) or a == 0:
        return None  # not linear in z
    precision = 1 / v + a ** 2 / s2
    posterior_variance = 1 / precision
    return {(model.observed.variable, None): (a * m + b, a ** 2 * v + s2),
            (model.latent.variable, model.observed.variable): (posterior_variance * (m / v + a * (x - b) / s2),
                                                              posterior_variance)}


def statement(left: str, right: str) -> Gaussian | None:
    """``p(x) = N(x; μ, σ²)`` read as the claim, or None."""
    found = gaussians_in(f"{left} = {right}")
    return found[0] if len(found) == 1 and DENSITY.match(f"{left.strip()} = {right.strip()}") else None
