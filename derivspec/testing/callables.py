"""What a user points at, as a function to call by keyword: a function, a bound method, a class
instantiated with ``init`` (its ``__call__``; an ``nn.Module``'s ``forward``, called through the module so
its hooks run), or an instance of one; and the framework its code is written in (the module it was
defined in imports torch, jax or only NumPy -- the names its code reads first), which decides what it
is handed first.
"""

from __future__ import annotations

import ast
import functools
import inspect
import types
from typing import Callable

from derivspec.testing.errors import HINT_SYNTAX, ConformanceUsageError

FRAMEWORKS = ("torch", "jax", "numpy")  # in the order a module that imports several is read as


def is_torch_module(obj) -> bool:
    return any(f"{k.__module__}.{k.__qualname__}" == "torch.nn.modules.module.Module" for k in type(obj).__mro__)


def as_function(obj, name: str | None = None) -> Callable:
    """``obj`` as a function whose signature lists the parameters to pass by name."""
    if isinstance(obj, type):
        hint = "--init NAME=VALUE ..." if HINT_SYNTAX.get() == "cli" else "an instance"
        raise ConformanceUsageError(f"{obj.__qualname__} is a class: give {hint} to construct it")
    if inspect.isfunction(obj) or inspect.ismethod(obj) or inspect.isbuiltin(obj) or isinstance(obj, functools.partial):
        return obj
    method = getattr(obj, "forward", None) if is_torch_module(obj) else getattr(type(obj), "__call__", None)
    if method is None or not callable(obj):
        raise ConformanceUsageError(f"{name or type(obj).__name__} is not a function")
    bound = getattr(obj, "forward") if is_torch_module(obj) else obj.__call__

    def call(**kwargs):
        return obj(**kwargs)

    call.__signature__ = inspect.signature(bound)
    call.__name__ = call.__qualname__ = f"{type(obj).__name__}.{'forward' if is_torch_module(obj) else '__call__'}"
    call.__wrapped__ = bound
    call.__module__ = type(obj).__module__
    return call


def construct(cls: type, init: list[str]):
    """An instance of ``cls`` from ``init`` words (``NAME=VALUE`` by keyword, else by position; a value
    is a Python literal, or the word itself)."""
    args, kwargs = [], {}
    for word in init:
        name, sep, text = word.partition("=")
        if sep and name.strip().isidentifier():
            kwargs[name.strip()] = _literal(text)
        else:
            args.append(_literal(word))
    try:
        return cls(*args, **kwargs)
    except Exception as error:  # the user's constructor: bad input, one line
        message = " ".join(str(error).split())
        hint = " (give its arguments with --init NAME=VALUE ...)" if not init and isinstance(error, TypeError) else ""
        raise ConformanceUsageError(f"constructing {cls.__qualname__} raised {type(error).__name__}: {message}{hint}") from None


def _literal(text: str):
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return text.strip()


def framework_of(fn) -> str | None:
    """The framework the function's code uses (the globals it names: ``torch.log``, ``np.exp``, ``F``),
    else the one its module imports -- torch before jax before NumPy -- or None."""
    target = inspect.unwrap(fn) if callable(fn) else fn
    target = getattr(target, "__func__", target)
    module_globals = getattr(target, "__globals__", None)
    code = getattr(target, "__code__", None)
    if module_globals is None:
        return None
    used = set()
    stack = [code] if code is not None else []
    while stack:  # the names the function (and the functions nested in it) reads
        current = stack.pop()
        used.update(current.co_names)
        stack.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
    named = _roots(module_globals[n] for n in used if n in module_globals)
    found = named or _roots(module_globals.values())
    return next((f for f in FRAMEWORKS if f in found), None)


def _roots(values) -> set:
    found = set()
    for value in list(values):
        root = None
        if isinstance(value, types.ModuleType):
            root = value.__name__.split(".")[0]
        elif callable(value) and isinstance(getattr(value, "__module__", None), str):
            root = value.__module__.split(".")[0]
        if root in FRAMEWORKS or root == "jaxlib":
            found.add("jax" if root == "jaxlib" else root)
    return found
