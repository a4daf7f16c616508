"""``qchipnet yield``: Monte Carlo wafer yield with key rate per die / per chip pair."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import echo_json

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("yield")
    def yield_cmd(
        platform: str = typer.Option(..., "--platform", "-p", help="inp (transmitter dies), sin (server dies), pair, or network (whole networks: one server die and "
                                   "2 x pairs client dies drawn from one client wafer; --dies counts networks)."),
        design: Path = typer.Option(None, "--design", help="Design YAML/TOML whose dies are sampled (default: the built-in design)."),
        dies: int = typer.Option(1000, "--dies", help="Number of dies (chip pairs for --platform pair), 1-10000000; "
                                 "networks for --platform network, 1-1000000."),
        seed: int = typer.Option(1, "--seed", help="Seed, 0 to 2**63-1; same seed, same result, byte for byte."),
        out: Path = typer.Option(..., "--out", help="Run folder (manifest, checked Parquet chunks, summary); must be new "
                                 "or empty unless --resume or --overwrite."),
        spec: Path = typer.Option(None, "--spec", help="YAML spec file (default: the shipped specs)."),
        process: Path = typer.Option(None, "--process", help="YAML process-data overrides, per platform."),
        workers: int = typer.Option(0, "--workers", help="Start a local Dask cluster with K single-threaded worker "
                                    "processes (at most one per CPU core); prints its dashboard link."),
        scheduler: str = typer.Option(None, "--scheduler", help="Use an existing Dask scheduler tcp://HOST:PORT. It must "
                                      "be TRUSTED: Dask exchanges pickles, so the scheduler and its workers can run "
                                      "any code here. Fails in one line if it cannot connect within 5 s."),
        resume: bool = typer.Option(False, "--resume", help="Continue an interrupted study in --out (same study, "
                                    "verified chunks)."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace the yield study in --out."),
        wafers_per_chunk: int = typer.Option(1, "--wafers-per-chunk", help="Wafers per stored chunk, 1-1000."),
        json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON (no progress bar)."),
        plots: bool = typer.Option(False, "--plots", help="Write wafer maps and histograms (PNG) to OUT/plots."),
        match: bool = typer.Option(False, "--match", help="network only: assign each network's dies to lines and "
                                   "partners to maximise the pairs that lock (instead of the draw order)."),
        distance_km: float = typer.Option(370.0, "--distance-km", help="network only: every pair's distance, 1-2000 km."),
    ) -> None:
        """Monte Carlo yield: process variation -> device metrics -> key rate -> pass/fail, with wafer maps."""
        from ..design import load_design
        from ..pdk.process import load_process_file
        from ..validate import InputError, check_range
        from ..wafer.engine import check_workers, make_config, run_study
        from ..wafer.store import check_output_folder

        if resume and overwrite:
            raise InputError("--resume and --overwrite are exclusive: choose one")
        check_range("--dies", dies, 1, 10_000_000)
        check_range("--seed", seed, 0, 2**63 - 1)
        check_range("--wafers-per-chunk", wafers_per_chunk, 1, 1000)
        check_workers(workers, scheduler)
        # the output decision first (a file, or a non-empty folder without --resume/--overwrite): before loading anything
        check_output_folder(out, "resume" if (resume or overwrite) else "new", lambda name: True, "yield study")
        if process:
            load_process_file(process)  # one line for a broken file before anything else is read
        if platform == "network":
            _network(design, dies, seed, out, process, overwrite, resume, workers, scheduler, spec, json_out, plots,
                     match, distance_km)
            return
        if match:
            raise InputError("--match applies to --platform network only")
        cfg = make_config(platform, dies, seed, str(spec) if spec else None, str(process) if process else None,
                          wafers_per_chunk, design=load_design(design))
        summary = run_study(cfg, out, resume=resume, overwrite=overwrite, workers=workers, scheduler=scheduler,
                            progress=not json_out, echo=typer.echo)
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


def _network(design, networks, seed, out, process, overwrite, resume, workers, scheduler, spec, json_out, plots, match,
             distance_km) -> None:
    """``qchipnet yield --platform network``: the network-level Monte Carlo (``wafer.network``), a resumable
    job in its run folder like the other platforms (``--resume``, ``--overwrite``, ``--workers``, ``--scheduler``)."""
    from ..design import load_design
    from ..validate import InputError, check_range
    from ..wafer.network import make_network_study, run_network_study

    check_range("--distance-km", distance_km, 1.0, 2000.0, "km")
    check_range("--dies (networks)", networks, 1, 1_000_000)
    if spec:
        raise InputError("--spec does not apply to --platform network (its pass criterion is every pair above PLOB "
                         "at --distance-km)")
    study = make_network_study(networks, seed, design=load_design(design), distance_km=distance_km, match=match,
                               process_path=str(process) if process else None)
    summary = run_network_study(study, out, progress=not json_out, resume=resume, overwrite=overwrite, workers=workers,
                                scheduler=scheduler, echo=typer.echo)
    if plots:
        from ..report.wafer_plots import write_network_plots

        summary["plots"] = [str(p) for p in write_network_plots(Path(out))]
    if json_out:
        echo_json(summary)
        return
    from rich.console import Console

    con = Console()
    lo, hi = summary["yield_ci95"]
    pa, cap, r = summary["pairs_above_plob"], summary["network_capability_km"], summary["ratio_to_plob"]
    con.print(f"[bold]network[/]: {summary['networks']} networks of {summary['pairs_per_network']} pairs at "
              f"{summary['distance_km']:g} km{' (matched)' if summary['match'] else ''}, {summary['elapsed_s']:.1f} s")
    con.print(f"every pair above PLOB in {summary['yield']:.1%} of networks (95 % CI {lo:.1%}-{hi:.1%}); "
              f"pairs above PLOB mean {pa['mean']:.2f} (p5 {pa['p5']:.0f}, p50 {pa['p50']:.0f})")
    con.print(f"N L / 2: mean {cap['mean']:.0f} km (p5 {cap['p5']:.0f}, p50 {cap['p50']:.0f}); "
              f"PLOB ratio of working pairs p5 {r['p5']:.2f}, p50 {r['p50']:.2f}, p95 {r['p95']:.2f}")
    con.print(f"modulator yield {summary['modulator_yield']:.2%}; all {2 * summary['pairs_per_network']} clients "
              f"executable in {summary['all_clients_executable_fraction']:.1%} of networks")
    for k, v in summary["pair_failure_causes"].items():
        con.print(f"  failed pairs: {v:6d}  {k}")
    con.print(f"results: {out}")
