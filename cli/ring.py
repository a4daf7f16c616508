"""``qchipnet ring``: the Si3N4 server ring of a design, from the batch evaluator (``circuits.devices``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

__all__ = ["register", "ring"]


def ring(
    design: Optional[Path] = typer.Option(None, "--design", help="design YAML/TOML (default: the built-in design)"),
    width_um: Optional[float] = typer.Option(None, "--width-um", help="ring guide width (um) [design]"),
    thickness_nm: Optional[float] = typer.Option(None, "--thickness-nm", help="Si3N4 film thickness (nm) [design]"),
    radius_um: Optional[float] = typer.Option(None, "--radius-um", help="ring radius (um) [design]"),
    gap_um: Optional[float] = typer.Option(None, "--gap-um", help="bus-ring gap (um) [design]"),
    bus_width_um: Optional[float] = typer.Option(None, "--bus-width-um", help="bus guide width (um) [design]"),
    loss_db_per_m: Optional[float] = typer.Option(
        None, "--loss-db-per-m", help="ring-mode loss (dB/m) [process: 1.40, the article's Q_i = 20 M]"),
    as_json: bool = typer.Option(False, "--json", help="print the metrics as JSON"),
    plot: Optional[Path] = typer.Option(None, "--plot", help="write transmission + D_int plot to FILE.png"),
) -> None:
    """Evaluate the server microring of a design (default: the reference design, 30.03 GHz, normal dispersion)."""
    from ..circuits.ring import ring_report
    from ..design import processes
    from ._common import check_out_file, design_with

    if plot is not None:
        check_out_file("--plot", plot)
    proc = {"sin": {"ring_loss_dB_per_m": {"nominal": loss_db_per_m}}} if loss_db_per_m is not None else None
    d = design_with(design, "server_ring", dict(width_um=width_um, thickness_nm=thickness_nm, radius_um=radius_um,
                                                gap_um=gap_um, bus_width_um=bus_width_um), proc)
    sin = processes(d)["sin"]
    res = ring_report(d.server_ring.model_dump(), process=sin)
    if plot is not None:
        _plot(res, d.server_ring.model_dump(), sin, plot)
    if as_json:
        typer.echo(json.dumps(res, indent=1))
        return
    disp = "normal" if res["D2_over_2pi_kHz"] < 0 else "anomalous"
    crit = res["critical_gap_um"]
    lines = [
        f"ring R = {res['radius_um']} um, width {res['width_um']} um (bus {res['bus_width_um']} um), film "
        f"{res['thickness_nm']} nm, gap {res['gap_um']} um, ring-mode loss {res['loss_dB_per_m']} dB/m",
        f"FSR {res['fsr_GHz']:.4f} GHz   n_eff {res['n_eff']:.5f}   n_g {res['n_g']:.5f}",
        f"beta2 {res['beta2_ps2_per_km']:.1f} ps^2/km   D2/2pi {res['D2_over_2pi_kHz']:.1f} kHz ({disp} dispersion)",
        f"Q_i {res['q_intrinsic'] / 1e6:.2f} M   Q_c {res['q_coupling'] / 1e6:.2f} M   Q_L {res['q_loaded'] / 1e6:.2f} M"
        f"   ({res['coupling_regime']} coupled; critical gap "
        + (f"{crit:.3f} um)" if crit is not None else "outside the coupler table)"),
        f"extinction {res['extinction_dB']:.1f} dB   linewidth {res['linewidth_MHz']:.2f} MHz   "
        f"pump resonance {res['resonance_wl_nm']:.4f} nm",
        f"note: {res['loss_note']}",
    ]
    typer.echo("\n".join(lines))


def _plot(res: dict, ring: dict, process, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from ..circuits.ring import ring_spectrum
    from ._common import atomic_path

    spec = ring_spectrum(ring, process=process)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    nu0 = 299_792_458.0 / (spec["wl_res_um"] * 1e-6)
    det = (299_792_458.0 / (spec["wl_um"] * 1e-6) - nu0) / 1e6
    a1.plot(det, 10 * np.log10(np.maximum(spec["T"], 1e-12)))
    a1.set_xlabel("detuning from pump resonance (MHz)")
    a1.set_ylabel("through transmission (dB)")
    a1.set_title(f"Q_L {res['q_loaded'] / 1e6:.1f} M, {res['coupling_regime']} (sax circuit of the cell)")
    a2.plot(res["mode_numbers"], res["D_int_over_2pi_MHz"], "o-")
    a2.set_xlabel("mode number mu")
    a2.set_ylabel("D_int / 2pi (MHz)")
    a2.set_title(f"D2/2pi {res['D2_over_2pi_kHz']:.0f} kHz")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)


def register(app: typer.Typer) -> None:
    app.command("ring")(ring)
