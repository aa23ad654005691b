"""CPU and GPU Monte Carlo agree (``gpu`` marker: skipped without CUDA).

The same routes' estimators, sampled in batches on CUDA and on the CPU with their own
generators, must each pass against the derived target, and their two estimates must agree
within the combined standard error at the suite's false-fail rate:
|ê_cuda − ê_cpu| ≤ z_{1−α/2} √(SE_cuda² + SE_cpu²) (two independent estimates of one mean).
Exact checks (a finite support) must agree to float64 round-off.
"""

import math
import zlib

import pytest
import sympy
import torch

from derivspec.core import registry
from derivspec.numerics.checks import draw
from derivspec.numerics.montecarlo import FALSE_FAIL_RATE, critical_z, monte_carlo_check
from derivspec.numerics.routes import MONTE_CARLO_ROUTES, load
from derivspec.reference_models.device import DTYPE, make_generator

ROUTES = [("kl.gaussian.multivariate", "multivariate_log_ratio"), ("kl.bernoulli", "bernoulli_log_ratio"),
          ("elbo.evidence", "likelihood_under_the_prior"), ("estimation.gaussian.interval-mass", "interval_density_draws"),
          ("sampling.is.variance", "squared_weight_deviation_draws"), ("ddpm.schedule.alpha-bar", "two_chains_signal"),
          ("divergence.fid.plug-in-bias", "plug_in_fid_monte_carlo"), ("elbo.gradient.variance", "variance_gap_draws"),
          ("ar.sampling.ancestral", "ancestral_frequency")]


@pytest.mark.gpu
@pytest.mark.parametrize("claim_id, route", ROUTES)
def test_cpu_and_gpu_estimates_agree(claim_id, route):
    load()
    function, _, compare = MONTE_CARLO_ROUTES[(claim_id, route)]
    claim = registry.get(claim_id)
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    g = make_generator(zlib.crc32(f"gpu/{claim_id}".encode()), cpu)
    params = {v.name: float(draw(v, 1, g, cpu)[0]) for v in claim.variables}
    value = complex(sympy.N(claim.expand_defined(claim.target).subs(
        {v.symbol: sympy.Float(params[v.name], 30) for v in claim.variables}), 30)).real
    value = compare(value) if compare else value
    results = {}
    for device in (cpu, cuda):
        estimator = function(**{k: torch.tensor(x, dtype=DTYPE, device=device) for k, x in params.items()})
        results[device.type] = monte_carlo_check(estimator, value, make_generator(11, device))
        assert results[device.type].passed, (device.type, results[device.type].to_json())
    a, b = results["cpu"], results["cuda"]
    assert a.method == "exact" or b.method != "exact"
    tolerance = critical_z(FALSE_FAIL_RATE) * math.sqrt(a.stderr ** 2 + b.stderr ** 2)
    assert abs(a.estimate - b.estimate) <= tolerance, (a.to_json(), b.to_json())
