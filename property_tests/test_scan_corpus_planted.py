"""benchmarks/scan_corpus_planted.py on local documents (``--folder``): one error planted per target
statement, the copies scanned, each error found or missed with the covering statement's reason.
The document is written for the test."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
_spec = importlib.util.spec_from_file_location("scan_corpus_planted", ROOT / "benchmarks" / "scan_corpus_planted.py")
scan_corpus_planted = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(scan_corpus_planted)

DOCUMENT = r"""# A GAN note

For a fixed generator with density $p_g$, the best discriminator is

$$D^*(x) = \frac{p_{data}(x)}{p_{data}(x) + p_g(x)}$$

and the generator's criterion at that discriminator is

$$C(G) = -\log 4 + 2 \cdot \mathrm{JSD}(p_{data} \| p_g)$$

For a discrete $p$ and $q$,

$$H(p, q) = -\sum_x p(x) \log q(x)$$
"""


def test_every_planted_error_is_scanned_and_the_right_forms_are_not_flagged(tmp_path):
    (tmp_path / "gan.md").write_text(DOCUMENT, encoding="utf-8")
    result = scan_corpus_planted.measure_folder(tmp_path, seed=0)
    rows = result["errors"]
    # targets: the statements scan classes as identities or known results, and any standalone statement whose left
    # side names a known quantity (D^*, H(p, q)); C(G) is neither here
    assert sorted(r["lines"][0] for r in rows) == [5, 13]
    # a planted copy still reads as a document: every edit is covered by a statement of the scan
    assert all(r["reason"] != "no statement" for r in rows), rows
    assert result["new_flags_elsewhere"] == 0
    assert all(r["found"] for r in rows), rows  # the optimum and the cross-entropy are recognised
    assert result["recall"]["known quantity"] == {"found": 2, "planted": 2, "recall": 1.0}


@pytest.mark.slow  # 20-30 s: the set scanned twice; reading in other letters keeps default-tier tests (test_scan_leibniz)
def test_the_renamed_planted_set_has_the_same_errors_in_other_letters(tmp_path):
    (tmp_path / "gan.md").write_text(DOCUMENT, encoding="utf-8")
    plain = scan_corpus_planted.measure_folder(tmp_path, seed=0)
    renamed = scan_corpus_planted.measure_folder(tmp_path, seed=0, renamed=True)
    assert [(r["lines"], r["kind"]) for r in renamed["errors"]] == [(r["lines"], r["kind"]) for r in plain["errors"]]
    assert all(r["reason"] != "no statement" for r in renamed["errors"])  # the renamed copies were read
    assert renamed["renamed"] and not plain["renamed"]
