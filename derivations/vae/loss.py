r"""The VAE loss: −ELBO with a Gaussian encoder and a Bernoulli or Gaussian decoder.

One example x with D = 2 pixels, a one-dimensional latent, q(z|x) = N(μ, σ²), p(z) = N(0, 1),
and one reparameterised sample z (whose decoder output is p_j or x̂_j): the single-sample
estimate of the ELBO is log p(x|z) − KL(q ‖ p(z)), and the loss minimised is its negative.
The expectation over z is what the reference model computes exactly (quadrature) in the
model route of ``numerics/vae.py``.

Seeds: 002 L179–225, L290, L303–322; 004 L2580–2613.
"""

from __future__ import annotations

import sympy
from sympy import log, pi, sqrt

from derivspec.core import (BINARY, REAL, UNIT_INTERVAL, AnySize, Claim, Source, Step, Var, Vector, WrongVariant, claim,
                            positive_between)
from derivspec.core.lectures import S002, S004
from derivspec.derivations.kl.gaussian import kl_univariate
from derivspec.derivations.nll.gaussian import gaussian_nll
from derivspec.derivations.nll.bernoulli import P as NLL_P, Y01 as NLL_Y
from derivspec.core import target_of

PIXELS = tuple(Var(f"x{j}", f"x_{j}", BINARY) for j in (1, 2))
PROBS = tuple(Var(f"p{j}", f"p_{j}", UNIT_INTERVAL) for j in (1, 2))
REAL_PIXELS = tuple(Var(f"x{j}", f"x_{j}", REAL) for j in (1, 2))
MEANS = tuple(Var(f"m{j}", rf"\hat x_{j}", REAL) for j in (1, 2))
SX = Var("sx", r"\sigma_x", positive_between(0.3, 2))
MU = Var("mu", r"\mu", REAL)
SIGMA = Var("sigma", r"\sigma", positive_between(0.3, 2.5))
(x1, x2), (p1, p2), (m1, m2) = ([v.symbol for v in g] for g in (PIXELS, PROBS, MEANS))
(r1, r2) = (v.symbol for v in REAL_PIXELS)
sx, mu, sigma = SX.symbol, MU.symbol, SIGMA.symbol
BETA_WEIGHT = sympy.Symbol("beta", real=True)  # the free KL weight of a written loss, fixed by a source's at

BATCH_PIXELS = tuple(Var(f"x{i}{j}", f"x_{{{i}{j}}}", BINARY) for i in (1, 2) for j in (1, 2))
BATCH_PROBS = tuple(Var(f"p{i}{j}", f"p_{{{i}{j}}}", UNIT_INTERVAL) for i in (1, 2) for j in (1, 2))
BATCH_MU = tuple(Var(f"mu{i}", rf"\mu_{i}", REAL) for i in (1, 2))
BATCH_SIGMA = tuple(Var(f"sigma{i}", rf"\sigma_{i}", positive_between(0.3, 2.5)) for i in (1, 2))
bx, bp = [v.symbol for v in BATCH_PIXELS], [v.symbol for v in BATCH_PROBS]
bmu, bsigma = [v.symbol for v in BATCH_MU], [v.symbol for v in BATCH_SIGMA]


def bce(x, p):
    """−x log p − (1 − x) log(1 − p): the target of nll.bernoulli at (x, p)."""
    return target_of("nll.bernoulli").subs({NLL_Y.symbol: x, NLL_P.symbol: p}, simultaneous=True)


def written_bce(x, p):
    return -x * log(p) - (1 - x) * log(1 - p)


def kl_standard(m, s):
    """KL(N(m, s²) ‖ N(0, 1)) from claim kl.gaussian.univariate."""
    return kl_univariate(m, s, 0, 1)


def written_kl(m, s):
    return (m**2 + s**2 - 1 - log(s**2)) / 2


LATENT = (Vector("mu", "J", r"\mu", MU.domain, ("mu",)), Vector("sigma", "J", r"\sigma", SIGMA.domain, ("sigma",)))


def _kl_sum(mus, sigmas, written=written_kl):
    """KL(N(μ, diag σ²) ‖ N(0, I)) over J latent dimensions: the KL of independent coordinates adds."""
    return sum(written(m, s) for m, s in zip(mus, sigmas))


