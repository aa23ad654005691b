"""The pre-commit hook (.pre-commit-hooks.yaml, docs/ci.md), for real.

A copy of this working tree (uncommitted edits included) becomes a git repository with one
commit; a course repository in ``tmp_path`` uses it through the configuration docs/ci.md shows
(``repo:`` and ``rev:`` pointed at the copy); ``pre-commit install`` puts the hook in place and
``git commit`` runs it: pre-commit builds its own virtual environment and installs derivspec into it
with pip from the package index. A commit adding a wrong formula is rejected with the flag in the
output; the commit that fixes it goes through.

Before that, a dry-run resolution of the same install must not pull torch or the rest of the
numeric stack (they are the ``numeric`` extra): the hook installs the core only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HEAVY = {"torch", "numpy", "scipy", "matplotlib", "triton"}  # the numeric extra and what torch drags in
WRONG = r"""# Squares

For numbers $a$ and $b$:
$$(a+b)^2 = a^2 + b^2$$
"""
RIGHT = WRONG.replace("a^2 + b^2", "a^2 + 2ab + b^2")


def git(*args: str, cwd: Path, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def isolated_env(tmp_path: Path) -> dict:
    """git without the user's or the system's configuration, pre-commit's cache in tmp_path."""
    return {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def working_tree_copy(dest: Path, env: dict) -> str:
    """This working tree's files (tracked and untracked, not ignored) as a repository with one
    commit; its sha."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is left out
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    for args in (("init", "-q"), ("add", "-A"), ("commit", "-q", "-m", "derivspec working tree")):
        assert git(*args, cwd=dest, env=env).returncode == 0
    return git("rev-parse", "HEAD", cwd=dest, env=env).stdout.strip()


def documented_configs() -> list[dict]:
    """docs/ci.md's .pre-commit-config.yaml blocks: derivspec's repository, then ``repo: local``."""
    page = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    return [c for c in map(yaml.safe_load, re.findall(r"```yaml\n(.*?)```", page, re.DOTALL))
            if isinstance(c, dict) and "repos" in c]


def documented_config(repo: Path) -> str:
    """docs/ci.md's first .pre-commit-config.yaml (derivspec's repository), pointed at ``repo``; its
    ``rev`` as documented (``pre-commit autoupdate`` pins it)."""
    config = documented_configs()[0]
    (entry,) = config["repos"]
    entry["repo"] = str(repo)
    return yaml.safe_dump(config)


@pytest.mark.slow  # 59 s on 2 cores: pre-commit installs the hook's environment
def test_precommit_hook_rejects_a_wrong_formula_and_accepts_its_fix(tmp_path, package_index):
    env = isolated_env(tmp_path)
    source = tmp_path / "derivspec-src"
    source.mkdir()
    rev = working_tree_copy(source, env)

    # the guard: the install pre-commit makes must not resolve torch (or numpy, scipy, matplotlib)
    report = tmp_path / "resolution.json"
    dry = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                          "--report", str(report), str(source)], env=env, capture_output=True, text=True, timeout=600)
    assert dry.returncode == 0, dry.stderr[-3000:]
    names = {item["metadata"]["name"].lower() for item in json.loads(report.read_text())["install"]}
    pulled = sorted(n for n in names if n in HEAVY or n.startswith("nvidia"))
    assert not pulled, f"installing derivspec would pull {pulled}: they belong in the `numeric` extra"
    assert {"derivspec", "sympy", "mpmath", "rich"} <= names

    course = tmp_path / "course"
    course.mkdir()
    assert git("init", "-q", cwd=course, env=env).returncode == 0
    (course / ".pre-commit-config.yaml").write_text(documented_config(source), encoding="utf-8")
    precommit = [sys.executable, "-m", "pre_commit"]
    # as docs/ci.md says: autoupdate pins rev (the repository has no tag: its newest commit's hash)
    updated = subprocess.run([*precommit, "autoupdate"], cwd=course, env=env, capture_output=True, text=True,
                             timeout=300)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    (entry,) = yaml.safe_load((course / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"]
    assert entry["rev"] == rev
    installed = subprocess.run([*precommit, "install"], cwd=course, env=env, capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr

    (course / "notes.md").write_text(WRONG, encoding="utf-8")
    git("add", "notes.md", ".pre-commit-config.yaml", cwd=course, env=env)
    rejected = git("commit", "-m", "squares", cwd=course, env=env, timeout=900)  # pre-commit builds its env here
    output = rejected.stdout + rejected.stderr
    assert rejected.returncode != 0, output
    assert "derivspec scan" in output and "Failed" in output and "exit code: 1" in output, output
    assert "DS001 the two sides differ" in output and "1 flagged" in output, output
    assert git("rev-parse", "--verify", "-q", "HEAD", cwd=course, env=env).returncode != 0  # no commit was made

    (course / "notes.md").write_text(RIGHT, encoding="utf-8")
    git("add", "notes.md", cwd=course, env=env)
    accepted = git("commit", "-m", "squares, expanded", cwd=course, env=env, timeout=300)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "Passed" in accepted.stdout + accepted.stderr
    assert git("log", "--format=%s", cwd=course, env=env).stdout.split("\n")[0] == "squares, expanded"


def test_the_local_precommit_config_works_as_pasted(tmp_path):
    """docs/ci.md's ``repo: local`` configuration, verbatim, with this environment's derivspec on PATH:
    a commit adding a wrong formula is rejected with its flag, the fix goes through."""
    env = isolated_env(tmp_path)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    page = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```yaml\n(.*?)```", page, re.DOTALL) if "repo: local" in b]
    course = tmp_path / "course"
    course.mkdir()
    assert git("init", "-q", cwd=course, env=env).returncode == 0
    (course / ".pre-commit-config.yaml").write_text(block, encoding="utf-8")
    precommit = [sys.executable, "-m", "pre_commit"]
    installed = subprocess.run([*precommit, "install"], cwd=course, env=env, capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr

    (course / "notes.md").write_text(WRONG, encoding="utf-8")
    (course / "tool.py").write_text("x = 1\n", encoding="utf-8")  # not a lecture file: the hook never sees it
    git("add", "notes.md", "tool.py", ".pre-commit-config.yaml", cwd=course, env=env)
    rejected = git("commit", "-m", "squares", cwd=course, env=env, timeout=300)
    output = rejected.stdout + rejected.stderr
    assert rejected.returncode != 0, output
    assert "Failed" in output and "exit code: 1" in output and "DS001 the two sides differ" in output and "1 flagged" in output, output
    assert "tool.py" not in output, output

    (course / "notes.md").write_text(RIGHT, encoding="utf-8")
    git("add", "notes.md", cwd=course, env=env)
    accepted = git("commit", "-m", "squares, expanded", cwd=course, env=env, timeout=300)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "Passed" in accepted.stdout + accepted.stderr
