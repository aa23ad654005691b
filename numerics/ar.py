"""Independent numeric routes for the autoregressive family (``derivations/ar/``).

Routes use the torch models of ``reference_models/autoregressive.py`` (tabular, FVSBN, NADE,
MADE: their log-likelihoods, ``numel`` counts, masks, samplers and decoding filters), torch's own
losses (``F.binary_cross_entropy_with_logits``, ``F.cross_entropy``), ``torch.distributions``,
exact enumeration and Monte Carlo (1e-6 false-fail rate). Behaviour checks run the same models:
χ² goodness of fit of ancestral samples (false-fail rate 1e-6), one-pass teacher forcing, pass
counts, autograd dependency patterns of MADE, masked and dilated causal convolutions, and the
exact distributions that temperature sampling and beam search produce on small models.
"""

from __future__ import annotations

import functools
import itertools
import math

import torch
import torch.nn.functional as F
from torch.distributions import Bernoulli, Categorical

from derivspec.core.numbers import fmt
from derivspec.numerics.routes import behaviour, monte_carlo, reference
from derivspec.reference_models.autoregressive import (FVSBN, MADE, NADE, FALSE_FAIL_RATE, TabularAR, all_binary_vectors,
                                                       ancestral_sample, beam_search, chi_square_test, count_parameters,
                                                       dilated_causal_receptive_field, greedy_decode, joint, log_prob,
                                                       made_degrees, made_path_counts, masked_conv_dependencies,
                                                       made_masks, nucleus_probs, pixelcnn_mask, random_joint,
                                                       temperature_probs, token_nll, top_k_probs)
from derivspec.reference_models.device import DTYPE, make_generator

CPU = torch.device("cpu")
CELLS = list(itertools.product((0, 1), repeat=3))  # (x1, x2, x3) of the weight w_{x1 x2 x3}


# --- the chain rule and ancestral sampling ----------------------------------------------------------


def _joint_from_weights(weights: dict) -> torch.Tensor:
    """(n, 8) probabilities in the order of ``all_binary_vectors`` (x1 the lowest bit)."""
    by_index = {a + 2 * b + 4 * c: weights[f"w{a}{b}{c}"] for a, b, c in CELLS}
    stacked = torch.stack([by_index[k] for k in range(8)], -1)
    return stacked / stacked.sum(-1, keepdim=True)


def _index(x1, x2, x3) -> torch.Tensor:
    return (x1 + 2 * x2 + 4 * x3).long()


@reference("ar.chain-rule")
def chain_rule_by_table_lookup(x1, x2, x3, w000, w001, w010, w011, w100, w101, w110, w111):
    """the joint table itself: w_x / Σ w"""
    probs = _joint_from_weights(dict(w000=w000, w001=w001, w010=w010, w011=w011, w100=w100, w101=w101, w110=w110, w111=w111))
    return probs.gather(-1, _index(x1, x2, x3)[:, None])[:, 0]


@reference("ar.chain-rule", points=64)
def chain_rule_by_tabular_model(x1, x2, x3, w000, w001, w010, w011, w100, w101, w110, w111):
    """reference model: TabularAR.from_joint (conditionals by marginalisation), exp(Σ token log-likelihoods)"""
    probs = _joint_from_weights(dict(w000=w000, w001=w001, w010=w010, w011=w011, w100=w100, w101=w101, w110=w110, w111=w111))
    xs = torch.stack([x1, x2, x3], -1)
    with torch.no_grad():
        return torch.stack([torch.exp(log_prob(TabularAR.from_joint(p), x[None]))[0] for p, x in zip(probs, xs)])


@reference("ar.sampling.ancestral", points=64)
def ancestral_step_probabilities(x1, x2, x3, w000, w001, w010, w011, w100, w101, w110, w111):
    """reference model: the product of the Bernoulli(σ(logit)) probabilities of the three draws TabularAR.from_joint makes"""
    probs = _joint_from_weights(dict(w000=w000, w001=w001, w010=w010, w011=w011, w100=w100, w101=w101, w110=w110, w111=w111))
    xs = torch.stack([x1, x2, x3], -1)
    values = []
    with torch.no_grad():
        for p, x in zip(probs, xs):
            model = TabularAR.from_joint(p)
            draws = [Bernoulli(logits=model.conditional_logit(x[None], i)).log_prob(x[i]) for i in range(3)]
            values.append(torch.exp(sum(draws))[0])
    return torch.stack(values)


