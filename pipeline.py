"""The main job as library code: a design -> masks, device metrics, key rates, yield, results.

Two entry points (the CLI only parses arguments and calls them):

- :func:`evaluate_design` evaluates a design without writing files: the server ring and the
  transmitter through the batch evaluators (``circuits.devices``) and the network key rates
  through the system evaluator. It is what an optimiser or a notebook calls.
- :func:`run` runs the whole job into a folder: masks + DRC, the evaluations above with the arrays
  the report plots, both Monte Carlo wafer studies of the same design, ``results.json``,
  ``provenance.json`` and ``report.html``.

Both take a validated :class:`~qchipnet.design.Design` (or a path; ``None`` = the built-in design).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable

__all__ = ["evaluate_design", "evaluate_ring", "evaluate_transmitter", "evaluate_network_of", "run", "as_design",
           "to_jsonable"]


def as_design(design=None):
    """A :class:`~qchipnet.design.Design` from a Design, a mapping, a path or None (built-in)."""
    from .design import Design, load_design, parse_design

    if isinstance(design, Design):
        return design
    if isinstance(design, dict):
        return parse_design(design)
    return load_design(design)


def to_jsonable(obj: Any) -> Any:
    """numpy/jax scalars and arrays, tuples, models and paths as JSON-ready Python values (NaN -> None)."""
    import math

    import numpy as np

    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "model_dump"):
        return to_jsonable(obj.model_dump())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if hasattr(obj, "__array__") and not isinstance(obj, (str, bytes)):
        arr = np.asarray(obj)
        return to_jsonable(arr.item() if arr.ndim == 0 else arr.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)


def evaluate_ring(design=None, *, spectrum: bool = False) -> dict:
    """The server ring of ``design`` (the ``qchipnet ring --json`` keys); ``spectrum=True`` adds the
    sax spectrum of the cell and D_int for plots."""
    import numpy as np

    from .circuits.ring import ring_report, ring_spectrum
    from .constants import C_M_PER_S
    from .design import processes

    d = as_design(design)
    sin = processes(d)["sin"]
    ring = d.server_ring.model_dump()
    res = ring_report(ring, process=sin)
    out = {"status": "ok", **res}
    if spectrum:
        sp = ring_spectrum(ring, process=sin)
        nu, nu0 = C_M_PER_S / (np.asarray(sp["wl_um"]) * 1e-6), C_M_PER_S / (sp["wl_res_um"] * 1e-6)
        out["spectrum"] = {"detuning_MHz": ((nu - nu0) / 1e6).tolist(), "transmission": np.asarray(sp["T"]).tolist()}
        out["dint"] = {"mode": list(res["mode_numbers"]), "dint_MHz": list(res["D_int_over_2pi_MHz"])}
    return to_jsonable(out)


def evaluate_transmitter(design=None, *, curves: bool = False, chip_paths: bool = True) -> dict:
    """The transmitter of ``design`` (the ``qchipnet transmitter --json`` keys); ``curves=True`` adds
    the IM transfer curve of the cell's sax circuit and the DBR tuning map for plots."""
    import numpy as np

    from .circuits.transmitter import im_metrics, transmitter_report
    from .design import processes
    from .models.inp import comb_line_wavelengths_nm, dbr_laser_metrics

    d = as_design(design)
    tx = d.transmitter.model_dump()
    res = transmitter_report(tx, process=processes(d)["inp"], chip_paths=chip_paths)
    out = {"status": "ok", **res}
    if curves:
        im = im_metrics(pm_length=tx["pm_length_um"], width=tx["ridge_width_um"])
        i_mA = np.linspace(0.0, 12.0, 25)
        las = dbr_laser_metrics(max_tuning_current_mA=i_mA)
        lines = list(range(-5, 9))
        out["im_curve"] = {"voltage_V": np.asarray(im["voltage_V"]).tolist(),
                           "transmission_dB": (10 * np.log10(np.maximum(np.asarray(im["transmission"]), 1e-12))).tolist()}
        out["dbr_map"] = {"tuning": i_mA.tolist(), "tuning_label": "DBR tuning current (mA)",
                          "wavelength_nm": (np.asarray(las["bragg_nm"]) - np.asarray(las["current_tuning_nm"])).tolist(),
                          "comb_lines": lines,
                          "comb_wavelength_nm": np.asarray(comb_line_wavelengths_nm(np.array(lines))).tolist()}
    return to_jsonable(out)


