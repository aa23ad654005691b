"""``derivspec report``: the pages, their content, offline-ness, the scan hook, the CLI.

The rendering in a real browser is tested in test_report_browser.py on the same build.
"""

from __future__ import annotations

import re

import pytest

from derivspec.core.lectures import LECTURES, S003, cite, lecture, order_key
from report_build import CLAIMS, built_report


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return built_report(tmp_path_factory)


def read(report, name: str) -> str:
    return (report / name).read_text(encoding="utf-8")


def test_pages_and_plots_are_written(report):
    names = {p.name for p in report.glob("*.html")}
    assert {"index.html", "lectures.html", "models.html", "scan.html", "family-nll.html", "family-kl.html",
            "family-ddpm.html", "family-elbo.html"} <= names
    plots = {p.name for p in (report / "img").glob("*.png")}
    assert {"ddpm_schedules.png", "ddpm_sampler.png", "ar_sampler.png"} <= plots


def test_offline_no_script_no_remote_resource(report):
    for page in report.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text, page.name
        assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", text), f"{page.name} loads a remote resource"


def test_summary_counts_claims_and_errata(report):
    index = read(report, "index.html")
    assert f"{len(CLAIMS)} claims" in index and "slips in the lectures disagree" in index
    for lec in LECTURES:
        assert lec.title in index and lec.file in index


def test_claim_pages_show_derivation_math_marks_and_evidence(report):
    kl = read(report, "family-kl.html")
    section = kl[kl.index('id="kl.gaussian.univariate"'):]
    assert "<math" in section and "<mfrac>" in section
    assert "✓ proved" in section and "≝ definition" in section
    assert "detectable error" in section and re.search(r"\d{1,3}(,\d{3})+</td>", section), "Monte Carlo n is shown"
    assert "(|z| ≤" in section
    assert "expand the logs" in section and "\\sigma" not in section.split("<math")[0]
    nll = read(report, "family-nll.html")
    assert "max |Δ|" in nll and "Wrong variants" in nll


def test_lectures_are_named_by_title_with_errata(report):
    lectures = read(report, "lectures.html")
    assert "A Probabilistic View of ML" in lectures and "Prof. Nipun Batra" in lectures
    erratum = lectures[lectures.index('class="erratum"'):]
    assert "As written:" in erratum and "Correct:" in erratum and "Evidence (counterexample)" in erratum
    assert "Data, Model, Learning, Loss, lines 251–253" in lectures  # the nll.gaussian erratum, by title


def test_models_page_has_checks_tables_and_figures(report):
    models = read(report, "models.html")
    assert "derivspec run ddpm" in models and "img/ddpm_schedules.png" in models and "χ²" in models
    assert models.count("<table>") >= 3
    assert models.count('<table class="checks fit">') == 2  # one checks table per model run (ddpm, ar-sampler)
    for column in ("statistic vs threshold", "false-fail rate", "power", "evidence"):
        assert re.search(f'<th(?: class="[^"]*")?>{column}</th>', models), column


def test_the_report_runs_every_specification():
    """Every registered specification is on the models page, quick or full; only the
    ``report=`` field decides which also head their family's page."""
    from derivspec.app.report import on_family_page, report_models
    from derivspec.app.run import specifications

    names = tuple(s.name for s in specifications())
    assert report_models(quick=True) == report_models(quick=False) == names and len(names) >= 6
    assert on_family_page("always", True) and on_family_page("full", False) and not on_family_page("full", True)
    assert not on_family_page("never", False)


def test_models_page_shows_statistic_threshold_rate_and_power(tmp_path, monkeypatch):
    from derivspec.app.report import Math, ReportData, Site
    from derivspec.core.registry import REGISTRY, SpecRecord
    from derivspec.reference_models.fit_tests import Power, TestOutcome
    from derivspec.reference_models.specification import Check, SpecResult

    monkeypatch.setitem(REGISTRY._specs, "fake", SpecRecord("fake", "A fake model", "kl", "mixture_fit",
                                                            "a statement (000 L1–2)", 1, "never", None))
    passed = TestOutcome("KS one-sample", 0.0123, 0.0456, 1000, 1e-3)
    failed = TestOutcome("MMD² permutation", 0.5, 0.02, 400, 0.01)
    checks = [Check("samples follow N(0, 1)", True, "e1", passed, Power("N(0.2, 1)", 19, 20)),
              Check("the trained model matches the data", False, "e2", failed),
              Check("an exact identity", True, "max |Δ| = 1e-15")]
    data = ReportData([], models=[SpecResult("fake", "cpu", 0, True, checks=checks)], meta={"seed": 0})
    Site(tmp_path, data, Math()).write()
    page = (tmp_path / "models.html").read_text(encoding="utf-8")
    rows = page.split("<tr>")[2:]
    assert len(rows) == 3 and "A fake model" in page and "(quick)" in page
    assert "KS one-sample: 0.0123 ≤ 0.0456" in rows[0] and "n = 1,000" in rows[0] and ">0.001<" in rows[0]
    assert "0.95 (19/20, ≥ 0.78 at 95 %)" in rows[0] and "against N(0.2, 1)" in rows[0]
    assert "MMD² permutation: 0.5 &gt; 0.02" in rows[1] and "FAILS" in rows[1] and ">0.01<" in rows[1]
    assert rows[2].count("—") == 3 and "max |Δ| = 1e-15" in rows[2]
    assert '<a href="models.html#fake">fake</a>' in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_scan_section_is_a_page(report):
    scan = read(report, "scan.html")
    assert "A Probabilistic View of ML (Batra)" in scan and "lines 2149–2153" in scan and "disagrees" in scan
    assert 'href="family-kl.html#kl.gaussian.univariate"' in scan


