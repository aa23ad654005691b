#!/usr/bin/env python3
"""Choose and install the torch build for this machine (called by scripts/install.sh).

    python scripts/install_torch.py [--python VENV/bin/python] [--dry-run] [--json]

The decision (:func:`plan`):

* an NVIDIA GPU (``nvidia-smi -L`` lists one): the CUDA build, ``torch==2.13.0`` from the
  default index (PyPI's Linux wheels are CUDA builds);
* no GPU, PyTorch's CPU wheel index reachable (``$DERIVSPEC_TORCH_CPU_INDEX``, default
  https://download.pytorch.org/whl/cpu): the CPU build from that index;
* no GPU, that index unreachable (no DNS, no route, a firewall, an HTTP error; probed with a
  short timeout, :func:`index_reachable`) or failing to resolve: the default index, but only if
  its resolution pulls no CUDA packages (``nvidia-*``, ``triton``, ``cuda-*``). On a machine
  whose configured index or local wheels hold a CPU build this installs it; on a stock machine
  with only PyPI it stops with a message naming the packages and the command that gets the CPU
  build, and installs nothing.

Every choice is resolved first with ``pip install --dry-run --ignore-installed --report`` and
the resolution is checked before anything is installed, so a machine without a GPU never
downloads CUDA packages. ``--dry-run`` stops after that check (and ``--json`` prints the plan
and the resolution): property_tests/test_install.py runs it against local fake indexes.

Environment: ``DERIVSPEC_TORCH`` (requirement, default ``torch==2.13.0``),
``DERIVSPEC_TORCH_CPU_INDEX``, ``DERIVSPEC_INDEX_TIMEOUT`` (seconds, default 10),
``DERIVSPEC_GPU`` (``1``/``0`` overrides the detection). Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field

DEFAULT_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
DEFAULT_REQUIREMENT = "torch==2.13.0"
CUDA_PREFIXES = ("nvidia-", "cuda-")
CUDA_NAMES = ("triton",)


def say(message: str) -> None:
    print(f"install: {message}", file=sys.stderr, flush=True)


def has_gpu() -> bool:
    """An NVIDIA GPU that ``nvidia-smi -L`` lists (``DERIVSPEC_GPU=0/1`` overrides)."""
    forced = os.environ.get("DERIVSPEC_GPU")
    if forced in ("0", "1"):
        return forced == "1"
    smi = shutil.which("nvidia-smi")
    if not smi:
        return False
    try:
        listed = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return listed.returncode == 0 and "GPU" in listed.stdout


def index_reachable(url: str, timeout: float) -> tuple[bool, str]:
    """Whether the index answers for torch (PEP 503: ``<url>/torch/``), and why not."""
    page = url.rstrip("/") + "/torch/"
    try:
        with urllib.request.urlopen(page, timeout=timeout) as response:
            response.read(1)
            return True, f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        return False, f"HTTP {error.code} for {page}"
    except urllib.error.URLError as error:
        return False, f"{page}: {error.reason}"
    except (OSError, ValueError) as error:  # timeouts, resets, malformed URLs
        return False, f"{page}: {type(error).__name__}: {error}"


@dataclass
class Plan:
    kind: str  # cuda | cpu-index | default
    pip_args: list[str]
    allow_cuda: bool
    why: str
    fallback: "Plan | None" = None


def plan(gpu: bool, cpu_index: str, reachable: bool, reason: str = "",
         requirement: str = DEFAULT_REQUIREMENT) -> Plan:
    """Where torch comes from, given the GPU and whether the CPU index answered."""
    if gpu:
        return Plan("cuda", [requirement], True, "an NVIDIA GPU is present: the CUDA build from the default index")
    default = Plan("default", [requirement], False,
                   "the default index, accepted only if it resolves to a build without CUDA packages")
    if reachable:
        return Plan("cpu-index", ["--index-url", cpu_index, requirement], False,
                    f"no GPU: the CPU build from PyTorch's CPU index {cpu_index}", fallback=default)
    default.why = f"no GPU, and PyTorch's CPU index cannot be reached ({reason}): " + default.why
    return default


@dataclass
class Resolution:
    ok: bool
    packages: list[dict] = field(default_factory=list)  # name, version, url
    cuda: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def torch(self) -> dict | None:
        return next((p for p in self.packages if p["name"] == "torch"), None)


def cuda_packages(names) -> list[str]:
    return sorted(n for n in names if n.startswith(CUDA_PREFIXES) or n in CUDA_NAMES)


def resolve(python: str, pip_args: list[str], env: dict | None = None) -> Resolution:
    """``pip install --dry-run --ignore-installed --report``: what would be installed, from where."""
    with tempfile.TemporaryDirectory() as folder:
        report = os.path.join(folder, "report.json")
        proc = subprocess.run([python, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                               "--disable-pip-version-check", "--timeout", "30", "--retries", "1",
                               "--report", report, *pip_args], capture_output=True, text=True, env=env)
        if proc.returncode != 0 or not os.path.exists(report):
            lines = [line for line in proc.stderr.splitlines() if line.strip() and "WARNING: Location" not in line]
            return Resolution(False, error=" | ".join(lines[-3:]) or f"pip exited {proc.returncode}")
        with open(report, encoding="utf-8") as handle:
            items = json.load(handle)["install"]
    packages = [{"name": item["metadata"]["name"].lower(), "version": item["metadata"]["version"],
                 "url": item.get("download_info", {}).get("url", "")} for item in items]
    return Resolution(True, packages, cuda_packages(p["name"] for p in packages))


def check(chosen: Plan, resolution: Resolution) -> tuple[bool, str]:
    """Whether the resolution may be installed under the plan, and what to say."""
    if not resolution.ok:
        return False, f"pip could not resolve {' '.join(chosen.pip_args)}: {resolution.error}"
    torch = resolution.torch
    where = f"torch {torch['version']} from {torch['url'] or 'an installed wheel'}" if torch else "no torch"
    if resolution.cuda and not chosen.allow_cuda:
        return False, (f"no GPU here, but {' '.join(chosen.pip_args)} would pull CUDA packages: "
                       f"{', '.join(resolution.cuda)}. Install the CPU build first, e.g. "
                       f"`pip install torch==2.13.0 --index-url {DEFAULT_CPU_INDEX}` from a machine that reaches it, "
                       f"or set DERIVSPEC_TORCH_CPU_INDEX to a mirror of that index; nothing was installed")
    if chosen.allow_cuda and not resolution.cuda and torch and "+cu" not in torch["version"]:
        return True, (f"{where}: a GPU is present but this build brings no CUDA packages (a local CPU wheel?); "
                      f"for the CUDA build use `pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128`")
    return True, where


def choose(python: str, env: dict | None = None) -> tuple[Plan, Resolution, bool, str, list[str]]:
    """Plan, resolve and check, falling back from the CPU index to the default one."""
    cpu_index = os.environ.get("DERIVSPEC_TORCH_CPU_INDEX", DEFAULT_CPU_INDEX)
    requirement = os.environ.get("DERIVSPEC_TORCH", DEFAULT_REQUIREMENT)
    timeout = float(os.environ.get("DERIVSPEC_INDEX_TIMEOUT", "10"))
    gpu = has_gpu()
    log = []
    reachable, reason = (False, "not probed: a GPU is present") if gpu else index_reachable(cpu_index, timeout)
    chosen = plan(gpu, cpu_index, reachable, reason, requirement)
    while True:
        log.append(chosen.why)
        resolution = resolve(python, chosen.pip_args, env)
        ok, message = check(chosen, resolution)
        if ok or chosen.fallback is None:
            return chosen, resolution, ok, message, log
        log.append(f"{message}; falling back")
        chosen = chosen.fallback


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=sys.executable, help="the interpreter whose environment gets torch")
    parser.add_argument("--dry-run", action="store_true", help="resolve and check only; install nothing")
    parser.add_argument("--json", action="store_true", help="print the plan and the resolution as JSON")
    args = parser.parse_args(argv)
    chosen, resolution, ok, message, log = choose(args.python)
    for line in log:
        say(line)
    say(message)
    if args.json:
        print(json.dumps({"plan": {k: v for k, v in asdict(chosen).items() if k != "fallback"}, "ok": ok,
                          "message": message, "log": log, "packages": resolution.packages,
                          "cuda": resolution.cuda}, indent=2))
    if not ok:
        return 1
    if args.dry_run:
        return 0
    say(f"installing {' '.join(chosen.pip_args)}")
    proc = subprocess.Popen([args.python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                             "--timeout", "60", *chosen.pip_args], stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:  # pip's notices about this machine's local index folders are noise
        if not line.startswith("WARNING: Location"):
            sys.stderr.write(line)
    return proc.wait()


if __name__ == "__main__":
    sys.exit(main())
