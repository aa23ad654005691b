"""``derivspec scan`` time against document size (issue 28): a repetitive 5,000-line document at
1x, 2x, 4x, 8x and 16x, for each structure that once made extraction quadratic.

    python benchmarks/scan_growth.py            # prints seconds per size and the 16x/1x ratio
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from derivspec.scan.runner import scan_path  # noqa: E402

UNITS = {"bracket lines": ("[\n", "md"), "HTML comments": ("<!--c-->\n", "md"), "unclosed \\[": ("\\[ x\n", "md"),
         "\\( and blank lines": ("\\( a = b\n\n", "md"), "unclosed verbatim": ("\\begin{verbatim}\nx\n", "tex")}
BASE_LINES = 5_000


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        for name, (unit, suffix) in UNITS.items():
            times = []
            for factor in (1, 2, 4, 8, 16):
                path = Path(folder) / f"doc.{suffix}"
                path.write_text(unit * (BASE_LINES * factor // unit.count("\n")), encoding="utf-8")
                started = time.perf_counter()
                scan_path(path, workers=0, known=False, sources=False, seconds=1)
                times.append(time.perf_counter() - started)
            print(f"{name:22} " + "  ".join(f"{f:>2}x {t:6.2f} s" for f, t in zip((1, 2, 4, 8, 16), times))
                  + f"   16x/1x = {times[-1] / max(times[0], 1e-9):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
