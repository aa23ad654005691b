"""``derivspec`` command line (DESIGN.md, "Public interface").

Exit codes: 0 holds / equivalent; 1 a check failed / not equivalent; 2 bad usage or bad input
(one line on stderr, no traceback); 3 inconclusive.
"""

from __future__ import annotations

import argparse
import os
import sys

from derivspec.app.output import one_line as _one_line
from derivspec.app.paths import path_problem
from derivspec.app.scan_formats import FORMATS as SCAN_FORMATS
from derivspec.core.errors import EXIT_BAD_INPUT, EXIT_INCONCLUSIVE, DerivspecError
from derivspec.core.limits import time_scale

SEED_MAX = 2 ** 32 - 1  # --seed range: every seed derived from it fits torch's generators
VALUE_OPTIONS = ("--formula", "--latex", "--at")  # their value may start with '-' (a formula)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2, and that prints its help
    (``-h``) as one JSON object when ``--json`` is on the command line (``json_help``, set by
    :func:`main`): ``{"command", "usage", "help"}`` on stdout, exit code 0 -- a JSON consumer
    always reads JSON."""

    json_help = False

    def error(self, message):
        raise DerivspecError(f"{self.prog}: {message}")

    def format_help(self):
        """The help, with the help texts that are made when they are shown (an action whose ``help`` is
        a :class:`LazyHelp`: the rule codes and claim families --select takes are read only for -h)."""
        for action in self._actions:
            if isinstance(action.help, LazyHelp):
                action.help = action.help()
        return super().format_help()

    def print_help(self, file=None):
        if not self.json_help:
            return super().print_help(file)
        from derivspec.app.output import print_json

        usage = " ".join(self.format_usage().split()).removeprefix("usage: ")
        print_json({"command": self.prog, "usage": usage, "help": self.format_help()})


class LazyHelp:
    """An option's help text made when the help is shown (``-h``), not when the parser is built: the
    parser is built for every command, and the text may read the registries (``help % {}``-safe)."""

    def __init__(self, make):
        self.make = make

    def __call__(self) -> str:
        return self.make().replace("%", "%%")


def _bounded(convert, low, high, expected: str, doc: str):
    """An argparse type: ``convert(text)`` within [low, high], else one line naming the problem."""
    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, found {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {expected}, found {value if convert is int else text}")
        return value

    parse.__doc__ = doc
    return parse


seed_value = _bounded(int, 0, SEED_MAX, f"a whole number from 0 to {SEED_MAX}",
                      "A --seed: a whole number from 0 to SEED_MAX (larger seeds overflow torch's generators).")
jobs_value = _bounded(int, 1, 256, "a whole number from 1 to 256", "A --jobs count: a whole number from 1 to 256.")
time_limit_value = _bounded(float, 1, 600, "seconds from 1 to 600", "A --time-limit in seconds, from 1 to 600.")
file_time_limit_value = _bounded(float, 1, 86400, "seconds from 1 to 86400",
                                 "A --file-time-limit in seconds, from 1 to 86400 (a day).")


def _seeds_checked(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Every subcommand's --seed validated by seed_value (bad input, exit 2 -- not an overflow
    deep inside a numeric route)."""
    for action in parser._actions:
        for sub in getattr(action, "choices", None) or {}:
            subparser = action.choices[sub]
            for option in getattr(subparser, "_actions", ()):
                if option.dest == "seed":
                    option.type = seed_value
    return parser


def _wants_json(argv: list[str]) -> bool:
    """``--json`` (or an abbreviation argparse takes for it: ``--js``) before any ``--``."""
    for item in argv:
        if item == "--":
            return False
        if len(item) >= 3 and "--json".startswith(item):
            return True
    return False


