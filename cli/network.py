"""``qchipnet network``: per-pair key rates of the reference WDM TF-QKD network and N L / 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("network")
    def network(
        design: Optional[Path] = typer.Option(None, "--design", help="Design YAML/TOML (default: the built-in design)."),
        article_devices: bool = typer.Option(False, "--article-devices",
                                             help="Use the article's device numbers instead of the design's evaluated chips."),
        distance_km: Optional[float] = typer.Option(None, "--distance-km", help="Set every pair's distance (km)."),
        as_json: bool = typer.Option(False, "--json"),
        plot: Optional[str] = typer.Option(None, "--plot", help="PNG of key rate and PLOB per pair."),
    ) -> None:
        """Evaluate the design's network: its pairs, link and protocol, with its evaluated ring and transmitter."""
        from ..circuits.ring import ring_report
        from ..circuits.transmitter import transmitter_report
        from ..design import load_design, network_params, processes
        from ..system import ServerMetrics, TransmitterMetrics
        from ..system.network import evaluate_network

        from ..validate import check_range
        from ._common import atomic_path, check_out_file

        if plot:
            check_out_file("--plot", plot)
        if distance_km is not None:
            check_range("distance_km", distance_km, 0.0, 2000.0, "km")
        d = load_design(design)
        if article_devices:
            server, tx = ServerMetrics(), TransmitterMetrics()
        else:
            procs = processes(d)
            server = ServerMetrics.from_json(ring_report(d.server_ring.model_dump(), process=procs["sin"]))
            tx = TransmitterMetrics.from_json(transmitter_report(d.transmitter.model_dump(), process=procs["inp"],
                                                                 chip_paths=False))
        res = evaluate_network(server, tx, network_params(d), distance_km=distance_km)
        if plot:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(6, 4))
            x = [p["pair"] for p in res["pairs"]]
            ax.semilogy(x, [max(p["key_rate_per_pulse"], 1e-30) for p in res["pairs"]], "o", label="key rate")
            ax.semilogy(x, [p["plob_per_pulse"] for p in res["pairs"]], "r--", label="PLOB")
            ax.set_xlabel("pair")
            ax.set_ylabel("bit / pulse")
            ax.legend()
            fig.tight_layout()
            with atomic_path(plot) as tmp:
                fig.savefig(tmp, dpi=120, format="png")
            plt.close(fig)
        if as_json:
            typer.echo(json.dumps(res, indent=2, default=float))
            return
        typer.echo(f"comb: total {res['comb']['total_power_mW']:.2f} mW, linewidth {res['comb']['linewidth_Hz']:.1f} Hz, "
                   f"pump {res['comb']['pump_power_mW']:.1f} mW")
        typer.echo("pair line  L(km) locked  lw(Hz)  e_d(%)  p_noise   QBER_X(%)  key(bit/pulse)  /PLOB")
        for p in res["pairs"]:
            typer.echo(f"{p['pair']:4d} {p['comb_line']:+4d} {p['distance_km']:6.0f} {str(p['locked']):6s} "
                       f"{p['linewidth_Hz']:7.1f} {100 * p['e_d']:6.2f}  {p['p_noise']:.2e} {100 * p['qber_x']:8.2f}  "
                       f"{p['key_rate_per_pulse']:.3e}    {p['ratio_to_plob']:.2f}")
            eb = ", ".join(f"{k} {100 * v:.3f}%" for k, v in p["e_d_budget"].items())
            nb = ", ".join(f"{k} {v:.1e}" for k, v in p["noise_budget"].items())
            typer.echo(f"       e_d: {eb}")
            typer.echo(f"       noise/window/detector: {nb}")
        typer.echo(f"network capability N L / 2 = {res['network_capability_km']:.0f} km ({res['n_users']} users)")
        sens = {k: v for k, v in res["sensitivity"].items() if k != "what"}
        typer.echo("sensitivity of the PLOB ratio, d ln(R/PLOB) / d ln(x), pairs' median: " + ", ".join(
            f"{k} {sorted(v)[len(v) // 2]:+.2f}" for k, v in sens.items()))
        typer.echo("assumptions driving the result:")
        for a in res["assumptions"]:
            typer.echo(f"  - {a}")
