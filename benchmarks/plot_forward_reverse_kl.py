r"""Plot forward- vs reverse-KL fits of one Gaussian to p = 1/2 N(-delta, 1) + 1/2 N(delta, 1).

A thin wrapper: the executable specification is ``derivspec run mixture-fit`` (registered in
reference_models/mixture_fit.py, beside the math). This writes its plot to
docs/img/forward_reverse_kl.png, the figure of docs/kl.md, and prints the fits and checks.

Usage: .venv/bin/python benchmarks/plot_forward_reverse_kl.py [--device auto|cpu|cuda]
       (the same as: derivspec run mixture-fit --out docs/img)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from derivspec.app.output import say, table
from derivspec.app.run import print_result, run_spec

OUTPUT = Path(__file__).resolve().parents[1] / "docs" / "img"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    args = parser.parse_args(argv)
    result = run_spec("mixture-fit", args.device, out=OUTPUT)
    print_result(result, table, say)
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
