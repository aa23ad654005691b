"""Statements split into clauses at their relations (``derivspec scan``): a run of sides joined by
=, ≤, ≈, ∝ ..., broken at commas, implications and prose."""

from __future__ import annotations

import re
from dataclasses import dataclass as _dataclass, field as _field

from derivspec.scan.reader import _PROSE, UNITS, _brace_end

# --- relations ------------------------------------------------------------------------------

RELATIONS = {
    "=": "=", r"\approx": "≈", r"\simeq": "≈", r"\thickapprox": "≈", r"\cong": "≅", r"\le": "≤", r"\leq": "≤",
    r"\leqslant": "≤", r"\ge": "≥", r"\geq": "≥", r"\geqslant": "≥", "<": "<", ">": ">", r"\lt": "<", r"\gt": ">",
    r"\propto": "∝", r"\ne": "≠", r"\neq": "≠", r"\sim": "∼", r"\equiv": "≡", ":=": ":=", r"\coloneqq": ":=",
    r"\triangleq": ":=", r"\eqqcolon": "=:", "=:": "=:", r"\to": "→", r"\rightarrow": "→", r"\longrightarrow": "→",
    r"\mapsto": "→", r"\in": "∈", r"\notin": "∉", r"\leftarrow": "←", r"\gets": "←", r"\ll": "≪", r"\gg": "≫",
    r"\subset": "⊂", r"\subseteq": "⊂", r"\perp": "⊥", r"\lesssim": "≲", r"\gtrsim": "≳", r"\asymp": "≍",
    r"\xrightarrow": "→", r"\nearrow": "→", r"\searrow": "→", r"\uparrow": "↑", r"\downarrow": "↓",
}
CLAUSE_BREAKS = {r"\Rightarrow": "⇒", r"\implies": "⇒", r"\Longrightarrow": "⇒", r"\iff": "⇔",
                 r"\Longleftrightarrow": "⇔", r"\Leftrightarrow": "⇔", r"\therefore": "⇒", r"\because": "⇐",
                 r"\Leftarrow": "⇐", r"\quad": "", r"\qquad": "", r"\forall": "∀", r"\text": "", r"\textrm": "",
                 r"\mbox": "", r"\textbf": "", r"\textit": "", r"\hspace": "", r"\checkmark": "", r"\exists": "∃",
                 r"\land": "", r"\lor": "", r"\wedge": "", r"\vee": ""}
_REL_CMD = re.compile(r"\\([A-Za-z]+)")


@_dataclass
class Clause:
    """A run of sides joined by relations: ``sides[i] relations[i] sides[i+1]``; ``after`` is the
    break that ends it (⇒, ',', a prose word); ``annotations[i]`` what decorated relation i
    (``\\stackrel{(a)}{=}``)."""

    sides: list
    relations: list
    after: str = ""
    before: str = ""
    annotations: list = _field(default_factory=list)


def _skip_group(text: str, i: int) -> int:
    """Skip a braced group starting at ``text[i]`` (after spaces); return the index after it."""
    while i < len(text) and text[i] == " ":
        i += 1
    if i < len(text) and text[i] == "{":
        end = _brace_end(text, i)
        return end if end > 0 else len(text)
    if i < len(text) and text[i] == "\\":
        m = re.match(r"\\[A-Za-z]+", text[i:])
        return i + (m.end() if m else 2)
    return i + 1


_EDGE_SPACING = re.compile(r"^(?:\s|\\[,;:! ]|\\q?quad(?![A-Za-z])|~)+|(?:\s|\\[,;:! ]|\\q?quad(?![A-Za-z])|~)+$")


def _unspaced(side: str) -> str:
    r"""A side without the spacing at its ends (``\;\; z`` is ``z``: a name alone, as a range reads it)."""
    return _EDGE_SPACING.sub("", side)


