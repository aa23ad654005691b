r"""A small registry of laws a user's sampler can be checked against (``conforms_in_distribution``).

Each law is built from the catalogue's claims where they state it: the DDPM forward jump's mean
and variance are the targets of ``ddpm.marginal.mean`` and ``ddpm.marginal.variance`` (the step is
the jump from ᾱ_{t-1} = 1); the reparameterised sample's law is ``vae.reparameterisation.sample``'s
N(μ, σ²); the categorical probabilities with temperature are ``ar.sampling.temperature``'s target
(π̃_k by exchanging h_1 and h_k); the importance weights' variance is ``sampling.is.variance``'s
target; the Langevin step's stationary variance is ``score.langevin.ula-variance``'s. Top-k and
nucleus follow their claims' definitions (``ar.sampling.top-k``, ``ar.sampling.nucleus``) for
three logits.

Every law registers *wrong samplers* -- the claims' wrong variants as samplers (√α_t for √ᾱ_t, σ²
as the scale, logits times T, ...) and one that is off by the check's smallest detectable error --
so that the check reports its power against each: the user learns that the check could have
failed. A wrong sampler states the law it draws from, so its power is computed, not guessed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from derivspec.core.claims import POSITIVE, REAL, UNIT_INTERVAL, Domain

DETECT_MEAN = 0.05  # smallest detectable error of a mean: 5 % of the standard deviation
DETECT_VARIANCE = 0.05  # of a variance: 5 % of it
DETECT_CHI = 0.1  # of categorical probabilities: a chi distance sqrt(sum (p' - p)^2 / p) of 0.1


@dataclass(frozen=True)
class WrongSampler:
    """A registered wrong sampler: its name, the law it draws from (``law(params)``, same keys as
    the law's) and a sampler with the user's signature (``sampler(**params, n=, rng=)``)."""

    name: str
    law: Callable[[dict], dict]
    sampler: Callable


@dataclass(frozen=True)
class Law:
    """A law a sampler must draw from.

    ``kind``: ``gaussian`` (``law(params)`` gives ``mean`` and ``variance``: mean, variance and
    Kolmogorov-Smirnov tests), ``categorical`` (``probs`` over classes 0..K-1: a chi-square test),
    ``moments`` (``mean``, ``variance`` and ``fourth`` central moment: mean and variance tests).
    ``inputs(params, n, rng)`` gives extra arguments the sampler is handed (the Langevin step's
    current states ``x``, drawn from the stationary law)."""

    name: str
    title: str
    kind: str
    params: tuple[str, ...]
    defaults: dict
    domains: dict
    claims: tuple[str, ...]
    law: Callable[[dict], dict]
    reference: Callable
    wrong: tuple[WrongSampler, ...] = ()
    inputs: Callable | None = None
    notes: str = ""
    extra: dict = field(default_factory=dict)


def _claim_value(claim_id: str, expr_of=None, **values) -> float:
    """A claim's target (or ``expr_of(claim)``) at ``values`` (50 digits, returned as a float)."""
    from derivspec.core import registry
    from derivspec.testing.evaluation import exact

    claim = registry.get(claim_id)
    expr = claim.expand_defined(expr_of(claim) if expr_of else claim.target)
    symbols = {s.name: s for s in expr.free_symbols}
    return float(exact(expr, {symbols[k]: v for k, v in values.items() if k in symbols}))


def _variant(claim_id: str, name: str):
    """A function giving the named wrong variant of a claim instead of its target."""
    def pick(claim):
        return next(w.expr for w in claim.wrong_variants if w.name == name)
    pick.__name__ = name
    return pick


def _gaussian_sampler(law: Callable[[dict], dict]):
    """A sampler drawing N(mean, variance) of ``law(params)`` with the user's signature."""
    def sampler(n, rng, **params):
        moments = law(params)
        return moments["mean"] + math.sqrt(moments["variance"]) * rng.standard_normal(n)
    return sampler


def _gaussian_wrongs(law: Callable[[dict], dict], named: list[tuple[str, Callable[[dict], dict]]]) -> tuple:
    """The named wrong laws, and the two off by the smallest detectable error."""
    def mean_off(p):
        m = law(p)
        return {"mean": m["mean"] + DETECT_MEAN * math.sqrt(m["variance"]), "variance": m["variance"]}

    def variance_off(p):
        m = law(p)
        return {"mean": m["mean"], "variance": m["variance"] * (1 + DETECT_VARIANCE)}

    named = named + [("mean off by the smallest detectable error", mean_off),
                     ("variance off by the smallest detectable error", variance_off)]
    return tuple(WrongSampler(name, wrong, _gaussian_sampler(wrong)) for name, wrong in named)


# --- DDPM forward step and jump (ddpm.marginal.mean / ddpm.marginal.variance) ---------------------

def _jump(p: dict, mean_variant=None, variance_variant=None) -> dict:
    values = dict(x0=p["x0"], alpha_t=p["alpha_t"], alpha_bar_prev=p["alpha_bar_prev"])
    return {"mean": _claim_value("ddpm.marginal.mean", mean_variant, **values),
            "variance": _claim_value("ddpm.marginal.variance", variance_variant, **values)}


def _step(p: dict, **variants) -> dict:
    return _jump({"x0": p["x_prev"], "alpha_t": p["alpha_t"], "alpha_bar_prev": 1.0}, **variants)


def _jump_law() -> Law:
    named = [("sqrt(alpha_t) for sqrt(alpha_bar_t) in the mean",
              lambda p: _jump(p, mean_variant=_variant("ddpm.marginal.mean", "alpha_t in place of alpha_bar_t"))),
             ("alpha_bar_t for sqrt(alpha_bar_t) in the mean (missing square root)",
              lambda p: _jump(p, mean_variant=_variant("ddpm.marginal.mean", "missing square root"))),
             ("alpha_bar_{t-1} for alpha_bar_t (previous index)",
              lambda p: _jump(p, mean_variant=_variant("ddpm.marginal.mean", "previous index"),
                              variance_variant=lambda c: 1 - c.symbols["alpha_bar_prev"])),
             ("variance 1 - alpha_t (one step only)",
              lambda p: _jump(p, variance_variant=_variant("ddpm.marginal.variance", "1 - alpha_t (one step only)"))),
             ("standard deviation 1 - alpha_bar_t (the variance used as the noise scale)",
              lambda p: {**_jump(p), "variance": _jump(p)["variance"] ** 2})]
    return Law("ddpm.forward.jump", "DDPM forward jump q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, 1 - alpha_bar_t), "
               "alpha_bar_t = alpha_t alpha_bar_prev", "gaussian", ("x0", "alpha_t", "alpha_bar_prev"),
               {"x0": 1.5, "alpha_t": 0.9, "alpha_bar_prev": 0.5},
               {"x0": REAL, "alpha_t": UNIT_INTERVAL, "alpha_bar_prev": UNIT_INTERVAL},
               ("ddpm.marginal.mean", "ddpm.marginal.variance"), _jump, _gaussian_sampler(_jump),
               _gaussian_wrongs(_jump, named))


def _step_law() -> Law:
    named = [("noise scale 1 - alpha_t for sqrt(1 - alpha_t) (beta_t as the scale)",
              lambda p: {**_step(p), "variance": _step(p)["variance"] ** 2}),
             ("mean x_prev (the sqrt(alpha_t) factor dropped)",
              lambda p: {**_step(p), "mean": p["x_prev"]}),
             ("mean alpha_t x_prev (missing square root)",
              lambda p: _step(p, mean_variant=_variant("ddpm.marginal.mean", "missing square root")))]
    return Law("ddpm.forward.step", "DDPM forward step q(x_t | x_{t-1}) = N(sqrt(alpha_t) x_{t-1}, 1 - alpha_t) "
               "(the jump from alpha_bar_{t-1} = 1)", "gaussian", ("x_prev", "alpha_t"),
               {"x_prev": 1.5, "alpha_t": 0.9}, {"x_prev": REAL, "alpha_t": UNIT_INTERVAL},
               ("ddpm.marginal.mean", "ddpm.marginal.variance"), _step, _gaussian_sampler(_step),
               _gaussian_wrongs(_step, named))


# --- a reparameterised Gaussian sample (vae.reparameterisation.sample) ----------------------------

def _reparameterised(p: dict) -> dict:
    return {"mean": float(p["mu"]), "variance": float(p["sigma"]) ** 2}


def _reparameterised_law() -> Law:
    named = [("mu + sigma^2 eps (the variance as the scale): N(mu, sigma^4)",
              lambda p: {"mean": p["mu"], "variance": p["sigma"] ** 4}),
             ("mu + sqrt(sigma) eps (sigma read as the variance): N(mu, sigma)",
              lambda p: {"mean": p["mu"], "variance": p["sigma"]}),
             ("sigma + mu eps (mean and scale swapped): N(sigma, mu^2)",
              lambda p: {"mean": p["sigma"], "variance": p["mu"] ** 2})]
    return Law("gaussian.reparameterised", "reparameterised sample z = mu + sigma eps, eps ~ N(0, 1): "
               "z ~ N(mu, sigma^2)", "gaussian", ("mu", "sigma"), {"mu": 0.5, "sigma": 2.0},
               {"mu": REAL, "sigma": POSITIVE}, ("vae.reparameterisation.sample",), _reparameterised,
               _gaussian_sampler(_reparameterised), _gaussian_wrongs(_reparameterised, named))


# --- categorical sampling: temperature, top-k, nucleus ------------------------------------------------

def _softmax(logits) -> np.ndarray:
    logits = np.asarray(logits, dtype=float)
    z = np.exp(logits - logits.max())
    return z / z.sum()


def _temperature(p: dict, variant: str | None = None) -> dict:
    """π̃_k from ar.sampling.temperature's target (or a wrong variant) with h_1 and h_k exchanged."""
    h = [p["h1"], p["h2"], p["h3"]]
    probs = []
    for k in range(3):
        order = list(h)
        order[0], order[k] = order[k], order[0]
        probs.append(_claim_value("ar.sampling.temperature", _variant("ar.sampling.temperature", variant) if variant else None,
                                  h1=order[0], h2=order[1], h3=order[2], T=p["T"]))
    return {"probs": np.array(probs)}


def _categorical_sampler(law: Callable[[dict], dict]):
    def sampler(n, rng, **params):
        probs = law(params)["probs"]
        return rng.choice(len(probs), size=n, p=probs / probs.sum())
    return sampler


def _chi_off(law: Callable[[dict], dict]) -> Callable[[dict], dict]:
    """The law moved by the smallest detectable chi distance (mass moved from the largest class to
    the next one on its support)."""
    def moved(p):
        probs = law(p)["probs"].copy()
        support = np.flatnonzero(probs > 0)
        if len(support) < 2:
            return {"probs": probs}
        top, other = support[np.argmax(probs[support])], support[np.argsort(probs[support])[-2]]
        shift = DETECT_CHI / math.sqrt(1 / probs[top] + 1 / probs[other])
        probs[top] -= shift
        probs[other] += shift
        return {"probs": probs}
    return moved


def _categorical_wrongs(law, named) -> tuple:
    named = named + [("probabilities off by the smallest detectable error", _chi_off(law))]
    return tuple(WrongSampler(name, wrong, _categorical_sampler(wrong)) for name, wrong in named)


def _temperature_law() -> Law:
    named = [("logits multiplied by T", lambda p: _temperature(p, "logits multiplied by T")),
             ("temperature applied to the probabilities: softmax(pi/T)",
              lambda p: _temperature(p, "temperature applied to the probabilities: softmax(π/T)")),
             ("no temperature (probabilities divided by T then renormalised)",
              lambda p: _temperature(p, "probabilities divided by T then renormalised (no effect)"))]
    return Law("categorical.temperature", "sampling softmax(h / T) over 3 classes (0-based)", "categorical",
               ("h1", "h2", "h3", "T"), {"h1": 1.0, "h2": 0.0, "h3": -0.5, "T": 0.7},
               {"h1": REAL, "h2": REAL, "h3": REAL, "T": POSITIVE}, ("ar.sampling.temperature",), _temperature,
               _categorical_sampler(_temperature), _categorical_wrongs(_temperature, named))


def _top_k(p: dict, keep=None) -> dict:
    """softmax(h) restricted to the k largest logits, renormalised (ar.sampling.top-k's definition)."""
    probs = _softmax([p["h1"], p["h2"], p["h3"]])
    order = np.argsort(-probs, kind="stable")
    kept = order[: int(p["k"])] if keep is None else keep(order, int(p["k"]))
    out = np.zeros(3)
    out[kept] = probs[kept] / probs[kept].sum()
    return {"probs": out}


def _top_k_law() -> Law:
    named = [("kept the top and the bottom token", lambda p: _top_k(p, lambda order, k: np.r_[order[:1], order[-(k - 1):]]
                                                                  if k > 1 else order[:1])),
             ("top-1 (greedy)", lambda p: _top_k(p, lambda order, k: order[:1])),
             ("k + 1 tokens kept (off by one)", lambda p: _top_k(p, lambda order, k: order[: k + 1]))]
    return Law("categorical.top-k", "top-k sampling over 3 classes: softmax(h) renormalised on the k largest logits",
               "categorical", ("h1", "h2", "h3", "k"), {"h1": 1.0, "h2": 0.3, "h3": -0.5, "k": 2},
               {"h1": REAL, "h2": REAL, "h3": REAL, "k": Domain("in {1, 2, 3}", {"integer": True}, values=(1, 2, 3))},
               ("ar.sampling.top-k",), _top_k, _categorical_sampler(_top_k), _categorical_wrongs(_top_k, named))


def _nucleus(p: dict, rule: str = "right") -> dict:
    """softmax(h) on the smallest top set with mass >= p, renormalised (ar.sampling.nucleus)."""
    probs = _softmax([p["h1"], p["h2"], p["h3"]])
    order = np.argsort(-probs, kind="stable")
    cumulative = np.cumsum(probs[order])
    if rule == "right":
        size = int(np.searchsorted(cumulative, p["p"]) + 1)
    elif rule == "drops the crossing token":
        size = max(1, int(np.sum(cumulative <= p["p"])))
    else:  # a fixed top-2 cutoff
        size = 2
    kept = order[: min(size, 3)]
    out = np.zeros(3)
    out[kept] = probs[kept] / probs[kept].sum()
    return {"probs": out}


def _nucleus_law() -> Law:
    named = [("drops the token that crosses p (kept while the cumulative mass is <= p)",
              lambda p: _nucleus(p, "drops the crossing token")),
             ("no truncation (plain softmax)", lambda p: {"probs": _softmax([p["h1"], p["h2"], p["h3"]])})]
    return Law("categorical.nucleus", "nucleus (top-p) sampling over 3 classes: the smallest top set with mass >= p, "
               "renormalised", "categorical", ("h1", "h2", "h3", "p"), {"h1": 1.0, "h2": 0.3, "h3": -0.5, "p": 0.8},
               {"h1": REAL, "h2": REAL, "h3": REAL, "p": UNIT_INTERVAL}, ("ar.sampling.nucleus",), _nucleus,
               _categorical_sampler(_nucleus), _categorical_wrongs(_nucleus, named))


# --- importance weights (sampling.is.variance) -----------------------------------------------------

def _weight_moments(p: dict, draw_mean: float, draw_variance: float, weight) -> dict:
    """Mean, variance and fourth central moment of weight(z), z ~ N(draw_mean, draw_variance), by
    quadrature (scipy.integrate.quad): an independent route, not the claim's algebra."""
    from scipy import integrate

    scale = math.sqrt(draw_variance)

    def density(z):
        return math.exp(-0.5 * ((z - draw_mean) / scale) ** 2) / (scale * math.sqrt(2 * math.pi))

    bounds = (draw_mean - 40 * scale, draw_mean + 40 * scale)

    def moment(k, centre=0.0):
        return integrate.quad(lambda z: (weight(z) - centre) ** k * density(z), *bounds, limit=400, epsabs=0,
                              epsrel=1e-11)[0]

    mean = moment(1)
    return {"mean": mean, "variance": moment(2, mean), "fourth": moment(4, mean)}


def _is_weight(p: dict, unnormalised: bool = False):
    a, b, m, v = p["a"], p["b"], p["m"], p["b"] + p["u"]
    offset = 0.5 * math.log(v / b) - (0.5 * math.log(2 * math.pi * v) if unnormalised else 0.0)

    def weight(z):  # log N(z; a, b) - log N(z; m, v), written out (no scipy call per point)
        return math.exp(min(700.0, offset - 0.5 * (z - a) ** 2 / b + 0.5 * (z - m) ** 2 / v))
    return weight


def _importance(p: dict) -> dict:
    """Weights w = N(z; a, b)/N(z; m, v), z ~ N(m, v), v = b + u: mean 1 (unbiasedness), variance the
    target of sampling.is.variance, fourth moment by quadrature."""
    quadrature = _weight_moments(p, p["m"], p["b"] + p["u"], _is_weight(p))
    return {"mean": 1.0, "variance": _claim_value("sampling.is.variance", a=p["a"], b=p["b"], m=p["m"], u=p["u"]),
            "fourth": quadrature["fourth"]}


def _is_sampler(weight_of, draw):
    def sampler(n, rng, **params):
        mean, variance = draw(params)
        z = mean + math.sqrt(variance) * rng.standard_normal(n)
        log_target = -0.5 * (z - params["a"]) ** 2 / params["b"] - 0.5 * math.log(2 * math.pi * params["b"])
        v = params["b"] + params["u"]
        log_proposal = -0.5 * (z - params["m"]) ** 2 / v - 0.5 * math.log(2 * math.pi * v)
        return weight_of(log_target, log_proposal, v)
    return sampler


def _importance_law() -> Law:
    proposal = lambda p: (p["m"], p["b"] + p["u"])  # noqa: E731
    right = _is_sampler(lambda lt, lq, v: np.exp(lt - lq), proposal)
    wrongs = (
        WrongSampler("z drawn from the target, not the proposal",
                     lambda p: _weight_moments(p, p["a"], p["b"], _is_weight(p)),
                     _is_sampler(lambda lt, lq, v: np.exp(lt - lq), lambda p: (p["a"], p["b"]))),
        WrongSampler("proposal density without its normaliser 1/sqrt(2 pi v)",
                     lambda p: _weight_moments(p, p["m"], p["b"] + p["u"], _is_weight(p, unnormalised=True)),
                     _is_sampler(lambda lt, lq, v: np.exp(lt - lq) / math.sqrt(2 * math.pi * v), proposal)),
        WrongSampler("proposal variance used as its standard deviation: z ~ N(m, v^2)",
                     lambda p: _weight_moments(p, p["m"], (p["b"] + p["u"]) ** 2, _is_weight(p)),
                     _is_sampler(lambda lt, lq, v: np.exp(lt - lq), lambda p: (p["m"], (p["b"] + p["u"]) ** 2))),
    )
    return Law("importance-sampling.weights", "importance weights w = N(z; a, b)/N(z; m, v), z ~ N(m, v), v = b + u: "
               "mean 1 (unbiased), variance v/sqrt(b(2v - b)) exp((a - m)^2/(2v - b)) - 1", "moments",
               ("a", "b", "m", "u"), {"a": 0.5, "b": 1.0, "m": 0.0, "u": 1.0},
               {"a": REAL, "b": POSITIVE, "m": REAL, "u": POSITIVE}, ("sampling.is.unbiased", "sampling.is.variance"),
               _importance, right, wrongs)


# --- one Langevin step on a Gaussian: its stationary law (score.langevin.ula-variance) ---------------

def _stationary(p: dict) -> dict:
    return {"mean": 0.0, "variance": _claim_value("score.langevin.ula-variance", eta=p["eta"], sigma=p["sigma"])}


def _after_step(p: dict, drift: float, noise: float) -> dict:
    """x' = (1 - drift·η/σ²) x + noise·sqrt(η) z with x from the stationary law: N(0, a² v∞ + c²)."""
    v = _stationary(p)["variance"]
    a = 1 - drift * p["eta"] / p["sigma"] ** 2
    return {"mean": 0.0, "variance": a * a * v + noise * noise * p["eta"]}


def _langevin_step(drift: float, noise: float):
    def step(x, n, rng, **params):
        x = np.asarray(x, dtype=float)
        grad = -x / params["sigma"] ** 2
        return x + drift * params["eta"] * grad + noise * math.sqrt(params["eta"]) * rng.standard_normal(n)
    return step


def _langevin_inputs(p: dict, n: int, rng) -> dict:
    return {"x": math.sqrt(_stationary(p)["variance"]) * rng.standard_normal(n)}


def _langevin_law() -> Law:
    wrongs = (WrongSampler("noise sqrt(2 eta) with drift (eta/2) grad log p (two conventions mixed)",
                           lambda p: _after_step(p, 0.5, math.sqrt(2)), _langevin_step(0.5, math.sqrt(2))),
              WrongSampler("drift eta grad log p with noise sqrt(eta)", lambda p: _after_step(p, 1.0, 1.0),
                           _langevin_step(1.0, 1.0)),
              WrongSampler("noise sqrt(eta/2) (the step of the wrong SDE)",
                           lambda p: _after_step(p, 0.5, math.sqrt(0.5)), _langevin_step(0.5, math.sqrt(0.5))))
    law = Law("langevin.stationary", "one unadjusted Langevin step x + (eta/2) grad log p(x) + sqrt(eta) z on "
              "p = N(0, sigma^2) keeps its stationary law N(0, sigma^2/(1 - eta/(4 sigma^2))): the sampler gets "
              "x, n states drawn from that law", "gaussian", ("sigma", "eta"), {"sigma": 1.0, "eta": 0.1},
              {"sigma": POSITIVE, "eta": POSITIVE}, ("score.langevin.ula-variance",),
              _stationary, _langevin_step(0.5, 1.0), wrongs, inputs=_langevin_inputs,
              notes="eta < 4 sigma^2 (a stationary law exists)")
    return law


LAWS: dict[str, Law] = {law.name: law for law in (
    _step_law(), _jump_law(), _reparameterised_law(), _temperature_law(), _top_k_law(), _nucleus_law(),
    _importance_law(), _langevin_law())}


def law_names() -> list[str]:
    return list(LAWS)
