"""The metamorphic gate's renaming (issues 42 and 57): a lecture with its letters renamed
consistently inside math.

What a statement means does not depend on the letter that names a quantity: a scan of the renamed
copy must give every statement the verdict it gives the original. Inside every math fragment that
``derivspec.scan.extract.fragments`` finds (the scanner's own reading of where math is; a notebook's
Markdown cells, one renaming for the whole notebook), each standalone occurrence of a renamed name is
replaced -- a Latin letter with no letter on either side (``x`` in ``x_t``, ``p(x|z)``,
``\\mathbf{x}``; not in ``\\exp`` or ``max``) or in a run of two letters, which math reads as two
(``dx``, ``yx``; not ``ln``, ``KL``, ``tr``), a Greek command as a whole (``\\theta``, not
``\\thetas``) -- and nothing inside ``\\text{…}``, ``\\mathrm{…}``, ``\\operatorname{…}``,
``\\label{…}`` and the like, whose letters are words. Prose is left alone.

The default renaming (issue 57, build item 7: "a renaming that can fail") is a seeded permutation of
every single-letter Latin and Greek name the document's math uses. Each name moves (no fixed point),
to a target drawn among the names it uses (a name that moves in the same permutation: ``x -> y``
and ``y -> x``, case swaps included, ``x -> X``) and the letters it does not use at all, never to a
letter the document uses that does not move, never to ``p, q, P, Q, r, \\pi, \\rho`` (nor
``\\varrho, \\varpi``), so p and q always leave the letters a scanner may know by name. The mapping
is one bijection for the whole document, drawn by ``random.Random`` from the seed and the sorted
names (the same document gets the same renaming on every run).

Not names, so never renamed and never targets, because they carry a fixed meaning the renaming must
keep: ``e`` (Euler's number), ``\\pi`` and ``\\Pi``, ``I`` (identity, indicator), ``O`` (order);
``E`` where the document uses it as an expectation (``E[…]``, ``E_{q}[…]``) and ``d`` where it uses it
as a differential (``dx``, ``\\frac{d}{dx}``); ``H`` where it writes an entropy (``H(X)``, ``H[q]``),
``\\sigma`` where it applies a sigmoid (``\\sigma(x)``), ``N`` and ``t`` where it samples from a family
(``x \\sim N(0, 1)``, ``\\sim t(\\nu)``); ``T`` as a transpose (``x^T``, ``x^{\\mathsf T}``; ``T``
elsewhere is a name); letters of notation (``\\mathbb{E}``, ``\\mathcal{N}``, ``\\mathscr``,
``\\mathfrak``). Targets are never ``d, e, i, E, I, O, T`` either, nor ``\\Gamma, \\Phi, \\Delta,
\\Sigma, \\Pi, \\sigma, \\delta``, nor ``D, H, N, t``, whose conventional meanings (Gamma function, normal
CDF, difference, sum, product, sigmoid, Dirac; a divergence D(p ‖ q), entropy, and the normal and Student
families the knowledge table spells ``N(…)`` and ``t(…)``) would give a name a meaning its original did not have (issue 58: ``p``
renamed ``t`` made ``t(s)`` a Student law, ``p`` renamed ``N`` a normal one). A Latin target
next to a letter gets a space (``\\alpha\\beta -> a b``, not ``ab``), a command target before a letter
too (``\\pi x``): spaces change no meaning.

The renaming of issue 42 (each of seven letters to the first free target of a fixed list: z->v,
q->r, theta->psi, phi->vartheta, f->g, x->u, p->pi) stays reachable as ``--scheme issue42`` for the
figures measured with it.

    python benchmarks/rename_letters.py SRC DEST                  # every lecture file under SRC, renamed, to DEST
    python benchmarks/rename_letters.py SRC DEST --show           # and the names each file moved
    python benchmarks/rename_letters.py SRC DEST --seed 3         # another permutation
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(os.environ.get("DERIVSPEC_MEASURE_TREE") or ROOT))  # see scan_corpus.py
from derivspec.app.inputs import SUFFIXES  # noqa: E402
from derivspec.core.latex import _BARE_WORDS as BARE_WORDS  # noqa: E402  the words the reader reads as one name
from derivspec.scan.extract import ScanError, file_kind, fragments, read_lecture  # noqa: E402

SEED = 57
SCHEMES = ("permutation", "issue42")

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
    if kind == "tex":  # $…$ in a command's argument (a beamer block's title: "treat $p(z|x,w)$ as fixed") is no
        # fragment, but the scanner reads it in the prose before a display: renamed too, or the copy says another thing
        spans = sorted(spans + [(m.start(1), m.end(1)) for m in _INLINE_IN_ARGUMENT.finditer(text)
                                if not any(m.start() < end and start < m.end() for start, end in spans)])
    return spans


_INLINE_IN_ARGUMENT = re.compile(r"(?<![\\$])\$(?!\$)([^$\n{}]+?)(?<!\\)\$")


def choose_issue42(used: set[str]) -> dict[str, str]:
    """Issue 42's renaming of a document whose math uses ``used``: each source it uses to its first free target.
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


