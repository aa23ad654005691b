"""Figures of the latent-variable and generative-classifier reference models.

    .venv/bin/python benchmarks/em_ppca_classifiers.py [--device auto] [--seed 0]

* EM (reference_models/gmm_em.py) on a 1-D mixture ½N(−3,1) + ½N(3,1) (n = 2000) and a 2-D
  three-component mixture (n = 1500): iterations to converge, the largest decrease of the
  log-likelihood trace (must be ≤ 0 up to round-off), max |ELBO(q_t, θ_t) − log p(θ_t)|, the
  recovered means and their error in standard errors; the symmetric start's fixed point.
* PPCA / FA (reference_models/ppca.py): D = 5, d = 2, n = 5000: closed-form σ² vs EM after 2000
  iterations, |WWᵀ − W_EM W_EMᵀ|; scikit-learn's PCA.noise_variance_ (rescaled to 1/n) when
  scikit-learn is installed.
* LDA vs logistic regression (reference_models/generative_classifiers.py): n = 200 000 samples
  of 004 Algorithm 1 with a shared σ: Newton-fitted (b, w) ± SE against the Bayes-rule values
  and the plug-in LDA fit.
"""

import argparse
import time

import torch

from derivspec.reference_models import generative_classifiers as gc
from derivspec.reference_models import gmm_em, ppca
from derivspec.reference_models.device import DTYPE, make_generator, resolve_device


def em_figures(device, seed):
    for name, model, n in (
        ("1-D ½N(−3,1) + ½N(3,1)", gmm_em.mixture([0.5, 0.5], [[-3.0], [3.0]], [[[1.0]], [[1.0]]], device), 2000),
        ("2-D three components", gmm_em.mixture([0.5, 0.3, 0.2], [[-3.0, 0.0], [2.0, 2.0], [1.0, -3.0]],
                                               [[[1.0, 0.3], [0.3, 0.8]], [[0.6, 0.0], [0.0, 1.5]], [[1.2, -0.4], [-0.4, 0.7]]],
                                               device), 1500)):
        x, _ = gmm_em.sample(model, n, make_generator(seed, device))
        k = model.weights.shape[0]
        start = time.perf_counter()
        trace = gmm_em.run_em(x, gmm_em.spread_start(x, k), 300)
        seconds = time.perf_counter() - start
        ll = trace.log_likelihood
        steps = [b - a for a, b in zip(ll, ll[1:])]
        converged = next((i for i, s in enumerate(steps) if abs(s) < 1e-8 * abs(ll[-1])), len(steps))
        tight = max(abs(e - l) for e, l in zip(trace.elbo_after_e, ll))
        order = torch.argsort(trace.model.means[:, 0])
        truth = model.means[torch.argsort(model.means[:, 0])]
        errors = (trace.model.means[order] - truth).abs().max(1).values
        print(f"EM {name}, n = {n}: converged (|Δℓ| < 1e-8 |ℓ|) after {converged} iterations ({seconds:.2f} s for 300); "
              f"largest decrease {-min(min(steps), 0.0):.2g}; max |ELBO − log p| after E-steps {tight:.2g}; "
              f"mean errors {', '.join(f'{float(e):.3f}' for e in errors)}")
    x, _ = gmm_em.sample(gmm_em.mixture([0.5, 0.5], [[-2.0], [2.0]], [[[1.0]], [[1.0]]], device), 500, make_generator(seed + 1, device))
    sym = gmm_em.run_em(x, gmm_em.symmetric_start(x), 200)
    best = gmm_em.run_em(x, gmm_em.spread_start(x, 2), 200)
    print(f"EM symmetric start (δ = 4, n = 500): means stay at x̄ to {float((sym.model.means[:, 0] - x.mean()).abs().max()):.1e}, "
          f"log-lik {sym.log_likelihood[-1]:.2f} vs {best.log_likelihood[-1]:.2f} from the quartiles")


def ppca_figures(device, seed):
    g = make_generator(seed, device)
    W = torch.randn(5, 2, generator=g, dtype=DTYPE, device=device)
    x, _ = ppca.sample(5000, W, torch.zeros(5, dtype=DTYPE, device=device), torch.full((5,), 0.3, dtype=DTYPE, device=device), g)
    S = torch.cov(x.T, correction=0)
    Wc, s2 = ppca.ppca_closed_form(S, 2)
    We, s2e = ppca.ppca_em(S, 2, 2000)
    print(f"PPCA D = 5, d = 2, n = 5000: closed-form σ² {float(s2):.10f}, EM {float(s2e):.10f}; max |WWᵀ − W_EM W_EMᵀ| "
          f"{float((Wc @ Wc.T - We @ We.T).abs().max()):.2g}")
    try:
        from sklearn.decomposition import PCA
        noise = PCA(n_components=2).fit(x.cpu().numpy()).noise_variance_ * (5000 - 1) / 5000
        print(f"  scikit-learn PCA noise_variance_ (rescaled to 1/n): {noise:.10f}")
    except ImportError:
        print("  scikit-learn not installed: skipped")


def classifier_figures(device, seed):
    p, mu0, mu1, s = 0.4, -1.0, 1.5, 1.5
    x, y = gc.sample_two_class(200_000, p, mu0, mu1, s, s, make_generator(seed, device), device)
    theta, se = gc.fit_logistic(torch.stack([torch.ones_like(x), x], 1), y)
    exact = gc.qda_coefficients(p, mu0, mu1, s, s)[:2]
    plug_in = gc.plug_in_lda(x, y)
    print(f"LDA vs logistic regression, n = 200 000: fitted (b, w) = ({float(theta[0]):.4f} ± {float(se[0]):.4f}, "
          f"{float(theta[1]):.4f} ± {float(se[1]):.4f}); Bayes rule ({float(exact[0]):.4f}, {float(exact[1]):.4f}); "
          f"plug-in LDA ({plug_in[0]:.4f}, {plug_in[1]:.4f}); z = {', '.join(f'{float(z):.2f}' for z in (theta - exact.to(device)) / se)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from derivspec.reference_models.device import apply_numeric_policy

    apply_numeric_policy()
    device = resolve_device(args.device)
    em_figures(device, args.seed)
    ppca_figures(device, args.seed)
    classifier_figures(device, args.seed)


if __name__ == "__main__":
    main()
