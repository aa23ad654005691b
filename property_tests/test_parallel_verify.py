"""``derivspec verify --jobs N``: the same JSON (less timings) whatever the number of worker
processes and the order the claims are given in -- each claim's draws come from generators seeded
by (run seed, claim, route), never by worker or position (DESIGN.md, "Monte Carlo policy")."""

import json


from derivspec.app.cli import main
from derivspec.app.verify import default_jobs, verify_many
from derivspec.numerics.checks import NumericContext
from derivspec.reference_models.device import resolve_device

# Monte Carlo (RQMC + controls, exact enumeration, plain draws of a reference model), reference
# routes, model routes and behaviour sources.
CLAIMS = ["kl.bernoulli", "elbo.gap", "ddpm.marginal.variance", "nll.gaussian", "sampling.snis.two-draws",
          "ar.sampling.ancestral", "estimation.gaussian.interval-mass", "flow.hutchinson.unbiased"]
TIMING_KEYS = {"seconds", "time", "jobs", "monte_carlo_seconds"}


def without_timings(value):
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def verify_json(capsys, *argv) -> dict:
    code = main(["verify", "--json", "--no-cache", *argv])  # every check run (not the evidence cache's records)
    out, _ = capsys.readouterr()
    assert code == 0, out[-2000:]
    return json.loads(out)


def test_jobs_1_and_2_give_identical_results_in_any_order(capsys):
    one = verify_json(capsys, "--jobs", "1", *CLAIMS)
    two = verify_json(capsys, "--jobs", "2", *reversed(CLAIMS))
    assert [c["claim"] for c in one["claims"]] == CLAIMS
    assert [c["claim"] for c in two["claims"]] == CLAIMS[::-1]  # output follows the command line
    assert one["meta"]["jobs"] == 1 and two["meta"]["jobs"] == 2
    by_id = {c["claim"]: without_timings(c) for c in two["claims"]}
    for record in one["claims"]:
        assert without_timings(record) == by_id[record["claim"]], record["claim"]
    assert all(c["status"] == "verified" for c in one["claims"])
    methods = {r.get("method") for c in one["claims"] for r in c["routes"] if r["kind"] == "monte_carlo"}
    assert "exact" in methods and methods & {"rqmc+cv", "rqmc", "antithetic", "plain+cv", "antithetic+cv"}


def test_verify_many_keeps_the_order_and_isolates_workers():
    ctx = NumericContext(device=resolve_device("cpu"), seed=3)
    ids = ["kl.entropy.categorical", "nll.bernoulli", "kl.entropy.categorical"]
    done = []
    outcomes = verify_many(ids, ctx, jobs=2, on_done=done.append)
    assert [o.claim_id for o in outcomes] == ids
    assert sorted(done) == sorted(set(ids))  # a repeated claim is verified once
    assert outcomes[0].record == outcomes[2].record
    assert all(o.record["status"] == "verified" for o in outcomes)


def test_jobs_option_is_validated(capsys):
    assert main(["verify", "--jobs", "0", "nll.gaussian"]) == 2
    assert "--jobs" in capsys.readouterr().err
    assert default_jobs() >= 1