# --- the permutation of every name (issue 57) --------------------------------------------------------

GREEK_LOWER = ("alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
               "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "varpi", "rho", "varrho", "sigma", "varsigma",
               "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega")
GREEK_UPPER = ("Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega")
GREEK = frozenset("\\" + name for name in GREEK_LOWER + GREEK_UPPER)
LATIN = tuple(chr(c) for c in range(ord("a"), ord("z") + 1)) + tuple(chr(c) for c in range(ord("A"), ord("Z") + 1))
NEVER_RENAMED = frozenset({"e", "I", "O", r"\pi", r"\Pi"})  # fixed meanings (module docstring)
NOT_TARGETS = frozenset({"p", "q", "P", "Q", "r", r"\pi", r"\rho", r"\varrho", r"\varpi",  # issue 57: off the letters
                         "d", "e", "i", "E", "I", "O", "T",  # a scanner may know by name; fixed meanings
                         r"\Gamma", r"\Phi", r"\Delta", r"\Sigma", r"\Pi", r"\sigma", r"\delta",
                         "D", "H", "N", "t"})  # divergence D(p ‖ q), entropy; families spelled N(…), t(…)
POOL = LATIN + tuple(sorted(GREEK))
WORDS = frozenset({"KL", "JS", "CE", "MI", "TV", "Pr", "tr", "Tr", "ln", "lg", "lb", "Re", "Im"}) | set(BARE_WORDS)
# commands whose braced argument (or single next letter) is notation or a length, never a variable
_NOTATION = re.compile(r"\\(?:mathbb|mathcal|mathscr|mathfrak|mathds|Bbb|mathbbm|hspace\*?|vspace\*?|kern|mkern|"
                       r"hskip|mskip|mspace|rule|raisebox|phantom|hphantom|vphantom|setlength|cssId|class|style)"
                       r"(?![A-Za-z])\s*")
_NAME_TOKEN = re.compile(r"\\[^A-Za-z]|\\[A-Za-z]+|[A-Za-z]+")  # \\ and \, first: never a command's start
_TRANSPOSE = re.compile(r"\^\s*(?:\{\s*(?:\\(?:mathsf|mathrm|rm|sf|mathbf|mathit)\s*\{?\s*)?(T)\s*\}?\s*\}"
                        r"|\\(?:mathsf|mathrm|mathbf)\s*(?:\{\s*(T)\s*\}|\s(T)(?![A-Za-z]))|(T))")  # ^TI_n: ^ takes one letter
