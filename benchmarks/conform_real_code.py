"""The real-code set of issue 87: `derivspec conform` on functions copied from public repositories.

    .venv/bin/python benchmarks/conform_real_code.py [--half development|heldout|all]
        [--copy plain|renamed|respaced|all] [--only ID ...] [--json OUT] [--mirror DIR] [--timeout S]
    .venv/bin/python benchmarks/conform_real_code.py --check      # manifest, split and slips; runs nothing
    .venv/bin/python benchmarks/conform_real_code.py --smoke      # imports each copy and calls it once (no derivspec)

`benchmarks/conform_real_code/manifest.toml` lists each function by repository, commit, path and qualified
name, with the conform call a careful user would make, what is right (`label`) and realistic slips
(`find`/`replace` on the copied source, with the slip a user should be told). Nothing of the repositories'
code is kept in this repository: each run reads the file from a local snapshot (`--mirror`, default
/work/.mirror, laid out as the search tool's fetch leaves it: OWNER+NAME/repo is a bare git directory) at
the recorded commit, extracts the named definitions with `ast`, writes a module into a temporary folder
(outside the repository) and runs `python -m derivspec conform ... --json` on it as a user would, one at
a time, with a timeout.

For each entry the right copy is run, and each slip's copy (the fragment must occur exactly once in the
copied source, else the entry fails loudly). `--copy` chooses how the copied source is presented:
`plain` (as in the repository), `renamed` (every parameter and local variable of the copied functions
renamed consistently; `--args`/`--init` follow the renaming), `respaced` (re-formatted by ast.unparse:
other line breaks and spacing, comments gone). A slip is applied to the plain source first.

What is recorded per run: the exit code, the verdict, the kit's kind, slip and headline, the time, and
any internal error (a Python traceback on stderr, or exit 3 with one). The table gives per function
whether the right copy was accepted and, per slip, whether it was rejected and whether the slip was
named (the kit's text matched against the entry's `named_if` patterns -- a provisional judgment; the
kit's text is printed and kept so that a person can judge; a person's judgment of a headline, kept in
`conform_real_code/judgements.toml` with its reason, replaces the pattern's wherever that headline is printed
again -- a changed headline is judged by the patterns until a person judges it). Totals: wrong accepted (slipped copies that
conform), right accepted (label `conforms`), slips named, internal errors; entries whose claim does not
exist yet are counted apart (`claim unknown`), and so are entries whose source cannot be read.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import copy as copylib
import functools
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "conform_real_code" / "manifest.toml"
JUDGEMENTS = HERE / "conform_real_code" / "judgements.toml"
COPIES = ("plain", "renamed", "respaced")
HALVES = ("development", "heldout")


class ManifestError(Exception):
    """A manifest entry that cannot be turned into a module: reported, never skipped silently."""


# ------------------------------------------------------------------------------------------------ manifest


def load_manifest(path: Path = MANIFEST) -> dict:
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    ids = [entry["id"] for entry in data["function"]]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ManifestError(f"duplicate ids: {sorted(duplicates)}")
    return data


def split_by_rule(entries: list[dict]) -> dict[str, str]:
    """The stated rule: within a repository, order by SHA-256 of the id, alternate development/heldout."""
    halves = {}
    by_repo: dict[str, list[str]] = {}
    for entry in entries:
        by_repo.setdefault(entry["repo"], []).append(entry["id"])
    for ids in by_repo.values():
        for k, ident in enumerate(sorted(ids, key=lambda i: hashlib.sha256(i.encode()).hexdigest())):
            halves[ident] = HALVES[k % 2]
    return halves


# ------------------------------------------------------------------------------------------------ source


def read_source(entry: dict, mirror: Path) -> str:
    gitdir = mirror / entry["repo"].replace("/", "+") / "repo"
    if not gitdir.is_dir():
        raise ManifestError(f"no snapshot of {entry['repo']} at {gitdir} (fetch github:{entry['repo']})")
    commit = entry["commit"]
    if not re.fullmatch(r"[0-9a-f]{40}", commit):
        raise ManifestError(f"commit {commit!r} is not 40 hex digits")
    done = subprocess.run(["git", "--git-dir", str(gitdir), "show", f"{commit}:{entry['path']}"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise ManifestError(f"cannot read {entry['path']} at {commit[:10]} in {entry['repo']}: "
                            f"{done.stderr.strip().splitlines()[-1] if done.stderr.strip() else 'git failed'}")
    return done.stdout


def _definition(tree: ast.Module, name: str) -> ast.AST | None:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return node
    return None


def extract(source: str, names: list[str], drop_decorators: bool) -> str:
    """The named top-level definitions (or `Class.method`, dedented) from `source`, in the order given."""
    tree = ast.parse(source)
    lines = source.splitlines()
    pieces = []
    for qualname in names:
        parts = qualname.split(".")
        node = _definition(tree, parts[0])
        if node is None:
            raise ManifestError(f"{parts[0]!r} is not a top-level definition of the file")
        if len(parts) == 2:
            if not isinstance(node, ast.ClassDef):
                raise ManifestError(f"{parts[0]!r} is not a class")
            members = [n for n in node.body
                       if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == parts[1]]
            if not members:
                raise ManifestError(f"{qualname!r}: no such method")
            node = members[0]
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            text = textwrap.dedent("\n".join(lines[start - 1:node.end_lineno]))
        elif len(parts) == 1:
            first = node.lineno if drop_decorators else min([node.lineno] + [d.lineno for d in node.decorator_list])
            text = "\n".join(lines[first - 1:node.end_lineno])
        else:
            raise ManifestError(f"{qualname!r}: only `name` or `Class.method` can be extracted")
        pieces.append(text)
    return "\n\n\n".join(pieces) + "\n"


def apply_slip(text: str, slip: dict) -> str:
    count = text.count(slip["find"])
    if count != 1:
        raise ManifestError(f"slip {slip['name']!r}: fragment {slip['find']!r} found {count} times (must be once)")
    return text.replace(slip["find"], slip["replace"])


# ------------------------------------------------------------------------------------------------ copies

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _params(node) -> list[str]:
    a = node.args
    names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
    names += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
    return names


def _own_stores(node) -> tuple[set[str], set[str]]:
    """Names a scope binds itself (not inside nested scopes), and those it declares global/nonlocal."""
    stored, declared = set(), set()
    body = node.body if isinstance(node.body, list) else [node.body]

    def walk(n):
        if isinstance(n, _SCOPES + _COMPREHENSIONS + (ast.ClassDef,)):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                stored.add(n.name)
            for d in getattr(n, "decorator_list", []):
                walk(d)
            if isinstance(n, _SCOPES):
                for default in n.args.defaults + [d for d in n.args.kw_defaults if d is not None]:
                    walk(default)
            if isinstance(n, _COMPREHENSIONS):
                walk(n.generators[0].iter)
            return
        if isinstance(n, (ast.Global, ast.Nonlocal)):
            declared.update(n.names)
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            stored.add(n.id)
        if isinstance(n, ast.ExceptHandler) and n.name:
            stored.add(n.name)
        for child in ast.iter_child_nodes(n):
            walk(child)

    for statement in body:
        walk(statement)
    return stored, declared


class _Renamer:
    """Renames every parameter and local variable of the copied functions, scope by scope."""

    def __init__(self, keep: set[str]):
        self.keep = keep | {"self", "cls"}
        self.counter = 0
        self.maps: dict[int, dict[str, str]] = {}  # id(function node) -> its own renaming

    def fresh(self) -> str:
        self.counter += 1
        return f"q{self.counter}_"

    def scope(self, node, outer: dict[str, str]):
        if isinstance(node, _COMPREHENSIONS):
            own = set()
            for gen in node.generators:
                own |= {n.id for n in ast.walk(gen.target) if isinstance(n, ast.Name)}
            mapping = dict(outer)
            mapping.update({name: self.fresh() for name in sorted(own)})
            self.visit_children(node, mapping, comprehension=True)
            return
        params = [p for p in _params(node) if p not in self.keep]
        stored, declared = _own_stores(node)
        local = (set(params) | stored) - declared - self.keep
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            local.discard(node.name) if node.name not in params else None
        own = {name: self.fresh() for name in params}
        own.update({name: self.fresh() for name in sorted(local - set(params))})
        self.maps[id(node)] = own
        mapping = dict(outer)
        for name in declared:
            mapping.pop(name, None)
        mapping.update(own)
        for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs + \
                [x for x in (node.args.vararg, node.args.kwarg) if x is not None]:
            if a.arg in mapping:
                a.arg = mapping[a.arg]
        body = node.body if isinstance(node.body, list) else [node.body]
        for statement in body:
            self.visit(statement, mapping)

    def visit_children(self, node, mapping, comprehension=False):
        for child in ast.iter_child_nodes(node):
            self.visit(child, mapping)

    def visit(self, node, mapping):
        if isinstance(node, _SCOPES):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in mapping:
                node.name = mapping[node.name]  # a nested function is a local name of its enclosing one
            for d in getattr(node, "decorator_list", []):
                self.visit(d, mapping)
            for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
                self.visit(default, mapping)
            self.scope(node, mapping)
            return
        if isinstance(node, _COMPREHENSIONS):
            self.scope(node, mapping)
            return
        if isinstance(node, ast.ClassDef):  # a class body is not a function scope: only its methods are renamed
            for d in node.decorator_list + node.bases:
                self.visit(d, mapping)
            for statement in node.body:
                self.visit(statement, {})
            return
        if isinstance(node, ast.Name) and node.id in mapping:
            node.id = mapping[node.id]
        if isinstance(node, ast.ExceptHandler) and node.name in mapping:
            node.name = mapping[node.name]
        self.visit_children(node, mapping)


def rename(text: str, keep: set[str]) -> tuple[str, dict[str, dict[str, str]]]:
    """The copy with its functions' parameters and locals renamed; and, per `Class.method`/function
    qualname, the parameter renaming (for --args and --init)."""
    tree = ast.parse(text)
    renamer = _Renamer(keep)
    for statement in tree.body:
        renamer.visit(statement, {})
    params: dict[str, dict[str, str]] = {}
    original = ast.parse(text)
    for old_top, new_top in zip(original.body, tree.body):
        pairs = []
        if isinstance(old_top, (ast.FunctionDef, ast.AsyncFunctionDef)):
            pairs.append((old_top.name, old_top, new_top))
        elif isinstance(old_top, ast.ClassDef):
            for old_m, new_m in zip(old_top.body, new_top.body):
                if isinstance(old_m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    pairs.append((f"{old_top.name}.{old_m.name}", old_m, new_m))
        for qual, old_f, new_f in pairs:
            params[qual] = {a: b for a, b in zip(_params(old_f), _params(new_f)) if a != b}
            a = old_f.args
            positional = a.posonlyargs + a.args
            defaulted = [x.arg for x in positional[len(positional) - len(a.defaults):]] if a.defaults else []
            defaulted += [x.arg for x, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
            params[f"{qual}.__defaulted__"] = {name: name for name in defaulted}
    return ast.unparse(tree) + "\n", params


def respace(text: str) -> str:
    return ast.unparse(ast.parse(text)) + "\n"


# ------------------------------------------------------------------------------------------------ runs


@dataclass
class Run:
    id: str
    half: str
    copy: str
    variant: str  # "right" or the slip's name
    claim: str
    label: str
    expect: str = ""
    rc: int | None = None
    verdict: str = ""  # accepted | rejected | bad-input | inconclusive | claim-unknown | timeout | internal-error | source-unavailable
    kind: str = ""
    kit_slip: str = ""
    headline: str = ""
    named: bool | None = None
    judged: str = ""  # a person's reason, where judgements.toml judged this headline
    seconds: float = 0.0
    internal_error: str = ""
    stderr_tail: str = ""
    command: list[str] = field(default_factory=list)


def module_text(data: dict, entry: dict, body: str) -> str:
    parts = [textwrap.dedent(data["preludes"][name]).strip("\n") for name in entry.get("prelude", [])]
    parts.append(body.rstrip("\n"))
    if entry.get("wrapper"):
        parts.append(textwrap.dedent(entry["wrapper"]).strip("\n"))
    return "\n\n\n".join(parts) + "\n"


def conform_command(entry: dict, module: str, params: dict[str, dict[str, str]] | None) -> list[str]:
    call = entry.get("call") or entry["qualname"].split(".")[-1]
    args = list(entry.get("args", []))
    init = list(entry.get("init", []))
    if params:  # the renamed copy: the user's --args and --init name the renamed parameters
        target = entry["qualname"] if not entry.get("call") or entry.get("call") == entry["qualname"] else call
        forward = params.get(f"{target}.forward", {}) if "." not in target else {}
        called = params.get(target, {}) or forward
        constructor = params.get(f"{target.split('.')[0]}.__init__", {})
        remapped = []
        for item in args:
            name, _, expr = item.partition("=")
            remapped.append(f"{called.get(name, name)}={expr}")
        renamed_names = {called.get(item.partition('=')[0]) for item in args}
        key = target if target in params else f"{target}.forward"
        defaulted = params.get(f"{key}.__defaulted__", {})
        for old, new in called.items():  # parameters matched by name before the renaming (not those with defaults)
            if new not in renamed_names and old not in ("self", "cls") and old not in defaulted:
                remapped.append(f"{new}={old}")
        args = remapped
        init = [f"{constructor.get(i.partition('=')[0], i.partition('=')[0])}={i.partition('=')[2]}"
                if "=" in i else i for i in init]
    command = [sys.executable, "-m", "derivspec", "conform", entry["claim"], f"{module}:{call}"]
    if args:
        command += ["--args", *args]
    if entry.get("conventions"):
        command += ["--convention", *entry["conventions"]]
    for item in entry.get("up_to", []):
        command += ["--up-to", item]
    if entry.get("fix"):
        command += ["--fix", *entry["fix"]]
    for key in ("precision", "schedule", "index", "steps"):
        if entry.get(key):
            command += [f"--{key}", str(entry[key])]
    if entry.get("batching"):
        command.append(f"--{entry['batching']}")
    if entry.get("size"):
        command += ["--size", *entry["size"]]
    if init:
        command += ["--init", *init]
    return command + ["--json"]


TRACEBACK = "Traceback (most recent call last)"


def classify(run: Run, done: subprocess.CompletedProcess | None, slip: dict | None) -> None:
    if done is None:
        run.verdict = "timeout"
        return
    run.rc = done.returncode
    stderr = done.stderr or ""
    run.stderr_tail = stderr[-2000:]
    report = None
    try:
        report = json.loads(done.stdout) if done.stdout.strip() else None
    except json.JSONDecodeError:
        report = None
    if TRACEBACK in stderr:
        run.internal_error = stderr[stderr.rfind(TRACEBACK):][-1500:]
    elif re.search(r"internal error", stderr, re.IGNORECASE):  # the kit's own word for it (exit 3)
        run.internal_error = stderr.strip()[-1500:]
    if isinstance(report, dict):
        run.kind = str(report.get("kind") or "")
        run.kit_slip = str(report.get("slip") or "")
        message = str(report.get("message") or "")
        run.headline = message.splitlines()[0] if message else ""
        if report.get("notes"):
            run.headline += "  [notes: " + " | ".join(map(str, report["notes"])) + "]"
    if run.rc == 0:
        run.verdict = "accepted"
    elif run.rc == 1:
        run.verdict = "rejected"
    elif run.rc == 2:
        run.verdict = "claim-unknown" if "unknown claim" in stderr else "bad-input"
        run.headline = run.headline or stderr.strip().splitlines()[-1] if stderr.strip() else run.headline
    elif run.rc == 3:
        run.verdict = "inconclusive"
        run.headline = run.headline or (stderr.strip().splitlines()[-1] if stderr.strip() else "")
    else:
        run.verdict = "internal-error"
        run.internal_error = run.internal_error or f"exit {run.rc}: {stderr.strip()[-500:]}"
    if run.rc in (0, 1) and report is None:
        run.internal_error = run.internal_error or "no JSON report on stdout"
    if run.internal_error and run.verdict not in ("internal-error",):
        run.verdict = run.verdict if run.verdict in ("accepted", "rejected") else "internal-error"
    if slip is not None and run.verdict == "rejected":
        run.named = slip_named(run, slip)


GENERIC = re.compile(r"^.*? does not conform to \S+?:\s*|\(no registered slip of this claim matches it\)")


def slip_named(run: Run, slip: dict) -> bool:
    """A person's judgment of this headline where judgements.toml has one (``run.judged`` its reason);
    otherwise provisional: the kit's slip name or headline (less the function's name, the claim's id and
    the generic "no registered slip" phrase) matches one of the entry's `named_if` patterns."""
    for judged in judgements():
        if judged["id"] == run.id and judged["variant"] == run.variant and judged["headline"] in run.headline:
            run.judged = judged["why"]
            return judged["named"]
    text = f"{run.kit_slip} {GENERIC.sub(' ', run.headline)}"
    return any(re.search(p, text, re.IGNORECASE) for p in slip.get("named_if", []))


