"""The layers of DESIGN.md ("Architecture"), one way, and no import cycle anywhere.

    app               derivspec/app/ (CLI, commands, verify, report, run, coverage, docs)  anything
    scan              derivspec/scan/       core; sympy/mpmath -- never torch
    numerics          numerics/             core, reference_models; torch/numpy/scipy/sympy
    derivations       derivations/          core; sympy/mpmath -- never torch
    reference_models  reference_models/     core; torch/numpy/scipy/matplotlib
    core              derivspec/core/       the standard library, sympy and mpmath

Every import statement of every module (lazy ones inside functions included) is checked, and
the design card's folders are imported only under the ``derivspec`` package. The import graph of
the whole package (module -> the modules it names, lazy imports included) has no cycle.
"""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
SCIENTIFIC = {"torch", "numpy", "scipy"}
FOLDERS = {"derivations": "derivspec.derivations", "numerics": "derivspec.numerics",
           "reference_models": "derivspec.reference_models"}
LAYERS = ("core", "derivations", "reference_models", "numerics", "scan", "app")
ALLOWED = {
    "core": {"sympy", "mpmath", "derivspec.core"},
    "derivations": {"sympy", "mpmath", "derivspec.core", "derivspec.derivations"},
    "reference_models": SCIENTIFIC | {"matplotlib", "derivspec.core", "derivspec.reference_models"},
    "numerics": SCIENTIFIC | {"sympy", "mpmath", "derivspec.core", "derivspec.reference_models", "derivspec.numerics"},
    "scan": {"sympy", "mpmath", "derivspec.core", "derivspec.scan"},
}
BARE = {"derivations", "numerics", "reference_models", "property_tests"}


def module_name(path: Path) -> str:
    """``derivspec.numerics.kl`` for numerics/kl.py, ``derivspec.scan`` for derivspec/scan/__init__.py."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[0] in FOLDERS:
        parts = FOLDERS[parts[0]].split(".") + parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(path: Path) -> str:
    parts = path.relative_to(ROOT).parts
    if parts[0] == "derivspec":
        if len(parts) > 2 and parts[1] in ("core", "scan", "app"):
            return parts[1]
        if len(parts) > 2 and parts[1] == "testing":  # the conformance kit: an app over the registry (issue 59)
            return "app"
        # the package's face: derivspec/__init__.py hands out scan_text (derivspec.app.notebook) on first
        # use, and importing derivspec loads nothing else (test_importing_derivspec_loads_nothing)
        return "app" if parts[-1] == "__main__.py" or parts[1:] == ("__init__.py",) else "core"
    return parts[0]


def imported_modules(tree: ast.AST, package: str = ""):
    """(line, module) of every import, relative ones resolved against ``package``: ``from a import b``
    names the module ``a.b`` when there is one (a submodule), else ``a`` (a name defined there)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}" if f"{module}.{alias.name}" in MODULES else module


def allowed(module: str, layer: str) -> bool:
    top = module.split(".")[0]
    if top in BARE:
        return False
    if layer == "app" or top in STDLIB:
        return True
    if not module.startswith("derivspec") and any(module.split(".")[0] == a for a in ALLOWED[layer]):
        return True
    return any(module == a or module.startswith(a + ".") for a in ALLOWED[layer])


FILES = sorted(p for folder in ("derivspec", "derivations", "numerics", "reference_models")
               for p in (ROOT / folder).rglob("*.py"))
MODULES = {module_name(p): p for p in FILES}


def package_of(path: Path) -> str:
    name = module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def violations(path: Path, text: str | None = None) -> list[str]:
    layer = layer_of(path)
    tree = ast.parse(text if text is not None else path.read_text(encoding="utf-8"))
    found = []
    for line, module in imported_modules(tree, package_of(path)):
        if not allowed(module, layer):
            found.append(f"{path.relative_to(ROOT)}:{line} ({layer}) imports {module}")
    return found


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_imports_respect_the_layers(path):
    assert not violations(path)


@pytest.mark.parametrize("path, text", [
    (ROOT / "derivspec/core/claims.py", "import torch"),
    (ROOT / "derivspec/core/catalogue.py", "from derivspec.app.output import say"),
    (ROOT / "derivspec/core/metadata.py", "def f():\n    from derivspec.scan import scan_file"),
    (ROOT / "derivations/nll/gaussian.py", "from derivspec.numerics.checks import NumericResult"),
    (ROOT / "derivations/nll/gaussian.py", "def f():\n    import torch"),
    (ROOT / "numerics/nll.py", "from derivspec.derivations.nll.gaussian import y"),
    (ROOT / "numerics/nll.py", "from derivspec.app.verify import verify_claim"),
    (ROOT / "reference_models/regression.py", "from derivspec.numerics import checks"),
    (ROOT / "derivspec/core/registry.py", "from derivspec.app.verify import verify_claim"),
    (ROOT / "derivspec/scan/steps.py", "import torch"),
    (ROOT / "derivspec/scan/steps.py", "from derivspec.app.output import say"),
    (ROOT / "derivspec/scan/steps.py", "from derivspec.numerics.checks import draw"),
    (ROOT / "derivspec/app/verify.py", "from numerics.checks import NumericResult"),
])
def test_a_forbidden_import_is_caught(path, text):
    assert violations(path, text)


