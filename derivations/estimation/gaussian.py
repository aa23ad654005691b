r"""The Gaussian: maximum-likelihood estimates of μ and σ², the bias of σ̂², the density, the
mass within kσ of the mean, and the differential entropy (of N(μ, σ²), and of a diagonal Gaussian
summed over its dimensions: Σ_d (½ log 2πe + log σ_d), what a policy's entropy bonus computes).

The MLEs are derived for three observations x_1, x_2, x_3 (the general n follows the same
lines; property_tests/test_estimation.py checks n = 2…50 against scipy.stats.norm.fit), and
E[σ̂²] = (n−1)σ²/n is derived at n = 3 (2σ²/3) and checked by Monte Carlo for n = 2…10.

Seeds: 004 L717–735 (heights: eqs. 3–6), L1708 ("unbiased estimator needed"); 000 L183–188
(law of large numbers); 003 L370–413 (density, decay, worked densities), L401 (68/95/99.7),
L487–505 (maximum entropy), L1865–1875 (differential entropy).
"""

from __future__ import annotations

import sympy
import sympy.stats
from sympy import E, Rational, erf, exp, log, pi, sqrt

from derivspec.core import (POSITIVE, REAL, AnySize, Claim, Recognise, Sizes, Source, Step, Var, Vector, WrongVariant,
                            claim, positive_between, target_of)
from derivspec.core.lectures import S000, S002, S003, S004
from derivspec.core.sums import solve_linear_in_sums
from derivspec.derivations.latent.integrals import gaussian_integral
from derivspec.derivations.moments import gaussian_expectation
from derivspec.derivations.nll.gaussian import gaussian_nll

XS = tuple(Var(f"x{i}", f"x_{i}", REAL) for i in (1, 2, 3))
x1, x2, x3 = (v.symbol for v in XS)
Y = Var("y", "y", REAL)
MU = Var("mu", r"\mu", REAL)
SIGMA = Var("sigma", r"\sigma", POSITIVE)
K = Var("k", "k", positive_between(0.25, 4))
y, mu, sigma, k = Y.symbol, MU.symbol, SIGMA.symbol, K.symbol
variance = sympy.Symbol("v", positive=True)  # σ² as the unknown of the variance MLE
t = sympy.Symbol("t", real=True)  # a standardised value (y − μ)/σ

XBAR = (x1 + x2 + x3) / 3


def sample_variance_mle(xs=(x1, x2, x3)) -> sympy.Expr:
    """(1/n) Σ (x_i − x̄)² as the lectures write it (wrong variants and sources)."""
    xbar = sum(xs) / len(xs)
    return sum((xi - xbar) ** 2 for xi in xs) / len(xs)


def log_likelihood() -> sympy.Expr:
    """Σ_i log N(x_i; μ, σ²) from claim nll.gaussian."""
    return sum(-gaussian_nll(xi, mu, sigma) for xi in (x1, x2, x3))


def mean_mle_general(n: sympy.Symbol, item) -> sympy.Expr:
    """argmax_μ Σ_{i=1}^n log N(x_i; μ, σ²) at a symbolic n: the stationarity condition in μ, its
    sums read by linearity (derivspec.core.sums)."""
    i = sympy.Symbol("i", integer=True)
    log_likelihood = sympy.Sum(-gaussian_nll(item(i), mu, sigma), (i, 1, n))
    return solve_linear_in_sums(sympy.diff(log_likelihood, mu), mu)


def variance_mle_general(n: sympy.Symbol, item) -> sympy.Expr:
    """argmax_v Σ_{i=1}^n log N(x_i; x̄, v) at a symbolic n (μ profiled out at its maximiser x̄)."""
    i = sympy.Symbol("i", integer=True)
    profiled = sympy.Sum(-gaussian_nll(item(i), mean_mle_general(n, item), sqrt(variance)), (i, 1, n))
    return solve_linear_in_sums(sympy.diff(profiled, variance), variance)


_SAMPLE_MEAN = {r"\bar x": mean_mle_general, r"\hat\mu": mean_mle_general}
_LIKELIHOOD = r"MLE|\bML\b|maximum[- ]likelihood|maximi[sz]\w* (?:the )?(?:log[- ])?likelihood"
_OTHER_ESTIMATOR = r"unbiased|Bessel|correct(?:ed|ion)|MAP\b|posterior|prior|regression|residual|known mean|zero[- ]mean"


def gaussian_entropy(std) -> sympy.Expr:
    """½ log(2πe σ²), the target of estimation.gaussian.entropy at another σ."""
    return target_of("estimation.gaussian.entropy").subs(sigma, std)


