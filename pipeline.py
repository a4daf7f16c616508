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
        las = dbr_laser_metrics(grating_period_nm=tx["dbr_grating_period_nm"], rear_dbr_um=tx["dbr_rear_length_um"],
                                gain_um=tx["dbr_gain_length_um"], phase_um=tx["dbr_phase_length_um"],
                                front_dbr_um=tx["dbr_front_length_um"], max_tuning_current_mA=i_mA)
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
        r = evaluate_network(server, txm, params, distance_km=dist, with_sensitivity=False)
        evals.append({"distance_km": dist, "pairs": r["pairs"], "network_capability_km": r["network_capability_km"],
                      "n_users": r["n_users"]})
    design_eval = evaluate_network(server, txm, params)
    out = {"status": "ok", "source": {"server": "evaluator", "transmitter": "evaluator"}, "evaluations": evals,
           "design_pairs": design_eval["pairs"], "network_capability_km": design_eval["network_capability_km"],
           "sensitivity": design_eval["sensitivity"],
           "comb": design_eval["comb"], "assumptions": design_eval["assumptions"]}
    if curve:
        one = network_params(d, pairs=d.network.pairs[:1])
        dist = np.linspace(10.0, d.network.curve_max_km, 14)
        kr, plob = [], []
        for x in dist:
            p = evaluate_network(server, txm, one, distance_km=float(x), with_sensitivity=False)["pairs"][0]
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


#: What ``run`` writes in its folder (``--overwrite`` deletes a folder holding nothing else).
RUN_FOLDER_NAMES = frozenset({"masks", "figures", "yield_inp", "yield_sin", "yield_pair", "yield_network", "results.json",
                              "provenance.json", "report.html", "run_state.json", "finished.json"})


def _owns_run(name: str) -> bool:
    return name in RUN_FOLDER_NAMES


class _Stages:
    """Runs the stages of ``run`` in order, prints each with its number and wall time (a rich spinner
    while it runs when ``progress``), and records each finished stage's result in ``run_state.json``
    (replaced atomically) so that ``resume`` continues from the last finished stage."""

    def __init__(self, echo: Callable[[str], None], state: dict, state_path: Path, total: int, progress: bool):
        self.echo, self.state, self.state_path, self.total, self.progress = echo, state, state_path, total, progress
        self.times: dict[str, float] = {}

    def run(self, name: str, fn, *args, spinner: bool = True, **kwargs):
        i = len(self.times) + 1
        done = self.state["stages"].get(name)
        if done is not None:
            self.times[name] = done["time_s"]
            self.echo(f"[{i}/{self.total}] {name}: finished in an earlier run ({done['time_s']:.1f} s), kept")
            return done["result"]
        self.echo(f"[{i}/{self.total}] {name} ...")
        t0 = time.perf_counter()
        if self.progress and spinner:
            import rich

            # the global console: lines printed through it (cli._common.stage_echo) stay above the spinner
            with rich.get_console().status(f"{name} ...", spinner="dots"):
                out = fn(*args, **kwargs)
        else:
            out = fn(*args, **kwargs)
        dt = round(time.perf_counter() - t0, 2)
        self.times[name] = dt
        self.state["stages"][name] = {"time_s": dt, "result": to_jsonable(out)}
        _write_json(self.state_path, self.state)
        self.echo(f"    {name}: {dt:.1f} s")
        return self.state["stages"][name]["result"]


def _masks(design, out: Path, echo, drc: str) -> dict:
    from .layouts.build import build_masks

    s = build_masks(design, out / "masks", drc=drc, thumbnails=True, log=echo)
    for e in s["wafers"] + s["chips"]:
        for k in ("gds", "manifest", "thumbnail"):
            if e.get(k):
                e[k] = f"masks/{e[k]}"
    return s


