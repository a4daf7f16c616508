"""``qchipnet transmitter``: evaluate the InP transmitter chip (V_pi, IM visibility, DBR tuning)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

__all__ = ["register"]


def _plot(path: Path, res: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from ..circuits.transmitter import im_metrics
    from ..models.inp import comb_line_wavelengths_nm

    im = im_metrics()
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    a.plot(im["voltage_V"], 10 * np.log10(np.maximum(im["transmission"], 1e-12)))
    a.set(xlabel="reverse bias on one arm (V)", ylabel="IM transmission (dB)",
          title=f"IM: V_pi {res['vpi_V']:.2f} V, visibility {res['im_visibility_dB']:.1f} dB")
    mus = np.arange(-10, 14)
    lines = comb_line_wavelengths_nm(mus)
    b.vlines(lines, 0, 1, color="0.6", lw=0.8, label="comb grid (30.03 GHz)")
    reach = set(res["reachable_comb_lines"])
    b.vlines([l for m, l in zip(mus, lines) if m in reach], 0, 1, color="C2", lw=2, label="reachable lines")
    hi, lo = res["bragg_nm"], res["bragg_nm"] - res["dbr_tuning_range_nm"]
    b.axvspan(lo, hi, color="C1", alpha=0.25, label="DBR Bragg tuning")
    b.set(xlabel="wavelength (nm)", yticks=[], title="DBR tuning vs comb lines")
    b.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def register(app: typer.Typer) -> None:
    @app.command("transmitter")
    def transmitter(
        pm_length_um: float = typer.Option(1500.0, "--pm-length-um", help="EO phase-modulator (IM arm) length, um"),
        mmi_imbalance_db: Optional[float] = typer.Option(None, "--mmi-imbalance-db",
                                                         help="combiner imbalance in dB (default: from the MMI model)"),
        arm_loss_imbalance_db: float = typer.Option(0.0, "--arm-loss-imbalance-db", help="extra loss of one IM arm, dB"),
        max_tuning_current_ma: float = typer.Option(12.0, "--max-tuning-current-ma", help="DBR tuning current limit, mA"),
        grating_period_nm: float = typer.Option(238.45, "--grating-period-nm", help="DBR grating period, nm"),
        chip_width_um: float = typer.Option(4600.0, "--chip-width-um"),
        chip_height_um: float = typer.Option(2000.0, "--chip-height-um"),
        json_out: bool = typer.Option(False, "--json", help="print the metrics as JSON"),
        plot: Optional[Path] = typer.Option(None, "--plot", help="write IM T(V) and the DBR tuning map to this PNG"),
    ) -> None:
        """Evaluate the InP transmitter chip from its cells and models."""
        from ..circuits.transmitter import evaluate_transmitter
        from ._common import echo_json

        res = evaluate_transmitter(pm_length_um=pm_length_um, mmi_imbalance_dB=mmi_imbalance_db,
                                   arm_loss_imbalance_dB=arm_loss_imbalance_db,
                                   max_tuning_current_mA=max_tuning_current_ma, grating_period_nm=grating_period_nm,
                                   chip_width_um=chip_width_um, chip_height_um=chip_height_um)
        if plot is not None:
            _plot(plot, res)
        if json_out:
            echo_json(res)
            return
        for k, v in res.items():
            typer.echo(f"{k:32s} {v}")