def split_clauses(text: str) -> list[Clause]:
    """A statement split into clauses at top-level commas, semicolons, ``\\quad``, implications
    and prose (``\\text{where}``), each clause split at its top-level relations."""
    clauses: list[Clause] = []
    sides: list[str] = []
    relations: list[str] = []
    annotations: list[str] = []
    current: list[str] = []
    depth = 0
    env_depth = 0
    i = 0
    pending_break = ""

    def close(why: str):
        nonlocal sides, relations, annotations, current, pending_break
        side = _unspaced("".join(current))
        if side or relations:
            sides.append(side)
            clauses.append(Clause(sides, relations, why, pending_break, annotations))
        sides, relations, annotations, current = [], [], [], []
        pending_break = why

    def relate(symbol: str, note: str = ""):
        nonlocal current
        sides.append(_unspaced("".join(current)))
        relations.append(symbol)
        annotations.append(note)
        current = []

    n = len(text)
    while i < n:
        c = text[i]
        if text.startswith(r"\begin{", i):
            env_depth += 1
            end = text.find("}", i)
            current.append(text[i:end + 1])
            i = end + 1
            continue
        if text.startswith(r"\end{", i):
            env_depth = max(0, env_depth - 1)
            end = text.find("}", i)
            current.append(text[i:end + 1])
            i = end + 1
            continue
        if c == "\\":
            m = _REL_CMD.match(text, i)
            if m is None:
                two = text[i:i + 2]
                if two in (r"\{", r"\["):
                    depth += 1
                elif two in (r"\}", r"\]"):
                    depth = max(0, depth - 1)
                if two[1:].isspace():  # TeX's control space: a space (kept as "\\ " it ends a side as a stray '\\')
                    two = " "
                current.append(two)
                i += 2
                continue
            cmd = "\\" + m.group(1)
            if cmd in (r"\left", r"\langle"):  # ⟨a, b⟩: its comma parts the inner product, not the statement
                depth += 1
            elif cmd in (r"\right", r"\rangle"):
                depth = max(0, depth - 1)
            if depth == 0 and env_depth == 0:
                if cmd in (r"\stackrel", r"\overset", r"\underset"):
                    note_end = _skip_group(text, m.end())
                    rel_end = _skip_group(text, note_end)
                    note = text[m.end():note_end].strip().strip("{}")
                    rel = text[note_end:rel_end].strip().strip("{}").strip()
                    symbol = RELATIONS.get(rel, "=" if rel == "=" else None)
                    if symbol is not None:
                        if "def" in note or note in (r"\triangle", r"\Delta"):
                            symbol = ":="
                        relate(symbol, note)
                        i = rel_end
                        continue
                if cmd in RELATIONS:
                    relate(RELATIONS[cmd])
                    i = m.end()
                    if cmd == r"\xrightarrow":
                        i = _skip_group(text, i)
                    continue
                if cmd in CLAUSE_BREAKS:
                    if cmd in (r"\text", r"\textrm", r"\mbox", r"\textbf", r"\textit"):
                        end = _skip_group(text, m.end())
                        inner = text[m.end():end].strip().strip("{}").strip()
                        if inner.strip() in UNITS or inner.strip().rstrip(".").split("/")[0] in UNITS or \
                                re.fullmatch(r"(bits|nats|bit|nat)\b.*", inner.strip()):
                            close("unit:" + inner.strip())
                            i = end
                            continue
                        if re.fullmatch(r"[A-Za-z]+|[A-Za-z]+\s*\(?\d*\)?|[A-Za-z]+[-][A-Za-z]+", inner) and not _PROSE.match(inner) \
                                and inner.lower() not in ("and", "or") or inner in ("", ",", "."):
                            current.append(text[i:end])  # a word used as a name (\text{KL}, \text{ELBO})
                            i = end
                            continue
                        close("text:" + inner)
                        i = end
                        continue
                    if cmd == r"\hspace":
                        i = _skip_group(text, m.end())
                        close("")
                        continue
                    close(CLAUSE_BREAKS[cmd])
                    i = m.end()
                    continue
            current.append(m.group())
            i = m.end()
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
        if depth == 0 and env_depth == 0:
            if c == "=":
                if text[i + 1:i + 2] == ":":
                    relate("=:")
                    i += 2
                    continue
                relate("=")
                i += 1
                continue
            if c == ":" and text[i + 1:i + 2] == "=":
                relate(":=")
                i += 2
                continue
            if c in "<>":
                relate(c)
                i += 1
                continue
            if c in ",;":
                close(c)
                i += 1
                continue
        current.append(c)
        i += 1
    close("")
    return clauses