@monte_carlo("ar.sampling.ancestral", points=2)  # false-fail rate 2e-6 for the claim
def ancestral_frequency(x1, x2, x3, w000, w001, w010, w011, w100, w101, w110, w111):
    """Monte Carlo: frequency of x among ancestral samples of TabularAR.from_joint"""
    probs = _joint_from_weights(dict(w000=w000, w001=w001, w010=w010, w011=w011, w100=w100, w101=w101, w110=w110, w111=w111))
    model = TabularAR.from_joint(probs)
    target = torch.stack([x1, x2, x3])

    def draw(n, generator):
        samples, _ = ancestral_sample(model, n, generator)
        return (samples == target).all(-1).to(DTYPE)

    return draw


def _models(d: int, seed: int = 0, hidden: int = 16) -> dict:
    generator = make_generator(seed, CPU)
    return {"tabular": TabularAR(d, generator), "FVSBN": FVSBN(d, generator), "NADE": NADE(d, hidden, generator),
            "MADE": MADE(d, (hidden, hidden), generator, degrees=made_degrees(d, (hidden, hidden), generator))}


def _marginal(probs: torch.Tensor, columns: list[int]) -> torch.Tensor:
    """p(x_columns) at every x of {0,1}^d: the joint summed over the vectors that agree on those columns."""
    xs = all_binary_vectors(int(round(math.log2(probs.numel()))), probs.device)
    return (xs[:, None, columns] == xs[None, :, columns]).all(-1).to(DTYPE) @ probs


def _product_of_marginals(probs: torch.Tensor) -> torch.Tensor:
    """∏_i p(x_i): the joint's marginals with no dependence."""
    d = int(round(math.log2(probs.numel())))
    return torch.stack([_marginal(probs, [i]) for i in range(d)]).prod(0)


def _first_order_markov(probs: torch.Tensor) -> torch.Tensor:
    """p(x_1) ∏_i p(x_{i−1}, x_i) / p(x_{i−1}): the joint with the context cut to the previous variable."""
    d = int(round(math.log2(probs.numel())))
    steps = [_marginal(probs, [i - 1, i]) / _marginal(probs, [i - 1]) for i in range(1, d)]
    return _marginal(probs, [0]) * torch.stack(steps).prod(0)


@behaviour("ar.chain-rule", broken={
    "the marginals p(x_i) as the conditionals (an independence assumption beyond the ordering)":
        dict(conditionals_of=lambda p: TabularAR.from_joint(_product_of_marginals(p))),
    "a context of one previous variable, p(x_i | x_{i−1}) (a first-order Markov chain)":
        dict(conditionals_of=lambda p: TabularAR.from_joint(_first_order_markov(p))),
})
def tables_represent_any_joint(d, *, conditionals_of=TabularAR.from_joint):
    """TabularAR.from_joint rebuilds a random joint over {0,1}^d exactly from its 2^d − 1 conditionals

    Seam: ``conditionals_of`` (joint → autoregressive model): marginals alone or a context cut to
    one variable do not rebuild the joint."""
    generator = make_generator(8, CPU)
    target = random_joint(d, generator, concentration=0.5)
    model = conditionals_of(target)
    error = float((joint(model) - target).abs().max())
    return error < 1e-12, (f"d = {d}: a random joint (2^{d} = {2**d} cells) through its {count_parameters(model)} conditional "
                           f"table entries: max |p_model − p| = {fmt(error, '.1e')}")


def _unshifted_log_prob(model, x):
    """Σ_i log p(x_i | ·) with the inputs not shifted: conditional i reads x_2 … x_i, x_i itself included."""
    shifted = torch.cat([x[:, 1:], torch.zeros_like(x[:, :1])], 1)
    return -F.binary_cross_entropy_with_logits(model.conditional_logits(shifted), x, reduction="none").sum(-1)


