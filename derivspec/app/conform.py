"""``derivspec conform``: test the user's implementation against a claim (or a sampler against a law).

    derivspec conform CLAIM MODULE:FUNCTION [--args PARAM=EXPR ...] [--convention KEY=VALUE ...]
                      [--wrt SYMBOL ...] [--seed N] [--max-examples N] [--device cpu|cuda] [--json]
    derivspec conform --law LAW MODULE:FUNCTION [--args PARAM=EXPR ...] [--false-fail P] [--seed N] [--json]

MODULE is a module importable from the current folder (``student.losses``) or a path to a ``.py``
file. Exit codes: 0 conforms; 1 does not (the slip named, a shrunk counterexample shown); 2 bad
input (an unknown claim or law, a module that does not import, a missing function, an expression
naming no symbol of the claim, an unknown convention); 3 inconclusive (too few valid inputs).
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import os
import sys
from pathlib import Path

from derivspec.core.errors import EXIT_FAILED, EXIT_INCONCLUSIVE, EXIT_OK


def add_parser(commands) -> None:
    """The ``conform`` subcommand's arguments (called from :func:`derivspec.app.cli.build_parser`)."""
    conform = commands.add_parser(
        "conform", help="test your implementation of a claim (or your sampler of a law): the slip named, a minimal "
                        "counterexample shown")
    original = conform.format_help

    def format_help() -> str:  # the claim families, discovered when help is asked for (not at every start)
        from derivspec.core import registry

        families = sorted({claim_id.split(".")[0] for claim_id in registry.REGISTRY.ids()})
        return (original() + "\nclaim families: " + ", ".join(families) + "\n  find a claim: derivspec list --grep WORD;"
                " or from your function: derivspec conform --suggest MODULE:FUNCTION\n")

    conform.format_help = format_help
    conform.add_argument("targets", nargs="*", metavar="CLAIM MODULE:FUNCTION",
                         help="a claim id and your function (MODULE importable from here, or a path to a .py file); "
                              "with --law only MODULE:FUNCTION")
    conform.add_argument("--suggest", default=None, metavar="MODULE:FUNCTION",
                         help="what does my function compute? try the claims whose symbols fit it (by name or "
                              "through --args) and list those it conforms to, with the declarations each needs")
    conform.add_argument("--law", default=None, metavar="LAW", help="check a sampler against this law instead of a "
                                                                    "function against a claim (`--law list` lists them)")
    conform.add_argument("--args", nargs="+", action="extend", default=[], metavar="PARAM=EXPR",
                         help="your parameter as an expression in the claim's symbols, e.g. lv1='2*log(sigma1)' or "
                              "logits='[h1, h2, h3]' (one or more words)")
    conform.add_argument("--convention", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                         help="reduction=none|mean|sum (over a batch axis), log_base=e|2|10")
    conform.add_argument("--up-to", action="append", default=[], choices=("constant", "scale", "sign"),
                         help="your output is the target up to an additive constant, a positive factor or its sign "
                              "(repeatable); the report gives the constant or factor found, the same at every input")
    conform.add_argument("--fix", nargs="+", action="extend", default=[], metavar="SYMBOL=VALUE",
                         help="hold a claim variable at a value (sigma=1 for a loss written as a squared error)")
    conform.add_argument("--precision", default=None, metavar="float32|float64|RTOL",
                         help="judge the output at this accuracy (float32 round-off, or a relative tolerance)")
    conform.add_argument("--schedule", default=None, metavar="linear|cosine",
                         help="diffusion code: your function takes a schedule (parameters named betas, alphas or "
                              "alphas_cumprod, or mapped to them with --args) and the timestep index t")
    conform.add_argument("--steps", type=int, default=None, metavar="T", help="with --schedule: T (default 1000)")
    conform.add_argument("--index", type=int, default=None, choices=(0, 1),
                         help="with --schedule: the index of the first timestep (default: detected)")
    batching = conform.add_mutually_exclusive_group()
    batching.add_argument("--batched", dest="batching", action="store_const", const="batched", default=None,
                          help="your function takes a batch (a leading axis of inputs); it is called batched and per "
                               "input, and the two must agree (default: decided, and said in the report's first line)")
    batching.add_argument("--unbatched", dest="batching", action="store_const", const="unbatched",
                          help="your function is written for one input at a time: it is never handed a batch")
    conform.add_argument("--size", nargs="+", action="extend", default=[], metavar="NAME=VALUE",
                         help="hold a size of the claim's vectors at your own value (D=784 for MNIST code); "
                              "without it every size is drawn")
    conform.add_argument("--wrt", nargs="+", action="extend", default=[], metavar="SYMBOL",
                         help="your function is the derivative of the target by these claim variables")
    conform.add_argument("--init", nargs="+", action="extend", default=[], metavar="ARG",
                         help="constructor arguments when MODULE:Class.method or MODULE:Class (an nn.Module: its "
                              "forward) is tested: NAME=VALUE by keyword, VALUE by position (Python literals)")
    conform.add_argument("--seed", type=int, default=0)
    conform.add_argument("--max-examples", type=int, default=None, metavar="N", help="inputs to draw (default 100)")
    conform.add_argument("--false-fail", type=float, default=None, metavar="P",
                         help="with --law: the probability that a right sampler fails (default 1e-6)")
    conform.add_argument("--device", default=None, choices=("cpu", "cuda", "auto"),
                         help="hand a torch function its tensors here (default: CPU, CUDA when its tensors are there)")
    conform.add_argument("--json", action="store_true")