_COMPLEMENT = re.compile(r"\^\s*\{?\s*([cC])\s*\}?(?![A-Za-z])")  # B^C, B^{c}: a complement in events
_OF_EVENTS = re.compile(r"\\(?:cap|cup|setminus|Pr|mathbb\s*\{?\s*P)(?![A-Za-z])|(?<![A-Za-z\\])P\s*\(")
_DIVERGENCE = re.compile(r"(?<![A-Za-z\\])(D)\s*_\s*\{?\s*(?:\\(?:mathrm|text|operatorname|rm|mathbb)\s*\{?\s*)?"
                         r"(?:KL|JSD?|TV|KLD)(?![a-z])")  # D_{KL}: notation, like \mathbb{E}
_EXPECTATION = re.compile(r"(?<![A-Za-z\\])E\s*(?:_\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\\?[A-Za-z]+)\s*)?"
                          r"(?:\[|\\left\s*\[|\\[bB]igg?l?\s*\[)")
_CONVENTIONS = {  # a letter written in its conventional role (module docstring): kept, never renamed
    "H": re.compile(r"(?<![A-Za-z\\])H\s*(?:\(|\[|\\left\s*[(\[])"),  # an entropy H(X), H[q]
    r"\sigma": re.compile(r"\\sigma\s*(?:\(|\\left\s*\()"),  # a sigmoid σ(x)
    "N": re.compile(r"(?:\\sim|∼)\s*N\s*(?:\(|\\left)"),  # x ∼ N(0, 1)
    "t": re.compile(r"(?:\\sim|∼)\s*t\s*(?:_|\(|\\left)"),  # x ∼ t(ν), t_ν
}
_DIFFERENTIAL = re.compile(r"(?<![A-Za-z\\])d(?=[A-Za-z]|\\(?:" + "|".join(GREEK_LOWER + GREEK_UPPER) +
                           r"|mathbf|boldsymbol|bm|vec|hat|bar|tilde)(?![A-Za-z]))|\\frac\s*\{\s*d\s*(?:\^|\})")


class Usage(frozenset):
    """Every token of a document's math (a frozenset, as :func:`letters_used` gave before issue 57),
    with ``names``: the single-letter Latin and Greek names the permutation moves, and ``occupied``:
    every single-letter name the math writes, moved or not (never a target unless it moves)."""

    names: frozenset = frozenset()
    occupied: frozenset = frozenset()


def _argument_spans(pattern: re.Pattern, body: str) -> list[tuple[int, int]]:
    """The arguments of the commands ``pattern`` finds: braced (nested braces kept), or one token."""
    spans = []
    for match in pattern.finditer(body):
        i = match.end()
        if i < len(body) and body[i] == "{":
            depth, j = 1, i + 1
            while j < len(body) and depth:
                depth += {"{": 1, "}": -1}.get(body[j], 0) if body[j - 1] != "\\" else 0
                j += 1
            spans.append((i, j))
        elif i < len(body):
            token = re.match(r"\\[A-Za-z]+|.", body[i:], re.DOTALL)
            spans.append((i, i + token.end()))
    return spans


def _transpose_spans(body: str) -> list[tuple[int, int]]:
    """Where ``T`` is a transpose (``^T``, ``^{T}``, ``^{\\mathsf{T}}``, ``^\\mathsf T``), ``D`` a
    divergence's letter (``D_{KL}``, ``D_{\\mathrm{JS}}``) and ``c`` or ``C`` a complement (``B^{C}`` in a
    fragment of events: with ∩, ∪, ∖ or a probability P): notation, not names."""
    complements = ([(m.start(1), m.end(1)) for m in _COMPLEMENT.finditer(body)] if _OF_EVENTS.search(body) else [])
    return ([(m.start(g), m.end(g)) for m in _TRANSPOSE.finditer(body) for g in (1, 2, 3, 4) if m.group(g)]
            + [(m.start(1), m.end(1)) for m in _DIVERGENCE.finditer(body)] + complements)


def _masked(body: str, spans: list[tuple[int, int]]) -> str:
    """``body`` with ``spans`` blanked (offsets kept)."""
    chars = list(body)
    for a, b in spans:
        chars[a:b] = " " * (b - a)
    return "".join(chars)


