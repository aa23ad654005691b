"""DDPM claims real code needs (issue 87): the forward jump as ``add_noise`` writes it, the SNR, the min-SNR-γ weight and
the DDIM update's mean (derivations/ddpm/forward.py, snr.py, ddim.py). The targets against NumPy written again here
(not imported from numerics/), the special cases that tie them to the rest of the family (η = 1 is DDPM's posterior
mean, η = 0 deterministic DDIM; the x_0- and v-prediction forms of the min-SNR weight), the forms code writes accepted
by ``check`` and the slips rejected."""

import math

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from derivspec.core import registry
from derivspec.core.symbolic import decide
from derivspec.reference_models import samplers
from forms import assert_forms

level = st.floats(0.02, 0.98)


def target_fn(claim_id):
    """The derived target (defined symbols expanded) as a NumPy function of the claim's variable names."""
    claim = registry.get(claim_id)
    f = sympy.lambdify([v.symbol for v in claim.variables], claim.expand_defined(claim.target), "numpy")
    return lambda **kw: f(*(kw[v.name] for v in claim.variables))


def linear_schedule(T=1000):
    betas = np.linspace(1e-4, 0.02, T)
    return betas, np.cumprod(1 - betas)


# --- add_noise ------------------------------------------------------------------------------------

def test_add_noise_is_the_jump_of_the_simulated_chain():
    """Run the chain x_s = √(1 − β_s) x_{s−1} + √β_s ε_s for 300 steps on 200 000 paths from x_0 = 1.3: the jump with
    ᾱ_300 (the cumulative product) has the same mean and variance; the one-step α_300 does not."""
    betas, alpha_bars = linear_schedule()
    rng = np.random.default_rng(0)
    x = np.full(200_000, 1.3)
    for beta in betas[:300]:
        x = math.sqrt(1 - beta) * x + math.sqrt(beta) * rng.standard_normal(x.shape)
    jump = target_fn("ddpm.forward.add-noise")
    eps = rng.standard_normal(200_000)
    jumped = jump(x0=1.3, eps=eps, alpha_t=1 - betas[299], alpha_bar_prev=alpha_bars[298])
    se = x.std() / math.sqrt(len(x))
    assert abs(jumped.mean() - x.mean()) < 6 * math.sqrt(2) * se and jumped.std() == pytest.approx(x.std(), rel=0.01)
    assert abs(math.sqrt(1 - betas[299]) * 1.3 - x.mean()) > 0.4  # the one-step coefficient: 1.30 against 0.82


@given(st.floats(-3, 3), st.floats(-3, 3), st.integers(1, 999))
def test_add_noise_is_the_diffusers_formula_on_a_schedule(x0, eps, t):
    betas, alpha_bars = linear_schedule()
    want = math.sqrt(alpha_bars[t]) * x0 + math.sqrt(1 - alpha_bars[t]) * eps
    got = target_fn("ddpm.forward.add-noise")(x0=x0, eps=eps, alpha_t=1 - betas[t], alpha_bar_prev=alpha_bars[t - 1])
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


# --- SNR and min-SNR ------------------------------------------------------------------------------

@given(level, level)
def test_snr_is_the_squared_gain_over_the_noise_variance(alpha_t, alpha_bar_prev):
    ab = alpha_t * alpha_bar_prev
    got = target_fn("ddpm.snr")(alpha_t=alpha_t, alpha_bar_prev=alpha_bar_prev)
    assert got == pytest.approx((math.sqrt(ab) / math.sqrt(1 - ab)) ** 2, rel=1e-10)


def test_snr_falls_along_a_schedule():
    betas, alpha_bars = linear_schedule()
    snr = target_fn("ddpm.snr")(alpha_t=1 - betas[1:], alpha_bar_prev=alpha_bars[:-1])
    assert np.all(np.diff(snr) < 0) and snr[0] > 1e3 and snr[-1] < 1e-4


