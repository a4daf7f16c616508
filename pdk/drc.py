"""Design-rule checking with ``klayout.db`` Region operations (the pip klayout cannot run DRC decks).

``check_gds(path, platform)`` and ``check_component(component, platform)`` run every geometric
rule of the platform (:mod:`qchipnet.pdk.rules`) and return a :class:`DrcResult`; optionally a
KLayout marker database (``.lyrdb``) is written so a designer can step through the markers.
Shapes on ``DRC_EXCLUDE`` are removed from every checked layer first.

Bad input raises :class:`~qchipnet.validate.InputError` with one line: a missing file, a file that
is not GDS/OASIS, a layout with several top cells, an empty top cell (nothing checked is not
"clean"), a layer that the platform does not define.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..validate import InputError
from . import get_platform
from .rules import Rule

__all__ = ["DrcResult", "check_gds", "check_layout", "check_component"]


@dataclass
class DrcResult:
    """Outcome of a DRC run."""

    platform: str
    top_cell: str
    violations: dict[str, int]
    checked_rules: list[str]
    elapsed_s: float = 0.0
    markers: dict[str, list] = field(default_factory=dict, repr=False)

    @property
    def clean(self) -> bool:
        return not any(self.violations.values())

    def to_json(self) -> dict:
        return {
            "clean": self.clean,
            "violations": {k: v for k, v in self.violations.items() if v},
            "checked_rules": self.checked_rules,
            "platform": self.platform,
            "top_cell": self.top_cell,
            "elapsed_s": round(self.elapsed_s, 3),
        }


def _read_layout(path: Path):
    import klayout.db as kdb

    if not path.exists():
        raise InputError(f"GDS file {str(path)!r} does not exist")
    if path.is_dir():
        raise InputError(f"{str(path)!r} is a directory, expected a .gds or .oas file")
    head = path.read_bytes()[:4]
    if path.suffix.lower() not in (".gds", ".gds2", ".gdsii", ".oas") or (
        path.suffix.lower() != ".oas" and head[2:4] != b"\x00\x02"
    ):
        raise InputError(f"{str(path)!r} is not a GDSII/OASIS file (accepted: .gds, .oas)")
    ly = kdb.Layout()
    try:
        ly.read(str(path))
    except RuntimeError as exc:
        raise InputError(f"{str(path)!r} could not be read as GDS: {str(exc).splitlines()[0]}") from None
    return ly


def _region(ly, top, ld: tuple[int, int]):
    import klayout.db as kdb

    idx = ly.find_layer(ld[0], ld[1])
    if idx is None:
        return kdb.Region()
    r = kdb.Region(top.begin_shapes_rec(idx))
    r.merged_semantics = True
    return r.merged()


def _check_rule(rule: Rule, regions: dict, dbu: float, acute_deg: dict[str, float]):
    """Return the klayout markers (EdgePairs, Region or Edges) of one rule.

    Width and space checks ignore edge pairs that meet at an angle of at least the layer's acute-
    corner limit (90 deg where the layer has no acute rule): a corner is judged by the acute rule,
    not as a width error at its tip.
    """
    import klayout.db as kdb

    a = regions.get(rule.layer, kdb.Region())
    d = int(round(rule.value / dbu))
    ignore = acute_deg.get(rule.layer, 90.0)
    if rule.kind == "width":
        return a.width_check(d, False, kdb.Metrics.Projection, ignore)
    if rule.kind == "space":
        return a.space_check(d, False, kdb.Metrics.Projection, ignore)
    if rule.kind == "separation":
        b = regions.get(rule.other, kdb.Region())
        return a.separation_check(b, d, False, kdb.Metrics.Euclidian)
    if rule.kind == "enclosure":
        b = regions.get(rule.other, kdb.Region())
        # margin violations plus inner shapes not fully covered by the outer layer
        return [a.enclosing_check(b, d, False, kdb.Metrics.Projection), b - a]
    if rule.kind == "inside":
        if a.is_empty():  # a cell without an outline (library cell) has no chip boundary to check
            return kdb.Region()
        b = regions.get(rule.other, kdb.Region())
        return b - a
    if rule.kind == "area":
        small = a.with_area(0, int(round(rule.value / dbu / dbu)), False)
        return small
    if rule.kind == "grid":
        g = int(round(rule.value / dbu))
        return a.grid_check(g, g) if g > 1 else kdb.EdgePairs()
    if rule.kind == "acute":
        # klayout measures the turn angle between the two edges at a corner: an interior angle
        # below the limit is a turn sharper than 180 - limit, convex (+) or concave notch (-)
        lim = 180.0 - rule.value
        return [a.corners(lim + 1e-6, 180.0), a.corners(-180.0, -lim - 1e-6)]
    raise AssertionError(rule.kind)


def _count(markers) -> int:
    if isinstance(markers, list):
        return sum(_count(m) for m in markers)
    return markers.count()


def check_layout(ly, platform: str, report: str | Path | None = None, grid_dbu_override: float | None = None) -> DrcResult:
    """Run all rules of ``platform`` on the single top cell of klayout layout ``ly``."""
    import klayout.db as kdb

    t0 = time.perf_counter()
    plat = get_platform(platform)
    layers = plat.layers
    by_ld = {v: k for k, v in layers.items()}
    tops = ly.top_cells()
    if len(tops) != 1:
        raise InputError(f"layout must have exactly one top cell, found {len(tops)}: {[c.name for c in tops][:5]}")
    top = tops[0]
    if top.bbox().empty():
        raise InputError(f"top cell {top.name!r} is empty (no shapes): there is nothing to check, so it cannot be "
                         "called clean")
    unknown = sorted(
        {(i.layer, i.datatype) for i in ly.layer_infos() if not top.bbox_per_layer(ly.layer(i)).empty()}
        - set(by_ld)
    )
    if unknown:
        raise InputError(
            f"layer(s) {['%d/%d' % u for u in unknown]} not defined by platform {platform!r}; "
            f"known: {', '.join(f'{n}={l}/{d}' for n, (l, d) in layers.items())}"
        )
    regions = {name: _region(ly, top, ld) for name, ld in layers.items()}
    excl = regions.get("DRC_EXCLUDE")
    if excl is not None and not excl.is_empty():
        regions = {k: (v - excl if k != "DRC_EXCLUDE" else v) for k, v in regions.items()}
    dbu = ly.dbu
    violations: dict[str, int] = {}
    markers: dict[str, object] = {}
    checked = []
    acute = {r.layer: r.value for r in plat.rules if r.kind == "acute"}
    for rule in plat.rules:
        if rule.kind == "bend_radius":
            continue
        checked.append(rule.name)
        m = _check_rule(rule, regions, dbu, acute)
        violations[rule.name] = _count(m)
        markers[rule.name] = m
    result = DrcResult(platform=platform, top_cell=top.name, violations=violations, checked_rules=checked,
                       elapsed_s=time.perf_counter() - t0, markers=markers)
    if report is not None:
        _write_rdb(result, plat, Path(report), dbu)
    return result


def _write_rdb(result: DrcResult, plat, path: Path, dbu: float) -> None:
    import klayout.rdb as rdb
    import klayout.db as kdb

    db = rdb.ReportDatabase(f"qchipnet DRC ({plat.name})")
    db.top_cell_name = result.top_cell
    cell = db.create_cell(result.top_cell)
    rules = {r.name: r for r in plat.rules}
    for name in result.checked_rules:
        cat = db.create_category(name)
        cat.description = rules[name].rationale
        ms = result.markers[name]
        for m in ms if isinstance(ms, list) else [ms]:
            if isinstance(m, kdb.EdgePairs):
                for ep in m.each():
                    db.create_item(cell.rdb_id(), cat.rdb_id()).add_value(ep.to_dtype(dbu))
            elif isinstance(m, kdb.Region):
                for p in m.each():
                    db.create_item(cell.rdb_id(), cat.rdb_id()).add_value(p.to_dtype(dbu))
            elif isinstance(m, kdb.Edges):
                for e in m.each():
                    db.create_item(cell.rdb_id(), cat.rdb_id()).add_value(e.to_dtype(dbu))
    path.parent.mkdir(parents=True, exist_ok=True)
    db.save(str(path))


def check_gds(path: str | Path, platform: str, report: str | Path | None = None) -> DrcResult:
    """DRC of a GDS/OASIS file by the rules of ``platform``."""
    get_platform(platform)  # validates the name first
    return check_layout(_read_layout(Path(path)), platform, report=report)


def check_component(component, platform: str, report: str | Path | None = None) -> DrcResult:
    """DRC of a gdsfactory component (written to a temporary GDS without metadata, then read back)."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "drc.gds"
        component.write_gds(p, with_metadata=False)
        return check_gds(p, platform, report=report)