@claim("estimation.gaussian.mean")
def estimation_gaussian_mean() -> Claim:
    """argmax_μ Σ log N(x_i; μ, σ²) = (x_1 + x_2 + x_3)/3, whatever σ."""
    return Claim(
        title="Gaussian MLE of the mean is the sample mean (three observations; any n checked numerically)",
        recognise=(Recognise(r"\hat\mu", sizes=Sizes(mean_mle_general, statistics={r"\bar x": mean_mle_general},
                                                     correct=r"\frac{1}{N}\sum_{i=1}^{N} x_i"),
                             prose=_LIKELIHOOD, not_prose=_OTHER_ESTIMATOR),),
        statement=r"\arg\max_\mu \sum_{i=1}^3 \log \mathcal N(x_i;\mu,\sigma^2)",
        variables=XS,
        derivation=(
            Step(r"definition: the log-likelihood of i.i.d. observations, \ell(\mu,\sigma) = \sum_i \log\mathcal N(x_i;\mu,\sigma^2) "
                 r"(log-densities from claim nll.gaussian)", log_likelihood()),
            Step(r"differentiate in \mu", sum((xi - mu) / sigma**2 for xi in (x1, x2, x3)),
                 op=lambda e: sympy.diff(e, mu)),
            Step(r"set to zero and solve (\sigma^2 > 0 cancels): the sample mean", XBAR,
                 op=lambda e: sympy.solve(e, mu)[0]),
        ),
        wrong_variants=(
            WrongVariant("divided by n - 1", (x1 + x2 + x3) / 2),
            WrongVariant("midrange of the first and last observation", (x1 + x3) / 2),
            WrongVariant("root mean square", sqrt((x1**2 + x2**2 + x3**2) / 3)),
        ),
        sources=(
            Source(S004, "721–723", r"Given observed population data \mathcal{D} = \{x^{(1)}, \dots, x^{(n)}\}, estimate: \hat{\mu} = \frac{1}{n} \sum_{i=1}^n x^{(i)} \quad (4)",
                   expr=XBAR, note="with n = 3 observations"),
            Source(S000, "183–188", r"By **Law of Large Numbers**, as N \to \infty, \hat p(x) \to p_{\text{data}}(x). The empirical expectation converges to the true expectation",
                   behaviour="sample_mean_converges", at={"n_max": 100000.0},
                   correct=r"the sample mean (the MLE of \mu) converges to E[x]: its error shrinks like \sigma/\sqrt n"),
            Source(S000, "57–62", r"\psi is different for every single input. If we just optimized \psi, we would just be memorizing the dataset (setting \mu = u for every point).",
                   note="not compared: per-point parameters have one observation each, and a mean fitted to one observation "
                        "is that observation, i.e. memorising; this claim is derived for three observations, so n = 1 is not "
                        "compared. 'μ = u' is read for autoencoding, where the target is the input"),
        ),
    )


@claim("estimation.gaussian.variance")
def estimation_gaussian_variance() -> Claim:
    """argmax_{σ²} Σ log N(x_i; x̄, σ²) = (1/3) Σ (x_i − x̄)² (the 1/n, not 1/(n−1), variance)."""
    xbar_terms = (x1 - XBAR, x2 - XBAR, x3 - XBAR)
    return Claim(
        title="Gaussian MLE of the variance is the 1/n sample variance (three observations; any n checked numerically)",
        recognise=(Recognise(r"\hat\sigma^2", sizes=Sizes(variance_mle_general, statistics=_SAMPLE_MEAN,
                                                          correct=r"\frac{1}{N}\sum_{i=1}^{N} (x_i - \bar x)^2"),
                             prose=_LIKELIHOOD, not_prose=_OTHER_ESTIMATOR),),
        statement=r"\arg\max_{\sigma^2} \max_\mu \sum_{i=1}^3 \log \mathcal N(x_i;\mu,\sigma^2)",
        variables=XS,
        derivation=(
            Step(r"definition: the log-likelihood \ell(\mu,\sigma) = \sum_i \log\mathcal N(x_i;\mu,\sigma^2) (claim nll.gaussian)",
                 log_likelihood()),
            Step(r"profile out \mu: its maximiser is \bar x for every \sigma (claim estimation.gaussian.mean); write v = \sigma^2",
                 sum(-log(2 * pi * variance) / 2 - d**2 / (2 * variance) for d in xbar_terms),
                 op=lambda e: e.subs(mu, XBAR).subs(sigma, sqrt(variance))),
            Step(r"differentiate in v", sum(-1 / (2 * variance) + d**2 / (2 * variance**2) for d in xbar_terms),
                 op=lambda e: sympy.diff(e, variance)),
            Step(r"set to zero and solve: the mean squared deviation from \bar x (divide by n, not n - 1)",
                 sum(d**2 for d in xbar_terms) / 3, op=lambda e: sympy.solve(e, variance)[0]),
        ),
        wrong_variants=(
            WrongVariant("the unbiased 1/(n - 1) estimator", sum(d**2 for d in xbar_terms) / 2),
            WrongVariant("deviations from 0 instead of the sample mean", (x1**2 + x2**2 + x3**2) / 3),
            WrongVariant("standard deviation, not variance", sqrt(sum(d**2 for d in xbar_terms) / 3)),
        ),
        sources=(
            Source(S004, "725", r"\hat{\sigma}^2 = \frac{1}{n} \sum_{i=1}^n (x^{(i)} - \hat{\mu})^2 \quad (5)",
                   expr=sample_variance_mle(), note="with n = 3 observations"),
            Source(S004, "727–729", r"**Generate synthetic data:** Sample new heights from the fitted distribution x_{\text{new}}^{(i)} \sim \mathcal{N}(\hat{\mu}, \hat{\sigma}^2) \quad (6)",
                   note="not compared: a procedure; it draws from the fitted N(μ̂, σ̂²) with this claim's σ̂² (and μ̂ of "
                        "estimation.gaussian.mean)"),
        ),
    )


