"""Cross-sections of the ``sin`` platform.

``xs_sin`` is the Si3N4 strip guide; its default width 2.8 um is the microcomb ring guide of the
reference design (physics.md 1.4: a 2.8 um x 100 nm guide has n_g = 1.589 and a 30.03 GHz FSR at
R = 1.000 mm). The bend radius may not go below :func:`~qchipnet.pdk.sin.tech.min_bend_radius_um`
of the film, and gdsfactory enforces ``radius_min`` when bends are drawn.
"""

from __future__ import annotations

import gdsfactory as gf

from ...validate import check_range
from ..registry import xsection_registry
from .tech import LAYER, THICKNESS_RANGE_NM, min_bend_radius_um

xsection, _REGISTRY = xsection_registry()

__all__ = ["WG_WIDTH_RANGE_UM", "cross_sections", "xs_heater", "xs_metal", "xs_sin"]

#: Widths covered by the mode tables and the DRC (min width 0.25 um for taper tips).
WG_WIDTH_RANGE_UM = (0.25, 8.0)


@xsection
def xs_sin(width: float = 2.8, radius: float = 1000.0, thickness_nm: float = 100.0) -> gf.CrossSection:
    """Si3N4 strip waveguide in SiO2.

    Args:
        width: core width (um), 0.25-8.
        radius: default routing bend radius (um); at least the film's minimum bend radius.
        thickness_nm: film thickness, sets the minimum bend radius (80-200 nm).
    """
    check_range("width", width, *WG_WIDTH_RANGE_UM, "um")
    check_range("thickness_nm", thickness_nm, *THICKNESS_RANGE_NM, "nm")
    r_min = min_bend_radius_um(thickness_nm)
    check_range("radius", radius, r_min, 1e5, "um")
    return gf.cross_section.cross_section(width=width, layer=LAYER.WG, radius=radius, radius_min=r_min)


@xsection
def xs_heater(width: float = 4.0) -> gf.CrossSection:
    """Resistive microheater trace (um)."""
    check_range("width", width, 2.0, 50.0, "um")
    return gf.cross_section.cross_section(
        width=width, layer=LAYER.HEATER, radius=None, radius_min=None,
        port_names=("e1", "e2"), port_types=("electrical", "electrical"),
    )


@xsection
def xs_metal(width: float = 10.0) -> gf.CrossSection:
    """Au routing trace (um)."""
    check_range("width", width, 5.0, 200.0, "um")
    return gf.cross_section.cross_section(
        width=width, layer=LAYER.METAL, radius=None, radius_min=None,
        port_names=("e1", "e2"), port_types=("electrical", "electrical"),
    )


#: This platform's cross-sections only (no generic gdsfactory names, no other platform's).
cross_sections = dict(_REGISTRY)
