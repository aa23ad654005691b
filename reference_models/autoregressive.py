r"""Tiny autoregressive models over binary vectors (executable specifications).

Every model here returns, in one teacher-forced pass, the logit of p(x_i = 1 | x_{<i}) for every
position i, so that

.. math::  \log p(x) = \sum_{i=1}^d \log \mathrm{Bern}(x_i;\ \sigma(\mathrm{logit}_i(x_{<i}))),

and the joint over {0, 1}^d is computed by enumeration (``joint``). Lecture statements made
executable (seed lines):

* the chain rule p(x) = ∏_i p(x_i | x_{<i}) (001 L247–253, L136–142; 002 L504; 004 L773–775,
  L1250, L2378, L2389, L2407, L2474): ``joint`` sums to 1, and ``TabularAR.from_joint`` rebuilds
  any joint exactly from its conditionals ("Universal: can represent any distribution over
  ordered variables", 004 L2390–2391, L2462–2463);
* teacher forcing: the sequence NLL is the sum of the per-token cross-entropies, computed for
  all positions in one pass (001 L144–150, L255–261; 004 L2468–2476): ``token_nll``;
* ancestral sampling x_t ~ p(x_t | x_{<t}) is exact (004 L1189, L2407) and sequential, d passes
  (004 L1037, L2478–2482): ``ancestral_sample`` returns the samples and the number of passes;
  ``chi_square_test`` checks samples against the enumerated joint at a stated false-fail rate
  (``chi_square_outcome``), with its power against a sampler whose last conditional ignores its
  parent (``last_parent_ignored``);
* parameter counts: full table 2^d − 1 (004 L777–780, L2411–2415), FVSBN d(d+1)/2 — quadratic,
  not the O(d) of 004 L2434–2436 — NADE 2dH + d + H (004 L2441–2444), MADE with L hidden layers;
* MADE's masks, PixelCNN's masked convolutions and WaveNet's dilated causal convolutions respect
  the ordering (004 L2428, L2446–2450): ``made_masks``, ``masked_conv_dependencies``,
  ``dilated_causal_receptive_field``;
* decoding: temperature, top-k and nucleus filters as renormalisations of the next-token
  distribution (003 L764–767; 004 L1174–1200), greedy decoding and beam search.

Everything is float64 on the device given (``auto``: CUDA when present); randomness comes only
from explicit ``torch.Generator`` objects.
"""

from __future__ import annotations

import itertools
import math
import warnings

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from derivspec.core.errors import ParameterError
from derivspec.core.lazy import lazy
from derivspec.core.numbers import fmt
from derivspec.reference_models.device import DTYPE, as_device, make_generator
from derivspec.reference_models.fit_tests import TestOutcome, power
from derivspec.reference_models.specification import Check, ResultTable, RunContext, SpecResult, pyplot, save_figure, specification

stats = lazy("scipy.stats")

__all__ = [
    "FALSE_FAIL_RATE", "TabularAR", "FVSBN", "NADE", "MADE", "count_parameters", "all_binary_vectors",
    "joint", "token_nll", "log_prob", "ancestral_sample", "chi_square_test", "chi_square_outcome", "last_parent_ignored", "made_masks", "made_path_counts",
    "temperature_probs", "top_k_probs", "nucleus_probs", "greedy_decode", "beam_search",
    "masked_conv_dependencies", "pixelcnn_mask", "dilated_causal_receptive_field", "random_joint",
]

# Goodness-of-fit tests of the samplers fail a correct sampler with this probability.
FALSE_FAIL_RATE = 1e-6


def count_parameters(model: nn.Module) -> int:
    """The number of stored parameters (what ``sum(p.numel() for p in model.parameters())`` says)."""
    return sum(p.numel() for p in model.parameters())


def _check_d(d: int) -> int:
    if int(d) != d or d < 1:
        raise ParameterError(f"expected the dimension d to satisfy the constraint d >= 1 (an integer), but found {d}")
    return int(d)


def _init(shape, generator: torch.Generator | None, device, scale: float = 1.0) -> nn.Parameter:
    if generator is None:
        return nn.Parameter(torch.zeros(shape, dtype=DTYPE, device=device))
    return nn.Parameter(scale * torch.randn(shape, generator=generator, dtype=DTYPE, device=device))


