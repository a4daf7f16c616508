"""``qchipnet run``: the main job (``qchipnet.pipeline.run``): design -> masks + DRC -> ring and
transmitter metrics -> network key rates -> Monte Carlo yield of both wafers -> ``results.json``,
provenance and ``report.html``."""

from __future__ import annotations

import time
from pathlib import Path

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run_cmd(
        out: Path = typer.Option(..., "--out", help="Run directory: masks/, yield_*/, results.json, report.html."),
        design: Path = typer.Option(None, "--design", help="Design YAML/TOML (default: the built-in design)."),
        dies: int = typer.Option(None, "--dies", help="Dies per wafer type in the Monte Carlo (default: the design's)."),
        drc: str = typer.Option("full", "--drc", help="DRC mode: full (flattened wafer) or cells (each distinct cell once)."),
    ) -> None:
        """The main job: masks + DRC, ring and transmitter, network key rates, yield, HTML report."""
        from ..design import load_design
        from ..pipeline import run
        from ..validate import InputError

        if drc not in ("full", "cells"):
            raise InputError(f"--drc {drc!r}: choose full or cells")
        t0 = time.perf_counter()
        run(load_design(design), out, dies=dies, drc=drc, echo=typer.echo)
        typer.echo(f"done in {time.perf_counter() - t0:.1f} s")
