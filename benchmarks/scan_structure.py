r"""The structure figures of ``derivspec/scan/`` that issue 58 re-measures, read from the source with ``ast``
(nothing is imported or run):

    lines         Python lines (physical lines, as ``wc -l``), in total and per module; the module count
    letters       collections of single-letter or Greek-letter names, each counted once:
                  * a set, tuple or list literal of two or more strings, every one a letter name;
                  * ``"p q f".split()``, ``frozenset("pq")`` / ``set("pq")`` of a string literal and
                    ``x in "pqf"``, when the words (or, without spaces, the characters) are two or more
                    letter names;
                  * a regular expression literal (the string constants of the first argument of
                    ``re.compile``, ``match``, ``search``, ``fullmatch``, ``sub``, ``subn``, ``findall``,
                    ``finditer``, ``split``) holding a character class of 2 to 10 explicit letters
                    (``[pq]``, ``[pqPQ]``, ``[^pq]``; no ranges), one count per call -- a class that spells
                    a word or a LaTeX command (a letter right before it or its ``?``, or after it:
                    ``\\[lr]?vert``, ``\\(?:big|Big)[lr]``, ``[bB]igg?[lr]``) or a blackboard set
                    (``\\mathbb\{?[NZ]``) is not a letter list;
                  a letter name is one letter (``p``, ``α``) or a backslash and a Greek letter's name
                  (``\alpha``, ``\Sigma``, ``\varepsilon``), either maybe inside one font command
                  (``\mathbf{I}``, ``\boldsymbol{\mu}``)
    name_reads    reads of ``__name__`` (every ``ast.Attribute`` whose attr is ``__name__``)
    name_meaning  places that read an operator's meaning from a name string: a call of
                  ``application_name`` / ``application_parts``; a comparison (``==``, ``in``, any
                  operator) with a *name read* as one operand; a regular-expression or prefix match of
                  a name read (``re.X(..., read)``, ``PATTERN.match(read)``, ``read.startswith(...)`` /
                  ``endswith``); a table looked up by a name read (``TABLE[read]`` read, not stored;
                  ``TABLE.get(read)``). A *name read* is ``X.name``, ``X.__name__``, ``str(X.func)`` or
                  ``getattr(X, "name" | "__name__", ...)`` -- ``.name`` of any object (a symbol, a
                  table's row), so the ``func_name`` figure counts the places on ``__name__`` and
                  ``str(X.func)`` alone. One count per node: a read inside a counted call is not also
                  a comparison unless it is the comparison's own operand.

Every figure lists its places (``module:line``) in the JSON.

    python benchmarks/scan_structure.py                                   # a table
    python benchmarks/scan_structure.py --json /work/measure/structure.json
    python benchmarks/scan_structure.py --modules judge,operators,tree    # those modules only
    python benchmarks/scan_structure.py --root /work/measure/wt-6a8b6a6/derivspec/scan --json -
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections import Counter
from pathlib import Path

SCAN = Path(__file__).resolve().parents[1] / "derivspec" / "scan"
GREEK = frozenset("""alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi
omicron pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma
Upsilon Phi Psi Omega""".split())
LETTER_NAME = re.compile(r"(?:\\(?:math[a-z]*|boldsymbol|bm|rm|bf|vec)\s*\{\s*(.*?)\s*\}|(.*))", re.DOTALL)
RE_FUNCTIONS = frozenset({"compile", "match", "search", "fullmatch", "sub", "subn", "findall", "finditer", "split"})
MATCHES = RE_FUNCTIONS | {"startswith", "endswith"}
CLASS = re.compile(r"\[\^?([^\W\d_]{2,10})\]")
COMMAND_BEFORE = re.compile(r"\\\\(?:(?:[A-Za-z]|\(\?:[A-Za-z|]+\)|\[\^?[A-Za-z]+\])\??)*$|\\\\mathbb(?:\\s\*|[^A-Za-z])*$")


def letter_name(text: str) -> bool:
    """One letter or a backslash and a Greek letter's name, maybe inside one font command."""
    m = LETTER_NAME.fullmatch(text.strip())
    inner = (m.group(1) if m.group(1) is not None else m.group(2)) if m else text
    return (len(inner) == 1 and inner.isalpha()) or (inner.startswith("\\") and inner[1:] in GREEK)


def letter_words(text: str) -> bool:
    """A string of two or more letter names: its words, or its characters when it has no spaces."""
    words = text.split() if text.split() != [text] else list(text)
    return len(words) >= 2 and all(letter_name(w) for w in words)


def strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def letter_class(pattern: str) -> bool:
    """A character class of a few explicit letters, not part of a word or a LaTeX command."""
    for m in CLASS.finditer(pattern):
        before, after = pattern[:m.start()], pattern[m.end():].lstrip("?*+")
        if (before.rstrip("?")[-1:].isalpha() or after[:1].isalpha() or COMMAND_BEFORE.search(before)
                or before.endswith("\\") and not before.endswith("\\\\")):
            continue
        return True
    return False


def called(node: ast.Call) -> str:
    return node.func.id if isinstance(node.func, ast.Name) else node.func.attr if isinstance(node.func, ast.Attribute) else ""


def name_read(node: ast.AST) -> str:
    """``name``, ``__name__`` or ``str(func)`` where ``node`` reads a name string, else ""."""
    if isinstance(node, ast.Attribute) and node.attr in ("name", "__name__"):
        return node.attr
    if isinstance(node, ast.Call) and called(node) == "str" and node.args and isinstance(node.args[0], ast.Attribute) \
            and node.args[0].attr == "func":
        return "str(func)"
    if isinstance(node, ast.Call) and called(node) == "getattr" and len(node.args) >= 2 \
            and isinstance(node.args[1], ast.Constant) and node.args[1].value in ("name", "__name__"):
        return node.args[1].value
    return ""


