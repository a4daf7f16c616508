"""Si3N4 (``sin`` platform) cells: microrings with point/pulley couplers, heater, edge coupler, bus."""

from __future__ import annotations

from .edge_coupler import edge_coupler
from .heater import heater_ring
from .ring import ring_adddrop, ring_allpass, ring_arc, ring_coupler_point, ring_coupler_pulley
from .routing import bus_straight

__all__ = [
    "ring_arc",
    "ring_coupler_point",
    "ring_coupler_pulley",
    "ring_allpass",
    "ring_adddrop",
    "heater_ring",
    "edge_coupler",
    "bus_straight",
    "CELLS",
]

#: Cell name -> factory (the names the sax ``MODELS`` registry uses).
CELLS = {
    "ring_arc": ring_arc,
    "ring_coupler_point": ring_coupler_point,
    "ring_coupler_pulley": ring_coupler_pulley,
    "ring_allpass": ring_allpass,
    "ring_adddrop": ring_adddrop,
    "heater_ring": heater_ring,
    "edge_coupler": edge_coupler,
    "bus_straight": bus_straight,
}
