"""Benchmark: fully optimised finite-size SNS-TF-QKD curve, 61 distances 0-600 km.

Compares the vectorised pattern-search optimiser (all distances in one numpy call per stencil) with
the naive per-point scipy Nelder-Mead reference on the same objective, and prints the times, the
speed-up (per point) and the worst relative key-rate difference. ``--full`` runs scipy on all 61 points
(about 30 s); by default every 6th point (11 points) and the time is reported per point.

    /work/venv/bin/python benchmarks/bench_keyrate.py [--full]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from qchipnet.system.optimize import optimize_protocol, optimize_protocol_scipy
from qchipnet.system.snstf import ChannelParams, SNSProtocol, arm_transmittance


def main(full: bool = False) -> None:
    ch = ChannelParams()
    base = SNSProtocol(n_pulses=1e12)
    L = np.linspace(0.0, 600.0, 61)
    ea, eb = arm_transmittance(L, ch)
    optimize_protocol(ea[:2], eb[:2], ch.p_dark, ch.e_d, base)  # warm-up
    t0 = time.perf_counter()
    res, _ = optimize_protocol(ea, eb, ch.p_dark, ch.e_d, base)
    t_vec = time.perf_counter() - t0
    sel = np.arange(61) if full else np.arange(0, 61, 6)
    t0 = time.perf_counter()
    ref = optimize_protocol_scipy(ea[sel], eb[sel], ch.p_dark, ch.e_d, base)
    t_ref = time.perf_counter() - t0
    fast = res.key_rate[sel]
    ok = ref > 0
    worst = float(np.max(np.abs(fast[ok] / ref[ok] - 1))) if np.any(ok) else 0.0
    per_vec, per_ref = t_vec / L.size, t_ref / sel.size
    print(f"vectorised optimiser: 61 distances in {t_vec:.3f} s ({1e3 * per_vec:.2f} ms/point)")
    print(f"scipy Nelder-Mead per point: {sel.size} distances in {t_ref:.2f} s ({1e3 * per_ref:.1f} ms/point)")
    print(f"speed-up per point: {per_ref / per_vec:.0f}x; estimated scipy time for 61 points {61 * per_ref:.1f} s")
    print(f"worst relative key-rate difference (vectorised vs scipy, where > 0): {100 * worst:.2f} %")
    print(f"max distance with positive key: {L[res.key_rate > 0].max():.0f} km")


if __name__ == "__main__":
    main(full="--full" in sys.argv)
