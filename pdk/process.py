"""Process data: nominal values and statistical variation of every geometric parameter a model uses.

A :class:`ProcessParameter` carries the nominal value and three variation levels, each a standard
deviation in the parameter's own unit, plus the spatial correlation length of the within-wafer
random field and the source of every number. Monte Carlo (``qchipnet.wafer``) reads these; a study
can override them from a YAML file through :meth:`ProcessData.with_overrides`.

Levels (Bogaerts, Xing & Khan, IEEE JSTQE 25, 6100413 (2019), hierarchical variability model):
- ``sigma_wafer``: wafer-to-wafer (one draw per wafer);
- ``sigma_within_wafer``: smooth + spatially correlated within-wafer field (one draw per die position,
  correlation length ``corr_length_mm``); ``radial_fraction`` of its variance is a radial profile
  (centre-to-edge film-thickness bow), the rest a Gaussian random field;
- ``sigma_local``: die-local mismatch (two instances in one die, e.g. the two arms of an MZI).

User files (process overrides here, and through :func:`read_yaml_file` also designs and specs) are
read defensively: size-limited, UTF-8, duplicate keys refused, YAML aliases bounded (a few hundred
bytes of nested aliases can expand to 10^9 nodes), every value finite; one :class:`InputError` line.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from ..validate import Frozen, InputError

__all__ = ["MAX_YAML_NODES", "DefectModel", "ProcessData", "ProcessParameter", "load_process_file", "read_yaml_file"]

#: Largest process-override file read (bytes): a real one is a few hundred bytes.
MAX_PROCESS_FILE_BYTES = 1_000_000


def _short(value: Any, n: int = 60) -> str:
    r = repr(value)
    return r if len(r) <= n else r[: n - 3] + "..."


#: Largest number of nodes a YAML document may expand to through its aliases (a "billion laughs"
#: document of a few hundred bytes expands to 10^9 nodes; a real design has a few hundred).
MAX_YAML_NODES = 100_000


def _size(obj: Any, limit: int) -> int:
    """Number of nodes of a nested list/dict, counting shared (aliased) children every time they
    appear, computed in linear time with memoisation and capped at ``limit``."""
    memo: dict[int, int] = {}

    def walk(o: Any, depth: int) -> int:
        if depth > 200:
            return limit
        if not isinstance(o, (list, dict, tuple)):
            return 1
        k = id(o)
        if k in memo:
            return memo[k]
        memo[k] = limit  # a self-referencing (recursive) alias counts as too big
        items = list(o.keys()) + list(o.values()) if isinstance(o, dict) else o
        total = 1
        for child in items:
            total += walk(child, depth + 1)
            if total >= limit:
                break
        memo[k] = min(total, limit)
        return memo[k]

    return walk(obj, 0)


def _yaml_loader():
    """A SafeLoader that refuses duplicate mapping keys (naming the key and its line)."""
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    def construct_mapping(loader, node, deep=False):
        loader.flatten_mapping(node)
        seen: dict = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise InputError(f"line {key_node.start_mark.line + 1}: a mapping key must be a plain value") from None
            if key in seen:
                raise InputError(f"line {key_node.start_mark.line + 1}: duplicate key {_short(key)} (first on line "
                                 f"{seen[key] + 1}); each key may appear once")
            seen[key] = key_node.start_mark.line
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return _Loader


def _read_text(p: Path, what: str, max_bytes: int) -> str:
    if not p.exists():
        raise InputError(f"{what} {str(p)!r} does not exist")
    if p.is_dir():
        raise InputError(f"{what} {str(p)!r} is a directory")
    size = p.stat().st_size
    if size > max_bytes:
        raise InputError(f"{what} {str(p)!r} is {size} bytes; the largest accepted is {max_bytes} bytes")
    raw = p.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} {str(p)!r} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})") \
            from None


def read_yaml_file(path: str | Path, what: str = "file", max_bytes: int = 1_000_000) -> Any:
    """Parse a YAML file safely: size-limited, UTF-8, duplicate keys refused, aliases bounded
    (:data:`MAX_YAML_NODES`); every problem is one :class:`InputError` line naming the file."""
    import yaml

    p = Path(path)
    text = _read_text(p, what, max_bytes)
    try:
        data = yaml.load(text, Loader=_yaml_loader())  # a SafeLoader subclass
    except InputError as exc:
        raise InputError(f"{what} {str(p)!r}, {exc}") from None
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise InputError(f"{what} {str(p)!r} is not valid YAML: {first[:120]}{where}") from None
    except RecursionError:
        raise InputError(f"{what} {str(p)!r} is nested too deeply") from None
    if _size(data, MAX_YAML_NODES + 1) > MAX_YAML_NODES:
        raise InputError(f"{what} {str(p)!r} expands to more than {MAX_YAML_NODES} values (YAML aliases?); refused")
    return data


class ProcessParameter(Frozen):
    """One process parameter with nominal value and hierarchical variation."""

    name: str
    unit: str
    nominal: float = Field(allow_inf_nan=False)
    sigma_wafer: float = Field(0.0, ge=0, allow_inf_nan=False)
    sigma_within_wafer: float = Field(0.0, ge=0, allow_inf_nan=False)
    sigma_local: float = Field(0.0, ge=0, allow_inf_nan=False)
    corr_length_mm: float = Field(10.0, gt=0, allow_inf_nan=False)
    radial_fraction: float = Field(0.0, ge=0, le=1)
    source: str
    calibrated: bool = False

    @property
    def sigma_total(self) -> float:
        """Quadrature sum of the three levels."""
        return (self.sigma_wafer**2 + self.sigma_within_wafer**2 + self.sigma_local**2) ** 0.5


class DefectModel(Frozen):
    """Catastrophic (non-geometric) failures: a per-device failure probability."""

    name: str
    p_fail: float = Field(ge=0, le=1, allow_inf_nan=False)
    source: str


class ProcessData(Frozen):
    """All process parameters and defect models of one platform."""

    platform: str
    parameters: dict[str, ProcessParameter]
    defects: dict[str, DefectModel] = Field(default_factory=dict)

    def __getitem__(self, key: str) -> ProcessParameter:
        try:
            return self.parameters[key]
        except KeyError:
            raise InputError(
                f"process parameter {key!r} not in platform {self.platform!r}; known: {sorted(self.parameters)}"
            ) from None

    def with_overrides(self, overrides: dict[str, Any]) -> ProcessData:
        """Return a copy with fields of parameters/defects replaced, e.g. ``{"width": {"sigma_wafer": 0.02}}``.

        Unknown parameter names or fields raise :class:`InputError` naming the key path.
        """
        if not isinstance(overrides, dict):
            raise InputError(f"process overrides of {self.platform!r} must be a mapping of parameter names, got "
                             f"{type(overrides).__name__} {_short(overrides)}")
        params = dict(self.parameters)
        defects = dict(self.defects)
        for key, fields in overrides.items():
            if not isinstance(fields, dict):
                raise InputError(f"process override {_short(key)} must be a mapping of fields, got {_short(fields)}")
            if key in params:
                target, store = params[key], params
            elif key in defects:
                target, store = defects[key], defects
            else:
                raise InputError(
                    f"process override {key!r}: unknown parameter; known: {sorted(params) + sorted(defects)}"
                )
            bad = set(map(str, fields)) - set(type(target).model_fields)
            if bad:
                raise InputError(
                    f"process override {key}.{_short(min(bad))[1:-1]}: unknown field; allowed: "
                    f"{sorted(type(target).model_fields)}"
                )
            for f, v in fields.items():
                ann = type(target).model_fields[f].annotation
                if ann is float and (isinstance(v, bool) or not isinstance(v, (int, float))):
                    raise InputError(f"process override {key}.{f} = {_short(v)}: expected a number")
                if ann is float and not math.isfinite(v):
                    raise InputError(f"process override {key}.{f} = {v!r} is not finite")
            try:
                store[key] = type(target).model_validate({**target.model_dump(), **fields})
            except ValidationError as exc:  # -> one line
                err = exc.errors()[0]
                loc = ".".join(map(str, err.get("loc", ()))) or "?"
                raise InputError(f"process override {key}.{loc} = {_short(err.get('input'))}: {err['msg']}") from None
        return self.model_copy(update={"parameters": params, "defects": defects})


def load_process_file(path: str | Path) -> dict[str, dict]:
    """Read a process-override YAML file (``{platform: {parameter: {field: value}}}``) with its shape
    checked: one line naming the file and the key for a missing, non-UTF-8, oversized or broken file,
    a top level or section that is not a mapping, duplicate keys and unbounded YAML aliases. Field
    names, types and finiteness are checked by :meth:`ProcessData.with_overrides`."""
    data = read_yaml_file(path, what="process file", max_bytes=MAX_PROCESS_FILE_BYTES)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"process file {str(path)!r}: the top level must be a mapping of platforms "
                         f"(inp, sin), got {type(data).__name__}")
    for plat, section in data.items():
        if not isinstance(section, dict):
            raise InputError(f"process file {str(path)!r}: section {_short(plat)} must be a mapping of parameters, "
                             f"got {type(section).__name__}")
    return data