@behaviour("ar.chain-rule", broken={
    "inputs not shifted: the conditional of x_i sees x_i itself": dict(log_likelihood=_unshifted_log_prob),
    "the mean of the token log-likelihoods instead of their sum": dict(log_likelihood=lambda model, x: -token_nll(model, x).mean(-1)),
})
def exact_normalised_likelihood(d, *, log_likelihood=log_prob):
    """tabular, FVSBN, NADE and MADE: the chain-rule likelihood sums to 1 over {0,1}^d (enumeration)

    Seam: ``log_likelihood(model, x)``, the chain rule Σ_i log p(x_i | x_{<i})."""
    xs = all_binary_vectors(d)
    with torch.no_grad():
        totals = {name: float(log_likelihood(model, xs).exp().sum()) for name, model in _models(d).items()}
    worst = max(abs(t - 1) for t in totals.values())
    return worst < 1e-12, (f"d = {d}, {2**d} sequences: Σ_x p(x) = " + ", ".join(f"{k} {fmt(v, '.15f')}" for k, v in totals.items()))


def _parallel_sample(model, n, generator):
    """Every token drawn at once from the conditionals at the all-zero context (one pass, the drawn prefix ignored)."""
    u = torch.rand(n, model.d, generator=generator, dtype=DTYPE)
    with torch.no_grad():
        p_one = torch.sigmoid(model.conditional_logits(torch.zeros(n, model.d, dtype=DTYPE)))
    return (u < p_one).to(DTYPE), 1


def _one_uniform_sample(model, n, generator):
    """Ancestral sampling that reuses the first position's uniform for every token."""
    u = torch.rand(n, 1, generator=generator, dtype=DTYPE).expand(n, model.d)
    x = torch.zeros(n, model.d, dtype=DTYPE)
    with torch.no_grad():
        for i in range(model.d):
            x[:, i] = (u[:, i] < torch.sigmoid(model.conditional_logits(x)[:, i])).to(DTYPE)
    return x, model.d


@behaviour("ar.sampling.ancestral", broken={
    "all tokens drawn in one parallel pass (the drawn prefix not fed back)": dict(sampler=_parallel_sample),
    "one uniform reused for every token (draws not independent)": dict(sampler=_one_uniform_sample),
})
def ancestral_matches_joint(d, n, *, sampler=ancestral_sample):
    """ancestral samples of tabular, FVSBN, NADE and MADE pass a χ² test against the enumerated joint (false-fail rate 1e-6 each)

    Seam: ``sampler(model, n, generator) -> (samples, passes)``."""
    generator = make_generator(9, CPU)
    results = {}
    for name, model in _models(d, seed=10, hidden=8).items():
        samples, passes = sampler(model, n, generator)
        results[name] = chi_square_test(samples, joint(model))
    holds = all(r["passed"] for r in results.values())
    return holds, (f"d = {d}, n = {n} samples per model, {2**d - 1} degrees of freedom, pass if p ≥ {fmt(FALSE_FAIL_RATE, 'g')}: "
                   + ", ".join(f"{k} p = {fmt(r['p_value'], '.3f')}" for k, r in results.items()))


def _context_free_nade(d):
    """A NADE whose input weights W are zero: every conditional ignores the prefix."""
    model = _models(d)["NADE"]
    with torch.no_grad():
        model.W.zero_()
    return model


@behaviour("ar.sampling.ancestral", broken={
    "a one-pass sampler (every token from the zero context at once)": dict(sampler=_parallel_sample),
    "a model whose conditionals ignore the prefix (W = 0)": dict(model_of=_context_free_nade),
})
def sampling_is_sequential(d, *, sampler=ancestral_sample, model_of=lambda d: _models(d)["NADE"]):
    """NADE: scoring is one teacher-forced pass; sampling needs d passes, each depending on the previous draws

    Seams: ``sampler`` (model, n, generator) → (samples, passes), and the model ``model_of(d)``."""
    model = model_of(d)
    generator = make_generator(11, CPU)
    samples, passes = sampler(model, 4, generator)
    with torch.no_grad():
        one_pass = model.conditional_logits(samples)
        stepwise = torch.stack([model.conditional_logits(torch.cat([samples[:, :i], torch.zeros_like(samples[:, i:])], 1))[:, i]
                                for i in range(d)], 1)
        depends = bool((model.conditional_logits(torch.zeros_like(samples)) != one_pass).any())
    same = float((one_pass - stepwise).abs().max())
    holds = passes == d and same < 1e-12 and depends
    return holds, (f"d = {d}: scoring a batch = 1 pass (its logits equal the position-by-position ones to {fmt(same, '.1e')}); "
                   f"sampling = {passes} sequential passes (d = {d}); logit i changes with the drawn x_{{<i}}: {depends}")