def letters(node: ast.AST) -> str:
    """The kind of letter collection ``node`` is, else ""."""
    if isinstance(node, (ast.Set, ast.Tuple, ast.List)) and len(node.elts) >= 2 and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) and letter_name(e.value) for e in node.elts):
        return "literal"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "split" \
            and not node.args and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str):
        words = node.func.value.value.split()
        return "split" if len(words) >= 2 and all(letter_name(w) for w in words) else ""
    if isinstance(node, ast.Call) and called(node) in ("set", "frozenset") and len(node.args) == 1 \
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return "set of a string" if letter_words(node.args[0].value) else ""
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)) \
            and isinstance(node.comparators[0], ast.Constant) and isinstance(node.comparators[0].value, str):
        return "in a string" if letter_words(node.comparators[0].value) else ""
    if isinstance(node, ast.Call) and called(node) in RE_FUNCTIONS and isinstance(node.func, ast.Attribute) \
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "re" and node.args:
        return "regex class" if any(letter_class(s) for s in strings(node.args[0])) else ""
    return ""


def meaning(node: ast.AST) -> tuple[str, str]:
    """(kind, read) where ``node`` reads an operator's meaning from a name string, else ("", "")."""
    if isinstance(node, ast.Call) and called(node) in ("application_name", "application_parts"):
        return "application_name/parts", called(node)
    if isinstance(node, ast.Compare) and (read := next(filter(None, map(name_read, [node.left, *node.comparators])), "")):
        return "compare", read
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr in MATCHES and (read := name_read(node.func.value) if node.func.attr in ("startswith", "endswith")
                                          else next(filter(None, map(name_read, node.args)), "")):
            return "match", read
        if node.func.attr == "get" and node.args and (read := name_read(node.args[0])):
            return "lookup", read
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and (read := name_read(node.slice)):
        return "lookup", read
    return "", ""


def measure(root: Path, only: list[str]) -> dict:
    paths = sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)
    modules = {p.relative_to(root).with_suffix("").as_posix().replace("/", "."): p for p in paths}
    if only:
        missing = [m for m in only if m not in modules]
        if missing:
            raise SystemExit(f"scan_structure: no module {', '.join(missing)} under {root}")
        modules = {m: modules[m] for m in only}
    lines, found = {}, {"letters": [], "name_reads": [], "name_meaning": []}
    for module, path in modules.items():
        text = path.read_text(encoding="utf-8")
        lines[module] = len(text.splitlines())
        for node in ast.walk(ast.parse(text, str(path))):
            place = f"{module}:{node.lineno}" if hasattr(node, "lineno") else module
            if kind := letters(node):
                found["letters"].append({"at": place, "kind": kind})
            if isinstance(node, ast.Attribute) and node.attr == "__name__":
                found["name_reads"].append({"at": place})
            if (kind := meaning(node))[0]:
                found["name_meaning"].append({"at": place, "kind": kind[0], "read": kind[1]})
    figures = {"root": str(root), "modules": len(lines), "lines": sum(lines.values()),
               "per_module": dict(sorted(lines.items(), key=lambda kv: (-kv[1], kv[0])))}
    for name, places in found.items():
        places.sort(key=lambda p: (p["at"].split(":")[0], int(p["at"].split(":")[1])))
        figures[name] = {"count": len(places),
                         "by_module": dict(Counter(p["at"].split(":")[0] for p in places).most_common()),
                         **({"by_kind": dict(Counter(p["kind"] for p in places).most_common())} if name != "name_reads" else {}),
                         "places": places}
    figures["name_meaning"]["by_read"] = dict(Counter(p["read"] for p in found["name_meaning"]).most_common())
    figures["name_meaning"]["func_name"] = sum(p["read"] in ("__name__", "str(func)") for p in found["name_meaning"])
    return figures


def table(f: dict) -> str:
    def modules(figure: dict) -> str:
        return ", ".join(f"{m} {n}" for m, n in figure["by_module"].items()) or "-"
    out = [f"{f['root']}: {f['modules']} modules, {f['lines']} lines",
           f"  letter collections  {f['letters']['count']:5}  {f['letters']['by_kind']}",
           f"      in {modules(f['letters'])}",
           f"  __name__ reads      {f['name_reads']['count']:5}",
           f"      in {modules(f['name_reads'])}",
           f"  meaning from names  {f['name_meaning']['count']:5}  {f['name_meaning']['by_kind']}; by read "
           f"{f['name_meaning']['by_read']}; on __name__ or str(func) {f['name_meaning']['func_name']}",
           f"      in {modules(f['name_meaning'])}",
           "  lines per module:"]
    items = list(f["per_module"].items())
    for row in range(0, len(items), 4):
        out.append("    " + "".join(f"{m[:26]:26} {n:6}   " for m, n in items[row:row + 4]).rstrip())
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=SCAN, help="the package folder to read (default derivspec/scan)")
    parser.add_argument("--modules", default="", help="a,b,c: only these modules (names relative to --root, no .py)")
    parser.add_argument("--json", help="write the figures here as JSON ('-': print them instead of the table)")
    args = parser.parse_args(argv)
    figures = measure(args.root, [m.strip().removesuffix(".py") for m in args.modules.split(",") if m.strip()])
    if args.json == "-":
        print(json.dumps(figures, indent=1, ensure_ascii=False))
        return 0
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
