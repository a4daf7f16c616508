"""Wafer assembly: die cells placed by reference at every position of the shared wafer plan.

:func:`assemble_wafer` copies each *distinct* die cell (and each test-structure block) once into a
fresh klayout layout and places it with cell instances, so 300 identical transmitter dies cost one
cell plus 300 instance records (nothing is flattened). Die centres come from
:func:`qchipnet.layouts.wafer_plan.wafer_plan`, the same plan the Monte Carlo samples, and every die
gets its plan ID as a label in the dicing lane below it. Test structures and alignment marks go
outside the die grid (inside the usable radius, clear of every die pitch cell); when they do not
fit there, the plan's ``reserved_rows_top`` must make room and the error says so.

The result carries a manifest (every die: ID, row/column, centre, cell name, parameters, geometry
hash) and is written byte-identically for the same inputs (:mod:`qchipnet.layouts.export`).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

import klayout.db as kdb
import numpy as np

from ..validate import InputError
from .marks import alignment_mark, layer_index, text_cell, wafer_outline
from .wafer_plan import WaferPlan

__all__ = ["DieVariant", "TestStructure", "WaferMask", "assemble_wafer", "geometry_hash", "import_component"]

#: Gap kept between a test block or mark and any die pitch cell or other block (um).
CLEARANCE_UM = 100.0
#: Margin of the FLOORPLAN box drawn around a test structure (um).
BLOCK_MARGIN_UM = 50.0


@dataclass
class DieVariant:
    """A distinct die design: its gdsfactory component and the parameters it was built with."""

    key: str
    component: Any
    params: dict


@dataclass
class TestStructure:
    """A stand-alone test structure placed outside the die grid."""

    name: str
    component: Any
    params: dict


@dataclass
class WaferMask:
    """An assembled wafer: klayout layout, top cell, manifest."""

    platform: str
    layout: kdb.Layout
    top: kdb.Cell
    plan: WaferPlan
    manifest: dict
    cells: dict[str, kdb.Cell] = field(default_factory=dict)

    @property
    def n_dies(self) -> int:
        return len(self.manifest["dies"])


def import_component(ly: kdb.Layout, component, name: str | None = None) -> kdb.Cell:
    """Copy a gdsfactory component's cell tree into ``ly`` once (by cell name)."""
    name = name or component.name
    existing = ly.cell(name)
    if existing is not None:
        return existing
    cell = ly.create_cell(name)
    cell.copy_tree(component.kdb_cell)
    return cell


def geometry_hash(ly: kdb.Layout, cell: kdb.Cell) -> str:
    """sha256 (16 hex) of a cell's flattened geometry: per layer, merged polygons in sorted order."""
    h = hashlib.sha256()
    for li in sorted(ly.layer_indexes(), key=lambda i: (ly.get_info(i).layer, ly.get_info(i).datatype)):
        reg = kdb.Region(cell.begin_shapes_rec(li))
        if reg.is_empty():
            continue
        info = ly.get_info(li)
        polys = sorted(str(p) for p in reg.merged().each())
        h.update(f"{info.layer}/{info.datatype}:".encode())
        for p in polys:
            h.update(p.encode())
            h.update(b";")
    return h.hexdigest()[:16]


def _outline_box(ly: kdb.Layout, platform: str, cell: kdb.Cell) -> kdb.DBox:
    """The FLOORPLAN outline of a die cell (its whole bbox when there is none)."""
    li = layer_index(ly, platform, "FLOORPLAN")
    box = cell.dbbox_per_layer(li)
    return box if not box.empty() else cell.dbbox()


def _block(ly: kdb.Layout, platform: str, ts: TestStructure) -> kdb.Cell:
    """A test structure inside a FLOORPLAN box with its name on TEXT above it."""
    inner = import_component(ly, ts.component)
    blk = ly.create_cell(f"{platform}_test_{ts.name}")
    bb = inner.dbbox()
    dx, dy = -bb.center().x, -bb.center().y
    blk.insert(kdb.DCellInstArray(inner.cell_index(), kdb.DTrans(dx, dy)))
    w, h = bb.width() / 2 + BLOCK_MARGIN_UM, bb.height() / 2 + BLOCK_MARGIN_UM
    blk.shapes(layer_index(ly, platform, "FLOORPLAN")).insert(kdb.DBox(-w, -h, w, h))
    lab = text_cell(ly, platform, ts.name.upper(), size_um=30.0, name=f"label_test_{ts.name}")
    blk.insert(kdb.DCellInstArray(lab.cell_index(), kdb.DTrans(-w, h + 10.0)))
    return blk