PROSE_WORDS = frozenset({"the", "of", "and", "is", "are", "to", "we", "that", "by", "with", "this", "be", "as",
                         "can", "which", "it", "an", "our", "on", "was", "has", "have", "not", "from", "or", "its",
                         "at", "if", "then", "so", "there", "these", "their", "will", "would", "in", "for", "a"})
_WORD_TOKEN = re.compile(r"(?<![\\A-Za-z])[A-Za-z]+(?![A-Za-z])")


def prose_like(body: str) -> bool:
    """Whether ``body`` holds sentences: three or more English function words of two letters or more,
    one of them longer (``the``, ``and``), outside ``\\text{…}``
    (prose inside a macro such as ``\\eqncomment{…}``, or prose between two dollars the reader paired
    wrongly). In such a body a one- or two-letter English word is a word, not names (:func:`name_pieces`)."""
    plain = _masked(body, _word_spans(body))
    found = [word for word in _WORD_TOKEN.findall(plain) if len(word) > 1 and word.lower() in PROSE_WORDS]
    return len(found) >= 3 and any(len(word) > 2 for word in found)


def name_pieces(body: str, notation: bool = False):
    """(start, end, name) of every single-letter name in ``body`` outside words (``\\text{…}``),
    notation (``\\mathbb{…}``, unless ``notation``) and transposes: a Latin letter standing alone or
    in a run of two that is not a word (``xy`` is two names, ``ln`` none), a Greek command. In a body
    that holds sentences (:func:`prose_like`) the English words of one or two letters (``a``, ``to``,
    ``of``) are words."""
    skipped = _word_spans(body) + ([] if notation else _argument_spans(_NOTATION, body) + _transpose_spans(body))
    prose = prose_like(body)
    for match in _NAME_TOKEN.finditer(body):
        start, token = match.start(), match.group()
        if any(a <= start < b for a, b in skipped):
            continue
        if token.startswith("\\"):
            if token in GREEK:
                yield start, match.end(), token
        elif prose and token.lower() in PROSE_WORDS and (len(token) > 1 or re.match(r"\s+[A-Za-z]{3,}", body[match.end():])):
            continue  # "to", "of"; "a" before a word ("a random variable"), not in "a x"
        elif len(token) == 1 or (len(token) == 2 and token not in WORDS):
            yield from ((start + i, start + i + 1, c) for i, c in enumerate(token))


def fixed_letters(bodies: list[str]) -> frozenset:
    """The letters a document uses with a fixed meaning (module docstring): always ``e, I, O, \\pi,
    \\Pi``; ``E`` when some math uses it as an expectation, ``d`` when some uses it as a differential
    (words and notation blanked first: ``\\mathbb{E}[…]`` and ``\\mathrm{d}x`` say nothing of them)."""
    fixed = set(NEVER_RENAMED)
    for body in bodies:
        plain = _masked(body, _word_spans(body) + _argument_spans(_NOTATION, body))
        if _EXPECTATION.search(plain):
            fixed.add("E")
        if _DIFFERENTIAL.search(plain):
            fixed.add("d")
        fixed |= {letter for letter, pattern in _CONVENTIONS.items() if pattern.search(plain)}
    return frozenset(fixed)


def usage_of_bodies(bodies: list[str]) -> Usage:
    """The :class:`Usage` of a document whose math bodies are ``bodies``."""
    fixed = fixed_letters(bodies)
    usage = Usage({token for body in bodies for _, _, token in _tokens(body)})
    usage.names = frozenset({name for body in bodies for _, _, name in name_pieces(body)} - fixed)
    usage.occupied = frozenset({name for body in bodies for _, _, name in name_pieces(body, notation=True)})
    return usage


