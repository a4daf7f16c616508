"""``qchipnet run``: the main job, design -> masks + DRC -> ring and transmitter metrics -> network key
rates -> Monte Carlo yield of both wafers -> ``results.json``, provenance and ``report.html``."""

from __future__ import annotations

import inspect
import json
import time
from pathlib import Path

import typer

from ._common import to_jsonable

__all__ = ["register", "run_pipeline"]


class _Stages:
    """Prints each stage with its wall time and records the times."""

    def __init__(self, echo):
        self.echo = echo
        self.times: dict[str, float] = {}

    def run(self, name: str, fn, *args, **kwargs):
        self.echo(f"[{len(self.times) + 1}] {name} ...")
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        dt = time.perf_counter() - t0
        self.times[name] = round(dt, 2)
        self.echo(f"    {name}: {dt:.1f} s")
        return out


def _call_with(fn, values: dict) -> dict:
    """Call an evaluator with the design values its signature accepts (names with units match)."""
    params = inspect.signature(fn).parameters
    return fn(**{k: v for k, v in values.items() if k in params})


def _masks(design, out: Path, echo, drc: str = "full") -> dict:
    from .mask import build_masks

    s = build_masks(design, out / "masks", drc=drc, thumbnails=True, log=echo)
    for e in s["wafers"] + s["chips"]:
        for k in ("gds", "manifest", "thumbnail"):
            if e.get(k):
                e[k] = f"masks/{e[k]}"
    return s


def _ring(design) -> dict:
    """Server ring metrics from its cell, plus the arrays the report plots (spectrum, D_int)."""
    import numpy as np

    from ..circuits.ring import evaluate_ring, ring_spectrum
    from ..constants import C_M_PER_S

    r = design.server_ring
    values = {"radius_um": r.radius_um, "width_um": r.width_um, "gap_um": r.gap_um, "thickness_nm": r.thickness_nm,
              "bus_width_um": r.bus_width_um}
    res = _call_with(evaluate_ring, values)
    sp = _call_with(ring_spectrum, values)
    nu, nu0 = C_M_PER_S / (np.asarray(sp["wl_um"]) * 1e-6), C_M_PER_S / (sp["wl_res_um"] * 1e-6)
    spectrum = {"detuning_MHz": ((nu - nu0) / 1e6).tolist(), "transmission": np.asarray(sp["T"]).tolist()}
    dint = {"mode": list(res["mode_numbers"]), "dint_MHz": list(res["D_int_over_2pi_MHz"])}
    return {"status": "ok", **to_jsonable(res), "spectrum": spectrum, "dint": dint}


def _transmitter(design) -> dict:
    """Transmitter metrics from the chip circuit, plus the IM transfer curve and the DBR tuning map."""
    import numpy as np

    from ..circuits.transmitter import evaluate_transmitter, im_metrics
    from ..models.inp import comb_line_wavelengths_nm, dbr_laser_metrics

    t = design.transmitter
    values = {k: getattr(t, k) for k in type(t).model_fields}
    res = _call_with(evaluate_transmitter, values)
    im = im_metrics(pm_length=t.pm_length_um) if hasattr(t, "pm_length_um") else im_metrics()
    i_mA = np.linspace(0.0, float(values.get("max_tuning_current_mA", 12.0)), 25)
    las = dbr_laser_metrics(max_tuning_current_mA=i_mA)
    lines = list(range(-5, 9))
    dbr_map = {"tuning": i_mA.tolist(), "tuning_label": "DBR tuning current (mA)",
               "wavelength_nm": (np.asarray(las["bragg_nm"]) - np.asarray(las["current_tuning_nm"])).tolist(),
               "comb_lines": lines, "comb_wavelength_nm": np.asarray(comb_line_wavelengths_nm(np.array(lines))).tolist()}
    im_curve = {"voltage_V": np.asarray(im["voltage_V"]).tolist(),
                "transmission_dB": (10 * np.log10(np.maximum(np.asarray(im["transmission"]), 1e-12))).tolist()}
    return {"status": "ok", **to_jsonable(res), "im_curve": im_curve, "dbr_map": dbr_map}


