"""Electrodes on ridges, isolation sections, vias, bond pads and straight routes to the chip edge.

An electrode on a ridge section ``[x0, x1]`` is a p-contact strip (PCONTACT, 1.2 um) under a
METAL1 strip (10 um); a METAL1 tab leaves the strip sideways (``side`` +1 up / -1 down) at
``tab_x`` and ends in a via (VIA 10 um square, enclosed 3 um by METAL1 and METAL2), whose METAL2
landing carries the electrical port. Routes to the pads are METAL2 (on BCB), so they may cross
ridges and METAL1 electrodes of other devices. The n-contact is the common back-side substrate
contact of the generic platform (Smit 2014), so each section needs one pad.

Electrical ports (electrode landings, pad sides) are ``ROUTE_WIDTH_UM`` wide, the width of the METAL2
routes: :func:`route_to_pad` joins an electrode port to a pad port with gdsfactory's router (wire
corners, electrical ports) on the platform's METAL2 cross-section, so the route is an instance whose ports meet the
electrode's and the pad's, and the net appears in ``get_netlist()``.
"""

from __future__ import annotations

import math

import gdsfactory as gf

from ...pdk.inp.tech import LAYER
from ...validate import check_range
from ..floorplan import (  # electrode geometry (um), shared with the transmitter floorplan
    _TAB_REACH,
    ELECTRODE,
)

__all__ = [
    "ELECTRODE",
    "ROUTE_WIDTH_UM",
    "TAB_REACH_UM",
    "add_electrode",
    "add_isolation",
    "bond_pad",
    "electrode_point",
    "route_to_pad",
]

#: Width of the METAL2 routes from electrodes to pads, and of every electrical port that takes one (um).
ROUTE_WIDTH_UM = 10.0
#: Distance from an electrode port (outer edge of its via landing) back to the ridge axis (um).
TAB_REACH_UM = _TAB_REACH


def _rect(c, x0, x1, y0, y1, layer):
    c.add_polygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], layer=layer)


def add_isolation(c: gf.Component, x0: float, x1: float, y: float = 0.0) -> None:
    """Isolation section (p-cladding etched/implanted) across the ridge between two electrodes."""
    _rect(c, x0, x1, y - ELECTRODE["iso_w"] / 2, y + ELECTRODE["iso_w"] / 2, LAYER.ISOLATION)


def add_electrode(c: gf.Component, name: str, x0: float, x1: float, *, y: float = 0.0, side: int = 1,
                  tab_x: float | None = None) -> None:
    """Electrode over the ridge section [x0, x1] with a tab at ``tab_x`` ending in a via landing; adds
    the electrical port ``name`` on METAL2 facing away from the ridge."""
    e = ELECTRODE
    if side not in (1, -1):
        raise ValueError(f"side = {side}; choose +1 (tab up) or -1 (tab down)")
    tx = (x0 + x1) / 2 if tab_x is None else tab_x
    lo, hi = x0 + e["land"] / 2, x1 - e["land"] / 2
    if hi < lo:
        raise ValueError(f"electrode {name!r} of length {x1 - x0:.1f} um is shorter than the via landing {e['land']} um")
    check_range(f"tab_x of {name}", tx, lo, hi, "um")
    _rect(c, x0, x1, y - e["pcontact_w"] / 2, y + e["pcontact_w"] / 2, LAYER.PCONTACT)
    _rect(c, x0, x1, y - e["m1_w"] / 2, y + e["m1_w"] / 2, LAYER.METAL1)
    yt = y + side * (e["m1_w"] / 2 + e["tab_len"])
    _rect(c, tx - e["tab_w"] / 2, tx + e["tab_w"] / 2, min(y, yt), max(y, yt), LAYER.METAL1)
    yc = yt + side * e["land"] / 2
    _rect(c, tx - e["land"] / 2, tx + e["land"] / 2, yc - e["land"] / 2, yc + e["land"] / 2, LAYER.METAL1)
    _rect(c, tx - e["via"] / 2, tx + e["via"] / 2, yc - e["via"] / 2, yc + e["via"] / 2, LAYER.VIA)
    _rect(c, tx - e["land"] / 2, tx + e["land"] / 2, yc - e["land"] / 2, yc + e["land"] / 2, LAYER.METAL2)
    c.add_port(name, center=(tx, yc + side * e["land"] / 2), width=ROUTE_WIDTH_UM, orientation=90 if side > 0 else 270,
               layer=LAYER.METAL2, port_type="electrical")


def electrode_point(port) -> tuple[float, float]:
    """Point on the electrode's METAL1 strip over the ridge axis, behind the electrode ``port`` (um):
    where an LVS pin label says "this is the electrode" (a cut tab or via then shows as an open)."""
    a = math.radians(port.orientation)
    x, y = port.dcenter
    return (round(x - TAB_REACH_UM * math.cos(a), 3), round(y - TAB_REACH_UM * math.sin(a), 3))


@gf.cell
def bond_pad(size: float = 100.0, opening_margin: float = 5.0) -> gf.Component:
    """Bond pad: METAL2 square with a passivation opening (PAD) ``opening_margin`` inside it.

    Electrical ports ``e1`` (south edge, facing south) and ``e2`` (north edge, facing north), each
    ``ROUTE_WIDTH_UM`` wide: a route lands on one, the other faces the bond wire."""
    check_range("size", size, 70.0, 300.0, "um")
    check_range("opening_margin", opening_margin, 5.0, 30.0, "um")
    c = gf.Component()
    h = size / 2
    _rect(c, -h, h, -h, h, LAYER.METAL2)
    m = h - opening_margin
    _rect(c, -m, m, -m, m, LAYER.PAD)
    for o, ori in (("e1", 270), ("e2", 90)):
        c.add_port(o, center=(0, -h if ori == 270 else h), width=ROUTE_WIDTH_UM, orientation=ori, layer=LAYER.METAL2,
                   port_type="electrical")
    c.info.update({"size": float(size)})
    return c


def route_to_pad(c: gf.Component, electrode_port, pad_port, name: str | None = None):
    """METAL2 route from an electrode port to a pad port, drawn by gdsfactory's router as an
    electrical route (``gf.routing.route_single(..., bend="wire_corner", port_type="electrical")``)
    on ``xs_m2(ROUTE_WIDTH_UM)``: one straight when the ports face each other on one line, straights
    and wire corners otherwise. ``name`` renames the route's instances (``name``, ``name_1``, ...).
    Returns the gdsfactory route."""
    from ...pdk.inp.xsections import xs_m2

    for p in (electrode_port, pad_port):
        if abs(p.width - ROUTE_WIDTH_UM) > 1e-6:
            raise ValueError(f"port {p.name!r} is {p.width} um wide; electrical routes here take {ROUTE_WIDTH_UM} um ports")
    route = gf.routing.route_single(c, electrode_port, pad_port, cross_section=xs_m2(width=ROUTE_WIDTH_UM),
                                    bend="wire_corner", port_type="electrical")
    if name:
        for k, inst in enumerate(route.instances):
            inst.name = name if k == 0 else f"{name}_{k}"
    return route