@claim("estimation.gaussian.variance-bias")
def estimation_gaussian_variance_bias() -> Claim:
    """E[σ̂²] = 2σ²/3 for n = 3: the MLE of σ² is biased, E[σ̂²] = (n−1)σ²/n."""
    return Claim(
        title="The variance MLE is biased: E[σ̂²] = (n−1)σ²/n (derived at n = 3: 2σ²/3; n = 2…10 by Monte Carlo)",
        statement=r"\mathbb E\big[\hat\sigma^2\big],\ \hat\sigma^2 = \tfrac13\sum_{i=1}^3 (x_i-\bar x)^2,\ x_i \sim \mathcal N(\mu,\sigma^2)\ \text{i.i.d.}",
        variables=(MU, SIGMA),
        derivation=(
            Step(r"definition: \hat\sigma^2 of three observations (claim estimation.gaussian.variance)",
                 target_of("estimation.gaussian.variance")),
            Step(r"expectation over x_i \sim \mathcal N(\mu, \sigma^2) i.i.d.: E[x_i^2] = \mu^2 + \sigma^2, E[x_i x_j] = \mu^2 (i \ne j); "
                 r"that is (n-1)\sigma^2/n at n = 3", 2 * sigma**2 / 3,
                 op=lambda e: gaussian_expectation(e, [x1, x2, x3], [mu, mu, mu], sympy.eye(3) * sigma**2)),
        ),
        wrong_variants=(
            WrongVariant("unbiased: sigma^2", sigma**2),
            WrongVariant("the variance of the sample mean, sigma^2/n", sigma**2 / 3),
            WrongVariant("(n+1) sigma^2 / n", 4 * sigma**2 / 3),
        ),
        sources=(
            Source(S004, "1708", r"**MLE**: Large data, asymptotic regime, unbiased estimator needed",
                   note=r"not compared: a 'when to use' list whose same bullet names the asymptotic regime, read as 'unbiased "
                        r"as n grows'; the finite-sample bias is this claim's target (E[\hat\sigma^2] = 2\sigma^2/3 at n = 3), "
                        r"and the asymptotic statement is a limit no source here compares"),
        ),
    )


