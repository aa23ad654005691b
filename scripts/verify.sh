#!/usr/bin/env bash
# The main job on a fresh machine: install, then verify every claim and print the table.
# Extra arguments go to `derivspec verify` (e.g. --json, --device cpu, --seed 1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh >&2
exec "${DERIVSPEC_VENV:-.venv}/bin/derivspec" verify "$@"
