"""DDPM: abar_T, forward simulation vs jump, x0 round trip, toy 2-D DDPM (reference_models.ddpm).

The executable specification (the checks, a table and a plot, shipped with the package) is
``derivspec run ddpm``; this benchmark measures more of the same model, in more detail.

    .venv/bin/python benchmarks/ddpm_toy.py [--device auto] [--n 200000] [--steps 4000]
                                            [--init-seed 0] [--seed 0]

1. abar_T for the standard linear schedule (T = 1000, beta 1e-4 .. 0.02), two failing ones
   (too little total noise), the toy schedule (T = 100, beta 1e-3 .. 0.2) and the cosine schedule
   (T = 1000, s = 0.008); claim ddpm.schedule.alpha-bar checks "x_T ~ N(0, I)" per schedule.
2. Forward process: t one-step transitions vs the one-shot jump q(x_t | x0), n draws each,
   1-D x0 = 1.5 and 2-D x0 = (2, -1), t in {1, 10, 100, 500, 1000}: means, variances and the
   z-values of ``two_sample_moment_test`` (Bonferroni over 2 d tests, false-fail rate 1e-6),
   plus the verdict for the wrong jumps (mean sqrt(alpha_t) x0; variance 1 - alpha_t).
3. Round trip predict_x0(x_t, eps, abar_t) with the true eps, worst |x0_hat - x0| over 1000
   points x0 ~ U[-3, 3]^2 per t: float64; float32 with the schedule computed in float64 and
   cast (the toolkit's policy); float32 throughout (float32 cumprod). Also the relative error
   of abar_t in both float32 variants.
4. Toy DDPM (4-Gaussian mixture): Adam on the simple loss (batch 256, lr 3e-3 cosine-decayed),
   training time on the device, MMD^2 (RBF, h = 1, unbiased; 2000 vs 2000) and per-mode mass
   of 2000 ancestral samples, trained vs untrained.
"""

import argparse

import torch

from derivspec.reference_models.device import DTYPE, make_generator, resolve_device
from derivspec.reference_models.ddpm import (
    EpsMLP,
    alpha_bar_T_report,
    ancestral_sample,
    jump,
    linear_schedule,
    mixture_log_density,
    mmd2_rbf,
    mode_masses,
    round_trip_errors,
    sample_data,
    simulate_forward,
    train_ddpm,
    two_sample_moment_test,
)

TS = [1, 10, 100, 500, 1000]
RT_TS = [1, 10, 100, 500, 900, 990, 1000]


def fmt_list(values, spec=".4f"):
    return "(" + ", ".join(format(v, spec) for v in values) + ")"