@claim("estimation.gaussian.density")
def estimation_gaussian_density() -> Claim:
    """N(y; μ, σ²) = exp(−(y−μ)²/(2σ²))/√(2πσ²)."""
    density = sympy.stats.density(sympy.stats.Normal("Y", mu, sigma))(y)
    written = exp(-(y - mu) ** 2 / (2 * sigma**2)) / sqrt(2 * pi * sigma**2)
    factor_at = {"mu": 0, "sigma": 1 / sqrt(2 * pi)}  # the normaliser is 1: the density is the decay factor
    return Claim(
        title="Gaussian density: exp(−(y−μ)²/(2σ²))/√(2πσ²); it decays as exp of minus the squared distance",
        recognise=(r"\mathcal N(y; \mu, \sigma^2)",),
        statement=r"\mathcal N(y;\mu,\sigma^2)",
        variables=(Y, MU, SIGMA),
        derivation=(
            Step(r"definition: density of \mathcal N(\mu, \sigma^2) (sympy.stats.Normal)", density),
            Step(r"written with \sqrt{2\pi\sigma^2}", written),
        ),
        wrong_variants=(
            WrongVariant("sigma in place of sigma^2 in the normaliser", exp(-(y - mu) ** 2 / (2 * sigma**2)) / sqrt(2 * pi * sigma)),
            WrongVariant("the 1/2 of the exponent dropped", exp(-(y - mu) ** 2 / sigma**2) / sqrt(2 * pi * sigma**2)),
            WrongVariant("exponent linear in the distance", exp(-abs(y - mu) / (2 * sigma**2)) / sqrt(2 * pi * sigma**2)),
        ),
        sources=(
            Source(S003, "194–195", r"**Discrete** — described by a probability **mass** function P(Y = y) summing to 1; **Continuous** — described by a probability **density** p(y) integrating to 1.",
                   note="normalisation of the density: checked by quadrature in property_tests/test_estimation.py, not a formula"),
            Source(S003, "370–372", r"p(y \mid \mu, \sigma^2) = \frac{1}{\sqrt{2\pi\sigma^2}} \exp\left(-\frac{(y - \mu)^2}{2\sigma^2}\right)",
                   expr=written),
            *(Source(S003, line, text, value=value, decimals=decimals, at={"y": at_y, "mu": 50, "sigma": 5},
                     note=r"house prices \mathcal N(50, 5^2)")
              for line, text, value, decimals, at_y in (
                  ("405–410", r"\mathcal{N}(50, 5^2); 50 (the mean) 1/\sqrt{2\pi \cdot 25} \approx 0.0798", 0.0798, 4, 50),
                  ("405–411", r"\mathcal{N}(50, 5^2); 55 \approx 0.0484", 0.0484, 4, 55),
                  ("405–412", r"\mathcal{N}(50, 5^2); 60 \approx 0.0108", 0.0108, 4, 60),
                  ("405–413", r"\mathcal{N}(50, 5^2); 70 \approx 2.7 \times 10^{-5}", 0.000027, 6, 70))),
            *(Source(S003, line, text, value=value, decimals=decimals, at={**factor_at, "y": distance / sqrt(2 * pi)},
                     note=r"the density factor p(\mu + k\sigma)/p(\mu) = e^{-k^2/2}: the density where its normaliser is 1 "
                          r"(\sigma = 1/\sqrt{2\pi}), k\sigma from the mean")
              for line, text, value, decimals, distance in (
                  ("395", r"1\sigma 1/2 e^{-0.5} \approx 0.61", 0.61, 2, 1),
                  ("396", r"2\sigma 2 e^{-2} \approx 0.14", 0.14, 2, 2),
                  ("397", r"4\sigma 8 e^{-8} \approx 3 \times 10^{-4}", 0.0003, 4, 4))),
            *(Source(S003, "1158–1175", text, value=value, decimals=4, at={"y": 82, "mu": mean, "sigma": std},
                     severity=severity,  # C1 off by 0.8 % (the choice stands), C3 by 35 %: both wrong as written
                     note=r"the density of grades \mathcal N(82 \mid \mu, \sigma^2) for course " + course)
              for course, mean, std, value, severity, text in (
                  ("C1", 80, 10, 0.0388, "error", r"C1 80 10; y = 82; p_1(82) \approx 0.0388"),
                  ("C2", 70, 10, 0.0194, "", r"C2 70 10; y = 82; p_2(82) \approx 0.0194"),
                  ("C3", 90, 5, 0.0299, "error", r"C3 90 5; y = 82; p_3(82) \approx 0.0299"))),
            *(Source(S003, "1177–1181", r"Course **C1** wins \cdot its bell is centred close to 82 with reasonable spread; choose the one under which the **observed data has the highest probability**",
                     value=value, decimals=4, at={"y": 82, "mu": mean, "sigma": std},
                     note=f"the density of course {course} at 82, correctly computed; C1 0.0391 > C3 0.0222 > C2 0.0194, so "
                          "C1 wins as stated although two of the worked densities at L1158–1175 are off")
              for course, mean, std, value in (("C1", 80, 10, 0.0391), ("C3", 90, 5, 0.0222), ("C2", 70, 10, 0.0194))),
            Source(S004, "631–632", r"Simplest smooth symmetric decay: quadratic (x - \mu)^2; This gives: p(x) \propto \exp(-(x - \mu)^2/2\sigma^2) \rightarrow \mathbf{Normal}(\mu, \sigma^2)",
                   expr=exp(-(y - mu) ** 2 / (2 * sigma**2)), relation="proportional", free_of=("y",),
                   note=r"as a function of y (x in the source) the density is proportional to e^{-(y-\mu)^2/(2\sigma^2)}"),
            Source(S003, "383–390", r"Density falls off **exponentially in the squared distance** (y - \mu)^2",
                   expr=exp(-(y - mu) ** 2 / (2 * sigma**2)), relation="proportional", free_of=("y",),
                   note=r"as a function of y the density is proportional to e^{-(y-\mu)^2/(2\sigma^2)}"),
            Source(S003, "374", r"**Mean & variance** \cdot \mathbb{E}[Y] = \mu, \text{Var}[Y] = \sigma^2",
                   note="the moments of this density: checked by property_tests/test_estimation.py (quadrature), not a "
                        "formula for the density"),
            Source(S003, "427–432", r"p(\mathbf{y} \mid \boldsymbol{\mu}, \Sigma) = \frac{1}{\sqrt{(2\pi)^d |\Sigma|}} \exp\left(-\frac{1}{2}(\mathbf{y} - \boldsymbol{\mu})^\top \Sigma^{-1}(\mathbf{y} - \boldsymbol{\mu})\right); If \Sigma = \sigma^2 I (isotropic), the components are independent.",
                   expr=written, note=r"d = 1, \Sigma = \sigma^2; the isotropic case factorises into d such densities "
                                      r"(the latent family's FA/PPCA claims use the d = 2 form)"),
        ),
    )


