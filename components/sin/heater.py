"""Microheater over the upper half of a ring, with metal leads and probe pads."""

from __future__ import annotations

import math

import gdsfactory as gf
import numpy as np

from ...pdk.sin.tech import LAYER
from ...pdk.sin.xsections import xs_heater, xs_metal
from ...validate import check_range
from ..floorplan import HEATER, HEATER_LEAD_STEP_UM, SIN_PAD_UM
from .geometry import arc_points, ribbon

__all__ = ["heater_ring", "PAD_SIZE_UM"]

#: Probe/bond pad (metal) edge; the passivation opening is 5 um smaller on every side (METAL.EN.PAD.1).
PAD_SIZE_UM = SIN_PAD_UM
_PAD_ENCLOSURE_UM = 5.0
_END_UM = 10.0  # straight heater tails below (+-R, 0): their square ends are Manhattan


@gf.cell
def heater_ring(
    radius: float = 1000.0,
    heater_width: float = HEATER["heater_width"],
    lead_width: float = HEATER["lead_width"],
    pad_offset: float = HEATER["pad_offset"],
) -> gf.Component:
    """Resistive heater over the upper half of a ring of ``radius`` (ring centre at the origin).

    The heater follows the guide from (R, 0) to (-R, 0) and ends in 10 um vertical tails whose
    square ends sit under metal contacts. Each contact feeds a lead that steps outwards (clear of
    the heater) and rises to a ``PAD_SIZE_UM`` pad ``pad_offset`` um above the ring top.
    Electrical ports ``e1`` (east pad) and ``e2`` (west pad) face up.

    Args:
        radius: radius of the ring guide centre line (um); the heater is centred over the guide.
        heater_width: heater trace width (um), 2-50 (HEATER.W.1).
        lead_width: metal lead width (um), 5-50.
        pad_offset: pad distance above the ring (um), >= 20.
    """
    xs_heater(width=heater_width)  # validates the width against the platform rule
    xs_m = xs_metal(width=lead_width)
    check_range("radius", radius, 50.0, 1e4, "um")
    check_range("lead_width", lead_width, 5.0, 50.0, "um")
    check_range("pad_offset", pad_offset, 20.0, 1e4, "um")
    c = gf.Component()
    pts, nrm = arc_points(0.0, 0.0, radius, 0.0, 180.0, heater_width)
    pts = np.concatenate([[[radius, -_END_UM]], pts, [[-radius, -_END_UM]]])
    nrm = np.concatenate([[[1.0, 0.0]], nrm, [[-1.0, 0.0]]])
    c.add_polygon(ribbon(pts, nrm, heater_width), layer=LAYER.HEATER)
    y_pad = round(radius + heater_width / 2 + pad_offset, 3)
    h = lead_width / 2
    step = heater_width / 2 + lead_width + HEATER_LEAD_STEP_UM  # lead x-offset from the heater centre line
    for name, sgn in (("e1", 1.0), ("e2", -1.0)):
        x0, y0 = sgn * radius, -_END_UM
        xl = sgn * (radius + step)
        # contact over the heater end, then a horizontal run outwards and a vertical run to the pad
        xa, xb = sorted((x0 - sgn * h, xl + sgn * h))
        c.add_polygon([(xa, y0 - h), (xb, y0 - h), (xb, y0 + h), (xa, y0 + h)], layer=LAYER.METAL)
        c.add_polygon([(xl - h, y0 - h), (xl + h, y0 - h), (xl + h, y_pad), (xl - h, y_pad)], layer=LAYER.METAL)
        p = PAD_SIZE_UM / 2
        c.add_polygon([(xl - p, y_pad), (xl + p, y_pad), (xl + p, y_pad + PAD_SIZE_UM), (xl - p, y_pad + PAD_SIZE_UM)],
                      layer=LAYER.METAL)
        e = p - _PAD_ENCLOSURE_UM
        c.add_polygon([(xl - e, y_pad + _PAD_ENCLOSURE_UM), (xl + e, y_pad + _PAD_ENCLOSURE_UM),
                       (xl + e, y_pad + PAD_SIZE_UM - _PAD_ENCLOSURE_UM),
                       (xl - e, y_pad + PAD_SIZE_UM - _PAD_ENCLOSURE_UM)], layer=LAYER.PAD)
        c.add_port(name, center=(xl, y_pad + PAD_SIZE_UM), width=PAD_SIZE_UM, orientation=90,
                   cross_section=xs_m, port_type="electrical")
    c.info.update(dict(heated_length_um=math.pi * radius + 2 * _END_UM, heater_width_um=heater_width,
                       radius_um=radius))
    return c
