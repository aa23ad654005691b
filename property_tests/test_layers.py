"""The layers of DESIGN.md ("Architecture"), one way:

    app          derivspec/*.py (verify, commands, CLI, docs, report, scan)   may import anything
    numerics     numerics/          core, reference_models, torch/numpy/scipy/sympy
    derivations  derivations/       core and sympy only -- never torch
    reference_models                core and torch/numpy/scipy
    core         derivspec/core/    the standard library, sympy and mpmath

Every import statement of every module (lazy ones inside functions included) is checked, and
the design card's folders are imported only under the ``derivspec`` package.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
SCIENTIFIC = {"torch", "numpy", "scipy"}
ALLOWED = {
    "core": {"sympy", "mpmath", "derivspec.core"},
    "derivations": {"sympy", "mpmath", "derivspec.core", "derivspec.derivations"},
    "reference_models": SCIENTIFIC | {"derivspec.core", "derivspec.reference_models"},
    "numerics": SCIENTIFIC | {"sympy", "mpmath", "derivspec.core", "derivspec.reference_models", "derivspec.numerics"},
}
BARE = {"derivations", "numerics", "reference_models", "property_tests"}


def layer_of(path: Path) -> str:
    parts = path.relative_to(ROOT).parts
    if parts[0] == "derivspec":
        return "core" if parts[1] == "core" else "app"
    return parts[0]


def imported_modules(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def allowed(module: str, layer: str) -> bool:
    top = module.split(".")[0]
    if top in BARE:
        return False
    if layer == "app" or top in STDLIB:
        return True
    return any(module == a or module.startswith(a + ".") for a in ALLOWED[layer])


def violations(path: Path, text: str | None = None) -> list[str]:
    layer = layer_of(path)
    tree = ast.parse(text if text is not None else path.read_text(encoding="utf-8"))
    return [f"{path.relative_to(ROOT)}:{line} ({layer}) imports {module}"
            for line, module in imported_modules(tree) if not allowed(module, layer)]


FILES = sorted(p for folder in ("derivspec", "derivations", "numerics", "reference_models")
               for p in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_imports_respect_the_layers(path):
    assert not violations(path)


@pytest.mark.parametrize("path, text", [
    (ROOT / "derivspec/core/claims.py", "import torch"),
    (ROOT / "derivations/nll/gaussian.py", "from derivspec.numerics.checks import NumericResult"),
    (ROOT / "derivations/nll/gaussian.py", "def f():\n    import torch"),
    (ROOT / "numerics/nll.py", "from derivspec.derivations.nll.gaussian import y"),
    (ROOT / "reference_models/regression.py", "from derivspec.numerics import checks"),
    (ROOT / "derivspec/core/registry.py", "from derivspec.verify import verify_claim"),
    (ROOT / "derivspec/verify.py", "from numerics.checks import NumericResult"),
])
def test_a_forbidden_import_is_caught(path, text):
    assert violations(path, text)


def test_check_list_and_show_import_no_torch():
    script = ("import sys, io, contextlib\nfrom derivspec.cli import main\n"
              "for argv in (['check', 'nll.gaussian', '--formula', '(y-mu)**2/(2*sigma**2) + log(sigma) + log(2*pi)/2'],"
              " ['list'], ['list', '--json'], ['show', 'nll.gaussian'], ['show', 'nll.bernoulli', '--json']):\n"
              "    with contextlib.redirect_stdout(io.StringIO()):\n        main(argv)\n"
              "print('torch' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd="/")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
