"""Helpers shared by the subcommands: JSON output and option validation."""

from __future__ import annotations

import json
import math
from typing import Any

import typer

from ..pdk import PLATFORMS
from ..validate import InputError

__all__ = ["echo_json", "check_platform", "to_jsonable"]


def to_jsonable(obj: Any) -> Any:
    """Convert numpy/jax scalars and arrays, tuples and paths into JSON-ready Python values."""
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "model_dump"):
        return to_jsonable(obj.model_dump())
    if isinstance(obj, (np.generic,)):
        obj = obj.item()
    if hasattr(obj, "__array__") and not isinstance(obj, (str, bytes)):
        arr = np.asarray(obj)
        return to_jsonable(arr.item() if arr.ndim == 0 else arr.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)


def echo_json(obj: Any) -> None:
    """Print ``obj`` as indented JSON on stdout."""
    typer.echo(json.dumps(to_jsonable(obj), indent=2, sort_keys=False))


def check_platform(name: str) -> str:
    if name not in PLATFORMS:
        raise InputError(f"unknown platform {name!r}; choose one of {list(PLATFORMS)}")
    return name
