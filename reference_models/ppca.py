r"""Probabilistic PCA and factor analysis: closed form, EM, posterior (executable specification).

Spec of the lecture statements (004 L936–963, L2551–2554; 002 L303–311): the linear-Gaussian
latent model z ~ N(0, I_d), x | z ~ N(Wz + b, Ψ) -- Ψ = σ²I (PPCA) or diagonal (factor
analysis) -- has marginal x ~ N(b, WWᵀ + Ψ) and posterior z | x ~ N(M⁻¹WᵀΨ⁻¹(x − b), M⁻¹) with
M = I + WᵀΨ⁻¹W; it is "learned by EM".

Maximum likelihood depends on the data only through the mean and the (1/n) covariance S:
(1/n) Σ log p(x_i) = −½[D log 2π + log det C + tr(C⁻¹S)], C = WWᵀ + Ψ (``mean_log_likelihood``).

* ``ppca_closed_form`` (Tipping & Bishop 1999): σ² = mean of the D − d smallest eigenvalues of S,
  W = U_d (Λ_d − σ²I)^½ (any rotation R on the right is equally good);
* ``ppca_em`` / ``fa_em``: EM on S (E-step: E[z|x], E[zzᵀ|x]; M-step: closed form). EM's fixed
  points are the closed form (PPCA); for FA there is no closed form and EM is the estimator.

Measured (benchmarks/em_ppca_classifiers.py, CPU, D = 5, d = 2, n = 5000): closed-form σ², EM's σ²
after 2000 iterations and scikit-learn's PCA.noise_variance_ (rescaled to 1/n) agree in all ten
printed digits (0.2982552559); max |WWᵀ − W_EM W_EMᵀ| = 3e-15. Factor analysis (D = 4, d = 1,
n = 5000): EM's mean log-likelihood equals scikit-learn's FactorAnalysis.score to 1e-8
(property_tests/test_latent.py).

Float64 on the device of S; randomness only in ``sample`` (explicit generator).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from derivspec.core.numbers import fmt
from derivspec.reference_models.device import DTYPE, make_generator
from derivspec.reference_models.fit_tests import ks_test, power
from derivspec.reference_models.specification import Check, ResultTable, RunContext, SpecResult, specification


def sample(n: int, W: Tensor, b: Tensor, psi: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Ancestral sampling (004 Algorithm 4): z ~ N(0, I), x = Wz + b + ε, ε ~ N(0, diag ψ)."""
    D, d = W.shape
    z = torch.randn(n, d, generator=generator, dtype=DTYPE, device=W.device)
    eps = torch.randn(n, D, generator=generator, dtype=DTYPE, device=W.device) * psi.sqrt()
    return z @ W.T + b + eps, z


def covariance(W: Tensor, psi: Tensor) -> Tensor:
    return W @ W.T + torch.diag(psi)


def mean_log_likelihood(S: Tensor, W: Tensor, psi: Tensor) -> Tensor:
    """(1/n) Σ log N(x_i; x̄, WWᵀ + Ψ) from the (1/n) sample covariance S."""
    C = covariance(W, psi)
    D = S.shape[0]
    return -0.5 * (D * math.log(2 * math.pi) + torch.logdet(C) + torch.trace(torch.linalg.solve(C, S)))


def noise_variance(eigenvalues: Tensor, d: int) -> Tensor:
    """σ²: the mean of the D − d smallest eigenvalues of S (``eigenvalues`` ascending)."""
    return eigenvalues[: eigenvalues.shape[0] - d].mean()


def loadings(eigenvectors: Tensor, eigenvalues: Tensor, sigma2: Tensor) -> Tensor:
    """W = U_d (Λ_d − σ² I)^½ for the top-d eigenvectors U_d and eigenvalues Λ_d (any W R, R orthogonal, is as good)."""
    return eigenvectors * (eigenvalues - sigma2).clamp_min(0).sqrt()