@given(level, level, st.floats(0.5, 8), st.floats(-3, 3), st.floats(-3, 3), st.floats(-3, 3))
def test_the_three_min_snr_weights_give_one_loss(alpha_t, alpha_bar_prev, gamma, x0, eps, eps_theta):
    """One network output, three parameterisations: min(SNR, γ)‖x_0 − x̂_0‖² (x_0-prediction) = the claim's weight on
    ‖ε − ε_θ‖² = min(SNR, γ)/(SNR + 1) on ‖v − v̂‖², v = √ᾱ ε − √(1 − ᾱ) x_0."""
    ab = alpha_t * alpha_bar_prev
    snr = ab / (1 - ab)
    xt = math.sqrt(ab) * x0 + math.sqrt(1 - ab) * eps
    x0_hat = (xt - math.sqrt(1 - ab) * eps_theta) / math.sqrt(ab)
    v, v_hat = (math.sqrt(ab) * e - math.sqrt(1 - ab) * x for e, x in ((eps, x0), (eps_theta, x0_hat)))
    weight = target_fn("ddpm.loss.min-snr")(alpha_t=alpha_t, alpha_bar_prev=alpha_bar_prev, gamma=gamma)
    on_x0 = min(snr, gamma) * (x0 - x0_hat) ** 2
    assert weight * (eps - eps_theta) ** 2 == pytest.approx(on_x0, rel=1e-8, abs=1e-12)
    assert min(snr, gamma) / (snr + 1) * (v - v_hat) ** 2 == pytest.approx(on_x0, rel=1e-8, abs=1e-12)


def test_min_snr_caps_the_weight_at_gamma_over_snr():
    """Below SNR = γ the ε-loss keeps weight 1 (the simple loss); above it the weight falls as γ/SNR."""
    weight = target_fn("ddpm.loss.min-snr")
    assert weight(alpha_t=0.5, alpha_bar_prev=0.4, gamma=5.0) == pytest.approx(1.0)  # SNR = 0.25
    assert weight(alpha_t=0.99, alpha_bar_prev=0.95, gamma=5.0) == pytest.approx(5 / (0.9405 / 0.0595))


# --- the DDIM update's mean -----------------------------------------------------------------------

def test_ddim_at_eta_one_is_the_ddpm_posterior_mean():
    """η = 1 in the claim's target is the posterior mean in the ε form (claim ddpm.posterior.mean-eps): SymPy proves it."""
    ddim, posterior = registry.get("ddpm.ddim.mean"), registry.get("ddpm.posterior.mean-eps")
    at_one = ddim.expand_defined(ddim.target).subs(ddim.symbols["eta"], 1)
    decision = decide(at_one, posterior.expand_defined(posterior.target), posterior.variables)
    assert decision.status == "equal", decision.how


def test_ddim_at_eta_zero_is_deterministic_ddim():
    claim = registry.get("ddpm.ddim.mean")
    s = claim.symbols
    ab_t, ab_prev = s["alpha_t"] * s["alpha_bar_prev"], s["alpha_bar_prev"]
    x0_hat = (s["xt"] - sympy.sqrt(1 - ab_t) * s["eps"]) / sympy.sqrt(ab_t)
    written = sympy.sqrt(ab_prev) * x0_hat + sympy.sqrt(1 - ab_prev) * s["eps"]
    at_zero = claim.expand_defined(claim.target).subs(s["eta"], 0)
    assert decide(at_zero, written, claim.variables).status == "equal"


@given(st.floats(-3, 3), st.floats(-3, 3), level, level)
def test_the_reference_sampler_at_eta_zero_takes_the_mean(xt, eps, alpha_t, alpha_bar_prev):
    import torch

    ab_t = alpha_t * alpha_bar_prev
    step = samplers.ddim_step(torch.tensor([xt], dtype=torch.float64), torch.tensor([eps], dtype=torch.float64),
                              ab_t, alpha_bar_prev, 0.0, None)
    got = target_fn("ddpm.ddim.mean")(xt=xt, eps=eps, eta=0.0, alpha_t=alpha_t, alpha_bar_prev=alpha_bar_prev)
    assert float(step[0]) == pytest.approx(got, rel=1e-9, abs=1e-12)


# --- check: forms code writes, slips rejected -------------------------------------------------------

