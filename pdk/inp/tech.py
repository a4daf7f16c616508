"""Generic InP platform: layer map, epitaxial stack, layer views and platform constants.

Modelled on public generic-foundry practice (Smit et al., Semicond. Sci. Technol. 29, 083001
(2014); Augustin et al., IEEE JSTQE 24, 6100210 (2018); layer naming after the public HHI
gdsfactory template): a lattice-matched InGaAsP core (Q1.25, 500 nm) between an n-InP substrate
and a 1.5 um p-InP top cladding, shallow-etched ridges (low loss, large bends) that stop 100 nm
into the core and deep-etched ridges (tight bends, MMIs, phase modulators) etched 1 um below the
core, BCB planarisation, an active (MQW) gain region, DBR gratings, isolation sections, a
p-contact metal and two interconnect metals.

Reverse-biased phase modulators use the undoped core as the intrinsic region of a p-i-n diode
(d_i = core thickness), which is where the electro-optic effect acts (physics.md 4.2).
"""

from __future__ import annotations

import functools

from gdsfactory.technology import (
    LayerLevel,
    LayerMap,
    LayerStack,
    LayerView,
    LayerViews,
    LogicalLayer,
)
from gdsfactory.typings import Layer

from .geometry import EDGE_EXCLUSION_MM, WAFER_DIAMETER_MM, EpiStack

__all__ = [
    "CONNECTIVITY",
    "DEFAULT_XS",
    "EDGE_EXCLUSION_MM",
    "LAYER",
    "WAFER_DIAMETER_MM",
    "EpiStack",
    "get_layer_stack",
    "get_layer_views",
]

class LAYER(LayerMap):
    """GDS layer map of the ``inp`` platform."""

    WG_DEEP: Layer = (1, 0)  # deep-etched ridge (drawn = ridge kept)
    WG_SHALLOW: Layer = (2, 0)  # shallow-etched ridge (drawn = ridge kept)
    ACTIVE: Layer = (3, 0)  # MQW gain region (butt-joint regrowth)
    GRATING: Layer = (4, 0)  # DBR grating (first-order, e-beam written)
    ISOLATION: Layer = (5, 0)  # electrical isolation section (p-cladding etched / implanted)
    PCONTACT: Layer = (6, 0)  # p-contact metal on the ridge
    METAL1: Layer = (10, 0)  # first interconnect metal
    VIA: Layer = (11, 0)  # BCB via between METAL1 and METAL2
    METAL2: Layer = (12, 0)  # second (thick, plated) metal
    PAD: Layer = (13, 0)  # passivation opening over bond pads
    FLOORPLAN: Layer = (99, 0)  # chip outline
    TEXT: Layer = (66, 0)  # labels
    DRC_EXCLUDE: Layer = (100, 0)


#: Electrically connected layers (gdsfactory ``connectivity``): the p-contact lies under METAL1,
#: METAL1 reaches the plated METAL2 through BCB vias.
CONNECTIVITY = (("PCONTACT", "METAL1"), ("METAL1", "VIA", "METAL2"))
#: Default cross-sections of routes: optical (deep ridge), electrical (plated METAL2).
DEFAULT_XS = {"optical": "xs_deep", "electrical": "xs_m2"}


@functools.lru_cache(maxsize=8)
def get_layer_stack(epi: EpiStack | None = None) -> LayerStack:
    """gdsfactory LayerStack (z = 0 at the bottom of the core)."""
    e = epi or EpiStack()
    tc, tt = e.core_thickness_um, e.top_clad_um
    return LayerStack(
        layers=dict(
            substrate=LayerLevel(layer=LogicalLayer(layer=LAYER.FLOORPLAN), thickness=5.0, zmin=-5.0,
                                 material="InP", mesh_order=9),
            deep_lower=LayerLevel(layer=LogicalLayer(layer=LAYER.WG_DEEP), thickness=e.deep_etch_below_core_um,
                                  zmin=-e.deep_etch_below_core_um, material="InP",
                                  sidewall_angle=e.sidewall_angle_deg, mesh_order=3),
            core=LayerLevel(layer=LogicalLayer(layer=LAYER.WG_DEEP), thickness=tc, zmin=0.0,
                            material=e.core_material, sidewall_angle=e.sidewall_angle_deg, mesh_order=1),
            top_clad=LayerLevel(layer=LogicalLayer(layer=LAYER.WG_DEEP), thickness=tt, zmin=tc, material="InP",
                                sidewall_angle=e.sidewall_angle_deg, mesh_order=2),
            shallow_ridge=LayerLevel(layer=LogicalLayer(layer=LAYER.WG_SHALLOW), thickness=tt + e.shallow_etch_into_core_um,
                                     zmin=tc - e.shallow_etch_into_core_um, material="InP",
                                     sidewall_angle=e.sidewall_angle_deg, mesh_order=2),
            pcontact=LayerLevel(layer=LogicalLayer(layer=LAYER.PCONTACT), thickness=0.3, zmin=tc + tt + e.contact_thickness_um,
                                material="Au", mesh_order=4),
            metal1=LayerLevel(layer=LogicalLayer(layer=LAYER.METAL1), thickness=0.5, zmin=tc + tt + 0.5,
                              material="Au", mesh_order=4),
            metal2=LayerLevel(layer=LogicalLayer(layer=LAYER.METAL2), thickness=3.0, zmin=tc + tt + 2.0,
                              material="Au", mesh_order=4),
        )
    )


@functools.lru_cache(maxsize=1)
def get_layer_views() -> LayerViews:
    """KLayout layer views of the ``inp`` platform: each layer shown by name and number (``WG_DEEP 1/0``)."""
    colors = {
        "WG_DEEP": "#ff0000",
        "WG_SHALLOW": "#ff8080",
        "ACTIVE": "#a000ff",
        "GRATING": "#00c0c0",
        "ISOLATION": "#404040",
        "PCONTACT": "#ff9d00",
        "METAL1": "#ffd700",
        "VIA": "#008000",
        "METAL2": "#c8a000",
        "PAD": "#00ff00",
        "FLOORPLAN": "#c0c0c0",
        "TEXT": "#0000ff",
        "DRC_EXCLUDE": "#ff00ff",
    }
    views = {}
    for name, color in colors.items():
        hatch = "hollow" if name in ("FLOORPLAN", "DRC_EXCLUDE") else "dotted"
        views[name] = LayerView(name=name, layer=tuple(getattr(LAYER, name)), color=color, hatch_pattern=hatch,
                                layer_in_name=True)
    return LayerViews(layer_views=views)
