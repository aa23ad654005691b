"""The docs site builds with warnings as errors, offline, with the math rendered as MathML."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs", reason="mkdocs missing: pip install '.[docs]'")
    pytest.importorskip("material", reason="mkdocs-material missing: pip install '.[docs]'")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def test_pages_are_built(site):
    for page in ("index.html", "report.html", "your-lecture.html", "models.html", "families.html", "kl.html",
                 "contributing.html"):
        assert (site / page).exists(), page


def test_math_is_mathml_not_source(site):
    kl = (site / "kl.html").read_text(encoding="utf-8")
    assert kl.count("<math") > 50 and "<mfrac>" in kl
    text = re.sub(r"<(code|pre)\b.*?</\1>", "", kl, flags=re.S)
    assert "$$" not in text and not re.search(r"\$\\", text), "no LaTeX left unrendered outside code"


def test_offline_no_remote_fonts_or_cdn(site):
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in text and "cdn.jsdelivr" not in text and "unpkg.com" not in text, page
        assert not re.search(r"""<(?:script|link|img)\b[^>]*(?:src|href)=["']https?://""", text), page