class TabularAR(nn.Module):
    r"""The full conditional tables: one logit of p(x_i = 1 | x_{<i}) per context x_{<i}.

    Table i has 2^{i−1} entries (context index Σ_{j<i} x_j 2^j), so there are 2^d − 1 parameters.
    """

    def __init__(self, d: int, generator: torch.Generator | None = None, device=None):
        super().__init__()
        self.d = _check_d(d)
        device = as_device(device, generator)
        self.tables = nn.ParameterList([_init((2**i,), generator, device, 1.5) for i in range(self.d)])

    @classmethod
    def from_joint(cls, probs: Tensor) -> "TabularAR":
        """The conditionals of a joint over {0,1}^d (``probs[k]`` for the vector with bits of k,
        x_1 the lowest bit), each p(x_i = 1 | x_{<i}) = p(x_{≤i}) / p(x_{<i}) by marginalisation."""
        n = probs.numel()
        d = int(round(math.log2(n)))
        if 2**d != n or d < 1:
            raise ParameterError(f"expected a joint over {{0,1}}^d with 2^d entries, but found {n} entries")
        model = cls(d, device=probs.device)
        # row-major reshape: axis a holds bit d-1-a, i.e. x_{d-a}; reversed, axis i-1 holds x_i
        table = probs.reshape((2,) * d).permute(*reversed(range(d)))
        with torch.no_grad():
            for i in range(d):
                marginal = table.sum(dim=tuple(range(i + 1, d))) if i + 1 < d else table  # p(x_1, …, x_{i+1})
                logit = torch.log(marginal.select(i, 1)) - torch.log(marginal.select(i, 0))
                # context index Σ_{j<i} x_{j+1} 2^j: axis j of the (2,)*i tensor is x_{j+1}
                flat = logit.permute(*reversed(range(i))).reshape(-1) if i > 0 else logit.reshape(1)
                model.tables[i].copy_(flat)
        return model

    def conditional_logits(self, x: Tensor) -> Tensor:
        weights = 2 ** torch.arange(self.d, device=x.device)
        index = torch.cumsum(x.long() * weights, dim=-1) - x.long() * weights  # Σ_{j<i} x_j 2^j
        return torch.stack([self.tables[i][index[..., i]] for i in range(self.d)], dim=-1)

    def conditional_logit(self, x: Tensor, i: int) -> Tensor:
        """The logit of p(x_{i+1} = 1 | x_{≤i}) alone (0-based i): one table read per row."""
        weights = 2 ** torch.arange(i, device=x.device)
        return self.tables[i][(x[..., :i].long() * weights).sum(-1)]


class FVSBN(nn.Module):
    r"""Fully visible sigmoid belief network: p(x_i = 1 | x_{<i}) = σ(b_i + Σ_{j<i} w_{ij} x_j).

    One logistic regression per conditional, on its i − 1 predecessors: nn.Linear(i − 1, 1) for
    i = 1..d, so there are Σ_i i = d(d+1)/2 parameters (no weight sharing).
    """

    def __init__(self, d: int, generator: torch.Generator | None = None, device=None):
        super().__init__()
        self.d = _check_d(d)
        device = as_device(device, generator)
        self.conditionals = nn.ModuleList()
        for i in range(self.d):
            with warnings.catch_warnings():  # nn.Linear(0, 1) for p(x_1): a bias only
                warnings.simplefilter("ignore", UserWarning)
                layer = nn.Linear(i, 1, dtype=DTYPE, device=device)
            with torch.no_grad():
                if generator is not None:
                    layer.weight.copy_(torch.randn(layer.weight.shape, generator=generator, dtype=DTYPE, device=device))
                    layer.bias.copy_(torch.randn(1, generator=generator, dtype=DTYPE, device=device))
                else:
                    layer.weight.zero_()
                    layer.bias.zero_()
            self.conditionals.append(layer)

    def conditional_logits(self, x: Tensor) -> Tensor:
        return torch.cat([layer(x[..., :i]) for i, layer in enumerate(self.conditionals)], dim=-1)

    def conditional_logit(self, x: Tensor, i: int) -> Tensor:
        """The logit of p(x_{i+1} = 1 | x_{≤i}) alone (0-based i)."""
        return self.conditionals[i](x[..., :i])[..., 0]


