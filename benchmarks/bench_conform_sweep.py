"""No declaration hides a slip: every claim's registered wrong variants, written as plain functions,
checked with each of ``up_to=constant``, ``up_to=scale``, ``up_to=sign`` and ``precision=float32``.

    .venv/bin/python benchmarks/bench_conform_sweep.py [CLAIM ...]

Prints, per declaration, how many wrong variants conformed, how many of those the declaration forgives
by their nature (the target plus a constant, a positive multiple of it, its negative) -- listed -- and
any other (a slip hidden: a defect). The same sweep is the ``slow`` test
``property_tests/test_conform_declarations.py::test_no_declaration_hides_a_slip_in_the_catalogue``.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from derivspec.core import registry  # noqa: E402
from property_tests.test_conform_declarations import SWEEP_DECLARATIONS, sweep_claim  # noqa: E402


def main(argv: list[str]) -> int:
    ids = argv or registry.REGISTRY.ids()
    start = time.perf_counter()
    rows = []
    for claim_id in ids:
        found = sweep_claim(claim_id)
        rows += found
        for r in found:  # as they are found: a long sweep stopped early still shows them
            if r["conformed"]:
                print(f"  ({'forgiven' if r['forgiven'] else 'HIDDEN'}) {claim_id}: '{r['variant']}' under "
                      f"{r['declaration']}", flush=True)
    checked = Counter(r["declaration"] for r in rows)
    conformed = Counter(r["declaration"] for r in rows if r["conformed"])
    forgiven = [r for r in rows if r["forgiven"]]
    hidden = [r for r in rows if r["conformed"] and not r["forgiven"]]
    print(f"{len(ids)} claims, {len(rows) // len(SWEEP_DECLARATIONS)} wrong variants, "
          f"{time.perf_counter() - start:.0f} s")
    for label in SWEEP_DECLARATIONS:
        print(f"  {label}: {checked[label]} checked, {conformed[label]} conformed "
              f"({sum(r['declaration'] == label for r in forgiven)} forgiven by nature)")
    print("forgiven by nature:")
    for r in forgiven:
        print(f"  {r['claim']}: '{r['variant']}' under {r['declaration']}")
    print(f"hidden slips: {len(hidden)}")
    for r in hidden:
        print(f"  {r['claim']}: '{r['variant']}' conformed under {r['declaration']}")
    return 1 if hidden else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
