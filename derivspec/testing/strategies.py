"""Where inputs are drawn: Hypothesis strategies from a claim's symbol domains.

Two regions, as the claim's :class:`~derivspec.core.claims.Domain` declares them:

* ``typical`` -- the well-conditioned sampling range (``sample_low`` .. ``sample_high`` clipped to
  the constraint): a right formula must match here to the rounding allowance;
* ``all`` -- the whole declared domain with its edge regions: near each bound (σ within 10⁻⁹..10⁻³
  of 0, probabilities within 10⁻⁹..10⁻³ of 0 and 1), large magnitudes where it is unbounded
  (50 .. 1000: logits of ±50 and beyond, where a naive ``log(sigmoid(z))`` overflows), tiny
  magnitudes around 0, anywhere within ±100.

Values are floats (exact binary fractions, so the target is evaluated at exactly the input the
function received) or whole numbers. ``one_of`` lists the typical region first, so Hypothesis
shrinks a counterexample toward readable typical values where it can.
"""

from __future__ import annotations

import random
from fractions import Fraction

from derivspec.core.claims import Domain

NEAR = (1e-9, 1e-3)  # distance from a bound in the edge region
LARGE = (50.0, 1000.0)  # magnitudes of the large region where a domain is unbounded
WIDE = 100.0  # the "anywhere" region of an unbounded domain


def _bounds(domain: Domain) -> tuple[float | None, float | None]:
    lower = domain.lower if domain.lower is not None else domain.closed_lower
    upper = domain.upper
    return (None if lower is None else float(lower)), (None if upper is None else float(upper))


def typical_range(domain: Domain) -> tuple[float, float]:
    """The sampling range clipped to the constraint."""
    low, high = float(domain.sample_low), float(domain.sample_high)
    lower, upper = _bounds(domain)
    if lower is not None:
        low = max(low, lower)
    if upper is not None:
        high = min(high, upper)
    if high < low:
        low, high = high, low
    return low, high


def _integer_range(domain: Domain) -> tuple[int, int]:
    low, high = typical_range(domain)
    first, last = int(-(-Fraction(low).numerator // Fraction(low).denominator)), int(high // 1)
    while first <= last and not domain.contains(first):
        first += 1
    while last >= first and not domain.contains(last):
        last -= 1
    if first > last:
        value = next(v for v in range(-1000, 1001) if domain.contains(v))
        return value, value
    return first, last


def typical_value(domain: Domain, rng: random.Random):
    """A value from the typical region, without Hypothesis (the probes of the slip search)."""
    if domain.values is not None:
        return rng.choice(domain.values)
    if domain.integer:
        first, last = _integer_range(domain)
        return rng.randint(first, last)
    low, high = typical_range(domain)
    for _ in range(100):
        value = round(rng.uniform(low, high) * 64) / 64 or rng.uniform(low, high)
        if domain.contains(value):
            return value
    return (low + high) / 2


def _inside(domain: Domain):
    """A fast membership test for a continuous domain (float comparisons with its bounds)."""
    lower, upper = _bounds(domain)
    closed = domain.closed_lower is not None and domain.lower is None

    def inside(x: float) -> bool:
        if lower is not None and (x < lower or (x == lower and not closed)):
            return False
        return upper is None or x < upper
    return inside


def value_strategy(domain: Domain, region: str):
    """A Hypothesis strategy for one variable: ``typical`` or ``all`` (edges included)."""
    from hypothesis import strategies as st

    if domain.values is not None:
        return st.sampled_from(domain.values)
    if domain.integer:
        first, last = _integer_range(domain)
        typical = st.integers(first, last)
        if region == "typical":
            return typical
        parts = [typical, st.integers(first, first + 2).filter(domain.contains)]
        if domain.upper is None:
            parts.append(st.integers(100, 1000))
        else:  # the last whole numbers below the (open) bound: the top pixel level 255, the last class
            top = int(domain.upper) - 1 if domain.upper == int(domain.upper) else int(domain.upper // 1)
            parts.append(st.integers(max(first, top - 2), top).filter(domain.contains))
        return st.one_of(parts)
    low, high = typical_range(domain)
    lower, upper = _bounds(domain)
    inside = _inside(domain)
    floats = dict(allow_nan=False, allow_infinity=False, allow_subnormal=False)
    typical = st.floats(low, high, exclude_min=lower is not None and low == lower,
                        exclude_max=upper is not None and high == upper, **floats).filter(inside)
    if region == "typical":
        return typical
    parts = [typical]
    near = st.floats(*NEAR, **floats)
    if lower is not None:
        parts.append(near.map(lambda d, b=lower: b + d).filter(inside))
    if upper is not None:
        parts.append(near.map(lambda d, b=upper: b - d).filter(inside))
    if upper is None:
        parts.append(st.floats(*LARGE, **floats).filter(inside))
    if lower is None:
        parts.append(st.floats(-LARGE[1], -LARGE[0], **floats).filter(inside))
    if (lower is None or lower < 0) and (upper is None or upper > 0):
        parts.append(st.one_of(near, near.map(lambda d: -d)))
    wide_low = lower if lower is not None else (-WIDE if upper is None else upper - WIDE)
    wide_high = upper if upper is not None else (WIDE if lower is None else lower + WIDE)
    if lower is not None:  # the edge region covers the last NEAR[0] before a bound
        wide_low = lower + NEAR[0]
    if upper is not None:
        wide_high = upper - NEAR[0]
    parts.append(st.floats(wide_low, wide_high, **floats).filter(inside))
    return st.one_of(parts)


def point_strategy(variables, region: str):
    """One point: a dict variable name -> value."""
    from hypothesis import strategies as st

    return st.fixed_dictionaries({v.name: value_strategy(v.domain, region) for v in variables})


def batch_strategy(variables, region: str, low: int, high: int):
    """A batch of ``low`` .. ``high`` points (a list of dicts)."""
    from hypothesis import strategies as st

    return st.lists(point_strategy(variables, region), min_size=low, max_size=high)