@claim("estimation.gaussian.interval-mass")
def estimation_gaussian_interval_mass() -> Claim:
    """P(|Y − μ| ≤ kσ) = erf(k/√2) for Y ~ N(μ, σ²)."""
    standard = exp(-t**2 / 2) / sqrt(2 * pi)
    return Claim(
        title="Mass of a Gaussian within k standard deviations of its mean: erf(k/√2)",
        statement=r"P(|Y-\mu| \le k\sigma),\ Y \sim \mathcal N(\mu,\sigma^2)",
        variables=(K,),
        derivation=(
            Step(r"definition: with t = (y-\mu)/\sigma (change of variables, dy = \sigma\,dt) the event is |t| \le k and t has the "
                 r"standard normal density (claim estimation.gaussian.density at \mu = 0, \sigma = 1)", standard),
            Step(r"integrate from -k to k", erf(sqrt(2) * k / 2), op=lambda e: sympy.integrate(e, (t, -k, k))),
        ),
        wrong_variants=(
            WrongVariant("erf(k): the sqrt(2) forgotten", erf(k)),
            WrongVariant("one-sided: Phi(k)", (1 + erf(sqrt(2) * k / 2)) / 2),
            WrongVariant("1 - exp(-k^2/2): the Rayleigh (2-D) mass", 1 - exp(-k**2 / 2)),
        ),
        sources=(
            Source(S003, "401", r"**Empirical rule** \cdot 68% within 1\sigma", value=0.68, decimals=2, at={"k": 1}),
            Source(S003, "401", r"**Empirical rule** \cdot 95% within 2\sigma", value=0.95, decimals=2, at={"k": 2}),
            Source(S003, "401", r"**Empirical rule** \cdot 99.7% within 3\sigma", value=0.997, decimals=3, at={"k": 3}),
            Source(S003, "399", r"almost all the mass sits within a few \sigma of the mean",
                   note="qualitative; the claim gives the mass within k sigma"),
            Source(S004, "636–637", r"**Back to modeling p :** Can we use Normal for p \in [0, 1]? **Problem:** Normal assigns probability to negative values — nonsense for p !",
                   value=0.683, decimals=3, at={"k": 1},
                   note="a witness (the number is ours): for X ~ N(μ, σ²) with μ = σ the mass within σ of the mean, on [0, 2μ], "
                        "is 0.683 < 1, so P(X < 0) = (1 − 0.683)/2 ≈ 0.16 > 0"),
        ),
    )