def bernoulli_any_size(vectors, indices):
    """D pixels and J latent dimensions: log p(x|z) is the sum of the pixels' Bernoulli log-likelihoods and
    the KL of a diagonal Gaussian to N(0, I) the sum of its coordinates' KLs; the wrong variants alike."""
    xs, ps, mus, sigmas = vectors["x"], vectors["p"], vectors["mu"], vectors["sigma"]
    bce_sum, kl = sum(written_bce(x, p) for x, p in zip(xs, ps)), _kl_sum(mus, sigmas)
    return bce_sum + kl, {
        "BCE averaged over pixels (F.binary_cross_entropy's default reduction) + KL": bce_sum / len(xs) + kl,
        "KL subtracted (the ELBO's sign kept for the KL)": bce_sum - kl,
        "squared error in place of BCE": sum((x - p) ** 2 for x, p in zip(xs, ps)) + kl,
        "log sigma in place of log sigma^2 in the KL":
            bce_sum + _kl_sum(mus, sigmas, lambda m, s: (m**2 + s**2 - 1 - log(s)) / 2),
    }


BERNOULLI_ANY_SIZE = AnySize(
    (("D", 2), ("J", 1)),
    (Vector("x", "D", "x", BINARY, ("x1", "x2")), Vector("p", "D", "p", UNIT_INTERVAL, ("p1", "p2"))) + LATENT,
    bernoulli_any_size,
    correct=r"\sum_{j=1}^{D}\mathrm{BCE}(x_j, p_j) + \tfrac12\sum_{l=1}^{J}(\mu_l^2 + \sigma_l^2 - 1 - \log\sigma_l^2)")


def gaussian_any_size(vectors, indices):
    """D pixels and J latent dimensions: −log N(x; x̂, σ_x² I) = Σ_j (x_j − x̂_j)²/(2σ_x²) + (D/2) log 2πσ_x²,
    plus the KL summed over the latent coordinates; the wrong variants alike."""
    xs, ms, mus, sigmas = vectors["x"], vectors["m"], vectors["mu"], vectors["sigma"]
    squared_error, kl, pixels = sum((x - m) ** 2 for x, m in zip(xs, ms)), _kl_sum(mus, sigmas), len(xs)
    normaliser = sympy.Rational(pixels, 2) * log(2 * pi * sx**2)
    return squared_error / (2 * sx**2) + normaliser + kl, {
        "MSE + KL with weight 1 on both (sigma_x ignored)": squared_error + kl,
        "squared error averaged over pixels": squared_error / (2 * pixels * sx**2) + normaliser + kl,
        "the log-normaliser counted once, not per pixel": squared_error / (2 * sx**2) + log(2 * pi * sx**2) / 2 + kl,
    }


GAUSSIAN_ANY_SIZE = AnySize(
    (("D", 2), ("J", 1)),
    (Vector("x", "D", "x", REAL, ("x1", "x2")), Vector("m", "D", r"\hat x", REAL, ("m1", "m2"))) + LATENT,
    gaussian_any_size,
    correct=r"\frac{1}{2\sigma_x^2}\sum_{j=1}^{D}(x_j - \hat x_j)^2 + \frac D2\log 2\pi\sigma_x^2 + "
            r"\tfrac12\sum_{l=1}^{J}(\mu_l^2 + \sigma_l^2 - 1 - \log\sigma_l^2)")


