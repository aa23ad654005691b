"""The re-spacing copy (issue 58, "Letters and spacing decide nothing"): a lecture with the same math
spaced differently, for a scan that must give every statement the verdict it gives the original.

Inside every math fragment that ``derivspec.scan.extract.fragments`` finds (a notebook's Markdown
cells too), outside words (``\\text{…}``, ``\\mathrm{…}``, … as in ``rename_letters.py``):

* a space after ``,`` and after ``:`` where none follows (not in ``\\,``, ``:=``, ``::``, nor a thousands
  separator ``1,000``);
* a space on both sides of a relation written with ``<`` or ``>`` (``<=``, ``>=``, ``<<`` kept whole;
  ``->`` and an angle delimiter ``\\left<`` left as they are);
* ``\\left(`` … ``\\right)`` and ``\\left[`` … ``\\right]`` as plain brackets, a pair at a time and
  only where both ends are plain and no ``\\middle`` stands between them at their level (``\\left.``
  … ``\\right)`` keeps both ends: one alone would not be LaTeX).

Spaces and sized brackets change no meaning in math; no line is added or removed, prose is left alone.

    python benchmarks/respace_math.py SRC DEST            # every lecture file under SRC, re-spaced, to DEST
    python benchmarks/respace_math.py SRC DEST --show     # and the number of edits in each file
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rename_letters  # noqa: E402  (math_bodies, word spans, notebooks; it puts derivspec on the path)
from derivspec.app.inputs import SUFFIXES  # noqa: E402
from derivspec.scan.extract import ScanError, file_kind, read_lecture  # noqa: E402

_PUNCTUATION = re.compile(r"(?<!\\)([,:])(?![\s=:<>])(?=.)(?!(?<=\d,)\d{3}(?!\d))", re.DOTALL)  # not 1,000
_ANGLE = re.compile(r"[ \t]*([<>=]*[<>][<>=]*)[ \t]*")  # a relation written with < or >: <, <=, <<, =>
_DELIMITER_BEFORE = re.compile(r"\\(?:left|right|middle|[bB]igg?[lrm]?)\s*$")
_SIZED = re.compile(r"\\(left|right|middle)(?![A-Za-z])\s*(\\[{}]|\\[A-Za-z]+|[()\[\].|/])?")
PLAIN = {"(": ")", "[": "]"}


def _outside(spans: list[tuple[int, int]], at: int) -> bool:
    return not any(a <= at < b for a, b in spans)


def _plain_pairs(body: str, words: list[tuple[int, int]]) -> list[tuple[re.Match, re.Match]]:
    """The ``\\left X`` … ``\\right Y`` pairs with X, Y a plain bracket pair and no ``\\middle`` at their level."""
    stack, pairs = [], []
    for match in _SIZED.finditer(body):
        if not _outside(words, match.start()):
            continue
        kind = match.group(1)
        if kind == "left":
            stack.append([match, False])
        elif kind == "middle":
            if stack:
                stack[-1][1] = True
        elif stack:
            opening, middle = stack.pop()
            if not middle and opening.group(2) in PLAIN and PLAIN[opening.group(2)] == match.group(2):
                pairs.append((opening, match))
    return pairs


def respace_body(body: str) -> tuple[str, int]:
    """One math body re-spaced (module docstring), and the number of edits."""
    words = rename_letters._word_spans(body)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), not overlapping
    for opening, closing in _plain_pairs(body, words):
        edits.append((opening.start(), opening.end(), opening.group(2)))
        edits.append((closing.start(), closing.end(), closing.group(2)))
    sized = [(a, b) for a, b, _ in edits]
    for match in _PUNCTUATION.finditer(body):
        if _outside(words, match.start()) and _outside(sized, match.start()):
            edits.append((match.end(1), match.end(1), " "))
    for match in _ANGLE.finditer(body):
        at = match.start(1)
        before = body[:match.start()]
        if (not _outside(words, at) or not _outside(sized, at) or before.endswith(("\\", "-"))
                or _DELIMITER_BEFORE.search(before)):
            continue  # \<, ->, an angle delimiter (\left<): left as they are
        wanted = f" {match.group(1)} "
        if match.group() != wanted:
            edits.append((match.start(), match.end(), wanted))
    edits.sort()
    out, at, count = [], 0, 0
    for start, end, replacement in edits:
        if start < at:  # overlapping edits: the first wins
            continue
        out += [body[at:start], replacement]
        at, count = end, count + 1
    return "".join(out) + body[at:], count


def respace(text: str, kind: str = "md") -> tuple[str, int]:
    """``text`` with every math body re-spaced, and the number of edits."""
    out, at, count = [], 0, 0
    for start, end in rename_letters.math_bodies(text, kind):
        body, edits = respace_body(text[start:end])
        out += [text[at:start], body]
        at, count = end, count + edits
    return "".join(out) + text[at:], count


def respace_path(source: Path, destination: Path) -> int:
    """One lecture file re-spaced into ``destination`` (a notebook: its Markdown cells); the number
    of edits, 0 (and the file copied as it is) when it is not text a scan reads."""
    kind = file_kind(source)
    try:
        text = read_lecture(source)
        if kind == "ipynb":
            counted = []

            def transform(texts):
                done = [respace(t, "md") for t in texts]
                counted.extend(n for _, n in done)
                return [t for t, _ in done]
            result = rename_letters.transform_notebook(text, transform)
            count = sum(counted)
        else:
            result, count = respace(text, kind)
    except (ScanError, ValueError, AttributeError, TypeError):  # not a lecture or not a notebook scan reads:
        if source != destination:  # copied as it is, and scan says so of both copies
            shutil.copyfile(source, destination)
        return 0
    destination.write_text(result, encoding="utf-8")
    return count


def respace_folder(source: Path, destination: Path) -> dict[str, int]:
    """Every lecture file under ``source`` re-spaced into ``destination`` (same relative paths; other
    files copied as they are); the number of edits of each file."""
    counts = {}
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        target = destination / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() not in SUFFIXES:
            shutil.copyfile(path, target)
            continue
        counts[str(path.relative_to(source))] = respace_path(path, target)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("destination", type=Path)
    parser.add_argument("--show", action="store_true", help="print the number of edits of each file")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(f"respace_math: {args.source} is not a folder", file=sys.stderr)
        return 2
    if args.destination.resolve() == args.source.resolve():
        print("respace_math: the destination must differ from the source", file=sys.stderr)
        return 2
    counts = respace_folder(args.source, args.destination)
    if args.show:
        for name, count in counts.items():
            print(f"{name}: {count} edits")
    print(f"{len(counts)} files re-spaced into {args.destination}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
