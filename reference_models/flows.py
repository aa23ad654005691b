r"""Normalizing flows as executable specifications (float64, CPU or CUDA, explicit seeds).

Lecture statements made executable (seed 004):

* change of variables and composition, L1872–1880, L2939–2945, L3141–3148:
  :class:`LinearFlowChain` is x = f_K ∘ … ∘ f_1(z_0) with affine f_i(z) = A_i z + b_i and
  non-commuting A_i, so x ~ N(b, AAᵀ) in closed form; ``log_prob(order="right")`` inverts with
  f_K^{-1} first and subtracts each log|det A_i|, ``order="wrong"`` inverts as L3144 writes
  (f_1^{-1} first) and gives another density;
* coupling layers, L3035–3048, L3100–3107, L3215–3229: :class:`RealNVP` (affine couplings with
  alternating masks, conditioners = small tanh MLPs) with an exact inverse, log-det = Σ s(z_A)
  and ``log_prob`` by change of variables; checked against autograd Jacobians, by inverting,
  and by a χ² goodness-of-fit test of its samples against its own density
  (:func:`realnvp_density_gof`);
* autoregressive flows, L3050–3058, L3117–3128, L3181–3192: :class:`MADE` (masked conditioner
  network that counts its passes), :class:`MAF` (density in one pass, sampling in d) and
  :class:`IAF` (sampling in one pass, density in d); ``IAF.from_maf`` builds the IAF whose
  sampling pass *is* the MAF's density pass (x and z swapped);
* planar flows (matrix determinant lemma), Glow's 1×1 convolution (h·w·log|det W|), continuous
  flows (d log p/dt = −tr ∂f/∂z; RK4 against the log-det of the flow map) and Hutchinson's
  trace estimator (one vector–Jacobian product per probe, :class:`CountingField`);
* Box–Muller, L3086 (:func:`box_muller` and its inverse), and L1905–1907 "transformations don't
  add modes", which :func:`count_modes` contradicts for the increasing map with inverse
  g(y) = y³ + c y (two modes for c < 6^{1/3}).

Goodness-of-fit tests (χ², Kolmogorov–Smirnov) run at the toolkit's false-fail rate
``GOF_FALSE_FAIL_RATE`` = 1e-6 with fixed seeds, so a run is reproducible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from derivspec.core.lazy import lazy
from derivspec.core.numbers import fmt
from derivspec.reference_models.device import DTYPE, as_device, make_generator
from derivspec.reference_models.fit_tests import TestOutcome, ks_test, power
from derivspec.reference_models.specification import Check, ResultTable, RunContext, SpecResult, specification

stats = lazy("scipy.stats")

GOF_FALSE_FAIL_RATE = 1e-6  # a correct sampler fails a goodness-of-fit test about once in a million runs
SAMPLE_BLOCK = 16_384  # rows pushed through a flow at a time: the (rows, hidden) temporaries of 400,000 rows at once
# are ~100 MB each, fresh pages from the kernel every time (~40 % of a sample's CPU time went to page faults)
LOG_2PI = math.log(2 * math.pi)


def std_normal_log_prob(z: Tensor) -> Tensor:
    """Σ_i log N(z_i; 0, 1) over the last dimension."""
    return -0.5 * (z**2).sum(-1) - 0.5 * z.shape[-1] * LOG_2PI


def _randn(shape, generator: torch.Generator, device) -> Tensor:
    return torch.randn(shape, generator=generator, dtype=DTYPE, device=device)


# ----------------------------------------------------------------------------------------------
# Composed affine flows: the inverse order and the Jacobian points
# ----------------------------------------------------------------------------------------------


def random_invertible(d: int, generator: torch.Generator, device=None) -> Tensor:
    """Q · diag(e^u) · (I + N) with Q orthogonal, u ~ U(−0.5, 0.5), N strictly lower-triangular:
    well conditioned and (almost surely) not commuting with another such matrix."""
    device = as_device(device, generator)
    q, _ = torch.linalg.qr(_randn((d, d), generator, device))
    scale = torch.exp(torch.rand(d, generator=generator, dtype=DTYPE, device=device) - 0.5)
    shear = torch.tril(0.5 * _randn((d, d), generator, device), diagonal=-1)
    return q @ torch.diag(scale) @ (torch.eye(d, dtype=DTYPE, device=device) + shear)


class LinearFlowChain:
    """x = f_K ∘ … ∘ f_1(z_0), f_i(z) = A_i z + b_i, z_0 ~ N(0, I_d)."""

    def __init__(self, d: int, layers: int, seed: int = 0, device=None):
        self.device = as_device(device)
        g = make_generator(seed, self.device)
        self.A = [random_invertible(d, g, self.device) for _ in range(layers)]
        self.b = [_randn(d, g, self.device) for _ in range(layers)]
        self.d = d

    def forward(self, z0: Tensor) -> Tensor:
        """Generation, L3148: x = f_K ∘ … ∘ f_1(z_0) (f_1 applied first)."""
        z = z0
        for A, b in zip(self.A, self.b):
            z = z @ A.T + b
        return z

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        return self.forward(_randn((n, self.d), generator, self.device))

    def inverse(self, x: Tensor, order: str = "right") -> Tensor:
        """z_0 = f_1^{-1} ∘ … ∘ f_K^{-1}(x) (``right``: f_K^{-1} first) or, as L3144 writes,
        f_K^{-1} ∘ … ∘ f_1^{-1}(x) (``wrong``: f_1^{-1} first)."""
        layers = list(zip(self.A, self.b))
        z = x
        for A, b in (reversed(layers) if order == "right" else layers):
            z = torch.linalg.solve(A, (z - b).T).T
        return z

    def log_det_sum(self) -> Tensor:
        return sum(torch.linalg.slogdet(A)[1] for A in self.A)

    def log_prob(self, x: Tensor, order: str = "right") -> Tensor:
        """log p_0(z_0) − Σ_i log|det A_i| (each Jacobian is constant for affine layers)."""
        return std_normal_log_prob(self.inverse(x, order)) - self.log_det_sum()

    def closed_form(self) -> torch.distributions.MultivariateNormal:
        """x = A z_0 + b with A = A_K ⋯ A_1 and b accumulated: N(b, AAᵀ)."""
        A = torch.eye(self.d, dtype=DTYPE, device=self.device)
        b = torch.zeros(self.d, dtype=DTYPE, device=self.device)
        for Ai, bi in zip(self.A, self.b):
            A, b = Ai @ A, Ai @ b + bi
        return torch.distributions.MultivariateNormal(b, scale_tril=torch.linalg.cholesky(A @ A.T))


def standard_normal_ks_pvalue(z: Tensor) -> float:
    """Smallest Bonferroni-corrected KS p-value of the coordinates of z against N(0, 1)."""
    d = z.shape[1]
    return min(1.0, d * min(stats.kstest(z[:, i].cpu().numpy(), "norm").pvalue for i in range(d)))


# ----------------------------------------------------------------------------------------------
# RealNVP: affine coupling layers
# ----------------------------------------------------------------------------------------------


class AffineCoupling(nn.Module):
    """z'_A = z_A, z'_B = z_B ⊙ exp(s(z_A)) + t(z_A), A = where ``mask`` is True.

    s = ``scale_bound`` · tanh(·) keeps the layer well conditioned; s and t come from one MLP of
    the masked input.
    """

    def __init__(self, mask: Tensor, hidden: int, generator: torch.Generator, scale_bound: float = 1.5):
        super().__init__()
        d = mask.numel()
        self.register_buffer("mask", mask.to(DTYPE))
        self.scale_bound = scale_bound
        device = mask.device

        def linear(n_in, n_out, std):
            layer = nn.Linear(n_in, n_out, dtype=DTYPE, device=device)
            with torch.no_grad():
                layer.weight.copy_(std * _randn((n_out, n_in), generator, device))
                layer.bias.copy_(0.1 * _randn(n_out, generator, device))
            return layer

        self.net = nn.Sequential(linear(d, hidden, 1 / math.sqrt(d)), nn.Tanh(), linear(hidden, 2 * d, 0.8 / math.sqrt(hidden)))

    def scale_shift(self, z_a_masked: Tensor) -> tuple[Tensor, Tensor]:
        s, t = self.net(z_a_masked).chunk(2, dim=-1)
        keep = 1 - self.mask  # only the B coordinates are transformed
        return self.scale_bound * torch.tanh(s) * keep, t * keep

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor]:
        s, t = self.scale_shift(z * self.mask)
        return z * torch.exp(s) + t, s.sum(-1)

    def inverse(self, x: Tensor) -> tuple[Tensor, Tensor]:
        s, t = self.scale_shift(x * self.mask)  # x_A = z_A
        return (x - t) * torch.exp(-s), -s.sum(-1)


class RealNVP(nn.Module):
    """A stack of affine couplings with alternating masks over a N(0, I_d) base."""

    def __init__(self, d: int = 2, layers: int = 6, hidden: int = 32, seed: int = 0, device=None,
                 scale_bound: float = 1.5):
        super().__init__()
        device = as_device(device)
        g = make_generator(seed, torch.device("cpu"))  # drawn on the CPU: one seed, one model on every device
        self.d = d
        masks = []
        for k in range(layers):
            mask = torch.zeros(d, dtype=torch.bool)
            mask[(k % 2)::2] = True  # checkerboard in 1-D: even / odd coordinates alternate
            masks.append(mask)
        self.layers = nn.ModuleList(AffineCoupling(m, hidden, g, scale_bound) for m in masks)
        self.to(device)
        self.device = device

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """x = f(z) and log|det ∂x/∂z| (sum of the layers' Σ s)."""
        log_det = torch.zeros(z.shape[:-1], dtype=DTYPE, device=z.device)
        for layer in self.layers:
            z, ld = layer(z)
            log_det = log_det + ld
        return z, log_det

    def inverse(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """z = f^{-1}(x) (last layer inverted first) and log|det ∂z/∂x|."""
        log_det = torch.zeros(x.shape[:-1], dtype=DTYPE, device=x.device)
        for layer in reversed(self.layers):
            x, ld = layer.inverse(x)
            log_det = log_det + ld
        return x, log_det

    def log_prob(self, x: Tensor) -> Tensor:
        z, log_det = self.inverse(x)
        return std_normal_log_prob(z) + log_det

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        """x = f(z) for n draws z ~ N(0, I_d), drawn at once and pushed through in blocks of SAMPLE_BLOCK rows (the
        rows are independent: the same values as in one block)."""
        z = _randn((n, self.d), generator, self.device)
        with torch.no_grad():
            return torch.cat([self.forward(block)[0] for block in z.split(SAMPLE_BLOCK)])


def autograd_log_det(f, z: Tensor) -> Tensor:
    """log|det ∂f/∂z| per row of z from the full autograd Jacobian (torch.func)."""
    jac = torch.func.vmap(torch.func.jacrev(f))(z)
    return torch.linalg.slogdet(jac)[1]


def autograd_jacobians(f, z: Tensor) -> Tensor:
    return torch.func.vmap(torch.func.jacrev(f))(z)


@dataclass
class ExactnessReport:
    round_trip: float  # max |f^{-1}(f(z)) − z|
    log_det_vs_autograd: float  # max |log-det − autograd slogdet|
    inverse_log_det: float  # max |log|det ∂z/∂x| + log|det ∂x/∂z||


def realnvp_exactness(model: RealNVP, n: int, seed: int = 1, *, inverse=None) -> ExactnessReport:
    """``inverse(model, x) -> (z, log|det ∂z/∂x|)``, the inverse under test (default ``RealNVP.inverse``)."""
    g = make_generator(seed, model.device)
    z = 1.5 * _randn((n, model.d), g, model.device)
    with torch.no_grad():
        x, log_det = model(z)
        z_back, log_det_inv = (inverse or RealNVP.inverse)(model, x)
    auto = autograd_log_det(lambda v: model(v[None])[0][0], z).detach()
    return ExactnessReport(float((z_back - z).abs().max()), float((log_det - auto).abs().max()),
                           float((log_det + log_det_inv).abs().max()))


@dataclass
class GoodnessOfFit:
    statistic: float
    dof: int
    p_value: float
    n: int

    @property
    def passed(self) -> bool:
        return self.p_value > GOF_FALSE_FAIL_RATE


def _bin_probabilities_2d(log_prob, edges_x: Tensor, edges_y: Tensor, nodes: int = 8) -> Tensor:
    """∫∫ exp(log_prob) over each grid cell by tensor-product Gauss–Legendre quadrature."""
    t, wts = (torch.as_tensor(a, dtype=DTYPE, device=edges_x.device) for a in np.polynomial.legendre.leggauss(nodes))

    def nodes_of(edges):
        lo, hi = edges[:-1, None], edges[1:, None]
        return (lo + hi) / 2 + (hi - lo) / 2 * t, (hi - lo) / 2 * wts  # (cells, nodes)

    px, wx = nodes_of(edges_x)
    py, wy = nodes_of(edges_y)
    X = px[:, None, :, None].expand(-1, py.shape[0], -1, nodes)
    Y = py[None, :, None, :].expand(px.shape[0], -1, nodes, -1)
    with torch.no_grad():
        dens = torch.exp(log_prob(torch.stack([X, Y], -1).reshape(-1, 2))).reshape(X.shape)
    return (dens * wx[:, None, :, None] * wy[None, :, None, :]).sum((-1, -2))


def realnvp_density_gof(model: RealNVP, n: int = 200_000, bins: int = 12, seed: int = 2, *, log_prob=None) -> GoodnessOfFit:
    """χ² test of n samples of a 2-D flow against its own change-of-variables density (or against
    ``log_prob(x)``, the density under test, when given).

    Cells: a bins × bins grid between the 0.5 % and 99.5 % sample quantiles of each coordinate
    (taken from an independent pilot sample) plus one cell for everything outside; expected
    counts from quadrature of exp(log_prob) (the outside cell gets 1 − the sum); cells expecting
    fewer than 5 samples are pooled with the outside cell.
    """
    assert model.d == 2
    pilot = model.sample(20_000, make_generator(seed + 1000, model.device))
    q = torch.tensor([0.005, 0.995], dtype=DTYPE, device=model.device)
    edges = [torch.linspace(*torch.quantile(pilot[:, i], q).tolist(), bins + 1, dtype=DTYPE, device=model.device)
             for i in range(2)]
    probs = _bin_probabilities_2d(log_prob or model.log_prob, edges[0], edges[1]).flatten()
    probs = torch.cat([probs, (1 - probs.sum()).clamp_min(1e-12)[None]])
    x = model.sample(n, make_generator(seed, model.device))
    ix = torch.bucketize(x[:, 0].contiguous(), edges[0]) - 1
    iy = torch.bucketize(x[:, 1].contiguous(), edges[1]) - 1
    inside = (ix >= 0) & (ix < bins) & (iy >= 0) & (iy < bins)
    cell = torch.where(inside, ix * bins + iy, torch.full_like(ix, bins * bins))
    counts = torch.bincount(cell, minlength=bins * bins + 1).to(DTYPE)
    expected = n * probs
    sparse = expected < 5  # pooled with the outside cell (the usual rule for the χ² approximation)
    sparse[-1] = True
    counts = torch.cat([counts[~sparse], counts[sparse].sum()[None]])
    expected = torch.cat([expected[~sparse], expected[sparse].sum()[None]])
    statistic = float(((counts - expected) ** 2 / expected).sum())
    dof = len(counts) - 1
    return GoodnessOfFit(statistic, dof, float(stats.chi2.sf(statistic, dof)), n)


def fit_realnvp(model: RealNVP, data: Tensor, steps: int = 2000, lr: float = 3e-3, batch: int = 512,
                seed: int = 0) -> list[float]:
    """Maximum likelihood by Adam on minibatches of ``data``; returns the NLL per 100 steps."""
    g = make_generator(seed, model.device)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for step in range(steps):
        idx = torch.randint(len(data), (batch,), generator=g, device=model.device)
        loss = -model.log_prob(data[idx]).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step % 100 == 0:
            history.append(float(loss.detach()))
    return history


# ----------------------------------------------------------------------------------------------
# Autoregressive flows: MADE, MAF, IAF
# ----------------------------------------------------------------------------------------------


class MADE(nn.Module):
    """Masked conditioner: (μ_i, α_i) depend only on inputs 1..i−1. Counts its calls (passes)."""

    def __init__(self, d: int, hidden: int = 24, seed: int = 0, device=None, scale_bound: float = 1.0):
        super().__init__()
        device = as_device(device)
        g = make_generator(seed, device)
        degrees_in = torch.arange(1, d + 1, device=device)
        degrees_hidden = torch.arange(hidden, device=device) % max(d - 1, 1) + 1
        self.register_buffer("mask1", (degrees_hidden[:, None] >= degrees_in[None, :]).to(DTYPE))
        self.register_buffer("mask2", (degrees_in[:, None] > degrees_hidden[None, :]).to(DTYPE))
        self.W1 = nn.Parameter(_randn((hidden, d), g, device) / math.sqrt(d))
        self.b1 = nn.Parameter(0.1 * _randn(hidden, g, device))
        self.Wm = nn.Parameter(0.7 * _randn((d, hidden), g, device) / math.sqrt(hidden))
        self.Wa = nn.Parameter(0.7 * _randn((d, hidden), g, device) / math.sqrt(hidden))
        self.bm = nn.Parameter(0.3 * _randn(d, g, device))
        self.ba = nn.Parameter(0.3 * _randn(d, g, device))
        self.scale_bound = scale_bound
        self.d = d
        self.calls = 0

    def forward(self, v: Tensor) -> tuple[Tensor, Tensor]:
        self.calls += 1
        h = torch.tanh(v @ (self.W1 * self.mask1).T + self.b1)
        mu = h @ (self.Wm * self.mask2).T + self.bm
        alpha = self.scale_bound * torch.tanh(h @ (self.Wa * self.mask2).T + self.ba)
        return mu, alpha


class MAF:
    """x_i = μ_i(x_{<i}) + e^{α_i(x_{<i})} z_i: density in one pass of the MADE, sampling in d."""

    def __init__(self, made: MADE):
        self.made = made

    def inverse(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """z = (x − μ(x)) e^{−α(x)} and log|det ∂z/∂x| = −Σα: one pass."""
        mu, alpha = self.made(x)
        return (x - mu) * torch.exp(-alpha), -alpha.sum(-1)

    def log_prob(self, x: Tensor) -> Tensor:
        z, log_det = self.inverse(x)
        return std_normal_log_prob(z) + log_det

    def forward(self, z: Tensor, passes: int | None = None) -> Tensor:
        """x from z: pass k fixes coordinate k (its conditioners need x_{<k}); d passes in all."""
        x = torch.zeros_like(z)
        for _ in range(self.made.d if passes is None else passes):
            mu, alpha = self.made(x)
            x = mu + torch.exp(alpha) * z
        return x


class IAF:
    """x_i = μ_i(z_{<i}) + e^{α_i(z_{<i})} z_i: sampling in one pass, density in d."""

    def __init__(self, made: MADE):
        self.made = made
        self.reparameterised = False

    @classmethod
    def from_maf(cls, maf: MAF) -> "IAF":
        """The IAF whose sampling pass is the MAF's density pass: μ' = −μ e^{−α}, α' = −α, so
        x'_i = (z_i − μ_i(z_{<i})) e^{−α_i(z_{<i})} (L3189: same structure, reversed computation)."""
        iaf = cls(maf.made)
        iaf.reparameterised = True
        return iaf

    def conditioners(self, v: Tensor) -> tuple[Tensor, Tensor]:
        mu, alpha = self.made(v)
        if self.reparameterised:
            return -mu * torch.exp(-alpha), -alpha
        return mu, alpha

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """Sampling: one pass; log|det ∂x/∂z| = Σα(z)."""
        mu, alpha = self.conditioners(z)
        return mu + torch.exp(alpha) * z, alpha.sum(-1)

    def inverse(self, x: Tensor, passes: int | None = None) -> tuple[Tensor, Tensor]:
        """Density: z_i needs z_{<i}; d passes, each fixing one more coordinate."""
        z = torch.zeros_like(x)
        for _ in range(self.made.d if passes is None else passes):
            mu, alpha = self.conditioners(z)
            z = (x - mu) * torch.exp(-alpha)
        return z, -alpha.sum(-1)

    def log_prob(self, x: Tensor) -> Tensor:
        z, log_det = self.inverse(x)
        return std_normal_log_prob(z) + log_det


# ----------------------------------------------------------------------------------------------
# Planar flow, 1×1 convolution
# ----------------------------------------------------------------------------------------------


def planar(z: Tensor, u: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """f(z) = z + u tanh(wᵀz + b)."""
    return z + u * torch.tanh(z @ w + b)[..., None]


def planar_log_det_lemma(z: Tensor, u: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """log|1 + uᵀψ(z)|, ψ = (1 − tanh²(wᵀz + b)) w (matrix determinant lemma)."""
    return torch.log(torch.abs(1 + (1 - torch.tanh(z @ w + b) ** 2) * (u @ w)))


def conv1x1(x: Tensor, W: Tensor) -> Tensor:
    """Glow's 1×1 convolution of a (c, h, w) map: the same c×c matrix at every pixel."""
    return torch.nn.functional.conv2d(x[None], W[:, :, None, None])[0]


def conv1x1_log_det_autograd(W: Tensor, height: int, width: int) -> float:
    """log|det| of the full (c·h·w)² Jacobian of :func:`conv1x1`, by autograd."""
    c = W.shape[0]
    x = torch.zeros(c, height, width, dtype=DTYPE, device=W.device)
    jac = torch.autograd.functional.jacobian(lambda v: conv1x1(v, W), x).reshape(c * height * width, -1)
    return float(torch.linalg.slogdet(jac)[1])


# ----------------------------------------------------------------------------------------------
# Continuous flows and Hutchinson's estimator
# ----------------------------------------------------------------------------------------------


def rk4(f, z0: Tensor, t: float, steps: int) -> Tensor:
    """Classic RK4 for dz/dt = f(z) from 0 to t."""
    h = t / steps
    z = z0
    for _ in range(steps):
        k1 = f(z)
        k2 = f(z + h / 2 * k1)
        k3 = f(z + h / 2 * k2)
        k4 = f(z + h * k3)
        z = z + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return z


def cnf_log_density_change(f, z0: Tensor, t: float, steps: int = 200) -> tuple[Tensor, Tensor]:
    """Integrate (z, ℓ) with dz/dt = f(z), dℓ/dt = −tr ∂f/∂z (exact trace, autograd), one sample
    (z0 of shape (d,)): returns z_t and ℓ_t = log p_t(z_t) − log p_0(z_0)."""
    d = z0.shape[0]

    def augmented(state):
        z = state[:d]
        return torch.cat([f(z), -torch.trace(torch.func.jacrev(f)(z))[None]])

    out = rk4(augmented, torch.cat([z0, torch.zeros(1, dtype=DTYPE, device=z0.device)]), t, steps)
    return out[:d], out[d]


def flow_map_log_det(f, z0: Tensor, t: float, steps: int = 200) -> Tensor:
    """log|det ∂z_t/∂z_0| by autograd through the RK4 flow map (the discrete change of variables)."""
    return torch.linalg.slogdet(torch.func.jacrev(lambda z: rk4(f, z, t, steps))(z0))[1]


class CountingField:
    """A vector field f(z) = tanh(W z + c) − 0.5 z on R^d that counts vector–Jacobian products."""

    def __init__(self, d: int, seed: int = 0, device=None):
        device = as_device(device)
        g = make_generator(seed, device)
        self.W = _randn((d, d), g, device) / math.sqrt(d)
        self.c = 0.3 * _randn(d, g, device)
        self.d = d
        self.vjps = 0

    def __call__(self, z: Tensor) -> Tensor:
        return torch.tanh(z @ self.W.T + self.c) - 0.5 * z

    def vjp(self, z: Tensor, v: Tensor) -> Tensor:
        """vᵀ ∂f/∂z (rows of z, one backward pass for the whole batch)."""
        self.vjps += 1
        z = z.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(self(z), z, grad_outputs=v)
        return grad

    def exact_trace(self, z: Tensor) -> Tensor:
        """tr ∂f/∂z by d vector–Jacobian products with the basis vectors."""
        total = torch.zeros(z.shape[0], dtype=DTYPE, device=z.device)
        for i in range(self.d):
            e = torch.zeros_like(z)
            e[:, i] = 1
            total = total + self.vjp(z, e)[:, i]
        return total

    def hutchinson(self, z: Tensor, generator: torch.Generator, rademacher: bool = True, *, probe=None) -> Tensor:
        """εᵀ(∂f/∂z)ε for one probe per row: one vector–Jacobian product. ``probe(shape, generator, device)``
        draws the probes when given (else Rademacher or, with ``rademacher=False``, Gaussian)."""
        if probe is not None:
            eps = probe(z.shape, generator, z.device)
        elif rademacher:
            eps = 2 * torch.randint(0, 2, z.shape, generator=generator, device=z.device).to(DTYPE) - 1
        else:
            eps = torch.randn(z.shape, generator=generator, dtype=DTYPE, device=z.device)
        return (self.vjp(z, eps) * eps).sum(-1)


# ----------------------------------------------------------------------------------------------
# Box–Muller, and a monotone map that adds a mode
# ----------------------------------------------------------------------------------------------


def box_muller(u1: Tensor, u2: Tensor) -> tuple[Tensor, Tensor]:
    r = torch.sqrt(-2 * torch.log(u1))
    return r * torch.cos(2 * math.pi * u2), r * torch.sin(2 * math.pi * u2)


def box_muller_inverse(z1: Tensor, z2: Tensor) -> tuple[Tensor, Tensor]:
    u1 = torch.exp(-(z1**2 + z2**2) / 2)
    u2 = torch.remainder(torch.atan2(z2, z1) / (2 * math.pi), 1.0)
    return u1, u2


def cubic_forward(z: Tensor, c: float) -> Tensor:
    """y = f(z), the real root of y³ + c y = z (Cardano; increasing in z for c > 0)."""
    root = torch.sqrt(z**2 / 4 + c**3 / 27)
    return torch.sign(z / 2 + root) * torch.abs(z / 2 + root) ** (1 / 3) + torch.sign(z / 2 - root) * torch.abs(z / 2 - root) ** (1 / 3)


def cubic_log_density(y: Tensor, c: float) -> Tensor:
    """log p_Y(y) = log φ(y³ + c y) + log(3y² + c) (change of variables with g(y) = y³ + c y)."""
    g = y**3 + c * y
    return -g**2 / 2 - 0.5 * LOG_2PI + torch.log(3 * y**2 + c)


def count_modes(log_density, low: float = -4.0, high: float = 4.0, points: int = 80_001, device=None) -> list[float]:
    """Locations of the strict local maxima of a 1-D log-density on a fine grid."""
    y = torch.linspace(low, high, points, dtype=DTYPE, device=as_device(device))
    v = log_density(y)
    peaks = (v[1:-1] > v[:-2]) & (v[1:-1] > v[2:])
    return y[1:-1][peaks].tolist()


# ----------------------------------------------------------------------------------------------
# Executable specification: change of variables, composition, pushforward (reference_models/flows.py)
# ----------------------------------------------------------------------------------------------

# Deterministic identities are compared in float64: the flows here have ≤ 6 layers of O(1) terms, so
# round-off is ~1e-13; 1e-8 leaves five orders of margin and is still ~1e7 times below the smallest
# error of a broken variant (a wrong-sign log-det moves log p by 2 Σ s ≈ 0.1–5 per point).
FLOW_IDENTITY_TOL = 1e-8
FLOW_FALSE_FAIL_RATE = 1e-6


def wrong_sign_inverse(inverse):
    """A broken inverse: the same z with log|det ∂z/∂x| of the wrong sign."""
    def broken(model, x):
        z, log_det = inverse(model, x)
        return z, -log_det
    return broken


def change_of_variables_errors(d_ar: int = 4, n: int = 200, seed: int = 0, device=None, *,
                               realnvp_inverse=None, maf_inverse=None) -> dict[str, float]:
    """log p(x) by the flow's own inverse and log-det against log p_0(f⁻¹(x)) + log|det ∂f⁻¹/∂x| with the
    Jacobian from autograd (torch.func.jacrev) at n points, for a RealNVP (coupling, d = 2) and a MAF
    (autoregressive, d = ``d_ar``); plus the RealNVP round trip. Returns the largest absolute errors.
    ``realnvp_inverse(model, x)`` / ``maf_inverse(maf, x)`` are the inverses under test."""
    device = as_device(device)
    realnvp_inverse = realnvp_inverse or RealNVP.inverse
    maf_inverse = maf_inverse or MAF.inverse
    g = make_generator(seed, device)
    model = RealNVP(2, seed=seed, device=device)
    with torch.no_grad():
        x = model.sample(n, g)
        z, log_det = realnvp_inverse(model, x)
        round_trip = float((model(z)[0] - x).abs().max())
    auto = autograd_log_det(lambda v: model.inverse(v[None])[0][0], x).detach()
    coupling = float((std_normal_log_prob(z) + log_det - (std_normal_log_prob(z) + auto)).abs().max())
    maf = MAF(MADE(d_ar, seed=seed + 1, device=device))
    with torch.no_grad():
        xa = maf.forward(_randn((n, d_ar), g, device))
        za, log_det_a = maf_inverse(maf, xa)
    auto_a = autograd_log_det(lambda v: maf.inverse(v[None])[0][0], xa).detach()
    autoregressive = float((log_det_a - auto_a).abs().max())
    return {"coupling log p": coupling, "autoregressive log p": autoregressive, "coupling round trip": round_trip}


def composition_error(d: int = 3, layers: int = 3, n: int = 200, seed: int = 0, device=None, *,
                      order: str = "right") -> float:
    """max |log p(x) by inverting the affine chain (``order``) and subtracting Σ log|det A_i| − log N(x; b, AAᵀ)|
    at n points (004 L3143–3145): only f_K⁻¹ applied first (``right``) gives the density."""
    device = as_device(device)
    chain = LinearFlowChain(d, layers, seed=seed, device=device)
    x = chain.sample(n, make_generator(seed + 1, device))
    return float((chain.log_prob(x, order) - chain.closed_form().log_prob(x)).abs().max())


def generate_chain(chain: LinearFlowChain, z0: Tensor, order: str = "right") -> Tensor:
    """x = f_K ∘ … ∘ f_1(z_0) (``right``, 004 L3148) or the layers applied in the opposite order (``wrong``)."""
    layers = list(zip(chain.A, chain.b))
    z = z0
    for A, b in (layers if order == "right" else reversed(layers)):
        z = z @ A.T + b
    return z


def pushforward_ks(n: int, seed: int, device=None, d: int = 3, layers: int = 3, *, order: str = "right"):
    """KS test that the pushforward of N(0, I) through the affine chain is N(b, AAᵀ): the samples whitened
    by the closed form's Cholesky factor, L⁻¹(x − b), are n·d i.i.d. N(0, 1) values under the statement."""
    device = as_device(device)
    chain = LinearFlowChain(d, layers, seed=0, device=device)
    x = generate_chain(chain, _randn((n, d), make_generator(seed, device), device), order)
    target = chain.closed_form()
    white = torch.linalg.solve_triangular(target.scale_tril, (x - target.loc).T, upper=False).T
    return ks_test(white.reshape(-1), stats.norm.cdf, FLOW_FALSE_FAIL_RATE)


def coupling_density_chi2(n: int, seed: int, device=None, *, log_prob=None):
    """χ² test (:func:`realnvp_density_gof`) of a fixed RealNVP's samples against its change-of-variables
    density ``log_prob`` (default the model's), as a TestOutcome at FLOW_FALSE_FAIL_RATE."""
    model = RealNVP(2, seed=0, device=as_device(device))
    gof = realnvp_density_gof(model, n=n, seed=seed, log_prob=log_prob and (lambda x: log_prob(model, x)))
    return TestOutcome(f"χ² on {gof.dof} dof", gof.statistic, float(stats.chi2.isf(FLOW_FALSE_FAIL_RATE, gof.dof)), n,
                       FLOW_FALSE_FAIL_RATE)


def wrong_sign_log_prob(model: RealNVP, x: Tensor) -> Tensor:
    """A broken density: log p_0(z) − log|det ∂z/∂x| (the log-det added with the wrong sign)."""
    z, log_det = model.inverse(x)
    return std_normal_log_prob(z) - log_det


@specification("flows", "Coupling and autoregressive flows: change of variables, composition order, pushforward",
               family="flow", steps=4, report="full",
               statements="p(y) = p_X(g(y)) |det J_g(y)| (004 L1872–1880); log p(x) = log p_0(z_0) − Σ log|det ∂f_i/∂z| "
               "for x = f_K ∘ … ∘ f_1(z_0) (004 L2939–2945, L3141–3148); affine coupling with block-triangular Jacobian, "
               "det = exp(Σ s) and explicit inverse (004 L3036–3048); autoregressive flows with triangular Jacobian "
               "(004 L3050–3058)")
def run_flows(ctx: RunContext) -> SpecResult:
    """Quick: 200 Jacobian points, 20,000 pushforward draws (×3 coordinates), 50,000 draws for the χ² test."""
    result = ctx.result("flows")
    n_ks, n_chi2, reps = (20_000, 50_000, 5) if ctx.quick else (200_000, 400_000, 20)
    ctx.step("change of variables against autograd Jacobians (RealNVP, MAF)")
    errors = change_of_variables_errors(seed=ctx.seed, device=ctx.device)
    broken = change_of_variables_errors(seed=ctx.seed, device=ctx.device,
                                        realnvp_inverse=wrong_sign_inverse(RealNVP.inverse),
                                        maf_inverse=wrong_sign_inverse(MAF.inverse))
    worst = max(errors.values())
    result.checks.append(Check(
        "coupling and autoregressive flows: log p(x) = log p_0(f⁻¹(x)) + log|det ∂f⁻¹/∂x| (autograd Jacobian), exact inverse",
        worst <= FLOW_IDENTITY_TOL, f"max error {fmt(worst, '.1e')} (tolerance {fmt(FLOW_IDENTITY_TOL, 'g')}); the log-det with the "
        f"wrong sign is off by {fmt(max(broken['coupling log p'], broken['autoregressive log p']), '.2f')}"))
    result.tables.append(ResultTable("Change of variables vs autograd (max |error| over 200 points)",
                                     ("quantity", "flow's own log-det", "log-det with the wrong sign"),
                                     [(k, f"{fmt(v, '.1e')}", f"{fmt(broken[k], '.2e')}") for k, v in errors.items()]))
    ctx.step("composition order of an affine chain")
    right = composition_error(seed=ctx.seed + 1, device=ctx.device)
    wrong = composition_error(seed=ctx.seed + 1, device=ctx.device, order="wrong")
    result.checks.append(Check("log p(x) through x = f_K ∘ … ∘ f_1(z_0) inverts f_K first and equals N(x; b, AAᵀ)",
                               right <= FLOW_IDENTITY_TOL, f"max |log p − log N(x; b, AAᵀ)| = {fmt(right, '.1e')} (tolerance "
                               f"{fmt(FLOW_IDENTITY_TOL, 'g')}); inverting f_1 first (as 004 L3144 writes): {fmt(wrong, '.2f')}"))
    ctx.step("pushforward of N(0, I) through the affine chain (KS)")
    seed = ctx.seed * 1000 + 11
    ks = pushforward_ks(n_ks, seed, ctx.device)
    alt = power(lambda r: pushforward_ks(n_ks, seed + 1 + r, ctx.device, order="wrong"),
                "the layers applied in the opposite order (f_1 ∘ … ∘ f_K)", reps)
    result.checks.append(Check.tested("the pushforward of N(0, I) through the composed flow is N(b, AAᵀ)", ks, alt))
    ctx.step("pushforward of a coupling flow against its change-of-variables density (χ²)")
    chi2 = coupling_density_chi2(n_chi2, seed + 100, ctx.device)
    alt = power(lambda r: coupling_density_chi2(n_chi2, seed + 101 + r, ctx.device, log_prob=wrong_sign_log_prob),
                "the coupling flow's density with the log-det of the wrong sign", reps)
    result.checks.append(Check.tested("samples of a coupling flow follow its change-of-variables density", chi2, alt))
    return result
