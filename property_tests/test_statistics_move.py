"""No check in numerics/ or reference_models/ returns the same statistic whatever its input.

The case found in review: ``affine_samples_are_gaussian`` (numerics/estimation.py) once gave the
same KS p-value for every (a, b), because it tested ``torch.randn`` and not the affine rule. A
check like that passes every test that only looks at its verdict. Here each check is run twice,
on its input and on a perturbed input, and the number it reports must change:

* behaviour checks (``@behaviour`` in numerics/): **another parameter value** -- each non-integral
  float parameter of the source scaled by 0.9 (by 0.5 where 0.9 leaves a piecewise-constant answer
  unchanged or leaves the domain); the numbers of the evidence, less the parameters' own echoes,
  must change (default suite, ~15 s). **Every broken seam** must change the evidence's numbers
  (property_tests/test_checks_can_fail.py asks only that one variant per source reverses the
  verdict; slow, ~50 s).
* specifications (``@specification`` in reference_models/, generic over ``specifications()``):
  **another seed** -- quick runs with seeds 0 and 1; a check's statistic (``Check.test.statistic``
  when it has a test, else the numbers of its evidence) must differ. A check on a fixed input
  (no randomness: a schedule's ᾱ_T, a deterministic fit) is listed in ``PERTURBED`` with a change
  of its input (a module-level seam set with monkeypatch) that must move it instead. Slow: two
  quick runs per specification.
* numeric routes (reference, Monte Carlo): test_checks_can_fail.test_a_route_fails_a_perturbed_candidate
  already requires their statistic to grow under a perturbed candidate.

The helpers are tested first on the review's bug itself (default suite).
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace

import pytest
import torch
from scipy import stats

from derivspec.core.registry import REGISTRY
from derivspec.numerics.routes import load

load(REGISTRY)

# --- what a check reports ------------------------------------------------------------------------

_NUMBER = re.compile(r"[-−]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:[eE][-+−]?\d+)?|\b(?:inf|nan|True|False)\b")


def numbers(evidence: str) -> list[str]:
    """The numbers of an evidence string, as printed (unicode minus read as '-', thousands
    separators dropped), and its True/False (a check's statistic may be a yes/no, such as
    "logit i changes with the drawn prefix: True"): the statistic is among them, whatever the wording."""
    return [n.replace("−", "-").replace(",", "") for n in _NUMBER.findall(evidence or "")]


def echoes(parameters: dict) -> set[str]:
    """How a parameter value is printed when the evidence repeats it (``{v:g}``, ``str``, ``repr``)."""
    return {text for v in parameters.values() if isinstance(v, (int, float))
            for text in (f"{v:g}", str(v), repr(v))}


def statistic_numbers(evidence: str, parameters: dict) -> list[str]:
    """The evidence's numbers less the echoes of the parameters it was run at."""
    echoed = echoes(parameters)
    return [n for n in numbers(evidence) if n not in echoed]


def check_statistic(check) -> tuple:
    """What a specification's check reports: its test's statistic, else its evidence's numbers."""
    if check.test is not None:
        return (check.test.statistic,)
    return tuple(numbers(check.evidence))


# --- the detector on the review's bug ---------------------------------------------------------------


def _affine_check_testing_randn(a, b):
    """The reviewed bug, rebuilt: a KS test of standard normals against N(0, 1), whatever (a, b)."""
    z = torch.randn(20_000, generator=torch.Generator().manual_seed(24), dtype=torch.float64).numpy()
    result = stats.kstest(z, stats.norm(0, 1).cdf)
    return result.pvalue > 1e-6, f"a = {a:g}, b = {b:g}: KS D = {result.statistic:.3g}, p = {result.pvalue:.3g}"