class NADE(nn.Module):
    r"""NADE (Larochelle & Murray 2011): h_i = σ(c + W_{:,<i} x_{<i}), p(x_i = 1 | x_{<i}) = σ(b_i + V_i · h_i).

    W (H × d) and c (H) are shared by all conditionals; V (d × H) and b (d) are per output:
    2dH + d + H parameters (W's last column multiplies x_d, which no conditional sees; it is
    stored, as in the paper). The hidden pre-activations of all positions come from one
    cumulative sum, so the teacher-forced pass costs O(dH).
    """

    def __init__(self, d: int, hidden: int, generator: torch.Generator | None = None, device=None):
        super().__init__()
        self.d = _check_d(d)
        if int(hidden) != hidden or hidden < 1:
            raise ParameterError(f"expected the hidden size H to satisfy H >= 1 (an integer), but found {hidden}")
        device = as_device(device, generator)
        self.W = _init((hidden, self.d), generator, device, 0.8)
        self.c = _init((hidden,), generator, device, 0.5)
        self.V = _init((self.d, hidden), generator, device, 0.8)
        self.b = _init((self.d,), generator, device, 0.5)

    def conditional_logits(self, x: Tensor) -> Tensor:
        contributions = x[..., None, :] * self.W  # (..., H, d): W[:, j] x_j
        before = torch.cumsum(contributions, dim=-1) - contributions  # Σ_{j<i} W[:, j] x_j
        h = torch.sigmoid(self.c[:, None] + before)  # (..., H, d)
        return self.b + (self.V.T * h).sum(dim=-2)

    def conditional_logit(self, x: Tensor, i: int) -> Tensor:
        """The logit of p(x_{i+1} = 1 | x_{≤i}) alone (0-based i): O(H i) per row."""
        h = torch.sigmoid(self.c + x[..., :i] @ self.W[:, :i].T)
        return self.b[i] + h @ self.V[i]


def made_degrees(d: int, hidden: tuple[int, ...], generator: torch.Generator | None = None) -> list[Tensor]:
    """Degrees m(k) in 1..d−1 of the hidden units: cyclic 1, 2, …, d−1, 1, … (no generator) or
    uniformly random (as in Germain et al. 2015)."""
    degrees = []
    for width in hidden:
        if generator is None:
            degrees.append(torch.arange(width) % max(d - 1, 1) + 1)
        else:
            low = 1 if not degrees else int(degrees[-1].min())
            degrees.append(torch.randint(low, max(d, low + 1), (width,), generator=generator))
    return degrees


def made_masks(d: int, hidden: tuple[int, ...], degrees: list[Tensor] | None = None) -> list[Tensor]:
    r"""MADE masks (Germain et al. 2015): input j → hidden k allowed iff m(k) ≥ j; hidden k →
    hidden k' iff m(k') ≥ m(k); hidden k → output i iff i > m(k) (strict)."""
    degrees = made_degrees(d, hidden) if degrees is None else degrees
    inputs = torch.arange(1, d + 1)
    masks, previous = [], inputs
    for m in degrees:
        masks.append((m[:, None] >= previous[None, :]).to(DTYPE))
        previous = m
    masks.append((inputs[:, None] > previous[None, :]).to(DTYPE))
    return masks


class MADE(nn.Module):
    """Masked autoencoder for distribution estimation: an MLP d → H → … → H → d whose weight
    masks make output i depend on x_{<i} only. It stores full weight matrices (the masks zero
    some entries), so it has 2dH + d + LH + (L − 1)H² parameters for L hidden layers of width H."""

    def __init__(self, d: int, hidden: tuple[int, ...] = (16,), generator: torch.Generator | None = None,
                 device=None, degrees: list[Tensor] | None = None, activation=torch.relu):
        super().__init__()
        self.d = _check_d(d)
        device = as_device(device, generator)
        self.hidden = tuple(int(h) for h in hidden)
        sizes = (self.d, *self.hidden, self.d)
        self.layers = nn.ModuleList(nn.Linear(a, b, dtype=DTYPE, device=device) for a, b in zip(sizes, sizes[1:]))
        if generator is not None:
            with torch.no_grad():
                for layer in self.layers:
                    layer.weight.copy_(torch.randn(layer.weight.shape, generator=generator, dtype=DTYPE,
                                                   device=device) / math.sqrt(layer.in_features))
                    layer.bias.copy_(0.1 * torch.randn(layer.bias.shape, generator=generator, dtype=DTYPE, device=device))
        for index, mask in enumerate(made_masks(self.d, self.hidden, degrees)):
            self.register_buffer(f"mask{index}", mask.to(device))
        self.activation = activation

    def masks(self) -> list[Tensor]:
        return [getattr(self, f"mask{k}") for k in range(len(self.layers))]

    def conditional_logits(self, x: Tensor) -> Tensor:
        h = x
        for k, (layer, mask) in enumerate(zip(self.layers, self.masks())):
            h = F.linear(h, layer.weight * mask, layer.bias)
            if k < len(self.layers) - 1:
                h = self.activation(h)
        return h