FORMS = {
    "ddpm.forward.add-noise": (
        ["sqrt(alpha_t*alpha_bar_prev)*x0 + sqrt(1 - alpha_t*alpha_bar_prev)*eps", "alpha_bar_t**0.5*x0 + (1 - alpha_bar_t)**0.5*eps"],
        [r"\sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon"],
        ["sqrt(alpha_t)*x0 + sqrt(1 - alpha_t)*eps", "sqrt(alpha_bar_t)*x0 + (1 - alpha_bar_t)*eps",
         "sqrt(alpha_bar_prev)*x0 + sqrt(1 - alpha_bar_prev)*eps"]),
    "ddpm.snr": (
        ["alpha_bar_t/(1 - alpha_bar_t)", "(sqrt(alpha_bar_t)/sqrt(1 - alpha_bar_t))**2", "1/(1 - alpha_bar_t) - 1"],
        [r"\frac{\bar\alpha_t}{1-\bar\alpha_t}"],
        ["sqrt(alpha_bar_t/(1 - alpha_bar_t))", "(1 - alpha_bar_t)/alpha_bar_t", "alpha_t/(1 - alpha_t)"]),
    "ddpm.loss.min-snr": (
        ["Min(alpha_bar_t/(1 - alpha_bar_t), gamma)*(1 - alpha_bar_t)/alpha_bar_t",
         "Min(alpha_t*alpha_bar_prev/(1 - alpha_t*alpha_bar_prev), gamma)/(alpha_t*alpha_bar_prev/(1 - alpha_t*alpha_bar_prev))"],
        [r"\frac{\min(\bar\alpha_t/(1-\bar\alpha_t), \gamma)}{\bar\alpha_t/(1-\bar\alpha_t)}"],
        ["Min(alpha_bar_t/(1 - alpha_bar_t), gamma)", "Max(alpha_bar_t/(1 - alpha_bar_t), gamma)*(1 - alpha_bar_t)/alpha_bar_t",
         "Min(alpha_bar_t/(1 - alpha_bar_t), gamma)/(alpha_bar_t/(1 - alpha_bar_t) + 1)"]),
    "ddpm.ddim.mean": (
        ["sqrt(alpha_bar_prev)*(xt - sqrt(1 - alpha_bar_t)*eps)/sqrt(alpha_bar_t) + sqrt(1 - alpha_bar_prev - "
         "eta**2*(1 - alpha_bar_prev)/(1 - alpha_bar_t)*(1 - alpha_t))*eps"],
        [r"\sqrt{\bar\alpha_{t-1}}\frac{x_t - \sqrt{1-\bar\alpha_t}\epsilon}{\sqrt{\bar\alpha_t}} + \sqrt{1-\bar\alpha_{t-1} - "
         r"\eta^2\frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\left(1-\frac{\bar\alpha_t}{\bar\alpha_{t-1}}\right)}\,\epsilon"],
        ["sqrt(alpha_bar_prev)*(xt - sqrt(1 - alpha_bar_t)*eps)/sqrt(alpha_bar_t) + sqrt(1 - alpha_bar_prev)*eps",
         "sqrt(alpha_bar_prev)*(xt - sqrt(1 - alpha_bar_t)*eps)/sqrt(alpha_bar_t) + sqrt(1 - alpha_bar_prev - "
         "eta*(1 - alpha_bar_prev)/(1 - alpha_bar_t)*(1 - alpha_t))*eps"]),
}


@pytest.mark.parametrize("claim_id", sorted(FORMS))
def test_check_accepts_the_forms_code_writes_and_rejects_mistakes(claim_id):
    assert_forms(claim_id, *FORMS[claim_id])


def test_check_never_calls_the_clamped_min_snr_weight_wrong():
    """min(1, γ/SNR), the clamp some code writes: equal for SNR > 0, which `check` cannot use inside a Min; it agrees
    at every exact point, so it is inconclusive at worst, never not_equivalent."""
    from derivspec.core.checker import check

    result = check(registry.get("ddpm.loss.min-snr"), formula="Min(1, gamma*(1 - alpha_bar_t)/alpha_bar_t)")
    assert result["verdict"] in ("equivalent", "inconclusive") and result["numeric"]["counterexample"] is None
