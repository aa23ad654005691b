"""ELBO and IWAE bounds of a Gaussian VAE against the exact log-likelihood (linear-Gaussian model).

The executable specification (the checks, a table and a plot, shipped with the package) is
``derivspec run vae-iwae``; this benchmark measures more of the same model, in more detail.

    .venv/bin/python benchmarks/vae_iwae.py [--device auto] [--D 2] [--seed 0] [--n-train 2000]
                                            [--n-test 10000] [--steps 2000] [--lr 0.05] [--samples 4]

Data from z ~ N(0, 1), x | z ~ N(W z + b, s^2 I) (D = 2: W = (2, 1), b = (0.5, -1), s = 0.5;
D = 3: W = (2, 1, -1), b = (0.5, -1, 0.25), s = 0.5); d = 1. A LinearGaussianVAE
(reference_models.vae) is trained with Adam on the reparameterised Monte Carlo ELBO.

On the held-out points the script prints the mean exact log-likelihood under the true model and
under the trained decoder (log p_theta, the quantity every bound is below), the mean ELBO
(Monte Carlo and closed form) and the IWAE bound for K in {1, 5, 50, 500, 5000}, all with common
random numbers (IWAE_K uses the first K of the same 5000 draws per point). Standard errors: the
"gap" columns are means of per-point differences log p_theta(x_i) - bound_i, with SE =
sd / sqrt(n) of those differences (MC error plus the spread of the true gap over points; the
data spread of log p(x) itself cancels); "step" columns are IWAE_K - IWAE_K' for consecutive K
with the paired SE. The same bounds are also evaluated, with the trained decoder, under two
deliberately mismatched encoders (the trained one with its standard deviation doubled, and the
prior N(0, 1) as proposal), where the gaps are large enough to show the K dependence.

Population values (closed form, x ~ p_true, no sampling): E[log p_true] = -H(p_true),
E[log p_theta] = -H - KL(p_true || p_theta) and E[ELBO]; the held-out means estimate these.

Finally: the trained encoder against the exact posterior p_theta(z | x) of the trained decoder,
and the learned marginal covariance W W^T + s^2 I against the true one and against the
closed-form PPCA maximum-likelihood fit (= the sample covariance for D = 2, d = 1).

The same statements are registered claims checked by ``derivspec verify``: ``elbo.bound`` (ELBO ≤
log p(x), tight at the exact posterior) and ``elbo.iwae.bound`` (IWAE_K rises with K), whose
behaviour checks in numerics/elbo.py run this reference VAE with its true decoder.
"""

import argparse
import math
import time

import torch
from rich.console import Console
from rich.table import Table

from derivspec.reference_models.device import DTYPE, make_generator, resolve_device
from derivspec.reference_models.vae import (
    LinearGaussianVAE,
    exact_log_likelihood,
    exact_posterior,
    exact_posterior_map,
    expected_log_likelihood,
    make_linear_gaussian_data,
    marginal_covariance,
    ppca_mle,
)

KS = [1, 5, 50, 500, 5000]
TRUE_MODELS = {
    2: ([[2.0], [1.0]], [0.5, -1.0], 0.5),
    3: ([[2.0], [1.0], [-1.0]], [0.5, -1.0, 0.25], 0.5),
}


def mean_se(values: torch.Tensor) -> tuple[float, float]:
    return float(values.mean()), float(values.std(unbiased=True)) / math.sqrt(values.numel())


def fmt(mean: float, se: float) -> str:
    return f"{mean:.3e} ± {se:.1e}"


