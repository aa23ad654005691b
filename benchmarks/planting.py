"""Planted errors of the kinds real authors make, generated at run time (issue 24).

Each kind is a function from a LaTeX region (the part of a statement after its first relation
sign) to the edited region, or ``None`` when the kind does not apply. The edit changes one
occurrence, so a right statement becomes a wrong one:

    kl swapped           KL(q ‖ p)        -> KL(p ‖ q)
    ratio inverted       \\frac{p(x|z)p(z)}{p(x)} -> \\frac{p(x)}{p(x|z)p(z)}   (a ratio of densities)
    term dropped         a + b + c        -> a + b        (the last term of a sum, as in a telescoping bound)
    t for t-1            x_{t-1}          -> x_{t}
    alpha for alpha-bar  \\bar\\alpha_t     -> \\alpha_t
    sigma for sigma^2    \\sigma^2         -> \\sigma
    inequality reversed  \\le              -> \\ge        (Jensen in the wrong direction)
    log missing          \\log X           -> X
    sign flipped         a - H(q)         -> a + H(q)     (the sign of an entropy or of any term)
    wrong normaliser     \\frac{1}{N}      -> \\frac{1}{2 \\cdot N}

Used by ``benchmarks/scan_corpus.py --planted``; nothing here reads or stores anybody's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

RELATION = re.compile(r"\\(?:leq?|geq?|leqslant|geqslant|approx|propto)(?![A-Za-z])|(?<![:<>!\\])=(?!=)|(?<!\\)[<>]")


def after_first_relation(region: str) -> int | None:
    """Offset just after the first relation sign of ``region`` (None: no relation)."""
    found = RELATION.search(region)
    return found.end() if found else None


def _group_end(text: str, start: int) -> int | None:
    """Index after the bracket group opening at ``start`` ({, ( or [), or None if unbalanced."""
    pairs = {"{": "}", "(": ")", "[": "]"}
    depth = 0
    for i in range(start, len(text)):
        c = text[i]
        if c in pairs:
            depth += 1
        elif c in pairs.values():
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def _argument(text: str, start: int) -> tuple[int, int] | None:
    """The LaTeX argument at ``start`` ({…} or one token): its (start, end), spaces skipped."""
    while start < len(text) and text[start] in " \n\t":
        start += 1
    if start >= len(text):
        return None
    if text[start] == "{":
        end = _group_end(text, start)
        return (start, end) if end else None
    found = re.match(r"\\[A-Za-z]+|.", text[start:], re.DOTALL)
    return start, start + found.end()


_KL_HEAD = re.compile(r"(?:D_\{?\s*)?(?:\\(?:mathrm|text|operatorname|mathbb)\{\s*)?(?:KL|D_\{?KL\}?)\}?\}?"
                      r"\s*(?:\\left|\\big|\\Big)?\s*[(\[]")
_KL_BAR = re.compile(r"\\\||\\Vert|\\parallel|\|\||‖")


def kl_swapped(region: str) -> str | None:
    for head in _KL_HEAD.finditer(region):
        open_at = head.end() - 1
        end = _group_end(region, open_at)
        if end is None:
            continue
        inside = region[open_at + 1:end - 1]
        inside = re.sub(r"\\right\s*$|\\big\s*$|\\Big\s*$", "", inside)
        bars = list(_KL_BAR.finditer(inside))
        if len(bars) != 1:
            continue
        left, right = inside[:bars[0].start()], inside[bars[0].end():]
        if not left.strip() or not right.strip() or left.strip() == right.strip():
            continue
        swapped = right.strip() + " " + bars[0].group() + " " + left.strip()
        return region[:open_at + 1] + swapped + region[open_at + 1 + len(inside):]
    return None


_DENSITY = re.compile(r"(?<![A-Za-z\\])[pqPQ](?:_\{?[^(){}]*\}?)?\s*(?:\\left)?\s*\(")


def ratio_inverted(region: str) -> str | None:
    for head in re.finditer(r"\\[dt]?frac(?![A-Za-z])", region):
        top = _argument(region, head.end())
        bottom = top and _argument(region, top[1])
        if not bottom:
            continue
        a, b = region[top[0]:top[1]], region[bottom[0]:bottom[1]]
        if _DENSITY.search(a) and _DENSITY.search(b):
            return region[:top[0]] + b + a + region[bottom[1]:]
    return None


def _top_level_signs(text: str) -> list[int]:
    """Offsets of binary + and - at brace/bracket depth 0 (not an exponent's or a sign after an operator)."""
    depth, found = 0, []
    for i, c in enumerate(text):
        if c in "{([":
            depth += 1
        elif c in "})]":
            depth -= 1
        elif c in "+-" and depth == 0:
            before = text[:i].rstrip()
            if before and before[-1] not in "=(&{[^_,+-" and not re.search(r"\\(?:le|ge|leq|geq|quad|qquad|,)$", before):
                found.append(i)
    return found


def term_dropped(region: str) -> str | None:
    """Drops the last ``+ term`` of the first side (up to the next sign at the same depth), nothing
    else: the closing ``$$``, ``\\\\`` or following terms stay, so the document around it still reads."""
    ends = [i for i in (region.find("\\\\"), region.find("\n"), region.find("$"), region.find("\\]"),
                        region.find("\\end")) if i >= 0]
    line_end = min(ends or [len(region)])
    first = RELATION.search(region[:line_end])
    stop = first.start() if first else line_end
    signs = _top_level_signs(region[:stop])
    plus = [i for i in signs if region[i] == "+"]
    if not plus:
        return None
    cut = plus[-1]
    end = min([i for i in signs if i > cut] or [stop])
    rest = region[end:]
    return region[:cut].rstrip() + (" " + rest.lstrip() if rest.lstrip()[:1] in ("+", "-") else rest)


def t_for_t_minus_1(region: str) -> str | None:
    found = re.search(r"\{\s*t\s*-\s*1\s*\}|(?<![A-Za-z\\])t\s*-\s*1(?![0-9])", region)
    if not found:
        return None
    return region[:found.start()] + ("{t}" if found.group().startswith("{") else "t") + region[found.end():]


def alpha_for_alpha_bar(region: str) -> str | None:
    found = re.search(r"\\(?:bar|overline)\s*\{\s*\\alpha\s*\}|\\bar\s*\\alpha(?![A-Za-z])", region)
    if not found:
        return None
    return region[:found.start()] + r"\alpha" + region[found.end():]


def sigma_for_sigma_squared(region: str) -> str | None:
    found = re.search(r"\\sigma(_\{[^{}]*\}|_[A-Za-z0-9])?\s*\^\s*(?:2|\{2\})", region)
    if not found:
        return None
    return region[:found.start()] + r"\sigma" + (found.group(1) or "") + region[found.end():]


_REVERSED = {r"\le": r"\ge", r"\leq": r"\geq", r"\ge": r"\le", r"\geq": r"\leq", r"\leqslant": r"\geqslant",
             r"\geqslant": r"\leqslant"}


def inequality_reversed(whole: str) -> str | None:
    """Acts on the whole statement: the relation itself is what changes."""
    found = re.search(r"\\(?:leqslant|geqslant|leq|geq|le|ge)(?![A-Za-z])", whole)
    if not found:
        return None
    return whole[:found.start()] + _REVERSED[found.group()] + whole[found.end():]


def log_missing(region: str) -> str | None:
    found = re.search(r"\\(?:log|ln)(?![A-Za-z])\s*", region)
    if not found:
        return None
    return region[:found.start()] + region[found.end():]


def sign_flipped(region: str) -> str | None:
    signs = _top_level_signs(region)
    entropy = [i for i in signs if re.match(r"[+-]\s*(?:\\mathbb\{H\}|\\mathcal\{H\}|H|\\operatorname\{H\})\s*[(\[]",
                                            region[i:])]
    minus = [i for i in signs if region[i] == "-"]
    chosen = (entropy or minus or signs)
    if not chosen:
        return None
    i = chosen[0]
    return region[:i] + ("+" if region[i] == "-" else "-") + region[i + 1:]


def wrong_normaliser(region: str) -> str | None:
    for head in re.finditer(r"\\[dt]?frac\s*\{\s*1\s*\}", region):
        bottom = _argument(region, head.end())
        if bottom:
            inner = region[bottom[0]:bottom[1]]
            inner = inner[1:-1] if inner.startswith("{") else inner
            return region[:bottom[0]] + "{2 \\cdot " + inner + "}" + region[bottom[1]:]
    return None


# kind -> (edit, acts on the whole statement rather than the part after its first relation)
KINDS: dict[str, tuple[Callable[[str], str | None], bool]] = {
    "kl swapped": (kl_swapped, False),
    "ratio inverted": (ratio_inverted, False),
    "term dropped": (term_dropped, False),
    "t for t-1": (t_for_t_minus_1, False),
    "alpha for alpha-bar": (alpha_for_alpha_bar, False),
    "sigma for sigma^2": (sigma_for_sigma_squared, False),
    "inequality reversed": (inequality_reversed, True),
    "log missing": (log_missing, False),
    "sign flipped": (sign_flipped, False),
    "wrong normaliser": (wrong_normaliser, False),
}


def plant(region: str, kind: str) -> str | None:
    """``region`` with one error of ``kind`` planted (None: the kind does not apply to it)."""
    edit, whole = KINDS[kind]
    if whole:
        changed = edit(region)
    else:
        start = after_first_relation(region)
        if start is None:
            return None
        tail = edit(region[start:])
        changed = None if tail is None else region[:start] + tail
    return changed if changed is not None and changed != region else None
