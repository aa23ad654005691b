#!/usr/bin/env bash
# The GPU checks of one session, run on a lent CUDA machine (the `device` tool) in the repository root:
#   the `gpu`-marked tests (reference models, Monte Carlo, conformance on CUDA), then the Monte Carlo
#   throughput against the memory-bandwidth bound (benchmarks/gpu_throughput.py).
# Uses the machine's python3 (it holds a CUDA torch, sympy, scipy, hypothesis, pytest); wheels (x86-64, CPython 3.12)
# it lacks may be carried in .devwheels/ (at stop 75: jsonschema, jsonschema-specifications, referencing and
# rpds-py, which two scan-format test modules import). Writes env.txt, gpu-tests.txt and gpu_throughput.md under $OUT.
#     OUT=/tmp/dev bash benchmarks/device_checks.sh
# MARKS="slow or gpu" WORKERS=15 runs the whole slow tier beside the gpu tests on the machine's cores (issue 79: the
# slow tier passes once per change of tiers) and writes durations.json (benchmarks/test_durations.py --from it).
set -u
OUT=${OUT:-out/device}
mkdir -p "$OUT"
{
  date -u
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  python3 -c "import sys, torch; print(sys.version.split()[0], torch.__version__, 'cuda', torch.cuda.is_available())"
} >"$OUT/env.txt" 2>&1
if compgen -G ".devwheels/*.whl" >/dev/null; then python3 -m pip install -q --no-deps --no-index .devwheels/*.whl >>"$OUT/env.txt" 2>&1; fi
python3 -m pip install -q --no-deps --no-build-isolation -e . >>"$OUT/env.txt" 2>&1 || echo "editable install failed" >>"$OUT/env.txt"
workers=()
[ -n "${WORKERS:-}" ] && workers=(-n "$WORKERS" --dist worksteal)
# VERBOSE=1: one line per test as it ends, so a run cut by TEST_LIMIT still names what failed
[ "${VERBOSE:-0}" = 1 ] && workers+=(-v -rfE)
start=$(date +%s)
timeout "${TEST_LIMIT:-300}" python3 -m pytest -m "${MARKS:-gpu}" "${workers[@]}" -q -p no:cacheprovider \
  --continue-on-collection-errors --durations=15 --durations-json "$OUT/durations.json" property_tests \
  >"$OUT/gpu-tests.txt" 2>&1
echo "pytest rc=$? wall=$(( $(date +%s) - start )) s" >>"$OUT/gpu-tests.txt"
[ "${SKIP_BENCH:-0}" = 1 ] || timeout "${BENCH_LIMIT:-150}" python3 benchmarks/gpu_throughput.py --markdown "$OUT/gpu_throughput.md" \
  >"$OUT/gpu_throughput.txt" 2>&1
echo "throughput rc=$?" >>"$OUT/gpu_throughput.txt"
tail -3 "$OUT/gpu-tests.txt"; tail -25 "$OUT/gpu_throughput.txt"
