"""The registry: claims registered by name and built on demand, routes registered by claim id and
validated against the claims, and verify isolating faults (a broken claim is inconclusive with
its reason; every other claim still runs)."""

import json

import pytest
import sympy
import torch

from derivspec.app.cli import main
from derivspec.core import REAL, Claim, Source, Step, Var, WrongVariant
from derivspec.core.errors import RegistryError, UnknownClaimError
from derivspec.core.registry import REGISTRY, Registry, RouteRecord
from derivspec.numerics.checks import NumericContext
from derivspec.numerics.routes import behaviour, load, model, monte_carlo, reference
from derivspec.app.verify import verify_claim

X = Var("x", "x", REAL)
x = X.symbol
CTX = NumericContext(device=torch.device("cpu"), seed=0)


def square_claim(**changes) -> Claim:
    """(x + 1)² − 1 = x² + 2x, expanded; wrong variant x²."""
    fields = dict(title="a square", statement="(x+1)^2 - 1", variables=(X,),
                  derivation=(Step("definition", (x + 1) ** 2 - 1), Step("expand", x**2 + 2 * x)),
                  wrong_variants=(WrongVariant("dropped 2x", x**2),))
    fields.update(changes)
    return Claim(**fields)


def make_registry() -> Registry:
    """A test-only registry: a good claim and one broken claim per part verify runs."""
    registry = Registry()
    good_route = lambda x: x**2 + 2 * x  # noqa: E731

    @registry.claim("test.good")
    def test_good():
        return square_claim()

    @registry.claim("test.route-raises")
    def test_route_raises():
        return square_claim()

    @registry.claim("test.step-raises")
    def test_step_raises():
        return square_claim(derivation=(Step("definition", (x + 1) ** 2 - 1),
                                        Step("divide by zero", x**2 + 2 * x, op=lambda e: e * (1 // 0))))

    @registry.claim("test.source-raises")
    def test_source_raises():
        return square_claim(sources=(Source("seed.txt", "3", "x^2 + 2x", behaviour="explodes"),))

    @registry.claim("test.build-raises")
    def test_build_raises():
        raise KeyError("no such symbol")

    @registry.claim("test.wrong-target")
    def test_wrong_target():
        return square_claim(derivation=(Step("definition", (x + 1) ** 2 - 1), Step("expand", x**2 + 2 * x)),
                            wrong_variants=(WrongVariant("the right answer as a 'wrong' variant", x * (x + 2)),))

    for claim_id in ("test.good", "test.step-raises", "test.source-raises", "test.build-raises", "test.wrong-target"):
        reference(claim_id, points=16, registry=registry)(_route("square_by_torch", good_route))

    @reference("test.route-raises", points=16, registry=registry)
    def kl_by_torch(x):
        """a route that divides by zero"""
        return x * (1 // 0)

    @behaviour("test.source-raises", registry=registry, broken={"a calm model": dict(diverges=False)})
    def explodes(*, diverges=True):
        """a behaviour check that raises"""
        raise ValueError("the reference model diverged")

    return registry


def _route(name, function):
    def route(x):
        """x² + 2x computed by torch"""
        return function(x)
    route.__name__ = name
    return route


@pytest.fixture(scope="module")
def registry():
    registry = make_registry()
    registry.validate()  # consistent; a claim whose function raises is left to verify to report
    return registry


def verify(registry, claim_id):
    return verify_claim(claim_id, CTX, registry=registry)


def test_a_good_claim_verifies_beside_broken_ones(registry):
    assert verify(registry, "test.good").status == "verified"


@pytest.mark.parametrize("claim_id, reason", [
    ("test.route-raises", "route kl_by_torch raised ZeroDivisionError: integer division or modulo by zero"),
    ("test.step-raises", "the derivation raised ZeroDivisionError"),
    ("test.source-raises", "source seed.txt, line 3 (behaviour explodes) raised ValueError: the reference model diverged"),
    ("test.build-raises", "building claim test.build-raises raised KeyError"),
])
def test_an_exception_makes_only_its_claim_inconclusive_with_the_reason(registry, claim_id, reason):
    report = verify(registry, claim_id)
    assert report.status == "inconclusive"
    assert reason in report.reason
    json.dumps(report.to_json())  # the report of a broken claim still serialises


def test_a_wrong_variant_that_is_right_fails_the_claim(registry):
    report = verify(registry, "test.wrong-target")
    assert report.status == "failed" and "got through" in report.reason


def test_cli_verify_with_a_broken_route_is_inconclusive_and_the_rest_verified(capsys):
    load()

    def broken(y, p):
        """a route that raises"""
        raise ZeroDivisionError("division by zero")

    record = RouteRecord("broken_route", "reference", ("nll.bernoulli",), ("y", "p"), "a route that raises",
                         lambda candidate, claim, ctx: broken(None, None), "test")
    REGISTRY.routes.insert(0, record)
    try:
        code = main(["verify", "nll.bernoulli", "nll.categorical", "--json"])
    finally:
        REGISTRY.routes.remove(record)
    reports = {r["claim"]: r for r in json.loads(capsys.readouterr().out)["claims"]}
    assert code == 3
    assert reports["nll.bernoulli"]["status"] == "inconclusive"
    assert "route broken_route raised ZeroDivisionError: division by zero" in reports["nll.bernoulli"]["reason"]
    assert reports["nll.categorical"]["status"] == "verified"


# --- validation: routes against claims ----------------------------------------------------


def small_registry():
    registry = Registry()

    @registry.claim("test.square")
    def test_square():
        return square_claim(sources=(Source("seed.txt", "1", "x^2", behaviour="fits", at={"delta": 1}),))

    return registry


def test_a_route_with_a_misnamed_parameter_is_an_error_naming_route_claim_and_names():
    registry = small_registry()

    @reference("test.square", registry=registry)
    def square_by_torch(xx):
        """x² + 2x"""
        return xx**2

    @behaviour("test.square", registry=registry, broken={"misfits": dict(fit=False)})
    def fits(delta, *, fit=True):
        """fits"""
        return fit, ""

    with pytest.raises(RegistryError) as error:
        registry.validate()
    message = str(error.value)
    assert "route square_by_torch" in message and "claim test.square" in message
    assert "lacks x" in message and "has xx (did you mean x?)" in message


def test_a_route_naming_an_unknown_claim_is_an_error_with_close_matches():
    registry = small_registry()

    @monte_carlo("test.squares", registry=registry)
    def draws(x):
        """draws"""

    with pytest.raises(RegistryError, match=r"route draws names unknown claim 'test.squares' \(did you mean test.square\?\)"):
        registry.validate()


def test_a_claim_without_a_route_and_a_missing_behaviour_check_are_errors():
    registry = small_registry()
    with pytest.raises(RegistryError) as error:
        registry.validate()
    assert "claim test.square has no numeric route" in str(error.value)
    assert "names behaviour check 'fits', which is not registered" in str(error.value)


def test_model_routes_declare_the_candidate_arguments():
    registry = small_registry()

    @model("test.square", candidate_args=("x", "y"), registry=registry)
    def trained_with(candidate):
        """trained with the candidate"""

    with pytest.raises(RegistryError, match="has y"):
        registry.validate()


def test_the_global_registry_is_consistent():
    load().validate()


def test_claims_are_built_only_when_asked_for():
    registry = Registry()
    built = []

    @registry.claim("test.lazy")
    def test_lazy():
        built.append(True)
        return square_claim()

    assert registry.ids() == ["test.lazy"] and not built
    assert registry.get("test.lazy").id == "test.lazy" and built == [True]
    registry.get("test.lazy")
    assert built == [True]  # built once


def test_unknown_ids_name_close_matches_and_renamed_ids_resolve():
    with pytest.raises(UnknownClaimError, match="did you mean nll.gaussian"):
        REGISTRY.get("nll.gausian")
    assert REGISTRY.get("entropy.categorical").id == "kl.entropy.categorical"


def test_claim_functions_are_named_after_their_ids():
    for claim_id in REGISTRY.ids():
        build = REGISTRY._factories[claim_id]
        assert build.__name__ == claim_id.replace(".", "_").replace("-", "_"), (claim_id, build.__name__)


def test_the_route_index_shown_without_torch_is_the_live_registry(tmp_path, monkeypatch):
    from derivspec.core import catalogue

    monkeypatch.setenv("DERIVSPEC_CACHE_DIR", str(tmp_path))  # cold: a child process loads the routes
    def key(route):
        return route["name"], route["claims"]

    # the same routes (the order is the modules' import order, which other tests may have changed here)
    assert sorted(catalogue.route_index(), key=key) == sorted(catalogue.describe_routes(load()), key=key)
    assert list(tmp_path.glob("routes-*.json"))  # and stores them for the next `show`
    shown = {r["name"] for r in catalogue.routes_of("nll.gaussian")}
    assert shown == {r.name for r in load().routes_for("nll.gaussian")} and shown


def test_a_claim_id_names_its_family_package():
    for claim_id in REGISTRY.ids():
        module = REGISTRY._factories[claim_id].__module__
        assert module.startswith(f"derivspec.derivations.{claim_id.split('.')[0]}."), (claim_id, module)


def test_sympy_objects_in_a_claim_are_shared_by_name():
    # derivations in different modules refer to the same symbol by name and assumptions
    assert sympy.Symbol("x", real=True) == x


def test_a_module_that_fails_to_import_is_reported_and_the_others_load(tmp_path, monkeypatch):
    from derivspec.core.registry import import_all

    package = tmp_path / "fake_family"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "good.py").write_text("VALUE = 1\n")
    (package / "broken.py").write_text("raise ImportError('sympy.stats has no Foo')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    errors = []
    names = import_all("fake_family", errors)
    assert "fake_family.good" in names and "fake_family.broken" not in names
    assert errors == ["module fake_family.broken failed to import: ImportError: sympy.stats has no Foo"]
    with pytest.raises(ImportError):
        import_all("fake_family")  # without an error list, the failure propagates


def test_verify_reports_a_registry_problem_as_the_claims_reason():
    registry = small_registry()  # its behaviour source names a check nobody registered

    @reference("test.square", points=16, registry=registry)
    def square_by_torch(x):
        """x² + 2x"""
        return x**2 + 2 * x

    report = verify(registry, "test.square")
    assert report.status == "inconclusive"
    assert "registry: source seed.txt:1 of test.square names behaviour check 'fits', which is not registered" in report.reason


def test_a_behaviour_check_must_declare_how_it_fails():
    registry = small_registry()
    with pytest.raises(RegistryError, match="declares no broken variant"):
        @behaviour("test.square", registry=registry, broken={})
        def always(delta):
            """always holds"""
            return True, ""
    with pytest.raises(RegistryError, match="not among its keyword-only seams"):
        @behaviour("test.square", registry=registry, broken={"a threshold": dict(critical=0.0)})
        def tested(delta, *, rule=None):
            """tests a rule"""
            return True, ""