def _yield(design, out: Path, dies: int, echo, progress: bool = False) -> dict:
    from .report.wafer_plots import write_study_plots
    from .wafer.engine import make_config, run_study

    studies = {}
    for plat in ("inp", "sin"):
        cfg = make_config(plat, dies, design.monte_carlo.seed, design=design)
        ydir = out / f"yield_{plat}"
        # the run folder was checked (same design and dies) before this stage: continue a study left there
        s = run_study(cfg, ydir, resume=True, progress=progress)
        figs = [p.relative_to(out).as_posix() for p in write_study_plots(s, ydir)]
        studies[plat] = {k: v for k, v in s.items() if k not in ("run_dir", "chunks_computed_now", "dies_per_s")}
        studies[plat]["figures"] = figs
        studies[plat]["run_dir"] = ydir.relative_to(out).as_posix()
        echo(f"    {plat}: {s['dies']} dies, yield {s['yield']:.3f} (95% CI {s['yield_ci95'][0]:.3f}-{s['yield_ci95'][1]:.3f})")
    # whole networks of the design's dies (wafer.network): pairs above PLOB, N L / 2 per fabricated network
    from .report.wafer_plots import write_network_plots
    from .wafer.network import make_network_study, run_network_study

    n_net = min(200, max(10, dies // 10))
    ndir = out / "yield_network"
    s = run_network_study(make_network_study(n_net, design.monte_carlo.seed, design=design), ndir, resume=True)
    s["figures"] = [p.relative_to(out).as_posix() for p in write_network_plots(ndir)]
    s["run_dir"] = ndir.relative_to(out).as_posix()
    s.pop("out_dir", None)
    s.pop("chunks_computed_now", None)
    echo(f"    network: {n_net} networks, pairs above PLOB mean {s['pairs_above_plob']['mean']:.2f} of "
         f"{s['pairs_per_network']}, N L / 2 mean {s['network_capability_km']['mean']:.0f} km")
    return to_jsonable({"status": "ok", "studies": studies, "network": s})


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


def _read_state(out: Path) -> dict:
    from .validate import InputError

    p = out / "run_state.json"
    if not p.is_file():
        raise InputError(f"cannot resume {str(out)!r}: it has no run_state.json (not a qchipnet run folder, or one "
                         "written before stages were recorded); use --overwrite to start again")
    try:
        state = json.loads(p.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"{str(p)!r} is corrupted (not JSON); use --overwrite to start again") from None
    if not isinstance(state, dict) or state.get("kind") != "qchipnet-run" or not isinstance(state.get("stages"), dict):
        raise InputError(f"{str(p)!r} is not the state of a qchipnet run; use --overwrite to start again")
    return state


def run(design=None, out: str | Path = "qchipnet-run", *, dies: int | None = None, drc: str = "full",
        echo: Callable[[str], None] = print, resume: bool = False, overwrite: bool = False,
        progress: bool = False) -> dict:
    """Run every stage of the main job for ``design`` into ``out``; returns the results dictionary
    (also written to ``out/results.json``, with ``provenance.json`` and ``report.html``).

    An existing non-empty ``out`` is refused before anything is computed unless ``resume`` (continue
    from the last finished stage of the same design, dies and DRC mode) or ``overwrite`` (replace a
    run folder). The folder is locked while it is written; ``finished.json`` is written last.
    ``progress`` shows a rich spinner per stage and the Monte Carlo progress bar.
    """
    from .design import design_hash
    from .report.html import build_report
    from .validate import InputError, check_range
    from .wafer.store import check_output_folder, clear_output_folder, folder_lock

    if resume and overwrite:
        raise InputError("--resume and --overwrite are exclusive: choose one")
    if drc not in ("full", "cells", "none"):
        raise InputError(f"drc = {drc!r}: choose full, cells or none")
    out = Path(out)
    t0 = time.perf_counter()
    design = as_design(design)
    t_design = round(time.perf_counter() - t0, 2)
    dhash = design_hash(design)
    n = dies if dies is not None else design.monte_carlo.dies
    check_range("--dies", n, 1, 10_000_000)
    mode = "resume" if resume else ("overwrite" if overwrite else "new")
    key = {"design_hash": dhash, "dies": int(n), "drc": drc}
    state = None
    if check_output_folder(out, mode, _owns_run, "run") and resume:
        state = _read_state(out)
        for k, v in key.items():
            if state.get("key", {}).get(k) != v:
                raise InputError(f"cannot resume {str(out)!r}: {k} = {str(state.get('key', {}).get(k))[:40]} in the "
                                 f"earlier run, {v} now; use --overwrite or another --out")
    out.mkdir(parents=True, exist_ok=True)
    with folder_lock(out, "run folder"):
        if overwrite:
            clear_output_folder(out, _owns_run)
        (out / "finished.json").unlink(missing_ok=True)
        state = state or {"kind": "qchipnet-run", "format_version": 1, "key": key, "stages": {}}
        state["stages"].pop("report", None)  # the report is always rebuilt from the results
        st = _Stages(echo, state, out / "run_state.json", total=7, progress=progress)
        st.times["design"] = t_design
        echo(f"[1/7] design {design.name!r}, hash {dhash}: {t_design:.1f} s")
        _write_json(out / "run_state.json", state)
        masks = st.run("masks + DRC", _masks, design, out, echo, drc)
        ring = st.run("server ring", evaluate_ring, design, spectrum=True)
        echo(f"    FSR {ring['fsr_GHz']:.4f} GHz, Q_i {ring['q_intrinsic'] / 1e6:.1f} M, "
             f"D2/2pi {ring['D2_over_2pi_kHz']:.0f} kHz")
        tx = st.run("transmitter", evaluate_transmitter, design, curves=True)
        echo(f"    V_pi {tx['vpi_V']:.2f} V, IM visibility {tx['im_visibility_dB']:.1f} dB, "
             f"DBR tuning {tx['dbr_tuning_range_nm']:.2f} nm")
        net = st.run("network key rates", evaluate_network_of, design, ring, tx)
        echo(f"    network capability N L / 2 = {net['network_capability_km']:.0f} km")
        mc = st.run("Monte Carlo yield", _yield, design, out, n, echo, progress, spinner=False)
        results = {"kind": "qchipnet-run", "format_version": 1, "design_hash": dhash,
                   "design": design.model_dump(mode="json"), "masks": masks, "ring": ring, "transmitter": tx,
                   "network": net, "yield": mc}
        results["provenance"] = _provenance(design, dhash, st.times)
        _write_json(out / "results.json", results)
        report = st.run("report", build_report, out)
        results["provenance"]["stage_times_s"] = st.times
        _write_json(out / "results.json", results)
        _write_json(out / "provenance.json", results["provenance"])
        _write_json(out / "finished.json", {"finished": True, "design_hash": dhash,
                                            "stage_times_s": st.times})
    echo(f"report: {report}")
    echo("stage times (s): " + ", ".join(f"{k} {v:.1f}" for k, v in st.times.items()))
    return results