class _Slots:
    """Free rectangles outside the die grid, inside the usable radius and above the flat."""

    def __init__(self, plan: WaferPlan, step_um: float = 100.0):
        self.r = plan.usable_radius_mm * 1000
        self.y_flat = (-plan.wafer_diameter_mm / 2 + plan.flat_depth_mm + plan.edge_exclusion_mm) * 1000
        px, py = plan.pitch_x_mm * 1000, plan.pitch_y_mm * 1000
        pos = plan.positions_mm() * 1000
        self.taken = [(x - px / 2, y - py / 2, x + px / 2, y + py / 2) for x, y in pos]
        self.step = step_um

    def _free(self, x0, y0, x1, y1) -> np.ndarray:
        ok = np.ones(x0.shape, bool)
        for cx in (x0, x1):
            for cy in (y0, y1):
                ok &= np.hypot(cx, cy) <= self.r
        ok &= y0 >= self.y_flat
        c = CLEARANCE_UM
        if self.taken:
            t = np.asarray(self.taken)
            for a0, b0, a1, b1 in t:  # vectorised over candidates, looped over rectangles
                ok &= ~((x0 < a1 + c) & (x1 > a0 - c) & (y0 < b1 + c) & (y1 > b0 - c))
                if not ok.any():
                    break
        return ok

    def place(self, w: float, h: float, target: tuple[float, float]) -> tuple[float, float] | None:
        """Centre of the free w x h slot nearest ``target`` (um), or None."""
        g = np.arange(-self.r, self.r + self.step, self.step)
        X, Y = np.meshgrid(g, g)
        X, Y = X.ravel(), Y.ravel()
        near = np.hypot(X, Y) <= self.r - min(w, h) / 2
        X, Y = X[near], Y[near]
        ok = self._free(X - w / 2, Y - h / 2, X + w / 2, Y + h / 2)
        if not ok.any():
            return None
        X, Y = X[ok], Y[ok]
        k = int(np.argmin(np.hypot(X - target[0], Y - target[1]) + 1e-9 * (X + 1e-3 * Y)))
        x, y = float(X[k]), float(Y[k])
        self.taken.append((x - w / 2, y - h / 2, x + w / 2, y + h / 2))
        return x, y


