"""`check` in the user's notation (issue 43, point 1): constructs read in --latex, the ambiguous
exponent refused with both readings, true identities decided on their declared domains."""

import pytest
import sympy

from derivspec.app.cli import main
from derivspec.core import registry, symbolic
from derivspec.core.checker import compare, compare_expressions, read_candidate
from derivspec.core.claims import POSITIVE, Var
from derivspec.core.errors import FormulaError


def verdict(claim_id, formula=None, latex=None):
    claim = registry.get(claim_id)
    return compare(claim, read_candidate(claim, formula=formula, latex=latex))


# --- a. constructs read in --latex ---------------------------------------------------------

@pytest.mark.parametrize("claim_id, latex", [
    ("estimation.binomial.sum", r"\binom{3}{2} p^2 (1-p)"),  # \binom
    ("estimation.binomial.sum", r"\dbinom32\, p^{2}(1 - p)"),
    ("estimation.poisson.limit", r"\frac{\lambda^2 e^{-\lambda}}{2!}"),  # a number's factorial
    ("nll.poisson", r"e^{z} - y z + \log y!"),  # n! (log n! = loggamma(n + 1) for whole n)
    ("nll.poisson", r"e^z - yz + \log\Gamma(y+1)"),  # \Gamma
    ("nll.poisson", r"e^z - yz + \ln (y!)"),
    ("flow.planar.determinant", r"1 + \operatorname{sech}^2(w_1 z_1 + w_2 z_2 + b)(u_1 w_1 + u_2 w_2)"),
    ("nll.gaussian", r"-\log \mathcal N(y; \mu, \sigma^2)"),  # the density, mean, variance
    ("nll.gaussian", r"-\ln\mathcal{N}(y \mid \mu, \sigma^{2})"),
    ("estimation.gaussian.density", r"\mathcal N(y; \mu, \sigma^2)"),
])
def test_constructs_are_read_in_correct_forms(claim_id, latex):
    assert verdict(claim_id, latex=latex).verdict == "equivalent"


@pytest.mark.parametrize("claim_id, latex", [
    ("estimation.binomial.sum", r"\binom{3}{0} p^2 (1-p)"),  # C(3, 1) = C(3, 2): not a slip
    ("nll.poisson", r"e^z - yz + \log (y+1)!"),
    ("flow.planar.determinant", r"1 + \operatorname{sech}(w_1 z_1 + w_2 z_2 + b)(u_1 w_1 + u_2 w_2)"),
    ("nll.gaussian", r"-\log \mathcal N(y; \mu, \sigma)"),  # the third argument is the variance
])
def test_constructs_in_wrong_forms_are_rejected(claim_id, latex):
    assert verdict(claim_id, latex=latex).verdict == "not_equivalent"


def test_normal_density_needs_its_point_and_factorials_stay_bounded():
    claim = registry.get("nll.gaussian")
    for latex, problem in ((r"\mathcal N(\mu, \sigma^2)", "density"), (r"\mathcal L(y; \mu, \sigma^2)", "only the normal"),
                           (r"y!!", "double factorial"), (r"(1/2)!", "factorial of 1/2"), (r"y^2!", "ambiguous '!'")):
        with pytest.raises(FormulaError, match=problem):
            read_candidate(claim, latex=latex)


# --- b. the ambiguous exponent -------------------------------------------------------------

