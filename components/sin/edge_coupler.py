"""Inverse-taper edge coupler (spot-size converter) of the Si3N4 platform."""

from __future__ import annotations

import gdsfactory as gf

from ...pdk.sin.rules import RULES
from ...pdk.sin.tech import LAYER
from ...pdk.sin.xsections import xs_sin
from ...validate import check_range

__all__ = ["edge_coupler", "MIN_TIP_WIDTH_UM"]

#: Narrowest drawable tip: the WG minimum-width rule.
MIN_TIP_WIDTH_UM = next(r.value for r in RULES if r.name == "WG.W.1")


@gf.cell
def edge_coupler(
    width: float = 2.8,
    tip_width: float = 0.3,
    length: float = 300.0,
    thickness_nm: float = 100.0,
) -> gf.Component:
    """Linear inverse taper from ``tip_width`` at the facet (x = 0) to ``width`` at x = ``length``.

    The 100 nm film barely guides at the tip, so the mode expands to a few um and matches a
    lensed fibre or a butt-coupled DFB facet. Ports: ``o1`` facet (west, tip width), ``o2`` chip
    side (east, ``width``).

    Args:
        width: guide width at the chip side (um).
        tip_width: width at the facet (um), >= WG.W.1 and < ``width``.
        length: taper length (um), 50-2000.
        thickness_nm: film thickness.
    """
    xs = xs_sin(width=width, thickness_nm=thickness_nm)
    check_range("tip_width", tip_width, MIN_TIP_WIDTH_UM, width, "um")
    check_range("length", length, 50.0, 2000.0, "um")
    c = gf.Component()
    c.add_polygon([(0, -tip_width / 2), (length, -width / 2), (length, width / 2), (0, tip_width / 2)],
                  layer=LAYER.WG)
    xs_tip = xs_sin(width=tip_width, thickness_nm=thickness_nm)
    c.add_port("o1", center=(0, 0), width=tip_width, orientation=180, cross_section=xs_tip)
    c.add_port("o2", center=(length, 0), width=width, orientation=0, cross_section=xs)
    c.info.update(dict(length_um=length, tip_width_um=tip_width, width_um=width, thickness_nm=thickness_nm))
    return c
