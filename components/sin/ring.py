"""Si3N4 microring cells: ring arcs, point and pulley bus couplers, all-pass and add-drop rings.

Geometry convention: the ring centre is the cell origin; each ring is two half rings, each below
4000 polygon vertices even at R = 1 mm (0.5 nm sagitta), joined at (+-R, 0) by ports facing up or
down, so every port is Manhattan. The bottom half belongs to the bus coupler cell, so that
``get_netlist()`` of a ring gives exactly the sax circuit: coupler(s) + ring arc.

Every cell publishes in ``c.info`` the parameters of its model (``qchipnet.models.sin``) under the
model's names (``radius_um``, ``width_um``, ``bus_width_um``, ``gap_um``, ``thickness_nm``,
``length_um``, ``interaction_length_um``...).
"""

from __future__ import annotations

import math

import gdsfactory as gf
import numpy as np

from ...pdk.sin.rules import RULES
from ...pdk.sin.geometry import POINT_COUPLER_WINDOW_UM, min_bend_radius_um, point_coupler_length_um
from ...pdk.sin.tech import LAYER
from ...pdk.sin.xsections import xs_sin
from ...validate import InputError, check_range
from .geometry import arc_points, ribbon
from .heater import heater_ring

__all__ = [
    "ring_arc",
    "ring_coupler_point",
    "ring_coupler_pulley",
    "ring_allpass",
    "ring_adddrop",
    "MIN_GAP_UM",
    "POINT_COUPLER_WINDOW_UM",
]

#: Minimum drawn gap: the WG spacing rule of the ``sin`` platform.
MIN_GAP_UM = next(r.value for r in RULES if r.name == "WG.S.1")
_MAX_GAP_UM = 10.0


def _check(name: str, value: float, lo: float, hi: float, unit: str, why: str) -> None:
    """check_range, with the rule behind the limit appended to the message."""
    try:
        check_range(name, value, lo, hi, unit)
    except InputError as exc:
        raise InputError(f"{exc} ({why})") from None


def _check_ring(radius: float, width: float, thickness_nm: float) -> gf.CrossSection:
    xs = xs_sin(width=width, radius=max(radius, min_bend_radius_um(thickness_nm)), thickness_nm=thickness_nm)
    r_min = min_bend_radius_um(thickness_nm)
    _check("radius", radius, r_min, 1e4, "um", f"minimum bend radius of a {thickness_nm:g} nm film")
    return xs


def _check_bus(bus_width: float, width: float) -> None:
    _check("bus_width", bus_width, 0.25, width, "um", "the bus may not be wider than the ring guide")


def _check_gap(name: str, gap: float) -> None:
    _check(name, gap, MIN_GAP_UM, _MAX_GAP_UM, "um", "WG.S.1 minimum spacing")


def _half_ring(c: gf.Component, radius: float, width: float, a0: float, a1: float) -> None:
    pts, nrm = arc_points(0.0, 0.0, radius, a0, a1, width)
    c.add_polygon(ribbon(pts, nrm, width), layer=LAYER.WG)


@gf.cell
def ring_arc(radius: float = 1000.0, width: float = 2.8, thickness_nm: float = 100.0) -> gf.Component:
    """Upper half ring (0..180 deg, counter-clockwise) centred on the origin.

    Ports: ``o1`` at (R, 0) and ``o2`` at (-R, 0), both facing down (270 deg).
    """
    xs = _check_ring(radius, width, thickness_nm)
    c = gf.Component()
    _half_ring(c, radius, width, 0.0, 180.0)
    c.add_port("o1", center=(radius, 0.0), width=width, orientation=270, cross_section=xs)
    c.add_port("o2", center=(-radius, 0.0), width=width, orientation=270, cross_section=xs)
    c.info.update(dict(length_um=math.pi * radius, radius_um=radius, width_um=width, thickness_nm=thickness_nm))
    return c


def _ring_side(c: gf.Component, radius: float, width: float, xs: gf.CrossSection) -> None:
    """Lower half ring with ports o4 (left, start) and o3 (right, end), both facing up."""
    _half_ring(c, radius, width, 180.0, 360.0)
    c.add_port("o3", center=(radius, 0.0), width=width, orientation=90, cross_section=xs)
    c.add_port("o4", center=(-radius, 0.0), width=width, orientation=90, cross_section=xs)