@functools.cache
def judgements(path: Path = JUDGEMENTS) -> list[dict]:
    """judgements.toml's ``[[judged]]`` entries: id, variant, headline (a part of the kit's headline the
    same in every copy), named, why."""
    return tomllib.loads(path.read_text(encoding="utf-8")).get("judged", []) if path.is_file() else []


def build_variants(data: dict, entry: dict, mirror: Path) -> list[tuple[str, dict | None, str]]:
    source = read_source(entry, mirror)
    body = extract(source, entry.get("extract", [entry["qualname"]]), entry.get("drop_decorators", False))
    variants = [("right", None, body)]
    for slip in entry.get("slips", []):
        variants.append((slip["name"], slip, apply_slip(body, slip)))
    return variants


def present(body: str, copy: str, entry: dict) -> tuple[str, dict | None]:
    if copy == "plain":
        return body, None
    if copy == "respaced":
        return respace(body), None
    text, params = rename(body, set(entry.get("keep_names", [])))
    return text, params


def run_entry(data: dict, entry: dict, copy: str, mirror: Path, folder: Path, timeout: float,
              log) -> list[Run]:
    runs = []
    label = entry.get("label", "")
    try:
        variants = build_variants(data, entry, mirror)
    except (ManifestError, SyntaxError) as error:
        run = Run(entry["id"], entry["half"], copy, "right", entry["claim"], label,
                  verdict="source-unavailable", internal_error="", headline=str(error))
        log(f"  {entry['id']}: SOURCE NOT READ -- {error}")
        return [run]
    for k, (variant, slip, body) in enumerate(variants):
        run = Run(entry["id"], entry["half"], copy, variant, entry["claim"], label,
                  expect=slip["expect"] if slip else "")
        try:
            text, params = present(body, copy, entry)
        except SyntaxError as error:  # a slip that breaks the syntax is a manifest error
            run.verdict, run.headline = "bad-input", f"copy does not parse: {error}"
            runs.append(run)
            continue
        module = "rc_" + re.sub(r"\W", "_", entry["id"]) + f"_{copy}_{k}"
        (folder / f"{module}.py").write_text(module_text(data, entry, text))
        command = conform_command(entry, module, params)
        run.command = command
        env = dict(os.environ, PYTHONPATH=str(folder), JAX_PLATFORMS="cpu", PYTHONDONTWRITEBYTECODE="1")
        env.update(entry.get("env", {}))
        start = time.perf_counter()
        try:
            done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            done = None
        run.seconds = round(time.perf_counter() - start, 2)
        classify(run, done, slip)
        runs.append(run)
        log(f"  {entry['id']} [{copy}] {variant}: {run.verdict}"
            f"{' (' + run.kind + ')' if run.kind else ''} {run.seconds:.1f}s"
            f"{'  INTERNAL ERROR' if run.internal_error else ''}  {run.kit_slip or run.headline[:150]}")
    return runs


