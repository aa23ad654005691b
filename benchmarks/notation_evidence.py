r"""Evidence for the table of standard notation (issue 88): which symbols the development material uses with more
than one meaning. A symbol the development corpus uses with two meanings is a *guess*, not *notation*
(derivspec/data/knowledge/notation.toml).

For every ``[[symbol]]`` and ``[[role]]`` row it reads the development half's documents (benchmarks/scan_corpus
split.toml at its pinned commits, and the real-error documents of the development half at their buggy commits),
and for each letter of the row lists the documents where the prose introduces it as something else than the row's
meaning ("let $z$ be the latent", "the residual $e_i$", "$\pi(a | s)$ the policy") or the math writes it in a form
the row does not read (\Gamma^k_{ij}, \pi_k, e_i, a bold \Phi). Only repository:path names are printed, never text.

    python benchmarks/notation_evidence.py                    # per row: documents with another meaning
    python benchmarks/notation_evidence.py --json OUT.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import scan_corpus  # noqa: E402
import scan_real_errors  # noqa: E402

TABLE = ROOT / "derivspec" / "data" / "knowledge" / "notation.toml"

# another meaning of a symbol, in the math (a form the row does not read) or in the words around it
OTHER = {
    "Gamma": [r"\\Gamma\s*[_^]", r"\\(?:mathbf|boldsymbol)\s*\{?\s*\\Gamma"],
    "Beta-function": [r"(?<![\\A-Za-z])B\s*_", r"\\mathbf\s*\{?\s*B\b"],
    "digamma": [r"\\psi\s*_", r"\\psi\s*\(\s*\\?(?:mathbf\s*\{?\s*)?[xs]\b"],
    "Phi": [r"\\Phi\s*:", r"\\Phi\s*\(\s*s\b", r"\\(?:mathbf|boldsymbol)\s*\{?\s*\\Phi", r"\\Phi\s*\^\s*\{?\s*(?:T|\\top)", r"\\Phi\s*_"],
    "sigmoid": [r"\\sigma\s*_\s*\{?\s*t", r"\\sigma\s*\(\s*t\s*\)"],
    "euler": [r"(?<![\\A-Za-z])e\s*_\s*\{?\s*[ijk]", r"\\sum\s*_\s*\{?\s*e\b", r"(?<![\\A-Za-z])e\s*\\in\b"],
    "pi": [r"\\pi\s*\(\s*[a-z]", r"\\pi\s*_\s*\{?\s*(?:k|i|j|\\theta)"],
    "delta": [r"\\delta\s*(?:[+\-=<>]|\\to)", r"\\delta\s*_\s*\{?\s*t\b"],
    "identity-I": [r"(?<![\\A-Za-z])I\s*\(\s*[A-Za-z]\s*;"],
    "entropy-H": [r"\\mathbf\s*\{?\s*H\b", r"(?<![\\A-Za-z])H\s*_\s*\{?\s*t\b"],
    "elbo-L": [r"\\mathcal\s*\{?\s*L\s*\}?\s*\(\s*\\theta\s*\)"],
    "cdf-F": [r"(?<![\\A-Za-z])F\s*\(\s*[a-z]\s*\)\s*=\s*[^$]*\\int", r"(?<![\\A-Za-z])F\s*_\s*\{?\s*\\theta"],
    "random-variable-value": [r"(?<![\\A-Za-z])X\s*\\in\s*\\mathbb\s*\{?\s*R\s*\}?\s*\^\s*\{?\s*[nN]\s*\\times",
                              r"(?<![\\A-Za-z])X\s*\^\s*\{?\s*(?:T|\\top)"],
    "capital-letter": [r"(?<![\\A-Za-z])[A-Z]\s*\\in\s*\\mathbb\s*\{?\s*R\s*\}?\s*\^\s*\{?\s*[a-z]\s*\\times"],
}
# words that introduce a letter: "$z$ is the latent", "latent variable $z$"
_INTRODUCED = (r"\$\s*{name}\s*\$\s*(?:is|be|denotes?|as)\s+(?:the|a|an|our)\s+([a-z]+(?:\s+[a-z]+)?)"
               r"|\b(?:the|a|an)\s+([a-z]+)\s+\$\s*{name}\s*\$")


def documents(mirror: Path):
    """(repo:path, text) of the development material."""
    seen = set()
    for repo in scan_corpus.repositories("development"):
        gdir = scan_corpus.git_dir_of(repo, mirror)
        if not gdir.exists():
            continue
        for name in scan_corpus.repo_documents(repo, mirror):
            key = f"{repo['name']}:{name}"
            if key not in seen:
                seen.add(key)
                yield key, scan_corpus.source_text(gdir, repo["commit"], name)
    for e in scan_real_errors.labels("development"):
        key = f"{e['repo']}:{e['path']}"
        if key not in seen:
            seen.add(key)
            gdir = scan_real_errors.git_dir(e["repo"], mirror)
            if gdir.exists():
                yield key, scan_real_errors.document_text(gdir, e["buggy"], e["path"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    data = tomllib.loads(TABLE.read_text(encoding="utf-8"))
    symbols = {r["id"]: r for r in data["symbol"]}
    roles = {r["id"]: r for r in data["role"]}
    found: dict = defaultdict(set)
    nouns: dict = defaultdict(lambda: defaultdict(set))  # letter -> noun -> documents
    count = 0
    for key, text in documents(args.mirror):
        count += 1
        for rid, patterns in OTHER.items():
            if any(re.search(p, text) for p in patterns):
                found[rid].add(key)
        letters = {x for r in roles.values() for x in r["letters"] if len(x) <= 8}
        for letter in letters:
            pattern = _INTRODUCED.format(name=re.escape(letter))
            for m in re.finditer(pattern, text, re.IGNORECASE):
                noun = (m.group(1) or m.group(2) or "").lower()
                if noun:
                    nouns[letter][noun].add(key)
    out = {"documents": count, "symbols": {}, "roles": {}}
    for rid, r in symbols.items():
        other = sorted(found.get(rid, ()))
        out["symbols"][rid] = {"provenance": r["provenance"], "other_meaning_documents": other}
        print(f"{rid:24s} {r['provenance']:8s} other meaning in {len(other):3d} documents  {other[:3]}")
    for rid, r in roles.items():
        said = {}
        for letter in r["letters"]:
            for noun, docs in nouns.get(letter, {}).items():
                said.setdefault(f"{letter}: {noun}", sorted(docs))
        out["roles"][rid] = said
        print(f"role {rid:22s} introduced as: " + "; ".join(f"{k} ({len(v)})" for k, v in list(said.items())[:8]))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
