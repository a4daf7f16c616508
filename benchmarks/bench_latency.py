"""Latency a designer feels, in CPU-seconds (robust on a shared machine) and wall seconds.

Four measurements, each comparing two ways in one run:

1. ``qchipnet ring --json`` and ``qchipnet transmitter --json`` in a fresh process, second run
   (the first fills jax's persistent compilation cache and the chip-path cache): with the
   persistent cache against without it (``QCHIPNET_JAX_CACHE=0``). Targets: <= 5 and <= 8 CPU-s.
2. One more design in a warm process: the batch evaluators (ring + transmitter) against the sax
   circuits of the cells (ring cell + resonance search, IM cell sweep). Target: <= 50 ms.
3. The fixed start-up of a yield study: ``qchipnet yield --platform inp --dies 1`` in a fresh
   process, second run (nominal network cached by content hash), against the first run of a new
   design (cache miss). Target: <= 3 CPU-s beyond the process's imports.

Run: python benchmarks/bench_latency.py   (about 3 minutes; uses a private cache folder)
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QCHIPNET = str(Path(sys.executable).with_name("qchipnet"))


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_cli(args: list[str], env: dict) -> tuple[float, float]:
    """(CPU-s, wall-s) of one fresh ``qchipnet`` process."""
    c0, t0 = _child_cpu(), time.perf_counter()
    r = subprocess.run([QCHIPNET, *args], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"qchipnet {' '.join(args)} failed: {r.stderr[-1500:]}")
    return _child_cpu() - c0, time.perf_counter() - t0


def cli_latency(cache: str) -> None:
    base = {**os.environ, "QCHIPNET_CACHE_DIR": cache, "JAX_PLATFORMS": "cpu"}
    python_only = run_cli(["--version"], base)
    print(f"python + typer start-up           : {python_only[0]:6.2f} CPU-s {python_only[1]:6.2f} s")
    for cmd, target in ((["ring", "--json"], 5.0), (["transmitter", "--json"], 8.0)):
        run_cli(cmd, base)  # first run: fills the caches
        warm = run_cli(cmd, base)
        cold = run_cli(cmd, {**base, "QCHIPNET_JAX_CACHE": "0"})
        print(f"qchipnet {' '.join(cmd):22s}: {warm[0]:6.2f} CPU-s {warm[1]:6.2f} s (second run, target <= {target:g} "
              f"CPU-s); without the compilation cache {cold[0]:6.2f} CPU-s; ratio {cold[0] / warm[0]:4.1f} x")


def warm_design() -> None:
    import numpy as np

    from qchipnet.circuits.devices import ring_metrics, transmitter_metrics
    from qchipnet.circuits.ring import ring_cell, ring_circuit, ring_settings
    from qchipnet.circuits.transmitter import im_metrics
    from qchipnet.design import default_design

    d = default_design()
    ring, tx = d.server_ring.model_dump(), d.transmitter.model_dump()
    ring_metrics(ring), transmitter_metrics(tx)  # compile
    n = 20
    c0, t0 = time.process_time(), time.perf_counter()
    for i in range(n):
        ring_metrics({**ring, "gap_um": 1.8 + 0.01 * i})
        transmitter_metrics({**tx, "pm_length_um": 1200.0 + 10 * i})
    cpu_ev, wall_ev = (time.process_time() - c0) / n, (time.perf_counter() - t0) / n
    m = 2
    c0, t0 = time.process_time(), time.perf_counter()
    for i in range(m):
        r = {**ring, "gap_um": 1.8 + 0.01 * i}
        fn, net = ring_circuit(ring_cell(r, heater=False))
        w0 = float(ring_metrics(r)["resonance_wl_nm"]) * 1e-3
        fn(wl=w0 + np.linspace(-2e-7, 2e-7, 401), **ring_settings(net, r))
        im_metrics(pm_length=1200.0 + 10 * i)
    cpu_sax, wall_sax = (time.process_time() - c0) / m, (time.perf_counter() - t0) / m
    print(f"one more design, warm, evaluators : {cpu_ev * 1e3:8.1f} ms CPU {wall_ev * 1e3:8.1f} ms (target <= 50 ms)")
    print(f"one more design, warm, sax cells  : {cpu_sax * 1e3:8.1f} ms CPU {wall_sax * 1e3:8.1f} ms; "
          f"ratio {cpu_sax / cpu_ev:6.0f} x")


def yield_startup(cache: str) -> None:
    base = {**os.environ, "QCHIPNET_CACHE_DIR": cache, "JAX_PLATFORMS": "cpu"}
    with tempfile.TemporaryDirectory() as tmp:
        args = ["yield", "--platform", "inp", "--dies", "1", "--seed", "1", "--json"]
        run_cli([*args, "--out", f"{tmp}/a"], base)
        warm = run_cli([*args, "--out", f"{tmp}/b"], base)
        design = Path(tmp) / "d.yaml"
        design.write_text(f"transmitter: {{pm_length_um: {1234 + time.time_ns() % 100}}}\n")
        miss = run_cli([*args, "--out", f"{tmp}/c", "--design", str(design)], base)
        imports = run_cli(["yield", "--help"], base)
    print(f"yield start-up, cached design     : {warm[0]:6.2f} CPU-s {warm[1]:6.2f} s "
          f"({warm[0] - imports[0]:5.2f} CPU-s beyond the CLI start-up; target <= 3)")
    print(f"yield start-up, new design        : {miss[0]:6.2f} CPU-s {miss[1]:6.2f} s (nominal network computed); "
          f"ratio {miss[0] / warm[0]:4.1f} x")


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        cli_latency(cache)
        yield_startup(cache)
    warm_design()


if __name__ == "__main__":
    main()
