"""Cross-sections of the ``inp`` platform: shallow and deep ridges, and the electrical traces."""

from __future__ import annotations

import gdsfactory as gf

from ...validate import check_range
from ..registry import xsection_registry
from .tech import LAYER

xsection, _REGISTRY = xsection_registry()

__all__ = [
    "DEEP_RADIUS_MIN_UM",
    "SHALLOW_RADIUS_MIN_UM",
    "cross_sections",
    "xs_deep",
    "xs_m1",
    "xs_m2",
    "xs_pcontact",
    "xs_shallow",
]

#: Deep ridges guide by high lateral contrast: 100 um bends are routine on generic platforms
#: (Smit 2014; HHI E1700 allows 250 um with a 2.3 um ridge at lower radiation loss).
DEEP_RADIUS_MIN_UM = 100.0
#: Shallow ridges radiate below about 500 um (HHI E600 min 450 um; Smit 2014).
SHALLOW_RADIUS_MIN_UM = 500.0


@xsection
def xs_deep(width: float = 1.5, radius: float = 150.0) -> gf.CrossSection:
    """Deep-etched ridge (um): width 0.8-5, radius >= 100 um."""
    check_range("width", width, 0.8, 5.0, "um")
    check_range("radius", radius, DEEP_RADIUS_MIN_UM, 1e5, "um")
    return gf.cross_section.cross_section(width=width, layer=LAYER.WG_DEEP, radius=radius,
                                          radius_min=DEEP_RADIUS_MIN_UM)


@xsection
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


@xsection
def xs_pcontact(width: float = 1.2) -> gf.CrossSection:
    """p-contact metal strip on a ridge (um)."""
    check_range("width", width, 1.0, 5.0, "um")
    return _electrical(width, LAYER.PCONTACT)


@xsection
def xs_m1(width: float = 10.0) -> gf.CrossSection:
    """First interconnect metal (um)."""
    check_range("width", width, 3.0, 200.0, "um")
    return _electrical(width, LAYER.METAL1)


@xsection
def xs_m2(width: float = 20.0) -> gf.CrossSection:
    """Second, plated interconnect metal (um)."""
    check_range("width", width, 5.0, 200.0, "um")
    return _electrical(width, LAYER.METAL2)


#: This platform's cross-sections only (no generic gdsfactory names, no other platform's).
cross_sections = dict(_REGISTRY)
