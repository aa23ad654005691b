"""The `derivspec conform` sessions of docs/testing.md, run as written in examples/ (the docs' homework and
losses modules), and rewritten with what they print now.

    .venv/bin/python scripts/docs_sessions.py            # run every session; exit 1 where one differs
    .venv/bin/python scripts/docs_sessions.py --update   # write the outputs back into docs/testing.md

A session is a line ``$ derivspec conform ...`` in a fenced block, the lines it prints, and ``exit N``.
property_tests/test_docs_conform.py runs them (and checks that the docs' code blocks are examples/' code).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "testing.md"
EXAMPLES = ROOT / "examples"
SESSION = re.compile(r"^\$ (derivspec conform .*)$")


@dataclass
class Session:
    line: int  # 0-based index of the '$' line in the docs
    command: str
    output: list[str]
    exit_code: int
    end: int  # index of the 'exit N' line


def sessions(text: str) -> list[Session]:
    lines = text.splitlines()
    found, i = [], 0
    while i < len(lines):
        match = SESSION.match(lines[i])
        if not match:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not re.fullmatch(r"exit \d", lines[j]):
            if SESSION.match(lines[j]) or lines[j].startswith("```"):
                raise ValueError(f"docs/testing.md line {i + 1}: a session without its 'exit N' line")
            j += 1
        found.append(Session(i, match.group(1), lines[i + 1:j], int(lines[j].split()[1]), j))
        i = j + 1
    return found


def run(command: str) -> tuple[int, list[str]]:
    """The command run in-process in examples/ (as `cd examples && derivspec ...`): exit code and output lines."""
    from derivspec.app.cli import main

    words = shlex.split(command)[1:]
    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()
    os.chdir(EXAMPLES)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(words)
            except SystemExit as stop:
                code = int(stop.code or 0)
    finally:
        os.chdir(before)
    return code, (out.getvalue() + err.getvalue()).rstrip("\n").splitlines()


def same_headline(expected: list[str], actual: list[str]) -> bool:
    """A pass keeps its verdict ('conforms to CLAIM'); a failure its whole first line (the slip named)."""
    if not expected or not actual:
        return expected == actual
    if expected[0].startswith("conforms to "):
        return actual[0].split(":")[0] == expected[0].split(":")[0]
    return actual[0] == expected[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="write what the sessions print into docs/testing.md")
    options = parser.parse_args(argv)
    sys.path.insert(0, str(EXAMPLES))
    text = DOCS.read_text(encoding="utf-8")
    lines = text.splitlines()
    differ = 0
    for session in reversed(sessions(text)):
        code, output = run(session.command)
        if code != session.exit_code or not same_headline(session.output, output):
            differ += 1
            print(f"docs/testing.md:{session.line + 1}: {session.command}\n  docs: exit {session.exit_code}: "
                  f"{(session.output or [''])[0]}\n  now:  exit {code}: {(output or [''])[0]}")
        lines[session.line + 1:session.end + 1] = output + [f"exit {code}"]
    if options.update:
        DOCS.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {DOCS}")
    return 1 if differ and not options.update else 0


if __name__ == "__main__":
    sys.exit(main())