def test_ambiguous_division_is_refused_with_both_readings(capsys):
    code = main(["check", "estimation.gaussian.density", "--latex",
                 r"e^{-(y-\mu)^2/2\sigma^2}/\sqrt{2\pi\sigma^2}"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err and "Traceback" not in err
    assert r"(-(y-\mu)^2/2)\sigma^2" in err and r"-(y-\mu)^2/(2\sigma^2)" in err


@pytest.mark.parametrize("latex", [
    r"e^{-(y-\mu)^2/(2\sigma^2)}/\sqrt{2\pi\sigma^2}",
    r"e^{-\frac{(y-\mu)^2}{2\sigma^2}}/\sqrt{2\pi\sigma^2}",
    r"\frac{1}{\sqrt{2\pi\sigma^2}}\exp\left(-(y-\mu)^2/{2\sigma^2}\right)",
])
def test_braced_denominators_are_read(latex):
    assert verdict("estimation.gaussian.density", latex=latex).verdict == "equivalent"


def test_a_division_followed_by_a_bracket_or_function_is_still_read_left_to_right():
    # 1/2 \log(...) and 1/2 (...) keep their documented reading (1/2)·(...)
    assert verdict("nll.gaussian", latex=r"1/2 \log(2\pi\sigma^2) + (y-\mu)^2/(2\sigma^2)").verdict == "equivalent"


# --- c. true identities decided on their declared domains ----------------------------------

@pytest.mark.parametrize("claim_id, text", [
    ("ddpm.marginal.variance", r"|1-\bar\alpha_t|"),  # abar_t = alpha_t abar_{t-1}, both in (0, 1)
    ("ddpm.marginal.variance", r"\sqrt{(1-\bar\alpha_t)^2}"),
    ("flow.conv1x1.log-det", r"h w \frac12 \log\left((k_{11}k_{22}-k_{12}k_{21})^2\right)"),  # log(D^2)/2 = log|D|
    ("nll.poisson", r"e^z - yz + \log y!"),  # log n! = loggamma(n + 1), n a whole number
])
def test_true_identities_are_proved(claim_id, text):
    result = verdict(claim_id, latex=text)
    assert (result.verdict, result.symbolic) == ("equivalent", "proved_equal")


def test_loggamma_shift_is_proved_on_a_whole_number_domain():
    # loggamma(x + 1) = log x + loggamma(x) with x = n/2 - 1/2 > 0 for n >= 2
    formula = ("2*sigma_g*sigma_r*(1 - 2*exp(2*loggamma(n/2) - 2*(loggamma(n/2 + 1/2) - log(n/2 - 1/2)))/(n - 1))"
               " + (sigma_g**2 + sigma_r**2)/n")
    assert verdict("divergence.fid.plug-in-bias", formula=formula).verdict == "equivalent"


def test_loggamma_shift_for_a_positive_real():
    x = Var("x", "x", POSITIVE)
    result = compare_expressions(sympy.loggamma(x.symbol + 1), sympy.log(x.symbol) + sympy.loggamma(x.symbol), [x])
    assert result.verdict == "equivalent"


@pytest.mark.parametrize("claim_id, text", [
    ("flow.conv1x1.log-det", r"h w \log(k_{11}k_{22}-k_{12}k_{21})"),  # no |.|: undefined where D < 0
    ("flow.conv1x1.log-det", r"h w \log\left((k_{11}k_{22}-k_{12}k_{21})^2\right)"),  # twice the value
    ("ddpm.marginal.variance", r"|1-2\bar\alpha_t|"),  # 1 - 2 abar changes sign on the domain
])
def test_near_identities_are_not_proved(claim_id, text):
    assert verdict(claim_id, latex=text).verdict != "equivalent"


def test_whole_number_substitution_is_exactly_the_domain():
    claim = registry.get("divergence.fid.plug-in-bias")
    n = claim.symbols["n"]
    (value,) = [v for k, v in symbolic._whole_numbers(claim.variables).items() if k == n]
    m = next(iter(value.free_symbols))
    assert value.subs(m, 0) == 2 and m.is_integer and m.is_nonnegative


# --- d. the user's letters: --symbols, a mapping inferred by structure, the known slip named ------

from derivspec.core.checker import check  # noqa: E402

VAE_KL = r"\log\frac{\sigma_p}{\sigma_q} + \frac{\sigma_q^2 + (\mu_q - \mu_p)^2}{2\sigma_p^2} - \frac{1}{2}"


def run_cli(capsys, *args):
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err.strip()


def _confirmed(claim_id: str, latex: str) -> dict:
    """An inferred reading is never a definite verdict (another reading differs): the reason gives the
    --symbols to paste; with it, the verdict is definite."""
    import re

    first = check(registry.get(claim_id), latex=latex)
    assert first["verdict"] == "inconclusive" and first["mapping"]["source"] == "inferred", first
    assert "which reading is meant decides" in first["reason"]
    (symbols,) = re.findall(r"--symbols '([^']*)'", first["reason"])
    again = check(registry.get(claim_id), latex=latex, symbols=symbols)
    assert again["mapping"]["source"] == "given" and again["mapping"]["pairs"] == first["mapping"]["pairs"]
    return again


def test_gaussian_kl_in_vae_letters_is_read_with_an_inferred_mapping(capsys):
    result = check(registry.get("kl.gaussian.univariate"), latex=r"D_{KL}(q \| p) = " + VAE_KL)
    mapping = result["mapping"]
    assert mapping["source"] == "inferred"
    assert mapping["pairs"][r"\sigma_q"] == "sigma1" and mapping["pairs"][r"\sigma_p"] == "sigma2"
    # (mu_q - mu_p)^2 is symmetric: both assignments of the means are proved, and both are listed
    means = [(m[r"\mu_q"], m[r"\mu_p"]) for m in [mapping["pairs"], *mapping["alternatives"]]]
    assert sorted(means) == [("mu1", "mu2"), ("mu2", "mu1")]
    # but the sigmas read the other way round give the other KL: no "equivalent" on a guess
    assert result["verdict"] == "inconclusive" and "not under" in result["reason"]
    code, out, _ = run_cli(capsys, "kl.gaussian.univariate", "--latex", VAE_KL)
    assert code == 3 and r"read with \sigma_p = sigma2" in out.replace("\n    ", " ") and "--symbols" in out
    assert _confirmed("kl.gaussian.univariate", VAE_KL)["verdict"] == "equivalent"


def test_the_logit_read_as_the_softmax_is_never_called_equivalent():
    # z_k meant as the logit h_k: wrong; read as the softmax pi_1 it would be right -- inconclusive, not equivalent
    result = check(registry.get("nll.grad.softmax.soft-label"), latex=r"z_k - y_k")
    assert result["verdict"] != "equivalent"


def test_softmax_gradient_as_pi_minus_y():
    claim = registry.get("nll.grad.softmax.soft-label")
    result = _confirmed("nll.grad.softmax.soft-label", r"\frac{\partial \ell}{\partial h_k} = \pi_k - y_k")
    assert result["verdict"] == "equivalent"
    assert result["mapping"]["pairs"] == {r"\pi_k": "pi1", r"y_k": "y1"}
    assert check(claim, latex=r"\pi_1 - y_1")["verdict"] == "equivalent"  # the claim's own letters


def test_a_letter_the_claim_uses_keeps_its_meaning():
    # y_k - pi_k would be "equal" with y read as pi and pi as y; a letter the claim has stays itself
    result = check(registry.get("nll.grad.softmax.soft-label"), latex=r"y_k - \pi_k")
    assert result["verdict"] == "not_equivalent"
    assert result["mapping"]["pairs"] == {r"y_k": "y1", r"\pi_k": "pi1"}
    assert result["slip"] == "label minus prediction"


def test_dataset_sum_over_the_claims_items():
    claim = registry.get("nll.gaussian.ols-gradient")
    assert check(claim, latex=r"-2\sum_i x_i (y_i - \theta x_i)")["verdict"] == "equivalent"
    assert check(claim, latex=r"-\sum_i x_i (y_i - \theta x_i)")["slip"] == "missing factor 2"


def test_ambiguous_exponent_in_other_letters_is_refused_with_both_readings(capsys):
    code, out, err = run_cli(capsys, "estimation.gaussian.density", "--latex", r"e^{-(x-m)^2/2s^2}/\sqrt{2\pi s^2}")
    assert code == 2 and out == "" and "\n" not in err and "Traceback" not in err
    assert "(-(x-m)^2/2)s^2" in err and "-(x-m)^2/(2s^2)" in err


def test_gaussian_density_in_other_letters():
    claim = registry.get("estimation.gaussian.density")
    right = _confirmed("estimation.gaussian.density", r"\frac{1}{\sqrt{2\pi s^2}} e^{-\frac{(x-m)^2}{2s^2}}")
    assert right["verdict"] == "equivalent" and right["mapping"]["pairs"][r"s"] == "sigma"
    slip = check(claim, latex=r"\frac{1}{\sqrt{2\pi s^2}} e^{-\frac{(x-m)^2}{s^2}}")
    assert slip["verdict"] == "not_equivalent" and slip["slip"] == "the 1/2 of the exponent dropped"


def test_symbols_given_explicitly(capsys):
    symbols = r"\mu_q=mu1, \sigma_q=\sigma_1, \mu_p=mu2, \sigma_p=sigma2"
    code, out, _ = run_cli(capsys, "kl.gaussian.univariate", "--latex", VAE_KL, "--symbols", symbols, "--json")
    import json
    result = json.loads(out)
    assert code == 0 and result["verdict"] == "equivalent"
    assert result["mapping"] == {"source": "given", "alternatives": [], "pairs": {
        r"\mu_q": "mu1", r"\sigma_q": "sigma1", r"\mu_p": "mu2", r"\sigma_p": "sigma2"}}
    # the mapping decides: the same formula with the roles swapped is the registered slip
    swapped = r"\mu_q=mu2, \sigma_q=sigma2, \mu_p=mu1, \sigma_p=sigma1"
    code, out, _ = run_cli(capsys, "kl.gaussian.univariate", "--latex", VAE_KL, "--symbols", swapped)
    assert code == 1 and "this is the known slip: arguments swapped (KL(q||p))" in out.replace("\n    ", " ")
    result = check(registry.get("kl.gaussian.univariate"), formula="log(sp/sq) + (sq**2 + (mq-mp)**2)/(2*sp**2) - 1/2",
                   symbols="sq=sigma1, sp=sigma2, mq=mu1, mp=mu2")
    assert result["verdict"] == "equivalent" and result["mapping"]["pairs"]["sp"] == "sigma2"


def test_known_slip_is_named_in_the_claims_letters(capsys):
    latex = r"\log\frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + (\mu_1 - \mu_2)^2}{2\sigma_2^2}"
    code, out, _ = run_cli(capsys, "kl.gaussian.univariate", "--latex", latex)
    assert code == 1 and "this is the known slip: missing -1/2" in out
    assert check(registry.get("kl.gaussian.univariate"), latex=latex)["slip"] == "missing -1/2"
    # a wrong formula that is no registered slip names none
    other = check(registry.get("kl.gaussian.univariate"), latex=latex + r" - 1")
    assert other["verdict"] == "not_equivalent" and other["slip"] is None


@pytest.mark.parametrize("symbols, problem", [
    (r"\mu_q=mu1,\sigma_q=sigma1,\mu_p=mu2,\sigma_p=sigma9", "'sigma9' is not a variable of kl.gaussian.univariate"),
    (r"\mu_q=mu1,\sigma_q=sigma1,\mu_p=mu2,\sigma_p=sigma2,\nu=mu1", "gives mu1 two names"),
    (r"\mu_q=mu1,\mu_q=mu2", r"gives \mu_q twice"),
    (r"\mu_q=mu1,\sigma_q,\mu_p=mu2", "expects YOUR_NAME=CLAIM_NAME pairs"),
    (r"\mu_q=", "expects YOUR_NAME=CLAIM_NAME pairs"),
    (r"a+b=mu1", "is not one LaTeX name"),
    (r"\mu_q=mu1,\sigma_q=sigma1,\mu_p=mu2,\sigma_p=sigma2,\nu_0=\mu_1", "gives mu1 two names"),
])
def test_bad_symbols_are_one_line_exit_2(capsys, symbols, problem):
    code, out, err = run_cli(capsys, "kl.gaussian.univariate", "--latex", VAE_KL, "--symbols", symbols)
    assert code == 2 and out == "" and "\n" not in err and "Traceback" not in err
    assert problem in err


def test_a_symbol_not_in_the_formula_is_refused(capsys):
    latex = r"\log\frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + (\mu_1 - \mu_2)^2}{2\sigma_2^2} - \frac12"
    code, _, err = run_cli(capsys, "kl.gaussian.univariate", "--latex", latex, "--symbols", r"\nu=mu1")
    assert code == 2 and r"\nu does not occur in the formula" in err


def test_no_mapping_is_guessed_for_a_wrong_formula(capsys):
    # no assignment makes it the claim's result or a registered slip: refused, pointing to --symbols
    wrong = r"\log\frac{\sigma_p}{\sigma_q} + \frac{\sigma_q^2 + (\mu_q - \mu_p)^2}{\sigma_p^2} - \frac{1}{2}"
    code, out, err = run_cli(capsys, "kl.gaussian.univariate", "--latex", wrong)
    assert code == 2 and out == "" and "\n" not in err
    assert r"unknown symbol '\sigma_{p}'" in err and "--symbols" in err


def test_too_many_assignments_are_refused(capsys):
    code, _, err = run_cli(capsys, "kl.gaussian.multivariate", "--latex", r"p + q + r + s + w")
    assert code == 2 and "the most check tries" in err and "--symbols" in err


def test_dataset_sum_in_other_letters_with_a_family_mapping(capsys):
    claim = registry.get("nll.gaussian.ols-gradient")
    latex = r"-2\sum_n a_n (b_n - w a_n)"
    result = check(claim, latex=latex, symbols=r"a_n=x_i, b_n=y_i, w=\theta")
    assert result["verdict"] == "equivalent"
    assert result["mapping"]["pairs"] == {"a_1": "x1", "a_2": "x2", "a_3": "x3", "b_1": "y1", "b_2": "y2",
                                          "b_3": "y3", "w": "theta"}
    slope = check(registry.get("nll.gaussian.ols-slope"), latex=r"\frac{\sum_n a_n b_n}{\sum_n a_n^2}",
                  symbols="a_n=x_i, b_n=y_i")
    assert slope["verdict"] == "equivalent"
    code, _, err = run_cli(capsys, "nll.gaussian.ols-gradient", "--latex", latex)  # no mapping: a hint
    assert code == 2 and "'a_i=x_i'" in err and "\n" not in err
    code, _, err = run_cli(capsys, "nll.gaussian.ols-gradient", "--latex", latex, "--symbols", r"a=x_i, b_n=y_i, w=\theta")
    assert code == 2 and "give yours with a letter index too" in err


def test_a_letter_may_name_a_defined_symbol():
    # \gamma_t for the cumulative product the claim calls \bar\alpha_t (a defined symbol)
    latex = r"\frac{\sqrt{\gamma_{t-1}}\beta_t}{1-\gamma_t} x_0 + \frac{\sqrt{\alpha_t}(1-\gamma_{t-1})}{1-\gamma_t} x_t"
    result = _confirmed("ddpm.posterior.mean", latex)
    assert result["verdict"] == "equivalent"
    assert result["mapping"]["pairs"] == {r"\gamma_{t-1}": "alpha_bar_prev", r"\gamma_t": "alpha_bar_t"}
    given = check(registry.get("ddpm.marginal.variance"), latex=r"1-\gamma_t", symbols=r"\gamma_t=\bar\alpha_t")
    assert given["verdict"] == "equivalent" and given["mapping"]["source"] == "given"


# --- e. a pasted left-hand side fixes the roles by structure, as scan recognises a known result ---

from derivspec.scan.known import roles_of_left_side  # noqa: E402

KL_LETTERS = [(r"\mu_q", r"\sigma_q", r"\mu_p", r"\sigma_p"), ("a", "s", "b", "t"), ("m_1", "s_1", "m_2", "s_2"),
              (r"\boldsymbol\mu_a", r"\sigma_a", r"\boldsymbol\mu_b", r"\sigma_b")]


def _gaussian_kl(m1, s1, m2, s2, half=True) -> str:
    rest = r" - \frac{1}{2}" if half else ""
    return rf"\log\frac{{{s2}}}{{{s1}}} + \frac{{{s1}^2 + ({m1} - {m2})^2}}{{2{s2}^2}}{rest}"


@pytest.mark.parametrize("letters", KL_LETTERS)
def test_a_left_hand_side_fixes_the_roles_and_check_agrees_with_scan(letters):
    import derivspec

    m1, s1, m2, s2 = letters
    claim = registry.get("kl.gaussian.univariate")
    forward = rf"D_{{KL}}(\mathcal N({m1}, {s1}^2) \| \mathcal N({m2}, {s2}^2))"
    backward = rf"\mathrm{{KL}}\left(\mathcal N({m2}, {s2}^2) \,\|\, \mathcal N({m1}, {s1}^2)\right)"
    cases = [(forward, True, "equivalent", None, "proved"),
             (forward, False, "not_equivalent", "missing -1/2", "disagrees"),
             (backward, True, "not_equivalent", "arguments swapped (KL(q||p))", "disagrees")]
    for left, half, verdict, slip, scanned in cases:
        latex = f"{left} = {_gaussian_kl(m1, s1, m2, s2, half)}"
        result = check(claim, latex=latex, roles=roles_of_left_side)
        assert (result["verdict"], result["slip"]) == (verdict, slip), (latex, result)
        mapping = result["mapping"]
        assert mapping["source"] == "structure" and mapping["alternatives"] == []
        first, second = (("1", "2") if left is forward else ("2", "1"))
        expected = {name: f"{role}{label}" for name, role, label in
                    [(m1, "mu", first), (s1, "sigma", first), (m2, "mu", second), (s2, "sigma", second)]}
        assert {k.replace(r"\boldsymbol", "").replace("{", "").replace("}", ""): v
                for k, v in mapping["pairs"].items()} == {k.replace(r"\boldsymbol", ""): v for k, v in expected.items()}
        assert mapping["matched"]["written"] == left
        # scan reads the same line with the same matching: the same answer
        records = derivspec.scan_text(f"The divergence of the two laws:\n\n$${latex}$$\n")
        assert [r.verdict for r in records] == [scanned], records


def test_the_structure_is_shown_and_replaces_a_guess(capsys):
    left = r"D_{KL}(\mathcal N(\mu_q, \sigma_q^2) \| \mathcal N(\mu_p, \sigma_p^2))"
    code, out, _ = run_cli(capsys, "kl.gaussian.univariate", "--latex", f"{left} = {VAE_KL}")
    text = out.replace("\n    ", " ")
    assert code == 0 and "kl.gaussian.univariate: equivalent" in text
    assert r"read with \mu_q = mu1, \sigma_q = sigma1, \mu_p = mu2, \sigma_p = sigma2: your left-hand side " + left in text
    assert r"is the claim's \mathrm{KL}(\mathcal N(\mu_1, \sigma_1^2) \| \mathcal N(\mu_2, \sigma_2^2))" in text
    # one thing said of the left-hand side: matched by structure, so not also "read as a label (not checked)"
    assert "read as a label" not in text and text.count("mu1") == 1
    # the same right-hand side under a left-hand side that names no law: no structure, a guess refused
    code, out, _ = run_cli(capsys, "kl.gaussian.univariate", "--latex", r"D_{KL}(q \| p) = " + VAE_KL)
    assert code == 3 and "by structure" not in out and "not confirmed" in out


@pytest.mark.parametrize("claim_id, latex, verdict, pairs", [
    ("estimation.gaussian.density", r"\mathcal N(x; m, s^2) = \frac{1}{\sqrt{2\pi s^2}} e^{-\frac{(x-m)^2}{2s^2}}",
     "equivalent", {"x": "y", "m": "mu", "s": "sigma"}),
    ("estimation.gaussian.density", r"\mathcal N(x; m, s^2) = \frac{1}{\sqrt{2\pi s^2}} e^{-\frac{(x-m)^2}{s^2}}",
     "not_equivalent", {"x": "y", "m": "mu", "s": "sigma"}),
    ("nll.bernoulli", r"-\log \mathrm{Bern}(t; r) = -t\log r - (1-t)\log(1-r)", "equivalent", {"t": "y", "r": "p"}),
    ("nll.bernoulli", r"-\log \mathrm{Bern}(t; r) = -t\log r - t\log(1-r)", "not_equivalent", {"t": "y", "r": "p"}),
    ("divergence.fid.gaussian", r"W_2(\mathcal N(m_r, s_r^2), \mathcal N(m_g, s_g^2))^2 = (m_r - m_g)^2 + (s_r - s_g)^2",
     "equivalent", {"m_r": "mu_r", "s_r": "sigma_r", "m_g": "mu_g", "s_g": "sigma_g"}),
    ("divergence.fid.gaussian", r"W_2(\mathcal N(m_r, s_r^2), \mathcal N(m_g, s_g^2))^2 = (m_r - m_g)^2 + (s_r + s_g)^2",
     "not_equivalent", {"m_r": "mu_r", "s_r": "sigma_r", "m_g": "mu_g", "s_g": "sigma_g"}),
])
def test_other_claims_are_matched_by_their_shapes(claim_id, latex, verdict, pairs):
    result = check(registry.get(claim_id), latex=latex, roles=roles_of_left_side)
    assert result["verdict"] == verdict and result["mapping"]["source"] == "structure"
    assert result["mapping"]["pairs"] == pairs


@pytest.mark.parametrize("left", [
    r"D_{KL}(q \| p)",  # no law written: nothing to bind
    r"D_{KL}(\mathcal N(a, v) \| \mathcal N(b, w))",  # variances by name: sigma = sqrt(v), not one letter
    r"D_{KL}(\mathcal N(\mu_1, \sigma_1^2) \| \mathcal N(\mu_2, \sigma_2^2))",  # the claim's own letters
    r"H(\mathcal N(a, s^2))",  # another quantity
])
def test_no_structure_without_a_left_hand_side_that_binds_letters(left):
    assert roles_of_left_side(registry.get("kl.gaussian.univariate"), f"{left} = x") is None


def test_a_partial_structure_leaves_only_the_other_letters_to_try():
    # the shape \tilde\mu_t(x_t, x_0) fixes z_t and z_0; the gammas are tried, and which is meant decides
    latex = (r"\tilde\mu_t(z_t, z_0) = \frac{\sqrt{\gamma_{t-1}}\beta_t}{1-\gamma_t} z_0 + "
             r"\frac{\sqrt{\alpha_t}(1-\gamma_{t-1})}{1-\gamma_t} z_t")
    claim = registry.get("ddpm.posterior.mean")
    result = check(claim, latex=latex, roles=roles_of_left_side)
    assert result["verdict"] == "inconclusive" and result["mapping"]["source"] == "inferred"
    assert result["mapping"]["matched"]["pairs"] == {"z_0": "x0", "z_t": "xt"}
    assert result["mapping"]["pairs"] == {"z_0": "x0", "z_t": "xt", r"\gamma_{t-1}": "alpha_bar_prev",
                                          r"\gamma_t": "alpha_bar_t"}
    # every reading tried keeps the structure's pairs
    assert "z_0 = x0, z_t = xt, \\gamma_{t-1} = alpha_bar_t" in result["reason"]
    swapped = latex.replace("z_0", "w").replace("z_t", "z_0").replace("w", "z_t")
    assert check(claim, latex=swapped, roles=roles_of_left_side)["verdict"] != "equivalent"