def assemble_wafer(
    plan: WaferPlan,
    variants: dict[str, DieVariant],
    assignment: dict[str, str],
    test_structures: list[TestStructure] = (),
    *,
    n_marks: int = 4,
    name: str | None = None,
) -> WaferMask:
    """Place ``variants[assignment[die_id]]`` at every die of ``plan``; add test blocks, marks, labels.

    ``assignment`` maps every plan die ID to a variant key (missing IDs are an error).
    """
    platform = plan.platform
    missing = [d.die_id for d in plan.dies if d.die_id not in assignment]
    if missing:
        raise InputError(f"no die variant assigned to {len(missing)} plan position(s), e.g. {missing[0]}")
    unknown = sorted(set(assignment.values()) - set(variants))
    if unknown:
        raise InputError(f"die variant {unknown[0]!r} not defined; defined: {sorted(variants)}")
    ly = kdb.Layout()
    ly.dbu = 0.001
    top = ly.create_cell(name or f"{platform}_wafer")
    cells: dict[str, kdb.Cell] = {}
    info: dict[str, dict] = {}
    for key in sorted(variants):
        v = variants[key]
        cell = import_component(ly, v.component)
        box = _outline_box(ly, platform, cell)
        cells[key] = cell
        info[key] = {"cell": cell.name, "offset": (box.center().x, box.center().y), "hash": geometry_hash(ly, cell),
                     "size_um": (round(box.width(), 3), round(box.height(), 3))}
        pw, ph = plan.die_width_um, plan.die_height_um
        if box.width() > pw + 1e-6 or box.height() > ph + 1e-6:
            raise InputError(f"die variant {key!r} outline {box.width():g} x {box.height():g} um exceeds the plan's "
                             f"{pw:g} x {ph:g} um die")
    dies = []
    for d in plan.dies:
        key = assignment[d.die_id]
        cx, cy = d.x_mm * 1000, d.y_mm * 1000
        ox, oy = info[key]["offset"]
        top.insert(kdb.CellInstArray(cells[key].cell_index(),
                                     kdb.Trans(round((cx - ox) / ly.dbu), round((cy - oy) / ly.dbu))))
        lab = text_cell(ly, platform, d.die_id, size_um=50.0)
        ly_x = cx - plan.die_width_um / 2 + 100.0
        ly_y = cy - plan.die_height_um / 2 - plan.dicing_lane_um / 2 - 25.0
        top.insert(kdb.CellInstArray(lab.cell_index(), kdb.Trans(round(ly_x / ly.dbu), round(ly_y / ly.dbu))))
        dies.append({"die_id": d.die_id, "row": d.row, "col": d.col, "x_mm": d.x_mm, "y_mm": d.y_mm,
                     "variant": key, "cell": info[key]["cell"], "params": variants[key].params,
                     "geometry_hash": info[key]["hash"]})
    slots = _Slots(plan)
    r = slots.r
    marks = []
    mk = alignment_mark(ly, platform, name=f"{platform}_align_mark")
    mbox = mk.dbbox()
    for k in range(n_marks):
        ang = math.pi * (0.25 + 0.5 * k) if n_marks == 4 else 2 * math.pi * k / n_marks
        pos = slots.place(mbox.width(), mbox.height(), (0.95 * r * math.cos(ang), 0.95 * r * math.sin(ang)))
        if pos is None:
            raise InputError(f"no room for alignment mark {k} outside the die grid; raise reserved_rows_top")
        top.insert(kdb.CellInstArray(mk.cell_index(), kdb.Trans(round(pos[0] / ly.dbu), round(pos[1] / ly.dbu))))
        marks.append({"name": f"align_{k}", "cell": mk.name, "x_mm": round(pos[0] / 1000, 6), "y_mm": round(pos[1] / 1000, 6)})
    tests = []
    n_t = max(len(test_structures), 1)
    for k, ts in enumerate(test_structures):
        blk = _block(ly, platform, ts)
        bb = blk.dbbox()
        ang = math.pi / 2 - 2 * math.pi * (k + 0.5) / n_t
        pos = slots.place(bb.width(), bb.height(), (r * math.cos(ang), r * math.sin(ang)))
        if pos is None:
            raise InputError(f"test structure {ts.name!r} ({bb.width():.0f} x {bb.height():.0f} um) does not fit outside "
                             f"the die grid of the {plan.wafer_diameter_mm:g} mm wafer; set reserved_rows_top > 0")
        ox, oy = bb.center().x, bb.center().y
        top.insert(kdb.CellInstArray(blk.cell_index(),
                                     kdb.Trans(round((pos[0] - ox) / ly.dbu), round((pos[1] - oy) / ly.dbu))))
        tests.append({"name": ts.name, "cell": blk.name, "x_mm": round(pos[0] / 1000, 6), "y_mm": round(pos[1] / 1000, 6),
                      "params": ts.params, "geometry_hash": geometry_hash(ly, blk)})
    outline = wafer_outline(ly, platform, plan.wafer_diameter_mm, plan.flat_depth_mm)
    top.insert(kdb.CellInstArray(outline.cell_index(), kdb.Trans()))
    title = text_cell(ly, platform, f"QCHIPNET {platform.upper()} {plan.wafer_diameter_mm:g}MM", size_um=400.0,
                      name=f"{platform}_wafer_title")
    tb = title.dbbox()
    top.insert(kdb.CellInstArray(title.cell_index(), kdb.Trans(round(-tb.width() / 2 / ly.dbu),
                                                                round((-plan.wafer_diameter_mm * 500 + 400) / ly.dbu))))
    manifest = {
        "kind": "qchipnet-wafer-manifest",
        "format_version": 1,
        "platform": platform,
        "top_cell": top.name,
        "wafer_diameter_mm": plan.wafer_diameter_mm,
        "edge_exclusion_mm": plan.edge_exclusion_mm,
        "die_size_um": [plan.die_width_um, plan.die_height_um],
        "dicing_lane_um": plan.dicing_lane_um,
        "reserved_rows_top": plan.reserved_rows_top,
        "n_dies": len(dies),
        "variants": {k: {"cell": info[k]["cell"], "params": variants[k].params, "geometry_hash": info[k]["hash"],
                         "outline_um": list(info[k]["size_um"]),
                         "n_dies": sum(1 for d in dies if d["variant"] == k)} for k in sorted(variants)},
        "dies": dies,
        "test_structures": tests,
        "alignment_marks": marks,
    }
    return WaferMask(platform=platform, layout=ly, top=top, plan=plan, manifest=manifest, cells=cells)
