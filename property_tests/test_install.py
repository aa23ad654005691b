"""The install script's torch choice (scripts/install_torch.py), offline.

Local fake indexes on 127.0.0.1 stand in for PyTorch's CPU wheel index and for the default
index: a fake ``torch`` wheel either pulls a fake ``nvidia-*`` package (a CUDA build, as PyPI's
Linux torch does) or not (a CPU build). The script runs as install.sh runs it, with
``--dry-run --json`` so nothing is installed, pip's own configuration switched off and every
index local. Also: the installed distribution claims no generic top-level names.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import shutil
import os
import socket
import subprocess
import sys
import threading
import urllib.parse
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "install_torch.py"


def load_script():
    spec = importlib.util.spec_from_file_location("install_torch", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def fake_wheel(folder: Path, name: str, version: str, requires: tuple[str, ...] = ()) -> str:
    """A minimal pure-Python wheel ``name-version`` whose metadata requires ``requires``."""
    dist = name.replace("-", "_")
    filename = f"{dist}-{version}-py3-none-any.whl"
    info = f"{dist}-{version}.dist-info"
    with zipfile.ZipFile(folder / filename, "w") as wheel:
        wheel.writestr(f"{dist}/__init__.py", f"__version__ = {version!r}\n")
        wheel.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\n" f"Name: {name}\nVersion: {version}\n"
                       + "".join(f"Requires-Dist: {r}\n" for r in requires))
        wheel.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        wheel.writestr(f"{info}/RECORD", "")
    return filename


def simple_index(root: Path, name: str, projects: dict[str, list[str]]) -> None:
    """A PEP 503 index ``root/name/<project>/index.html`` linking wheels in ``root/files``."""
    for project, files in projects.items():
        page = root / name / project
        page.mkdir(parents=True, exist_ok=True)
        links = "".join(f'<a href="../../files/{f}">{f}</a>\n' for f in files)
        (page / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def indexes(tmp_path_factory):
    """Serves ``cpu`` (CPU torch), ``cuda`` (torch pulling nvidia-fake-cublas) and ``cpu-default``
    (a default index holding a CPU torch) on a local port; yields their base URL."""
    root = tmp_path_factory.mktemp("indexes")
    files = root / "files"
    files.mkdir()
    cpu = fake_wheel(files, "torch", "2.13.0+cpu")
    cuda_dir = files / "cuda"
    cuda_dir.mkdir()
    cuda = "cuda/" + fake_wheel(cuda_dir, "torch", "2.13.0", requires=("nvidia-fake-cublas",))
    blas = fake_wheel(files, "nvidia-fake-cublas", "13.0.0")
    simple_index(root, "cpu", {"torch": [cpu]})
    simple_index(root, "cuda", {"torch": [cuda], "nvidia-fake-cublas": [blas]})
    simple_index(root, "cpu-default", {"torch": [cpu]})
    (root / "empty").mkdir()
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed once the socket is: connections are refused


def run_script(tmp_path, cpu_index: str, default_index: str, gpu: bool = False) -> tuple[int, dict, str]:
    """install_torch.py --dry-run --json with pip's configuration off and only local indexes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") and k != "DERIVSPEC_GPU"}
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if gpu:  # a fake nvidia-smi that lists one GPU: the detection itself is exercised
        smi = bin_dir / "nvidia-smi"
        smi.write_text("#!/bin/sh\necho 'GPU 0: Fake GPU (UUID: GPU-0)'\n")
        smi.chmod(0o755)
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_INDEX_URL=default_index, PIP_CACHE_DIR=str(tmp_path / "cache"),
               PIP_DISABLE_PIP_VERSION_CHECK="1", DERIVSPEC_TORCH_CPU_INDEX=cpu_index, DERIVSPEC_INDEX_TIMEOUT="5",
               PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}" if gpu else
               os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                               if not (Path(p) / "nvidia-smi").exists()))
    proc = subprocess.run([sys.executable, str(SCRIPT), "--dry-run", "--json"], capture_output=True, text=True,
                          env=env, timeout=300)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def torch_from(result: dict) -> str:
    return urllib.parse.unquote(next(p["url"] for p in result["packages"] if p["name"] == "torch"))