@gf.cell
def ring_coupler_point(
    radius: float = 1000.0,
    width: float = 2.8,
    bus_width: float = 2.8,
    gap: float = 2.0,
    thickness_nm: float = 100.0,
) -> gf.Component:
    """Straight bus tangent to the lower half ring (point coupler).

    Args:
        radius: ring radius to the guide centre (um).
        width: ring guide width (um).
        bus_width: bus guide width (um), at most ``width``.
        gap: edge-to-edge gap at the closest point (um), at least the WG spacing rule.
        thickness_nm: film thickness (sets the minimum radius).

    Ports: ``o1``/``o2`` bus west/east; ``o4``/``o3`` ring at (-R, 0)/(R, 0) facing up.
    """
    xs = _check_ring(radius, width, thickness_nm)
    _check_bus(bus_width, width)
    _check_gap("gap", gap)
    xs_bus = xs_sin(width=bus_width, radius=xs.radius, thickness_nm=thickness_nm)
    c = gf.Component()
    _ring_side(c, radius, width, xs)
    y0 = -(radius + width / 2 + gap + bus_width / 2)
    xb = math.ceil(radius + width / 2 + 5.0)
    c.add_polygon([(-xb, y0 - bus_width / 2), (xb, y0 - bus_width / 2), (xb, y0 + bus_width / 2),
                   (-xb, y0 + bus_width / 2)], layer=LAYER.WG)
    c.add_port("o1", center=(-xb, y0), width=bus_width, orientation=180, cross_section=xs_bus)
    c.add_port("o2", center=(xb, y0), width=bus_width, orientation=0, cross_section=xs_bus)
    c.info.update(dict(
        radius_um=radius, width_um=width, bus_width_um=bus_width, gap_um=gap,
        thickness_nm=thickness_nm, ring_length_um=math.pi * radius, bus_length_um=2.0 * xb,
        interaction_length_um=point_coupler_length_um(radius, width),
    ))
    return c