# --- teacher forcing, perplexity, bits per token ------------------------------------------------------


@reference("ar.teacher-forcing")
def teacher_forced_bce(x1, x2, b1, b2, w):
    """F.binary_cross_entropy_with_logits on the teacher-forced logits (b1, b2 + w·x1), summed over tokens"""
    logits = torch.stack([b1, b2 + w * x1], -1)
    return F.binary_cross_entropy_with_logits(logits, torch.stack([x1, x2], -1), reduction="none").sum(-1)


@reference("ar.teacher-forcing")
def sequence_nll_by_enumeration(x1, x2, b1, b2, w):
    """−log of the enumerated joint of the two-token model (Bernoulli(logits).log_prob; the 4 sequences sum to 1)"""
    table = {}
    for a in (0, 1):
        for b in (0, 1):
            first = Bernoulli(logits=b1).log_prob(torch.full_like(b1, a))
            second = Bernoulli(logits=b2 + w * a).log_prob(torch.full_like(b1, b))
            table[a, b] = first + second
    total = torch.logsumexp(torch.stack(list(table.values())), 0)
    observed = torch.where(x1 == 1, torch.where(x2 == 1, table[1, 1], table[1, 0]),
                           torch.where(x2 == 1, table[0, 1], table[0, 0]))
    return -(observed - total)


def _made(d, hidden, generator, masks=made_masks, activation=torch.relu):
    """MADE(d, (hidden, hidden)) with random degrees, its masks replaced by ``masks(d, hidden, degrees)``."""
    degrees = made_degrees(d, hidden, generator)
    model = MADE(d, hidden, generator, degrees=degrees, activation=activation)
    for index, mask in enumerate(masks(d, hidden, degrees)):
        getattr(model, f"mask{index}").copy_(mask)
    return model


def _output_mask_with_ties(d, hidden, degrees):
    """MADE masks whose output mask is i ≥ m(k) (not the strict i > m(k)): output i sees x_i."""
    masks = made_masks(d, hidden, degrees)
    return masks[:-1] + [(torch.arange(1, d + 1)[:, None] >= degrees[-1][None, :]).to(DTYPE)]


MADE_BROKEN = {
    "no masks (a plain MLP)": dict(masks=lambda d, hidden, degrees: [torch.ones_like(m) for m in made_masks(d, hidden, degrees)]),
    "output mask i ≥ m(k) instead of i > m(k) (output i sees x_i)": dict(masks=_output_mask_with_ties),
}


@behaviour("ar.teacher-forcing", broken=MADE_BROKEN)
def teacher_forcing_is_one_pass(d, hidden, *, masks=made_masks):
    """MADE: the token NLLs of all positions from one masked pass equal the position-by-position computation

    Seam: ``masks(d, hidden, degrees)``, MADE's masks (:func:`made_masks`)."""
    generator = make_generator(12, CPU)
    model = _made(d, (hidden, hidden), generator, masks)
    x = (torch.rand(64, d, generator=generator, dtype=DTYPE) < 0.5).to(DTYPE)
    with torch.no_grad():
        return _compare_passes(model, x, d, hidden)


def _compare_passes(model, x, d, hidden):
    one_pass = token_nll(model, x)
    stepwise = torch.stack([
        F.binary_cross_entropy_with_logits(
            model.conditional_logits(torch.cat([x[:, :i], torch.zeros_like(x[:, i:])], 1))[:, i], x[:, i], reduction="none")
        for i in range(d)], 1)
    error = float((one_pass - stepwise).abs().max())
    return error < 1e-12, (f"MADE d = {d}, hidden ({hidden}, {hidden}), 64 sequences: one pass vs {d} prefix-only passes, "
                           f"max |Δ token NLL| = {fmt(error, '.1e')}; Σ token NLL = −log p(x)")


def _token_logits(p1, p2, p3) -> torch.Tensor:
    """(n, 3, 2) logits whose class-1 probability is p_t."""
    probs = torch.stack([p1, p2, p3], -1)
    return torch.stack([torch.log1p(-probs), torch.log(probs)], -1)