@claim("estimation.gaussian.entropy")
def estimation_gaussian_entropy() -> Claim:
    """h(N(μ, σ²)) = E[−log N(y; μ, σ²)] = ½ log(2πeσ²), free of μ."""
    return Claim(
        title="Differential entropy of a Gaussian: ½ log(2πeσ²), free of μ (the largest at a given variance)",
        recognise=(r"h(\mathcal N(\mu, \sigma^2))",),
        statement=r"h(\mathcal N(\mu,\sigma^2)) = -\int \mathcal N(y;\mu,\sigma^2)\log\mathcal N(y;\mu,\sigma^2)\,dy",
        variables=(MU, SIGMA),
        derivation=(
            Step(r"definition: h = \mathbb E[-\log\mathcal N(y;\mu,\sigma^2)], the integrand from claim nll.gaussian",
                 gaussian_nll(y, mu, sigma)),
            Step(r"expectation under \mathcal N(\mu,\sigma^2): E[(y-\mu)^2] = \sigma^2", log(2 * pi * sigma**2) / 2 + Rational(1, 2),
                 op=lambda e: gaussian_expectation(e, [y], [mu], sympy.Matrix([[sigma**2]]))),
            Step(r"\tfrac12 = \tfrac12\log e", log(2 * pi * E * sigma**2) / 2),
        ),
        wrong_variants=(
            WrongVariant("the 1/2 from E[(y - mu)^2]/(2 sigma^2) dropped", log(2 * pi * sigma**2) / 2),
            WrongVariant("log sigma in place of log sigma^2", log(2 * pi * E * sigma) / 2),
            WrongVariant("in bits but labelled nats (divided by log 2)", log(2 * pi * E * sigma**2) / (2 * log(2))),
        ),
        sources=(
            Source(S003, "1869–1871", r"For a Normal \mathcal{N}(\mu, \sigma^2) \cdot h(\mathcal{N}(\mu, \sigma^2)) = \frac{1}{2} \log(2\pi e \sigma^2)",
                   expr=log(2 * pi * E * sigma**2) / 2),
            Source(S003, "1875", r"**Worked** \cdot \mathcal{N}(0, 1) \rightarrow h = \frac{1}{2} \log(2\pi e) \approx 1.42 nats",
                   value=1.42, decimals=2, at={"mu": 0, "sigma": 1}),
            Source(S003, "1875", r"\mathcal{N}(0, 1) \rightarrow h \approx 2.05 bits", value=2.05, decimals=2, unit="bits",
                   at={"mu": 0, "sigma": 1}),
            Source(S003, "1873", r"the differential entropy of a Gaussian only depends on \sigma^2 (not on \mu). It is **maximum** among all continuous distributions on \mathbb{R} with that fixed variance",
                   behaviour="normal_has_max_entropy", at={"variance": 1.0},
                   correct=r"h = \tfrac12\log(2\pi e\sigma^2) exceeds the entropy of every other distribution with variance \sigma^2"),
            Source(S003, "487–491", r"Among all distributions with a *given* mean \mu and variance \sigma^2; \arg \max_p H(p) \text{ s.t. } \mathbb{E}_p[Y] = \mu, \mathbb{E}_p[(Y - \mu)^2] = \sigma^2 \implies p = \mathcal{N}(\mu, \sigma^2)",
                   behaviour="normal_has_max_entropy", at={"variance": 2.0},
                   correct=r"h = \tfrac12\log(2\pi e\sigma^2) exceeds the entropy of every other distribution with variance \sigma^2"),
            Source(S004, "634", r"(Maximum entropy given mean and variance — principled justification)",
                   behaviour="normal_has_max_entropy", at={"variance": 1.0},
                   correct=r"h = \tfrac12\log(2\pi e\sigma^2) exceeds the entropy of every other distribution with variance \sigma^2"),
            Source(S003, "505", r"\mathbb{R} given mean and variance Normal",
                   behaviour="normal_has_max_entropy", at={"variance": 0.5},
                   correct=r"h = \tfrac12\log(2\pi e\sigma^2) exceeds the entropy of every other distribution with variance \sigma^2"),
            Source(S002, "120", r"Maximally uninformative, simplest continuous prior with strong math properties",
                   behaviour="normal_has_max_entropy", at={"variance": 1.0},
                   correct=r"h = \tfrac12\log(2\pi e\sigma^2) exceeds the entropy of every other distribution with variance \sigma^2",
                   note="the VAE prior N(0, I), read as 'the largest entropy at a fixed covariance' (per coordinate, variance 1); "
                        "without fixing the covariance no density on R^d is most uninformative"),
            Source(S003, "503", r"Bounded interval none beyond support Uniform",
                   behaviour="uniform_has_max_entropy_on_an_interval", at={"width": 1.0},
                   correct="the uniform density has the largest entropy among densities on a bounded interval"),
            Source(S003, "504", r"[0, \infty) given mean Exponential",
                   behaviour="exponential_has_max_entropy_on_half_line", at={"mean": 1.0},
                   correct="the exponential density has the largest entropy among densities on [0, inf) with a given mean"),
            Source(S003, "502", r"\{0, 1\} given mean Bernoulli",
                   note="not compared: on {0, 1} the mean constraint leaves a single law, P(1) = the mean, so there is nothing "
                        "to maximise and no formula to check"),
            Source(S003, "1865–1867", r"h(p) := - \int p(y) \log p(y) dy", nothing_to_compare=True,
                   note="the definition the derivation starts from; 'can be negative' is compared by the next two sources"),
            Source(S003, "1865–1867", r"Differential entropy can be **negative**", value=-0.19, decimals=2,
                   at={"mu": 0, "sigma": Rational(1, 5)},
                   note=r"a witness of the sign (the number is ours, not the notes'): at \sigma = 0.2 the entropy is negative"),
            Source(S003, "1865–1867", r"Differential entropy can be **negative**", value=0, decimals=9,
                   at={"mu": 0, "sigma": 1 / sqrt(2 * pi * E)},
                   note=r"where the sign changes: h = 0 at \sigma^2 = 1/(2\pi e); h grows with \sigma, so it is negative "
                        r"below that variance"),
        ),
    )