def _forget_if_elsewhere(module_name: str) -> None:
    """A module imported earlier in this process from another folder is not the working folder's
    MODULE.py: drop it, so ``conform homework:f`` reads ./homework.py (as a fresh process would)."""
    here = Path.cwd() / (module_name.replace(".", os.sep) + ".py")
    cached = sys.modules.get(module_name)
    where = getattr(cached, "__file__", None)
    if cached is not None and here.is_file() and (where is None or Path(where).resolve() != here.resolve()):
        del sys.modules[module_name]


def load_function(text: str, init: list[str] | None = None):
    """``MODULE:FUNCTION`` (or ``MODULE:Class.method``, ``MODULE:Class`` -- constructed with ``init``
    words -- or ``MODULE:instance``) -> a function; a one-line ConformanceUsageError when it cannot be had."""
    from derivspec.testing.errors import ConformanceUsageError

    module_name, sep, attribute = text.rpartition(":")
    if not sep or not module_name or not attribute:
        raise ConformanceUsageError(f"expected MODULE:FUNCTION, got {text!r}")
    path = Path(module_name)
    try:
        if module_name.endswith(".py") or os.sep in module_name or "/" in module_name:
            if not path.is_file():
                raise ConformanceUsageError(f"no file {module_name}")
            name = "derivspec_user_" + path.stem.replace("-", "_")
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.path.insert(0, str(path.resolve().parent))
            sys.modules[name] = module
            spec.loader.exec_module(module)
        else:
            if os.getcwd() not in sys.path:
                sys.path.insert(0, os.getcwd())
            _forget_if_elsewhere(module_name)
            module = importlib.import_module(module_name)
    except ConformanceUsageError:
        raise
    except SystemExit as error:
        raise ConformanceUsageError(f"module {module_name} does not import: it called exit({error.code})") from None
    except BaseException as error:  # the user's module: any failure to import is bad input
        if isinstance(error, KeyboardInterrupt):
            raise
        message = " ".join(str(error).split())
        raise ConformanceUsageError(f"module {module_name} does not import: {type(error).__name__}: {message}") from None
    from derivspec.testing.callables import as_function, construct

    function, constructed = module, False
    for index, part in enumerate(attribute.split(".")):
        if isinstance(function, type) and index > 0:  # Class.method: the method of an instance
            function, constructed = construct(function, init or []), True
        if not hasattr(function, part):
            names = [n for n in dir(function) if not n.startswith("_")]
            close = difflib.get_close_matches(part, names, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ConformanceUsageError(f"{module_name} has no function {attribute!r}{hint}")
        function = getattr(function, part)
    if isinstance(function, type):  # a class: its instance's __call__ (an nn.Module's forward)
        function, constructed = construct(function, init or []), True
    if init and not constructed:
        raise ConformanceUsageError(f"--init constructs a class, but {module_name}:{attribute} is not one")
    if not callable(function):
        raise ConformanceUsageError(f"{module_name}:{attribute} is not a function")
    return as_function(function, f"{module_name}:{attribute}")


def run_conform(args) -> int:
    from derivspec.testing.errors import HINT_SYNTAX

    _keep_hypothesis_out_of_the_folder()
    token = HINT_SYNTAX.set("cli")  # hints in a failure are written as options of this command
    try:
        return _run_conform(args)
    finally:
        HINT_SYNTAX.reset(token)


def _run_conform(args) -> int:
    from derivspec.app.output import print_json
    from derivspec.core.metadata import run_metadata
    from derivspec.testing.arguments import parse_words
    from derivspec.testing.errors import ConformanceInconclusive, ConformanceUsageError, NonConformance

    if args.law == "list":
        from derivspec.testing.laws import LAWS

        rows = [{"law": name, "params": list(law.params), "claims": list(law.claims), "title": law.title}
                for name, law in LAWS.items()]
        if args.json:
            print_json({"meta": run_metadata(), "laws": rows})
        else:
            for row in rows:
                print(f"{row['law']}: {row['title']} (parameters {', '.join(row['params'])}; claims "
                      f"{', '.join(row['claims'])})")
        return EXIT_OK
    if args.suggest:
        return _run_suggest(args)
    expected = 1 if args.law else 2
    if len(args.targets) != expected:
        what = "MODULE:FUNCTION" if args.law else "CLAIM MODULE:FUNCTION"
        raise ConformanceUsageError(f"conform expects {what}, got {' '.join(args.targets)!r}")
    if args.max_examples is not None and args.max_examples < 20:
        raise ConformanceUsageError(f"--max-examples must be at least 20, got {args.max_examples}")
    from derivspec.core.catalogue import use_module_index

    use_module_index()  # import the claim's own module, not every family
    mapping = parse_words(args.args, "--args")
    conventions = parse_words(args.convention, "--convention")
    fixed = parse_words(args.fix, "--fix")
    function = load_function(args.targets[-1], args.init)
    meta = run_metadata(args.seed, args.device)
    try:
        if args.law:
            from derivspec.testing.distribution import conforms_in_distribution

            if conventions or args.wrt or args.up_to or fixed or args.precision or args.batching or args.size:
                raise ConformanceUsageError("--convention, --wrt, --up-to, --fix, --precision, --batched, --unbatched "
                                            "and --size apply to functions, not to samplers (--law)")
            options = {} if args.false_fail is None else {"false_fail": args.false_fail}
            report = conforms_in_distribution(args.law, function, args=mapping or None, seed=args.seed,
                                              schedule=args.schedule, steps=args.steps, index=args.index, **options)
        else:
            from derivspec.testing.conforms import conforms

            if args.false_fail is not None:
                raise ConformanceUsageError("--false-fail applies to samplers (--law)")
            report = conforms(args.targets[0], function, args=mapping or None, conventions=conventions or None,
                              wrt=args.wrt or None, seed=args.seed, max_examples=args.max_examples,
                              device=args.device, up_to=args.up_to or None, fix=fixed or None,
                              precision=args.precision, schedule=args.schedule, steps=args.steps,
                              index=args.index, batching=args.batching, sizes=_sizes(args.size) or None)
    except NonConformance as failure:
        if args.json:
            print_json({**failure.to_json(), "meta": meta})
        else:
            print(str(failure))
        return EXIT_FAILED
    except ConformanceInconclusive as inconclusive:
        if args.json:
            print_json({"claim": args.law or args.targets[0], "conforms": None, "inconclusive": True,
                        "reason": str(inconclusive), "meta": meta})
        else:
            print(f"inconclusive: {inconclusive}")
        return EXIT_INCONCLUSIVE
    if args.json:
        print_json({**report.to_json(), "meta": meta})
    else:
        print(str(report))
    return EXIT_OK


def _keep_hypothesis_out_of_the_folder() -> None:
    """Hypothesis keeps its files in ``.hypothesis/`` of the current folder; the command keeps no example
    database, so its files go to derivspec's cache, not into the user's folder (unless the user chose a
    place: ``HYPOTHESIS_STORAGE_DIRECTORY``)."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return
    try:
        from hypothesis.configuration import set_hypothesis_home_dir
    except ImportError:  # the testing extra is missing: the command says so where it needs Hypothesis
        return

    from derivspec.core.cache import cache_dir

    set_hypothesis_home_dir(str(cache_dir() / "hypothesis"))


def _sizes(words: list[str]) -> dict:
    """``--size D=784`` words as {name: whole number}; anything else is bad input."""
    from derivspec.testing.arguments import parse_words
    from derivspec.testing.errors import ConformanceUsageError

    sizes = {}
    for name, text in parse_words(words, "--size").items():
        try:
            sizes[name] = int(text)
        except ValueError:
            raise ConformanceUsageError(f"--size {name}={text}: a size is a whole number") from None
    return sizes


def _run_suggest(args) -> int:
    """``conform --suggest MODULE:FUNCTION [--args ...]``: exit 0 with the claims it conforms to, 1 when none."""
    from derivspec.app.output import print_json
    from derivspec.core.metadata import run_metadata
    from derivspec.testing.arguments import parse_words
    from derivspec.testing.errors import ConformanceUsageError
    from derivspec.testing.suggest import suggest

    if args.targets or args.law:
        raise ConformanceUsageError("--suggest takes MODULE:FUNCTION only (no CLAIM, no --law)")
    mapping = parse_words(args.args, "--args")
    function = load_function(args.suggest, args.init)
    found = suggest(function, args=mapping or None, seed=args.seed)
    if args.json:
        print_json({"meta": run_metadata(args.seed, None), "function": args.suggest,
                    "suggestions": [s.to_json() for s in found]})
    elif not found:
        print(f"{args.suggest} conforms to no claim whose symbols fit its parameters; map them with --args "
              "PARAM=EXPR, or find a claim with `derivspec list --grep WORD`")
    else:
        print(f"{args.suggest} conforms to:")
        for suggestion in found:
            print(f"  {suggestion}")
    return EXIT_OK if found else EXIT_FAILED
