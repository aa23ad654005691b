"""The registered numeric routes read from the numerics source, without importing torch.

``show`` and ``list`` describe a claim's routes but must start fast, so they read the route
decorators (``@reference("id")``, ``@monte_carlo``, ``@model``, ``@behaviour``) and their first
docstring lines from the source files with ``ast``. ``verify`` uses the live registry; a test
checks that both agree.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

ROUTE_DECORATORS = ("reference", "monte_carlo", "model", "behaviour")


@dataclass(frozen=True)
class IndexedRoute:
    name: str
    kind: str
    claims: tuple[str, ...]
    description: str


@functools.cache
def indexed_routes() -> tuple[IndexedRoute, ...]:
    spec = importlib.util.find_spec("derivspec.numerics")
    routes = []
    for folder in spec.submodule_search_locations:
        for path in sorted(Path(folder).rglob("*.py")):
            routes += _routes_in(ast.parse(path.read_text(encoding="utf-8")))
    return tuple(routes)


def _routes_in(tree: ast.Module) -> list[IndexedRoute]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        for decorator in node.decorator_list:
            if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Name)
                    and decorator.func.id in ROUTE_DECORATORS):
                claims = tuple(a.value for a in decorator.args if isinstance(a, ast.Constant) and isinstance(a.value, str))
                doc = (ast.get_docstring(node) or "").strip()
                found.append(IndexedRoute(node.name, decorator.func.id, claims, doc.splitlines()[0] if doc else ""))
    return found


def routes_of(claim_id: str, kinds=("reference", "monte_carlo", "model")) -> list[IndexedRoute]:
    return [r for r in indexed_routes() if claim_id in r.claims and r.kind in kinds]
