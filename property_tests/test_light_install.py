"""The light install, for real: ``pip install derivspec`` without the ``numeric`` extra.

A fresh virtual environment (no system site packages, no user site, no PYTHONPATH) gets a
non-editable ``pip install`` of a copy of the repository's files (``git ls-files``: no .venv, no
build folder) from the package index, as a user's ``pip install derivspec`` would. In it:
``check`` and ``scan`` give the verdicts and exit codes the full install (this process) gives,
the commands that need torch stop with the one-line numeric-extra error (exit 2), torch, numpy,
scipy and matplotlib are not there, and ``derivspec.__version__`` is the installed metadata's
version, pyproject.toml's. pip's own dry-run resolution of the core lists no torch or CUDA
package either.

The lecture files scanned are a parametrised list (:data:`LECTURES`: Markdown, a notebook, Quarto);
another input format is one more entry.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from derivspec.app.cli import main

ROOT = Path(__file__).resolve().parents[1]
NUMERIC = ("torch", "numpy", "scipy", "matplotlib")  # the numeric extra (pyproject.toml)
CORE = ("sympy", "mpmath", "rich")  # the core dependencies
RIGHT = "(y-mu)**2/(2*sigma**2) + log(sigma) + log(2*pi)/2"
WRONG = "(y-mu)**2/(2*sigma**2)"  # the log-normaliser dropped


@dataclass(frozen=True)
class Lecture:
    name: str  # the file's name: its suffix says how scan reads it
    text: str  # the file's content
    wrong: str  # a piece of the one statement that is wrong (the flag scan must raise)


MARKDOWN = r"""# Two formulas

The Gaussian negative log-likelihood of one observation is

$$-\log \mathcal{N}(y \mid \mu, \sigma^2) = \frac{(y-\mu)^2}{2\sigma^2} + \frac12 \log(2\pi\sigma^2)$$

and a square of a sum is, so we are told,

