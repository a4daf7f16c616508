"""Benchmark: the yield gradient of ``qchipnet sensitivity`` (common random numbers, sigmoid-smoothed
pass/fail, mean step +-0.25 sigma) against the brute-force way (independent dies at mean +-delta,
indicator yield) with the same step (delta = 0.25 sigma: the same finite-difference bias) and with a
twice larger step (delta = 0.5 sigma: less noise, more bias), at the same cost: 2 x ``--dies`` dies each.

Prints, per way, the gradient of the InP die yield per +1 sigma of the parameter's mean, its standard
error, CPU and wall seconds, and the ratio of the squared standard errors (= how many times more dies
the brute-force way needs for the same precision). The ``locks_to_its_line`` limit, which decides most
failures, is a flag of the network chain (no margin reaches the evaluator's outputs), so it stays an
indicator: common random numbers then gain through the dies that do not flip, not through smoothing.

    nice -n 10 .venv/bin/python benchmarks/bench_sensitivity.py [--dies 8192] [--parameter core_bandgap_um]
"""

from __future__ import annotations

import math
import sys
import time


def main(n: int = 8192, parameter: str = "core_bandgap_um") -> None:
    from qchipnet.models.cache import enable_compilation_cache
    from qchipnet.optim.sensitivity import (
        MEAN_STEP_SIGMA,
        DieModel,
        Settings,
        make_sensitivity,
        soft_pass,
        temperatures,
    )

    enable_compilation_cache()
    cfg = make_sensitivity("inp", n, 1)
    model = DieModel(cfg)
    j = next(i for i, f in enumerate(model.factors) if f.name == parameter)
    sig = model.factors[j].sigma_total
    nf = len(model.factors)

    def crn_way() -> tuple[float, float]:
        s = Settings.nominal(3, nf)
        s.shift[:, j] = [0.0, MEAN_STEP_SIGMA * sig, -MEAN_STEP_SIGMA * sig]
        out = model.evaluate(model.draws(n, 1), s)
        base = type(out)({k: v[:n] for k, v in out.metrics.items()}, {k: v[:n] for k, v in out.limit_pass.items()},
                         out.objective[:n])
        soft = soft_pass(cfg.study.spec, out, temperatures(cfg.study.spec, base)).reshape(3, n)
        d = (soft[1] - soft[2]) / (2 * MEAN_STEP_SIGMA)
        return float(d.mean()), float(d.std(ddof=1) / math.sqrt(n))

    def brute_way(delta: float) -> tuple[float, float]:
        ys = []
        for sign, seed in ((1, 2), (-1, 3)):
            s = Settings.nominal(1, nf)
            s.shift[0, j] = sign * delta * sig
            ys.append(float(model.evaluate(model.draws(n, seed), s).passes.mean()))
        return (ys[0] - ys[1]) / (2 * delta), math.hypot(*(math.sqrt(y * (1 - y) / n) for y in ys)) / (2 * delta)

    ways = {"CRN + sigmoid (qchipnet), h 0.25": crn_way, "independent dies, delta 0.25": lambda: brute_way(0.25),
            "independent dies, delta 0.5": lambda: brute_way(0.5)}
    for f in ways.values():  # warm-up: compile every batch shape the ways use
        f()
    res = {}
    for name, f in ways.items():
        c0, w0 = time.process_time(), time.perf_counter()
        g, e = f()
        res[name] = (g, e, time.process_time() - c0, time.perf_counter() - w0)
    print(f"d yield / +1 sigma of {parameter}, {n} dies per point (CRN: 3 points incl. the nominal; brute force: 2)")
    ref = res["CRN + sigmoid (qchipnet), h 0.25"]
    for name, (g, e, cpu, wall) in res.items():
        print(f"  {name:34s} {g:+.4f} +- {e:.4f}   CPU {cpu:6.2f} s   wall {wall:6.2f} s   "
              f"variance / CRN's {(e / ref[1]) ** 2:5.2f}")


if __name__ == "__main__":
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    main(int(args.get("--dies", 8192)), args.get("--parameter", "core_bandgap_um"))
