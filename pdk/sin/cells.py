"""Routing cells of the ``sin`` platform on its own cross-sections (default ``xs_sin``, wires on
``xs_metal``): ``straight``, ``bend_euler``, ``bend_circular``, ``bend_s``, ``taper``,
``wire_straight``, ``wire_corner`` (see :mod:`qchipnet.pdk.routing_cells`)."""

from __future__ import annotations

from ..routing_cells import make_routing_cells

__all__ = ["bend_circular", "bend_euler", "bend_s", "cells", "straight", "taper", "wire_corner", "wire_straight"]

#: Cell name -> factory.
cells = make_routing_cells("xs_sin", "xs_metal")
straight = cells["straight"]
bend_euler = cells["bend_euler"]
bend_circular = cells["bend_circular"]
bend_s = cells["bend_s"]
taper = cells["taper"]
wire_straight = cells["wire_straight"]
wire_corner = cells["wire_corner"]