def ppca_closed_form(S: Tensor, d: int, *, noise_variance=noise_variance, loadings=loadings) -> tuple[Tensor, Tensor]:
    """(W, σ²): σ² the mean of the D − d smallest eigenvalues, W = U_d (Λ_d − σ²)^½. ``noise_variance`` and
    ``loadings`` are the two rules (defaults: Tipping & Bishop 1999)."""
    eigenvalues, eigenvectors = torch.linalg.eigh(S)  # ascending
    D = S.shape[0]
    sigma2 = noise_variance(eigenvalues, d)
    return loadings(eigenvectors[:, D - d:], eigenvalues[D - d:], sigma2), sigma2


def posterior(x: Tensor, W: Tensor, b: Tensor, psi: Tensor, *, prior_precision: float = 1.0) -> tuple[Tensor, Tensor]:
    """E[z | x] (n, d) and Cov[z | x] (d, d): M = I + WᵀΨ⁻¹W, mean M⁻¹WᵀΨ⁻¹(x − b). ``prior_precision``
    multiplies the I (the prior N(0, I)'s precision; 0 is the broken variant that forgets the prior)."""
    d = W.shape[1]
    Wp = W / psi[:, None]
    M = prior_precision * torch.eye(d, dtype=DTYPE, device=W.device) + W.T @ Wp
    cov = torch.linalg.inv(M)
    return (x - b) @ Wp @ cov.T, cov


def _e_step(S: Tensor, W: Tensor, psi: Tensor) -> tuple[Tensor, Tensor]:
    """With x centred: E[z xᵀ] averaged = G S, and E[zzᵀ] averaged = M⁻¹ + G S Gᵀ."""
    d = W.shape[1]
    Wp = W / psi[:, None]
    Minv = torch.linalg.inv(torch.eye(d, dtype=DTYPE, device=W.device) + W.T @ Wp)
    G = Minv @ Wp.T  # E[z | x] = G (x − b)
    return G @ S, Minv + G @ S @ G.T


def ppca_em(S: Tensor, d: int, iterations: int, W0: Tensor | None = None, sigma2_0: float = 1.0) -> tuple[Tensor, Tensor]:
    """EM for PPCA on the sample covariance: (W, σ²)."""
    D = S.shape[0]
    W = W0 if W0 is not None else torch.eye(D, d, dtype=DTYPE, device=S.device)
    sigma2 = torch.tensor(sigma2_0, dtype=DTYPE, device=S.device)
    for _ in range(iterations):
        ZX, ZZ = _e_step(S, W, sigma2.expand(D))
        W = torch.linalg.solve(ZZ, ZX).T
        sigma2 = (torch.trace(S) - torch.trace(W @ ZX)) / D
    return W, sigma2


