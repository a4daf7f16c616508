"""Routing cells of the ``inp`` platform on its own cross-sections (default: the deep ridge
``xs_deep``; wires on ``xs_m2``): ``straight``, ``bend_euler``, ``bend_circular``, ``bend_s``,
``taper``, ``wire_straight``, ``wire_corner`` (see :mod:`qchipnet.pdk.routing_cells`).

Optical cells also publish ``etch_depth_um``, the etch depth of their ridge from the top of the
cladding (:class:`~qchipnet.pdk.inp.geometry.EpiStack`), so that their model picks the deep or the
shallow ridge's mode table.
"""

from __future__ import annotations

from ..routing_cells import make_routing_cells
from .geometry import EpiStack
from .tech import LAYER

__all__ = [
    "bend_circular",
    "bend_euler",
    "bend_s",
    "cells",
    "etch_depth_um",
    "straight",
    "taper",
    "wire_corner",
    "wire_straight",
]


def etch_depth_um(xs) -> dict[str, float]:
    """``{"etch_depth_um": d}`` of a ridge cross-section (deep or shallow etch of the default epi stack)."""
    layer = tuple(xs.layer) if not hasattr(xs.layer, "layer") else (int(xs.layer.layer), int(xs.layer.datatype))
    e = EpiStack()
    if layer == tuple(LAYER.WG_SHALLOW):
        return {"etch_depth_um": round(e.shallow_etch_depth_um, 6)}
    if layer == tuple(LAYER.WG_DEEP):
        return {"etch_depth_um": round(e.deep_etch_depth_um, 6)}
    return {}


#: Cell name -> factory.
cells = make_routing_cells("xs_deep", "xs_m2", info=etch_depth_um)
straight = cells["straight"]
bend_euler = cells["bend_euler"]
bend_circular = cells["bend_circular"]
bend_s = cells["bend_s"]
taper = cells["taper"]
wire_straight = cells["wire_straight"]
wire_corner = cells["wire_corner"]
