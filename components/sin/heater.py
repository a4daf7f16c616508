"""Microheater over the upper half of a ring, with metal leads and probe pads.

``heater_ring`` is built from sub-cells so that its two electrical nets appear in ``get_netlist()``:
the heater trace (``heater_trace``: the resistive HEATER ribbon and a METAL contact over each end,
electrical ports ``e1``/``e2`` on the contacts), two probe pads (``probe_pad``) and two METAL leads
drawn by gdsfactory's router with wire corners (``gf.routing.route_single(..., bend="wire_corner",
port_type="electrical")`` on ``xs_metal``) from each contact to its pad: net ``e1`` = east contact - lead - east pad, net ``e2`` = west.
"""

from __future__ import annotations

import math

import gdsfactory as gf
import numpy as np

from ...pdk.sin.tech import LAYER
from ...pdk.sin.xsections import xs_heater, xs_metal
from ...validate import check_range
from ..floorplan import HEATER, HEATER_LEAD_STEP_UM, SIN_PAD_UM
from .geometry import arc_points, ribbon

__all__ = ["PAD_SIZE_UM", "heater_ring", "heater_terminals_um", "heater_trace", "probe_pad"]

#: Probe/bond pad (metal) edge; the passivation opening is 5 um smaller on every side (METAL.EN.PAD.1).
PAD_SIZE_UM = SIN_PAD_UM
_PAD_ENCLOSURE_UM = 5.0
_END_UM = 10.0  # straight heater tails below (+-R, 0): their square ends are Manhattan


def heater_terminals_um(radius: float) -> dict[str, tuple[float, float]]:
    """Where the metal contact of pad ``e1`` / ``e2`` covers its heater end (cell frame, um): the
    electrode an LVS pin label marks (the heater between them is a resistor, not a conductor)."""
    return {"e1": (round(radius, 3), -_END_UM), "e2": (round(-radius, 3), -_END_UM)}


@gf.cell
def heater_trace(radius: float = 1000.0, heater_width: float = HEATER["heater_width"],
                 contact_width: float = HEATER["lead_width"]) -> gf.Component:
    """Resistive heater over the upper half of a ring of ``radius`` (centre at the origin): the guide
    from (R, 0) to (-R, 0), ending in ``_END_UM`` vertical tails whose square ends sit under METAL
    contacts ``contact_width`` square. Electrical ports ``e1`` (east contact, facing east) and ``e2``
    (west contact, facing west), ``contact_width`` wide."""
    xs_heater(width=heater_width)  # validates the width against the platform rule
    xs_m = xs_metal(width=contact_width)
    c = gf.Component()
    pts, nrm = arc_points(0.0, 0.0, radius, 0.0, 180.0, heater_width)
    pts = np.concatenate([[[radius, -_END_UM]], pts, [[-radius, -_END_UM]]])
    nrm = np.concatenate([[[1.0, 0.0]], nrm, [[-1.0, 0.0]]])
    c.add_polygon(ribbon(pts, nrm, heater_width), layer=LAYER.HEATER)
    h = contact_width / 2
    for name, sgn in (("e1", 1.0), ("e2", -1.0)):
        x0, y0 = sgn * radius, -_END_UM
        c.add_polygon([(x0 - h, y0 - h), (x0 + h, y0 - h), (x0 + h, y0 + h), (x0 - h, y0 + h)], layer=LAYER.METAL)
        c.add_port(name, center=(x0 + sgn * h, y0), width=contact_width, orientation=0 if sgn > 0 else 180,
                   cross_section=xs_m, port_type="electrical")
    c.info.update({"heated_length_um": math.pi * radius + 2 * _END_UM, "heater_width_um": heater_width,
                   "radius_um": radius})
    return c


@gf.cell
def probe_pad(size: float = PAD_SIZE_UM, port_width: float = HEATER["lead_width"]) -> gf.Component:
    """Probe/bond pad: METAL square ``size`` with its bottom edge at y = 0 and a passivation opening
    ``_PAD_ENCLOSURE_UM`` inside. Ports: ``e1`` bottom edge (facing down, ``port_width``: where a lead
    lands), ``e2`` top edge (facing up, ``size``: the probe side)."""
    check_range("size", size, 60.0, 300.0, "um")
    xs_m = xs_metal(width=port_width)
    c = gf.Component()
    p = size / 2
    c.add_polygon([(-p, 0), (p, 0), (p, size), (-p, size)], layer=LAYER.METAL)
    e = p - _PAD_ENCLOSURE_UM
    c.add_polygon([(-e, _PAD_ENCLOSURE_UM), (e, _PAD_ENCLOSURE_UM), (e, size - _PAD_ENCLOSURE_UM),
                   (-e, size - _PAD_ENCLOSURE_UM)], layer=LAYER.PAD)
    c.add_port("e1", center=(0, 0), width=port_width, orientation=270, cross_section=xs_m, port_type="electrical")
    c.add_port("e2", center=(0, size), width=size, orientation=90, cross_section=xs_m, port_type="electrical")
    c.info.update({"size_um": float(size)})
    return c


@gf.cell
def heater_ring(
    radius: float = 1000.0,
    heater_width: float = HEATER["heater_width"],
    lead_width: float = HEATER["lead_width"],
    pad_offset: float = HEATER["pad_offset"],
) -> gf.Component:
    """Resistive heater over the upper half of a ring of ``radius`` (ring centre at the origin).

    The heater (``heater_trace``) follows the guide from (R, 0) to (-R, 0) and ends in 10 um vertical
    tails whose square ends sit under metal contacts. Each contact feeds a lead that steps outwards
    (clear of the heater) and rises to a ``PAD_SIZE_UM`` pad (``probe_pad``) ``pad_offset`` um above
    the ring top. Electrical ports ``e1`` (east pad) and ``e2`` (west pad) face up.

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
    tr = c.add_ref(heater_trace(radius=radius, heater_width=heater_width, contact_width=lead_width), name="trace")
    y_pad = round(radius + heater_width / 2 + pad_offset, 3)
    step = heater_width / 2 + lead_width + HEATER_LEAD_STEP_UM  # lead x-offset from the heater centre line
    pad_cell = probe_pad(size=PAD_SIZE_UM, port_width=lead_width)
    for name, sgn in (("e1", 1.0), ("e2", -1.0)):
        xl = round(sgn * (radius + step), 3)
        pad = c.add_ref(pad_cell, name=f"pad_{name}")
        pad.dmove((xl, y_pad))
        # lead: out of the contact sideways, one wire corner, up to the pad (one Manhattan route)
        route = gf.routing.route_single(c, tr.ports[name], pad.ports["e1"], cross_section=xs_m, bend="wire_corner",
                                        port_type="electrical")
        for k, inst in enumerate(route.instances):
            inst.name = f"lead_{name}" if k == 0 else f"lead_{name}_{k}"
        c.add_port(name, port=pad.ports["e2"])
    c.info.update({"heated_length_um": math.pi * radius + 2 * _END_UM, "heater_width_um": heater_width,
                   "radius_um": radius})
    return c
