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

from ..pdk.process import _read_text, _size, read_yaml_file
from ..validate import InputError
from .model import Design

__all__ = ["default_design", "default_design_path", "design_hash", "dump_design", "load_design", "parse_design",
           "read_yaml_file"]

#: Largest design file read (bytes); the reference design is about 3 kB.
MAX_DESIGN_BYTES = 1_000_000

_UNIT_SUFFIXES = ("um", "nm", "mm", "m", "km", "GHz", "Hz", "kHz", "MHz", "dB", "dB_per_m", "dB_per_km", "ns", "V")


def _short(value: Any, n: int = 60) -> str:
    """``repr(value)`` cut to ``n`` characters: a message never prints an unbounded value."""
    try:
        r = repr(value) if not isinstance(value, (list, dict, tuple)) or _size(value, 200) < 200 else \
            f"<{type(value).__name__} of {len(value)} items>"
    except RecursionError:
        r = f"<{type(value).__name__}>"
    return r if len(r) <= n else r[: n - 3] + "..."


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
        p = p if isinstance(p, int) or len(str(p)) <= 40 else str(p)[:37] + "..."
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
            return (f"{path} = {_short(value)}: wrong unit {_unit_of(key) or '(none)'!r}; this field is "
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
        return f"{path} = {_short(value)} is outside the allowed range {rng}".rstrip()
    if typ in ("float_parsing", "int_parsing", "float_type", "int_type") and isinstance(value, str):
        unit = _unit_of(str(loc[-1]))
        m = re.match(r"^\s*[-+0-9.eE]+\s*([A-Za-z/_]+)\s*$", value)
        if m and unit:
            return (f"{path} = {_short(value)}: give a plain number in {unit} (the unit is in the key name), "
                    f"not {m.group(1)!r}; allowed range {_range_of(loc) or 'any'}")
        return f"{path} = {_short(value)}: expected a number{f' in {unit}' if unit else ''}"
    msg = err["msg"].removeprefix("Value error, ")
    if len(msg) > 300:
        msg = msg[:297] + "..."
    if not loc:
        return msg
    rng = _range_of(loc)
    return f"{path} = {_short(value)}: {msg}" + (f" (allowed range {rng})" if rng else "")


def _allows(ann: Any, typ: type) -> bool:
    import typing

    if ann is typ:
        return True
    return any(_allows(a, typ) for a in typing.get_args(ann))


def _models_in(ann: Any) -> list[type[BaseModel]]:
    import typing

    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    return [m for a in typing.get_args(ann) for m in _models_in(a)]


def _check_bools(data: Any, cls: type[BaseModel], loc: tuple = ()) -> None:
    """Refuse ``true``/``false`` where the schema wants a number (pydantic's lax mode reads true as 1)."""
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        if not isinstance(key, str) or key not in cls.model_fields:
            continue
        ann = cls.model_fields[key].annotation
        here = (*loc, key)
        if isinstance(value, bool) and not _allows(ann, bool) and (_allows(ann, int) or _allows(ann, float)):
            raise InputError(f"{_path(here)} = {str(value).lower()}: expected a number, not a yes/no value"
                             + (f" (allowed range {_range_of(here)})" if _range_of(here) else ""))
        models = _models_in(ann)
        if models and isinstance(value, dict):
            _check_bools(value, models[0], here)
        elif models and isinstance(value, list):
            for i, item in enumerate(value):
                _check_bools(item, models[0], (*here, i))
        elif isinstance(value, list) and not _allows(ann, bool):
            for i, item in enumerate(value):
                if isinstance(item, bool):
                    raise InputError(f"{_path((*here, i))} = {str(item).lower()}: expected a number, not a yes/no value")


def parse_design(data: dict | None, source: str = "design") -> Design:
    """Validate a mapping as a :class:`Design`; errors are one-line :class:`InputError` naming the key."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"{source}: the top level must be a mapping of sections, got {type(data).__name__}")
    try:
        _check_bools(data, Design)
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None
    try:
        design = Design.model_validate(data)
    except ValidationError as exc:
        errs = exc.errors()
        extra = f" (+{len(errs) - 1} more)" if len(errs) > 1 else ""
        raise InputError(f"{source}: {_format(errs[0])}{extra}") from None
    if not design.network.pairs:
        raise InputError(f"{source}: network.pairs is empty; give at least one pair (e.g. the default design's ten)")
    return design


def load_design(path: str | Path | None = None) -> Design:
    """Load and validate a design file (``.yaml``/``.yml`` or ``.toml``); ``None`` = the default design."""
    p = Path(path) if path is not None else default_design_path()
    suffix = p.suffix.lower()
    if suffix in (".yaml", ".yml"):
        data = read_yaml_file(p, "design file", MAX_DESIGN_BYTES)
    elif suffix == ".toml":
        import tomllib

        text = _read_text(p, "design file", MAX_DESIGN_BYTES)
        try:
            data = tomllib.loads(text)  # TOML has no aliases, and duplicate keys are an error
        except tomllib.TOMLDecodeError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"design file {str(p)!r} is not valid TOML: {first[:160]}") from None
    else:
        if not p.exists():
            raise InputError(f"design file {str(p)!r} does not exist")
        raise InputError(f"design file {str(p)!r}: unsupported extension {_short(p.suffix)} (use .yaml, .yml or .toml)")
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