T_SUM = Var("t", "t", REAL)
MU1, MU2 = Var("mu1", r"\mu_1", REAL), Var("mu2", r"\mu_2", REAL)
SIG1, SIG2 = Var("sigma1", r"\sigma_1", positive_between(0.3, 2.5)), Var("sigma2", r"\sigma_2", positive_between(0.3, 2.5))
t_sum, mu1, mu2, sigma1, sigma2 = (v.symbol for v in (T_SUM, MU1, MU2, SIG1, SIG2))
x_part = sympy.Symbol("x", real=True)


def normal_pdf(at, mean, std):
    return sympy.stats.density(sympy.stats.Normal("N", mean, std))(at)


CLOSURE_NOTE = ("Sums alone are not special to the Gaussian: Exponential + Exponential (same rate) is Gamma(2, λ) (claim "
                "estimation.gamma.sum); no claim here checks other families against sums and affine maps together, so the "
                "comparison 'no other common distribution' is not decided")


@claim("estimation.gaussian.sum")
def estimation_gaussian_sum() -> Claim:
    """The density of X + Y, X ~ N(μ_1, σ_1²) ⊥ Y ~ N(μ_2, σ_2²), is N(t; μ_1 + μ_2, σ_1² + σ_2²)."""
    written = exp(-(t_sum - mu1 - mu2) ** 2 / (2 * (sigma1**2 + sigma2**2))) / sqrt(2 * pi * (sigma1**2 + sigma2**2))
    return Claim(
        title="Sum of independent Gaussians: X + Y ~ N(μ_1 + μ_2, σ_1² + σ_2²) (density by convolution)",
        statement=r"p_{X+Y}(t) = \int \mathcal N(x;\mu_1,\sigma_1^2)\,\mathcal N(t - x;\mu_2,\sigma_2^2)\,dx",
        variables=(T_SUM, MU1, MU2, SIG1, SIG2),
        derivation=(
            Step(r"definition: the density of a sum of independent variables is the convolution of their densities; its integrand "
                 r"(sympy.stats)", normal_pdf(x_part, mu1, sigma1) * normal_pdf(t_sum - x_part, mu2, sigma2)),
            Step(r"integrate x out (complete the square; Gaussian integral), in logs: the means add and the variances add",
                 -(t_sum - mu1 - mu2) ** 2 / (2 * (sigma1**2 + sigma2**2)) - log(2 * pi * (sigma1**2 + sigma2**2)) / 2,
                 op=lambda e: log(gaussian_integral(e, x_part))),
            Step("exponentiate: the density of N(μ_1 + μ_2, σ_1² + σ_2²)", written, op=exp),
        ),
        wrong_variants=(
            WrongVariant("standard deviations added", normal_pdf(t_sum, mu1 + mu2, sigma1 + sigma2)),
            WrongVariant("variances averaged", normal_pdf(t_sum, mu1 + mu2, sqrt((sigma1**2 + sigma2**2) / 2))),
            WrongVariant("the second variable's mean subtracted", normal_pdf(t_sum, mu1 - mu2, sqrt(sigma1**2 + sigma2**2))),
        ),
        sources=(
            Source(S003, "515–517", r"X \sim \mathcal{N}(\mu_1, \sigma_1^2) and Y \sim \mathcal{N}(\mu_2, \sigma_2^2) are independent \cdot X + Y \sim \mathcal{N}(\mu_1 + \mu_2, \sigma_1^2 + \sigma_2^2)",
                   expr=normal_pdf(t_sum, mu1 + mu2, sqrt(sigma1**2 + sigma2**2)), note="as a density at t"),
            Source(S003, "519–521", r"**Affine transform of a Gaussian is Gaussian.** aY + b \sim \mathcal{N}(a\mu + b, a^2\sigma^2)",
                   behaviour="affine_samples_are_gaussian", at={"a": -1.7, "b": 0.4},
                   correct=r"aY + b \sim \mathcal N(a\mu + b, a^2\sigma^2) (Kolmogorov-Smirnov test of transformed samples)"),
            Source(S003, "561–563", r"sampling from a non-standard Normal is just an affine transform of a standard one \cdot z = \mu + \sigma \cdot \epsilon, \quad \epsilon \sim \mathcal{N}(0, 1)",
                   behaviour="affine_samples_are_gaussian", at={"a": 2.5, "b": -1.0},
                   correct=r"\mu + \sigma\epsilon \sim \mathcal N(\mu, \sigma^2) (Kolmogorov-Smirnov test of transformed samples)"),
            Source(S003, "696–703", r"To sample Y \sim \mathcal{N}(\mu, \sigma^2): 1. Sample \epsilon \sim \mathcal{N}(0, 1); 2. Return y = \mu + \sigma \cdot \epsilon",
                   behaviour="affine_samples_are_gaussian", at={"a": 0.6, "b": 3.0},
                   correct=r"\mu + \sigma\epsilon \sim \mathcal N(\mu, \sigma^2) (Kolmogorov-Smirnov test of transformed samples)"),
            Source(S003, "523", r"**No other common distribution behaves this nicely.** Sum of two Bernoullis isn't Bernoulli; sum of two uniforms isn't uniform. The Gaussian is the *fixed point* of summing.",
                   note="not compared: a judgement of what counts as 'this nicely' (the line before lists sums and affine maps "
                        "aY + b). " + CLOSURE_NOTE),
        ),
    )


