"""``qchipnet transmitter``: the InP transmitter chip of a design, from the batch evaluator."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

__all__ = ["register"]


def _plot(path: Path, res: dict, tx: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from ..circuits.transmitter import im_metrics
    from ..models.inp import comb_line_wavelengths_nm
    from ._common import atomic_path

    im = im_metrics(pm_length=tx["pm_length_um"], width=tx["ridge_width_um"])
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    a.plot(im["voltage_V"], 10 * np.log10(np.maximum(im["transmission"], 1e-12)))
    a.set(xlabel="reverse bias on one arm (V)", ylabel="IM transmission (dB)",
          title=f"IM (sax circuit): V_pi {res['vpi_V']:.2f} V, visibility {res['im_visibility_dB']:.1f} dB")
    mus = np.arange(-10, 14)
    lines = comb_line_wavelengths_nm(mus)
    b.vlines(lines, 0, 1, color="0.6", lw=0.8, label="comb grid (30.03 GHz)")
    reach = set(res["reachable_comb_lines"])
    b.vlines([l for m, l in zip(mus, lines) if m in reach], 0, 1, color="C2", lw=2, label="reachable lines")
    hi, lo = res["bragg_nm"], res["bragg_nm"] - res["dbr_tuning_range_nm"]
    b.axvspan(lo, hi, color="C1", alpha=0.25, label="DBR current tuning")
    b.set(xlabel="wavelength (nm)", yticks=[], title="DBR tuning vs comb lines")
    b.legend(fontsize=7)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)


def register(app: typer.Typer) -> None:
    @app.command("transmitter")
    def transmitter(
        design: Optional[Path] = typer.Option(None, "--design", help="design YAML/TOML (default: the built-in design)"),
        pm_length_um: Optional[float] = typer.Option(None, "--pm-length-um", help="EO phase-modulator (IM arm) length, um [design]"),
        ridge_width_um: Optional[float] = typer.Option(None, "--ridge-width-um", help="deep-ridge width, um [design]"),
        voa_length_um: Optional[float] = typer.Option(None, "--voa-length-um", help="VOA length, um [design]"),
        chip_width_um: Optional[float] = typer.Option(None, "--chip-width-um", help="die width, um [design]"),
        chip_height_um: Optional[float] = typer.Option(None, "--chip-height-um", help="die height, um [design]"),
        arm_loss_imbalance_db: float = typer.Option(0.0, "--arm-loss-imbalance-db",
                                                    help="one die: extra loss of one IM arm, dB (process offset)"),
        mmi_width_error_um: float = typer.Option(0.0, "--mmi-width-error-um",
                                                 help="one die: MMI body width error, um (process offset)"),
        max_tuning_current_ma: float = typer.Option(12.0, "--max-tuning-current-ma", help="DBR tuning current limit, mA"),
        json_out: bool = typer.Option(False, "--json", help="print the metrics as JSON"),
        plot: Optional[Path] = typer.Option(None, "--plot", help="write IM T(V) and the DBR tuning map to this PNG"),
    ) -> None:
        """Evaluate the InP transmitter chip of a design (evaluator + the chip's sax circuit for path losses)."""
        from ..circuits.transmitter import transmitter_report
        from ..design import processes
        from ..validate import check_range
        from ._common import check_out_file, design_with, echo_json

        if plot is not None:
            check_out_file("--plot", plot)
        check_range("--arm-loss-imbalance-db", arm_loss_imbalance_db, 0.0, 3.0, "dB")
        check_range("--mmi-width-error-um", mmi_width_error_um, -0.5, 0.5, "um")
        check_range("--max-tuning-current-ma", max_tuning_current_ma, 0.0, 50.0, "mA")
        d = design_with(design, "transmitter", dict(pm_length_um=pm_length_um, ridge_width_um=ridge_width_um,
                                                    voa_length_um=voa_length_um, die_width_um=chip_width_um,
                                                    die_height_um=chip_height_um))
        tx = d.transmitter.model_dump()
        offsets = {"arm_loss_imbalance_dB": arm_loss_imbalance_db, "mmi_width_bias_um": mmi_width_error_um}
        res = transmitter_report(tx, process=processes(d)["inp"], offsets=offsets,
                                 max_tuning_current_mA=max_tuning_current_ma)
        if plot is not None:
            _plot(plot, res, tx)
        if json_out:
            echo_json(res)
            return
        for k, v in res.items():
            typer.echo(f"{k:32s} {v}")
