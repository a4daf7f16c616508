"""Bus routing of the Si3N4 platform: straight guides drawn with ``xs_sin``."""

from __future__ import annotations

import gdsfactory as gf

from ...pdk.sin.tech import LAYER
from ...pdk.sin.xsections import xs_sin
from ...validate import check_range

__all__ = ["bus_straight"]


@gf.cell
def bus_straight(length: float = 100.0, width: float = 2.8, thickness_nm: float = 100.0) -> gf.Component:
    """Straight Si3N4 bus of ``length`` um and ``width`` um along x; ports ``o1`` (west), ``o2`` (east)."""
    xs = xs_sin(width=width, thickness_nm=thickness_nm)
    check_range("length", length, 0.001, 5e4, "um")
    c = gf.Component()
    c.add_polygon([(0, -width / 2), (length, -width / 2), (length, width / 2), (0, width / 2)], layer=LAYER.WG)
    c.add_port("o1", center=(0, 0), width=width, orientation=180, cross_section=xs)
    c.add_port("o2", center=(length, 0), width=width, orientation=0, cross_section=xs)
    c.info.update(dict(length_um=length, width_um=width, thickness_nm=thickness_nm))
    return c