def _mean_token_ce(p1, p2, p3) -> torch.Tensor:
    logits = _token_logits(p1, p2, p3)
    targets = torch.ones(logits.shape[:-1], dtype=torch.long, device=logits.device)
    return F.cross_entropy(logits.reshape(-1, 2), targets.reshape(-1), reduction="none").reshape(targets.shape).mean(-1)


@reference("ar.perplexity")
def perplexity_by_cross_entropy(p1, p2, p3):
    """exp of F.cross_entropy(reduction='mean') over the 3 tokens"""
    return torch.exp(_mean_token_ce(p1, p2, p3))


@reference("ar.perplexity")
def perplexity_by_geometric_mean(p1, p2, p3):
    """inverse geometric mean: torch.prod(p)^(−1/3)"""
    return torch.prod(torch.stack([p1, p2, p3], -1), -1) ** (-1 / 3)


@reference("ar.bits-per-token")
def bits_per_token_by_cross_entropy(p1, p2, p3):
    """F.cross_entropy(reduction='mean') / log 2"""
    return _mean_token_ce(p1, p2, p3) / math.log(2)


@reference("ar.bits-per-token")
def bits_per_token_by_log2(p1, p2, p3):
    """−mean of torch.log2 of the token probabilities"""
    return -torch.log2(torch.stack([p1, p2, p3], -1)).mean(-1)


# --- parameter counts and masks ------------------------------------------------------------------------


def _counts(build, *columns) -> torch.Tensor:
    values = [count_parameters(build(*(int(v) for v in row))) for row in zip(*(c.tolist() for c in columns))]
    return torch.tensor(values, dtype=DTYPE, device=columns[0].device)


@reference("ar.params.tabular", points=48)
def tabular_numel(d):
    """reference model: TabularAR(d), sum of numel of its parameters"""
    return _counts(lambda k: TabularAR(k, device=CPU), d)


@reference("ar.params.fvsbn", points=48)
def fvsbn_numel(d):
    """reference model: FVSBN(d) (nn.Linear(i − 1, 1) per conditional), sum of numel"""
    return _counts(lambda k: FVSBN(k, device=CPU), d)


@reference("ar.params.nade", points=48)
def nade_numel(d, H):
    """reference model: NADE(d, H), sum of numel"""
    return _counts(lambda k, h: NADE(k, h, device=CPU), d, H)


@reference("ar.params.made", points=48)
def made_numel(d, H, L):
    """reference model: MADE(d, (H,)*L) (masked nn.Linear layers), sum of numel"""
    return _counts(lambda k, h, layers: MADE(k, (h,) * layers, device=CPU), d, H, L)


MASK_D = 8  # the masks claim: d = 8 inputs, one hidden unit per degree 1..7


@functools.lru_cache(maxsize=1)
def _mask_paths() -> torch.Tensor:
    return made_path_counts(MADE(MASK_D, (MASK_D - 1,), device=CPU))


@functools.lru_cache(maxsize=1)
def _unit_jacobian() -> torch.Tensor:
    """∂ output / ∂ input of MADE(8, (7,)) with unit weights, zero biases and identity activation:
    the number of masked paths, by autograd."""
    model = MADE(MASK_D, (MASK_D - 1,), device=CPU, activation=lambda h: h)
    with torch.no_grad():
        for layer in model.layers:
            layer.weight.fill_(1.0)
            layer.bias.zero_()
    return torch.autograd.functional.jacobian(model.conditional_logits, torch.zeros(MASK_D, dtype=DTYPE))


@reference("ar.made.masks")
def made_mask_product(i, j):
    """reference model: MADE(8, (7,)) masks, (M^V M^W)[i, j]"""
    paths = _mask_paths().to(i.device)
    return paths[i.long() - 1, j.long() - 1]


@reference("ar.made.masks")
def made_unit_jacobian(i, j):
    """autograd: Jacobian of MADE(8, (7,)) with unit weights and identity activation"""
    jacobian = _unit_jacobian().to(i.device)
    return jacobian[i.long() - 1, j.long() - 1]