def evaluate_network_of(design, ring: dict, tx: dict, *, curve: bool = True) -> dict:
    """Network key rates of ``design`` with its evaluated ring and transmitter, at every distance of
    ``design.network.distances_km`` and at the design's own distances; ``curve`` adds the key-rate
    curve of the first pair."""
    import numpy as np

    from .design import network_params
    from .system import ServerMetrics, TransmitterMetrics, evaluate_network

    d = as_design(design)
    server, txm = ServerMetrics.from_json(ring), TransmitterMetrics.from_json(tx)
    params = network_params(d)
    evals = []
    for dist in d.network.distances_km:
        r = evaluate_network(server, txm, params, distance_km=dist)
        evals.append({"distance_km": dist, "pairs": r["pairs"], "network_capability_km": r["network_capability_km"],
                      "n_users": r["n_users"]})
    design_eval = evaluate_network(server, txm, params)
    out = {"status": "ok", "source": {"server": "evaluator", "transmitter": "evaluator"}, "evaluations": evals,
           "design_pairs": design_eval["pairs"], "network_capability_km": design_eval["network_capability_km"],
           "comb": design_eval["comb"], "assumptions": design_eval["assumptions"]}
    if curve:
        one = network_params(d, pairs=d.network.pairs[:1])
        dist = np.linspace(10.0, d.network.curve_max_km, 14)
        kr, plob = [], []
        for x in dist:
            p = evaluate_network(server, txm, one, distance_km=float(x))["pairs"][0]
            kr.append(p["key_rate_per_pulse"])
            plob.append(p["plob_per_pulse"])
        out["curve"] = {"distance_km": dist.tolist(), "key_rate_per_pulse": kr, "plob_per_pulse": plob,
                        "pair": d.network.pairs[0].pair}
    return to_jsonable(out)


def evaluate_design(design=None, *, network: bool = True, chip_paths: bool = True) -> dict:
    """Evaluate ``design`` without writing files: ``{"design_hash", "ring", "transmitter", "network"}``."""
    from .design import design_hash

    d = as_design(design)
    ring = evaluate_ring(d)
    tx = evaluate_transmitter(d, chip_paths=chip_paths)
    out = {"design_hash": design_hash(d), "ring": ring, "transmitter": tx}
    if network:
        out["network"] = evaluate_network_of(d, ring, tx, curve=False)
    return out


class _Stages:
    """Prints each stage with its wall time and records the times."""

    def __init__(self, echo: Callable[[str], None]):
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


def _masks(design, out: Path, echo, drc: str) -> dict:
    from .layouts.build import build_masks

    s = build_masks(design, out / "masks", drc=drc, thumbnails=True, log=echo)
    for e in s["wafers"] + s["chips"]:
        for k in ("gds", "manifest", "thumbnail"):
            if e.get(k):
                e[k] = f"masks/{e[k]}"
    return s