$$(a + b)^2 = a^2 + b^2$$
"""



def notebook(text: str) -> str:
    """The lecture as a Jupyter notebook: a code cell, then each paragraph a Markdown cell."""
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": ["import math\n", "(1 + 2)**2 == 1**2 + 2**2  # not a formula scan reads\n"]}]
    cells += [{"cell_type": "markdown", "metadata": {}, "source": part.splitlines(keepends=True)}
              for part in text.split("\n\n")]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


QUARTO = "---\ntitle: Two formulas\n---\n\n```{python}\nx = 1\n```\n\n" + MARKDOWN.replace(
    "a^2 + b^2$$", "a^2 + b^2$$ {#eq-square}")

LECTURES = [Lecture("lecture.md", MARKDOWN, "a^2 + b^2"), Lecture("lecture.ipynb", notebook(MARKDOWN), "a^2 + b^2"),
            Lecture("lecture.qmd", QUARTO, "a^2 + b^2")]


# --- the light venv: built once per test run (xdist workers share it under a lock) -----------


def clean_env(venv: Path) -> dict[str, str]:
    """This environment less anything that would let the venv see other packages."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "__PYVENV_LAUNCHER__")}
    env.update(PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1", VIRTUAL_ENV=str(venv),
               DERIVSPEC_CACHE_DIR=str(venv.parent / "cache"),
               PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    return env


def copy_of_repository(target: Path) -> Path:
    """The repository's files as git sees them (tracked, and new ones not ignored), nothing else."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, timeout=60)
    if listed.returncode != 0:
        pytest.skip(f"not a git checkout, cannot list the repository's files: {listed.stderr.decode()[:200]}")
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@dataclass(frozen=True)
class LightVenv:
    root: Path
    source: Path  # the copy of the repository that was installed
    install_seconds: float

    @property
    def python(self) -> str:
        return str(self.root / "bin" / "python")

    def run(self, *argv: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(list(argv), capture_output=True, text=True, cwd=cwd or self.root,
                              env=clean_env(self.root), timeout=timeout)

    def derivspec(self, *argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return self.run(str(self.root / "bin" / "derivspec"), *argv, cwd=cwd)


def build_light_venv(folder: Path) -> LightVenv:
    import time

    started = time.perf_counter()
    source = copy_of_repository(folder / "src")
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    light = LightVenv(venv, source, 0.0)
    done = light.run(light.python, "-m", "pip", "install", "--quiet", str(source), timeout=900)
    assert done.returncode == 0, f"pip install {source} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return LightVenv(venv, source, time.perf_counter() - started)


@pytest.fixture(scope="module")
def light(tmp_path_factory, package_index) -> LightVenv:
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # one process: its own folder
        return build_light_venv(tmp_path_factory.mktemp("light-install"))
    shared = tmp_path_factory.getbasetemp().parent / "light-install"  # this run's folder, shared by workers
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if (shared / "ready").exists():
                return LightVenv(shared / "venv", shared / "src", float((shared / "ready").read_text()))
            built = build_light_venv(shared)
            (shared / "ready").write_text(str(built.install_seconds))
            return built
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def full_install(*argv: str) -> tuple[int, str]:
    """``derivspec ARGV`` in this process: the development install, numeric extra included."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


# --- tests ------------------------------------------------------------------------------------


def test_the_light_venv_has_the_core_and_not_the_numeric_extra(light):
    probe = ("import importlib.util, json, derivspec; print(json.dumps({'file': derivspec.__file__, "
             f"'found': {{m: importlib.util.find_spec(m) is not None for m in {NUMERIC + CORE!r}}}}}))")
    done = light.run(light.python, "-c", probe)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert Path(seen["file"]).is_relative_to(light.root), seen["file"]  # the installed copy, not this checkout
    assert seen["found"] == {**{m: False for m in NUMERIC}, **{m: True for m in CORE}}
    imported = light.run(light.python, "-c", "import torch")
    assert imported.returncode != 0 and "No module named 'torch'" in imported.stderr
    print(f"light install: venv + pip install took {light.install_seconds:.1f} s")


@pytest.mark.parametrize("formula", [RIGHT, WRONG])
def test_check_gives_the_full_installs_verdict(light, formula):
    done = light.derivspec("check", "nll.gaussian", "--formula", formula, "--json")
    assert done.stderr == "", done.stderr
    result = json.loads(done.stdout)
    code, out = full_install("check", "nll.gaussian", "--formula", formula, "--json")
    expected = json.loads(out)
    assert done.returncode == code
    for field in ("verdict", "parsed", "expected", "symbolic"):
        assert result[field] == expected[field], field
    assert (result["verdict"], code) == (("equivalent", 0) if formula == RIGHT else ("not_equivalent", 1))
    assert result["meta"]["torch"] is None and expected["meta"]["torch"] is not None
    text = light.derivspec("check", "nll.gaussian", "--formula", formula)
    assert text.returncode == code and text.stdout.startswith(f"nll.gaussian: {result['verdict']}\n")


@pytest.mark.slow  # 70 s on 2 cores: the light venv's first scans build its knowledge cache
@pytest.mark.parametrize("lecture", LECTURES, ids=lambda lecture: lecture.name)
def test_scan_flags_the_wrong_statement(light, tmp_path, lecture):
    path = tmp_path / lecture.name
    path.write_text(lecture.text, encoding="utf-8")
    done = light.derivspec("scan", str(path), "--json")
    assert done.returncode == 1, done.stderr  # 1: something is flagged
    records = json.loads(done.stdout)["statements"]
    flagged = [r for r in records if r["verdict"] == "disagrees"]
    assert len(flagged) == 1 and lecture.wrong in flagged[0]["text"], flagged
    assert any(r["verdict"] == "proved" for r in records), records
    code, out = full_install("scan", str(path), "--json")
    assert code == done.returncode
    assert [(r["lines"], r["text"], r["verdict"]) for r in records] == \
           [(r["lines"], r["text"], r["verdict"]) for r in json.loads(out)["statements"]]
    table = light.derivspec("scan", str(path))
    assert table.returncode == 1 and "disagrees" in table.stdout


@pytest.mark.parametrize("argv", [["verify", "nll.gaussian"], ["errata"], ["coverage"], ["run", "--list"],
                                  ["report", "--out", "report", "--no-plots"]], ids=lambda argv: argv[0])
def test_a_numeric_command_says_it_needs_the_numeric_extra(light, tmp_path, argv):
    done = light.derivspec(*argv, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    prefix = f"derivspec: error: derivspec {argv[0]} needs the numeric extra ({', '.join(NUMERIC)}); "
    suffix = ' not installed: pip install "derivspec[numeric]"\n'
    assert done.stderr.startswith(prefix) and done.stderr.endswith(suffix) and done.stderr.count("\n") == 1
    absent = done.stderr[len(prefix):-len(suffix)].removesuffix(" are").removesuffix(" is").split(", ")
    assert "torch" in absent and set(absent) <= set(NUMERIC)  # it names what is missing, nothing else
    assert not any(tmp_path.iterdir())  # refused before any work


def test_version_is_the_installed_metadata_and_pyprojects(light):
    probe = ("import derivspec, importlib.metadata as m, json; d = m.metadata('derivspec'); "
             "print(json.dumps([derivspec.__version__, m.version('derivspec'), d['License-Expression'], "
             "[str(f) for f in m.files('derivspec') if 'licenses' in str(f)]]))")
    done = light.run(light.python, "-c", probe)
    assert done.returncode == 0, done.stderr
    version, installed, licence, licence_files = json.loads(done.stdout)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert version == installed == pyproject["version"]
    assert licence == pyproject["license"] and any(f.endswith("/LICENSE") for f in licence_files)
    printed = light.derivspec("--version")
    assert printed.returncode == 0 and printed.stdout == f"derivspec {version}\n"


def test_pips_resolution_of_the_core_pulls_no_torch(light):
    done = light.run(light.python, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                     "--report", "-", str(light.source), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    names = {item["metadata"]["name"].lower() for item in json.loads(done.stdout)["install"]}
    assert {"derivspec", *CORE} <= names
    heavy = {n for n in names if n in NUMERIC or n == "triton" or n.startswith(("nvidia-", "cuda-"))}
    assert not heavy, heavy


def test_the_numeric_extra_brings_back_what_verify_needs(light):
    """The installed metadata: the core requires sympy, mpmath and rich and nothing of the numeric
    stack; ``derivspec[numeric]`` requires torch, numpy, scipy and matplotlib -- what ``verify``
    looks for (derivspec.app.extras.NUMERIC) -- so ``pip install "derivspec[numeric]"`` brings it
    back. (Installing torch here would pull CUDA packages from a public index: its metadata is read.)"""
    from derivspec.app.extras import NUMERIC as VERIFY_NEEDS

    probe = "import importlib.metadata as m, json; print(json.dumps(m.requires('derivspec')))"
    done = light.run(light.python, "-c", probe)
    assert done.returncode == 0, done.stderr
    core, numeric = set(), set()
    for requirement in json.loads(done.stdout):
        name = requirement.split(";")[0].split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip().lower()
        marker = requirement.partition(";")[2].replace(" ", "").replace("'", '"')
        if not marker:
            core.add(name)
        elif marker == 'extra=="numeric"':
            numeric.add(name)
    assert core == set(CORE) and not core & set(NUMERIC)
    assert numeric == set(NUMERIC) == set(VERIFY_NEEDS)


def test_only_commands_that_draw_need_matplotlib(monkeypatch, tmp_path, capsys):
    """In this process (torch, numpy, scipy here), matplotlib made unimportable: ``report`` with plots
    is refused naming matplotlib alone; ``report --no-plots`` and ``run --list`` pass the check."""
    from derivspec.app.extras import require_numeric

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["report", "--out", str(tmp_path / "report")]) == 2
    err = capsys.readouterr().err
    assert err.endswith('; matplotlib is not installed: pip install "derivspec[numeric]"\n') and err.count("\n") == 1
    assert not (tmp_path / "report").exists()
    require_numeric("report", plots=False)
    assert main(["run", "--list"]) == 0