@behaviour("ar.made.masks", broken=MADE_BROKEN)
def made_output_sees_only_the_past(d, hidden, *, masks=made_masks):
    """MADE (two hidden layers, random degrees): ∂logit_i/∂x_j = 0 for every j ≥ i, and ≠ 0 for some j < i

    Seam: ``masks(d, hidden, degrees)``, MADE's masks (:func:`made_masks`)."""
    generator = make_generator(13, CPU)
    model = _made(d, (hidden, hidden), generator, masks, activation=torch.tanh)
    x = torch.rand(d, generator=generator, dtype=DTYPE)
    jacobian = torch.autograd.functional.jacobian(model.conditional_logits, x)
    future = float(torch.triu(jacobian).abs().max())
    used = int((torch.tril(jacobian, -1) != 0).sum())
    return future == 0.0 and used > 0, (f"d = {d}, hidden ({hidden}, {hidden}), random degrees: max |∂logit_i/∂x_j| over "
                                        f"j ≥ i = {fmt(future, 'g')}; {used} of the {d * (d - 1) // 2} pairs j < i are used")


def _rows_below_unmasked(kernel, layer, device=None):
    mask = pixelcnn_mask(kernel, layer, device)
    mask[kernel // 2 + 1:, :] = 1
    return mask


@behaviour("ar.made.masks", broken={
    "type B in the first layer too (the pixel sees itself)": dict(mask=lambda kernel, layer, device=None: pixelcnn_mask(kernel, 1, device)),
    "only the centre row masked (the rows below visible)": dict(mask=_rows_below_unmasked),
})
def masked_convolutions_are_causal(size, *, mask=pixelcnn_mask):
    """PixelCNN: type-A then type-B masked convolutions; each pixel depends only on earlier pixels (raster order)

    Seam: ``mask(kernel, layer, device)``, each layer's mask (:func:`pixelcnn_mask`)."""
    dependencies = masked_conv_dependencies(size=size, mask=mask)
    future = int(torch.triu(dependencies).sum())
    past = int(dependencies.sum())
    return future == 0 and past > 0, (f"{size}×{size} image, 3 masked 3×3 layers: {future} dependencies on the pixel itself "
                                      f"or later ones, {past} on earlier pixels (autograd)")


@behaviour("ar.made.masks", broken={
    "no dilation (dilation 1 in every layer)": dict(dilations=lambda layers: [1] * layers),
    "dilations 1, 2, …, L (linear, not doubling)": dict(dilations=lambda layers: list(range(1, layers + 1))),
    "'same' (centred) padding instead of causal": dict(causal=False),
})
def dilated_receptive_field(layers, *, dilations=lambda layers: [2**k for k in range(layers)], causal=True):
    """WaveNet: L causal convolutions (kernel 2, dilations 1, 2, …, 2^(L−1)): receptive field 2^L, 3L parameters, causal

    Seams: the ``dilations(L)`` schedule and ``causal`` (left) padding."""
    result = dilated_causal_receptive_field(layers, dilations=dilations(layers), causal=causal)
    holds = result["receptive_field"] == 2**layers and not result["depends_on_future"] and result["parameters"] == 3 * layers
    return holds, (f"L = {layers}: receptive field {result['receptive_field']} samples (2^L = {2**layers}) from "
                   f"{result['parameters']} parameters; depends on a future sample: {result['depends_on_future']}")


# --- decoding --------------------------------------------------------------------------------------------


@reference("ar.sampling.temperature")
def temperature_by_scaled_logits(h1, h2, h3, T):
    """reference model: temperature_probs = softmax(logits / T)"""
    return temperature_probs(torch.stack([h1, h2, h3], -1), T[:, None])[:, 0]


@reference("ar.sampling.temperature")
def temperature_by_powered_probs(h1, h2, h3, T):
    """Categorical(probs = softmax(h)^(1/T)) (torch.distributions normalises)"""
    probs = torch.softmax(torch.stack([h1, h2, h3], -1), -1) ** (1 / T[:, None])
    return Categorical(probs=probs).probs[:, 0]


def _sorted_logits(g2, g3) -> torch.Tensor:
    return torch.stack([torch.zeros_like(g2), -g2, -g2 - g3], -1)


@reference("ar.sampling.top-k")
def top_k_filter(g2, g3):
    """reference model: top_k_probs (torch.topk, others to −∞, softmax), k = 2"""
    return top_k_probs(_sorted_logits(g2, g3), 2)[:, 0]


@reference("ar.sampling.top-k")
def top_k_by_categorical(g2, g3):
    """Categorical(probs = softmax(h) · [kept]) over the 2 largest (torch.distributions normalises)"""
    probs = torch.softmax(_sorted_logits(g2, g3), -1)
    kept = probs >= torch.topk(probs, 2, -1).values[:, -1:]
    return Categorical(probs=probs * kept).probs[:, 0]


@reference("ar.sampling.nucleus")
def nucleus_filter(g2, g3, p):
    """reference model: nucleus_probs (sort, keep a token while the mass before it is < p, renormalise)"""
    return nucleus_probs(_sorted_logits(g2, g3), p)[:, 0]


TEMPERATURE_BROKEN = {
    "logits multiplied by T instead of divided (softmax(T·h))": dict(tempered=lambda logits, T: torch.softmax(logits * T, -1)),
    "the probabilities divided by T (softmax(h)/T renormalised: no effect)":
        dict(tempered=lambda logits, T: Categorical(probs=torch.softmax(logits, -1) / T).probs),
}


@behaviour("ar.sampling.temperature", broken=TEMPERATURE_BROKEN)
def low_temperature_is_greedy(T, *, tempered=temperature_probs):
    """softmax(h/T) at small T puts all but 1e-6 of its mass on argmax h (rows whose top gap is ≥ 0.2)

    Seam: ``tempered(logits, T)``, the temperature rule (:func:`temperature_probs`)."""
    generator = make_generator(15, CPU)
    logits = 2 * torch.randn(2000, 6, generator=generator, dtype=DTYPE)
    top2 = torch.topk(logits, 2, -1).values
    clear = (top2[:, 0] - top2[:, 1]) >= 0.2
    mass = tempered(logits, T).gather(-1, logits.argmax(-1, keepdim=True))[:, 0]
    worst = float((1 - mass[clear]).max())
    model = TabularAR(4, make_generator(16, CPU))
    samples, _ = ancestral_sample(model, 200, generator, filter_logits=lambda two: tempered(two, T))
    greedy = greedy_decode(model)
    all_greedy = bool((samples == greedy).all())
    return worst < 1e-6 and all_greedy, (f"T = {T}: on {int(clear.sum())} random 6-class rows with a top gap ≥ 0.2 the "
                                         f"argmax keeps all but {fmt(worst, '.1e')} of the mass; 200 per-token samples of a "
                                         f"4-token model at this T all equal the greedy sequence: {all_greedy}")


@behaviour("ar.sampling.temperature", broken=TEMPERATURE_BROKEN)
def temperature_raises_entropy(*, tempered=temperature_probs):
    """the entropy of softmax(h/T) increases with T on a grid from 0.05 to 50, from ≈ 0 to ≈ log K

    Seam: ``tempered(logits, T)``, the temperature rule (:func:`temperature_probs`)."""
    generator = make_generator(17, CPU)
    logits = 2 * torch.randn(500, 5, generator=generator, dtype=DTYPE)
    grid = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 10, 50]
    entropy = torch.stack([Categorical(probs=tempered(logits, t)).entropy() for t in grid], -1)
    increasing = bool((entropy[:, 1:] >= entropy[:, :-1] - 1e-12).all())
    low, high = float(entropy[:, 0].mean()), float(entropy[:, -1].mean())
    return increasing and high > 0.99 * math.log(5), (f"500 random 5-class logit rows, T on {grid}: entropy non-decreasing "
                                                      f"in T for every row: {increasing}; mean entropy {fmt(low, '.3f')} nats at "
                                                      f"T = 0.05, {fmt(high, '.4f')} at T = 50 (log 5 = {fmt(math.log(5), '.4f')})")


