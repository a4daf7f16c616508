"""Monte Carlo throughput: a per-die Python loop over sax circuits (as the public layout-aware
Monte Carlo tutorials do) against qchipnet's vectorised wafer engine, in one process.

Both ways evaluate the same InP transmitter physics for each die: V_pi from the EO model, IM
extinction from the MMI + phase-modulator circuit at the die's MMI width error, arm-loss
imbalance and EO coefficient. The loop builds nothing per die but calls the sax circuit of the
IM cell (``circuits.transmitter.mzm_circuit``) at the die's on and off voltages; the engine runs
``wafer.engine.evaluate_chunk`` (sampling + all metrics + key rate + specs) over whole wafers.

Run: python benchmarks/bench_yield.py [--loop-dies 200] [--dies 20000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def loop_rate(n: int) -> float:
    from qchipnet.circuits.devices import transmitter_metrics
    from qchipnet.circuits.transmitter import im_settings, mzm_circuit
    from qchipnet.design import default_design
    from qchipnet.layouts.wafer_plan import wafer_plan
    from qchipnet.models import inp as M
    from qchipnet.pdk import get_platform
    from qchipnet.wafer.variation import sample_wafer

    plan = wafer_plan("inp")
    params, _ = sample_wafer(get_platform("inp").process, plan.positions_mm(), plan.wafer_diameter_mm / 2, 1, 0)
    circ = mzm_circuit(1500.0)
    nominal = {k: float(v) for k, v in transmitter_metrics(default_design().transmitter.model_dump()).items()
               if k != "reachable"}
    v_on0, v_off0 = nominal["im_v_on_V"], nominal["im_v_off_V"]
    vpi0 = nominal["vpi_V"]
    t0 = time.perf_counter()
    out = []
    for i in range(n):
        eo = float(np.exp(params["eo_coefficient_ln"][i, 0]))
        vpi = float(M.pm_vpi_V(core_um=float(np.clip(params["core_thickness_um"][i, 0], 0.45, 0.55)), eo_rel=eo))
        die = dict(arm_loss_imbalance_dB=abs(float(params["arm_loss_imbalance_dB"][i, 0])),
                   mmi_width_error_um=float(params["mmi_width_bias_um"][i, 0]), eo_rel=eo)
        ts = []
        for v in (min(v_on0 * vpi / vpi0, 14.0), min(v_off0 * vpi / vpi0, 14.0)):
            S = circ(wl=1.54978, **im_settings(v, **die))
            ts.append(abs(complex(np.asarray(S["o1", "o2"]))) ** 2)
        out.append((vpi, 10 * np.log10(ts[0] / ts[1])))
    dt = time.perf_counter() - t0
    return n / dt


def engine_rate(n_dies: int) -> tuple[float, float]:
    from qchipnet.wafer.engine import evaluate_chunk, make_config

    cfg = make_config("inp", n_dies, seed=1)
    evaluate_chunk(cfg, 0)  # compile and warm the caches (reference link, MMI tables, jit)
    t0 = time.perf_counter()
    n = 0
    for c in range(1, cfg.n_chunks):
        n += len(evaluate_chunk(cfg, c))
    dt = time.perf_counter() - t0
    return n / dt, dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--loop-dies", type=int, default=200)
    ap.add_argument("--dies", type=int, default=20000)
    a = ap.parse_args()
    r_loop = loop_rate(a.loop_dies)
    print(f"per-die sax loop : {r_loop:10.1f} dies/s  ({a.loop_dies} dies)")
    r_vec, dt = engine_rate(a.dies)
    print(f"vectorised engine: {r_vec:10.1f} dies/s  ({a.dies} dies requested, {dt:.2f} s after warm-up; "
          f"includes sampling, key rate, specs and the DataFrame)")
    print(f"ratio            : {r_vec / r_loop:10.1f} x")


if __name__ == "__main__":
    main()
