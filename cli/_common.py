"""Helpers shared by the subcommands: JSON output and option validation."""

from __future__ import annotations

import json
from typing import Any

import typer

from ..pdk import PLATFORMS
from ..validate import InputError

__all__ = ["atomic_path", "check_out_file", "check_platform", "design_with", "echo_json", "stage_echo", "to_jsonable"]


def to_jsonable(obj: Any) -> Any:
    """See :func:`qchipnet.pipeline.to_jsonable` (one implementation)."""
    from ..pipeline import to_jsonable as _to_jsonable

    return _to_jsonable(obj)


def echo_json(obj: Any) -> None:
    """Print ``obj`` as indented JSON on stdout."""
    typer.echo(json.dumps(to_jsonable(obj), indent=2, sort_keys=False))


def check_platform(name: str) -> str:
    if name not in PLATFORMS:
        raise InputError(f"unknown platform {name!r}; choose one of {list(PLATFORMS)}")
    return name


def design_with(path, section: str | None = None, overrides: dict | None = None,
                process_overrides: dict | None = None):
    """The design of ``--design`` (default: the built-in one) with command-line overrides of one
    section's fields (None values are left alone), validated like a design file: a value the cells or
    models cannot carry is one line naming the field and its allowed range."""
    from ..design import load_design, parse_design

    base = load_design(path)
    over = {k: v for k, v in (overrides or {}).items() if v is not None}
    if not over and not process_overrides:
        return base
    data = base.model_dump(mode="json")
    if over:
        data[section] = {**data[section], **over}
    for plat, params in (process_overrides or {}).items():
        proc = data["process"].setdefault(plat, {})
        for name, fields in params.items():
            proc[name] = {**proc.get(name, {}), **fields}
    return parse_design(data, source="command-line options")


def check_out_file(option: str, path) -> None:
    """Refuse an output file whose folder does not exist or that is a folder, before any computation."""
    from pathlib import Path

    p = Path(path)
    if p.is_dir():
        raise InputError(f"{option} {str(p)!r} is a folder; give a file name")
    if not p.parent.exists():
        raise InputError(f"{option} {str(p)!r}: folder {str(p.parent)!r} does not exist")


def atomic_path(path):
    """Context manager yielding a temporary file beside ``path`` that replaces it on success."""
    import contextlib
    import os
    import tempfile
    from pathlib import Path

    @contextlib.contextmanager
    def _cm():
        p = Path(path)
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
        os.close(fd)
        try:
            yield tmp
            os.replace(tmp, p)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    return _cm()


def stage_echo():
    """A line printer that cooperates with rich's live displays (spinners, progress bars): plain text,
    no markup, on stdout."""
    import rich

    con = rich.get_console()  # the console of the stage spinner in qchipnet.pipeline.run

    def echo(line: str) -> None:
        con.print(line, markup=False, emoji=False, highlight=False, soft_wrap=True)

    return echo
