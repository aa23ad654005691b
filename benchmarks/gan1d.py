"""The 1-D GAN reference model (reference_models.gan1d): D → D*, value → −log 4 + 2 JSD, training.

    .venv/bin/python benchmarks/gan1d.py [--device auto] [--steps 3000] [--seeds 5]

1. Data N(1, 0.7²), generator N(−0.5, 1.3²): the quadratic-logistic discriminator maximising V by
   quadrature vs D*(x) = p/(p + q) (max error on [−3, 3]); V at it vs −log 4 + 2 JSD.
2. The same discriminator fitted by logistic regression on n samples of each, n = 10²..10⁶: max
   |D_n − D*| on [−2, 3] (expected to shrink like n^{-1/2}) and the population value at D_n.
3. max_D V over generators N(1 + δ, (0.7c)²): minimal (−log 4) at δ = 0, c = 1.
4. Alternating minibatch training from (a, b) = (−1, 1.5), non-saturating and saturating generator
   losses, several seeds: final (a, b) and 2 JSD = max_D V + log 4 at the final generator.
5. Saturating vs non-saturating gradients at the first generator step (discriminator fitted to the
   initial generator): |∂/∂a| of E_z[log(1 − D(G(z)))] and of E_z[−log D(G(z))].
"""

import argparse
import math

import torch
import torch.nn.functional as F

from derivspec.reference_models import gan1d
from derivspec.reference_models.device import DTYPE, make_generator, resolve_device


def d_star(x, mu, sigma, a, b):
    lp, lq = gan1d.normal_log_density(x, mu, sigma), gan1d.normal_log_density(x, a, b)
    return torch.exp(lp - torch.logaddexp(lp, lq))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    device = resolve_device(args.device)
    from derivspec.reference_models.device import apply_numeric_policy

    apply_numeric_policy()
    mu, sigma, a, b = 1.0, 0.7, -0.5, 1.3
    print(f"device {device}")

    w = gan1d.fit_discriminator_population(mu, sigma, a, b, device)
    x = torch.linspace(-3, 3, 601, dtype=DTYPE, device=device)
    err = float((torch.sigmoid(gan1d.discriminator_logit(w, x)) - d_star(x, mu, sigma, a, b)).abs().max())
    value = float(gan1d.value_by_quadrature(w, mu, sigma, a, b, device))
    jsd = float(gan1d.jsd_by_quadrature(mu, sigma, a, b, device))
    print(f"\n1. population discriminator: max |D − D*| = {err:.2e}; V = {value:.12f}, −log 4 + 2 JSD = {-math.log(4) + 2 * jsd:.12f}")

    print("\n2. discriminator fitted on n samples of each")
    xs = torch.linspace(-2, 3, 501, dtype=DTYPE, device=device)
    for n in (100, 1_000, 10_000, 100_000, 1_000_000):
        g = make_generator(n, device)
        wn = gan1d.fit_discriminator_samples(mu + sigma * torch.randn(n, generator=g, dtype=DTYPE, device=device),
                                             a + b * torch.randn(n, generator=g, dtype=DTYPE, device=device))
        e = float((torch.sigmoid(gan1d.discriminator_logit(wn, xs)) - d_star(xs, mu, sigma, a, b)).abs().max())
        v = float(gan1d.value_by_quadrature(wn, mu, sigma, a, b, device))
        print(f"  n = {n:>9,}: max |D_n − D*| = {e:.4f} (×√n = {e * math.sqrt(n):.2f}); V(D_n) = {v:.6f} (max {value:.6f})")

    print("\n3. max_D V over a grid of generators (minus −log 4)")
    for (d, c), v in gan1d.minimax_grid(mu, sigma, device, shifts=(-0.4, -0.2, 0.0, 0.2, 0.4), scales=(0.7, 1.0, 1.4)).items():
        print(f"  δ = {d:+.1f}, c = {c:.1f}: {v + math.log(4):.6f}")

    print("\n4. alternating training")
    for loss in ("non-saturating", "saturating"):
        for seed in range(args.seeds):
            run = gan1d.train_gan(mu, sigma, steps=args.steps, batch=512, lr_d=0.05, lr_g=0.01, seed=seed, device=device,
                                  non_saturating=loss == "non-saturating")
            gap = gan1d.best_response_value(mu, sigma, run.a, run.b, device) + math.log(4)
            print(f"  {loss:>14}, seed {seed}: (a, b) = ({run.a:.4f}, {run.b:.4f}), 2 JSD = {gap:.2e}")

    print("\n5. generator gradients at the start (a, b) = (−1, 1.5), D fitted to that generator")
    a0, b0 = -1.0, 1.5
    w0 = gan1d.fit_discriminator_population(mu, sigma, a0, b0, device)
    shift = torch.tensor(a0, dtype=DTYPE, device=device, requires_grad=True)
    sat = gan1d.gaussian_expectation(lambda v: F.logsigmoid(-gan1d.discriminator_logit(w0, v)), shift, b0, device)
    (g_sat,) = torch.autograd.grad(sat, shift)
    non = gan1d.gaussian_expectation(lambda v: -F.logsigmoid(gan1d.discriminator_logit(w0, v)), shift, b0, device)
    (g_non,) = torch.autograd.grad(non, shift)
    print(f"  |∂/∂a E log(1 − D(G(z)))| = {abs(float(g_sat)):.4f}; |∂/∂a E[−log D(G(z))]| = {abs(float(g_non)):.4f}")


if __name__ == "__main__":
    main()
