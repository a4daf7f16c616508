"""Generic InP platform (``inp``)."""

from .tech import LAYER, EpiStack, get_layer_stack, get_layer_views
from .xsections import cross_sections, xs_deep, xs_m1, xs_m2, xs_pcontact, xs_shallow
from .rules import RULES
from .process import get_process

__all__ = [
    "LAYER", "EpiStack", "get_layer_stack", "get_layer_views",
    "cross_sections", "xs_deep", "xs_m1", "xs_m2", "xs_pcontact", "xs_shallow", "RULES", "get_process",
]