def _help_as_json(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The parser and every subcommand's parser print their help as JSON (_Parser.print_help)."""
    parser.json_help = True
    for action in parser._actions:
        for subparser in (getattr(action, "choices", None) or {}).values():
            if isinstance(subparser, argparse.ArgumentParser):
                subparser.json_help = True
    return parser


def _values_joined(argv: list[str]) -> list[str]:
    """``--formula -h1 + ...`` as ``--formula=-h1 + ...``: argparse would take a value that
    starts with '-' for an option; a formula often starts with a minus sign."""
    joined, i = [], 0
    while i < len(argv):
        item = argv[i]
        if item in VALUE_OPTIONS and i + 1 < len(argv) and argv[i + 1].startswith("-") and argv[i + 1] != "--":
            joined.append(f"{item}={argv[i + 1]}")
            i += 2
            continue
        if item == "--":
            joined.extend(argv[i:])
            break
        joined.append(item)
        i += 1
    return joined


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="derivspec", description="Verify the mathematics of machine-learning lecture notes.")
    parser.add_argument("--version", action="version", version=f"derivspec {_version()}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    listing = commands.add_parser("list", help="list the claims")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--grep", action="append", default=[], metavar="WORD",
                         help="only the claims whose id, title, family or symbols contain WORD (any case; repeat: all)")

    show = commands.add_parser("show", help="symbols, target, derivation steps and sources of a claim")
    show.add_argument("claim")
    show.add_argument("--json", action="store_true")

    verify = commands.add_parser("verify", help="verify claims (all by default) and print the table")
    verify.add_argument("claims", nargs="*", metavar="CLAIM")
    verify.add_argument("--json", action="store_true")
    verify.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    verify.add_argument("--seed", type=int, default=0)
    verify.add_argument("--jobs", "-j", type=jobs_value, default=None, metavar="N",
                        help="worker processes (default: one per core); results do not depend on it")
    verify.add_argument("--no-cache", action="store_true",
                        help="run every check again: do not read the evidence cache (a claim this code verified "
                             "before on this device with this seed is otherwise printed from it)")

    check = commands.add_parser("check", help="check a formula against a claim's derived target")
    check.add_argument("claim")
    form = check.add_mutually_exclusive_group(required=True)
    form.add_argument("--formula", help="SymPy syntax with the claim's symbol names, e.g. 'log(sigma2/sigma1)'")
    form.add_argument("--latex", help=r"LaTeX with the claim's LaTeX names, e.g. '\frac{(y-\mu)^2}{2\sigma^2}'")
    check.add_argument("--symbols", metavar="YOURS=CLAIMS,...",
                       help=r"your letters for the claim's variables, e.g. '\mu_q=mu1,\sigma_q=sigma1' (without it, "
                            "letters the claim does not know are matched to its variables by structure)")
    check.add_argument("--at", action="append", default=[], metavar="NAME=VALUE",
                       help="also compare at this point (repeat for each variable)")
    check.add_argument("--seed", type=seed_value, default=0)
    check.add_argument("--time-limit", type=time_limit_value, default=None, metavar="SECONDS",
                       help="stop the check after this many seconds (inconclusive); default 30")
    check.add_argument("--json", action="store_true")

    errata = commands.add_parser("errata", help="source statements found wrong, with evidence")
    errata.add_argument("--json", action="store_true")
    errata.add_argument("--seed", type=int, default=0)

    coverage = commands.add_parser("coverage", help="per lecture, how many indexed statements are verified, disagree, "
                                                    "are not comparable, have no checkable content or are not yet encoded")
    coverage.add_argument("--json", action="store_true")
    coverage.add_argument("--seed", type=int, default=0)

    scan = commands.add_parser("scan", help="check every equation of lecture files (Markdown, LaTeX, text, Jupyter "
                                            "notebooks, Quarto, MyST) or of the lecture files in folders")
    scan.add_argument("files", nargs="+", metavar="FILE", help="lecture files, or folders to walk for them")
    scan.add_argument("--json", action="store_true")
    scan.add_argument("--only-flags", action="store_true", help="show only the statements found wrong")
    scan.add_argument("--format", choices=SCAN_FORMATS, default=None,
                      help="text (default), json (as --json), github (GitHub Actions annotations, one per flag) "
                           "or sarif (a SARIF 2.1.0 log for code scanning); the exit code does not depend on it")
    scan.add_argument("--quiet", "-q", action="store_true",
                      help="text output as a linter's: each file's summary line, then a row per finding "
                           "(path:line:col: CODE message [tag]: DS001 an error, DS001? a question, notice: and "
                           "warning: what is no flag) with its statement, correct form and counterexample "
                           "indented; no progress")
    scan.add_argument("--strict", action="store_true",
                      help="exit 1 on questions too (flags that rest on a guessed reading of a symbol); "
                           "without it the exit status counts errors only")
    scan.add_argument("--time-limit", type=time_limit_value, default=None, metavar="SECONDS",
                      help="per statement (default 8)")
    scan.add_argument("--file-time-limit", type=file_time_limit_value, default=None, metavar="SECONDS",
                      help="per file, reading and checking together (default 300): its statements left when it "
                           "is spent are reported unchecked, the scan goes on with the next file, exit code 3 "
                           "if nothing is flagged")
    scan.add_argument("--jobs", type=jobs_value, default=None, metavar="N",
                      help="worker processes, 1 to 256 (default: up to 2)")
    scan.add_argument("--include", action="append", default=[], metavar="GLOB",
                      help="in a folder, scan only files matching GLOB (relative path; repeatable; docs/settings.md)")
    scan.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                      help="in a folder, pass over files and folders matching GLOB (repeatable)")
    scan.add_argument("--config", default=None, metavar="FILE",
                      help="settings file (default: the nearest derivspec.toml or pyproject.toml [tool.derivspec])")
    scan.add_argument("--html", default=None, metavar="DIR",
                      help="also write the annotated lecture view: each file line by line, coloured by verdict, "
                           "with every flag beside its line (DIR/index.html; needs the report extra)")
    scan.add_argument("--output-file", "-o", default=None, metavar="FILE",
                      help="write the output (any --format) to FILE instead of stdout; the path is checked before "
                           "any work")
    scan.add_argument("--select", action="append", default=[], metavar="NAMES",
                      help=LazyHelp(lambda: selection_help("--select")))
    scan.add_argument("--ignore", action="append", default=[], metavar="NAMES",
                      help=LazyHelp(lambda: selection_help("--ignore")))
    scan.add_argument("--preview", action="store_true",
                      help="also run the rules still in preview (derivspec rules; a rule code in --select runs "
                           "that rule alone)")
    scan.add_argument("--scope", action="store_true",
                      help="print what the scan takes each symbol, function and operator to be, and how it knows "
                           "(declared, defined, notation, guess, unknown); nothing is checked (--json: {\"symbols\": [...]})")
    scan.add_argument("--no-cache", action="store_true",
                      help="check every file again: do not read or write the per-file result cache")
    scan.add_argument("--cache-dir", default=None, metavar="DIR",
                      help="the result cache's folder (default: $DERIVSPEC_SCAN_CACHE_DIR, else .derivspec_cache in the "
                           "working directory)")

    rules = commands.add_parser("rules", help="list scan's rules (code, name, family, status, summary), or print "
                                              "one rule's page")
    rules.add_argument("code", nargs="?", default=None, metavar="CODE|NAME",
                       help="a rule's code (DS201) or name (pmf-sums-to-one): print its page")
    rules.add_argument("--family", default=None, metavar="FAMILY",
                       help="list one family's rules (judge, dependence, laws, sign, consistency)")
    rules.add_argument("--json", action="store_true")

    report = commands.add_parser("report", help="write the offline HTML report (math, plots, errata)")
    report.add_argument("--out", default="derivspec-report", metavar="DIR", help="folder to write (default %(default)s)")
    report.add_argument("claims", nargs="*", metavar="CLAIM", help="only these claims (default: all)")
    report.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    report.add_argument("--seed", type=int, default=0)
    report.add_argument("--quick", action="store_true",
                        help="smaller reference-model runs for the plots (fewer draws and training steps); with "
                             "families or claims named (report --quick nll kl), only their claims and models")
    report.add_argument("--jobs", "-j", type=jobs_value, default=None, metavar="N",
                        help="worker processes for the claims and the models (default: one per core)")
    report.add_argument("--no-numeric", action="store_true", help="derivations and sources only: no numeric checks")
    report.add_argument("--no-plots", action="store_true", help="skip the reference-model runs and their plots")
    report.add_argument("--scan", nargs="*", default=None, metavar="FILE",
                        help="scan these lecture files into the report's scan page (default: the seeds in "
                             "../shared/seeds when present; --scan alone: no scan page)")

    run = commands.add_parser("run", help="list the reference models, or run one as an executable specification")
    run.add_argument("model", nargs="?", metavar="MODEL", help="a name from `derivspec run --list`, or all")
    chosen = run.add_mutually_exclusive_group()
    chosen.add_argument("--list", action="store_true", help="list the specifications (as `derivspec run` alone)")
    chosen.add_argument("--all", action="store_true", help="run every specification (as `derivspec run all`)")
    run.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--out", default="derivspec-run", metavar="DIR", help="folder for plots (default %(default)s)")
    run.add_argument("--quick", action="store_true", help="fewer draws and training steps")
    run.add_argument("--json", action="store_true", help="every check's statistic, threshold, n, false-fail rate "
                                                         "and power, the tables and the plots, as JSON")

    from derivspec.app.conform import add_parser as add_conform  # `derivspec conform` (derivspec.testing)

    add_conform(commands)
    return _seeds_checked(parser)


