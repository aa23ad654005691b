"""FID between Gaussians and the bias of its plug-in estimate (reference_models.fid).

    .venv/bin/python benchmarks/fid_bias.py [--device auto] [--repeats 1000]

1. FID by symmetric eigendecompositions vs scipy.linalg.sqrtm, d in {2, 16, 64} (random
   non-commuting covariances), and vs the Monte Carlo cost of the optimal linear map.
2. Bias: the mean plug-in FID between two independent samples of size n of N(0, I_d) (true FID
   0), d in {1, 8, 32}, n from 50 to 3200, against the prediction (2d + d(d+1)/2)/n (leading
   order; exact in d = 1: 2/n + 2(1 − c₄(n)²)).
"""

import argparse
import math

import numpy as np
import torch
from scipy import linalg, stats

from derivspec.reference_models import fid as fidlib
from derivspec.reference_models.device import DTYPE, make_generator, resolve_device


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeats", type=int, default=1000)
    args = parser.parse_args()
    device = resolve_device(args.device)
    from derivspec.reference_models.device import apply_numeric_policy

    apply_numeric_policy()
    print(f"device {device}")

    print("\n1. FID formula")
    rng = np.random.default_rng(0)
    for d in (2, 16, 64):
        B1, B2 = rng.normal(size=(d, d)), rng.normal(size=(d, d))
        S1, S2 = B1 @ B1.T / d + 0.1 * np.eye(d), B2 @ B2.T / d + 0.1 * np.eye(d)
        m1, m2 = rng.normal(size=d), rng.normal(size=d)
        scipy_fid = ((m1 - m2) ** 2).sum() + np.trace(S1 + S2 - 2 * linalg.sqrtm(S1 @ S2).real)
        tensors = [torch.tensor(v, dtype=DTYPE, device=device) for v in (m1, S1, m2, S2)]
        fid = float(fidlib.fid_gaussians(*tensors))
        A, T = fidlib.optimal_map(*tensors)
        x = tensors[0] + torch.randn(200_000, d, generator=make_generator(d, device), dtype=DTYPE, device=device) @ torch.linalg.cholesky(tensors[1]).T
        cost = ((x - T(x)) ** 2).sum(-1)
        print(f"  d = {d}: FID {fid:.10f}, scipy sqrtm {scipy_fid:.10f}; E‖x − T(x)‖² = {float(cost.mean()):.4f} ± "
              f"{float(cost.std()) / math.sqrt(len(cost)):.1g}")

    print("\n2. bias of the plug-in FID (true FID 0)")
    g = make_generator(1, device)
    for d in (1, 8, 32):
        ns = [n for n in (50, 100, 200, 400, 800, 1600, 3200) if n > 2 * d]
        for pt in fidlib.measure_bias(d, ns, args.repeats, g, device):
            extra = ""
            if d == 1:
                c4 = stats.chi(pt.n - 1).mean() / math.sqrt(pt.n - 1)
                extra = f", exact {2 / pt.n + 2 * (1 - c4**2):.6f}"
            print(f"  d = {d:>2}, n = {pt.n:>4}: mean FID {pt.mean:.5f} ± {pt.stderr:.1g}, predicted {pt.predicted:.5f}"
                  f"{extra} (n·bias = {pt.n * pt.mean:.2f})")


if __name__ == "__main__":
    main()