# ------------------------------------------------------------------------------------------------ totals


def is_right_label(label: str) -> bool:
    return label == "conforms"


def totals(runs: list[Run]) -> dict:
    right = [r for r in runs if r.variant == "right" and r.verdict not in ("claim-unknown", "source-unavailable")]
    slips = [r for r in runs if r.variant != "right" and r.verdict not in ("claim-unknown", "source-unavailable")]
    conforms = [r for r in right if is_right_label(r.label)]
    unstable = [r for r in right if r.label.startswith("unstable")]
    rejected = [r for r in slips if r.verdict == "rejected"]
    return {
        "right (label conforms)": len(conforms),
        "right accepted": sum(r.verdict == "accepted" for r in conforms),
        "right accepted %": round(100 * sum(r.verdict == "accepted" for r in conforms) / len(conforms), 1)
        if conforms else None,
        "unstable-labelled": len(unstable),
        "unstable rejected as unstable": sum(r.verdict == "rejected" and r.kind == "unstable" for r in unstable),
        "slipped copies": len(slips),
        "wrong accepted": sum(r.verdict == "accepted" for r in slips),
        "slips rejected": len(rejected),
        "slips named": sum(bool(r.named) for r in rejected),
        "of them judged by a person": sum(bool(r.judged) for r in rejected),
        "slips named %": round(100 * sum(bool(r.named) for r in rejected) / len(slips), 1) if slips else None,
        "internal errors": sum(bool(r.internal_error) for r in runs),
        "bad input (exit 2)": sum(r.verdict == "bad-input" for r in runs),
        "inconclusive (exit 3)": sum(r.verdict == "inconclusive" for r in runs),
        "timeouts": sum(r.verdict == "timeout" for r in runs),
        "claim unknown (runs)": sum(r.verdict == "claim-unknown" for r in runs),
        "source unavailable (entries)": sum(r.verdict == "source-unavailable" for r in runs),
    }


