r"""Markov chains and hidden Markov models (executable specification).

Spec of the lecture statements (004 L761–811) and of ``latent.markov.parameters`` /
``latent.hmm.posterior``:

* ``markov_joint`` / ``iid_joint``: the joint table of n binary variables from unconstrained
  parameters (logits), as a differentiable map; ``free_parameters`` counts a model's free
  parameters as the rank of that map's Jacobian at a random point (the dimension of the set of
  distributions it can represent) -- 2n − 1 for the first-order Markov chain with its own
  table per step, 1 for i.i.d. with a shared θ, 2ⁿ − 1 for the full table;
* ``forward_backward``: posterior marginals p(z_t | x_1..T) of a K-state HMM from the emission
  likelihoods, by the normalised forward and backward recursions; ``brute_force_posteriors``
  enumerates all Kᵀ hidden paths.

Measured (CPU, property_tests/test_latent.py): ranks 2n − 1 for n = 1..8; forward–backward equals brute force to 1e-14 for
K = 3, T = 8 (6561 paths).

Float64 on the given device.
"""

from __future__ import annotations

import itertools

import torch
from torch import Tensor

from derivspec.reference_models.device import DTYPE, as_device


def _bits(n: int, device) -> Tensor:
    return torch.tensor(list(itertools.product((0.0, 1.0), repeat=n)), dtype=DTYPE, device=device)


def markov_joint(theta: Tensor, n: int) -> Tensor:
    """Joint table (2ⁿ,) of P(X_1) ∏ P(X_i | X_{i−1}); theta = [logit P(X_1=1), then per step
    i = 2..n the logits of P(X_i = 1 | X_{i−1} = 0) and P(X_i = 1 | X_{i−1} = 1)]."""
    x = _bits(n, theta.device)
    p1 = torch.sigmoid(theta[0])
    log_joint = x[:, 0] * p1.log() + (1 - x[:, 0]) * (1 - p1).log()
    for i in range(1, n):
        logits = theta[1 + 2 * (i - 1): 3 + 2 * (i - 1)]
        p = torch.sigmoid(logits[x[:, i - 1].long()])
        log_joint = log_joint + x[:, i] * p.log() + (1 - x[:, i]) * (1 - p).log()
    return log_joint.exp()


def iid_joint(theta: Tensor, n: int) -> Tensor:
    """Joint table of n i.i.d. Bernoulli(σ(θ)) variables; theta has one entry."""
    x = _bits(n, theta.device)
    p = torch.sigmoid(theta[0])
    return (x * p.log() + (1 - x) * (1 - p).log()).sum(1).exp()


def markov_parameter_count(n: int) -> int:
    """Number of unconstrained parameters ``markov_joint`` takes."""
    return 1 + 2 * (n - 1)


def free_parameters(joint, size: int, n: int, generator: torch.Generator, device=None) -> int:
    """Rank of the Jacobian of θ ↦ joint(θ, n) at a random θ (the model's dimension)."""
    theta = torch.randn(size, generator=generator, dtype=DTYPE, device=as_device(device, generator))
    jacobian = torch.autograd.functional.jacobian(lambda t: joint(t, n), theta)
    # matrix_rank's default cut (σ_max·max(shape)·ε, ~1e-13 relative) only drops round-off: at random θ the
    # Markov chain's nonzero singular values stay above 1e-2 of the largest (n ≤ 8, 2,400 draws)
    return int(torch.linalg.matrix_rank(jacobian))


def forward_backward(prior: Tensor, transition: Tensor, likelihoods: Tensor) -> Tensor:
    """p(z_t = k | x_1..T) for prior (K,), transition[i, j] = p(z_{t+1}=j | z_t=i), likelihoods (T, K)."""
    T, K = likelihoods.shape
    alpha = torch.empty(T, K, dtype=DTYPE, device=likelihoods.device)
    beta = torch.ones(T, K, dtype=DTYPE, device=likelihoods.device)
    a = prior * likelihoods[0]
    alpha[0] = a / a.sum()
    for t in range(1, T):
        a = (alpha[t - 1] @ transition) * likelihoods[t]
        alpha[t] = a / a.sum()
    for t in range(T - 2, -1, -1):
        b = transition @ (likelihoods[t + 1] * beta[t + 1])
        beta[t] = b / b.sum()
    post = alpha * beta
    return post / post.sum(1, keepdim=True)


def brute_force_posteriors(prior: Tensor, transition: Tensor, likelihoods: Tensor) -> Tensor:
    """The same marginals by enumerating every hidden path."""
    T, K = likelihoods.shape
    post = torch.zeros(T, K, dtype=DTYPE, device=likelihoods.device)
    for path in itertools.product(range(K), repeat=T):
        weight = prior[path[0]] * likelihoods[0, path[0]]
        for t in range(1, T):
            weight = weight * transition[path[t - 1], path[t]] * likelihoods[t, path[t]]
        for t, k in enumerate(path):
            post[t, k] += weight
    return post / post.sum(1, keepdim=True)