def permutation(usage: Usage, seed: int = SEED) -> dict[str, str]:
    """The seeded bijection of the document's names (module docstring): every name of
    ``usage.names`` to a target among the names that move and the letters the document does not
    write (``usage.occupied``), outside :data:`NOT_TARGETS`, no name to itself. Where the targets are
    fewer than the names (a document writing nearly every letter), names outside the targets keep
    theirs, as few as needed."""
    names = sorted(usage.names)
    rng = random.Random(f"{seed}|{' '.join(names)}")
    order = names[:]
    rng.shuffle(order)
    targets = sorted((set(names) | (set(POOL) - usage.occupied)) - NOT_TARGETS)
    deficit = len(order) - len(targets)
    if deficit > 0:  # keep some names that can never be targets: each frees a name without losing a target
        kept = [n for n in order if n in NOT_TARGETS][-deficit:]
        order = [n for n in order if n not in kept]
    if len(order) == 1 and targets == order:
        return {}
    for _ in range(1000):  # a random injection without a fixed point (a derangement when targets == names)
        drawn = rng.sample(targets, len(order))
        if all(a != b for a, b in zip(order, drawn)):
            return dict(sorted(zip(order, drawn)))
    return {a: b for a, b in sorted(zip(order, drawn)) if a != b}  # pragma: no cover  (1000 draws all failed)


def _letter_run_before(text: str) -> tuple[str, bool]:
    """The run of letters ``text`` ends with, and whether it is a command's name (``\\cdot``)."""
    run = re.search(r"[A-Za-z]*$", text).group()
    return run, text[:len(text) - len(run)].endswith("\\") and bool(run)


def _permute_body(body: str, mapping: dict[str, str]) -> str:
    """``body`` with each name of ``mapping`` replaced (:func:`name_pieces`). A Latin target gets a
    space where it would join a command (``\\cdot x``), make a word (``l n``) or a run of three
    letters; a command target before a letter gets one (``\\pi x``)."""
    out, at = "", 0
    for start, end, name in name_pieces(body):
        if name not in mapping:
            continue
        target = mapping[name]
        out += body[at:start]
        if not target.startswith("\\"):
            run, command = _letter_run_before(out)
            following = re.match(r"[A-Za-z]*", body[end:]).group()
            if command or (run and (len(run) + 1 > 2 or run + target in WORDS)):
                target = " " + target
            if following and (len(following) + 1 > 2 or target.strip() + following in WORDS):
                target += " "
        elif body[end:end + 1].isalpha():
            target += " "  # \pi x, not \pix
        out += target
        at = end
    return out + body[at:]


# --- documents ------------------------------------------------------------------------------------

def _bodies_of(text: str, kind: str) -> list[str]:
    return [text[a:b] for a, b in math_bodies(text, kind)]


def choose(used, seed: int = SEED, scheme: str = "permutation") -> dict[str, str]:
    """The renaming of a document whose math uses ``used`` (:func:`letters_used`): the seeded
    permutation (default), or issue 42's renaming (``scheme="issue42"``, :func:`choose_issue42`)."""
    if scheme == "issue42":
        return choose_issue42(set(used))
    if not isinstance(used, Usage):
        raise TypeError("choose: the permutation needs letters_used()'s Usage")
    return permutation(used, seed)


def letters_used(text: str, kind: str) -> Usage:
    """Every token of the document's math, with the names the permutation moves (:class:`Usage`)."""
    return usage_of_bodies(_bodies_of(text, kind))


def rename(text: str, kind: str = "md", mapping: dict[str, str] | None = None, seed: int = SEED,
           scheme: str = "permutation") -> tuple[str, dict[str, str]]:
    """``text`` with its math renamed, and the mapping used (chosen by :func:`choose` when not given)."""
    if mapping is None:
        mapping = choose(letters_used(text, kind), seed, scheme)
    if not mapping:
        return text, mapping
    body_renamer = _rename_body if scheme == "issue42" else _permute_body
    out, at = [], 0
    for start, end in math_bodies(text, kind):
        out += [text[at:start], body_renamer(text[start:end], mapping)]
        at = end
    return "".join(out) + text[at:], mapping