def print_table(runs: list[Run], out=sys.stdout) -> None:
    def mark(r: Run) -> str:
        if r.variant == "right":
            ok = {"accepted": "accepted", "rejected": "REJECTED"}.get(r.verdict, r.verdict)
            return ok + (f" ({r.kind})" if r.kind else "")
        if r.verdict == "accepted":
            return "WRONG ACCEPTED"
        if r.verdict == "rejected":
            return ("rejected, " + ("named" if r.named else "not named") + (" (judged)" if r.judged else "")
                    + (f" ({r.kind})" if r.kind else ""))
        return r.verdict
    key = lambda r: (r.copy, r.half, r.id)
    for copy in COPIES:
        for half in HALVES:
            block = [r for r in runs if r.copy == copy and r.half == half]
            if not block:
                continue
            print(f"\n== copy {copy}, half {half}", file=out)
            for r in sorted(block, key=key):
                what = "right" if r.variant == "right" else f"slip: {r.variant}"
                print(f"  {r.id:<44} {what:<44} {mark(r)}{'  [INTERNAL ERROR]' if r.internal_error else ''}",
                      file=out)
                text = r.kit_slip or r.headline
                if text:
                    print(f"      kit: {text[:240]}", file=out)
                if r.expect and r.verdict == "rejected":
                    print(f"      expected: {r.expect}", file=out)
            print(f"  totals: {json.dumps(totals(block))}", file=out)
    print(f"\n== all copies and halves run: {json.dumps(totals(runs))}", file=out)