def blocked_elbo(vae, x, generator, draws, block_elements=1 << 21):
    """Per-point MC ELBO with ``draws`` draws per point, computed over blocks of points."""
    rows = max(1, block_elements // draws)
    return torch.cat([vae.elbo(x[i : i + rows], generator, n_samples=draws) for i in range(0, x.shape[0], rows)])


def bounds_table(console, title, vae, x_test, log_p_model, seed, elbo_samples):
    device = x_test.device
    with torch.no_grad():
        elbo = blocked_elbo(vae, x_test, make_generator(seed, device), elbo_samples)
        elbo_exact = vae.elbo_analytic(x_test)
        iwae = vae.iwae_bounds(x_test, KS, make_generator(seed + 1, device))
    table = Table(title=title)
    for column in ("bound", "mean", "gap to log p_theta ± SE", "step from previous ± SE"):
        table.add_column(column, justify="right")
    table.add_row("ELBO closed form", f"{float(elbo_exact.mean()):.6f}", fmt(*mean_se(log_p_model - elbo_exact)), "")
    table.add_row(f"ELBO MC ({elbo_samples} draws/point)", f"{float(elbo.mean()):.6f}",
                  fmt(*mean_se(log_p_model - elbo)), "")
    previous = None
    for K in KS:
        step = "" if previous is None else fmt(*mean_se(iwae[K] - iwae[previous]))
        table.add_row(f"IWAE K={K}", f"{float(iwae[K].mean()):.6f}", fmt(*mean_se(log_p_model - iwae[K])), step)
        previous = K
    console.print(table)
    steps = [mean_se(iwae[b] - iwae[a]) for a, b in zip(KS, KS[1:])]
    gaps = [mean_se(log_p_model - iwae[K]) for K in KS]
    console.print(f"  consecutive IWAE steps: resolved > 0 (> 3 SE) {sum(m > 3 * se for m, se in steps)}/{len(steps)}, "
                  f"significantly < 0 (< -3 SE) {sum(m < -3 * se for m, se in steps)}/{len(steps)}; "
                  f"gaps significantly < 0: {sum(m < -3 * se for m, se in gaps)}/{len(gaps)}")
    return elbo, iwae


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--D", type=int, default=2, choices=sorted(TRUE_MODELS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-train", type=int, default=2000)
    parser.add_argument("--n-test", type=int, default=10000)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--lr", type=float, default=5e-2)
    parser.add_argument("--samples", type=int, default=4, help="MC draws per example per training step")
    parser.add_argument("--elbo-samples", type=int, default=1000, help="MC draws per point for the held-out ELBO")
    args = parser.parse_args()
    from derivspec.reference_models.device import apply_numeric_policy

    apply_numeric_policy()
    device = resolve_device(args.device)
    console = Console(width=120, markup=False)

    W_list, b_list, s_true = TRUE_MODELS[args.D]
    W_true = torch.tensor(W_list, dtype=DTYPE, device=device)
    b_true = torch.tensor(b_list, dtype=DTYPE, device=device)
    data_gen = make_generator(args.seed, device)
    x_train = make_linear_gaussian_data(args.n_train, W_true, b_true, s_true, data_gen, device)
    x_test = make_linear_gaussian_data(args.n_test, W_true, b_true, s_true, data_gen, device)

    vae = LinearGaussianVAE(args.D, 1, init_seed=args.seed + 1, device=device)
    start = time.perf_counter()
    history = vae.fit(x_train, args.steps, args.lr, make_generator(args.seed + 2, device), n_samples=args.samples)
    if device.type == "cuda":
        torch.cuda.synchronize()
    train_s = time.perf_counter() - start
    W, b, s = vae.decoder_parameters()
    W_ml, b_ml, s_ml = ppca_mle(x_train, 1)

    console.print(f"device={device.type}  D={args.D}  d=1  n_train={args.n_train}  n_test={args.n_test}  "
                  f"true W={W_list} b={b_list} s={s_true}")
    console.print(f"training: {args.steps} Adam steps, lr {args.lr:g} (cosine decay to x1e-3), {args.samples} "
                  f"reparameterised draws per example per step: {train_s:.2f} s "
                  f"({1e3 * train_s / args.steps:.2f} ms/step)")
    train_ll = float(exact_log_likelihood(x_train, W, b, s).mean())
    train_ll_ml = float(exact_log_likelihood(x_train, W_ml, b_ml, s_ml).mean())
    console.print(f"final loss (-MC ELBO, last step) {float(history[-1]):.6f}; train mean log p_theta {train_ll:.6f}; "
                  f"PPCA MLE train mean log-lik {train_ll_ml:.6f} (deficit {train_ll_ml - train_ll:.2e})")

    log_p_true = exact_log_likelihood(x_test, W_true, b_true, s_true)
    log_p_model = exact_log_likelihood(x_test, W, b, s)
    console.print(f"held-out mean exact log p(x): true model {fmt(*mean_se(log_p_true))} (SE = data spread); "
                  f"trained decoder log p_theta {float(log_p_model.mean()):.6f}; "
                  f"true - trained = {fmt(*mean_se(log_p_true - log_p_model))}")

    C_true = marginal_covariance(W_true, b_true, s_true)
    with torch.no_grad():
        pop_true = float(expected_log_likelihood(b_true, C_true, W_true, b_true, s_true))
        pop_model = float(expected_log_likelihood(b_true, C_true, W, b, s))
        pop_elbo = float(vae.expected_elbo(b_true, C_true))
    console.print(f"population (x ~ p_true, closed form): E[log p_true] = -H = {pop_true:.6f}; E[log p_theta] = "
                  f"{pop_model:.6f} (KL(p_true || p_theta) = {pop_true - pop_model:.3e}); E[ELBO] = {pop_elbo:.7f} "
                  f"(E[KL(q || p_theta(z|x))] = {pop_model - pop_elbo:.3e})")

    elbo, iwae = bounds_table(console, "Held-out bounds, trained encoder", vae, x_test, log_p_model,
                              args.seed + 10, args.elbo_samples)
    with torch.no_grad():
        mc_se = mean_se(elbo - vae.elbo_analytic(x_test))[1]
    console.print(f"  mean ELBO (MC) - mean log p_true = {float(elbo.mean() - log_p_true.mean()):.3e} ± {mc_se:.1e} "
                  f"(MC SE on these points) ± {mean_se(elbo - log_p_true)[1]:.1e} (data + MC SE); population value "
                  f"{pop_elbo - pop_true:.3e}")

    with torch.no_grad():
        wide = vae.with_encoder(log_var=vae.log_var + math.log(4.0))
        prior = vae.with_encoder(A=torch.zeros_like(vae.A), c=torch.zeros_like(vae.c),
                                 log_var=torch.zeros_like(vae.log_var))
    bounds_table(console, "Same decoder, encoder std doubled (q mean exact, variance x4)", wide, x_test,
                 log_p_model, args.seed + 20, args.elbo_samples)
    bounds_table(console, "Same decoder, prior N(0, 1) as proposal", prior, x_test, log_p_model,
                 args.seed + 30, args.elbo_samples)

    A_star, c_star, cov_star = exact_posterior_map(W, b, s)
    with torch.no_grad():
        mu_q, sigma_q = vae.encode(x_test)
        mu_star, _ = exact_posterior(x_test, W, b, s)
        kl_post = vae.kl_to_exact_posterior(x_test)
    enc = Table(title="Trained encoder vs exact posterior of the trained decoder")
    enc.add_column("quantity")
    enc.add_column("learned", justify="right")
    enc.add_column("exact", justify="right")
    enc.add_column("error", justify="right")
    enc.add_row("A (mean map)", str([round(v, 6) for v in vae.A.detach().flatten().tolist()]),
                str([round(v, 6) for v in A_star.flatten().tolist()]),
                f"max abs {float((vae.A.detach() - A_star).abs().max()):.2e}")
    enc.add_row("c (offset)", str([round(v, 6) for v in vae.c.detach().tolist()]),
                str([round(v, 6) for v in c_star.tolist()]),
                f"max abs {float((vae.c.detach() - c_star).abs().max()):.2e}")
    enc.add_row("variance", f"{float(sigma_q[0] ** 2):.6f}", f"{float(cov_star[0, 0]):.6f}",
                f"rel {float((sigma_q**2 / cov_star.diagonal() - 1).abs().max()):.2e}")
    err = (mu_q - mu_star).abs()
    enc.add_row("posterior mean on test x", "", "",
                f"RMS {float(err.pow(2).mean().sqrt()):.2e}, max {float(err.max()):.2e}")
    enc.add_row("KL(q || p_theta(z|x)), mean", "", "", f"{float(kl_post.mean()):.2e}")
    console.print(enc)

    C = marginal_covariance(W, b, s)
    C_ml = marginal_covariance(W_ml, b_ml, s_ml)
    console.print("marginal covariance W W^T + s^2 I:")
    console.print(f"  learned {[[round(v, 5) for v in row] for row in C.tolist()]}")
    console.print(f"  true    {[[round(v, 5) for v in row] for row in C_true.tolist()]}")
    console.print(f"  PPCA ML {[[round(v, 5) for v in row] for row in C_ml.tolist()]}")
    console.print(f"  max abs: learned - true {float((C - C_true).abs().max()):.2e}; learned - PPCA ML "
                  f"{float((C - C_ml).abs().max()):.2e}; PPCA ML - true {float((C_ml - C_true).abs().max()):.2e}; "
                  f"learned b - sample mean {float((b - b_ml).abs().max()):.2e}; learned s {float(s):.5f} "
                  f"(PPCA ML {float(s_ml):.5f}, true {s_true})")


if __name__ == "__main__":
    main()