@claim("vae.loss.bernoulli")
def vae_loss_bernoulli() -> Claim:
    """−[log Bern(x|p) − KL(N(μ,σ²) ‖ N(0,1))] = Σ_j BCE(x_j, p_j) + ½(μ² + σ² − 1 − log σ²)."""
    loss = written_bce(x1, p1) + written_bce(x2, p2) + written_kl(mu, sigma)
    return Claim(
        title="VAE loss with a Bernoulli decoder: −ELBO = BCE summed over pixels + KL(q ‖ N(0,1)) (one example, one z sample)",
        statement=r"-\big[\log p(x\mid z) - \mathrm{KL}(\mathcal N(\mu,\sigma^2)\,\|\,\mathcal N(0,1))\big],\ p(x\mid z) = \prod_{j=1}^2\mathrm{Bern}(x_j; p_j(z))",
        variables=PIXELS + PROBS + (MU, SIGMA),
        any_size=BERNOULLI_ANY_SIZE,
        derivation=(
            Step(r"definition: the single-sample ELBO \log p(x\mid z) - \mathrm{KL}(q\,\|\,p(z)); \log p(x\mid z) = \sum_j \log\mathrm{Bern}(x_j;p_j) "
                 r"(minus claim nll.bernoulli per pixel), the KL from claim kl.gaussian.univariate",
                 -bce(x1, p1) - bce(x2, p2) - kl_standard(mu, sigma)),
            Step(r"the loss is minus the ELBO: the reconstruction term is -\mathrm{BCE}, summed (not averaged) over pixels",
                 loss, op=lambda e: -e),
        ),
        wrong_variants=(
            WrongVariant("BCE averaged over pixels (F.binary_cross_entropy's default reduction) + KL",
                         (written_bce(x1, p1) + written_bce(x2, p2)) / 2 + written_kl(mu, sigma)),
            WrongVariant("KL subtracted (the ELBO's sign kept for the KL)", written_bce(x1, p1) + written_bce(x2, p2) - written_kl(mu, sigma)),
            WrongVariant("squared error in place of BCE", (x1 - p1) ** 2 + (x2 - p2) ** 2 + written_kl(mu, sigma)),
            WrongVariant("log sigma in place of log sigma^2 in the KL",
                         written_bce(x1, p1) + written_bce(x2, p2) + (mu**2 + sigma**2 - 1 - log(sigma)) / 2),
        ),
        sources=(
            Source(S004, "2532–2537", r"Latent variable model: p(\mathbf{x}) = \int p(\mathbf{x}|\mathbf{z})p(\mathbf{z})d\mathbf{z}; Inference problem: posterior p(\mathbf{z}|\mathbf{x}) intractable; Solution: approximate posterior with variational distribution q_\phi(\mathbf{z}|\mathbf{x}); Optimize Evidence Lower Bound (ELBO)",
                   note="the principle; the loss is minus the ELBO (this claim), and the reference VAE's exact p(x) shows the bound"),
            Source(S004, "2641–2651", r"Classical autoencoder: deterministic encoder/decoder; Minimize reconstruction error \|\mathbf{x} - \hat{\mathbf{x}}\|^2; Cannot generate; Regularization: KL term prevents holes in latent space",
                   note="not comparable: qualitative (the loss's KL term is the regulariser it names)"),
            Source(S002, "196–201", r"\text{ELBO} = \mathbb{E}_{q} \left[ \log \frac{p(x \mid z) p(z)}{q(z \mid x)} \right] = \mathbb{E}_{q} [\log p(x \mid z)] + \mathbb{E}_{q} \left[ \log \frac{p(z)}{q(z \mid x)} \right]; - D_{KL}(q(z \mid x) \| p(z))",
                   note="the split the derivation uses (ELBO = E_q log p(x|z) - KL), written for any decoder"),
            Source(S004, "2541", r"VAEs work for any data type with suitable likelihood p(\mathbf{x}|\mathbf{z})",
                   behaviour="bernoulli_vae_bounds_hold", at={"k": 64.0},
                   correct=r"with a Bernoulli decoder on binary data: ELBO \le IWAE_K \le \log p(x) exactly (log p by quadrature)"),
            Source(S004, "2608–2612", r"Expectation \mathbb{E}_{\mathbf{z} \sim q}[\cdot] approximated by Monte Carlo: \mathbb{E}[f(\mathbf{z})] \approx \frac{1}{L} \sum_{l=1}^L f(\mathbf{z}_l) where \mathbf{z}_l \sim q; Often L = 1 (single sample) sufficient due to reparameterization",
                   behaviour="single_sample_elbo_is_unbiased", at={"samples": 200000.0},
                   correct="the one-sample loss is an unbiased estimate of -ELBO (its mean over z ~ q equals the quadrature value)"),
            Source(S004, "2597–2606", r"Sample minibatch \{\mathbf{x}_i\} from data; Encode: compute \boldsymbol{\mu}_\phi(\mathbf{x}_i), \boldsymbol{\sigma}_\phi(\mathbf{x}_i); Sample: \mathbf{z}_i = \boldsymbol{\mu}_\phi(\mathbf{x}_i) + \boldsymbol{\sigma}_\phi(\mathbf{x}_i) \odot \boldsymbol{\epsilon}; Decode: compute p_\theta(\mathbf{x}_i|\mathbf{z}_i); Compute ELBO and gradients wrt θ, ϕ; Update parameters with gradient ascent",
                   note="the training loop (gradient ascent on the ELBO = descent on this loss); its per-batch reduction is "
                        "claim vae.loss.batch"),
        ),
    )


