r"""DDPM forward process, x0 round trip and a toy 2-D DDPM (executable spec).

Spec of the lecture statements (Ho et al. 2020):

* forward process q(x_t | x_{t-1}) = N(sqrt(alpha_t) x_{t-1}, (1 - alpha_t) I), alpha_t = 1 - beta_t;
  its t-fold composition is the one-shot "jump"

      q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I),   abar_t = prod_{s <= t} alpha_s

  (``simulate_forward`` vs ``jump``, compared by ``two_sample_moment_test``);
* "At t = T: x_T ~ N(0, I) (pure noise)" (004 L3367; claim ``ddpm.schedule.alpha-bar``, whose
  behaviour sources evaluate it per schedule): abar_T ~ 0 holds for the standard linear schedule
  (T = 1000, beta from 1e-4 to 0.02: abar_T = 4.0e-5) and the cosine schedule (Nichol & Dhariwal
  2021, T = 1000, s = 0.008: abar_T = 2.4e-9; ``cosine_schedule``), the two the notes name
  (004 L3363), and fails for a schedule with too little total noise (T = 1000, beta in
  [1e-5, 1e-3]: abar_T = 0.603; T = 50 with the standard endpoints: abar_T = 0.603)
  (``alpha_bar_T_report``);
* x_0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t) (``predict_x0``): exact algebra, but
  near t = T it divides by sqrt(abar_T) = 6.3e-3, so rounding in x_t is amplified ~160x.
  Precision policy of the toolkit: schedules are *computed* in float64 (linspace, 1 - beta,
  cumprod) and cast to the working dtype at the end (``linear_schedule(dtype=...)``); a
  float32 cumprod (``compute_dtype=torch.float32``) accumulates relative error in abar_t
  (measured: worst 2.7e-7 vs 5.7e-8 <= 2^-24 for float64-then-cast). The float32 round trip
  itself is dominated by the rounding of x_t amplified by 1 / sqrt(abar_t): worst
  |x0_hat - x0| 1.7e-7 at t = 1 and 1.85e-5 at t = T with either float32 schedule (float64:
  < 6e-14 for every t);
* the simple loss E ||eps - eps_theta(sqrt(abar_t) x0 + sqrt(1 - abar_t) eps, t)||^2 and
  ancestral sampling

      x_{t-1} = (x_t - beta_t / sqrt(1 - abar_t) eps_theta(x_t, t)) / sqrt(alpha_t) + sigma_t z,
      sigma_t^2 = beta_t  (z = 0 at t = 1),

  learn a 2-D mixture of 4 Gaussians (means (+-2, +-2): a square of side 4, std 0.3, equal
  weights). Toy schedule: T = 100, linear beta from 1e-3 to 0.2 (the standard endpoints x 10,
  so the total noise sum beta ~ 10 matches T = 1000; abar_T = 2.0e-5).

Indexing: ``betas[s - 1]`` is beta_s for s = 1..T (tensors are 0-based, time is 1-based).
Everything on the given device; randomness only from explicit ``torch.Generator`` objects
(including the network initialisation, ``EpsMLP(init_seed=...)``). Float64 except the toy
network and its sampler, which run in float32.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from derivspec.core.lazy import lazy
from derivspec.core.numbers import fmt
from derivspec.reference_models.device import DTYPE, make_generator
from derivspec.reference_models.fit_tests import TestOutcome, power
from derivspec.reference_models.specification import Check, ResultTable, RunContext, SpecResult, pyplot, save_figure, specification

ndtri = lazy("scipy.special", "ndtri")  # the standard normal quantile
chi2 = lazy("scipy.stats", "chi2")

# --------------------------------------------------------------------------------------------
# Schedules
# --------------------------------------------------------------------------------------------


def linear_schedule(T: int = 1000, beta_1: float = 1e-4, beta_T: float = 0.02, *,
                    dtype: torch.dtype = DTYPE, device: torch.device | str | None = None,
                    compute_dtype: torch.dtype = torch.float64) -> tuple[Tensor, Tensor, Tensor]:
    """(betas, alphas, alpha_bars), each of length T; beta linear from beta_1 to beta_T.

    Computed in ``compute_dtype`` (float64 by default, the toolkit's policy) and cast to
    ``dtype`` at the end. ``compute_dtype=torch.float32`` exists only to show the error of a
    float32 cumprod.
    """
    if T < 1:
        raise ValueError(f"T must be >= 1, got {T}")
    if not (0 < beta_1 < 1 and 0 < beta_T < 1):
        raise ValueError(f"betas must lie in (0, 1), got {beta_1}, {beta_T}")
    betas = torch.linspace(beta_1, beta_T, T, dtype=torch.float64, device=device).to(compute_dtype)
    alphas = 1 - betas
    alpha_bars = torch.cumprod(alphas, dim=0)
    return betas.to(dtype), alphas.to(dtype), alpha_bars.to(dtype)


def cosine_schedule(T: int = 1000, s: float = 0.008, max_beta: float = 0.999, *, dtype: torch.dtype = DTYPE,
                    device: torch.device | str | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """(betas, alphas, alpha_bars) of the cosine schedule (Nichol & Dhariwal 2021, eq. 17).

    abar_t = f(t) / f(0), f(t) = cos^2(((t / T) + s) / (1 + s) * pi / 2); beta_t = 1 - abar_t / abar_{t-1},
    clipped to ``max_beta`` (0.999 in the paper, so beta_T < 1); the returned alpha_bars are the cumprod
    of the clipped alphas, i.e. the schedule actually run. Computed in float64, cast to ``dtype``.
    """
    if T < 1:
        raise ValueError(f"T must be >= 1, got {T}")
    if not (s > 0 and 0 < max_beta < 1):
        raise ValueError(f"need s > 0 and max_beta in (0, 1), got s = {s}, max_beta = {max_beta}")
    steps = torch.arange(T + 1, dtype=torch.float64, device=device)
    f = torch.cos((steps / T + s) / (1 + s) * math.pi / 2) ** 2
    bar = f / f[0]
    betas = (1 - bar[1:] / bar[:-1]).clamp(max=max_beta)
    alphas = 1 - betas
    return betas.to(dtype), alphas.to(dtype), torch.cumprod(alphas, dim=0).to(dtype)


TOY_T = 100
TOY_BETA_1 = 1e-3
TOY_BETA_T = 0.2


def toy_schedule(dtype: torch.dtype = DTYPE, device: torch.device | str | None = None):
    """The toy DDPM schedule: T = 100, linear beta from 1e-3 to 0.2."""
    return linear_schedule(TOY_T, TOY_BETA_1, TOY_BETA_T, dtype=dtype, device=device)


def alpha_bar_T_report() -> dict[str, float]:
    """abar_T of the standard schedule, of two failing ones (too little total noise), the toy and the cosine schedule."""
    return {
        "standard (T=1000, beta 1e-4..0.02)": float(linear_schedule(1000, 1e-4, 0.02)[2][-1]),
        "failing (T=1000, beta 1e-5..1e-3)": float(linear_schedule(1000, 1e-5, 1e-3)[2][-1]),
        "failing (T=50, beta 1e-4..0.02)": float(linear_schedule(50, 1e-4, 0.02)[2][-1]),
        "toy (T=100, beta 1e-3..0.2)": float(toy_schedule()[2][-1]),
        "cosine (T=1000, s=0.008)": float(cosine_schedule(1000, 0.008)[2][-1]),
    }


# --------------------------------------------------------------------------------------------
# Forward process
# --------------------------------------------------------------------------------------------


def simulate_forward(x0: Tensor, alphas: Tensor, t: int, generator: torch.Generator) -> Tensor:
    """t one-step transitions x_s = sqrt(alpha_s) x_{s-1} + sqrt(1 - alpha_s) eps, s = 1..t.

    ``alphas[s - 1]`` is alpha_s; ``x0`` holds the batch (e.g. shape (n,) or (n, d)).
    To continue a path from step t0, pass ``alphas[t0:]``.
    """
    if not 0 <= t <= alphas.numel():
        raise ValueError(f"t must lie in [0, {alphas.numel()}], got {t}")
    x = x0.clone()
    eps = torch.empty_like(x)
    a = alphas.to(torch.float64).tolist()
    for s in range(t):
        eps.normal_(generator=generator)
        x.mul_(math.sqrt(a[s])).add_(eps, alpha=math.sqrt(1 - a[s]))
    return x


def jump(x0: Tensor, alpha_bar_t: Tensor | float, generator: torch.Generator) -> Tensor:
    """One-shot sample of q(x_t | x0) = N(sqrt(abar_t) x0, (1 - abar_t) I)."""
    abar = torch.as_tensor(alpha_bar_t, dtype=x0.dtype, device=x0.device)
    eps = torch.randn(x0.shape, generator=generator, dtype=x0.dtype, device=x0.device)
    return abar.sqrt() * x0 + (1 - abar).sqrt() * eps


def two_sample_moment_test(a: Tensor, b: Tensor, false_fail_rate: float = 1e-6):
    r"""z-tests that two independent samples have equal means and equal variances.

    ``a``, ``b``: shape (n,) or (n, d) (rows are draws; each coordinate is tested).
    Per coordinate:

        z_mean = (m_a - m_b) / sqrt(s_a^2 / n_a + s_b^2 / n_b)
        z_var  = (s_a^2 - s_b^2) / sqrt(V_a + V_b),   V = (m4 - s^4) / n

    (m4 the sample fourth central moment: the large-sample variance of s^2, valid for any
    distribution with a finite fourth moment). The 2 d tests are combined by Bonferroni:
    each uses the critical value for ``false_fail_rate / (2 d)``, so the whole comparison
    fails a true claim with probability <= ``false_fail_rate`` (CLT approximation).

    Returns (passed, {"mean": [z per coordinate], "var": [...], "z_critical": z}).
    """
    a2 = a.to(torch.float64).reshape(a.shape[0], -1)
    b2 = b.to(torch.float64).reshape(b.shape[0], -1)
    if a2.shape[1] != b2.shape[1]:
        raise ValueError(f"samples have different dimensions: {a2.shape[1]} vs {b2.shape[1]}")

    def stats(x: Tensor):
        n = x.shape[0]
        mean = x.mean(0)
        c = x - mean
        var = (c * c).sum(0) / (n - 1)
        m4 = (c ** 4).mean(0)
        return n, mean, var, (m4 - var * var).clamp_min(0) / n

    na, ma, va, Va = stats(a2)
    nb, mb, vb, Vb = stats(b2)
    z_mean = (ma - mb) / (va / na + vb / nb).sqrt()
    z_var = (va - vb) / (Va + Vb).sqrt()
    k = 2 * a2.shape[1]
    z_crit = float(-ndtri(false_fail_rate / k / 2))  # two-sided: P(|Z| > z) = false_fail_rate / k
    z_all = torch.cat([z_mean, z_var])
    passed = bool(torch.isfinite(z_all).all()) and bool((z_all.abs() <= z_crit).all())
    return passed, {"mean": z_mean.tolist(), "var": z_var.tolist(), "z_critical": z_crit}


# --------------------------------------------------------------------------------------------
# x0 round trip
# --------------------------------------------------------------------------------------------


def predict_x0(xt: Tensor, eps: Tensor, alpha_bar_t: Tensor | float) -> Tensor:
    """x0_hat = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t)."""
    abar = torch.as_tensor(alpha_bar_t, dtype=xt.dtype, device=xt.device)
    return (xt - (1 - abar).sqrt() * eps) / abar.sqrt()


def round_trip_errors(alpha_bars: Tensor, x0: Tensor, eps: Tensor) -> Tensor:
    """Worst |predict_x0(x_t, eps, abar_t) - x0| per t, x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps.

    Everything in the dtype of ``alpha_bars`` (x0, eps are cast to it). Returns shape (T,), float64.
    """
    ab = alpha_bars.reshape(-1, *([1] * x0.dim()))
    x0c, epsc = x0.to(alpha_bars.dtype), eps.to(alpha_bars.dtype)
    xt = ab.sqrt() * x0c + (1 - ab).sqrt() * epsc
    x0_hat = (xt - (1 - ab).sqrt() * epsc) / ab.sqrt()
    err = (x0_hat.to(torch.float64) - x0.to(torch.float64)).abs()
    return err.reshape(err.shape[0], -1).amax(1)


# --------------------------------------------------------------------------------------------
# Toy DDPM: data
# --------------------------------------------------------------------------------------------

MODE_STD = 0.3
MODE_RADIUS = 1.0  # a sample "belongs" to its nearest mode if within this distance


def mixture_means(dtype: torch.dtype = DTYPE, device: torch.device | str | None = None) -> Tensor:
    """The 4 mode centres (+-2, +-2): the corners of a square of side 4."""
    return torch.tensor([[2.0, 2.0], [-2.0, 2.0], [-2.0, -2.0], [2.0, -2.0]], dtype=dtype, device=device)


def sample_data(n: int, generator: torch.Generator, dtype: torch.dtype = DTYPE,
                device: torch.device | str | None = None) -> Tensor:
    """n draws from the equal-weight mixture of N(mu_k, 0.3^2 I), shape (n, 2)."""
    device = generator.device if device is None else device
    means = mixture_means(dtype, device)
    comp = torch.randint(0, 4, (n,), generator=generator, device=device)
    noise = torch.randn((n, 2), generator=generator, dtype=dtype, device=device)
    return means[comp] + MODE_STD * noise


def mixture_log_density(x: Tensor) -> Tensor:
    """log p(x) of the data mixture, shape (n,)."""
    means = mixture_means(x.dtype, x.device)
    d2 = ((x[:, None, :] - means[None]) ** 2).sum(-1)
    log_comp = -d2 / (2 * MODE_STD ** 2) - math.log(2 * math.pi * MODE_STD ** 2)
    return torch.logsumexp(log_comp, dim=1) - math.log(4)


def mode_masses(x: Tensor) -> Tensor:
    """Fraction of samples whose nearest mode is k *and* lies within ``MODE_RADIUS``; shape (4,).

    The masses sum to <= 1; the rest of the samples are off every mode.
    """
    means = mixture_means(x.dtype, x.device)
    d = ((x[:, None, :] - means[None]) ** 2).sum(-1).sqrt()
    dmin, k = d.min(1)
    hit = dmin <= MODE_RADIUS
    return torch.stack([((k == j) & hit).to(torch.float64).mean() for j in range(4)])


def mmd2_rbf(x: Tensor, y: Tensor, bandwidth: float = 1.0) -> float:
    r"""Unbiased MMD^2 (U-statistic) with k(x, y) = exp(-||x - y||^2 / (2 h^2)), h = ``bandwidth``.

    Computed in float64; can be slightly negative when the distributions agree.
    """
    x, y = x.to(torch.float64), y.to(torch.float64)
    m, n = x.shape[0], y.shape[0]

    def k(a, b):
        return torch.exp(-torch.cdist(a, b).pow(2) / (2 * bandwidth ** 2))

    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    term_x = (kxx.sum() - kxx.diagonal().sum()) / (m * (m - 1))
    term_y = (kyy.sum() - kyy.diagonal().sum()) / (n * (n - 1))
    return float(term_x + term_y - 2 * kxy.mean())


# The toy sampler's goodness-of-fit test: 8 cells of equal target mass ----------------------------------------------

HALF_MASS_RADIUS = MODE_STD * math.sqrt(2 * math.log(2))  # P(‖x − μ_k‖ ≤ r | mode k) = 1 − exp(−r²/2σ²) = 1/2
TOY_FALSE_FAIL_RATE = 1e-3  # the toy sampler check rejects the exact target mixture once in a thousand runs


def mode_cell_counts(x: Tensor) -> Tensor:
    """Counts in 8 cells: nearest mode k (4) × (‖x − μ_k‖ ≤ HALF_MASS_RADIUS, beyond it); shape (8,).

    Under the target each cell has mass 1/8: the nearest-mode regions are the four quadrants, which
    the square's symmetry gives mass 1/4 each (a mode's own quadrant holds all but P(N(0,1) > 2/0.3)
    ≈ 1e-11 of its mass), and the half-mass radius splits each mode in two halves (‖x − μ‖²/σ² ~ χ²₂)."""
    d = torch.cdist(x.to(torch.float64), mixture_means(torch.float64, x.device))
    dmin, k = d.min(1)
    cell = 2 * k + (dmin > HALF_MASS_RADIUS).long()
    return torch.bincount(cell, minlength=8)


def mode_cell_test(x: Tensor, false_fail_rate: float = TOY_FALSE_FAIL_RATE) -> TestOutcome:
    """Pearson χ² goodness of fit of :func:`mode_cell_counts` against 1/8 per cell (7 degrees of freedom).

    Sensitive to a mode's weight (both of its cells move) and to the within-mode spread (inner vs
    outer half); stragglers far from every mode only land in outer cells. The n ≥ 2000 used here
    gives ≥ 250 expected per cell, where the χ² approximation of the null is accurate."""
    counts = mode_cell_counts(x).to(torch.float64)
    if not torch.isfinite(x).all():
        return TestOutcome("χ² mode cells (8)", math.inf, 0.0, x.shape[0], false_fail_rate)
    expected = x.shape[0] / 8
    statistic = float(((counts - expected) ** 2).sum() / expected)
    return TestOutcome("χ² mode cells (8)", statistic, float(chi2.ppf(1 - false_fail_rate, 7)), x.shape[0],
                       false_fail_rate)


def sample_mixture(n: int, generator: torch.Generator, weights=(0.25, 0.25, 0.25, 0.25),
                   stds=(MODE_STD,) * 4, dtype: torch.dtype = torch.float32) -> Tensor:
    """n draws of Σ_k w_k N(μ_k, s_k² I) on the toy modes: the target, or an alternative for the power."""
    device = generator.device
    w = torch.tensor(weights, dtype=torch.float64, device=device)
    comp = torch.multinomial(w, n, replacement=True, generator=generator)
    noise = torch.randn((n, 2), generator=generator, dtype=dtype, device=device)
    return mixture_means(dtype, device)[comp] + torch.tensor(stds, dtype=dtype, device=device)[comp, None] * noise


# --------------------------------------------------------------------------------------------
# Toy DDPM: network, training, sampling
# --------------------------------------------------------------------------------------------


def time_embedding(t: Tensor, T: int, dim: int = 16) -> Tensor:
    """Sinusoidal embedding of t / T (frequencies 1 .. 2^(dim/2 - 1) times pi), shape (n, dim)."""
    freqs = math.pi * 2.0 ** torch.arange(dim // 2, dtype=torch.float32, device=t.device)
    arg = (t.to(torch.float32) / T)[:, None] * freqs[None]
    return torch.cat([arg.sin(), arg.cos()], dim=1)


class EpsMLP(nn.Module):
    """eps_theta(x_t, t): (2 + 16-dim time embedding) -> 64 -> 64 -> 2, SiLU, float32.

    Initialisation (deterministic given ``init_seed``): each Linear's weight and bias are
    redrawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's default range) with a
    generator seeded with ``init_seed`` on ``device``.
    """

    def __init__(self, T: int = TOY_T, hidden: int = 64, emb_dim: int = 16, *, init_seed: int = 0,
                 device: torch.device | str | None = None):
        super().__init__()
        device = torch.device("cpu") if device is None else torch.device(device)
        self.T, self.emb_dim = T, emb_dim
        self.net = nn.Sequential(
            nn.Linear(2 + emb_dim, hidden), nn.SiLU(),
            nn.Linear(hidden, hidden), nn.SiLU(),
            nn.Linear(hidden, 2),
        ).to(device=device, dtype=torch.float32)
        g = make_generator(init_seed, device)
        with torch.no_grad():
            for layer in self.net:
                if isinstance(layer, nn.Linear):
                    bound = 1 / math.sqrt(layer.in_features)
                    for p in (layer.weight, layer.bias):
                        p.copy_((2 * torch.rand(p.shape, generator=g, device=device) - 1) * bound)

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        return self.net(torch.cat([x, time_embedding(t, self.T, self.emb_dim)], dim=1))


@dataclass
class TrainResult:
    steps: int
    seconds: float
    final_loss: float  # mean simple loss over the last 100 steps


def train_ddpm(model: EpsMLP, generator: torch.Generator, *, steps: int = 4000, batch: int = 256,
               lr: float = 3e-3, lr_final_ratio: float = 0.05) -> TrainResult:
    """Adam on the simple loss ||eps - eps_theta(x_t, t)||^2 (mean over batch), fresh data each step.

    t ~ U{1..T}, x0 ~ data, eps ~ N(0, I), x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps;
    the learning rate decays as a cosine from ``lr`` to ``lr * lr_final_ratio``.
    All draws come from ``generator`` (on the model's device).
    """
    device = next(model.parameters()).device
    _, _, abars = linear_schedule(model.T, TOY_BETA_1, TOY_BETA_T, dtype=torch.float32, device=device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: lr_final_ratio + (1 - lr_final_ratio) * 0.5 * (1 + math.cos(math.pi * k / steps)))
    losses = []
    start = time.perf_counter()
    for _ in range(steps):
        x0 = sample_data(batch, generator, dtype=torch.float32, device=device)
        t = torch.randint(1, model.T + 1, (batch,), generator=generator, device=device)
        eps = torch.randn((batch, 2), generator=generator, dtype=torch.float32, device=device)
        ab = abars[t - 1][:, None]
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
        loss = ((eps - model(xt, t)) ** 2).sum(1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.detach())
    final = float(torch.stack(losses[-100:]).mean())
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return TrainResult(steps=steps, seconds=time.perf_counter() - start, final_loss=final)


@torch.no_grad()
def ancestral_sample(model: EpsMLP, n: int, generator: torch.Generator, *,
                     beta_range: tuple[float, float] = (TOY_BETA_1, TOY_BETA_T), eps_sign: float = 1.0) -> Tensor:
    """x_T ~ N(0, I); x_{t-1} = (x_t - beta_t / sqrt(1 - abar_t) eps_theta) / sqrt(alpha_t) + sqrt(beta_t) z.

    ``beta_range`` (the schedule the sampler assumes) and ``eps_sign`` exist for the broken variants
    the toy check must reject: a schedule other than the one trained on, or the noise added instead of removed."""
    device = next(model.parameters()).device
    betas, alphas, abars = linear_schedule(model.T, *beta_range, dtype=torch.float32, device=device)
    x = torch.randn((n, 2), generator=generator, dtype=torch.float32, device=device)
    for t in range(model.T, 0, -1):
        tt = torch.full((n,), t, dtype=torch.long, device=device)
        eps = eps_sign * model(x, tt)
        x = (x - betas[t - 1] / (1 - abars[t - 1]).sqrt() * eps) / alphas[t - 1].sqrt()
        if t > 1:
            x = x + betas[t - 1].sqrt() * torch.randn((n, 2), generator=generator, dtype=torch.float32,
                                                      device=device)
    return x


TOY_ALTERNATIVES = {  # named alternatives for the power of the toy sampler check
    "one mode's weight 1/4 → 1/8 (the others 7/24)": dict(weights=(0.125, 7 / 24, 7 / 24, 7 / 24)),
    "every mode's std 0.3 → 0.36 (+20 %)": dict(stds=(0.36,) * 4),
}


def toy_sampler_check(model: EpsMLP, n: int, generator: torch.Generator, *, sampler=ancestral_sample,
                      replicates: int = 40, false_fail_rate: float = TOY_FALSE_FAIL_RATE) -> tuple[Check, Tensor]:
    """Ancestral samples of the trained ε-model against the target mixture (:func:`mode_cell_test`),
    with the power of the same test at the same n on ``replicates`` draws of each named alternative
    (the first is recorded on the Check). ``sampler`` is the sampler under test. Returns (check, samples)."""
    samples = sampler(model, n, generator)
    outcome = mode_cell_test(samples, false_fail_rate)
    powers = [power(lambda r, kw=kw: mode_cell_test(sample_mixture(n, generator, **kw), false_fail_rate), name,
                    replicates) for name, kw in TOY_ALTERNATIVES.items()]
    counts = mode_cell_counts(samples).tolist() if torch.isfinite(samples).all() else "non-finite samples"
    check = Check("ancestral samples of the trained ε-model follow the 4-Gaussian target (004 L3394–3401)",
                  outcome.passed, f"{outcome.describe()}; cell counts (inner, outer per mode ++, −+, −−, +−) {counts}, "
                  f"{fmt(n / 8, 'g')} expected each; " + "; ".join(p.describe() for p in powers), outcome, powers[0])
    return check, samples


# --- executable specification: DDPM schedules, forward process and sampler (reference_models/ddpm.py) -------------------

DDPM_TS = (1, 10, 100, 1000)


@specification("ddpm", "DDPM: schedules and ᾱ_t, forward simulation vs the one-shot jump, a toy sampler", family="ddpm",
               statements="q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I); x_T ≈ N(0, I) for the standard schedules "
               "(004 L3363–3367; claims ddpm.marginal.*, ddpm.schedule.alpha-bar); ancestral sampling of a trained "
               "ε-model follows the data (004 L3394–3401)", steps=4, report="always")
def run_ddpm(ctx: RunContext) -> SpecResult:
    result = ctx.result("ddpm")
    ctx.step("ᾱ_T of the schedules")
    report = alpha_bar_T_report()
    result.tables.append(ResultTable("ᾱ_T per schedule (x_T ≈ N(0, I) needs ᾱ_T ≈ 0)", ("schedule", "ᾱ_T", "√ᾱ_T"),
                                     [(name, f"{fmt(v, '.3e')}", f"{fmt(math.sqrt(v), '.3e')}") for name, v in report.items()]))
    noisy = [name for name, v in report.items() if not name.startswith("failing") and v > 1e-3]
    result.checks.append(Check("ᾱ_T ≈ 0 (< 1e-3) for the standard, cosine and toy schedules", not noisy,
                               "; ".join(f"{k}: {fmt(v, '.1e')}" for k, v in report.items())))

    ctx.step("forward simulation vs one-shot jump")
    n = 20_000 if ctx.quick else 200_000
    _, alphas, abars = linear_schedule(device=ctx.device)
    x0 = torch.full((n,), 1.5, dtype=DTYPE, device=ctx.device)
    g_sim, g_jump, g_wrong = ctx.generator(1), ctx.generator(2), ctx.generator(3)
    x, previous, rows, all_pass, wrong_rejected = x0, 0, [], True, True
    largest_z, smallest_wrong_z = 0.0, math.inf
    for t in DDPM_TS:
        x = simulate_forward(x, alphas[previous:], t - previous, g_sim)
        previous = t
        passed, z = two_sample_moment_test(x, jump(x0, abars[t - 1], g_jump))
        eps = torch.randn(x0.shape, generator=g_wrong, dtype=DTYPE, device=ctx.device)
        wrong, z_wrong = two_sample_moment_test(x, alphas[t - 1].sqrt() * x0 + (1 - abars[t - 1]).sqrt() * eps)
        all_pass &= passed
        largest_z = max(largest_z, *(abs(v) for v in z["mean"] + z["var"]))
        if t >= 100:  # by t = 100 the wrong mean √α_t x_0 is far from √ᾱ_t x_0 (at t = 1 they are equal)
            wrong_rejected &= not wrong
            smallest_wrong_z = min(smallest_wrong_z, max(abs(v) for v in z_wrong["mean"] + z_wrong["var"]))
        rows.append((t, f"{fmt(float(abars[t - 1]), '.3e')}", f"{fmt(float(x.mean()), '.4f')}", f"{fmt(float(x.var()), '.4f')}",
                     f"{fmt(z['mean'][0], '+.2f')}", f"{fmt(z['var'][0], '+.2f')}", "yes" if passed else "NO",
                     "accepted" if wrong else "rejected"))
    result.tables.append(ResultTable(f"x_0 = 1.5: t one-step transitions vs the jump q(x_t | x_0), n = {n:,} each",
                                     ("t", "ᾱ_t", "mean (sim)", "var (sim)", "z mean", "z var", "agree",
                                      "wrong jump √α_t x_0"), rows))
    result.checks.append(Check("the t-fold forward process has the jump's mean √ᾱ_t x_0 and variance 1 − ᾱ_t",
                               all_pass, f"two-sample moment tests at t = {', '.join(map(str, DDPM_TS))}: largest |z| "
                               f"{fmt(largest_z, '.2f')} vs critical z {fmt(z['z_critical'], '.2f')} (false-fail rate 1e-6)"))
    result.checks.append(Check("the wrong jump with √α_t in place of √ᾱ_t is rejected (t ≥ 100)", wrong_rejected,
                               f"smallest largest-|z| of the wrong jump at t ≥ 100: {fmt(smallest_wrong_z, '.1f')} "
                               f"vs critical z {fmt(z['z_critical'], '.2f')}"))

    ctx.step("toy DDPM: training and ancestral sampling")
    steps, n_toy = (3000, 2000) if ctx.quick else (8000, 2000)
    data = sample_data(n_toy, ctx.generator(200), dtype=torch.float32, device=ctx.device)
    model = EpsMLP(init_seed=ctx.seed, device=ctx.device)
    untrained = ancestral_sample(model, n_toy, ctx.generator(300))
    training = train_ddpm(model, ctx.generator(10), steps=steps)
    check, samples = toy_sampler_check(model, n_toy, ctx.generator(300))
    rows, mmd = [], {}
    for name, sample in (("untrained", untrained), ("trained", samples), ("data (second sample)", data)):
        mmd[name] = mmd2_rbf(sample, sample_data(n_toy, ctx.generator(400), dtype=torch.float32, device=ctx.device))
        cells = mode_cell_counts(sample)
        rows.append((name, f"{fmt(mmd[name], '.4f')}", ", ".join(f"{int(c)}" for c in cells),
                     f"{fmt(mode_cell_test(sample).statistic, '.1f')}"))
    result.tables.append(ResultTable(f"Toy DDPM on a 4-Gaussian mixture ({steps} Adam steps, {fmt(training.seconds, '.1f')} s): "
                                     f"{n_toy} ancestral samples; cells: nearest mode × inside/outside its half-mass "
                                     f"radius, {n_toy // 8} expected each", ("samples", "MMD² vs data", "cell counts",
                                                                             "χ²₇"), rows))
    result.checks.append(check)
    path = ctx.figure_path("ddpm_schedules.png")
    if path is not None:
        plt = pyplot()
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.8))
        for name, (betas, _, bars) in {"linear 1e-4..0.02 (T=1000)": linear_schedule(),
                                       "cosine s=0.008 (T=1000)": cosine_schedule(),
                                       "linear 1e-5..1e-3 (fails)": linear_schedule(1000, 1e-5, 1e-3)}.items():
            t = range(1, len(bars) + 1)
            a1.plot(t, betas.cpu().numpy(), label=name)
            a2.plot(t, bars.cpu().numpy(), label=name)
        a1.set_yscale("log")
        a1.set_title("β_t", fontsize=10)
        a2.set_title("ᾱ_t = ∏ α_s (x_T ≈ N(0, I) needs ᾱ_T ≈ 0)", fontsize=10)
        for ax in (a1, a2):
            ax.set_xlabel("t")
            ax.legend(fontsize=8, frameon=False)
        fig.tight_layout()
        save_figure(fig, path, "Noise schedules: β_t (log scale) and ᾱ_t for the standard linear and cosine schedules, "
                "which end at ᾱ_T ≈ 0, and a schedule with too little total noise, which does not.", result)
        sampler = ctx.figure_path("ddpm_sampler.png")
        fig, axes = plt.subplots(1, 3, figsize=(11, 3.8))
        for ax, (name, points) in zip(axes, (("data", data), ("untrained ε-model", untrained),
                                             (f"trained ({steps} steps)", samples))):
            p = points.detach().cpu().numpy()
            ax.scatter(p[:, 0], p[:, 1], s=2, alpha=0.5)
            ax.set_title(name + (f": MMD² {fmt(mmd[name.split()[0]], '.3f')}" if name != "data" else ""), fontsize=10)
            if not name.startswith("untrained"):  # the untrained sampler scatters far: its own scale
                ax.set_xlim(-5, 5)
                ax.set_ylim(-5, 5)
                ax.set_aspect("equal")
        fig.tight_layout()
        save_figure(fig, sampler, "Sampler check: 2000 ancestral samples of the toy DDPM (T = 100) before and after "
                "training on the 4-Gaussian mixture, next to the data.", result)
    return result