def _pulley_path(radius_bus: float, bend_radius: float, angle_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Centre line and normals of the pulley bus (right bend, concentric arc, right bend)."""
    a = math.radians(angle_deg) / 2
    # concentric arc around the origin, from 270-a to 270+a degrees
    p_mid, n_mid = arc_points(0.0, 0.0, radius_bus, 270.0 - math.degrees(a), 270.0 + math.degrees(a))
    # entry bend: centre below the start point of the concentric arc, turning from heading 0 to -a
    s = p_mid[0]
    # entry bend turns right (heading 0 -> -a): its centre lies on the far side of the bus from the ring
    ce = s + bend_radius * np.array([math.cos(1.5 * math.pi - a), math.sin(1.5 * math.pi - a)])
    p_in, n_in = arc_points(ce[0], ce[1], bend_radius, 90.0, 90.0 - math.degrees(a))
    n_in = -n_in  # normals pointing to the ring side, consistent with the concentric arc (outward = away)
    # exit bend by symmetry about the y axis
    p_out = p_in[::-1] * np.array([-1.0, 1.0])
    n_out = n_in[::-1] * np.array([-1.0, 1.0])
    pts = np.concatenate([p_in, p_mid[1:], p_out[1:]])
    nrm = np.concatenate([n_in, n_mid[1:], n_out[1:]])
    return pts, nrm


@gf.cell
def ring_coupler_pulley(
    radius: float = 1000.0,
    width: float = 2.8,
    bus_width: float = 2.2,
    gap: float = 1.5,
    pulley_angle_deg: float = 10.0,
    bus_bend_radius: float = 1000.0,
    thickness_nm: float = 100.0,
) -> gf.Component:
    """Pulley coupler: the bus wraps concentrically around the lower half ring over ``pulley_angle_deg``.

    Args:
        radius, width, thickness_nm: ring guide (um, nm).
        bus_width: bus width (um), at most ``width``; a narrower bus on the larger radius can be
            phase-matched to the ring mode.
        gap: constant edge-to-edge gap along the wrapped arc (um).
        pulley_angle_deg: angle of the concentric section (1-60 deg).
        bus_bend_radius: radius of the bends leading into and out of the wrap (um).

    Ports: ``o1``/``o2`` bus west/east (Manhattan), ``o4``/``o3`` ring at (-R, 0)/(R, 0).
    """
    xs = _check_ring(radius, width, thickness_nm)
    _check_bus(bus_width, width)
    _check_gap("gap", gap)
    check_range("pulley_angle_deg", pulley_angle_deg, 1.0, 60.0, "deg")
    _check("bus_bend_radius", bus_bend_radius, min_bend_radius_um(thickness_nm), 1e4, "um",
           f"minimum bend radius of a {thickness_nm:g} nm film")
    xs_bus = xs_sin(width=bus_width, radius=bus_bend_radius, thickness_nm=thickness_nm)
    c = gf.Component()
    _ring_side(c, radius, width, xs)
    r_bus = radius + width / 2 + gap + bus_width / 2
    pts, nrm = _pulley_path(r_bus, bus_bend_radius, pulley_angle_deg)
    c.add_polygon(ribbon(pts, nrm, bus_width), layer=LAYER.WG)
    c.add_port("o1", center=tuple(pts[0]), width=bus_width, orientation=180, cross_section=xs_bus)
    c.add_port("o2", center=tuple(pts[-1]), width=bus_width, orientation=0, cross_section=xs_bus)
    a = math.radians(pulley_angle_deg)
    c.info.update(dict(
        radius_um=radius, width_um=width, bus_width_um=bus_width, gap_um=gap,
        thickness_nm=thickness_nm, ring_length_um=math.pi * radius, pulley_angle_deg=pulley_angle_deg,
        bus_radius_um=r_bus, interaction_length_um=r_bus * a,
        bus_length_um=r_bus * a + 2 * bus_bend_radius * a / 2,
    ))
    return c


def _coupler(coupler: str, **kw) -> gf.Component:
    if coupler == "point":
        kw.pop("pulley_angle_deg")
        return ring_coupler_point(**kw)
    if coupler == "pulley":
        return ring_coupler_pulley(**kw)
    raise InputError(f"coupler = {coupler!r}; choose 'point' or 'pulley'")


@gf.cell
def ring_allpass(
    radius: float = 1000.0,
    width: float = 2.8,
    bus_width: float = 2.8,
    gap: float = 2.0,
    coupler: str = "point",
    pulley_angle_deg: float = 10.0,
    heater: bool = True,
    heater_width: float = 4.0,
    thickness_nm: float = 100.0,
) -> gf.Component:
    """All-pass microring: bus coupler (point or pulley) + upper half ring (+ optional heater with pads).

    Args: see :func:`ring_coupler_point` / :func:`ring_coupler_pulley`; ``heater`` adds a
    :func:`~qchipnet.components.sin.heater.heater_ring` of ``heater_width`` um over the upper half.
    Ports: ``o1`` (in), ``o2`` (through); electrical ``e1``, ``e2`` if ``heater``.
    """
    c = gf.Component()
    cp = c.add_ref(_coupler(coupler, radius=radius, width=width, bus_width=bus_width, gap=gap,
                            pulley_angle_deg=pulley_angle_deg, thickness_nm=thickness_nm), name="coupler")
    c.add_ref(ring_arc(radius=radius, width=width, thickness_nm=thickness_nm), name="ring")
    c.add_port("o1", port=cp.ports["o1"])
    c.add_port("o2", port=cp.ports["o2"])
    if heater:
        h = c.add_ref(heater_ring(radius=radius, heater_width=heater_width), name="heater")
        c.add_port("e1", port=h.ports["e1"])
        c.add_port("e2", port=h.ports["e2"])
    c.info.update(dict(
        radius_um=radius, width_um=width, bus_width_um=bus_width, gap_um=gap, thickness_nm=thickness_nm,
        ring_length_um=2 * math.pi * radius, coupler=coupler,
        interaction_length_um=cp.cell.info["interaction_length_um"],
    ))
    return c


@gf.cell
def ring_adddrop(
    radius: float = 1000.0,
    width: float = 2.8,
    bus_width: float = 2.8,
    gap: float = 2.0,
    gap_drop: float = 2.0,
    coupler: str = "point",
    pulley_angle_deg: float = 10.0,
    heater: bool = False,
    heater_width: float = 4.0,
    thickness_nm: float = 100.0,
) -> gf.Component:
    """Add-drop microring: through-bus coupler below, drop-bus coupler above (rotated 180 deg).

    Ports: ``o1`` in, ``o2`` through, ``o3`` drop (west, top bus), ``o4`` add (east, top bus).
    Both half rings belong to couplers, so there is no free arc for the heater: ``heater=True`` is
    rejected (the parameter exists so that all-pass and add-drop share one signature).
    """
    if heater:
        raise InputError("heater = True is not available for ring_adddrop: both half rings are bus couplers")
    _check_gap("gap_drop", gap_drop)
    c = gf.Component()
    kw = dict(radius=radius, width=width, bus_width=bus_width, pulley_angle_deg=pulley_angle_deg,
              thickness_nm=thickness_nm)
    cp = c.add_ref(_coupler(coupler, gap=gap, **kw), name="coupler")
    cd = c.add_ref(_coupler(coupler, gap=gap_drop, **kw), name="coupler_drop")
    cd.rotate(180)
    c.add_port("o1", port=cp.ports["o1"])
    c.add_port("o2", port=cp.ports["o2"])
    c.add_port("o3", port=cd.ports["o2"])
    c.add_port("o4", port=cd.ports["o1"])
    c.info.update(dict(
        radius_um=radius, width_um=width, bus_width_um=bus_width, gap_um=gap, gap_drop_um=gap_drop,
        thickness_nm=thickness_nm, ring_length_um=2 * math.pi * radius, coupler=coupler,
        interaction_length_um=cp.cell.info["interaction_length_um"],
    ))
    return c
