"""``derivspec run``: the reference models as executable specifications, from the CLI."""

from __future__ import annotations

import json

import pytest

from derivspec.app.cli import main
from derivspec.app.run import run_spec, specifications
from derivspec.core.registry import REGISTRY, SpecRecord
from derivspec.reference_models.specification import Check

SPEC_NAMES = sorted(s.name for s in specifications())


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_lists_the_models(capsys):
    code, out, _ = run(capsys, "run")
    assert code == 0
    for name in ("mixture-fit", "vae-iwae", "ddpm", "ar-sampler", "lasso-sparsity", "gradient-estimators"):
        assert name in out
    code, out, _ = run(capsys, "run", "--json")
    models = json.loads(out)["models"]
    assert sorted(m["name"] for m in models) == SPEC_NAMES and all(m["module"].startswith("reference_models/") for m in models)


def test_list_flag_lists_every_specification(capsys):
    code, out, err = run(capsys, "run", "--list")
    assert code == 0 and err == ""
    for name in SPEC_NAMES:
        assert name in out
    code, out, _ = run(capsys, "run", "--list", "--json")
    models = json.loads(out)["models"]
    assert [m["name"] for m in models] == SPEC_NAMES and all(m["statements"] and m["steps"] >= 1 for m in models)


@pytest.mark.parametrize("argv, says", [
    (("run", "--list", "ddpm"), "--list takes no MODEL"),
    (("run", "--all", "ddpm"), "--all takes no MODEL"),
    (("run", "--list", "--all"), "not allowed with argument"),
    (("run", "ddpm", "--seed", "-1"), "expected a whole number from 0"),
    (("run", "ddpm", "--seed", "x"), "expected a whole number from 0"),
    (("run", "ddpm", "--device", "tpu"), "invalid choice"),
    (("run", "--all", "--bogus"), "unrecognized arguments"),
])
def test_bad_input_is_one_line_exit_2(capsys, argv, says):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and says in err, err


def test_cuda_without_cuda_is_bad_input_before_anything_runs(capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    started = []
    monkeypatch.setattr("derivspec.app.run.run_spec", lambda *a, **k: started.append(a))
    for argv in (("run", "ddpm", "--device", "cuda"), ("run", "--all", "--device", "cuda")):
        code, out, err = run(capsys, *argv)
        assert code == 2 and out == "" and err.count("\n") == 1 and "CUDA is not available" in err
    assert not started


def _fake(name, holds=True, with_test=True):
    """A registered specification that runs in no time: one check with a test and its power."""
    from derivspec.reference_models.fit_tests import Power, TestOutcome

    def run_fake(ctx):
        result = ctx.result(name)
        ctx.step("one stage")
        outcome = TestOutcome("KS one-sample", 0.01 if holds else 0.5, 0.05, 1000, 1e-3)
        result.checks.append(Check(f"{name} holds", outcome.passed, outcome.describe(),
                                   test=outcome if with_test else None,
                                   power=Power("a shifted sample", 19, 20) if with_test else None))
        return result

    return SpecRecord(name, f"title of {name}", "kl", "mixture_fit", "statements", 1, "never", run_fake)


def test_all_runs_every_spec_and_says_which_on_stderr(capsys, monkeypatch, tmp_path):
    fakes = {"fake-a": _fake("fake-a"), "fake-b": _fake("fake-b", with_test=False)}
    monkeypatch.setattr(REGISTRY, "_specs", fakes)
    for argv in (("run", "--all"), ("run", "all")):
        code, out, err = run(capsys, *argv, "--device", "cpu", "--out", str(tmp_path), "--json")
        assert code == 0, err
        assert "[1/2] fake-a" in err and "[2/2] fake-b" in err
        assert [r["spec"] for r in json.loads(out)["runs"]] == ["fake-a", "fake-b"]
    fakes["fake-c"] = _fake("fake-c", holds=False)
    code, out, err = run(capsys, "run", "--all", "--device", "cpu", "--out", str(tmp_path))
    assert code == 1 and "[3/3] fake-c" in err and "[FAILS] fake-c holds" in out
    assert "KS one-sample: 0.5 vs threshold 0.05, n = 1,000, false-fail rate 0.001" in out
    assert "power 0.95 (19/20" in out and "against a shifted sample" in out


def test_json_has_every_checks_statistic_threshold_n_rate_and_power(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(REGISTRY, "_specs", {"fake-a": _fake("fake-a"), "fake-b": _fake("fake-b", with_test=False)})
    code, out, _ = run(capsys, "run", "--all", "--device", "cpu", "--out", str(tmp_path), "--json")
    with_test, without = (r["checks"][0] for r in json.loads(out)["runs"])
    assert code == 0
    assert with_test["statistic"] == 0.01 and with_test["threshold"] == 0.05 and with_test["n"] == 1000
    assert with_test["false_fail_rate"] == 1e-3 and with_test["power"] == 0.95
    assert with_test["alternative"] == "a shifted sample" and 0 < with_test["power_lower_bound"] < 0.95
    assert set(without) == set(with_test) and without["statistic"] is None and without["power"] is None


def test_runs_one_with_table_checks_plot_and_progress(capsys, tmp_path):
    code, out, err = run(capsys, "run", "ar-sampler", "--quick", "--device", "cpu", "--seed", "1", "--out", str(tmp_path))
    assert code == 0, out + err
    assert "frequency" in out and "[holds] ancestral samples follow the joint" in out
    assert "ar-sampler [1/3]" in err and "ar-sampler [3/3]" in err  # progress on stderr
    assert (tmp_path / "ar_sampler.png").stat().st_size > 5_000


def test_json_result_with_meta(capsys, tmp_path):
    code, out, _ = run(capsys, "run", "gradient-estimators", "--quick", "--device", "cpu", "--json", "--out", str(tmp_path))
    result = json.loads(out)
    assert code == 0 and result["meta"]["device"] == "cpu" and result["meta"]["seed"] == 0
    (spec,) = result["runs"]
    assert spec["passed"] and spec["checks"] and spec["tables"][0]["rows"]
    assert all({"statistic", "threshold", "n", "false_fail_rate", "power"} <= set(c) for c in spec["checks"])
    assert "figures" in spec and spec["seconds"] >= 0


def test_unknown_model_is_bad_input(capsys):
    code, out, err = run(capsys, "run", "dpm")
    assert code == 2 and out == "" and "did you mean ddpm" in err


def test_every_specification_is_registered_beside_its_model():
    for spec in specifications():
        module = __import__(f"derivspec.reference_models.{spec.module}", fromlist=["_"])
        assert spec.run.__module__ == module.__name__, spec.name
        assert spec.run is getattr(module, spec.run.__name__)


def test_a_failing_check_exits_1(monkeypatch, capsys, tmp_path):
    def broken(ctx):
        result = ctx.result("broken")
        ctx.step("one stage")
        result.checks.append(Check("a statement that does not hold", False, "evidence"))
        return result

    monkeypatch.setitem(REGISTRY._specs, "broken", SpecRecord("broken", "t", "kl", "mixture_fit", "s", 1, "never", broken))
    code, out, _ = run(capsys, "run", "broken", "--device", "cpu", "--out", str(tmp_path))
    assert code == 1 and "[FAILS] a statement that does not hold" in out


@pytest.mark.slow
@pytest.mark.parametrize("name", SPEC_NAMES)
def test_every_spec_holds_in_full(name, tmp_path):
    result = run_spec(name, "auto", seed=0, out=tmp_path, progress=False)
    assert result.passed, [c for c in result.checks if not c.holds]