def _network_params(design, pairs=None):
    from ..system import LinkParams, NetworkParams, PairSpec, SNSProtocol, default_pairs

    dflt = {p.pair: p for p in default_pairs()}
    specs = []
    for p in pairs if pairs is not None else design.network.pairs:
        base = dflt.get(p.pair)
        kw = {"pair": p.pair, "comb_line": p.comb_line, "distance_km": p.distance_km, "downstream_km": p.downstream_km,
              "reamplified": p.reamplified}
        if base is not None and base.reamplified and p.reamplified:
            kw["tracking"] = base.tracking  # the article's faster drifts on the long-downstream pair
        specs.append(PairSpec(**kw))
    det, pr = design.detection, design.protocol
    link = LinkParams(loss_dB_per_km=det.fibre_loss_dB_per_km, detector_efficiency=det.detector_efficiency,
                      dark_count_rate_Hz=det.dark_count_rate_Hz, gate_ns=det.gate_ns, server_loss_dB=det.server_loss_dB)
    proto = SNSProtocol(n_pulses=pr.n_pulses, failure_prob=pr.failure_prob, ec_efficiency=pr.ec_efficiency, aopp=pr.aopp)
    return NetworkParams(pairs=specs, link=link, protocol=proto, reference_line=design.network.reference_line)


def _network(design, ring: dict, tx: dict) -> dict:
    import numpy as np

    from ..system import ServerMetrics, TransmitterMetrics, evaluate_network

    server = ServerMetrics.from_json(ring)
    txm = TransmitterMetrics.from_json(tx)
    params = _network_params(design)
    evals = []
    for d in design.network.distances_km:
        r = evaluate_network(server, txm, params, distance_km=d)
        evals.append({"distance_km": d, "pairs": r["pairs"], "network_capability_km": r["network_capability_km"],
                      "n_users": r["n_users"]})
    design_eval = evaluate_network(server, txm, params)
    one = _network_params(design, pairs=design.network.pairs[:1])
    dist = np.linspace(10.0, design.network.curve_max_km, 14)
    kr, plob = [], []
    for d in dist:
        p = evaluate_network(server, txm, one, distance_km=float(d))["pairs"][0]
        kr.append(p["key_rate_per_pulse"])
        plob.append(p["plob_per_pulse"])
    return to_jsonable({"status": "ok", "source": {"server": "circuit", "transmitter": "circuit"},
                        "evaluations": evals, "design_pairs": design_eval["pairs"],
                        "network_capability_km": design_eval["network_capability_km"], "comb": design_eval["comb"],
                        "assumptions": design_eval["assumptions"],
                        "curve": {"distance_km": dist.tolist(), "key_rate_per_pulse": kr, "plob_per_pulse": plob,
                                  "pair": design.network.pairs[0].pair}})


def _yield(design, out: Path, dies: int, echo) -> dict:
    import yaml

    from ..wafer.engine import make_config, run_study
    from .yield_ import write_plots

    proc_path = None
    if design.process:
        proc_path = out / "process_overrides.yaml"
        proc_path.write_text(yaml.safe_dump(design.process, sort_keys=True))
    studies = {}
    for plat in ("inp", "sin"):
        over = str(proc_path) if proc_path and plat in design.process else None
        cfg = make_config(plat, dies, design.monte_carlo.seed, process_path=over, design=design.model_dump(mode="json"))
        ydir = out / f"yield_{plat}"
        s = run_study(cfg, ydir, progress=False)
        figs = [p.relative_to(out).as_posix() for p in write_plots(s, ydir)]
        studies[plat] = {k: s.get(k) for k in ("platform", "dies", "seed", "yield", "yield_ci95", "failures_by_spec",
                                               "metrics", "modulator_yield", "elapsed_s")}
        studies[plat]["figures"] = figs
        studies[plat]["run_dir"] = ydir.relative_to(out).as_posix()
        echo(f"    {plat}: {s['dies']} dies, yield {s['yield']:.3f} (95% CI {s['yield_ci95'][0]:.3f}-{s['yield_ci95'][1]:.3f})")
    return to_jsonable({"status": "ok", "studies": studies})


