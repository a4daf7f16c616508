"""Benchmark: the SNS-TF-QKD key-rate engine (issue 13, item 9).

1. Fully optimised finite-size curve, 61 distances 0-600 km (what ``qchipnet keyrate --sweep 0:600:10``
   and the report's curve compute): the jax pattern search (one compiled program, all distances at
   once) against the naive per-point scipy Nelder-Mead reference on the same objective. Prints the
   compile time (first call), the warm time (CPU-s and wall), the speed-up per point and the worst
   relative key-rate difference. Target: warm curve < 0.5 s.
2. Fixed-protocol Monte Carlo throughput (``key_rate`` on arrays of pairs, as wafer/evaluate.py calls
   it): 2^20 pairs in one call against the scalar scipy oracle of tests/system/test_keyrate_oracle.py
   per pair (extrapolated from 50 pairs). Target: >= 1e6 pairs per CPU-second after compilation.

    /work/main/.venv/bin/python benchmarks/bench_keyrate.py [--full]

``--full`` runs scipy on all 61 points (about a minute); by default every 6th point (11 points).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from qchipnet.system.optimize import optimize_protocol, optimize_protocol_scipy
from qchipnet.system.snstf import (
    ChannelParams,
    SNSProtocol,
    arm_transmittance,
    key_rate,
)


def _timed(f):
    c, w = time.process_time(), time.perf_counter()
    out = f()
    return out, time.process_time() - c, time.perf_counter() - w


def curve(full: bool) -> None:
    ch = ChannelParams()
    base = SNSProtocol(n_pulses=1e12)
    L = np.linspace(0.0, 600.0, 61)
    ea, eb = arm_transmittance(L, ch)
    _, c0, w0 = _timed(lambda: optimize_protocol(ea, eb, ch.p_dark, ch.e_d, base))
    (res, _), c1, w1 = _timed(lambda: optimize_protocol(ea, eb, ch.p_dark, ch.e_d, base))
    sel = np.arange(61) if full else np.arange(0, 61, 6)
    ref, c2, w2 = _timed(lambda: optimize_protocol_scipy(ea[sel], eb[sel], ch.p_dark, ch.e_d, base))
    fast = res.key_rate[sel]
    ok = ref > 0
    worst = float(np.max(fast[ok] / ref[ok] - 1)) if np.any(ok) else 0.0
    least = float(np.min(fast[ok] / ref[ok] - 1)) if np.any(ok) else 0.0
    print("61-point optimised finite-size curve (N = 1e12):")
    print(f"  first call (compile + run): {w0:.2f} s wall, {c0:.2f} CPU-s")
    print(f"  warm: {w1:.3f} s wall, {c1:.3f} CPU-s ({1e3 * w1 / L.size:.2f} ms/point)  target < 0.5 s: "
          f"{'OK' if w1 < 0.5 else 'MISSED'}")
    print(f"  scipy Nelder-Mead per point: {sel.size} points in {w2:.1f} s wall, {c2:.1f} CPU-s "
          f"({1e3 * w2 / sel.size:.0f} ms/point)")
    print(f"  speed-up per point (wall): {(w2 / sel.size) / (w1 / L.size):.0f}x")
    print(f"  key rate, vectorised / scipy - 1 (where > 0): from {100 * least:+.2f} % to {100 * worst:+.2f} %")
    print(f"  max distance with positive key: {L[res.key_rate > 0].max():.0f} km")


def monte_carlo() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "system"))
    from test_keyrate_oracle import oracle

    p = SNSProtocol(mu_z=0.43, epsilon=0.033, mu_1=0.054, mu_2=0.46, p_z=0.8, p_0=0.29, p_1=0.65)
    rng = np.random.default_rng(0)
    n = 1 << 20
    eta = float(arm_transmittance(370.0, ChannelParams())[0]) * rng.uniform(0.8, 1.2, n)
    pd = 10 ** rng.uniform(-8.3, -7.5, n)
    ed = rng.uniform(0.02, 0.05, n)
    _, c0, w0 = _timed(lambda: key_rate(eta, eta, pd, ed, p))
    r, c1, w1 = _timed(lambda: key_rate(eta, eta, pd, ed, p))
    m = 50
    ref, c2, _w2 = _timed(lambda: np.array([oracle(eta[i], eta[i], pd[i], ed[i], p)["key_rate"] for i in range(m)]))
    dev = float(np.max(np.abs(r[:m] / ref - 1)))
    print(f"fixed-protocol Monte Carlo, {n} pairs (370 km, spread eta / p_dark / e_d):")
    print(f"  first call (compile + run): {w0:.2f} s wall, {c0:.2f} CPU-s")
    print(f"  warm: {w1:.3f} s wall, {c1:.3f} CPU-s -> {n / c1:.2e} pairs per CPU-s ({n / w1:.2e} per wall-s)  "
          f"target >= 1e6 per CPU-s: {'OK' if n / c1 >= 1e6 else 'MISSED'}")
    print(f"  scalar scipy oracle: {m} pairs in {c2:.2f} CPU-s -> {m / c2:.0f} pairs per CPU-s; "
          f"speed-up {(n / c1) / (m / c2):.0f}x; max relative difference {dev:.1e}")


if __name__ == "__main__":
    curve(full="--full" in sys.argv)
    monte_carlo()
