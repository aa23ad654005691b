#!/usr/bin/env bash
# The test suite on a fresh machine: install, then run pytest (property_tests/, `slow` excluded,
# `gpu` skipped without CUDA). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
venv="${DERIVSPEC_VENV:-.venv}"
workers=$(( $(nproc) < 4 ? $(nproc) : 4 ))
set +e
"$venv/bin/python" -m pytest -n "$workers" "$@"
status=$?
set -e
[ "$status" -eq 5 ] && { echo "no tests were collected"; exit 1; }
exit "$status"
