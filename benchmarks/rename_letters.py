"""The metamorphic gate's renaming (issue 42, step 1): a lecture with its letters renamed
consistently inside math, to letters the document does not use.

What a statement means does not depend on the letter that names a quantity: a scan of the renamed
copy must give every statement the verdict it gives the original. Inside every math fragment that
``derivspec.scan.extract.fragments`` finds (the scanner's own reading of where math is), each
standalone occurrence of a renamed letter is replaced -- a Latin letter with no letter on either
side (``x`` in ``x_t``, ``p(x|z)``, ``\\mathbf{x}``; not in ``\\exp`` or ``max``) or in a run of two
letters, which math reads as two (``dx``, ``yx``; not ``ln``), a Greek command
as a whole (``\\theta``, not ``\\thetas``) -- and nothing inside ``\\text{…}``, ``\\mathrm{…}``,
``\\operatorname{…}``, ``\\label{…}`` and the like, whose letters are words. Prose is left alone.

The renaming: each source letter below goes to the first of its targets that the document's math
does not use anywhere and no other source took; a letter with no free target keeps its name.

    python benchmarks/rename_letters.py SRC DEST           # every lecture file under SRC, renamed, to DEST
    python benchmarks/rename_letters.py SRC DEST --show    # and the mapping of each file
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from derivspec.app.inputs import SUFFIXES  # noqa: E402
from derivspec.core.latex import _BARE_WORDS as BARE_WORDS  # noqa: E402  the words the reader reads as one name
from derivspec.scan.extract import file_kind, fragments, read_lecture  # noqa: E402

# source -> targets, in preference order (issue 42: z->v, q->r, theta->psi, phi->vartheta, f->g,
# x->u, p->pi where pi is free)
RENAMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("z", ("v", "h", "w")),
    ("q", ("r", r"\rho", "s")),
    (r"\theta", (r"\psi", r"\vartheta", r"\eta")),
    (r"\phi", (r"\vartheta", r"\lambda", r"\omega")),
    ("f", ("g", "h", "k")),
    ("x", ("u", "w", "s")),
    ("p", (r"\pi", r"\rho", "r")),
)
# commands whose braced argument is words, a name or a colour, never a variable
_WORD_ARGUMENT = re.compile(r"\\(?:text\w*|mathrm|operatorname\*?|mbox|label|tag|ref|eqref|begin|end|color|"
                            r"textcolor|mathop|hbox|mathtt|href|url|cite|emph)\s*\{")
_TOKEN = re.compile(r"\\[A-Za-z]+|[A-Za-z]+")


def _word_spans(body: str) -> list[tuple[int, int]]:
    """The braced arguments of :data:`_WORD_ARGUMENT` commands in ``body`` (nested braces kept)."""
    spans = []
    for match in _WORD_ARGUMENT.finditer(body):
        depth, i = 1, match.end()
        while i < len(body) and depth:
            depth += {"{": 1, "}": -1}.get(body[i], 0) if body[i - 1] != "\\" else 0
            i += 1
        spans.append((match.end(), i))
    return spans


def _tokens(body: str):
    """(start, end, token) of every letter token outside word arguments: a command (``\\theta``)
    or a run of letters (a run of one is a standalone letter)."""
    words = _word_spans(body)
    for match in _TOKEN.finditer(body):
        if not any(a <= match.start() < b for a, b in words):
            yield match.start(), match.end(), match.group()


def math_bodies(text: str, kind: str) -> list[tuple[int, int]]:
    """(start, end) of every math fragment's body in ``text``, in order, not overlapping."""
    spans, last = [], -1
    for fragment in fragments(text, "renamed", kind):
        if fragment.start >= last:
            spans.append((fragment.start, fragment.end))
            last = fragment.end
    return spans


def letters_used(text: str, kind: str) -> set[str]:
    return {token for start, end in math_bodies(text, kind) for _, _, token in _tokens(text[start:end])}


def choose(used: set[str]) -> dict[str, str]:
    """The renaming of a document whose math uses ``used``: each source it uses to its first free target.
    A Latin letter's capital goes with it when the document uses both (a random variable X and its
    value x: x -> u renames X -> U) and the target's capital is free; otherwise neither is renamed."""
    mapping: dict[str, str] = {}
    for source, targets in RENAMES:
        if source not in used:
            continue
        taken = used | set(mapping.values())
        free = [t for t in targets if t not in taken]
        if source.isalpha() and source.upper() in used:  # X with x: both or neither
            free = [t for t in free if t.isalpha() and t.upper() not in taken]
            if free:
                mapping[source.upper()] = free[0].upper()
        if free:
            mapping[source] = free[0]
    return mapping


def _rename_body(body: str, mapping: dict[str, str]) -> str:
    out, at = [], 0
    for start, end, token in _tokens(body):
        # a run of two letters is two letters in math (dx, yx); a longer run is a word (data, prior)
        pieces = [(start + i, start + i + 1, c) for i, c in enumerate(token)] if len(token) == 2 and \
            not token.startswith("\\") and token not in BARE_WORDS else [(start, end, token)]
        for start, end, token in pieces:
            if token in mapping:
                target = mapping[token]
                following = body[end:end + 1]
                if target.startswith("\\") and following.isalpha():
                    target += " "  # \pi x, not \pix
                out += [body[at:start], target]
                at = end
    return "".join(out) + body[at:]


def rename(text: str, kind: str = "md", mapping: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
    """``text`` with its math renamed, and the mapping used (chosen by :func:`choose` when not given)."""
    if mapping is None:
        mapping = choose(letters_used(text, kind))
    if not mapping:
        return text, mapping
    out, at = [], 0
    for start, end in math_bodies(text, kind):
        out += [text[at:start], _rename_body(text[start:end], mapping)]
        at = end
    return "".join(out) + text[at:], mapping


def rename_folder(source: Path, destination: Path) -> dict[str, dict[str, str]]:
    """Every lecture file under ``source`` renamed into ``destination`` (same relative paths; other
    files, such as ``.sty`` packages, copied as they are); the mapping of each file."""
    mappings = {}
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        target = destination / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        kind = file_kind(path)
        if path.suffix.lower() not in SUFFIXES or kind == "ipynb":
            shutil.copyfile(path, target)
            continue
        try:
            text = read_lecture(path)
        except Exception:  # unreadable as a lecture: copied, scan will say so for both copies
            shutil.copyfile(path, target)
            continue
        renamed, mapping = rename(text, kind)
        target.write_text(renamed, encoding="utf-8")
        mappings[str(path.relative_to(source))] = mapping
    return mappings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("destination", type=Path)
    parser.add_argument("--show", action="store_true", help="print each file's mapping")
    args = parser.parse_args(argv)
    mappings = rename_folder(args.source, args.destination)
    if args.show:
        for name, mapping in mappings.items():
            print(f"{name}: " + ", ".join(f"{a}->{b}" for a, b in mapping.items()))
    print(f"{len(mappings)} files renamed into {args.destination}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