def selection_help(option: str) -> str:
    """``scan --select`` / ``--ignore``'s help: what a value may be, with the rule codes by family and
    the claim families (derivspec.app.scan_selection.choices)."""
    from derivspec.app.scan_selection import choices

    codes, families, classes = choices()
    what = ("report only the statements that match" if option == "--select" else
            "leave out the statements that match")
    return (f"{what}: a rule code, a prefix of codes or a family of rules by name ({codes}; `derivspec rules` "
            "lists them"
            + (", and a code runs its rule even in preview" if option == "--select" else
               "; an ignored code's rule does not run") + f"), a claim family ({families}) or a longer "
            f"prefix of claim ids (kl.gaussian), or a statement class ({classes}); comma-separated, repeatable")


FIRST_STEPS = (
    ("list", "the claims (--grep WORD finds one)"),
    ("show CLAIM", "a claim's symbols, derivation and sources"),
    ("check CLAIM --latex TEX", "is your formula the claim's?"),
    ("scan FILE", "check every equation of your notes"),
    ("verify [CLAIM]", "derivation, numeric checks, wrong variants"),
)


def first_steps(parser: argparse.ArgumentParser) -> str:
    """What a bare ``derivspec`` prints on stdout (exit 2, as ruff does): the usage and the five commands a
    newcomer starts with, within 80 columns."""
    width = max(len(command) for command, _ in FIRST_STEPS)
    lines = [parser.format_usage().rstrip(), "", "Start with:"]
    lines += [f"  derivspec {command:<{width}}  {what}" for command, what in FIRST_STEPS]
    lines += ["", "Every command: derivspec -h; one command's options: derivspec COMMAND -h."]
    return "\n".join(lines)


