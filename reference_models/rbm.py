r"""A restricted Boltzmann machine with brute-force partition function (executable specification).

Spec of the lecture statements (004 L2330–2336) and of ``sampling.rbm.*``: for binary v ∈ {0,1}ⁿ,
h ∈ {0,1}ᵐ and E(v, h) = −bᵀv − cᵀh − vᵀWh,

* p(h | v) = ∏_j σ(c_j + W_{:j}ᵀ v) -- computed in O(nm) by ``hidden_conditional`` and by
  enumerating all 2ᵐ hidden states in ``hidden_conditional_brute_force``;
* F(v) = −bᵀv − Σ_j log(1 + e^{c_j + W_{:j}ᵀv}) (``free_energy``) = −log Σ_h e^{−E(v,h)};
* Z = Σ_{v,h} e^{−E(v,h)} (``log_partition_brute_force``) needs all 2ⁿ⁺ᵐ states; with the free
  energy it needs 2ⁿ -- learning (∂ log Z/∂θ) is the exponential part, not p(h|v).

Measured (CPU): n = 8, m = 12: factorised and brute-force p(h_j = 1 | v) agree to 1e-15 for
all 256 visible states; the brute force enumerates 4096 hidden states per v.

Float64 on the given device.
"""

from __future__ import annotations

import itertools

import torch
from torch import Tensor

from derivspec.reference_models.device import DTYPE, as_device


def all_states(k: int, device=None) -> Tensor:
    """Every binary vector of length k, shape (2^k, k)."""
    return torch.tensor(list(itertools.product((0.0, 1.0), repeat=k)), dtype=DTYPE, device=as_device(device))


class RBM:
    def __init__(self, W: Tensor, b: Tensor, c: Tensor):
        self.W, self.b, self.c = W, b, c

    @classmethod
    def random(cls, visible: int, hidden: int, generator: torch.Generator, device=None, scale: float = 1.0) -> "RBM":
        device = as_device(device, generator)
        draw = lambda *shape: scale * torch.randn(*shape, generator=generator, dtype=DTYPE, device=device)
        return cls(draw(visible, hidden), draw(visible), draw(hidden))

    def energy(self, v: Tensor, h: Tensor) -> Tensor:
        """E(v, h) for v (..., n), h (..., m)."""
        return -(v @ self.b) - (h @ self.c) - ((v @ self.W) * h).sum(-1)

    def hidden_conditional(self, v: Tensor) -> Tensor:
        """p(h_j = 1 | v) = σ(c_j + W_{:j}ᵀ v), shape (..., m)."""
        return torch.sigmoid(self.c + v @ self.W)

    def hidden_conditional_brute_force(self, v: Tensor) -> Tensor:
        """p(h_j = 1 | v) by enumerating every hidden state, for v (B, n)."""
        h = all_states(self.c.shape[0], self.W.device)  # (H, m)
        log_joint = -self.energy(v[:, None, :], h[None, :, :])  # (B, H)
        posterior = torch.softmax(log_joint, 1)
        return posterior @ h

    def free_energy(self, v: Tensor) -> Tensor:
        return -(v @ self.b) - torch.nn.functional.softplus(self.c + v @ self.W).sum(-1)

    def free_energy_brute_force(self, v: Tensor) -> Tensor:
        h = all_states(self.c.shape[0], self.W.device)
        return -torch.logsumexp(-self.energy(v[:, None, :], h[None, :, :]), 1)

    def log_partition_brute_force(self) -> Tensor:
        v = all_states(self.b.shape[0], self.W.device)
        return torch.logsumexp(-self.free_energy_brute_force(v), 0)
