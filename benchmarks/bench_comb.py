"""Benchmark: the server comb per die, surrogate batch (:func:`qchipnet.system.comb.comb_batch`) against
the direct LLE solve per die (:func:`qchipnet.models.comb_table.solve_dark_pulse`, what the comb cost
before the table).

Draws ``--dies`` server dies around the reference ring (Q_i, Q_c, D2, FSR, resonance spread), times
the batch (CPU and wall, best of ``--repeat`` after a warm-up call) and ``--direct`` direct solves of
the same dies, and prints dies per CPU-second both ways and their ratio.

    nice -n 10 .venv/bin/python benchmarks/bench_comb.py [--dies 1000000] [--direct 2] [--repeat 3]
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np


def _dies(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"q_intrinsic": rng.normal(20e6, 2.8e6, n).clip(8e6, 4e7), "q_coupling": rng.normal(20e6, 2e6, n).clip(8e6, 4e7),
            "fsr_GHz": rng.normal(30.03, 0.03, n), "D2_over_2pi_kHz": rng.normal(-733.0, 20.0, n),
            "n_g": rng.normal(1.589, 0.002, n), "resonance_nm": 1549.886 + rng.normal(0.0, 0.6, n),
            "A_eff_um2": np.full(n, 3.94), "dneff_dT_per_K": np.full(n, 1.218e-5)}


def main(n_dies: int = 1_000_000, n_direct: int = 2, repeat: int = 3) -> None:
    from qchipnet.constants import NU0_HZ
    from qchipnet.models.comb_table import solve_dark_pulse
    from qchipnet.system.comb import comb_batch

    dies = _dies(n_dies)
    comb_batch({k: v[:10] for k, v in dies.items()})  # warm-up: table load and slice
    best_cpu, best_wall = math.inf, math.inf
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        r = comb_batch(dies)
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)
    ok = float(np.mean(r["comb_exists"]))
    rate_batch = n_dies / best_cpu

    c0, w0 = time.process_time(), time.perf_counter()
    for i in range(n_direct):
        ql = 1 / (1 / dies["q_intrinsic"][i] + 1 / dies["q_coupling"][i])
        d2 = -2 * 2 * math.pi * dies["D2_over_2pi_kHz"][i] * 1e3 / (2 * math.pi * NU0_HZ / ql)
        solve_dark_pulse(float(d2), 4.70, 4.0)
    cpu_direct, wall_direct = time.process_time() - c0, time.perf_counter() - w0
    rate_direct = n_direct / cpu_direct

    print(f"surrogate comb_batch: {n_dies} dies in {best_cpu:.3f} CPU-s ({best_wall:.3f} s wall), "
          f"{rate_batch:.3g} dies/CPU-s; comb exists on {ok:.1%}")
    print(f"direct LLE per die:   {n_direct} dies in {cpu_direct:.2f} CPU-s ({wall_direct:.2f} s wall), "
          f"{rate_direct:.3g} dies/CPU-s")
    print(f"ratio (surrogate / direct): {rate_batch / rate_direct:.3g}x per CPU-second")


if __name__ == "__main__":
    args = sys.argv[1:]

    def opt(name: str, default: int) -> int:
        return int(args[args.index(name) + 1]) if name in args else default

    main(opt("--dies", 1_000_000), opt("--direct", 2), opt("--repeat", 3))