def fa_em(S: Tensor, d: int, iterations: int, W0: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """EM for factor analysis on the sample covariance: (W, ψ)."""
    D = S.shape[0]
    W = W0 if W0 is not None else torch.eye(D, d, dtype=DTYPE, device=S.device)
    psi = S.diagonal().clone()
    for _ in range(iterations):
        ZX, ZZ = _e_step(S, W, psi)
        W = torch.linalg.solve(ZZ, ZX).T
        psi = (S - W @ ZX).diagonal().clamp_min(1e-12)
    return W, psi


# --- executable specification: PPCA closed form, EM, marginal and posterior (reference_models/ppca.py) -------------------

PPCA_D, PPCA_d, PPCA_SIGMA2 = 5, 2, 0.5
PPCA_EM_ITERATIONS = 500  # EM's change is at round-off (1e-15) after 200 iterations on these data
# Closed form and EM are both float64 functions of S with entries O(1): they agree to ~1e-14 once EM has
# converged; 1e-8 leaves a margin of 10^6 and is far below the broken variants' differences (≥ 1e-2).
PPCA_TOL = 1e-8
PPCA_FALSE_FAIL_RATE = 1e-6


def true_ppca(device, generator: torch.Generator) -> tuple[Tensor, Tensor, Tensor]:
    """W (D × d, entries N(0, 0.4²)), b (entries N(0, 1)) and ψ = σ² 1 of the data-generating PPCA model."""
    W = 0.4 * torch.randn(PPCA_D, PPCA_d, generator=generator, dtype=DTYPE, device=device)
    b = torch.randn(PPCA_D, generator=generator, dtype=DTYPE, device=device)
    return W, b, torch.full((PPCA_D,), PPCA_SIGMA2, dtype=DTYPE, device=device)


def sigma2_from_all_eigenvalues(eigenvalues: Tensor, d: int) -> Tensor:
    """A broken σ²: the mean of all D eigenvalues (the signal directions counted as noise)."""
    return eigenvalues.mean()


def loadings_without_noise(eigenvectors: Tensor, eigenvalues: Tensor, sigma2: Tensor) -> Tensor:
    """A broken W = U_d Λ_d^½: the noise σ² not taken out of the top eigenvalues (C = WWᵀ + σ²I counts it twice)."""
    return eigenvectors * eigenvalues.sqrt()


def closed_form_vs_em(S: Tensor, *, noise_variance=noise_variance, loadings=loadings) -> dict[str, float]:
    """|σ²_closed − σ²_EM|, max |WWᵀ − W_EM W_EMᵀ| (rotation-free) and the mean log-likelihoods of both."""
    W, sigma2 = ppca_closed_form(S, PPCA_d, noise_variance=noise_variance, loadings=loadings)
    W_em, sigma2_em = ppca_em(S, PPCA_d, PPCA_EM_ITERATIONS)
    D = S.shape[0]
    return {"sigma2": float((sigma2 - sigma2_em).abs()), "WWt": float((W @ W.T - W_em @ W_em.T).abs().max()),
            "loglik closed": float(mean_log_likelihood(S, W, sigma2.expand(D))),
            "loglik EM": float(mean_log_likelihood(S, W_em, sigma2_em.expand(D)))}


def marginal_ks(train: Tensor, test: Tensor, *, noise_variance=noise_variance, loadings=loadings):
    """KS test that held-out data follow the fitted marginal N(x̄, WWᵀ + σ²I): the Mahalanobis distances
    (x − x̄)ᵀC⁻¹(x − x̄) against χ²_D. W, σ² and x̄ come from ``train`` (the plug-in error, O(n_train^−½), is
    far below the test's resolution at n_test ≤ n_train/25: over 36 seeds the p-values looked uniform down to ~0.01)."""
    from scipy.stats import chi2

    S = torch.cov(train.T, correction=0)
    W, sigma2 = ppca_closed_form(S, PPCA_d, noise_variance=noise_variance, loadings=loadings)
    C = covariance(W, sigma2.expand(train.shape[1]))
    centred = test - train.mean(0)
    distances = (centred * torch.linalg.solve(C, centred.T).T).sum(1)
    return ks_test(distances, chi2(train.shape[1]).cdf, PPCA_FALSE_FAIL_RATE)


def posterior_ks(n: int, generator: torch.Generator, device, *, prior_precision: float = 1.0):
    """KS test of the posterior z | x ~ N(M⁻¹WᵀΨ⁻¹(x − b), M⁻¹) by Bayes' rule: for x ~ p(x), a draw
    z' ~ p(z | x) is distributed as the prior N(0, I) (∫ p(z|x) p(x) dx = p(z)), so the n·d coordinates of
    z' are i.i.d. N(0, 1) under the statement. (The residuals z − E[z|x] would not do: without the prior
    they are still N(0, M⁻¹)-distributed.)"""
    from scipy.stats import norm

    W, b, psi = true_ppca(device, make_generator(0, device))
    x, _ = sample(n, W, b, psi, generator)
    mean, cov = posterior(x, W, b, psi, prior_precision=prior_precision)
    noise = torch.randn(mean.shape, generator=generator, dtype=DTYPE, device=mean.device)
    drawn = mean + noise @ torch.linalg.cholesky(cov).T
    return ks_test(drawn.reshape(-1), norm.cdf, PPCA_FALSE_FAIL_RATE)


@specification("factor-analysis-ppca", "PPCA: closed form = EM, marginal WWᵀ + σ²I on held-out data, posterior of z",
               family="latent", steps=3, report="full",
               statements="z ~ N(0, I), x | z ~ N(μ_φ(z), σ²I) with a linear μ_φ(z) = Wz + b (004 L940–946), sampled by "
               "Algorithm 4 (004 L950–957); the posterior of z by Bayes' rule (004 L961–963); factor analysis as a "
               "linear-Gaussian model learned by EM (004 L2551–2554); x = D(z) + ε with ε ~ N(0, C) (002 L303–311)")
def run_ppca(ctx: RunContext) -> SpecResult:
    """D = 5, d = 2, σ² = 0.5; quick: 100,000 training and 4,000 held-out points, 5 power replicates."""
    result = ctx.result("factor-analysis-ppca")
    n_train, n_test, n_post, reps = (100_000, 4_000, 4_000, 5) if ctx.quick else (1_000_000, 20_000, 20_000, 20)
    W, b, psi = true_ppca(ctx.device, make_generator(0, ctx.device))
    train, _ = sample(n_train, W, b, psi, ctx.generator(1))
    ctx.step("closed form (Tipping–Bishop) vs EM")
    S = torch.cov(train.T, correction=0)
    agree = closed_form_vs_em(S)
    wrong = closed_form_vs_em(S, noise_variance=sigma2_from_all_eigenvalues)
    ok = agree["sigma2"] <= PPCA_TOL and agree["WWt"] <= PPCA_TOL
    result.checks.append(Check("EM's fixed point is the closed form: σ² = mean of the D − d smallest eigenvalues, "
                               "WWᵀ = U_d(Λ_d − σ²I)U_dᵀ", ok,
                               f"|Δσ²| = {fmt(agree['sigma2'], '.1e')}, max |ΔWWᵀ| = {fmt(agree['WWt'], '.1e')} (tolerance {fmt(PPCA_TOL, 'g')}); "
                               f"σ² from all eigenvalues: |Δσ²| = {fmt(wrong['sigma2'], '.3f')}"))
    result.tables.append(ResultTable(f"PPCA on n = {n_train:,} points (D = {PPCA_D}, d = {PPCA_d})",
                                     ("fit", "σ²", "mean log-likelihood"),
                                     [("closed form", f"{fmt(float(ppca_closed_form(S, PPCA_d)[1]), '.6f')}", f"{fmt(agree['loglik closed'], '.6f')}"),
                                      (f"EM ({PPCA_EM_ITERATIONS} iterations)", f"{fmt(float(ppca_em(S, PPCA_d, PPCA_EM_ITERATIONS)[1]), '.6f')}",
                                       f"{fmt(agree['loglik EM'], '.6f')}"),
                                      ("σ² from all eigenvalues (broken)", f"{fmt(float(S.diagonal().mean()), '.6f')}",
                                       f"{fmt(wrong['loglik closed'], '.6f')}")]))
    ctx.step("marginal covariance WWᵀ + σ²I on held-out data (KS)")
    test, _ = sample(n_test, W, b, psi, ctx.generator(2))
    outcome = marginal_ks(train, test)

    def broken(r):
        fresh, _ = sample(n_test, W, b, psi, ctx.generator(100 + r))
        return marginal_ks(train, fresh, loadings=loadings_without_noise)

    alt = power(broken, "W = U_d Λ_d^½ (σ² not taken out of the top eigenvalues)", reps)
    result.checks.append(Check.tested("held-out data follow the fitted marginal N(x̄, WWᵀ + σ²I)", outcome, alt))
    ctx.step("posterior of z: its draws follow the prior (KS)")
    outcome = posterior_ks(n_post, ctx.generator(3), ctx.device)
    alt = power(lambda r: posterior_ks(n_post, ctx.generator(200 + r), ctx.device, prior_precision=0.0),
                "the posterior without the prior's I in M = I + WᵀW/σ²", reps)
    result.checks.append(Check.tested("z | x ~ N(M⁻¹Wᵀ(x − b)/σ², M⁻¹), M = I + WᵀW/σ² (its draws over x ~ p(x) follow the prior)",
                                      outcome, alt))
    return result