def test_no_gpu_reachable_cpu_index_gives_the_cpu_build(tmp_path, indexes):
    code, result, err = run_script(tmp_path, f"{indexes}/cpu", f"{indexes}/cuda")
    assert code == 0, err
    assert result["plan"]["kind"] == "cpu-index" and result["plan"]["pip_args"][:2] == ["--index-url", f"{indexes}/cpu"]
    assert torch_from(result).startswith(f"{indexes}/files/torch-2.13.0+cpu")
    assert result["cuda"] == []


def test_no_gpu_unreachable_cpu_index_falls_back_and_refuses_cuda(tmp_path, indexes):
    """As on a stock machine whose only index is PyPI: the fallback would pull CUDA, so it stops."""
    dead = f"http://127.0.0.1:{closed_port()}/whl/cpu"
    code, result, err = run_script(tmp_path, dead, f"{indexes}/cuda")
    assert code == 1
    assert result["plan"]["kind"] == "default" and "cannot be reached" in result["plan"]["why"]
    assert result["cuda"] == ["nvidia-fake-cublas"] and not result["ok"]
    assert "would pull CUDA packages: nvidia-fake-cublas" in err and "--index-url https://download.pytorch.org/whl/cpu" in err


def test_no_gpu_unreachable_cpu_index_takes_a_cpu_build_from_the_default_index(tmp_path, indexes):
    """As on this project's machines: the default configuration holds a local CPU wheel."""
    code, result, err = run_script(tmp_path, f"{indexes}/empty", f"{indexes}/cpu-default")  # 404: no torch page
    assert code == 0, err
    assert result["plan"]["kind"] == "default" and "HTTP 404" in result["plan"]["why"]
    assert torch_from(result).endswith("torch-2.13.0+cpu-py3-none-any.whl") and result["cuda"] == []


def test_gpu_gets_the_cuda_build(tmp_path, indexes):
    code, result, err = run_script(tmp_path, f"{indexes}/cpu", f"{indexes}/cuda", gpu=True)
    assert code == 0, err
    assert result["plan"]["kind"] == "cuda" and result["cuda"] == ["nvidia-fake-cublas"]
    assert torch_from(result).startswith(f"{indexes}/files/cuda/torch-2.13.0-")


def test_plan_is_a_function_of_gpu_and_reachability():
    script = load_script()
    assert script.plan(True, "u", False).kind == "cuda"
    cpu = script.plan(False, "http://cpu", True)
    assert cpu.kind == "cpu-index" and cpu.fallback.kind == "default" and not cpu.allow_cuda
    assert script.plan(False, "http://cpu", False, "no DNS").why.startswith("no GPU, and PyTorch's CPU index cannot be reached (no DNS)")
    ok, _ = script.check(cpu, script.Resolution(True, [{"name": "torch", "version": "2.13.0", "url": ""},
                                                      {"name": "triton", "version": "3", "url": ""}], ["triton"]))
    assert not ok


def test_unreachable_index_is_detected_quickly():
    script = load_script()
    reachable, reason = script.index_reachable(f"http://127.0.0.1:{closed_port()}/whl/cpu", timeout=5)
    assert not reachable and "refused" in reason.lower()


def test_distribution_claims_no_generic_top_level_names(tmp_path):
    """Build the wheel (from a copy of the sources: no stale build/ folder) and list its
    top-level packages: only ``derivspec``."""
    source = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for folder in ("derivspec", "derivations", "numerics", "reference_models"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    for name in ("setup.py", "pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                           "-w", str(tmp_path), str(source)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("derivspec-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"derivspec"}
    for folder in ("derivations", "numerics", "reference_models"):
        assert f"derivspec/{folder}/__init__.py" in names
    assert "derivspec/app/report.py" in names and "derivspec/app/run.py" in names
