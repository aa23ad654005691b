"""One reduced report, built once per test session and shared by the report tests (also
across pytest-xdist workers: the first worker builds it under a file lock, the others reuse it).

Reduced: five claims that cover the kinds of evidence (a reference route, Monte Carlo, a
behaviour source, defined symbols, a lecture erratum) and the quick runs of two reference
models (DDPM schedules and sampler, the autoregressive sampler check).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

CLAIMS = ("nll.gaussian", "kl.gaussian.univariate", "kl.forward-reverse", "ddpm.marginal.mean", "elbo.gap")
MODELS = ("ddpm", "ar-sampler")


def built_report(tmp_path_factory) -> Path:
    """The report folder (index.html, lectures.html, family-*.html, models.html, scan.html, img/).
    ``DERIVSPEC_REPORT_DIR`` names a report built already (a full one, say) to test instead."""
    from filelock import FileLock

    if os.environ.get("DERIVSPEC_REPORT_DIR"):
        return Path(os.environ["DERIVSPEC_REPORT_DIR"])

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the workers of this session
    out = root / "derivspec-report"
    with FileLock(str(root / "derivspec-report.lock")):
        if not (out / "done.json").exists():
            from derivspec.app.report import build_report, scan_section

            records = [{"file": "003_8a5dbeec3922fcb3.txt", "lines": [2149, 2153], "text": r"$\mathrm{KL} = \log\sigma$",
                        "kind": "chain", "verdict": "disagrees", "claim": "kl.gaussian.univariate",
                        "reason": "differs at a point", "evidence": "mu1=0"}]
            build_report(out, claim_ids=list(CLAIMS), device="cpu", seed=0, quick=True, models=MODELS,
                         sections=[scan_section(records, {"disagrees": 1})])
            (out / "done.json").write_text(json.dumps({"claims": CLAIMS}))
    return out
