"""Si3N4-in-SiO2 platform: layer map, layer stack, layer views and platform constants.

The reference server chip (seed article, Fig. 2b) is a 100 nm thick LPCVD Si3N4 film embedded in
SiO2: a thin, low-confinement, low-loss guide whose dispersion is strongly normal (physics.md 1.4).
Film thickness is a parameter of the stack (:func:`get_layer_stack`).
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

from .geometry import (
    EDGE_EXCLUSION_MM,
    THICKNESS_RANGE_NM,
    WAFER_DIAMETER_MM,
    SinStack,
    min_bend_radius_um,
)

nm = 1e-3

__all__ = [
    "CONNECTIVITY",
    "DEFAULT_XS",
    "EDGE_EXCLUSION_MM",
    "LAYER",
    "THICKNESS_RANGE_NM",
    "WAFER_DIAMETER_MM",
    "SinStack",
    "get_layer_stack",
    "get_layer_views",
    "min_bend_radius_um",
]

class LAYER(LayerMap):
    """GDS layer map of the ``sin`` platform."""

    WG: Layer = (1, 0)  # Si3N4 core (drawn = nitride kept)
    HEATER: Layer = (11, 0)  # Pt/TiN microheater
    METAL: Layer = (12, 0)  # Au routing metal
    PAD: Layer = (13, 0)  # passivation opening over pads
    TRENCH: Layer = (14, 0)  # deep trench through the oxide (facets, thermal isolation)
    DICING: Layer = (15, 0)  # dicing lane
    FLOORPLAN: Layer = (99, 0)  # chip outline
    TEXT: Layer = (66, 0)  # labels (polygon text)
    DRC_EXCLUDE: Layer = (100, 0)  # region excluded from DRC (e.g. vendor logos)


#: Electrically connected layers (gdsfactory ``connectivity``): the Au leads overlap the Pt heater
#: ends directly (no via layer).
CONNECTIVITY = (("HEATER", "METAL"),)
#: Default cross-sections of routes: optical, electrical.
DEFAULT_XS = {"optical": "xs_sin", "electrical": "xs_metal"}


@functools.lru_cache(maxsize=16)
def get_layer_stack(thickness_nm: float = 100.0) -> LayerStack:
    """gdsfactory LayerStack for a film of ``thickness_nm`` (z = 0 at the bottom of the core)."""
    s = SinStack(thickness_nm=thickness_nm)
    t = s.thickness_nm * nm
    return LayerStack(
        layers=dict(
            box=LayerLevel(
                layer=LogicalLayer(layer=LAYER.FLOORPLAN), thickness=s.box_um, zmin=-s.box_um, material="SiO2",
                mesh_order=9,
            ),
            core=LayerLevel(
                layer=LogicalLayer(layer=LAYER.WG), thickness=t, zmin=0.0, material="Si3N4",
                sidewall_angle=s.sidewall_angle_deg, mesh_order=1,
            ),
            clad=LayerLevel(
                layer=LogicalLayer(layer=LAYER.FLOORPLAN), thickness=s.top_clad_um, zmin=t, material="SiO2",
                mesh_order=9,
            ),
            heater=LayerLevel(
                layer=LogicalLayer(layer=LAYER.HEATER), thickness=s.heater_thickness_nm * nm,
                zmin=t + s.top_clad_um, material="Pt", mesh_order=2,
            ),
            metal=LayerLevel(
                layer=LogicalLayer(layer=LAYER.METAL), thickness=s.metal_thickness_nm * nm,
                zmin=t + s.top_clad_um + s.heater_thickness_nm * nm, material="Au", mesh_order=2,
            ),
        )
    )


@functools.lru_cache(maxsize=1)
def get_layer_views() -> LayerViews:
    """KLayout layer views of the ``sin`` platform: each layer shown by name and number (``WG 1/0``)."""
    colors = {
        "WG": "#ff0000",
        "HEATER": "#ff9d00",
        "METAL": "#ffd700",
        "PAD": "#00ff00",
        "TRENCH": "#5f5f5f",
        "DICING": "#808080",
        "FLOORPLAN": "#c0c0c0",
        "TEXT": "#0000ff",
        "DRC_EXCLUDE": "#ff00ff",
    }
    views = {}
    for name, color in colors.items():
        hatch = "hollow" if name in ("FLOORPLAN", "DICING", "DRC_EXCLUDE") else "dotted"
        views[name] = LayerView(name=name, layer=tuple(getattr(LAYER, name)), color=color, hatch_pattern=hatch,
                                layer_in_name=True)
    return LayerViews(layer_views=views)