def notebook_texts(raw: str) -> tuple[dict, list[dict]]:
    """A notebook's JSON and its Markdown cells (nbformat 4, read with :mod:`json`)."""
    data = json.loads(raw)
    cells = [c for c in data.get("cells", []) if isinstance(c, dict) and c.get("cell_type") == "markdown"]
    return data, cells


def cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def set_cell_source(cell: dict, text: str) -> None:
    """The cell's source replaced, as a list of lines when it was one (as Jupyter writes it)."""
    cell["source"] = text.splitlines(keepends=True) if isinstance(cell.get("source"), list) else text


def transform_notebook(raw: str, transform) -> str:
    """The notebook with ``transform(list of Markdown cell texts) -> list of texts`` applied."""
    data, cells = notebook_texts(raw)
    for cell, text in zip(cells, transform([cell_source(c) for c in cells])):
        set_cell_source(cell, text)
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def rename_texts(texts: list[str], kind: str = "md", mapping: dict[str, str] | None = None, seed: int = SEED,
                 scheme: str = "permutation") -> tuple[list[str], dict[str, str]]:
    """Several texts of one document (a notebook's cells) renamed with one mapping."""
    if mapping is None:
        bodies = [body for text in texts for body in _bodies_of(text, kind)]
        used = usage_of_bodies(bodies) if scheme != "issue42" else {t for b in bodies for _, _, t in _tokens(b)}
        mapping = choose(used, seed, scheme)
    return [rename(text, kind, mapping, seed, scheme)[0] for text in texts], mapping


def rename_path(source: Path, destination: Path, seed: int = SEED, scheme: str = "permutation",
                mapping: dict[str, str] | None = None) -> dict[str, str]:
    """One lecture file renamed into ``destination`` (a notebook: its Markdown cells, one mapping);
    the mapping, empty (and the file copied as it is) when it is not text a scan reads."""
    kind = file_kind(source)
    try:
        text = read_lecture(source)
        if kind == "ipynb":
            chosen = {}

            def transform(texts):
                renamed, chosen["mapping"] = rename_texts(texts, "md", mapping, seed, scheme)
                return renamed
            renamed_text = transform_notebook(text, transform)
            mapping = chosen["mapping"]
        else:
            renamed_text, mapping = rename(text, kind, mapping, seed, scheme)
    except (ScanError, ValueError, AttributeError, TypeError):  # not a lecture or not a notebook scan reads:
        if source != destination:  # copied as it is, and scan says so of both copies
            shutil.copyfile(source, destination)
        return {}
    destination.write_text(renamed_text, encoding="utf-8")
    return mapping


def rename_folder(source: Path, destination: Path, seed: int = SEED, scheme: str = "permutation") -> dict[str, dict[str, str]]:
    """Every lecture file under ``source`` renamed into ``destination`` (same relative paths; other
    files, such as ``.sty`` packages, copied as they are); the mapping of each file."""
    mappings = {}
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        target = destination / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() not in SUFFIXES or (scheme == "issue42" and file_kind(path) == "ipynb"):
            shutil.copyfile(path, target)
            continue
        mappings[str(path.relative_to(source))] = rename_path(path, target, seed, scheme)
    return mappings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("destination", type=Path)
    parser.add_argument("--show", action="store_true", help="print the names each file moved")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--scheme", choices=SCHEMES, default="permutation",
                        help="permutation (default) or issue 42's seven letters")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(f"rename_letters: {args.source} is not a folder", file=sys.stderr)
        return 2
    if args.destination.resolve() == args.source.resolve():
        print("rename_letters: the destination must differ from the source", file=sys.stderr)
        return 2
    mappings = rename_folder(args.source, args.destination, args.seed, args.scheme)
    if args.show:
        for name, mapping in mappings.items():
            print(f"{name}: " + (", ".join(f"{a}->{b}" for a, b in mapping.items()) or "(nothing moved)"))
    print(f"{len(mappings)} files renamed into {args.destination}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
