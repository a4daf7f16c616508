"""Input validation shared by every layer: one error type, range checks that name the parameter.

Every public model checks its inputs with :func:`check_range` (scalars or arrays) so that bad input
fails at the top with ``"<name> = <value> is outside the allowed range [lo, hi] <unit>"`` instead of
deep inside jax or klayout, or as a silent NaN.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

__all__ = ["QchipnetError", "InputError", "Frozen", "check_range", "check_finite"]


class QchipnetError(Exception):
    """Base class of qchipnet's own errors (the CLI turns them into one line and exit status 2)."""


class InputError(QchipnetError, ValueError):
    """A parameter or file given by the user is outside what qchipnet accepts."""


class Frozen(BaseModel):
    """Base of every parameter object: immutable, unknown fields rejected, JSON round-trip."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


def _fmt(x: float) -> str:
    """Short form of ``x`` that never rounds it into another number (a refused value must not look allowed)."""
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return str(int(x))
    s = f"{x:.6g}"
    return s if float(s) == float(x) else repr(float(x))


def check_finite(name: str, value: Any) -> None:
    """Raise :class:`InputError` if ``value`` (scalar or array) holds NaN or inf."""
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} = {value!r} is not finite")


def check_range(
    name: str,
    value: Any,
    lo: float = -math.inf,
    hi: float = math.inf,
    unit: str = "",
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> None:
    """Raise :class:`InputError` unless every element of ``value`` lies in [lo, hi].

    Works on Python scalars and numpy arrays. jax tracers are skipped (checks happen at the public,
    concrete entry points; inside ``jit`` the values were already checked by the caller).
    """
    try:
        arr = np.asarray(value, dtype=float)
    except Exception:  # jax tracer or non-numeric
        if type(value).__module__.startswith("jax"):
            return
        raise InputError(f"{name} = {value!r} is not a number") from None
    if arr.size == 0:
        return
    unit_s = f" {unit}" if unit else ""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        # integers compared exactly (as floats, 2**63 would equal 2**63 - 1)
        v = int(value)
        below = (v <= lo) if lo_open else (v < lo)
        above = (v >= hi) if hi_open else (v > hi)
        if below or above:
            lb, rb = ("(" if lo_open else "["), (")" if hi_open else "]")
            raise InputError(f"{name} = {v}{unit_s} is outside the allowed range {lb}{_fmt(lo)}, {_fmt(hi)}{rb}{unit_s}")
        return
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} = {value!r} is not finite; allowed range [{_fmt(lo)}, {_fmt(hi)}]{unit_s}")
    bad_lo = arr <= lo if lo_open else arr < lo
    bad_hi = arr >= hi if hi_open else arr > hi
    bad = bad_lo | bad_hi
    if np.any(bad):
        v = arr[bad].flat[0]
        lb = "(" if lo_open else "["
        rb = ")" if hi_open else "]"
        raise InputError(
            f"{name} = {_fmt(v)}{unit_s} is outside the allowed range {lb}{_fmt(lo)}, {_fmt(hi)}{rb}{unit_s}"
        )
