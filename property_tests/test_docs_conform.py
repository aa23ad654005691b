"""The README's conform tour and docs/testing.md's sessions run as written (issue 87, item 8).

The tour names functions of examples/homework.py, a module that ships; docs/testing.md's code blocks are
that module's (and examples/losses.py's) code, verbatim; every ``$ derivspec conform ...`` session there
prints, run in examples/, the verdict the docs show (scripts/docs_sessions.py --update rewrites them).
"""

from __future__ import annotations

import ast
import re
import shlex
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import docs_sessions  # noqa: E402

pytest.importorskip("torch")
pytest.importorskip("scipy")


def _definitions(source: str) -> dict:
    tree = ast.parse(source)
    return {node.name: ast.get_source_segment(source, node) for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def test_the_docs_code_blocks_are_the_examples_code():
    text = docs_sessions.DOCS.read_text(encoding="utf-8")
    modules = [_definitions((ROOT / "examples" / name).read_text()) for name in ("homework.py", "losses.py")]
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "def " in b and "import students" not in b]
    assert len(blocks) >= 4
    for block in blocks:
        for name, source in _definitions(block).items():
            assert any(module.get(name) == source for module in modules), \
                f"docs/testing.md's {name} is not the {name} of examples/homework.py or examples/losses.py"


def _tour() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return [line.split("#")[0].strip() for line in readme.splitlines()
            if line.startswith(".venv/bin/derivspec conform")]


def test_the_readme_tour_names_modules_that_ship(monkeypatch, capsys):
    from derivspec.app.cli import main

    lines = _tour()
    assert len(lines) == 4
    monkeypatch.chdir(ROOT)
    codes = []
    for line in lines:
        words = shlex.split(line)[1:]
        module = next(w for w in words if ".py:" in w).split(":")[0]
        assert (ROOT / module).is_file(), module
        codes.append(main(words))
    out = capsys.readouterr().out
    assert codes == [1, 0, 0, 0], out
    assert "arguments swapped" in out and "kl.gaussian.univariate: KL between two univariate Gaussians" in out


SESSIONS = docs_sessions.sessions(docs_sessions.DOCS.read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.parametrize("session", SESSIONS, ids=[f"line{s.line + 1}" for s in SESSIONS])
def test_every_docs_session_prints_what_the_docs_show(session):
    sys.path.insert(0, str(docs_sessions.EXAMPLES))
    code, output = docs_sessions.run(session.command)
    assert code == session.exit_code, output
    assert docs_sessions.same_headline(session.output, output), output[:1]
