"""``qchipnet report --run DIR``: regenerate the HTML report from a run's saved results."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_cmd(
        run: Path = typer.Option(..., "--run", help="Run directory written by `qchipnet run` (holds results.json)."),
        design: Path = typer.Option(None, "--design", help="Accepted for symmetry; the report uses the run's saved design."),
    ) -> None:
        """Rewrite RUN/report.html and its figures from RUN/results.json without recomputing."""
        from ..report.html import build_report

        typer.echo(f"report: {build_report(run)}")