# ------------------------------------------------------------------------------------------------ modes


def check(data: dict, mirror: Path) -> int:
    entries = data["function"]
    problems = 0
    rule = split_by_rule(entries)
    for entry in entries:
        if entry["half"] != rule[entry["id"]]:
            print(f"{entry['id']}: half {entry['half']!r}, the rule says {rule[entry['id']]!r}")
            problems += 1
        for key in ("id", "half", "repo", "commit", "path", "qualname", "claim", "label"):
            if not entry.get(key):
                print(f"{entry.get('id', '?')}: missing {key}")
                problems += 1
        try:
            variants = build_variants(data, entry, mirror)
            for copy in COPIES:
                for _, _, body in variants:
                    present(body, copy, entry)
        except (ManifestError, SyntaxError) as error:
            print(f"{entry['id']}: {error}")
            problems += 1
    counts: dict[str, dict[str, int]] = {}
    for entry in entries:
        counts.setdefault(entry["repo"], {h: 0 for h in HALVES})[entry["half"]] += 1
    print(json.dumps({"entries": len(entries), "slips": sum(len(e.get("slips", [])) for e in entries),
                      "entries with slips": sum(bool(e.get("slips")) for e in entries),
                      "per repository": counts}, indent=1))
    print("check:", "ok" if not problems else f"{problems} problem(s)")
    return 1 if problems else 0


