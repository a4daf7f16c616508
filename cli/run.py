"""``qchipnet run``: the main job (``qchipnet.pipeline.run``): design -> masks + DRC -> ring and
transmitter metrics -> network key rates -> Monte Carlo yield of both wafers -> ``results.json``,
provenance and ``report.html``.

An existing non-empty ``--out`` is refused at once unless ``--resume`` (continue from the last
finished stage) or ``--overwrite`` (replace a run folder) is given; progress per stage (rich) unless
``--json``, which prints only a JSON summary."""

from __future__ import annotations

import time
from pathlib import Path

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run_cmd(
        out: Path = typer.Option(..., "--out", help="Run folder: masks/, yield_*/, results.json, report.html. "
                                 "Must be new or empty unless --resume or --overwrite."),
        design: Path = typer.Option(None, "--design", help="Design YAML/TOML (default: the built-in design)."),
        dies: int = typer.Option(None, "--dies", help="Dies per wafer type in the Monte Carlo, 1-10000000 "
                                 "(default: the design's)."),
        drc: str = typer.Option("full", "--drc", help="DRC mode: full (flattened wafer) or cells (each distinct cell once)."),
        resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run in --out from its last "
                                    "finished stage (same design, dies and DRC mode)."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace the run in --out."),
        json_out: bool = typer.Option(False, "--json", help="Print only a JSON summary (no progress)."),
    ) -> None:
        """The main job: masks + DRC, ring and transmitter, network key rates, yield, HTML report."""
        from ..design import load_design
        from ..pipeline import run
        from ..validate import InputError, check_range
        from ._common import echo_json, stage_echo

        if drc not in ("full", "cells"):
            raise InputError(f"--drc {drc!r}: choose full or cells")
        if dies is not None:
            check_range("--dies", dies, 1, 10_000_000)
        t0 = time.perf_counter()
        echo = (lambda s: None) if json_out else stage_echo()
        res = run(load_design(design), out, dies=dies, drc=drc, echo=echo, resume=resume, overwrite=overwrite,
                  progress=not json_out)
        elapsed = time.perf_counter() - t0
        if json_out:
            studies = (res.get("yield") or {}).get("studies") or {}
            echo_json({"run_dir": str(out), "design_hash": res["design_hash"], "report": str(Path(out) / "report.html"),
                       "results": str(Path(out) / "results.json"),
                       "network_capability_km": (res.get("network") or {}).get("network_capability_km"),
                       "yield": {p: {"yield": s.get("yield"), "yield_ci95": s.get("yield_ci95")} for p, s in studies.items()},
                       "stage_times_s": res["provenance"]["stage_times_s"], "elapsed_s": round(elapsed, 3)})
        else:
            echo(f"done in {elapsed:.1f} s")
