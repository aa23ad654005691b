"""derivspec scan, steps 3-5: each kind of check, its guards, the records and the command.

Precision first: every test of a wrong statement has a twin that is right or undecidable and must
not be flagged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from derivspec.scan import scan_file, summary
from scanning import scan_text

ROOT = Path(__file__).resolve().parents[1]


def verdicts(records):
    return [(r.lines[0], r.kind, r.verdict) for r in records]


# --- chains -----------------------------------------------------------------------------------

def test_a_derivation_chain_is_proved_step_by_step(tmp_path):
    (record,) = scan_text(tmp_path, "$$f = (a-2)^2p + a^2(1-2p) + (a+2)^2p = a^2 + 8p$$\n")
    assert record.verdict == "proved", record.reason


def test_arithmetic_after_an_unchecked_main_relation_is_arithmetic_only(tmp_path):
    """E[X^2] = … names an expectation the row does not check: its proved arithmetic does not make
    the row proved (verdicts.row); a fresh name on the left is a definition and does."""
    (record,) = scan_text(tmp_path, "$$E[X^2] = (a-2)^2p + a^2(1-2p) + (a+2)^2p = a^2 + 8p$$\n")
    assert record.verdict == "unchecked" and record.reason.startswith("arithmetic only")
    assert [s.verdict if hasattr(s, "verdict") else s["verdict"] for s in record.steps][-1] == "proved"
    (negative_kl,) = scan_text(tmp_path, r"$$\mathrm{KL}(p \| q) = 0.5 - 0.8 = -0.3$$" + "\n")
    assert negative_kl.verdict == "unchecked" and negative_kl.reason.startswith("arithmetic only")


def test_a_wrong_step_in_a_chain_is_flagged_with_a_counterexample(tmp_path):
    (record,) = scan_text(tmp_path, "$$E[X^2] = (a-2)^2p + a^2(1-2p) + (a+2)^2p = a^2 + 4p$$\n")
    assert record.verdict == "disagrees" and record.kind == "chain"
    assert "at " in record.evidence and "left =" in record.evidence


def test_a_derivative_step(tmp_path):
    good = r"$$\frac{d}{d\theta} \theta^9(1-\theta)^4 = 9\theta^8(1-\theta)^4 - 4\theta^9(1-\theta)^3 = \theta^8(1-\theta)^3(9-13\theta)$$"
    bad = good.replace("(9-13\\theta)", "(9-12\\theta)")
    assert scan_text(tmp_path, good + "\n")[0].verdict == "proved"
    assert scan_text(tmp_path, bad + "\n")[0].verdict == "disagrees"


def test_definitions_and_substitutions_are_not_flagged(tmp_path):
    text = ("$$\\hat{y} = \\theta x$$\n\n"                          # a definition
            "With $\\sigma = 1$: $$\\frac{(y-\\mu)^2}{2\\sigma^2} = \\frac{(y-\\mu)^2}{2}$$\n\n"  # a value from prose
            "$$\\sqrt{\\alpha_t}\\sqrt{\\bar\\alpha_{t-1}} = \\sqrt{\\bar\\alpha_t}$$\n")     # a definition from notation
    assert all(r.verdict != "disagrees" for r in scan_text(tmp_path, text))


def test_equations_being_solved_are_not_identities(tmp_path):
    text = ("$$\\frac{h}{p} - \\frac{N - h}{1 - p} = 0 \\implies h(1 - p) = (N - h)p$$\n\n"
            "This happens when $a+4\\sqrt{2p} = a+2$.\n")
    assert all(r.verdict != "disagrees" for r in scan_text(tmp_path, text))


def test_opaque_terms_that_cancel_are_proved_and_others_are_unchecked(tmp_path):
    text = ("$$\\mathrm{KL}(q \\| p) = \\mathbb{E}_q\\left[\\log\\frac{q(z)}{p(z)}\\right] "
            "= \\mathbb{E}_q[\\log q(z)] - \\mathbb{E}_q[\\log p(z)]$$\n\n"
            "$$g(A \\mid B) = \\frac{g(A, B)}{g(B)}$$\n\n$$P(A \\mid B) = \\frac{P(A, B)}{P(B)}$$\n")
    first, second, third = scan_text(tmp_path, text)
    assert first.verdict == "proved"
    assert second.verdict == "unchecked"  # an undefined function g
    assert third.verdict == "proved" and "on the atoms of A, B" in third.reason  # events: scan/events.py


def test_a_vector_identity_with_a_dimension_is_not_read_as_scalars(tmp_path):
    text = "$$-\\log \\mathcal{N}(\\mathbf{x}; \\mathbf{0}, \\mathbf{I}) = \\frac{d}{2}\\log 2\\pi + \\frac12 \\|\\mathbf{x}\\|^2 = \\frac12\\log 2\\pi + \\frac12\\|\\mathbf{x}\\|^2$$\n"
    assert all(r.verdict != "disagrees" for r in scan_text(tmp_path, text))


# --- worked numbers ---------------------------------------------------------------------------

def test_a_slip_in_the_third_decimal_is_flagged(tmp_path):
    (record,) = scan_text(tmp_path, "$-\\log 0.659 = 0.418$\n")
    assert record.verdict == "disagrees" and record.kind == "number"
    assert "0.417" in record.evidence


@pytest.mark.parametrize("text", [r"$-\log 0.659 = 0.417$", r"$-\log 0.659 \approx 0.42$", r"$\frac{8}{14} \approx 0.571$",
                                  r"$e^{-8} \approx 3 \times 10^{-4}$", r"$0.5^{1000} \approx 10^{-301}$",
                                  r"$9/13 \approx 0.69\ldots$", r"$\log_2 3 \approx 1.58$"])
def test_rounding_truncation_and_orders_of_magnitude_are_accepted(tmp_path, text):
    (record,) = scan_text(tmp_path, text + "\n")
    assert record.verdict == "proved", record.reason


def test_an_equality_with_its_digits_cut_is_not_proved(tmp_path):
    """0.3 + 0.4567 = 0.7567: "= 0.756" is the value truncated, not rounded -- neither proved nor flagged; "= 0.757"
    (rounded) and "≈ 0.756" are proved, "= 0.755" is flagged."""
    (cut,) = scan_text(tmp_path, "$0.3 + 0.4567 = 0.756$\n")
    assert cut.verdict == "unchecked" and "truncated, not rounded" in cut.reason
    assert scan_text(tmp_path, "$0.3 + 0.4567 = 0.757$\n")[0].verdict == "proved"
    assert scan_text(tmp_path, "$0.3 + 0.4567 \\approx 0.756$\n")[0].verdict == "proved"
    assert scan_text(tmp_path, "$0.3 + 0.4567 = 0.755$\n")[0].verdict == "disagrees"


def test_intermediate_rounding_within_the_printed_digits_is_accepted(tmp_path):
    text = r"$0.7 \cdot 0.336 + 0.3 \cdot (-0.511) = 0.235 - 0.153 = 0.082$" + "\n"
    assert scan_text(tmp_path, text)[0].verdict == "proved"


def test_a_log_in_an_unstated_base_is_not_flagged(tmp_path):
    (record,) = scan_text(tmp_path, "$-\\log \\frac{1}{2^4} = 4 \\text{ bits}$\n")
    assert record.verdict == "unchecked" and "base 2" in record.reason


# --- known results ------------------------------------------------------------------------------

KL = r"\mathrm{KL}(\mathcal{N}(m, s^2) \,\|\, \mathcal{N}(0, 1)) = "


def test_a_known_result_is_recognised_whatever_its_symbols(tmp_path):
    (record,) = scan_text(tmp_path, f"$${KL}\\frac{{1}}{{2}}(m^2 + s^2 - 1 - \\log s^2)$$\n")
    assert (record.kind, record.verdict, record.claim) == ("known", "proved", "kl.gaussian.standard")


def test_a_wrong_known_result_gets_the_correct_form_and_a_counterexample(tmp_path):
    (record,) = scan_text(tmp_path, f"$${KL}\\frac{{1}}{{2}}(m^2 + s - 1 - \\log s^2)$$\n")
    assert (record.kind, record.verdict, record.claim) == ("known", "disagrees", "kl.gaussian.standard")
    assert "s^{2}" in record.correct and "as written" in record.evidence


def test_ddpm_marginal_by_unification_with_bold_names(tmp_path):
    good = r"$$q(\mathbf{x}_t|\mathbf{x}_0) = \mathcal{N}(\mathbf{x}_t; \sqrt{\bar\alpha_t}\mathbf{x}_0, (1-\bar\alpha_t)\mathbf{I})$$"
    bad = good.replace(r"(1-\bar\alpha_t)", r"(1-\bar\alpha_{t-1})")
    assert scan_text(tmp_path, good + "\n")[0].verdict == "proved"
    record = scan_text(tmp_path, bad + "\n")[0]
    assert record.verdict == "disagrees" and record.claim == "ddpm.marginal.variance"


def test_an_identity_between_named_quantities_is_checked_in_the_claims_model(tmp_path):
    good = "$$H(p, q) = H(p) + \\mathrm{KL}(p \\| q)$$\n"
    assert scan_text(tmp_path, good)[0].verdict == "proved"
    assert scan_text(tmp_path, good.replace("(p \\| q)", "(q \\| p)"))[0].verdict == "disagrees"
    # joint entropy of random variables is another quantity: not recognised, not flagged
    assert scan_text(tmp_path, "$$H(X, Y) = H(X) + H(Y)$$\n")[0].verdict != "disagrees"


def test_a_density_must_integrate_to_one(tmp_path):
    good = r"$$p(x) = \frac{1}{\sqrt{2\pi\sigma^2}} \exp\left(-\frac{(x-\mu)^2}{2\sigma^2}\right)$$"
    assert scan_text(tmp_path, good + "\n")[0].verdict == "proved"
    record = scan_text(tmp_path, "$$p(x) = \\frac{1}{1 + x^2}$$\n")[0]
    assert record.verdict == "disagrees" and "3.14159" in record.reason
    # a probability mass function or a half-line density is not integrated over the real line
    assert scan_text(tmp_path, "$$P(y) = p^y (1-p)^{1-y}$$\n\n$$p(x) = \\lambda e^{-\\lambda x}$$\n")[0].verdict != "disagrees"


# --- records, summary, command ----------------------------------------------------------------------

def test_records_and_summary_have_the_design_fields(tmp_path):
    records = scan_text(tmp_path, "$-\\log 0.659 = 0.418$\n\n$$a = b + c$$\n")
    data = records[0].to_json()
    assert set(data) >= {"file", "lines", "text", "kind", "verdict", "claim", "reason", "evidence"}
    assert data["lines"] == [1, 1] and data["kind"] in ("chain", "number", "known", "source")
    totals = summary(records)
    assert (totals["statements"], totals["flagged"]) == (2, 1)
    assert sum(totals["unchecked_by_reason"].values()) == totals["unchecked"]


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "derivspec", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_cli_json_shape_and_exit_codes(tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text("$-\\log 0.659 = 0.418$\n", encoding="utf-8")
    good = tmp_path / "good.md"
    good.write_text("$-\\log 0.659 \\approx 0.417$\n", encoding="utf-8")
    done = run_cli("scan", str(bad), "--json")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"meta", "statements", "summary"}
    assert data["statements"][0]["verdict"] == "disagrees" and data["summary"]["flagged"] == 1
    assert run_cli("scan", str(good)).returncode == 0
    only = run_cli("scan", str(bad), str(good), "--json", "--only-flags")
    assert [s["file"] for s in json.loads(only.stdout)["statements"]] == ["bad.md"]


@pytest.mark.parametrize("content", [b"\x00\x01binary", "caf\xe9".encode("latin-1"), None, b"", b"  \n\n"])
def test_bad_input_is_exit_2_with_one_line(tmp_path, content):
    """Binary, not UTF-8, missing, empty, blank: one line on stderr, exit 2, nothing on stdout."""
    path = tmp_path / "x.md"
    if content is not None:
        path.write_bytes(content)
    done = run_cli("scan", str(path))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "x.md" in done.stderr and done.stdout == ""


def test_an_empty_folder_or_a_dangling_link_among_good_files_is_one_line_and_the_rest_is_scanned(tmp_path):
    good = tmp_path / "good.md"
    good.write_text("$$1 + 1 = 2$$\n", encoding="utf-8")
    folder = tmp_path / "notes"
    folder.mkdir()
    link = tmp_path / "gone.md"
    link.symlink_to(tmp_path / "nowhere.md")
    for bad in (folder, link):
        done = run_cli("scan", str(good), str(bad), "--json")
        assert done.returncode == 0, done.stderr  # the good file's verdict: proved
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr and bad.name in done.stderr
        summary = json.loads(done.stdout)["summary"]
        assert summary["proved"] == 1 and summary["refused"] == 1 and bad.name in summary["refused_files"][0]
        alone = run_cli("scan", str(bad), "--json")
        assert alone.returncode == 2 and alone.stdout == "" and alone.stderr.count("\n") == 1


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads a file without permissions")
def test_an_unreadable_file_is_exit_2_with_one_line(tmp_path):
    path = tmp_path / "secret.md"
    path.write_text("$$1 + 1 = 2$$\n", encoding="utf-8")
    path.chmod(0)
    try:
        done = run_cli("scan", str(path))
    finally:
        path.chmod(0o600)
    assert done.returncode == 2 and "permission denied" in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_bad_input_through_the_python_api_is_a_scan_error(tmp_path):
    from derivspec.scan import ScanError

    for name, content in (("bin.md", b"\x00\x01"), ("empty.md", b"")):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ScanError, match=name):
            scan_file(tmp_path / name, workers=0)
    with pytest.raises(ScanError, match="directory"):
        scan_file(tmp_path, workers=0)


def test_the_python_api_returns_the_records_of_the_json(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("$-\\log 0.659 = 0.418$ and $$p - p^2 = p(1-p)$$\n\n$$x^2 - 1 = (x-1)(x+2)$$\n"
                    "$$\\frac{d}{dx} x^3 = 3x^2$$\n", encoding="utf-8")
    done = run_cli("scan", str(path), "--json", "--jobs", "1")
    assert done.returncode == 1, done.stderr
    from_cli = json.loads(done.stdout)
    records = scan_file(path, workers=0)
    assert [r.to_json() for r in records] == from_cli["statements"]
    assert summary(records) == from_cli["summary"]
    assert {s["verdict"] for s in from_cli["statements"]} == {"proved", "disagrees"}


def test_scan_imports_no_torch(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("$$\\mathrm{KL}(\\mathcal{N}(m, s^2) \\| \\mathcal{N}(0, 1)) = \\frac12(m^2 + s^2 - 1 - \\log s^2)$$\n")
    code = ("import sys; from derivspec.app.cli import main; main(['scan', sys.argv[1], '--json', '--jobs', '1']); "
            "sys.stderr.write(str('torch' in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=300)
    assert done.stderr.strip().endswith("False"), done.stderr


# --- opaque terms rearranged with wrong coefficients --------------------------------------------

def test_a_step_that_changes_the_coefficients_of_terms_both_sides_contain_is_flagged(tmp_path):
    (record,) = scan_text(tmp_path, r"$$\mathrm{KL}(q \| p) = \mathbb{E}_{q}\left[\log \frac{p(z)}{q(z)}\right] = "
                                    r"\mathbb{E}_{q}[\log q(z)] - \mathbb{E}_{q}[\log p(z)]$$" + "\n")
    assert record.verdict == "disagrees", record.reason
    # the first step (KL = E_q[log p/q], the ratio inverted) is flagged against the KL's definition; the second,
    # which changes the coefficients of E_q[log q] and E_q[log p], is flagged as a rearrangement
    first, second = record.steps
    assert first["verdict"] == second["verdict"] == "disagrees"
    # the evidence: the rearrangement's difference, or an instance (the expectations under q's table) whose
    # two sides differ
    import re
    shown = re.search(r"left = (\S+), right = (\S+)", second["evidence"])
    assert "left - right" in second["evidence"] or (shown and abs(float(shown[1]) - float(shown[2])) > 1e-3)


@pytest.mark.parametrize("text", [
    # the same step written correctly
    r"$$\mathrm{KL}(q \| p) = \mathbb{E}_{q}\left[\log \frac{q(z)}{p(z)}\right] = \mathbb{E}_{q}[\log q(z)] - \mathbb{E}_{q}[\log p(z)]$$",
    # a symmetry argument: one opaque term, E[X] = -E[X] shows the mean is zero
    r"$$\mathbb{E}[X] = \mathbb{E}[-X] = -\mathbb{E}[X]$$",
    # a rule of probability relates different terms (the joint and its factors): not decided
    r"$$\mathbb{E}_q[\log p(x, z)] - \mathbb{E}_q[\log q(z)] = \mathbb{E}_q[\log p(x \mid z)] + \mathbb{E}_q[\log p(z)] - \mathbb{E}_q[\log q(z)]$$",
    # a single equation between the terms is a condition, not a chain step
    r"$$\mathbb{E}_q[\log p(z)] - \mathbb{E}_q[\log q(z)] = \mathbb{E}_q[\log q(z)] - \mathbb{E}_q[\log p(z)]$$",
])
def test_opaque_terms_are_not_flagged_without_a_rearrangement_in_a_chain(tmp_path, text):
    records = scan_text(tmp_path, text + "\n")
    assert [r.verdict for r in records if r.verdict == "disagrees"] == [], [(r.text, r.reason) for r in records]
