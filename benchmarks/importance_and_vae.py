"""Figures of the importance-sampling and Bernoulli-VAE reference models.

    .venv/bin/python benchmarks/importance_and_vae.py [--device auto] [--seed 0] [--n 10000]

* IS (reference_models/importance.py): target N(0, 1), proposals of decreasing quality
  N(0, 1.5²), N(1, 1), N(2, 1), N(3, 1): ESS/n of n weights against the limit 1/(1 + Var w)
  (claim sampling.is.ess) and the largest weight's share of the sum;
* SNIS with a two-point latent (t = 0.3, r = 0.7): n·bias for n = 2 … 10 000 (exact enumeration),
  levelling off (bias O(1/n));
* the trained Bernoulli VAE (reference_models/bernoulli_vae.py, D = 6): mean log p(x), ELBO, and
  the IWAE gap for K = 1 … 4096 under the trained encoder and a 3× wider one, with K·gap against
  the delta-method limit Var[w]/(2p²) (claim sampling.iwae.gap-limit).
"""

import argparse
import math

import torch

from derivspec.reference_models import bernoulli_vae, importance
from derivspec.reference_models.device import make_generator, resolve_device


def importance_figures(device, seed, n):
    for m, v in ((0.0, 2.25), (1.0, 1.0), (2.0, 1.0), (3.0, 1.0)):
        w = importance.gaussian_weights(0.0, 1.0, m, v, n, make_generator(seed, device), device)
        second = v / math.sqrt(2 * v - 1) * math.exp(m * m / (2 * v - 1))
        print(f"IS proposal N({m:g}, {v:g}), n = {n}: ESS/n = {importance.effective_sample_size(w) / n:.4f} "
              f"(limit {1 / second:.4f}); largest weight {importance.max_weight_share(w):.2%} of the sum")
    t, r = 0.3, 0.7
    print("SNIS t = 0.3, r = 0.7, n·bias: " + ", ".join(f"n={k}: {k * (importance.snis_exact_mean(t, r, k) - t):.4f}"
                                                      for k in (2, 10, 100, 1000, 10000)))


def vae_figures(device, seed):
    model, data = bernoulli_vae.trained_reference_vae(61 + seed, device)
    x = data[:64]
    with torch.no_grad():
        log_p = model.log_evidence(x)
        for widen in (1.0, 3.0):
            elbo = model.elbo(x, widen)
            ks = [1, 8, 64, 512, 4096]
            bounds = model.iwae(x, ks, 32, make_generator(seed + 5, device), widen)
            mu, sigma = model.encoder(x, widen)
            z = mu + sigma * torch.randn(20_000, x.shape[0], generator=make_generator(seed + 6, device), dtype=x.dtype, device=device)
            w = (model.log_weights_at(x, z, widen) - log_p).exp()  # w / p(x)
            limit = float((w.var(0) / 2).mean())
            gaps = {K: float((log_p - bounds[K]).mean()) for K in ks}
            print(f"Bernoulli VAE (D = 6), encoder σ × {widen:g}: mean log p(x) {float(log_p.mean()):.4f}, ELBO {float(elbo.mean()):.4f}; "
                  "gap log p − IWAE_K: " + ", ".join(f"K={K}: {g:.2g}" for K, g in gaps.items())
                  + "; K·gap: " + ", ".join(f"{K * g:.3g}" for K, g in gaps.items() if K > 1) + f" (limit ≈ {limit:.3g})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    from derivspec.reference_models.device import apply_numeric_policy

    apply_numeric_policy()
    device = resolve_device(args.device)
    importance_figures(device, args.seed, args.n)
    vae_figures(device, args.seed)


if __name__ == "__main__":
    main()