def _provenance(design, dhash: str, times: dict) -> dict:
    import platform as pf
    from importlib.metadata import PackageNotFoundError, version

    from .. import __version__

    vers = {}
    for pkg in ("gdsfactory", "kfactory", "klayout", "sax", "meow-sim", "tidy3d", "jax", "numpy", "scipy", "pydantic",
                "matplotlib", "pandas"):
        try:
            vers[pkg] = version(pkg)
        except PackageNotFoundError:
            vers[pkg] = None
    return {"qchipnet": __version__, "python": pf.python_version(), "design_name": design.name, "design_hash": dhash,
            "seed": design.monte_carlo.seed, "versions": vers, "stage_times_s": times}


def run_pipeline(design_path: Path | None, out: Path, dies: int | None = None, echo=typer.echo, drc: str = "full") -> dict:
    """Run every stage into ``out`` and write ``results.json``, ``provenance.json`` and ``report.html``."""
    from ..design import design_hash, load_design
    from ..report.html import build_report
    from ..validate import check_range

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    st = _Stages(echo)
    design = st.run("design", load_design, design_path)
    dhash = design_hash(design)
    n = dies if dies is not None else design.monte_carlo.dies
    check_range("dies", n, 1, 10_000_000)
    echo(f"    design {design.name!r}, hash {dhash}")
    masks = st.run("masks + DRC", _masks, design, out, echo, drc)
    ring = st.run("server ring", _ring, design)
    echo(f"    FSR {ring['fsr_GHz']:.4f} GHz, Q_i {ring['q_intrinsic'] / 1e6:.1f} M, D2/2pi {ring['D2_over_2pi_kHz']:.0f} kHz")
    tx = st.run("transmitter", _transmitter, design)
    echo(f"    V_pi {tx['vpi_V']:.2f} V, IM visibility {tx['im_visibility_dB']:.1f} dB, "
         f"DBR tuning {tx['dbr_tuning_range_nm']:.2f} nm")
    net = st.run("network key rates", _network, design, ring, tx)
    echo(f"    network capability N L / 2 = {net['network_capability_km']:.0f} km")
    mc = st.run("Monte Carlo yield", _yield, design, out, n, echo)
    results = {"kind": "qchipnet-run", "format_version": 1, "design_hash": dhash, "design": design.model_dump(mode="json"),
               "masks": masks, "ring": ring, "transmitter": tx, "network": net, "yield": mc}
    results["provenance"] = _provenance(design, dhash, st.times)
    (out / "results.json").write_text(json.dumps(to_jsonable(results), indent=1))
    report = st.run("report", build_report, out)
    results["provenance"]["stage_times_s"] = st.times
    (out / "results.json").write_text(json.dumps(to_jsonable(results), indent=1))
    (out / "provenance.json").write_text(json.dumps(to_jsonable(results["provenance"]), indent=1))
    build_report(out)
    echo(f"report: {report}")
    echo("stage times (s): " + ", ".join(f"{k} {v:.1f}" for k, v in st.times.items()))
    return results


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run_cmd(
        out: Path = typer.Option(..., "--out", help="Run directory: masks/, yield_*/, results.json, report.html."),
        design: Path = typer.Option(None, "--design", help="Design YAML/TOML (default: the built-in design)."),
        dies: int = typer.Option(None, "--dies", help="Dies per wafer type in the Monte Carlo (default: the design's)."),
        drc: str = typer.Option("full", "--drc", help="DRC mode: full (flattened wafer) or cells (each distinct cell once)."),
    ) -> None:
        """The main job: masks + DRC, ring and transmitter, network key rates, yield, HTML report."""
        from ..validate import InputError

        if drc not in ("full", "cells"):
            raise InputError(f"--drc {drc!r}: choose full or cells")
        t0 = time.perf_counter()
        run_pipeline(design, out, dies, drc=drc)
        typer.echo(f"done in {time.perf_counter() - t0:.1f} s")