def test_importing_derivspec_loads_nothing():
    """``import derivspec`` stays light: no module of the package and not sympy; ``scan_text`` and
    the notebook extension come on first use."""
    script = ("import sys, json\nimport derivspec\nloaded = sorted(m for m in sys.modules if m.startswith('derivspec.')"
              " or m.split('.')[0] in ('sympy', 'jinja2', 'torch'))\n"
              "print(json.dumps([loaded, callable(derivspec.scan_text), callable(derivspec.load_ipython_extension)]))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    loaded, scan_text, extension = __import__("json").loads(done.stdout.strip().splitlines()[-1])
    assert loaded == [] and scan_text and extension


def test_every_layer_has_files():
    assert {layer_of(p) for p in FILES} == set(LAYERS)


# --- no import cycle ------------------------------------------------------------------------


def import_graph(texts: dict[str, str] | None = None) -> dict[str, set[str]]:
    """Module -> the package modules it imports (anywhere in its body); ``texts`` replaces the
    source of some modules (by module name)."""
    graph = {}
    for name, path in MODULES.items():
        text = (texts or {}).get(name) or path.read_text(encoding="utf-8")
        targets = set()
        for _, module in imported_modules(ast.parse(text), package_of(path)):
            if module in MODULES and module != name:
                targets.add(module)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_package_has_no_import_cycle():
    assert cycles(import_graph()) == []


def test_a_cycle_is_found():
    # derivspec.core.errors imports nothing of the package; make it import the CLI, which imports it back
    added = MODULES["derivspec.core.errors"].read_text(encoding="utf-8") + "\nfrom derivspec.app.cli import main\n"
    found = cycles(import_graph({"derivspec.core.errors": added}))
    assert any({"derivspec.core.errors", "derivspec.app.cli"} <= set(c) for c in found)
    # and a lazy import inside a function counts too
    lazy = MODULES["derivspec.core.metadata"].read_text(encoding="utf-8") + (
        "\ndef _late():\n    from derivspec.app.commands import run_list\n")
    assert any("derivspec.core.metadata" in c for c in cycles(import_graph({"derivspec.core.metadata": lazy,
                                                                             "derivspec.core.errors": None})))


def test_check_list_and_show_import_no_torch():
    script = ("import sys, io, contextlib\nfrom derivspec.app.cli import main\n"
              "for argv in (['check', 'nll.gaussian', '--formula', '(y-mu)**2/(2*sigma**2) + log(sigma) + log(2*pi)/2'],"
              " ['check', 'nll.gaussian', '--latex', r'-\\log\\mathcal N(t; m, s^2) = \\frac{(t-m)^2}{2s^2} + \\log s'],"
              " ['list'], ['list', '--json'], ['show', 'nll.gaussian'], ['show', 'nll.bernoulli', '--json']):\n"
              "    with contextlib.redirect_stdout(io.StringIO()):\n        main(argv)\n"
              "print('torch' in sys.modules)")
    # DERIVSPEC_DEBUG: check runs in this process, not a forked child, so that its imports are seen here
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd="/",
                          env={**os.environ, "DERIVSPEC_DEBUG": "1"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


# --- the layers of scan's typed tree (DESIGN.md, "Scan"; issue 58; its judge removed in issue 80) -----------
# extract -> read -> scope -> judge -> report, one way: a module imports only modules of its own layer or below.
SCAN_LAYERS = (
    ("extract", ("extract", "macros", "clauses", "statements")),
    ("read", ("reader", "knowledge", "tree", "typed_reading")),
    ("scope", ("classify",)),
    ("judge", ("verdicts", "steps")),
    ("report", ("records", "runner")),
)
_SCAN_RANK = {f"derivspec.scan.{module}": rank for rank, (_, modules) in enumerate(SCAN_LAYERS) for module in modules}
TYPED_TREE = ("tree", "typed_reading")


def scan_layer_violations(path: Path, text: str | None = None) -> list[str]:
    """Imports of ``path`` (a module of the typed tree) from a layer above its own."""
    rank = _SCAN_RANK[module_name(path)]
    tree = ast.parse(text if text is not None else path.read_text(encoding="utf-8"))
    return [f"{path.name}:{line} imports {module}" for line, module in imported_modules(tree, package_of(path))
            if _SCAN_RANK.get(module, -1) > rank]


@pytest.mark.parametrize("module", TYPED_TREE)
def test_the_typed_tree_imports_one_way(module):
    assert not scan_layer_violations(ROOT / "derivspec" / "scan" / f"{module}.py")


def test_the_scan_layer_check_can_fail():
    assert scan_layer_violations(ROOT / "derivspec/scan/tree.py", "from derivspec.scan import steps")
    assert scan_layer_violations(ROOT / "derivspec/scan/classify.py", "from derivspec.scan.runner import prepare")
