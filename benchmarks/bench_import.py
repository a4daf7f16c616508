"""Benchmark: ``import qchipnet`` (the lazy public API) against importing what its functions need.

Each import runs in a fresh interpreter (``python -X importtime``-free, timed from inside with
``time.perf_counter`` and ``time.process_time``), ``--repeat`` times; prints the median wall and CPU
seconds of ``import qchipnet`` and of ``import qchipnet.pipeline, qchipnet.circuits.kit`` (the
libraries the API defers: gdsfactory, jax, pandas...), and their ratio.

    .venv/bin/python benchmarks/bench_import.py [--repeat 5]
"""

from __future__ import annotations

import statistics
import subprocess
import sys

_CODE = ("import time; t = time.perf_counter(); c = time.process_time(); {stmt}; "
         "print(time.perf_counter() - t, time.process_time() - c)")


def _time(stmt: str, repeat: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", _CODE.format(stmt=stmt)], capture_output=True, text=True,
                             check=True).stdout.split()
        walls.append(float(out[0]))
        cpus.append(float(out[1]))
    return statistics.median(walls), statistics.median(cpus)


def main(repeat: int = 5) -> None:
    light = _time("import qchipnet", repeat)
    heavy = _time("import qchipnet.pipeline, qchipnet.circuits.kit, gdsfactory, jax, pandas", repeat)
    print(f"import qchipnet:                       {light[0] * 1e3:8.1f} ms wall, {light[1] * 1e3:8.1f} ms CPU")
    print(f"import pipeline + kit (+ their libs):  {heavy[0] * 1e3:8.1f} ms wall, {heavy[1] * 1e3:8.1f} ms CPU")
    print(f"ratio (heavy / light): {heavy[0] / light[0]:.0f}x wall, {heavy[1] / max(light[1], 1e-9):.0f}x CPU")


if __name__ == "__main__":
    n = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 5
    main(n)