@claim("vae.loss.gaussian")
def vae_loss_gaussian() -> Claim:
    """−[log N(x; x̂, σ_x² I) − KL] = ‖x − x̂‖²/(2σ_x²) + log(2πσ_x²) + KL for D = 2."""
    squared_error = (r1 - m1) ** 2 + (r2 - m2) ** 2
    loss = squared_error / (2 * sx**2) + log(2 * pi * sx**2) + written_kl(mu, sigma)
    return Claim(
        title="VAE loss with a Gaussian decoder N(x̂, σ_x² I): −ELBO = ‖x − x̂‖²/(2σ_x²) + (D/2) log(2πσ_x²) + KL (D = 2)",
        statement=r"-\big[\log\mathcal N(x;\hat x,\sigma_x^2 I) - \mathrm{KL}(\mathcal N(\mu,\sigma^2)\,\|\,\mathcal N(0,1))\big],\ D = 2",
        variables=REAL_PIXELS + MEANS + (SX, MU, SIGMA),
        any_size=GAUSSIAN_ANY_SIZE,
        derivation=(
            Step(r"definition: the single-sample ELBO; \log\mathcal N(x;\hat x,\sigma_x^2I) = \sum_j \log\mathcal N(x_j;\hat x_j,\sigma_x^2) "
                 r"(claim nll.gaussian), the KL from claim kl.gaussian.univariate",
                 -gaussian_nll(r1, m1, sx) - gaussian_nll(r2, m2, sx) - kl_standard(mu, sigma)),
            Step(r"the loss is minus the ELBO: the squared error scaled by 1/(2\sigma_x^2) plus the constant (D/2)\log(2\pi\sigma_x^2) + KL",
                 loss, op=lambda e: -e),
        ),
        wrong_variants=(
            WrongVariant("MSE + KL with weight 1 on both (sigma_x ignored)", squared_error + written_kl(mu, sigma)),
            WrongVariant("squared error averaged over pixels", squared_error / (4 * sx**2) + log(2 * pi * sx**2) + written_kl(mu, sigma)),
            WrongVariant("the log-normaliser counted once, not per pixel", squared_error / (2 * sx**2) + log(2 * pi * sx**2) / 2 + written_kl(mu, sigma)),
        ),
        sources=(
            Source(S002, "164–167", r"Maps x to latent parameters: Mean \mu_z and Log-Variance \log \sigma_z^2; \psi_{\text{enc}} = [\mu_z, \sigma_z]; Define the **Approximate Posterior** q(z \mid u) = \mathcal{N}(\mu_z, \sigma_z)",
                   note=r"the encoder of the claim (q = N(\mu, \sigma^2)); \mathcal N(\mu_z, \sigma_z) writes the standard deviation where the "
                        r"N(mean, variance) convention of the notes (003 L366) puts the variance: read as N(\mu_z, \sigma_z^2)"),
            Source(S002, "238–241", r"\mathbb{E}_{z \sim q_{\phi}(z \mid u)} [\log p_\theta(u \mid z)] = \int_{-\infty}^{\infty} q_{\phi}(z \mid u) \log p_\theta(u \mid z) \, dz",
                   note="the expectation the single-sample loss estimates; the model route of vae.loss.bernoulli evaluates it by quadrature"),
            Source(S002, "290", r"The first term is **reconstruction**, maximizing likelihood of data given latent, and the second term is **regularization**",
                   note="names the two terms of the loss"),
            Source(S002, "293–302", r"Sample z \sim \mathcal{N}(0, I) (The Prior); \psi_{\text{out}} = \text{Decoder}(z); Usually, we just display the mean \mu_x directly",
                   note="generation, not the loss; not comparable"),
            Source(S002, "340–344", r"we output the local parameters \psi = [\mu, \sigma]; The assumed distribution is Gaussian z \sim \mathcal{N}(\mu, \sigma); The **Prior** (p(z)) ... a standard normal \mathcal{N}(0, 1)",
                   note=r"the encoder and prior of the claim; N(\mu, \sigma) read as N(\mu, \sigma^2) (see 002:164–167)"),
            *(Source(S002, "186–188", r"\mathcal{L} = \|x - \hat{x}\|^2 + \beta \cdot D_{KL}(\mathcal{N}(\mu_z, \sigma_z) \| \mathcal{N}(0, I))",
                     expr=squared_error + BETA_WEIGHT * written_kl(mu, sigma), relation=relation, at=at,
                     free_of=("x1", "x2", "m1", "m2", "mu", "sigma"),
                     note=r"\beta is a free weight (the \beta-VAE loss); " + reading)
              for relation, at, reading in (
                  ("affine", {"sx": 1, "beta": 2},
                   r"with the unit-variance decoder of L181 it is -ELBO up to a positive scale and a constant at \beta = 2 "
                   r"(it is 2(-ELBO) at a KL weight \beta/2)"),
                  ("offset", {"sx": 1 / sqrt(2), "beta": 1},
                   r"at \beta = 1 it is -ELBO up to a constant with a decoder variance \sigma_x^2 = \tfrac12; at \beta = 1 "
                   r"with \sigma_x = 1 it would weight the reconstruction twice (this claim's first wrong variant)"))),
            Source(S002, "221–225", r"the reconstruction loss is almost always Mean Squared Error (MSE): \text{Loss} = \| u - \hat{u} \|^2 = \sum (u_i - \hat{u}_i)^2",
                   expr=squared_error, relation="affine", free_of=("x1", "x2", "m1", "m2"),
                   note=r"the reconstruction part: the loss is a positive multiple of the squared error plus terms free of x "
                        r"and \hat x"),
            Source(S002, "179–182", r"\psi_{\text{dec}} = \mu_x, define the **Likeihood** p(x\mid z) = \mathcal{N}(\mu_x, I); \hat{x} = \text{Decoder}(z)",
                   note=r"the decoder of the claim with \sigma_x = 1"),
            Source(S002, "315–317", r"Learn it (Heteroscedastic): The Decoder outputs both the mean \mu_x and the variance \sigma_x^2 for every pixel; It often collapses to predicting zero variance (infinite likelihood).",
                   behaviour="learned_decoder_variance_collapses", at={"steps": 400.0},
                   correct=r"when the decoder mean can match a pixel exactly, -\log\mathcal N(x;\hat x,\sigma_x^2) \to -\infty as \sigma_x \to 0"),
            Source(S004, "2582–2588", r"Likelihood: p_\theta(\mathbf{x}|\mathbf{z}) = \mathcal{N}(\boldsymbol{\mu}_\theta(\mathbf{z}), \boldsymbol{\Sigma}_\theta(\mathbf{z})); q_\phi(\mathbf{z}|\mathbf{x}) = \mathcal{N}(\boldsymbol{\mu}_\phi(\mathbf{x}), \text{diag}(\boldsymbol{\sigma}_\phi(\mathbf{x})))",
                   note=r"the model with \Sigma_\theta = \sigma_x^2 I; diag(\sigma_\phi) must be read as a diagonal covariance "
                        r"diag(\sigma_\phi^2) (the reparameterisation of L2569 scales by \sigma_\phi)"),
        ),
    )