def smoke(data: dict, entries: list[dict], mirror: Path) -> int:
    failures = 0
    with tempfile.TemporaryDirectory(prefix="conform_real_smoke_") as folder:
        sys.path.insert(0, folder)
        for entry in entries:
            for key, value in entry.get("env", {}).items():
                os.environ.setdefault(key, value)
            try:
                variants = build_variants(data, entry, mirror)
            except ManifestError as error:
                print(f"{entry['id']}: SOURCE NOT READ -- {error}")
                failures += 1
                continue
            for copy in COPIES:
                for k, (variant, _, body) in enumerate(variants[:1]):
                    text, _ = present(body, copy, entry)
                    name = "smoke_" + re.sub(r"\W", "_", entry["id"]) + f"_{copy}"
                    Path(folder, f"{name}.py").write_text(module_text(data, entry, text))
                    direct = not entry.get("call") or entry["call"] == entry["qualname"].split(".")[-1]
                    try:
                        module = __import__(name)
                        if copy == "renamed" and direct:  # the smoke call names the original parameters
                            value = "(imported; renamed parameters: no smoke call)"
                        else:
                            value = eval(entry["smoke"], vars(module)) if entry.get("smoke") else "(no smoke call)"
                        print(f"{entry['id']} [{copy}]: {str(value)[:100]!s}".replace("\n", " "))
                    except Exception as error:  # noqa: BLE001 -- reported, this is the point
                        print(f"{entry['id']} [{copy}]: FAILED {type(error).__name__}: {error}")
                        failures += 1
    print("smoke:", "ok" if not failures else f"{failures} failure(s)")
    return 1 if failures else 0


