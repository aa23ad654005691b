#!/usr/bin/env bash
# Install derivspec into a virtual environment (default .venv; set DERIVSPEC_VENV to change).
#
# torch: with an NVIDIA GPU (nvidia-smi lists one) the registry's default CUDA build is
# installed. Without one, torch==2.13.0 is installed only if that resolution pulls no CUDA
# packages (on the project's machines it resolves to a local CPU wheel); elsewhere point pip at
# a CPU-only torch index first (PIP_INDEX_URL / PIP_EXTRA_INDEX_URL), or install torch yourself:
# a torch that is already installed is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${DERIVSPEC_VENV:-.venv}"
[ -x "$venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$venv"
py="$venv/bin/python"
pip_install() {  # quiet pip; drops the notices about this machine's local index folders
  "$py" -m pip install --quiet --disable-pip-version-check "$@" 2> >(grep -v "^WARNING: Location" >&2)
}

if "$py" -c "import torch" 2>/dev/null; then
  echo "install: keeping torch $("$py" -c 'import torch; print(torch.__version__)')"
elif command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  echo "install: GPU found, installing the CUDA build of torch"
  pip_install "torch>=2.13"
else
  report="$(mktemp)"
  pip_install --dry-run --report "$report" "torch==2.13.0"
  if "$py" - "$report" <<'PY'
import json, sys
names = [item["metadata"]["name"].lower() for item in json.load(open(sys.argv[1]))["install"]]
cuda = [n for n in names if n.startswith("nvidia-") or n in ("triton", "cuda-bindings")]
if cuda:
    print("install: no GPU here, but torch==2.13.0 would pull CUDA packages: " + ", ".join(cuda), file=sys.stderr)
    print("install: point pip at a CPU-only torch index (PIP_INDEX_URL) or install a CPU torch first", file=sys.stderr)
    sys.exit(1)
PY
  then
    echo "install: no GPU, installing the CPU build torch==2.13.0"
    pip_install "torch==2.13.0"
  else
    rm -f "$report"; exit 1
  fi
  rm -f "$report"
fi
pip_install -e ".[test]"
echo "install: derivspec ready in $venv ($("$venv/bin/derivspec" --help >/dev/null && echo ok))"