def made_path_counts(model: MADE) -> Tensor:
    """(d × d) number of masked paths from input j to output i: the product of the masks."""
    product = model.masks()[0]
    for mask in model.masks()[1:]:
        product = mask @ product
    return product


# --- likelihood ----------------------------------------------------------------------------------


def all_binary_vectors(d: int, device=None) -> Tensor:
    """Every x in {0,1}^d as rows, row k holding the bits of k (x_1 the lowest bit)."""
    device = as_device(device)
    k = torch.arange(2**d, device=device)
    return ((k[:, None] >> torch.arange(d, device=device)) & 1).to(DTYPE)


def token_nll(model: nn.Module, x: Tensor) -> Tensor:
    """Teacher forcing: −log p(x_i | x_{<i}) for every position in one pass (BCE with logits)."""
    return F.binary_cross_entropy_with_logits(model.conditional_logits(x), x, reduction="none")


def log_prob(model: nn.Module, x: Tensor) -> Tensor:
    """log p(x) = −Σ_i token NLL (the chain rule)."""
    return -token_nll(model, x).sum(dim=-1)


def joint(model: nn.Module) -> Tensor:
    """p(x) for every x in {0,1}^d (order of ``all_binary_vectors``), by enumeration."""
    device = next(iter(model.parameters())).device
    with torch.no_grad():
        return torch.exp(log_prob(model, all_binary_vectors(model.d, device)))


def random_joint(d: int, generator: torch.Generator, device=None, concentration: float = 1.0) -> Tensor:
    """A random joint over {0,1}^d: the softmax of 2^d Gaussian logits (standard deviation
    1/concentration), drawn with ``generator``; every entry is positive."""
    device = as_device(device, generator)
    logits = torch.randn(2**d, generator=generator, dtype=DTYPE, device=device) / concentration
    return torch.softmax(logits, dim=0)


# --- sampling --------------------------------------------------------------------------------------


def ancestral_sample(model: nn.Module, n: int, generator: torch.Generator,
                     filter_logits=None) -> tuple[Tensor, int]:
    """n samples x_i ~ p(x_i | x_{<i}) for i = 1..d in order: d sequential network passes.

    ``filter_logits(two_class_logits) -> probabilities`` (temperature, top-k, nucleus) reshapes
    each next-token distribution before it is sampled. Returns (samples, passes)."""
    device = next(iter(model.parameters())).device
    x = torch.zeros(n, model.d, dtype=DTYPE, device=device)
    u = torch.rand(n, model.d, generator=generator, dtype=DTYPE, device=device)
    single = getattr(model, "conditional_logit", None)
    passes = 0
    with torch.no_grad():
        for i in range(model.d):
            logit = single(x, i) if single is not None else model.conditional_logits(x)[:, i]
            passes += 1
            if filter_logits is None:
                p_one = torch.sigmoid(logit)
            else:
                p_one = filter_logits(torch.stack([torch.zeros_like(logit), logit], dim=-1))[:, 1]
            x[:, i] = (u[:, i] < p_one).to(DTYPE)
    return x, passes


