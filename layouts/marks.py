"""Wafer-level marks: alignment crosses, die/test labels and the wafer outline.

Marks are drawn on the platform's guiding layer (``WG`` on ``sin``, ``WG_DEEP`` on ``inp``) so the
first lithography level carries them, inside a ``FLOORPLAN`` box so the floor-plan rule
(``FLOORPLAN.IN.*``) holds; labels and the wafer outline are polygon text / outlines on ``TEXT``,
which no rule checks. All cells are plain klayout cells built into a target layout with
deterministic names.
"""

from __future__ import annotations

import math

import klayout.db as kdb

from ..pdk import get_platform

__all__ = ["guide_layer", "alignment_mark", "text_cell", "wafer_outline", "layer_index", "MARK_SIZE_UM"]

#: Arm length of an alignment cross (um) and its arm width.
MARK_SIZE_UM = 200.0
MARK_ARM_UM = 10.0


def guide_layer(platform: str) -> str:
    """Name of the first (waveguide) lithography layer of ``platform``."""
    return "WG" if platform == "sin" else "WG_DEEP"


def layer_index(ly: kdb.Layout, platform: str, name: str) -> int:
    l, d = get_platform(platform).layers[name]
    return ly.layer(l, d)


def alignment_mark(ly: kdb.Layout, platform: str, name: str = "align_mark") -> kdb.Cell:
    """A cross of two 200 x 10 um arms plus four 20 um corner squares, in a FLOORPLAN box."""
    existing = ly.cell(name)
    if existing is not None:
        return existing
    c = ly.create_cell(name)
    s = MARK_SIZE_UM / 2
    a = MARK_ARM_UM / 2
    wg = c.shapes(layer_index(ly, platform, guide_layer(platform)))
    cross = kdb.Region(kdb.DBox(-s, -a, s, a).to_itype(ly.dbu)) + kdb.Region(kdb.DBox(-a, -s, a, s).to_itype(ly.dbu))
    wg.insert(cross.merged())
    for sx in (-1, 1):
        for sy in (-1, 1):
            cx, cy = sx * s * 0.6, sy * s * 0.6
            wg.insert(kdb.DBox(cx - 10, cy - 10, cx + 10, cy + 10))
    c.shapes(layer_index(ly, platform, "FLOORPLAN")).insert(kdb.DBox(-s - 20, -s - 20, s + 20, s + 20))
    return c


def text_cell(ly: kdb.Layout, platform: str, text: str, size_um: float = 60.0, name: str | None = None) -> kdb.Cell:
    """Polygon text on the TEXT layer (klayout's default font), origin at the lower-left corner."""
    name = name or f"label_{text}"
    existing = ly.cell(name)
    if existing is not None:
        return existing
    c = ly.create_cell(name)
    gen = kdb.TextGenerator.default_generator()
    reg = gen.text(text, ly.dbu, size_um / gen.dheight())
    c.shapes(layer_index(ly, platform, "TEXT")).insert(reg)
    return c


def wafer_outline(ly: kdb.Layout, platform: str, diameter_mm: float, flat_depth_mm: float,
                  width_um: float = 200.0, name: str | None = None) -> kdb.Cell:
    """Wafer edge with its primary flat (bottom) as a band on TEXT, centred at the origin."""
    name = name or f"{platform}_wafer_outline"
    c = ly.create_cell(name)
    r = diameter_mm * 1000 / 2
    y_flat = -r + flat_depth_mm * 1000

    def disc(radius: float) -> kdb.Region:
        n = 720
        pts = [kdb.DPoint(radius * math.cos(2 * math.pi * k / n), max(radius * math.sin(2 * math.pi * k / n), y_flat + (r - radius)))
               for k in range(n)]
        return kdb.Region(kdb.DPolygon(pts).to_itype(ly.dbu))

    band = disc(r) - disc(r - width_um)
    c.shapes(layer_index(ly, platform, "TEXT")).insert(band)
    return c