def forward_table(x0: torch.Tensor, label: str, seed: int, device) -> None:
    _, alphas, abars = linear_schedule(device=device)
    g_sim, g_jump, g_wrong = (make_generator(seed + k, device) for k in range(3))
    print(f"\n  x0 = {label}, n = {x0.shape[0]}")
    print(f"  {'t':>5} {'abar_t':>10}  {'mean sim':>22} {'mean jump':>22}  {'var sim':>22} {'var jump':>22}"
          f"  {'z mean':>16} {'z var':>16}  ok   wrong-mean wrong-var")
    x, prev = x0, 0
    for t in TS:
        x = simulate_forward(x, alphas[prev:], t - prev, g_sim)
        prev = t
        j = jump(x0, abars[t - 1], g_jump)
        passed, z = two_sample_moment_test(x, j)
        a, ab = alphas[t - 1], abars[t - 1]
        eps = torch.randn(x0.shape, generator=g_wrong, dtype=DTYPE, device=device)
        wm = two_sample_moment_test(x, a.sqrt() * x0 + (1 - ab).sqrt() * eps)[0]
        wv = two_sample_moment_test(x, ab.sqrt() * x0 + (1 - a).sqrt() * eps)[0]
        xs, js = x.reshape(x.shape[0], -1), j.reshape(j.shape[0], -1)
        print(f"  {t:>5} {float(ab):>10.3e}  {fmt_list(xs.mean(0).tolist()):>22} {fmt_list(js.mean(0).tolist()):>22}"
              f"  {fmt_list(xs.var(0).tolist()):>22} {fmt_list(js.var(0).tolist()):>22}"
              f"  {fmt_list(z['mean'], '+.2f'):>16} {fmt_list(z['var'], '+.2f'):>16}"
              f"  {'yes' if passed else 'NO ':3}  {'accepted' if wm else 'rejected':>10} {'accepted' if wv else 'rejected':>9}")
    print(f"  z critical (Bonferroni, 1e-6 over {2 * x0.reshape(x0.shape[0], -1).shape[1]} tests): "
          f"{z['z_critical']:.3f};  at t = 1 alpha_1 = abar_1, so the 'wrong' jumps equal the right one")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--init-seed", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from derivspec.reference_models.device import apply_numeric_policy

    apply_numeric_policy()  # tiny tensors: extra intra-op threads only spin (~15x slower training here)
    device = resolve_device(args.device)
    print(f"device: {device}")

    print("\n1. abar_T")
    for name, value in alpha_bar_T_report().items():
        print(f"  {name:<40} abar_T = {value:.4e}   sqrt(abar_T) = {value ** 0.5:.4e}")

    print("\n2. forward simulation (t one-step transitions) vs one-shot jump")
    forward_table(torch.full((args.n,), 1.5, dtype=DTYPE, device=device), "1.5 (1-D)", args.seed + 10, device)
    forward_table(torch.tensor([2.0, -1.0], dtype=DTYPE, device=device).expand(args.n, 2).clone(),
                  "(2, -1) (2-D)", args.seed + 20, device)

    print("\n3. round trip x0 -> x_t -> predict_x0 with the true eps (worst |x0_hat - x0| over 1000 x 2 values)")
    g = make_generator(args.seed + 30, device)
    x0 = 6 * torch.rand(1000, 2, generator=g, dtype=DTYPE, device=device) - 3
    eps = torch.randn(1000, 2, generator=g, dtype=DTYPE, device=device)
    _, _, ab64 = linear_schedule(device=device)
    _, _, ab_cast = linear_schedule(dtype=torch.float32, device=device)
    _, _, ab_f32 = linear_schedule(dtype=torch.float32, device=device, compute_dtype=torch.float32)
    e64, e_cast, e_f32 = (round_trip_errors(ab, x0, eps) for ab in (ab64, ab_cast, ab_f32))
    rel_cast = ((ab_cast.double() - ab64) / ab64).abs()
    rel_f32 = ((ab_f32.double() - ab64) / ab64).abs()
    print(f"  {'t':>5} {'abar_t':>10} {'float64':>10} {'f32 (cast)':>11} {'f32 (cumprod)':>14}"
          f"  {'rel err abar cast':>18} {'rel err abar f32':>17}")
    for t in RT_TS:
        i = t - 1
        print(f"  {t:>5} {float(ab64[i]):>10.3e} {float(e64[i]):>10.2e} {float(e_cast[i]):>11.2e} {float(e_f32[i]):>14.2e}"
              f"  {float(rel_cast[i]):>18.2e} {float(rel_f32[i]):>17.2e}")
    print(f"  worst over all t: float64 {float(e64.max()):.2e} (t = {int(e64.argmax()) + 1}); "
          f"float32 cast {float(e_cast.max()):.2e}; float32 cumprod {float(e_f32.max()):.2e}")
    print(f"  worst rel err of abar_t: float64-then-cast {float(rel_cast.max()):.2e} (<= 2^-24 = {2.0 ** -24:.2e}); "
          f"float32 cumprod {float(rel_f32.max()):.2e} (t = {int(rel_f32.argmax()) + 1})")
    print("  toolkit policy: schedules are computed in float64 and cast to the working dtype at the end")

    print("\n4. toy DDPM (4-Gaussian mixture, T = 100, linear beta 1e-3 .. 0.2, eps-MLP 18-64-64-2 float32)")
    data = sample_data(2000, make_generator(args.seed + 200, device), dtype=torch.float32)
    model = EpsMLP(init_seed=args.init_seed, device=device)
    untrained = ancestral_sample(model, 2000, make_generator(args.seed + 300, device))
    result = train_ddpm(model, make_generator(args.seed + 10 + args.init_seed, device), steps=args.steps)
    trained = ancestral_sample(model, 2000, make_generator(args.seed + 300, device))
    print(f"  training: {result.steps} Adam steps, batch 256, {result.seconds:.1f} s on {device}; "
          f"final loss (mean of last 100) {result.final_loss:.3f}")
    ref = sample_data(2000, make_generator(args.seed + 400, device), dtype=torch.float32)
    print(f"  {'':10} {'MMD^2':>10} {'mass per mode (++, -+, --, +-)':>34} {'on-mode':>8} {'mean log p_data':>16}")
    for name, x in (("untrained", untrained), ("trained", trained), ("data (ref)", ref)):
        m = mode_masses(x)
        lp = float(mixture_log_density(x.double()).mean())
        print(f"  {name:10} {mmd2_rbf(x, data):>10.4f} {fmt_list(m.tolist(), '.3f'):>34} {float(m.sum()):>8.3f} {lp:>16.3f}")
    print("  (MMD^2: RBF h = 1, unbiased, 2000 model vs 2000 data samples; 'data (ref)' = a second data sample)")


if __name__ == "__main__":
    main()
