"""Imports made where a name is first used, not when the module that names it is imported.

SciPy costs a second at start-up on a 2-core machine (``scipy.stats`` parses every distribution's docstring
when it is imported), and most commands never call it: ``verify nll.bernoulli`` imports the NLL routes and
their reference models, which name ``scipy.stats`` for a test they run only under some claims. The numeric
modules name what they use through :func:`lazy`::

    stats = lazy("scipy.stats")                  # the module, imported at the first attribute read
    ndtri = lazy("scipy.special", "ndtri")       # a function or object, imported at its first use

and everything else about the call sites stays as it was (``stats.norm.cdf(x)``, ``ndtri(p)``,
``chi2.ppf(q, k)``). Standard library only: any layer may use it.
"""

from __future__ import annotations

import importlib


class lazy:  # noqa: N801 (used like a module or a function: a lower-case name reads as what it stands for)
    """Stands for ``module`` (or its ``attribute``) and imports it on first use: an attribute read, a call."""

    __slots__ = ("_module", "_attribute", "_target")

    def __init__(self, module: str, attribute: str | None = None):
        object.__setattr__(self, "_module", module)
        object.__setattr__(self, "_attribute", attribute)
        object.__setattr__(self, "_target", None)

    def _resolve(self):
        target = self._target
        if target is None:
            target = importlib.import_module(self._module)
            if self._attribute is not None:
                target = getattr(target, self._attribute)
            object.__setattr__(self, "_target", target)
        return target

    def __getattr__(self, name: str):
        return getattr(self._resolve(), name)

    def __call__(self, *args, **kwargs):
        return self._resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        name = self._module + (f".{self._attribute}" if self._attribute else "")
        return f"<lazy {name}{'' if self._target is None else ' (imported)'}>"