@claim("vae.loss.batch")
def vae_loss_batch() -> Claim:
    """Per-batch loss = (1/B) Σ_i [Σ_j BCE(x_ij, p_ij) + KL_i], B = 2 examples, D = 2 pixels."""
    per_example = [written_bce(bx[2 * i], bp[2 * i]) + written_bce(bx[2 * i + 1], bp[2 * i + 1]) + written_kl(bmu[i], bsigma[i])
                   for i in (0, 1)]
    summed_bce = sum(written_bce(xx, pp) for xx, pp in zip(bx, bp))
    summed_kl = written_kl(bmu[0], bsigma[0]) + written_kl(bmu[1], bsigma[1])
    return Claim(
        title="Per-batch VAE loss: the mean over examples of the per-example −ELBO (sum over pixels, mean over the batch)",
        statement=r"\frac1B\sum_{i=1}^B\Big[\sum_{j=1}^D\mathrm{BCE}(x_{ij}, p_{ij}) + \mathrm{KL}(q(z\mid x_i)\,\|\,p(z))\Big],\ B = D = 2",
        variables=BATCH_PIXELS + BATCH_PROBS + BATCH_MU + BATCH_SIGMA,
        derivation=(
            Step(r"definition: the batch estimate of the per-example average -\frac1N\sum_i \mathrm{ELBO}(x_i): the mean of the "
                 r"per-example losses (claim vae.loss.bernoulli)",
                 sum(per_example) / 2),
            Step(r"regroup: \frac1B times the BCE summed over all pixels and examples, plus \frac1B times the KL summed over examples "
                 r"-- both terms reduced the same way", summed_bce / 2 + summed_kl / 2),
        ),
        wrong_variants=(
            WrongVariant("BCE averaged over pixels and examples, KL summed over examples (a common mixed reduction)",
                         summed_bce / 4 + summed_kl),
            WrongVariant("BCE averaged over pixels and examples, KL averaged over examples (the KL weighted D times too much)",
                         summed_bce / 4 + summed_kl / 2),
            WrongVariant("BCE summed over the batch, KL averaged", summed_bce + summed_kl / 2),
        ),
    )