def chi_square_test(samples: Tensor, probs: Tensor, false_fail_rate: float = FALSE_FAIL_RATE) -> dict:
    """Pearson χ² goodness of fit of binary vectors against ``probs`` (order of
    ``all_binary_vectors``). Cells with expected counts below 5 are pooled into one cell (with
    the next smallest ones until it reaches 5), so the χ² approximation holds. Passes when the
    p-value ≥ ``false_fail_rate``: a correct sampler fails with that probability."""
    d = samples.shape[1]
    index = (samples.long() << torch.arange(d, device=samples.device)).sum(dim=1)
    counts = torch.bincount(index, minlength=2**d).cpu().double()
    expected = probs.detach().cpu().double() * samples.shape[0]
    order = torch.argsort(expected)
    cumulative = torch.cumsum(expected[order], 0)
    pooled = int((cumulative < 5).sum()) + 1 if float(expected.min()) < 5 else 0  # smallest cells merged
    if pooled >= len(order) - 1:
        raise ParameterError(f"too few samples for a chi-square test: {samples.shape[0]} samples over {2**d} cells")
    kept = order[pooled:]
    observed = torch.cat([counts[order[:pooled]].sum(0, keepdim=True), counts[kept]]) if pooled else counts
    wanted = torch.cat([expected[order[:pooled]].sum(0, keepdim=True), expected[kept]]) if pooled else expected
    statistic, p_value = stats.chisquare(observed.numpy(), wanted.numpy() * (observed.sum() / wanted.sum()).item())
    return {"statistic": float(statistic), "dof": len(observed) - 1, "p_value": float(p_value), "n": int(samples.shape[0]),
            "pooled_cells": pooled, "passed": bool(p_value >= false_fail_rate), "false_fail_rate": false_fail_rate}


def chi_square_outcome(samples: Tensor, probs: Tensor, false_fail_rate: float = FALSE_FAIL_RATE) -> TestOutcome:
    """:func:`chi_square_test` as a :class:`TestOutcome`: χ² against its 1 − α quantile on its dof
    (rejecting there is rejecting at p < α)."""
    test = chi_square_test(samples, probs, false_fail_rate)
    return TestOutcome(f"Pearson χ² over the 2^d outcomes ({test['dof']} dof)", test["statistic"],
                       float(stats.chi2.isf(false_fail_rate, test["dof"])), test["n"], false_fail_rate)


def last_parent_ignored(probs: Tensor) -> Tensor:
    r"""The joint of a wrong sampler whose last conditional ignores its parent x_{d−1}:
    q(x) = p(x_{<d}) · p(x_d | x_{<d−1}) (p(x_d | x_{<d−1}) by marginalising x_{d−1}); d ≥ 2."""
    d = int(round(math.log2(probs.numel())))
    table = probs.reshape((2,) * d)  # axis 0 is x_d, axis 1 is x_{d−1} (bits of the row index, high first)
    prefix = table.sum(0, keepdim=True)  # p(x_{<d})
    without_parent = table.sum(1, keepdim=True)  # p(x_d, x_{<d−1})
    conditional = without_parent / without_parent.sum(0, keepdim=True)  # p(x_d | x_{<d−1})
    return (prefix * conditional).reshape(-1)


# --- decoding filters: the distributions they define -------------------------------------------------


def temperature_probs(logits: Tensor, temperature: float | Tensor) -> Tensor:
    """softmax(logits / T): what the temperature knob of every LLM API does."""
    return torch.softmax(logits / temperature, dim=-1)


def top_k_probs(logits: Tensor, k: int) -> Tensor:
    """Keep the k largest logits, set the rest to −∞, renormalise (softmax)."""
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return torch.softmax(logits.masked_fill(logits < kth, -math.inf), dim=-1)


def nucleus_probs(logits: Tensor, p: float | Tensor) -> Tensor:
    """Top-p: keep the smallest set of most probable tokens whose total probability is ≥ p
    (a token is kept when the mass of the strictly more probable tokens is < p), renormalise."""
    probs = torch.softmax(logits, dim=-1)
    sorted_probs, order = torch.sort(probs, dim=-1, descending=True)
    mass_before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs
    keep_sorted = mass_before < torch.as_tensor(p, dtype=probs.dtype, device=probs.device)[..., None]
    keep = torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)
    kept = probs * keep
    return kept / kept.sum(dim=-1, keepdim=True)


def greedy_decode(model: nn.Module) -> Tensor:
    """x_t = argmax p(x_t | x_{<t}) for t = 1..d (ties to 1)."""
    device = next(iter(model.parameters())).device
    x = torch.zeros(1, model.d, dtype=DTYPE, device=device)
    with torch.no_grad():
        for i in range(model.d):
            x[0, i] = float(model.conditional_logits(x)[0, i] >= 0)
    return x[0]


