"""``derivspec`` command line (DESIGN.md, "Public interface").

Exit codes: 0 holds / equivalent; 1 a check failed / not equivalent; 2 bad usage or bad input
(one line on stderr, no traceback); 3 inconclusive.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import metadata

from derivspec.core.errors import EXIT_BAD_INPUT, EXIT_INCONCLUSIVE, DerivspecError

MAX_MESSAGE = 400  # characters of an error line (a pasted formula can be long)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2."""

    def error(self, message):
        raise DerivspecError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="derivspec", description="Verify the mathematics of machine-learning lecture notes.")
    parser.add_argument("--version", action="version", version=f"derivspec {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    listing = commands.add_parser("list", help="list the claims")
    listing.add_argument("--json", action="store_true")

    show = commands.add_parser("show", help="symbols, target, derivation steps and sources of a claim")
    show.add_argument("claim")
    show.add_argument("--json", action="store_true")

    verify = commands.add_parser("verify", help="verify claims (all by default) and print the table")
    verify.add_argument("claims", nargs="*", metavar="CLAIM")
    verify.add_argument("--json", action="store_true")
    verify.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    verify.add_argument("--seed", type=int, default=0)

    check = commands.add_parser("check", help="check a formula against a claim's derived target")
    check.add_argument("claim")
    form = check.add_mutually_exclusive_group(required=True)
    form.add_argument("--formula", help="SymPy syntax with the claim's symbol names, e.g. 'log(sigma2/sigma1)'")
    form.add_argument("--latex", help=r"LaTeX with the claim's LaTeX names, e.g. '\frac{(y-\mu)^2}{2\sigma^2}'")
    check.add_argument("--at", action="append", default=[], metavar="NAME=VALUE",
                       help="also compare at this point (repeat for each variable)")
    check.add_argument("--seed", type=int, default=0)
    check.add_argument("--json", action="store_true")

    errata = commands.add_parser("errata", help="source statements found wrong, with evidence")
    errata.add_argument("--json", action="store_true")
    errata.add_argument("--seed", type=int, default=0)
    return parser


def _version() -> str:
    try:
        return metadata.version("derivspec")
    except metadata.PackageNotFoundError:
        return "unknown"


def _one_line(text: str) -> str:
    message = " ".join(str(text).split())  # one line, whatever the input held
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 3] + "..."


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        from derivspec import commands  # heavy imports (sympy, torch) only after parsing

        return getattr(commands, f"run_{args.command}")(args)
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
    except Exception as error:  # a defect: one line, never a traceback (DERIVSPEC_DEBUG=1 shows it)
        if os.environ.get("DERIVSPEC_DEBUG"):
            raise
        print(f"derivspec: internal error: {type(error).__name__}: {_one_line(error)}", file=sys.stderr)
        return EXIT_INCONCLUSIVE


if __name__ == "__main__":
    sys.exit(main())