def entropy_diagonal_any_size(vectors, indices):
    """D dimensions: h(N(μ, diag σ²)) = Σ_d (½ log 2πe + log σ_d), and the slips code makes, for any D."""
    sigmas = vectors["sigma"]
    per_dimension = [log(2 * pi * E) / 2 + log(s) for s in sigmas]
    return sum(per_dimension), {
        "log sigma^2 in place of log sigma (the 1/2 of the log-variance dropped)":
            sum(log(2 * pi * E) / 2 + log(s**2) for s in sigmas),
        "the constant 1/2 log(2 pi e) once, not once per dimension": log(2 * pi * E) / 2 + sum(log(s) for s in sigmas),
        "averaged over dimensions, not summed": sum(per_dimension) / len(per_dimension),
    }


ENTROPY_ANY_SIZE = AnySize((("D", 2),), (Vector("sigma", "D", r"\sigma", SIG1.domain, ("sigma1", "sigma2")),),
                           entropy_diagonal_any_size,
                           correct=r"\sum_{d=1}^{D}\big(\tfrac12\log 2\pi e + \log\sigma_d\big)")


@claim("estimation.gaussian.entropy-diagonal")
def estimation_gaussian_entropy_diagonal() -> Claim:
    """h(N(μ, diag(σ_1², σ_2²))) = Σ_d (½ log 2πe + log σ_d): free of μ, summed over the dimensions."""
    y1, y2 = sympy.symbols("y1 y2", real=True)  # the integration variables (nll.gaussian.diagonal's y)
    return Claim(
        title="Entropy of a diagonal Gaussian: h(N(μ, diag σ²)) = Σ_d (½ log 2πe + log σ_d) (D = 2; any D), free of μ",
        statement=r"h\big(\mathcal N(\mu,\mathrm{diag}(\sigma_1^2,\sigma_2^2))\big) = "
                  r"\mathbb E[-\log\mathcal N(y;\mu,\mathrm{diag}(\sigma_1^2,\sigma_2^2))]",
        variables=(SIG1, SIG2),
        any_size=ENTROPY_ANY_SIZE,
        derivation=(
            Step(r"definition: h = \mathbb E[-\log p(y)]; the integrand -\log\mathcal N(y;\mu,\mathrm{diag}\,\sigma^2) from claim "
                 r"nll.gaussian.diagonal", target_of("nll.gaussian.diagonal")),
            Step(r"expectation under \mathcal N(\mu,\mathrm{diag}\,\sigma^2): E[(y_d-\mu_d)^2] = \sigma_d^2, each quadratic term "
                 r"gives \tfrac12", log(2 * pi * sigma1**2) / 2 + log(2 * pi * sigma2**2) / 2 + 1,
                 op=lambda e: gaussian_expectation(e, [y1, y2], [mu1, mu2], sympy.diag(sigma1**2, sigma2**2))),
            Step(r"\tfrac12\log 2\pi\sigma_d^2 + \tfrac12 = \tfrac12\log 2\pi e + \log\sigma_d, per dimension",
                 log(2 * pi * E) / 2 + log(sigma1) + log(2 * pi * E) / 2 + log(sigma2)),
        ),
        wrong_variants=(
            WrongVariant("log sigma^2 in place of log sigma (the 1/2 of the log-variance dropped)",
                         log(2 * pi * E) / 2 + log(sigma1**2) + log(2 * pi * E) / 2 + log(sigma2**2)),
            WrongVariant("the constant 1/2 log(2 pi e) once, not once per dimension",
                         log(2 * pi * E) / 2 + log(sigma1) + log(sigma2)),
            WrongVariant("averaged over dimensions, not summed",
                         (log(2 * pi * E) / 2 + log(sigma1) + log(2 * pi * E) / 2 + log(sigma2)) / 2),
        ),
    )
