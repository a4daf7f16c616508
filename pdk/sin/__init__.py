"""Si3N4-in-SiO2 platform (``sin``)."""

from .tech import LAYER, SinStack, get_layer_stack, get_layer_views, min_bend_radius_um
from .xsections import cross_sections, xs_heater, xs_metal, xs_sin
from .rules import RULES
from .process import get_process

__all__ = [
    "LAYER", "SinStack", "get_layer_stack", "get_layer_views", "min_bend_radius_um",
    "cross_sections", "xs_heater", "xs_metal", "xs_sin", "RULES", "get_process",
]
