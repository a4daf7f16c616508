"""Deep and shallow InP ridge waveguides, bends and the deep-shallow transition (um)."""

from __future__ import annotations

import gdsfactory as gf

from ...pdk.inp.tech import LAYER
from ...pdk.inp.xsections import DEEP_RADIUS_MIN_UM, SHALLOW_RADIUS_MIN_UM, xs_deep, xs_shallow
from ...validate import check_range

__all__ = ["straight_deep", "straight_shallow", "bend_deep", "bend_shallow", "transition_deep_shallow"]


@gf.cell
def straight_deep(length: float = 100.0, width: float = 1.5) -> gf.Component:
    """Deep-etched straight ridge: length 0-20000 um, width 0.8-5 um."""
    check_range("length", length, 0.0, 2e4, "um")
    c = gf.components.straight(length=length, cross_section=xs_deep(width=width)).dup()
    c.info.update(dict(length=float(length), width=float(width)))
    return c


@gf.cell
def straight_shallow(length: float = 100.0, width: float = 2.0) -> gf.Component:
    """Shallow-etched straight ridge: length 0-20000 um, width 1.2-5 um."""
    check_range("length", length, 0.0, 2e4, "um")
    c = gf.components.straight(length=length, cross_section=xs_shallow(width=width)).dup()
    c.info.update(dict(length=float(length), width=float(width)))
    return c


@gf.cell
def bend_deep(radius: float = 150.0, angle: float = 90.0, width: float = 1.5) -> gf.Component:
    """Euler bend of a deep ridge; the minimum curvature radius must stay >= 100 um (DEEP.R.1)."""
    check_range("angle", abs(angle), 1.0, 180.0, "deg")
    b = gf.components.bend_euler(radius=radius, angle=angle, cross_section=xs_deep(width=width, radius=radius))
    if b.info["min_bend_radius"] < DEEP_RADIUS_MIN_UM:
        raise ValueError(f"radius = {radius} um gives a minimum Euler radius of {b.info['min_bend_radius']:.1f} um, "
                         f"below the deep-ridge limit {DEEP_RADIUS_MIN_UM} um; use radius >= 142 um")
    c = b.dup()
    c.info.update(dict(length=float(b.info["length"]), width=float(width)))
    return c


@gf.cell
def bend_shallow(radius: float = 600.0, angle: float = 90.0, width: float = 2.0) -> gf.Component:
    """Circular bend of a shallow ridge: radius >= 500 um (SHALLOW.R.1)."""
    check_range("radius", radius, SHALLOW_RADIUS_MIN_UM, 1e5, "um")
    check_range("angle", abs(angle), 1.0, 180.0, "deg")
    b = gf.components.bend_circular(radius=radius, angle=angle, cross_section=xs_shallow(width=width, radius=radius))
    c = b.dup()
    c.info.update(dict(length=float(b.info["length"]), width=float(width)))
    return c


@gf.cell
def transition_deep_shallow(length: float = 50.0, width_deep: float = 1.5, width_shallow: float = 2.0) -> gf.Component:
    """Deep (o1) to shallow (o2) ridge transition: the deep-etch window tapers from the deep ridge
    width to 3 um beyond the shallow ridge over ``length`` (20-500 um) so the etch step is adiabatic."""
    check_range("length", length, 20.0, 500.0, "um")
    check_range("width_deep", width_deep, 0.8, 5.0, "um")
    check_range("width_shallow", width_shallow, 1.2, 5.0, "um")
    c = gf.Component()
    wide = width_shallow + 6.0
    c.add_polygon([(0, -width_deep / 2), (length, -wide / 2), (length, wide / 2), (0, width_deep / 2)], layer=LAYER.WG_DEEP)
    c.add_polygon([(length * 0.3, -width_shallow / 2), (length, -width_shallow / 2), (length, width_shallow / 2),
                   (length * 0.3, width_shallow / 2)], layer=LAYER.WG_SHALLOW)
    c.add_port("o1", center=(0, 0), width=width_deep, orientation=180, cross_section=xs_deep(width=width_deep))
    c.add_port("o2", center=(length, 0), width=width_shallow, orientation=0, cross_section=xs_shallow(width=width_shallow))
    c.info.update(dict(length=float(length)))
    return c
