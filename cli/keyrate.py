"""``qchipnet keyrate``: SNS-TF-QKD key rate at one distance or along a sweep, with the PLOB bound."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ..validate import InputError

__all__ = ["register", "compute"]


#: Most distances one --sweep may ask for (0:2000:0.2 km).
MAX_SWEEP_POINTS = 10_001


def _parse_sweep(text: str) -> list[float]:
    import math

    shown = text if len(text) <= 60 else text[:57] + "..."
    try:
        a, b, c = (float(x) for x in text.split(":"))
    except ValueError:
        raise InputError(f"--sweep {shown!r} is not START:STOP:STEP (km)") from None
    if not all(math.isfinite(x) for x in (a, b, c)):
        raise InputError(f"--sweep {shown!r}: START, STOP and STEP must be finite numbers (km)")
    if not (0.0 <= a <= b <= 2000.0) or c <= 0:
        raise InputError(f"--sweep {shown!r}: need 0 <= START <= STOP <= 2000 km and STEP > 0")
    n = int(round((b - a) / c)) + 1
    if n > MAX_SWEEP_POINTS:
        raise InputError(f"--sweep {shown!r} asks for {n} distances; at most {MAX_SWEEP_POINTS} (use a larger STEP)")
    return [a + i * c for i in range(n)]


def compute(distances: list[float], *, loss: float, eff: float, pd: float, ed: float, f: float,
            pulses: float | None, aopp: bool, optimize: bool, proto_kw: dict, slice_rad: float,
            source_kw: dict | None = None, phase_slices: int | None = None) -> list[dict]:
    """Key-rate records (the JSON of the command) for a list of distances.

    ``phase_slices``: M discrete random phases (None: continuous phase randomisation).
    """
    import numpy as np

    from ..system.bounds import fibre_transmittance, plob_bound
    from ..system.optimize import optimize_protocol
    from ..system.snstf import (
        ChannelParams,
        SNSProtocol,
        arm_transmittance,
        key_rate_detailed,
        security_parameters,
    )

    ch = ChannelParams(loss_dB_per_km=loss, detector_efficiency=eff, p_dark=pd, e_d=ed)
    base = SNSProtocol(**{**proto_kw, **(source_kw or {}), "ec_efficiency": f, "n_pulses": pulses, "aopp": aopp,
                          "phase_slice_rad": slice_rad, "phase_slices": phase_slices})
    L = np.asarray(distances, float)
    ea, eb = arm_transmittance(L, ch)
    if optimize:
        res, prm = optimize_protocol(ea, eb, pd, ed, base)
    else:
        res = key_rate_detailed(ea, eb, pd, ed, base)
        prm = {k: np.full(L.shape, getattr(base, k)) for k in ("mu_z", "epsilon", "mu_1", "mu_2", "p_z", "p_0", "p_1")}
    plob = plob_bound(fibre_transmittance(np.maximum(L, 1e-6), loss))
    sec = security_parameters(base)
    out = []
    for i, d in enumerate(L):
        kr = float(res.key_rate[i])
        params = {k: float(v[i]) for k, v in prm.items()}
        params.update(phase_slice_rad=slice_rad, ec_efficiency=f, n_pulses=pulses, aopp=aopp,
                      loss_dB_per_km=loss, detector_efficiency=eff, p_dark=pd, e_d=ed,
                      mu_vac=base.mu_vac, intensity_fluctuation=base.intensity_fluctuation,
                      phase_slices=base.phase_slices)
        out.append({
            "distance_km": float(d),
            "key_rate_per_pulse": kr,
            "plob_per_pulse": float(plob[i]),
            "ratio_to_plob": kr / float(plob[i]),
            "qber_z": float(res.qber_z[i]),
            "qber_x": float(res.qber_x[i]),
            "s1_lower": float(res.s1_lower[i]),
            "e1_phase_upper": float(res.e1_phase_upper[i]),
            # raw = all effective Z events / untagged bits; after_aopp = surviving bits / untagged pairs
            # (null without AOPP); qber_z and e1_phase_upper are the quantities the key uses
            "qber_z_raw": float(res.qber_z_raw[i]),
            "qber_z_after_aopp": float(res.qber_z[i]) if aopp else None,
            "e1_phase_upper_raw": float(res.e1_phase_upper_raw[i]),
            "e1_phase_upper_after_aopp": float(res.e1_phase_upper[i]) if aopp else None,
            "gain_z_raw": float(res.gain_z[i]),
            "gain_z_after_aopp": float(res.gain_z_after_aopp[i]) if aopp else None,
            "epsilon_total": sec["epsilon_total"],
            # M discrete random phases of the sources; null = continuous phase randomisation
            "phase_slices": base.phase_slices,
            "security": sec,
            "parameters": params,
        })
    return out


def register(app: typer.Typer) -> None:
    @app.command("keyrate")
    def keyrate(
        design: Optional[Path] = typer.Option(None, "--design", help="Design YAML/TOML whose detection and protocol give the defaults."),
        distance_km: float = typer.Option(370.0, "--distance-km", help="Total Alice-Bob fibre (km), server in the middle."),
        fibre_loss_db_per_km: Optional[float] = typer.Option(None, "--fibre-loss-db-per-km", help="Fibre loss (dB/km) [design: 0.2, G.652]."),
        detector_efficiency: Optional[float] = typer.Option(None, "--detector-efficiency", help="[design: 0.6]"),
        dark_count_prob: Optional[float] = typer.Option(None, "--dark-count-prob", help="Noise clicks per window per detector [design: dark_count_rate_Hz x gate_ns]."),
        misalignment: float = typer.Option(0.03, "--misalignment", help="e_d of the single-photon interference."),
        ec_efficiency: Optional[float] = typer.Option(None, "--ec-efficiency", help="[design: 1.1]"),
        pulses: Optional[float] = typer.Option(None, "--pulses", help="Number of sent pulse pairs N [design: 1e12]."),
        asymptotic: bool = typer.Option(False, "--asymptotic", help="Infinite-key rate."),
        aopp: Optional[bool] = typer.Option(None, "--aopp/--no-aopp", help="Actively odd-parity pairing [design]."),
        mu_z: Optional[float] = typer.Option(None, "--mu-z"),
        epsilon: Optional[float] = typer.Option(None, "--epsilon"),
        mu_1: Optional[float] = typer.Option(None, "--mu-1"),
        mu_2: Optional[float] = typer.Option(None, "--mu-2"),
        p_z: Optional[float] = typer.Option(None, "--p-z"),
        p_0: Optional[float] = typer.Option(None, "--p-0"),
        p_1: Optional[float] = typer.Option(None, "--p-1"),
        optimize: bool = typer.Option(False, "--optimize", help="Optimise intensities/probabilities per distance."),
        epsilon_total: float | None = typer.Option(None, "--epsilon-total", help="Composable security parameter eps_tot (split equally over eps_cor, eps_PA, 2 eps_hat and every bounded estimate) [default: each part = failure_prob 1e-10]."),
        failure_prob: float | None = typer.Option(None, "--failure-prob", help="Failure probability of each bounded estimate [design: 1e-10]."),
        mu_vac: float = typer.Option(0.0, "--mu-vac", help="Intensity of the not-sending / vacuum-decoy state (IM leakage; 0 = ideal vacuum)."),
        im_extinction_db: float | None = typer.Option(None, "--im-extinction-db", help="Set --mu-vac from the IM extinction ratio: mu_vac = mu_z 10^(-ER/10) (with the given or default mu_z)."),
        intensity_fluctuation: float = typer.Option(0.0, "--intensity-fluctuation", help="Relative bound delta of the sent intensities mu (1 +- delta), worst-case bounds."),
        phase_slice_rad: float = typer.Option(0.39269908169872414, "--phase-slice-rad"),
        phase_slices: float | None = typer.Option(None, "--phase-slices", help="M discrete random phases 2 pi k/M of the sources (integer 2-4096; Cao et al. NJP 17, 053014 (2015) class-state bounds) [default: continuous phase randomisation]."),
        sweep: Optional[str] = typer.Option(None, "--sweep", help="START:STOP:STEP in km (JSON list)."),
        plot: Optional[str] = typer.Option(None, "--plot", help="PNG of key rate vs distance with PLOB."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """SNS-TF-QKD secure key rate per pulse pair, with the PLOB bound (defaults from the design)."""
        from ..design import load_design
        from ..validate import check_range

        if phase_slices is not None:  # checked first: one line, before the design is loaded
            from ..system.snstf import check_phase_slices

            phase_slices = check_phase_slices(phase_slices, "--phase-slices")
        d = load_design(design)
        det, pr = d.detection, d.protocol
        fibre_loss_db_per_km = det.fibre_loss_dB_per_km if fibre_loss_db_per_km is None else fibre_loss_db_per_km
        detector_efficiency = det.detector_efficiency if detector_efficiency is None else detector_efficiency
        if dark_count_prob is None:
            dark_count_prob = det.dark_count_rate_Hz * det.gate_ns * 1e-9
        ec_efficiency = pr.ec_efficiency if ec_efficiency is None else ec_efficiency
        pulses = pr.n_pulses if pulses is None else pulses
        aopp = pr.aopp if aopp is None else aopp

        check_range("distance_km", distance_km, 0.0, 2000.0, "km")
        check_range("--fibre-loss-db-per-km", fibre_loss_db_per_km, 0.0, 10.0, "dB/km", lo_open=True)
        if plot:
            from ._common import check_out_file

            check_out_file("--plot", plot)
        kw = {k: v for k, v in dict(mu_z=mu_z, epsilon=epsilon, mu_1=mu_1, mu_2=mu_2, p_z=p_z, p_0=p_0, p_1=p_1).items() if v is not None}
        if kw and optimize:
            raise InputError(f"--optimize cannot be combined with fixed protocol values {sorted(kw)}")
        optimize = optimize or not kw  # without fixed protocol values the protocol is optimised
        dists = _parse_sweep(sweep) if sweep else ([distance_km] if not plot else _parse_sweep("0:600:10"))
        check_range("mu_vac", mu_vac, 0.0, 1.0)
        source_kw = {"mu_vac": mu_vac, "intensity_fluctuation": intensity_fluctuation,
                     "failure_prob": pr.failure_prob if failure_prob is None else failure_prob}
        if im_extinction_db is not None:
            from ..system.snstf import SNSProtocol, vacuum_intensity

            source_kw["mu_vac"] = float(vacuum_intensity(kw.get("mu_z", SNSProtocol().mu_z), im_extinction_db))
        if epsilon_total is not None:
            source_kw["epsilon_total"] = epsilon_total
        recs = compute(dists, loss=fibre_loss_db_per_km, eff=detector_efficiency, pd=dark_count_prob, ed=misalignment,
                       f=ec_efficiency, pulses=None if asymptotic else pulses, aopp=aopp, optimize=optimize,
                       proto_kw=kw, slice_rad=phase_slice_rad, source_kw=source_kw, phase_slices=phase_slices)
        if plot:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(6, 4))
            x = [r["distance_km"] for r in recs]
            ax.semilogy(x, [max(r["key_rate_per_pulse"], 1e-30) for r in recs], label="SNS-TF-QKD")
            ax.semilogy(x, [r["plob_per_pulse"] for r in recs], "r--", label="PLOB")
            ax.set_ylim(1e-12, 1)
            ax.set_xlabel("distance (km)")
            ax.set_ylabel("key rate (bit / pulse)")
            ax.legend()
            fig.tight_layout()
            fig.savefig(plot, dpi=120)
        if as_json:
            typer.echo(json.dumps(recs if (sweep or plot) else recs[0], indent=2))
            return
        for r in recs:
            typer.echo(
                f"L = {r['distance_km']:7.1f} km  R = {r['key_rate_per_pulse']:.3e} bit/pulse  "
                f"PLOB = {r['plob_per_pulse']:.3e}  ratio = {r['ratio_to_plob']:.2f}  "
                f"QBER_X = {100 * r['qber_x']:.2f} %  QBER_Z = {100 * r['qber_z']:.2f} %"
            )