def _tabular_models(d: int, count: int, seed: int):
    generator = make_generator(seed, CPU)
    return [TabularAR(d, generator) for _ in range(count)]


def _mode(model) -> torch.Tensor:
    return all_binary_vectors(model.d)[joint(model).argmax()]


def _sampled_decode(model):
    """One ancestral sample: stochastic decoding."""
    return ancestral_sample(model, 1, make_generator(23, CPU))[0][0]


@behaviour("ar.sampling.temperature", broken={
    "a sampled sequence (ancestral sampling) instead of the argmax": dict(decode=_sampled_decode),
    "each token's argmin (the sign of the logit flipped)": dict(decode=lambda model: 1 - greedy_decode(model)),
    "the most probable sequence by enumeration (a global search, not greedy)": dict(decode=_mode),
})
def greedy_is_locally_optimal(d, *, decode=greedy_decode):
    """greedy decoding is deterministic and takes each token's argmax; it can miss the most probable sequence

    Seam: ``decode(model) -> sequence`` (:func:`greedy_decode`)."""
    models = _tabular_models(d, 100, 18)
    stepwise_argmax = True
    misses = 0
    for model in models:
        sequence = decode(model)
        logits = model.conditional_logits(sequence[None])[0]
        stepwise_argmax &= bool(((logits >= 0).to(DTYPE) == sequence).all())
        stepwise_argmax &= bool((decode(model) == sequence).all())
        misses += int(not torch.equal(sequence, _mode(model)))
    return stepwise_argmax and misses > 0, (f"100 random tabular models, d = {d}: the decoder picks argmax p(x_t|x_<t) at every "
                             f"step and returns the same sequence when rerun: {stepwise_argmax}; it misses the most probable sequence in {misses} "
                             f"of 100 models (locally, not globally, optimal)")


