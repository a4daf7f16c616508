"""``qchipnet modes build|show``: compute or inspect the offline mode tables of a platform."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Optional

import typer

from ..validate import InputError

__all__ = ["register", "modes_app"]

modes_app = typer.Typer(help="Offline mode tables (meow): build them or show their provenance.", no_args_is_help=True)

_TABLES = {"sin": ("sin_straight", "sin_thermo", "sin_coupler")}


def _platform_module(platform: str):
    if platform not in ("sin", "inp", "comb"):
        raise InputError(f"--platform {platform!r}; choose 'sin', 'inp' or 'comb' (the dark-pulse LLE table)")
    if platform == "comb":
        return importlib.import_module("qchipnet.models.comb_table")
    return importlib.import_module(f"qchipnet.models.{platform}_modes")


@modes_app.command("build")
def build(
    platform: str = typer.Option(..., "--platform", help="sin, inp or comb"),
    out: Optional[Path] = typer.Option(None, "--out", help="output directory [models/tables]"),
) -> None:
    """Solve every grid point with meow and write <name>.npz + <name>.json (minutes on 2 cores)."""
    from ..models.modes import TABLES_DIR

    mod = _platform_module(platform)
    if platform == "comb":  # the LLE table of the server comb (~30 CPU-min; run it under nice)
        mod.build_table(out or TABLES_DIR, progress=lambda s: typer.echo(s))
        return
    paths = mod.build_tables(out or TABLES_DIR, progress=lambda s: typer.echo(s))
    if platform == "inp":  # the MMI transfers of the transmitter cells (mode propagation, seconds)
        from ..models.inp import build_mmi_table

        build_mmi_table(out or TABLES_DIR)
        paths = [*paths, (out or TABLES_DIR) / "inp_mmi.npz"]
    for p in paths:
        typer.echo(f"wrote {p}")


@modes_app.command("show")
def show(
    platform: str = typer.Option(..., "--platform", help="sin, inp or comb"),
    tables_dir: Optional[Path] = typer.Option(None, "--dir", help="tables directory [models/tables]"),
) -> None:
    """Print the provenance (versions, hash, grid, mesh, convergence) of the committed tables."""
    from ..models.modes import TABLES_DIR

    _platform_module(platform)
    d = tables_dir or TABLES_DIR
    files = sorted(d.glob("dark_pulse.json" if platform == "comb" else f"{platform}_*.json"))
    if not files:
        raise InputError(f"no {platform} tables in {d}; run `qchipnet modes build --platform {platform}`")
    for f in files:
        meta = json.loads(f.read_text())
        meta.pop("inputs", None)
        typer.echo(f"== {f.name}")
        typer.echo(json.dumps(meta, indent=1))


def register(app: typer.Typer) -> None:
    app.add_typer(modes_app, name="modes")
