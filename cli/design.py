"""``qchipnet design show``: print a design (the built-in default or ``--design FILE``), validated."""

from __future__ import annotations

from pathlib import Path

import typer

from ._common import echo_json

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    design_app = typer.Typer(help="Design files: show and validate.", no_args_is_help=True)

    @design_app.command("show")
    def show_cmd(
        design: Path = typer.Option(None, "--design", help="Design YAML/TOML (default: the built-in design)."),
        json_out: bool = typer.Option(False, "--json", help="Print as JSON instead of YAML."),
    ) -> None:
        """Print the design with every field (defaults filled in) and its content hash."""
        from ..design import design_hash, dump_design, load_design

        d = load_design(design)
        if json_out:
            echo_json({"design_hash": design_hash(d), "design": d.model_dump(mode="json")})
        else:
            typer.echo(f"# design hash: {design_hash(d)}")
            typer.echo(dump_design(d), nl=False)

    app.add_typer(design_app, name="design")
