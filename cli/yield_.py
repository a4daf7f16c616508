"""``qchipnet yield``: Monte Carlo wafer yield with key rate per die / per chip pair."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import echo_json

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("yield")
    def yield_cmd(
        platform: str = typer.Option(..., "--platform", "-p", help="inp (transmitter dies), sin (server dies) or pair."),
        design: Path = typer.Option(None, "--design", help="Design YAML/TOML whose dies are sampled (default: the built-in design)."),
        dies: int = typer.Option(1000, "--dies", help="Number of dies (or chip pairs for --platform pair)."),
        seed: int = typer.Option(1, "--seed", help="Seed; same seed, same result, byte for byte."),
        out: Path = typer.Option(..., "--out", help="Run directory (manifest, chunked Parquet, summary)."),
        spec: Path = typer.Option(None, "--spec", help="YAML spec file (default: the shipped specs)."),
        process: Path = typer.Option(None, "--process", help="YAML process-data overrides, per platform."),
        workers: int = typer.Option(0, "--workers", help="Start a local Dask cluster with K workers."),
        scheduler: str = typer.Option(None, "--scheduler", help="Use an existing Dask scheduler tcp://HOST:PORT."),
        resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run in --out."),
        wafers_per_chunk: int = typer.Option(1, "--wafers-per-chunk", help="Wafers per stored chunk."),
        json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON (no progress bar)."),
        plots: bool = typer.Option(False, "--plots", help="Write wafer maps and histograms (PNG) to OUT/plots."),
    ) -> None:
        """Monte Carlo yield: process variation -> device metrics -> key rate -> pass/fail, with wafer maps."""
        from ..design import load_design
        from ..validate import InputError
        from ..wafer.engine import make_config, run_study

        if workers and scheduler:
            raise InputError("--workers and --scheduler are exclusive: choose one")
        if workers < 0:
            raise InputError(f"--workers = {workers} must be >= 0")
        cfg = make_config(platform, dies, seed, str(spec) if spec else None, str(process) if process else None,
                          wafers_per_chunk, design=load_design(design))
        summary = run_study(cfg, out, resume=resume, workers=workers, scheduler=scheduler, progress=not json_out)
        if spec:
            summary["spec_path"] = str(spec)
        if plots:
            from ..report.wafer_plots import write_study_plots

            summary["plots"] = [str(p) for p in write_study_plots(summary, Path(out))]
        if json_out:
            echo_json(summary)
            return
        from rich.console import Console
        from rich.table import Table

        con = Console()
        lo, hi = summary["yield_ci95"]
        con.print(f"[bold]{platform}[/]: {summary['dies']} dies, yield {summary['yield']:.1%} "
                  f"(95 % CI {lo:.1%}-{hi:.1%}), {summary['elapsed_s']:.1f} s")
        if summary.get("modulator_yield") is not None:
            con.print(f"modulator yield {summary['modulator_yield']:.2%}")
        t = Table("limit", "failing dies", title="failures by spec")
        for k, v in summary["failures_by_spec"].items():
            t.add_row(k, str(v))
        con.print(t)
        t = Table("metric", "mean", "std", "p5", "p50", "p95", title="metrics")
        for k, m in summary["metrics"].items():
            t.add_row(k, *(f"{m[x]:.4g}" for x in ("mean", "std", "p5", "p50", "p95")))
        con.print(t)
        con.print(f"results: {out}")
