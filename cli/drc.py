"""``qchipnet drc``: design-rule check of a GDS file by a platform's rules, and its LVS-style net check."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import check_platform, echo_json

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("drc")
    def drc_cmd(
        gds: Path = typer.Argument(..., help="GDS (or OASIS) file to check."),
        platform: str = typer.Option(..., "--platform", "-p", help="Platform whose rules apply: sin or inp."),
        report: Path = typer.Option(None, "--report", help="Write a KLayout marker database (.lyrdb) here."),
        json_out: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
    ) -> None:
        """Check GDS against the platform rules, and its extracted nets against the pin labels (LVS).
        Exit status 0 clean, 1 violations (DRC, or LVS opens/shorts), 2 unusable input."""
        from ..pdk.drc import check_gds
        from ..pdk.lvs import check_lvs_gds

        res = check_gds(gds, check_platform(platform), report=report)
        lvs = check_lvs_gds(gds, platform)
        if json_out:
            echo_json({**res.to_json(), "lvs": lvs.to_json()})
        else:
            status = "clean" if res.clean else "VIOLATIONS"
            typer.echo(f"{gds}: {status} ({len(res.checked_rules)} rules, {res.elapsed_s:.2f} s)")
            for k, v in res.violations.items():
                if v:
                    typer.echo(f"  {k}: {v}")
            if report:
                typer.echo(f"markers: {report}")
            typer.echo(f"LVS: {lvs.status} ({lvs.nets} nets, {len(lvs.opens)} open(s), {len(lvs.shorts)} short(s))")
            for line in lvs.lines():
                typer.echo(f"  {line}")
        raise typer.Exit(0 if res.clean and lvs.status != "fail" else 1)