def beam_search(model: nn.Module, width: int, *, cumulative: bool = True) -> Tensor:
    """Keep the ``width`` most probable prefixes at every step; return the best full sequence.

    ``cumulative=False`` ranks the prefixes by their last token's log-probability alone (a wrong
    beam, for the checks that must reject it)."""
    device = next(iter(model.parameters())).device
    beams = torch.zeros(1, model.d, dtype=DTYPE, device=device)
    scores = torch.zeros(1, dtype=DTYPE, device=device)
    with torch.no_grad():
        for i in range(model.d):
            logit = model.conditional_logits(beams)[:, i]
            ones, zeros = beams.clone(), beams.clone()
            ones[:, i] = 1.0
            candidates = torch.cat([zeros, ones])
            candidate_scores = torch.cat([scores, scores]) if cumulative else torch.zeros(2 * len(beams), dtype=DTYPE, device=device)
            candidate_scores = candidate_scores - torch.cat([F.softplus(logit), F.softplus(-logit)])
            keep = torch.topk(candidate_scores, min(width, len(candidate_scores))).indices
            beams, scores = candidates[keep], candidate_scores[keep]
    return beams[scores.argmax()]


# --- masked and causal convolutions ---------------------------------------------------------------


def pixelcnn_mask(kernel: int, layer: int, device=None) -> Tensor:
    """The (kernel × kernel) PixelCNN mask of layer ``layer``: the rows below the centre and the
    pixels right of it hidden; type A (layer 0) hides the centre too, type B keeps it."""
    centre = kernel // 2
    mask = torch.ones(kernel, kernel, dtype=DTYPE, device=as_device(device))
    mask[centre, centre + (1 if layer else 0):] = 0
    mask[centre + 1:, :] = 0
    return mask


def masked_conv_dependencies(size: int = 5, kernel: int = 3, layers: int = 3, seed: int = 0, device=None, *,
                             mask=pixelcnn_mask) -> Tensor:
    """PixelCNN: a type-A masked convolution followed by type-B ones on a size × size image.

    Returns the (P × P) 0/1 matrix D[p, q] = 1 when output pixel p depends on input pixel q
    (autograd of each output pixel, raster order p = row·size + col). ``mask(kernel, layer,
    device)`` gives each layer's mask (:func:`pixelcnn_mask`)."""
    device = as_device(device)
    generator = make_generator(seed, device)
    centre = kernel // 2
    convs = []
    for layer in range(layers):
        weight = torch.randn(1, 1, kernel, kernel, generator=generator, dtype=DTYPE, device=device)
        convs.append(weight * mask(kernel, layer, device))
    image = torch.randn(1, 1, size, size, generator=generator, dtype=DTYPE, device=device, requires_grad=True)
    out = image
    for k, weight in enumerate(convs):
        out = F.conv2d(out, weight, padding=centre)
        if k < len(convs) - 1:
            out = torch.tanh(out)
    rows = []
    for p in range(size * size):
        (grad,) = torch.autograd.grad(out.reshape(-1)[p], image, retain_graph=True)
        rows.append((grad.reshape(-1) != 0).to(DTYPE))
    return torch.stack(rows)