def test_lecture_catalogue():
    assert len(LECTURES) == 5 and len({lec.file for lec in LECTURES}) == 5
    assert cite(S003, "2143–2147") == "A Probabilistic View of ML (Batra), lines 2143–2147"
    assert cite(S003, [12, 12]) == "A Probabilistic View of ML (Batra), line 12"
    assert lecture("004_ac0a1d509ce21c57.txt").author == "Indrajit Bhattacharya"
    assert order_key("000_f22e563363d1e7ff.txt", "900") < order_key(S003, "2–3") < order_key(S003, [10, 11])


def test_unicode_prose_and_lecture_quotes():
    from derivspec.app.report import Math, unicode_tex

    assert unicode_tex(r"N(\mu, \sigma^2), \bar\alpha_t, \tfrac12") == "N(μ, σ²), ᾱₜ, ½"
    math = Math()
    quoted = math.quote(r'- \log P(x\mid \theta) = c \frac{1}{2\sigma^2}\|x-\mu_\theta\|^2 (\"let c be constant\")')
    assert quoted.startswith("<math") and "“let c be constant”" in quoted
    prose = math.quote("MLE minimizes the **Forward KL Divergence** ... forces the model to *cover* the data, $p_\\theta$")
    assert "<strong>Forward KL Divergence</strong>" in prose and "<math" in prose


def test_prose_with_latex_is_split_into_text_and_math():
    """Notes and evidence mix words and LaTeX: the LaTeX (``$…$`` or bare) becomes MathML, the
    words stay text, ``\\"`` (JSON escaping) is a quotation mark; the text keeps no backslash."""
    from derivspec.app.rendering import Math, prose_parts

    parts = prose_parts(r'with X \sim N(\mu, \sigma^2), f = \exp and the \"Evidence\" $\log p(x)$; done')
    assert [k for k, _ in parts] == ["text", "math", "text", "math", "text"], parts
    assert parts[0][1] == "with " and parts[2][1] == ' and the "Evidence" ' and parts[3][1] == r"\log p(x)"
    assert parts[1][1] == r"X \sim N(\mu, \sigma^2), f = \exp"
    # a bracket that belongs to the prose stays text; a colon ends the formula
    assert prose_parts(r"(with \sigma = 1, \hat u = \mu)") == [
        ("text", "(with "), ("math", r"\sigma = 1, \hat u = \mu"), ("text", ")")]
    assert prose_parts(r"at \mu_{1}=1/2, \sigma_{1}=3: as written 1.5") == [
        ("text", "at "), ("math", r"\mu_{1}=1/2, \sigma_{1}=3"), ("text", ": as written 1.5")]
    assert prose_parts("differs at mu1=0, sigma1=1/2") == [("text", "differs at mu1=0, sigma1=1/2")]
    html = str(Math().prose(r"the score \nabla_x\log p_{\theta^*} of the minimiser, a \logsoftmax"))
    outside = re.sub(r"<math.*?</math>", "", html, flags=re.S)
    assert html.count("<math") == 2 and "\\" not in outside and "the score" in outside
    assert "\\" not in re.sub(r'data-tex="[^"]*"', "", html), "an unknown command shows its name, not a backslash"


STRAY_TEX = re.compile(r'\\"|\\(?:frac|sigma|mu|alpha|beta|theta|log|mathbb|mathcal|mathrm|text|hat|tilde|bar|sum|'
                       r'partial|nabla|sim|det|top|epsilon|Sigma|underbrace)(?![A-Za-z])')


def page_text(path) -> str:
    """The text a reader sees: no markup, no <math> (MathML), no <code>, no <style>."""
    html = path.read_text(encoding="utf-8")
    html = re.sub(r"<(math|code|style|title)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_no_latex_source_in_the_text_of_any_page(report):
    """Evidence, notes, quotes and justifications render their LaTeX as math: the text of every
    page (outside <math> and <code>) shows no LaTeX command and no \\" artefact."""
    import html

    for page in sorted(report.glob("*.html")):
        text = html.unescape(page_text(page))
        found = [text[max(0, m.start() - 40):m.end() + 20] for m in STRAY_TEX.finditer(text)]
        assert not found, f"{page.name}: LaTeX source in the text: {found[:5]}"


@pytest.mark.slow  # 207 s on 2 cores: the whole catalogue's report (docs/contributing.md, "Test tiers")
def test_cli_report_without_numerics(tmp_path, capsys):
    from derivspec.app.cli import main

    code = main(["report", "--out", str(tmp_path / "r"), "--no-numeric", "--no-plots", "nll.bernoulli"])
    _, err = capsys.readouterr()
    assert code == 0 and (tmp_path / "r" / "index.html").exists()
    assert "nll.bernoulli" not in err and err.count("\n") == 1 and "formulas as MathML" in err  # piped: no progress
    assert "numeric checks were not run" in (tmp_path / "r" / "index.html").read_text().lower()


def test_missing_report_extra_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    import sys

    from derivspec.app import report
    from derivspec.app.cli import main

    monkeypatch.setitem(sys.modules, "latex2mathml", None)  # as if the report extra were not installed
    scanned = []
    monkeypatch.setattr(report, "scan_files_section", lambda *a, **k: scanned.append(a))
    lecture = tmp_path / "lecture.md"
    lecture.write_text("$$a + b = b + a$$\n")
    code = main(["report", "--out", str(tmp_path / "r"), "--scan", str(lecture)])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and not scanned and not (tmp_path / "r").exists()
    assert err.count("\n") == 1 and "latex2mathml" in err and "derivspec[report]" in err  # before any work