def _yield(design, out: Path, dies: int, echo) -> dict:
    from .report.wafer_plots import write_study_plots
    from .wafer.engine import make_config, run_study

    studies = {}
    for plat in ("inp", "sin"):
        cfg = make_config(plat, dies, design.monte_carlo.seed, design=design)
        ydir = out / f"yield_{plat}"
        s = run_study(cfg, ydir, progress=False)
        figs = [p.relative_to(out).as_posix() for p in write_study_plots(s, ydir)]
        studies[plat] = {k: s.get(k) for k in ("platform", "dies", "seed", "yield", "yield_ci95", "failures_by_spec",
                                               "metrics", "modulator_yield", "elapsed_s")}
        studies[plat]["figures"] = figs
        studies[plat]["run_dir"] = ydir.relative_to(out).as_posix()
        echo(f"    {plat}: {s['dies']} dies, yield {s['yield']:.3f} (95% CI {s['yield_ci95'][0]:.3f}-{s['yield_ci95'][1]:.3f})")
    return to_jsonable({"status": "ok", "studies": studies})


def _provenance(design, dhash: str, times: dict) -> dict:
    import platform as pf
    from importlib.metadata import PackageNotFoundError, version

    from . import __version__

    vers = {}
    for pkg in ("gdsfactory", "kfactory", "klayout", "sax", "meow-sim", "tidy3d", "jax", "numpy", "scipy", "pydantic",
                "matplotlib", "pandas"):
        try:
            vers[pkg] = version(pkg)
        except PackageNotFoundError:
            vers[pkg] = None
    return {"qchipnet": __version__, "python": pf.python_version(), "design_name": design.name, "design_hash": dhash,
            "seed": design.monte_carlo.seed, "versions": vers, "stage_times_s": times}


def _write_json(path: Path, obj: dict) -> None:
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(to_jsonable(obj), f, indent=1)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def run(design=None, out: str | Path = "qchipnet-run", *, dies: int | None = None, drc: str = "full",
        echo: Callable[[str], None] = print) -> dict:
    """Run every stage of the main job for ``design`` into ``out``; returns the results dictionary
    (also written to ``out/results.json``, with ``provenance.json`` and ``report.html``)."""
    from .design import design_hash
    from .report.html import build_report
    from .validate import InputError, check_range

    if drc not in ("full", "cells", "none"):
        raise InputError(f"drc = {drc!r}: choose full, cells or none")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {str(out)!r} is a file; give a folder")
    out.mkdir(parents=True, exist_ok=True)
    st = _Stages(echo)
    design = st.run("design", as_design, design)
    dhash = design_hash(design)
    n = dies if dies is not None else design.monte_carlo.dies
    check_range("dies", n, 1, 10_000_000)
    echo(f"    design {design.name!r}, hash {dhash}")
    masks = st.run("masks + DRC", _masks, design, out, echo, drc)
    ring = st.run("server ring", evaluate_ring, design, spectrum=True)
    echo(f"    FSR {ring['fsr_GHz']:.4f} GHz, Q_i {ring['q_intrinsic'] / 1e6:.1f} M, D2/2pi {ring['D2_over_2pi_kHz']:.0f} kHz")
    tx = st.run("transmitter", evaluate_transmitter, design, curves=True)
    echo(f"    V_pi {tx['vpi_V']:.2f} V, IM visibility {tx['im_visibility_dB']:.1f} dB, "
         f"DBR tuning {tx['dbr_tuning_range_nm']:.2f} nm")
    net = st.run("network key rates", evaluate_network_of, design, ring, tx)
    echo(f"    network capability N L / 2 = {net['network_capability_km']:.0f} km")
    mc = st.run("Monte Carlo yield", _yield, design, out, n, echo)
    results = {"kind": "qchipnet-run", "format_version": 1, "design_hash": dhash, "design": design.model_dump(mode="json"),
               "masks": masks, "ring": ring, "transmitter": tx, "network": net, "yield": mc}
    results["provenance"] = _provenance(design, dhash, st.times)
    _write_json(out / "results.json", results)
    report = st.run("report", build_report, out)
    results["provenance"]["stage_times_s"] = st.times
    _write_json(out / "results.json", results)
    _write_json(out / "provenance.json", results["provenance"])
    echo(f"report: {report}")
    echo("stage times (s): " + ", ".join(f"{k} {v:.1f}" for k, v in st.times.items()))
    return results