def dilated_causal_receptive_field(layers: int, length: int | None = None, seed: int = 0,
                                   device=None, *, dilations=None, causal: bool = True) -> dict:
    """WaveNet: ``layers`` causal convolutions of kernel 2 with dilations 1, 2, 4, …

    Returns the receptive field of the last output (how many past inputs it depends on),
    whether any output depends on a future input, and the parameter count. ``dilations`` (one
    per layer; default 2^k) and ``causal`` (pad on the left only; False pads as 'same' does,
    centred) put in other convolution stacks."""
    device = as_device(device)
    generator = make_generator(seed, device)
    length = length or 2 ** (layers + 1)
    dilations = [2**k for k in range(layers)] if dilations is None else list(dilations)
    convs = [nn.Conv1d(1, 1, 2, dilation=dilation, dtype=DTYPE, device=device) for dilation in dilations]
    with torch.no_grad():
        for conv in convs:
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=generator, dtype=DTYPE, device=device))
    signal = torch.randn(1, 1, length, generator=generator, dtype=DTYPE, device=device, requires_grad=True)
    out = signal
    for conv, dilation in zip(convs, dilations):
        padding = (dilation, 0) if causal else (dilation // 2, dilation - dilation // 2)  # causal: left padding only
        out = torch.tanh(conv(F.pad(out, padding)))
    dependence = []
    for t in range(length):
        (grad,) = torch.autograd.grad(out[0, 0, t], signal, retain_graph=True)
        dependence.append(grad[0, 0] != 0)
    dependence = torch.stack(dependence)
    future = bool(torch.triu(dependence, diagonal=1).any())
    field = int(dependence[-1].sum())
    return {"receptive_field": field, "depends_on_future": future,
            "parameters": sum(p.numel() for conv in convs for p in conv.parameters()), "layers": layers}


def enumerate_sequences(d: int) -> list[tuple[int, ...]]:
    return list(itertools.product((0, 1), repeat=d))


# --- executable specification: the autoregressive sampler (reference_models/autoregressive.py) -------------------------


@specification("ar-sampler", "Autoregressive model: chain rule and exact ancestral sampling", family="ar",
               statements="p(x) = ∏ p(x_i | x_<i) can represent any joint; ancestral sampling is exact and takes d passes "
               "(001 L247–253, 004 L773–780, L2390–2391, L2407)", steps=3, report="always")
def run_ar_sampler(ctx: RunContext) -> SpecResult:

    result = ctx.result("ar-sampler")
    d = 4
    ctx.step(f"a random joint over {{0,1}}^{d} and its conditionals")
    probs = random_joint(d, ctx.generator(1), ctx.device)
    model = TabularAR.from_joint(probs)
    rebuilt = joint(model)
    error = float((rebuilt - probs).abs().max())
    result.checks.append(Check("the chain rule rebuilds the joint exactly from its conditionals", error < 1e-12,
                               f"max |∏ p(x_i | x_<i) − p(x)| = {fmt(error, '.1e')} over {2 ** d} vectors"))
    ctx.step("ancestral sampling")
    n = 20_000 if ctx.quick else 200_000
    samples, passes = ancestral_sample(model, n, ctx.generator(2))
    ctx.step("χ² goodness of fit, and its power against a sampler whose last conditional ignores its parent")
    test = chi_square_test(samples, probs)
    wrong = TabularAR.from_joint(last_parent_ignored(probs))
    replicates = 10 if ctx.quick else 40
    against = power(lambda r: chi_square_outcome(ancestral_sample(wrong, n, ctx.generator(100 + r))[0], probs),
                    f"ancestral sampling with p(x_{d} | x_<{d}) replaced by p(x_{d} | x_<{d - 1}) (the last conditional "
                    f"ignoring its parent x_{d - 1})", replicates)
    outcome = chi_square_outcome(samples, probs)
    result.checks.append(Check("ancestral samples follow the joint (χ² test, false-fail rate 1e-6)", outcome.passed,
                               f"χ² = {fmt(test['statistic'], '.1f')} on {test['dof']} dof, p = {fmt(test['p_value'], '.3g')}, "
                               f"n = {n:,}, {passes} sequential passes; {against.describe()}",
                               test=outcome, power=against))
    counts = torch.bincount((samples.long() << torch.arange(d, device=samples.device)).sum(1), minlength=2 ** d)
    freq = (counts.double() / n).cpu()
    rows = [("".join(str((k >> i) & 1) for i in range(d)), f"{fmt(float(probs[k]), '.4f')}", f"{fmt(float(freq[k]), '.4f')}")
            for k in range(2 ** d)]
    result.tables.append(ResultTable(f"Exact joint vs {n:,} ancestral samples", ("x (x_1…x_d)", "p(x)", "frequency"),
                                     rows))
    path = ctx.figure_path("ar_sampler.png")
    if path is not None:
        import numpy as np

        plt = pyplot()
        fig, ax = plt.subplots(figsize=(8, 3.4))
        k = np.arange(2 ** d)
        se = np.sqrt(probs.cpu().numpy() * (1 - probs.cpu().numpy()) / n)
        ax.bar(k - 0.2, probs.cpu().numpy(), width=0.4, label="p(x) (enumerated)")
        ax.bar(k + 0.2, freq.numpy(), width=0.4, yerr=2 * se, capsize=2, label="sample frequency ± 2 SE")
        ax.set_xticks(k, [r[0] for r in rows], rotation=90, fontsize=7)
        ax.set_title(f"Sampler check: χ² = {fmt(test['statistic'], '.1f')} ({test['dof']} dof), p = {fmt(test['p_value'], '.3g')}",
                     fontsize=10)
        ax.legend(fontsize=8, frameon=False)
        fig.tight_layout()
        save_figure(fig, path, f"Sampler check: the exact probabilities of all {2 ** d} binary vectors next to the "
              f"frequencies of {n:,} ancestral samples from the autoregressive model built from them.", result)
    return result
