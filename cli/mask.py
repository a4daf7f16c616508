"""``qchipnet mask``: chip GDS, both wafers, their manifests and the KLayout layer properties.

Argument parsing and printing only; the masks are built by :func:`qchipnet.layouts.build.build_masks`.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from ._common import echo_json

__all__ = ["register"]

#: File kinds `qchipnet mask` writes (``--overwrite`` deletes a folder holding nothing else).
_MASK_SUFFIXES = (".gds", ".yaml", ".lyp", ".lyrdb", ".png", ".json")


def _owns_mask(name: str) -> bool:
    return name == "figures" or name.endswith(_MASK_SUFFIXES)


def register(app: typer.Typer) -> None:
    @app.command("mask")
    def mask_cmd(
        out: Path = typer.Option(..., "--out", help="Directory for the GDS files, manifests and .lyp."),
        design: Path = typer.Option(None, "--design", help="Design YAML/TOML (default: the built-in design)."),
        only: str = typer.Option(None, "--only", help="Write only the server (Si3N4) or the client (InP) wafer."),
        drc: str = typer.Option("full", "--drc", help="DRC mode: full (flattened wafer), cells (each distinct cell once) or none."),
        json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace the masks in a non-empty --out."),
    ) -> None:
        """Write chip GDS, both wafers (references, no flattening), manifests and layer properties; DRC and LVS them."""
        from ..design import load_design
        from ..layouts.build import build_masks
        from ..wafer.store import check_output_folder, clear_output_folder, folder_lock

        t0 = time.perf_counter()
        d = load_design(design)
        # decided before anything is built: a non-empty --out only with --overwrite, and only if it holds masks
        check_output_folder(out, "overwrite" if overwrite else "new", _owns_mask, "masks", resumable=False)
        out.mkdir(parents=True, exist_ok=True)
        with folder_lock(out, "mask folder"):
            clear_output_folder(out, _owns_mask)
            summary = build_masks(d, out, only=only, drc=drc, log=None if json_out else typer.echo)
        summary["elapsed_s"] = round(time.perf_counter() - t0, 3)
        if json_out:
            echo_json(summary)
        else:
            typer.echo(f"masks written to {out} in {summary['elapsed_s']:.1f} s")
        clean = all(w.get("drc", {}).get("clean", True) for w in summary["wafers"]) and \
            all(c.get("drc", {}).get("clean", True) for c in summary["chips"]) and \
            all(x.get("lvs", {}).get("status") != "fail" for x in summary["wafers"] + summary["chips"])
        raise typer.Exit(0 if clean else 1)
