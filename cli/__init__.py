"""The ``qchipnet`` command: a typer app whose subcommands live one per module in this package.

Each subcommand module exposes ``register(app)``; :data:`COMMAND_MODULES` lists them in the order
``qchipnet --help`` shows. Heavy imports (gdsfactory, sax, meow, jax) happen inside the commands, so
``qchipnet --help`` and ``--version`` stay fast.
"""

from __future__ import annotations

import importlib
import sys

import typer

from ..validate import QchipnetError

__all__ = ["app", "main", "COMMAND_MODULES"]

COMMAND_MODULES: tuple[str, ...] = (
    "pdk",
    "drc",
    "ring",
    "modes",
    "transmitter",
    "keyrate",
    "network",
    "yield_",
    "sensitivity",
    "design",
    "mask",
    "run",
    "optimize",
    "report",
)

app = typer.Typer(
    name="qchipnet",
    help="qchipnet: design flow for chip-based twin-field QKD networks (GDS -> models -> key rate -> yield).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"qchipnet {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """qchipnet: design flow for chip-based twin-field QKD networks."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"{__name__}.{_name}").register(app)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: qchipnet's own errors become one line on stderr and exit status 2."""
    if not any(a in ("--help", "--version") for a in (argv if argv is not None else sys.argv[1:])):
        from ..models.cache import enable_compilation_cache

        enable_compilation_cache()
    try:
        rc = app(args=argv, standalone_mode=False) if argv is not None else app(standalone_mode=False)
        # click returns the code of typer.Exit instead of raising it when standalone_mode is off
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except QchipnetError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
