"""Reading a design file (YAML or TOML) into a :class:`~qchipnet.design.model.Design`.

Every problem is one line naming the key path, the value and what is allowed:

* unknown key -> ``server_ring.radius_mm: unknown key; wrong unit? this field is radius_um (um)``
  or the list of allowed keys;
* a value with a unit in it (``radius_um: "1 mm"``) -> the field's unit is named;
* a value out of range -> ``server_ring.radius_um = 50000 is outside the allowed range [200, 3000] um``.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..validate import InputError
from .model import Design

__all__ = ["load_design", "parse_design", "default_design_path", "default_design", "design_hash", "dump_design"]

_UNIT_SUFFIXES = ("um", "nm", "mm", "m", "km", "GHz", "Hz", "kHz", "MHz", "dB", "dB_per_m", "dB_per_km", "ns", "V")


def default_design_path() -> Path:
    return Path(__file__).with_name("default.yaml")


def _unit_of(field: str) -> str:
    for suf in sorted(_UNIT_SUFFIXES, key=len, reverse=True):
        if field.endswith("_" + suf):
            return suf
    return ""


def _stem(field: str) -> str:
    u = _unit_of(field)
    return field[: -len(u) - 1] if u else field


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model class that owns the last element of ``loc`` (None if not a model field)."""
    import typing

    cls: Any = Design
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or part not in cls.model_fields:
            return None
        ann = cls.model_fields[part].annotation
        args = typing.get_args(ann)
        cls = next((a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)), ann)
    return cls if isinstance(cls, type) and issubclass(cls, BaseModel) else None


def _range_of(loc: tuple) -> str:
    if not loc:
        return ""
    cls = _model_at(loc)
    if cls is None or not isinstance(loc[-1], str) or loc[-1] not in cls.model_fields:
        return ""
    lo = hi = None
    lo_open = hi_open = False
    for m in cls.model_fields[loc[-1]].metadata:
        for attr, is_lo, openness in (("ge", True, False), ("gt", True, True), ("le", False, False), ("lt", False, True)):
            v = getattr(m, attr, None)
            if v is not None:
                if is_lo:
                    lo, lo_open = v, openness
                else:
                    hi, hi_open = v, openness
    if lo is None and hi is None:
        return ""
    unit = _unit_of(loc[-1])
    return (f"{'(' if lo_open else '['}{'-inf' if lo is None else f'{lo:g}'}, "
            f"{'inf' if hi is None else f'{hi:g}'}{')' if hi_open else ']'}" + (f" {unit}" if unit else ""))


def _path(loc: tuple) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _unknown_key_msg(loc: tuple, value: Any) -> str:
    from .model import REMOVED_FIELDS

    key = loc[-1]
    cls = _model_at(loc)
    path = _path(loc)
    named = tuple(p for p in loc if isinstance(p, str))
    if named[-2:] in REMOVED_FIELDS:
        return f"{path}: this field was removed; {REMOVED_FIELDS[named[-2:]]}"
    if cls is None:
        return f"{path}: unknown key"
    fields = sorted(cls.model_fields)
    if isinstance(key, str):
        same = [f for f in fields if _stem(f) == _stem(key) and f != key]
        if same:
            f = same[0]
            return (f"{path} = {value!r}: wrong unit {_unit_of(key) or '(none)'!r}; this field is "
                    f"{f} in {_unit_of(f) or 'no unit'}")
    return f"{path}: unknown key; allowed keys: {', '.join(fields)}"


def _format(err: dict) -> str:
    loc = tuple(err["loc"])
    value = err.get("input")
    typ = err["type"]
    path = _path(loc) or "design"
    if typ == "extra_forbidden" and loc:
        return _unknown_key_msg(loc, value)
    if typ in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        rng = _range_of(loc)
        return f"{path} = {value!r} is outside the allowed range {rng}".rstrip()
    if typ in ("float_parsing", "int_parsing", "float_type", "int_type") and isinstance(value, str):
        unit = _unit_of(str(loc[-1]))
        m = re.match(r"^\s*[-+0-9.eE]+\s*([A-Za-z/_]+)\s*$", value)
        if m and unit:
            return (f"{path} = {value!r}: give a plain number in {unit} (the unit is in the key name), "
                    f"not {m.group(1)!r}; allowed range {_range_of(loc) or 'any'}")
        return f"{path} = {value!r}: expected a number{f' in {unit}' if unit else ''}"
    msg = err["msg"].removeprefix("Value error, ")
    if not loc:
        return msg
    rng = _range_of(loc)
    return f"{path} = {value!r}: {msg}" + (f" (allowed range {rng})" if rng else "")


def parse_design(data: dict | None, source: str = "design") -> Design:
    """Validate a mapping as a :class:`Design`; errors are one-line :class:`InputError` naming the key."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"{source}: the top level must be a mapping of sections, got {type(data).__name__}")
    try:
        return Design.model_validate(data)
    except ValidationError as exc:
        errs = exc.errors()
        extra = f" (+{len(errs) - 1} more)" if len(errs) > 1 else ""
        raise InputError(f"{source}: {_format(errs[0])}{extra}") from None


def load_design(path: str | Path | None = None) -> Design:
    """Load and validate a design file (``.yaml``/``.yml`` or ``.toml``); ``None`` = the default design."""
    p = Path(path) if path is not None else default_design_path()
    if not p.exists():
        raise InputError(f"design file {str(p)!r} does not exist")
    if p.is_dir():
        raise InputError(f"design file {str(p)!r} is a directory")
    text = p.read_text()
    try:
        if p.suffix.lower() == ".toml":
            import tomllib

            data = tomllib.loads(text)
        elif p.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            raise InputError(f"design file {str(p)!r}: unsupported extension {p.suffix!r} (use .yaml, .yml or .toml)")
    except InputError:
        raise
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"design file {str(p)!r} is not valid {p.suffix[1:].upper()}: {first}") from None
    return parse_design(data, source=p.name)


def default_design() -> Design:
    return load_design(None)


def design_hash(design: Design) -> str:
    """Content hash (sha256, 16 hex) of the validated design: same parameters, same hash."""
    blob = json.dumps(design.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def dump_design(design: Design) -> str:
    """The design as YAML (all fields, defaults included)."""
    import yaml

    return yaml.safe_dump(design.model_dump(mode="json"), sort_keys=False)
