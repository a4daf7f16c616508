"""``qchipnet mask``: chip GDS, both wafers, their manifests and the KLayout layer properties.

Argument parsing and printing only; the masks are built by :func:`qchipnet.layouts.build.build_masks`.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from ._common import echo_json

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("mask")
    def mask_cmd(
        out: Path = typer.Option(..., "--out", help="Directory for the GDS files, manifests and .lyp."),
        design: Path = typer.Option(None, "--design", help="Design YAML/TOML (default: the built-in design)."),
        only: str = typer.Option(None, "--only", help="Write only the server (Si3N4) or the client (InP) wafer."),
        drc: str = typer.Option("full", "--drc", help="DRC mode: full (flattened wafer), cells (each distinct cell once) or none."),
        json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    ) -> None:
        """Write chip GDS, both wafers (references, no flattening), manifests and layer properties; DRC them."""
        from ..design import load_design
        from ..layouts.build import build_masks

        t0 = time.perf_counter()
        d = load_design(design)
        summary = build_masks(d, out, only=only, drc=drc, log=None if json_out else typer.echo)
        summary["elapsed_s"] = round(time.perf_counter() - t0, 3)
        if json_out:
            echo_json(summary)
        else:
            typer.echo(f"masks written to {out} in {summary['elapsed_s']:.1f} s")
        clean = all(w.get("drc", {}).get("clean", True) for w in summary["wafers"]) and \
            all(c.get("drc", {}).get("clean", True) for c in summary["chips"])
        raise typer.Exit(0 if clean else 1)
