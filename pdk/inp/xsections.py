"""Cross-sections of the ``inp`` platform: shallow and deep ridges, and the electrical traces."""

from __future__ import annotations

import sys

import gdsfactory as gf
from gdsfactory.cross_section import get_cross_sections

from ...validate import check_range
from .tech import LAYER

__all__ = [
    "xs_deep", "xs_shallow", "xs_pcontact", "xs_m1", "xs_m2", "cross_sections",
    "DEEP_RADIUS_MIN_UM", "SHALLOW_RADIUS_MIN_UM",
]

#: Deep ridges guide by high lateral contrast: 100 um bends are routine on generic platforms
#: (Smit 2014; HHI E1700 allows 250 um with a 2.3 um ridge at lower radiation loss).
DEEP_RADIUS_MIN_UM = 100.0
#: Shallow ridges radiate below about 500 um (HHI E600 min 450 um; Smit 2014).
SHALLOW_RADIUS_MIN_UM = 500.0


@gf.xsection
def xs_deep(width: float = 1.5, radius: float = 150.0) -> gf.CrossSection:
    """Deep-etched ridge (um): width 0.8-5, radius >= 100 um."""
    check_range("width", width, 0.8, 5.0, "um")
    check_range("radius", radius, DEEP_RADIUS_MIN_UM, 1e5, "um")
    return gf.cross_section.cross_section(width=width, layer=LAYER.WG_DEEP, radius=radius,
                                          radius_min=DEEP_RADIUS_MIN_UM)


@gf.xsection
def xs_shallow(width: float = 2.0, radius: float = 600.0) -> gf.CrossSection:
    """Shallow-etched ridge (um): width 1.2-5, radius >= 500 um."""
    check_range("width", width, 1.2, 5.0, "um")
    check_range("radius", radius, SHALLOW_RADIUS_MIN_UM, 1e5, "um")
    return gf.cross_section.cross_section(width=width, layer=LAYER.WG_SHALLOW, radius=radius,
                                          radius_min=SHALLOW_RADIUS_MIN_UM)


def _electrical(width: float, layer) -> gf.CrossSection:
    return gf.cross_section.cross_section(
        width=width, layer=layer, radius=None, radius_min=None,
        port_names=("e1", "e2"), port_types=("electrical", "electrical"),
    )


@gf.xsection
def xs_pcontact(width: float = 1.2) -> gf.CrossSection:
    """p-contact metal strip on a ridge (um)."""
    check_range("width", width, 1.0, 5.0, "um")
    return _electrical(width, LAYER.PCONTACT)


@gf.xsection
def xs_m1(width: float = 10.0) -> gf.CrossSection:
    """First interconnect metal (um)."""
    check_range("width", width, 3.0, 200.0, "um")
    return _electrical(width, LAYER.METAL1)


@gf.xsection
def xs_m2(width: float = 20.0) -> gf.CrossSection:
    """Second, plated interconnect metal (um)."""
    check_range("width", width, 5.0, 200.0, "um")
    return _electrical(width, LAYER.METAL2)


cross_sections = get_cross_sections(sys.modules[__name__])