def test_the_detector_catches_the_reviewed_bug_and_passes_the_fix():
    from derivspec.numerics.estimation import affine_samples_are_gaussian

    at, moved = {"a": -1.7, "b": 0.4}, {"a": -1.7 * 0.9, "b": 0.4}
    buggy = [statistic_numbers(_affine_check_testing_randn(**p)[1], p) for p in (at, moved)]
    fixed = [statistic_numbers(affine_samples_are_gaussian(**p)[1], p) for p in (at, moved)]
    assert buggy[0] == buggy[1] and buggy[0], "the parameter echoes are stripped, the constant KS numbers stay"
    assert fixed[0] != fixed[1]
    assert numbers("a = −1.7, n = 50,000: D = 1.9e-3, p = inf: True") == ["-1.7", "50000", "1.9e-3", "inf", "True"]


def test_the_detector_flags_a_specification_check_whose_statistic_ignores_the_seed():
    from derivspec.reference_models.fit_tests import TestOutcome
    from derivspec.reference_models.specification import Check

    def check(seed, constant):
        x = torch.randn(500, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        y = torch.randn(500, generator=torch.Generator().manual_seed(0), dtype=torch.float64) if constant else x
        d = float(stats.kstest(y.numpy(), stats.norm.cdf).statistic)
        return Check("x ~ N(0, 1)", True, f"D = {d:.4g}", TestOutcome("KS one-sample", d, 0.1, 500, 1e-3))

    assert check_statistic(check(0, True)) == check_statistic(check(1, True))
    assert check_statistic(check(0, False)) != check_statistic(check(1, False))
    without_test = [replace(check(s, False), test=None) for s in (0, 1)]
    assert check_statistic(without_test[0]) != check_statistic(without_test[1])


# --- behaviour checks: another parameter value -------------------------------------------------------

FACTORS = (0.9, 0.5)  # the second where the first keeps a piecewise-constant answer or leaves the domain


def _behaviour_sources():
    for claim_id in REGISTRY.ids():
        for index, source in enumerate(REGISTRY.get(claim_id).sources):
            if source.behaviour:
                yield claim_id, index, source


def _float_parameter_cases():
    for claim_id, index, source in _behaviour_sources():
        for name, value in source.at.items():
            if isinstance(value, float) and not value.is_integer():  # integral ones are sizes and counts
                yield pytest.param(claim_id, index, name, id=f"{claim_id}:{source.lines}:{source.behaviour}:{name}")


@functools.lru_cache(maxsize=None)
def _behaviour_run(claim_id: str, index: int) -> tuple[bool, str]:
    claim = REGISTRY.get(claim_id)
    source = claim.sources[index]
    return REGISTRY.behaviour(claim_id, source.behaviour).run(claim, source)


@pytest.mark.parametrize("claim_id, index, name", list(_float_parameter_cases()))
def test_a_behaviour_checks_statistic_moves_with_its_parameter(claim_id, index, name):
    claim = REGISTRY.get(claim_id)
    source = claim.sources[index]
    record = REGISTRY.behaviour(claim_id, source.behaviour)
    _, evidence = _behaviour_run(claim_id, index)
    before = statistic_numbers(evidence, source.at)
    tried = []
    for factor in FACTORS:
        at = {**source.at, name: source.at[name] * factor}
        try:
            _, moved = record.run(claim, replace(source, at=at))
        except (ValueError, ArithmeticError) as error:  # outside the check's domain: the next factor
            tried.append(f"{name} = {at[name]:g}: {error}")
            continue
        if statistic_numbers(moved, at) != before:
            return
        tried.append(f"{name} = {at[name]:g}: {moved}")
    pytest.fail(f"{source.behaviour} reports the same numbers at {name} = {source.at[name]:g} ({evidence}) and at "
                + "; ".join(tried))


# --- behaviour checks: every broken seam ---------------------------------------------------------------


def _seam_cases():
    """Each broken seam once, with every source that uses its check (a seam may only show at some of them:
    an exact product equals the float64 one until float64 underflows)."""
    uses: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for claim_id, index, source in _behaviour_sources():
        record = REGISTRY.behaviour(claim_id, source.behaviour)
        uses.setdefault((record.module, record.name), []).append((claim_id, index))
    for sources in uses.values():
        claim_id, index = sources[0]
        record = REGISTRY.behaviour(claim_id, REGISTRY.get(claim_id).sources[index].behaviour)
        for description, _ in record.broken:
            yield pytest.param(tuple(sources), description, id=f"{record.name}:{description}")


@pytest.mark.slow
@pytest.mark.parametrize("sources, description", list(_seam_cases()))
def test_every_broken_seam_moves_a_behaviour_checks_numbers(sources, description):
    """At some source that uses the check, the broken seam changes the numbers it reports."""
    reports = []
    for claim_id, index in sources:
        claim = REGISTRY.get(claim_id)
        source = claim.sources[index]
        record = REGISTRY.behaviour(claim_id, source.behaviour)
        _, evidence = _behaviour_run(claim_id, index)
        _, broken = record.run(claim, source, **dict(record.broken)[description])
        if numbers(broken) != numbers(evidence):
            return
        reports.append(f"{claim_id} at {source.at}: {broken}")
    pytest.fail(f"'{description}' reports the same numbers at every source: " + "; ".join(reports))


# --- specifications: another seed, or a declared change of a fixed input -----------------------------


def _halved_final_beta(monkeypatch):
    """ddpm: every linear schedule ends at β_T / 2 (too little noise: ᾱ_T moves up)."""
    from derivspec.reference_models import ddpm

    original = ddpm.linear_schedule
    monkeypatch.setattr(ddpm, "linear_schedule", lambda T=1000, beta_1=1e-4, beta_T=0.02, **kw:
                        original(T, beta_1, beta_T / 2, **kw))


def _deltas(*deltas):
    def perturb(monkeypatch):
        """mixture-fit: other separations δ of the two modes (as many as the progress stages expect)."""
        from derivspec.reference_models import mixture_fit

        monkeypatch.setattr(mixture_fit, "MIXTURE_DELTAS", deltas)

    return perturb


def _smaller_largest_lambda(monkeypatch):
    """lasso-sparsity: the largest λ divided by 10 (fewer exact zeros there)."""
    from derivspec.reference_models import regularised

    monkeypatch.setattr(regularised, "SPARSITY_LAMS", (*regularised.SPARSITY_LAMS[:-1], regularised.SPARSITY_LAMS[-1] / 10))


def _estimators_swapped(monkeypatch):
    """gradient-estimators: the pathwise and score-function draws exchanged (a wrong gradient)."""
    from derivspec.reference_models import gradient_estimators as ge

    original = ge.estimator_moments
    monkeypatch.setattr(ge, "estimator_moments", lambda *a, **k: (lambda m: {**m, "reparam": m["score"],
                                                                              "score": m["reparam"]})(original(*a, **k)))


def _scaled_gradient(checks: str, seam: str, formula: str):
    def perturb(monkeypatch):
        """an exact gradient formula checked against autograd: the formula scaled by 1.5 (a wrong gradient)."""
        from derivspec.reference_models import classifiers

        original, wrong = getattr(classifiers, checks), getattr(classifiers, formula)
        monkeypatch.setattr(classifiers, checks, lambda *a, **k: original(*a, **{**k, seam: lambda *x: 1.5 * wrong(*x)}))

    return perturb


def _naive_log_softmax(monkeypatch):
    """softmax-regression: log softmax as z − log Σ exp z, unfused (exp overflows at c = 1000)."""
    from derivspec.reference_models import classifiers

    original = classifiers.softmax_checks
    naive = lambda z: z - torch.log(torch.exp(z).sum(1, keepdim=True))  # noqa: E731
    monkeypatch.setattr(classifiers, "softmax_checks", lambda *a, **k: original(*a, **{**k, "log_softmax": naive}))


def _unnormalised_joint(monkeypatch):
    """ar-sampler: the random joint scaled to mass 0.9 (its conditionals renormalise it, so the chain rule
    rebuilds p/0.9, not p)."""
    from derivspec.reference_models import autoregressive

    original = autoregressive.random_joint
    monkeypatch.setattr(autoregressive, "random_joint", lambda *a, **k: 0.9 * original(*a, **k))


def _few_em_iterations(monkeypatch):
    """gmm-em: EM stopped after 3 iterations (not yet at its fixed point)."""
    from derivspec.reference_models import gmm_em

    monkeypatch.setattr(gmm_em, "GMM_ITERATIONS", 3)


def _ridge_gradient(monkeypatch):
    """linear-regression: gradient descent on the MSE + 0.05‖θ‖² (a ridge term: another minimiser)."""
    from derivspec.reference_models import regression

    original = regression.routes_agree
    ridge = lambda A, y, theta: regression.mse_gradient(A, y, theta) + 0.1 * theta  # noqa: E731
    monkeypatch.setattr(regression, "routes_agree", lambda A, y, **k: original(A, y, **{**k, "gradient": ridge}))


PERTURBED = {
    # (specification, check index): a change of the check's fixed input that must move its statistic
    ("ddpm", 0): _halved_final_beta,
    ("mixture-fit", 0): _deltas(0.9, 2.5, 3.2),
    ("mixture-fit", 1): _deltas(0.7, 2.5, 3.5),
    ("mixture-fit", 2): _deltas(2.6, 2.7, 3.0),  # above the fold δ_onset ≈ 2.41 the start at m = δ stays off 0
    ("lasso-sparsity", 0): _smaller_largest_lambda,
    ("gradient-estimators", 1): _estimators_swapped,
    ("logistic-regression", 0): _scaled_gradient("logistic_checks", "dloss_dlogit", "bce_dlogit"),
    ("softmax-regression", 0): _scaled_gradient("softmax_checks", "dloss_dlogits", "ce_dlogits"),
    ("softmax-regression", 1): _naive_log_softmax,
    # exact identities whose error is round-off (printed as 0 under every seed)
    ("ar-sampler", 0): _unnormalised_joint,
    ("gmm-em", 1): _few_em_iterations,
    ("linear-regression", 0): _ridge_gradient,  # the fused log-softmax is exact here: 0 under every seed
}


@functools.lru_cache(maxsize=None)
def _spec_run(name: str, seed: int):
    from derivspec.app.run import run_spec

    return run_spec(name, "auto", seed=seed, out=None, quick=True, progress=False)


def _spec_names():
    from derivspec.app.run import specifications

    return [s.name for s in specifications()]


@pytest.mark.slow
@pytest.mark.parametrize("name", _spec_names())
def test_every_specification_checks_statistic_moves(name, monkeypatch):
    """Each check's statistic differs between seeds 0 and 1, or (a fixed input) under its PERTURBED change."""
    from derivspec.app.run import run_spec

    first, second = _spec_run(name, 0), _spec_run(name, 1)
    assert len(first.checks) == len(second.checks), "the seed changed which checks run"
    stuck = []
    for i, (a, b) in enumerate(zip(first.checks, second.checks)):
        if check_statistic(a) != check_statistic(b):
            continue
        if (name, i) not in PERTURBED:
            stuck.append(f"check {i} '{a.statement}' reports {check_statistic(a)} under seeds 0 and 1 ({a.evidence!r}): "
                         "report its statistic (Check.test), or for a fixed input add a perturbation to PERTURBED")
            continue
        with monkeypatch.context() as patch:
            PERTURBED[name, i](patch)
            perturbed = run_spec(name, "auto", seed=0, out=None, quick=True, progress=False).checks[i]
        if check_statistic(perturbed) == check_statistic(a):
            stuck.append(f"check {i} '{a.statement}' reports {check_statistic(a)} also with its input changed "
                         f"({PERTURBED[name, i].__doc__ or 'PERTURBED'}): {perturbed.evidence!r}")
    assert not stuck, "\n".join(stuck)


def test_perturbations_name_real_checks():
    """Every PERTURBED entry names a registered specification (a renamed one must
    take its entries along)."""
    names = set(_spec_names())
    assert {n for n, _ in PERTURBED} <= names
