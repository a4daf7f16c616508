"""Server chip: the Si3N4 microcomb ring with its bus, two edge couplers, heater pads, outline, label.

The DFB laser is butt-coupled at the west facet (``o1``); the comb leaves at the east facet
(``o2``). The ring is centred horizontally; the ring + bus + heater-pad block is centred
vertically. Every optical element is a ``components.sin`` cell, so ``get_netlist()`` gives edge
coupler - bus - ring - bus - edge coupler. The bus (edge couplers, straights and the coupler's bus
guide) is drawn ``bus_width_um`` wide.

Parameters carry the design's names (``qchipnet.design.ServerRing`` + ``ServerChip``); the allowed
die size comes from :func:`qchipnet.components.floorplan.server_chip_limits`, which this cell uses
for its own check.
"""

from __future__ import annotations

import math

import gdsfactory as gf

from ...pdk.lvs import Net, add_net_labels
from ...pdk.sin.tech import LAYER
from ..floorplan import (
    EDGE_COUPLER_LENGTH_UM,
    HEATER,
    SERVER_MARGIN_UM,
    check_server_chip,
)
from ..sin.edge_coupler import edge_coupler
from ..sin.heater import PAD_SIZE_UM, heater_terminals_um
from ..sin.ring import ring_allpass
from ..sin.routing import bus_straight

__all__ = ["server_chip"]

_LABEL_SIZE_UM = 40.0
#: Widest glyph advance of gdsfactory's text font, as a fraction of the text size.
_GLYPH_ADVANCE = 0.9


@gf.cell
def server_chip(
    radius_um: float = 997.711,
    width_um: float = 2.8,
    bus_width_um: float = 2.8,
    gap_um: float = 1.92,
    thickness_nm: float = 100.0,
    die_width_um: float = 5000.0,
    die_height_um: float = 3000.0,
    heater: bool = True,
    coupler: str = "point",
    edge_coupler_length_um: float = EDGE_COUPLER_LENGTH_UM,
    tip_width_um: float = 0.3,
) -> gf.Component:
    """Server microcomb chip.

    Args:
        radius_um, width_um, gap_um, thickness_nm, coupler, heater: ring (see ``ring_allpass``).
        bus_width_um: width of the bus guide: coupler bus, bus straights and the edge couplers' inner end.
        die_width_um, die_height_um: outline; see ``server_chip_limits`` for the allowed range.
        edge_coupler_length_um, tip_width_um: inverse tapers at both facets.

    Ports: ``o1`` west facet (laser in), ``o2`` east facet (comb out), ``e1``/``e2`` heater pads.
    """
    W, H = die_width_um, die_height_um
    fp = check_server_chip(W, H, radius_um=radius_um, width_um=width_um, bus_width_um=bus_width_um, gap_um=gap_um,
                           thickness_nm=thickness_nm, heater=heater, coupler=coupler,
                           edge_coupler_length_um=edge_coupler_length_um)
    c = gf.Component()
    ring = c.add_ref(ring_allpass(radius=radius_um, width=width_um, bus_width=bus_width_um, gap=gap_um,
                                  coupler=coupler, heater=heater, heater_width=HEATER["heater_width"],
                                  thickness_nm=thickness_nm), name="ring")
    ring.move((round(W / 2, 3), fp.ring_centre_y(H)))
    ec = edge_coupler(width=bus_width_um, tip_width=tip_width_um, length=edge_coupler_length_um,
                      thickness_nm=thickness_nm)
    y_bus = ring.ports["o1"].center[1]
    ecw = c.add_ref(ec, name="ec_in")
    ecw.move((0, y_bus))
    ece = c.add_ref(ec, name="ec_out")
    ece.mirror_x()
    ece.move((W, y_bus))
    lw = round(ring.ports["o1"].center[0] - edge_coupler_length_um, 3)
    bus = bus_straight(length=lw, width=bus_width_um, thickness_nm=thickness_nm)
    bw = c.add_ref(bus, name="bus_in")
    bw.connect("o1", ecw.ports["o2"])
    be = c.add_ref(bus, name="bus_out")
    be.connect("o2", ece.ports["o2"])
    c.add_polygon([(0, 0), (W, 0), (W, H), (0, H)], layer=LAYER.FLOORPLAN)
    label = (f"qchipnet server R={radius_um:g}um w={width_um:g}um bus={bus_width_um:g}um gap={gap_um:g}um "
             f"t={thickness_nm:g}nm {coupler} chip {W:g}x{H:g}um")
    size = min(_LABEL_SIZE_UM, math.floor((W - 2 * SERVER_MARGIN_UM) / (_GLYPH_ADVANCE * len(label))))
    txt = c.add_ref(gf.components.text(text=label, size=size, justify="left", layer=LAYER.TEXT), name="label")
    txt.move((SERVER_MARGIN_UM, SERVER_MARGIN_UM / 2))
    c.add_port("o1", port=ecw.ports["o1"])
    c.add_port("o2", port=ece.ports["o1"])
    if heater:
        c.add_port("e1", port=ring.ports["e1"])
        c.add_port("e2", port=ring.ports["e2"])
        # intended netlist: pad e1 (east) feeds the east heater end, pad e2 the west one (LVS pin labels)
        cx, cy = round(W / 2, 3), fp.ring_centre_y(H)  # where the ring (and its heater) origin was moved
        ends = heater_terminals_um(radius_um)
        nets = []
        for name in ("e1", "e2"):
            px, py = ring.ports[name].dcenter
            tx, ty = ends[name]
            nets.append(Net(name=f"heater_{name}", pad=f"pad_{name}", pad_xy=(px, round(py - PAD_SIZE_UM / 2, 3)),
                            pad_layer="METAL", electrode=f"heater.{name}", electrode_xy=(round(cx + tx, 3), round(cy + ty, 3)),
                            electrode_layer="METAL"))
        add_net_labels(c, nets, LAYER)
    c.info.update({
        "radius_um": radius_um, "width_um": width_um, "bus_width_um": bus_width_um, "gap_um": gap_um, "thickness_nm": thickness_nm,
        "die_width_um": W, "die_height_um": H, "heater": heater, "coupler": coupler,
        "ring_length_um": ring.cell.info["ring_length_um"], "interaction_length_um": ring.cell.info["interaction_length_um"],
        "heated_length_um": ring.cell.insts["heater"].cell.info["heated_length_um"] if heater else 0.0,
        "bus_straight_length_um": lw, "edge_coupler_length_um": edge_coupler_length_um, "tip_width_um": tip_width_um,
        "label": label,
    })
    return c
