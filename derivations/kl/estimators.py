r"""Per-sample estimators of KL(q ‖ p) from draws x ~ q: Schulman's k1, k2 and k3.

J. Schulman, "Approximating KL Divergence" (2020, joschu.net/blog/kl-approx.html), as PPO, GRPO and TRL's
``PPOTrainer``/``GRPOTrainer`` use it: with r = p(x)/q(x) and x ~ q,

* k1 = −log r = log q(x) − log p(x): unbiased, E_q[k1] = KL(q ‖ p) (the definition of KL), but negative for
  half the draws and of high variance;
* k2 = ½(log r)²: never negative, **biased**: E_q[k2] = E_q[f(r)] with f(r) = ½(log r)², an f-divergence whose
  f''(1) = 1 equals KL's, so E_q[k2] agrees with KL(q ‖ p) to second order as p → q (and exceeds it by
  KL²/2 + … for two Gaussians of equal variance);
* k3 = (r − 1) − log r: unbiased, since E_q[r] = Σ_x q(x)p(x)/q(x) = 1 makes r − 1 a control variate of mean
  zero, and never negative, since log r ≤ r − 1.

The targets are the per-sample estimators, written in the log-densities an implementation holds (``logp``,
``logq``; r = exp(logp − logq) is a defined symbol), so ``derivspec conform`` checks a user's estimator. The
statements about their means are the numeric routes' (``numerics/kl_estimators.py``): the candidate's
expectation under q summed exactly on random discrete laws and compared with ``torch.distributions``'
``kl_divergence``, and by Monte Carlo on Gaussians (1e-6 false-fail rate per point); for k2 the value, first
and second derivatives of E_q[k2] − KL along a path p_ε → q at ε = 0 by autograd. The inequality k3 ≥ 0 and the
unbiasedness on a three-point law in closed form are property tests (property_tests/test_kl_estimators.py).

No seed states these estimators; the source is Schulman's note above.
"""

from __future__ import annotations

from sympy import exp, log

from derivspec.core import REAL, Claim, Defined, Step, Var, WrongVariant, claim

LOGP = Var("logp", r"\ell_p", REAL)  # log p(x), the log-density code holds (LaTeX names must start with a letter)
LOGQ = Var("logq", r"\ell_q", REAL)  # log q(x)
logp, logq = LOGP.symbol, LOGQ.symbol
RATIO = Defined("r", "r", exp(logp - logq))  # r = p(x)/q(x)
r = RATIO.symbol
STATEMENT = r"\ \text{of}\ \mathrm{KL}(q\,\|\,p)\ \text{at a draw}\ x\sim q"


def log_ratio():
    """log r = log p(x) − log q(x), as code computes it from the two log-densities."""
    return logp - logq


@claim("kl.estimator.k1")
def kl_estimator_k1() -> Claim:
    """k1 = −log r = log q(x) − log p(x): the one-draw estimator of KL(q ‖ p) = E_q[log q − log p]."""
    return Claim(
        title="KL estimator k1 = −log r = log q(x) − log p(x), x ~ q: unbiased for KL(q ‖ p) (Schulman)",
        statement=r"k_1(x)" + STATEMENT,
        variables=(LOGP, LOGQ),
        defined=(RATIO,),
        derivation=(
            Step(r"definition: \mathrm{KL}(q\|p) = \mathbb E_{x\sim q}[\log q(x) - \log p(x)] = \mathbb E_q[-\log r]; the one-draw "
                 r"Monte Carlo estimator of an expectation is its integrand at the draw x ~ q", -log(r)),
            Step(r"r = e^{\log p(x) - \log q(x)}: -\log r = \log q(x) - \log p(x)", logq - logp),
        ),
        wrong_variants=(
            WrongVariant("sign flipped: log r = log p(x) - log q(x) (an estimate of -KL)", log_ratio()),
            WrongVariant("probabilities subtracted, not log-probabilities: q(x) - p(x)", exp(logq) - exp(logp)),
        ),
    )


@claim("kl.estimator.k2")
def kl_estimator_k2() -> Claim:
    """k2 = ½(log r)²: never negative, biased, with E_q[k2] = KL(q ‖ p) to second order as p → q."""
    return Claim(
        title="KL estimator k2 = ½(log r)², x ~ q: E_q[k2] is an f-divergence equal to KL(q ‖ p) to second order (Schulman)",
        statement=r"k_2(x)" + STATEMENT,
        variables=(LOGP, LOGQ),
        defined=(RATIO,),
        derivation=(
            Step(r"definition: the f-divergence \mathbb E_q[f(r)] with f(r) = \tfrac12(\log r)^2, whose f(1) = f'(1) = 0 and "
                 r"f''(1) = 1 match KL's f(r) = -\log r (f''(1) = 1), so their means agree to second order in p - q; the "
                 r"one-draw estimator is f at the draw", log(r) ** 2 / 2),
            Step(r"r = e^{\log p(x) - \log q(x)}: \tfrac12(\log p(x) - \log q(x))^2", log_ratio() ** 2 / 2),
        ),
        wrong_variants=(
            WrongVariant("without the 1/2: (log r)^2 (twice KL to second order)", log_ratio() ** 2),
            WrongVariant("the log-ratio not squared: 1/2 log r", log_ratio() / 2),
        ),
    )


@claim("kl.estimator.k3")
def kl_estimator_k3() -> Claim:
    """k3 = (r − 1) − log r: unbiased for KL(q ‖ p) (E_q[r] = 1) and never negative (log r ≤ r − 1)."""
    return Claim(
        title="KL estimator k3 = (r − 1) − log r, x ~ q: unbiased for KL(q ‖ p) and never negative (Schulman; PPO, TRL)",
        statement=r"k_3(x)" + STATEMENT,
        variables=(LOGP, LOGQ),
        defined=(RATIO,),
        derivation=(
            Step(r"definition: k_1 = -\log r is unbiased for \mathrm{KL}(q\|p) (claim kl.estimator.k1)", -log(r)),
            Step(r"add the control variate r - 1, of mean zero under q: \mathbb E_q[r] = \int q\,p/q = \int p = 1; with "
                 r"coefficient 1 every term is \ge 0, since \log r \le r - 1", (r - 1) - log(r), op=lambda k: k + (r - 1)),
            Step(r"r = e^{\log p(x) - \log q(x)}: e^{\log p - \log q} - 1 - (\log p - \log q)",
                 exp(log_ratio()) - 1 - log_ratio()),
        ),
        wrong_variants=(
            WrongVariant("ratio inverted: r = q/p, (q/p - 1) - log(q/p)", exp(-log_ratio()) - 1 + log_ratio()),
            WrongVariant("the -1 dropped: r - log r (biased by +1)", exp(log_ratio()) - log_ratio()),
            WrongVariant("log r added, not subtracted: (r - 1) + log r", exp(log_ratio()) - 1 + log_ratio()),
        ),
    )

