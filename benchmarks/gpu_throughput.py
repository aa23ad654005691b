"""GPU throughput of the Monte Carlo routes against the device's memory-bandwidth bound.

    .venv/bin/python benchmarks/gpu_throughput.py [--batch 4194304] [--repeat 5] [--markdown OUT]

Needs CUDA (prints why not and exits 0 without it). For every ``@monte_carlo`` route that returns
an :class:`~derivspec.numerics.montecarlo.Integrand`, at the route's first parameter point:

* **samples/s** -- evaluations of the integrand per second on a batch of ``--batch`` uniforms
  drawn on the device with a CUDA generator (torch.rand, float64; CUDA-synchronised timing,
  median of ``--repeat``); the same on the CPU for comparison;
* **bound** -- the memory-bandwidth bound: a sample must at least write and read its ``dim``
  uniforms and write and read its value (16·(dim + 1) bytes), so samples/s ≤ B / (16·(dim + 1))
  with B the device's measured copy bandwidth (a 1 GiB device-to-device copy, read + write);
* **ratio** -- samples/s over the bound (1 would be a kernel that only moves its data; routes
  built from many small torch.distributions ops reach a fraction of it);
* the whole ``monte_carlo_check`` wall time on CUDA and on the CPU (its pilots, RQMC points --
  one scrambled Sobol net generated on the CPU and copied, its per-replicate digital shifts drawn
  on the device -- and main run).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import zlib
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from derivspec.core import registry  # noqa: E402
from derivspec.numerics import montecarlo as mc  # noqa: E402
from derivspec.numerics.checks import draw  # noqa: E402
from derivspec.numerics.routes import MONTE_CARLO_ROUTES, load  # noqa: E402
from derivspec.reference_models.device import DTYPE, make_generator  # noqa: E402


def copy_bandwidth(device: torch.device, gib: float = 1.0, repeat: int = 5) -> float:
    """Bytes/s moved by a device-to-device copy (each byte read once and written once)."""
    n = int(gib * 2**30 / 8)
    src = torch.empty(n, dtype=DTYPE, device=device).uniform_()
    dst = torch.empty_like(src)
    dst.copy_(src)
    torch.cuda.synchronize(device)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        dst.copy_(src)
        torch.cuda.synchronize(device)
        times.append(time.perf_counter() - start)
    return 2 * n * 8 / min(times)


def throughput(integrand: mc.Integrand, device: torch.device, batch: int, repeat: int) -> float:
    g = make_generator(0, device)
    rows = max(1, batch // max(integrand.dim, 1))

    def once():
        u = torch.rand(rows, integrand.dim, generator=g, dtype=DTYPE, device=device).clamp_(2.0 ** -54, 1 - 2.0 ** -53)
        out = integrand.f(u)
        value = (out[0] if isinstance(out, tuple) else out).sum()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return value

    once()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        once()
        times.append(time.perf_counter() - start)
    return rows / statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=2**22, help="uniforms per timed batch (default 4194304)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--markdown", default=None)
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("no CUDA device on this machine: the GPU figures cannot be taken here (run this on a machine with one)")
        return 0
    from derivspec.reference_models.device import apply_numeric_policy

    apply_numeric_policy()
    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    bandwidth = copy_bandwidth(cuda)
    print(f"device {torch.cuda.get_device_name(cuda)}: measured copy bandwidth {bandwidth / 1e9:.0f} GB/s")
    load()
    lines = ["| claim | route | dim | GPU samples/s | bound samples/s | ratio | CPU samples/s | check s (GPU) | check s (CPU) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for (claim_id, name), (function, _, compare) in sorted(MONTE_CARLO_ROUTES.items()):
        claim = registry.get(claim_id)
        g = make_generator(zlib.crc32(f"{claim_id}/{name}".encode()), cpu)
        params = {v.name: float(draw(v, 1, g, cpu)[0]) for v in claim.variables}
        try:
            on = {d: function(**{k: torch.tensor(x, dtype=DTYPE, device=d) for k, x in params.items()}) for d in (cuda, cpu)}
        except Exception as error:  # a route that cannot run on this device
            print(f"{claim_id}/{name}: {type(error).__name__}: {error}")
            continue
        if not isinstance(on[cuda], mc.Integrand):
            print(f"{claim_id}/{name}: a plain sampler (reference model with its own generator): skipped")
            continue
        integrand = on[cuda]
        gpu_rate = throughput(integrand, cuda, args.batch, args.repeat)
        cpu_rate = throughput(on[cpu], cpu, min(args.batch, 2**20), max(1, args.repeat // 2))
        bound = bandwidth / (16 * (integrand.dim + 1))
        import sympy
        value = complex(sympy.N(claim.expand_defined(claim.target).subs(
            {v.symbol: sympy.Float(params[v.name], 30) for v in claim.variables}), 30)).real
        value = compare(value) if compare else value
        seconds = {}
        for d in (cuda, cpu):
            start = time.perf_counter()
            result = mc.monte_carlo_check(on[d], value, make_generator(1, d))
            if d.type == "cuda":
                torch.cuda.synchronize(d)
            seconds[d.type] = (time.perf_counter() - start, result.method, result.passed)
        line = (f"| {claim_id} | {name} | {integrand.dim} | {gpu_rate:.3g} | {bound:.3g} | {gpu_rate / bound:.2%} | "
                f"{cpu_rate:.3g} | {seconds['cuda'][0]:.3f} ({seconds['cuda'][1]}) | {seconds['cpu'][0]:.3f} ({seconds['cpu'][1]}) |")
        lines.append(line)
        print(line, flush=True)
    if args.markdown:
        Path(args.markdown).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