def rejudge(data: dict, path: Path) -> int:
    """A recorded run judged again: each rejected slip's headline against judgements.toml and the patterns."""
    slips = {(e["id"], s["name"]): s for e in data["function"] for s in e.get("slips", [])}
    names = {f.name for f in Run.__dataclass_fields__.values()}
    runs = [Run(**{k: v for k, v in r.items() if k in names}) for r in json.loads(path.read_text())["runs"]]
    for run in runs:
        run.judged = ""
        if run.variant != "right" and run.verdict == "rejected":
            run.named = slip_named(run, slips[(run.id, run.variant)])
    print_table(runs)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--half", choices=(*HALVES, "all"), default="development")
    parser.add_argument("--copy", choices=(*COPIES, "all"), default="plain")
    parser.add_argument("--only", nargs="+", metavar="ID", help="these entries only (ids or id prefixes)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write every run here (keep it outside the repository)")
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per conform call")
    parser.add_argument("--check", action="store_true", help="check the manifest, the split and every slip; run nothing")
    parser.add_argument("--smoke", action="store_true", help="import each right copy and call it once, without derivspec")
    parser.add_argument("--judge", type=Path, metavar="RUNS", help="print the table of a run's --json output again, "
                        "its slips named by judgements.toml and the patterns as they are now; run nothing")
    options = parser.parse_args(argv)
    data = load_manifest(options.manifest)
    if options.check:
        return check(data, options.mirror)
    if options.judge:
        return rejudge(data, options.judge)
    entries = [e for e in data["function"] if options.half == "all" or e["half"] == options.half]
    if options.only:
        entries = [e for e in entries if any(e["id"] == o or e["id"].startswith(o) for o in options.only)]
    if options.smoke:
        return smoke(data, entries, options.mirror)
    copies = COPIES if options.copy == "all" else (options.copy,)
    runs: list[Run] = []
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="conform_real_") as folder:
        for copy in copies:
            for entry in entries:
                runs += run_entry(data, entry, copy, options.mirror, Path(folder), options.timeout,
                                  lambda line: print(line, file=sys.stderr, flush=True))
    print_table(runs)
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True,
                                text=True).stdout.strip()
        payload = {"derivspec_commit": commit, "half": options.half, "copies": list(copies),
                   "seconds": round(time.time() - started, 1), "totals": totals(runs),
                   "per_copy": {c: totals([r for r in runs if r.copy == c]) for c in copies},
                   "runs": [vars(r) for r in runs]}
        options.json.write_text(json.dumps(payload, indent=1))
        print(f"\nwrote {options.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
