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
