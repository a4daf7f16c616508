"""Server chip: the Si3N4 microcomb ring with its bus, two edge couplers, heater pads, outline, label.

The DFB laser is butt-coupled at the west facet (``o1``); the comb leaves at the east facet
(``o2``). The ring is centred horizontally; heater pads sit above it. Every optical element is a
``components.sin`` cell, so ``get_netlist()`` gives edge coupler - bus - ring - bus - edge coupler.
"""

from __future__ import annotations

import math

import gdsfactory as gf

from ...pdk.sin.tech import LAYER
from ...validate import check_range
from ..sin.edge_coupler import edge_coupler
from ..sin.heater import PAD_SIZE_UM
from ..sin.ring import ring_allpass
from ..sin.routing import bus_straight

__all__ = ["server_chip"]

_MARGIN_UM = 100.0
_PAD_CLEARANCE_UM = 150.0 + PAD_SIZE_UM + 10.0


@gf.cell
def server_chip(
    chip_width: float = 5000.0,
    chip_height: float = 3000.0,
    radius: float = 997.711,
    width: float = 2.8,
    gap: float = 1.92,
    thickness_nm: float = 100.0,
    coupler: str = "point",
    heater: bool = True,
    edge_coupler_length: float = 300.0,
    tip_width: float = 0.3,
) -> gf.Component:
    """Server microcomb chip.

    Args:
        chip_width, chip_height: outline (um); must hold the ring, both tapers and the pads.
        radius, width, gap, thickness_nm, coupler, heater: ring parameters (see ``ring_allpass``).
        edge_coupler_length, tip_width: inverse tapers at both facets (um).

    Ports: ``o1`` west facet (laser in), ``o2`` east facet (comb out), ``e1``/``e2`` heater pads.
    """
    min_w = 2 * (radius + width / 2 + 10.0) + 2 * edge_coupler_length + 2 * _MARGIN_UM
    min_h = 2 * radius + _PAD_CLEARANCE_UM + 2 * _MARGIN_UM + 10.0
    check_range("chip_width", chip_width, math.ceil(min_w), 5e4, "um")
    check_range("chip_height", chip_height, math.ceil(min_h), 5e4, "um")
    c = gf.Component()
    ring = c.add_ref(ring_allpass(radius=radius, width=width, bus_width=width, gap=gap, coupler=coupler,
                                  heater=heater, thickness_nm=thickness_nm), name="ring")
    yc = round(chip_height / 2 - _PAD_CLEARANCE_UM / 2, 3)  # ring + pads centred vertically
    ring.move((round(chip_width / 2, 3), yc))
    ec = edge_coupler(width=width, tip_width=tip_width, length=edge_coupler_length, thickness_nm=thickness_nm)
    y_bus = ring.ports["o1"].center[1]
    ecw = c.add_ref(ec, name="ec_in")
    ecw.move((0, y_bus))
    ece = c.add_ref(ec, name="ec_out")
    ece.mirror_x()
    ece.move((chip_width, y_bus))
    lw = ring.ports["o1"].center[0] - edge_coupler_length
    bw = c.add_ref(bus_straight(length=round(lw, 3), width=width, thickness_nm=thickness_nm), name="bus_in")
    bw.connect("o1", ecw.ports["o2"])
    be = c.add_ref(bus_straight(length=round(lw, 3), width=width, thickness_nm=thickness_nm), name="bus_out")
    be.connect("o2", ece.ports["o2"])
    c.add_polygon([(0, 0), (chip_width, 0), (chip_width, chip_height), (0, chip_height)], layer=LAYER.FLOORPLAN)
    label = (f"qchipnet server R={radius:g}um w={width:g}um gap={gap:g}um t={thickness_nm:g}nm "
             f"{coupler} chip {chip_width:g}x{chip_height:g}um")
    txt = c.add_ref(gf.components.text(text=label, size=40.0, justify="left", layer=LAYER.TEXT), name="label")
    txt.move((_MARGIN_UM, _MARGIN_UM / 2))
    c.add_port("o1", port=ecw.ports["o1"])
    c.add_port("o2", port=ece.ports["o1"])
    if heater:
        c.add_port("e1", port=ring.ports["e1"])
        c.add_port("e2", port=ring.ports["e2"])
    c.info.update(dict(radius_um=radius, width_um=width, gap_um=gap, thickness_nm=thickness_nm,
                       ring_length_um=2 * math.pi * radius, chip_width_um=chip_width, chip_height_um=chip_height,
                       label=label))
    return c