def _version() -> str:
    import derivspec

    return derivspec.__version__  # the installed metadata's version (pyproject.toml's)


QUICK_EXIT = frozenset({"check", "list", "show"})
"""Read-only commands that leave without the interpreter's teardown (about 70 ms with SymPy
loaded, a sixth of a ``check``): everything they write is written and flushed by then."""


def _exit_now(code: int) -> None:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        code = 0
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    try:
        words = _values_joined(sys.argv[1:] if argv is None else list(argv))
        parser = _help_as_json(build_parser()) if _wants_json(words) else build_parser()
        args = parser.parse_args(words)
        if args.command is None:  # a bare `derivspec`: the usage and where a newcomer starts, exit 2
            print(first_steps(parser))
            return EXIT_BAD_INPUT
        time_scale()  # a malformed DERIVSPEC_TIME_SCALE is bad input before any work
        from derivspec.app import commands  # heavy imports (sympy, torch) only after parsing

        code = getattr(commands, f"run_{args.command}")(args)
        if argv is None and args.command in QUICK_EXIT:
            _exit_now(code)
        return code
    except DerivspecError as error:
        print(f"derivspec: error: {_one_line(error)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("derivspec: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `derivspec list --json | head`: the reader left; stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as error:  # a path the command could not use (a folder that cannot be written, a name too long)
        if error.filename is None or os.environ.get("DERIVSPEC_DEBUG"):
            return _internal_error(error)
        print(f"derivspec: error: {_one_line(path_problem(error))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as error:
        return _internal_error(error)


def _internal_error(error: Exception) -> int:
    """A defect: one line, never a traceback (DERIVSPEC_DEBUG=1 shows it)."""
    if os.environ.get("DERIVSPEC_DEBUG"):
        raise error
    print(f"derivspec: internal error: {type(error).__name__}: {_one_line(error)}", file=sys.stderr)
    return EXIT_INCONCLUSIVE


if __name__ == "__main__":
    sys.exit(main())
