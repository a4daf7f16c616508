"""``qchipnet ring``: evaluate the Si3N4 server ring from its cell (mode tables + sax circuit)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

__all__ = ["register", "ring"]


def ring(
    width_um: Optional[float] = typer.Option(None, "--width-um", help="ring guide width (um) [2.8]"),
    thickness_nm: Optional[float] = typer.Option(None, "--thickness-nm", help="Si3N4 film thickness (nm) [100]"),
    radius_um: Optional[float] = typer.Option(None, "--radius-um", help="ring radius (um) [designed for 30.03 GHz]"),
    gap_um: Optional[float] = typer.Option(None, "--gap-um", help="bus-ring gap (um) [near critical coupling]"),
    loss_db_per_m: Optional[float] = typer.Option(
        None, "--loss-db-per-m", help="ring propagation loss (dB/m) [1.7, the paper's straight-guide figure]"),
    as_json: bool = typer.Option(False, "--json", help="print the metrics as JSON"),
    plot: Optional[Path] = typer.Option(None, "--plot", help="write transmission + D_int plot to FILE.png"),
) -> None:
    """Evaluate the server microring (default: the reference design, FSR 30.03 GHz, normal dispersion)."""
    from ..circuits import ring as cr

    kw = dict(
        width_um=cr.DEFAULT_WIDTH_UM if width_um is None else width_um,
        thickness_nm=cr.DEFAULT_THICKNESS_NM if thickness_nm is None else thickness_nm,
        radius_um=cr.DEFAULT_RADIUS_UM if radius_um is None else radius_um,
        gap_um=cr.DEFAULT_GAP_UM if gap_um is None else gap_um,
        loss_dB_per_m=cr.DEFAULT_LOSS_DB_PER_M if loss_db_per_m is None else loss_db_per_m,
    )
    res = cr.evaluate_ring(**kw)
    if plot is not None:
        _plot(res, kw, plot)
    if as_json:
        typer.echo(json.dumps(res, indent=1))
        return
    disp = "normal" if res["D2_over_2pi_kHz"] < 0 else "anomalous"
    lines = [
        f"ring R = {res['radius_um']} um, width {res['width_um']} um, film {res['thickness_nm']} nm, "
        f"gap {res['gap_um']} um, loss {res['loss_dB_per_m']} dB/m",
        f"FSR {res['fsr_GHz']:.4f} GHz   n_eff {res['n_eff']:.5f}   n_g {res['n_g']:.5f}",
        f"beta2 {res['beta2_ps2_per_km']:.1f} ps^2/km   D2/2pi {res['D2_over_2pi_kHz']:.1f} kHz ({disp} dispersion)",
        f"Q_i {res['q_intrinsic'] / 1e6:.2f} M   Q_c {res['q_coupling'] / 1e6:.2f} M   Q_L {res['q_loaded'] / 1e6:.2f} M"
        f"   ({res['coupling_regime']} coupled; critical gap {res['critical_gap_um']:.3f} um)",
        f"extinction {res['extinction_dB']:.1f} dB   linewidth {res['linewidth_MHz']:.2f} MHz   "
        f"pump resonance {res['resonance_wl_nm']:.4f} nm",
        f"note: {res['loss_note']}",
    ]
    typer.echo("\n".join(lines))


def _plot(res: dict, kw: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from ..circuits.ring import ring_spectrum

    spec = ring_spectrum(**kw)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    nu0 = 299_792_458.0 / (spec["wl_res_um"] * 1e-6)
    det = (299_792_458.0 / (spec["wl_um"] * 1e-6) - nu0) / 1e6
    a1.plot(det, 10 * np.log10(np.maximum(spec["T"], 1e-12)))
    a1.set_xlabel("detuning from pump resonance (MHz)")
    a1.set_ylabel("through transmission (dB)")
    a1.set_title(f"Q_L {res['q_loaded'] / 1e6:.1f} M, {res['coupling_regime']}")
    a2.plot(res["mode_numbers"], res["D_int_over_2pi_MHz"], "o-")
    a2.set_xlabel("mode number mu")
    a2.set_ylabel("D_int / 2pi (MHz)")
    a2.set_title(f"D2/2pi {res['D2_over_2pi_kHz']:.0f} kHz")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def register(app: typer.Typer) -> None:
    app.command("ring")(ring)
