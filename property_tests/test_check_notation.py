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
