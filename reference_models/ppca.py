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

from derivspec.reference_models.device import DTYPE


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


def ppca_closed_form(S: Tensor, d: int) -> tuple[Tensor, Tensor]:
    """(W, σ²): σ² the mean of the D − d smallest eigenvalues, W = U_d (Λ_d − σ²)^½."""
    eigenvalues, eigenvectors = torch.linalg.eigh(S)  # ascending
    D = S.shape[0]
    sigma2 = eigenvalues[: D - d].mean()
    top = eigenvalues[D - d:]
    W = eigenvectors[:, D - d:] * (top - sigma2).clamp_min(0).sqrt()
    return W, sigma2


def posterior(x: Tensor, W: Tensor, b: Tensor, psi: Tensor) -> tuple[Tensor, Tensor]:
    """E[z | x] (n, d) and Cov[z | x] (d, d): M = I + WᵀΨ⁻¹W, mean M⁻¹WᵀΨ⁻¹(x − b)."""
    d = W.shape[1]
    Wp = W / psi[:, None]
    M = torch.eye(d, dtype=DTYPE, device=W.device) + W.T @ Wp
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
