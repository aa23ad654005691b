#!/usr/bin/env bash
# Install derivspec into a virtual environment (default .venv; set DERIVSPEC_VENV to change),
# with the extras for tests, docs and the report (set DERIVSPEC_EXTRAS to change: e.g. "test").
#
# torch (scripts/install_torch.py decides): with an NVIDIA GPU, the CUDA build; without one,
# the CPU build from PyTorch's CPU wheel index, or -- when that index cannot be reached -- from
# the default index, but only if that resolution pulls no CUDA packages (checked with a pip
# dry run before anything is downloaded). A torch that is already installed is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${DERIVSPEC_VENV:-.venv}"
extras="${DERIVSPEC_EXTRAS:-dev}"
[ -x "$venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$venv"
py="$venv/bin/python"
pip_install() {  # quiet pip; drops the notices about this machine's local index folders
  "$py" -m pip install --quiet --disable-pip-version-check "$@" 2> >(grep -v "^WARNING: Location" >&2)
}

if "$py" -c "import torch" 2>/dev/null; then
  echo "install: keeping torch $("$py" -c 'import torch; print(torch.__version__)')"
else
  "$py" scripts/install_torch.py --python "$py"
fi
pip_install -e ".[$extras]"
# Byte-compile the editable sources once: a shell with PYTHONDONTWRITEBYTECODE set would otherwise
# recompile every module on every command (a stale .pyc is ignored, so editing stays safe).
"$py" -m compileall -q derivspec derivations numerics reference_models >/dev/null || true
echo "install: derivspec ready in $venv ($("$venv/bin/derivspec" --version))"