@behaviour("ar.sampling.temperature", broken={
    "prefixes ranked by the last token's log-probability, not the running sum": dict(search=lambda m, w: beam_search(m, w, cumulative=False)),
    "the width ignored: one prefix kept (greedy)": dict(search=lambda m, w: beam_search(m, 1)),
})
def beam_search_approaches_the_mode(d, *, search=beam_search):
    """beam search finds the most probable sequence more often as the width grows, always at width 2^(d−1)

    Seam: ``search(model, width) -> sequence`` (:func:`beam_search`)."""
    models = _tabular_models(d, 50, 19)
    widths = [1, 2, 4, 2 ** (d - 1)]
    found = {w: sum(bool(torch.equal(search(m, w), _mode(m))) for m in models) for w in widths}
    holds = found[2 ** (d - 1)] == len(models) and all(found[a] <= found[b] for a, b in zip(widths, widths[1:]))
    return holds, (f"50 random tabular models, d = {d}: the most probable sequence found by width "
                   + ", ".join(f"{w}: {found[w]}" for w in widths) + " (width 1 is greedy)")


@behaviour("ar.sampling.temperature", broken={
    "logits multiplied by T instead of divided": dict(tempered_logits=lambda logits, t: logits * t),
    "T added to the logits (a shift, not a scale)": dict(tempered_logits=lambda logits, t: logits + t),
})
def temperature_trades_quality_for_diversity(d, *, tempered_logits=lambda logits, t: logits / t):
    """per-token temperature on a NADE: raising T raises the entropy of the sampled sequences and lowers E[log p(x)]

    Seam: ``tempered_logits(logits, T)``, the per-token temperature rule (h/T)."""
    grid = [0.25, 0.5, 1.0, 2.0, 4.0]
    xs = all_binary_vectors(d)
    rows = []
    for seed in (20, 21, 22):
        model = NADE(d, 8, make_generator(seed, CPU))
        with torch.no_grad():
            logits = model.conditional_logits(xs)
            log_p = log_prob(model, xs)
            stats = []
            for t in grid:  # the exact distribution of per-token tempered sampling, by enumeration
                log_q = -F.binary_cross_entropy_with_logits(tempered_logits(logits, t), xs, reduction="none").sum(-1)
                q = torch.exp(log_q)
                stats.append((float(-(q * log_q).sum()), float((q * log_p).sum())))
        rows.append(stats)
    entropy_up = all(b[0] > a[0] for stats in rows for a, b in zip(stats, stats[1:]))
    quality_down = all(b[1] < a[1] for stats in rows for a, b in zip(stats, stats[1:]))
    first = rows[0]
    return entropy_up and quality_down, (f"3 random NADEs, d = {d}, exact over {2**d} sequences, T ∈ {grid}: entropy of the "
                                         f"samples increasing: {entropy_up}, E[log p(x)] decreasing: {quality_down}; first "
                                         f"model: entropy " + ", ".join(f"{fmt(h, '.2f')}" for h, _ in first)
                                         + "; E log p " + ", ".join(f"{fmt(q, '.2f')}" for _, q in first))
