"""Routing cells shared by both platforms: straights, Euler and circular bends, S-bends, linear tapers
and metal wires, drawn on whatever cross-section they are given (a name of the active PDK or a
:class:`~gdsfactory.CrossSection`).

These are the cells ``gf.routing`` asks the active PDK for by name (``straight``, ``bend_euler``,
``taper``, ``wire_straight``, ``wire_corner``); each platform registers them with its own default
cross-section (:mod:`qchipnet.pdk.sin.cells`, :mod:`qchipnet.pdk.inp.cells`), so a route on the Si3N4
PDK is Si3N4, never gdsfactory's generic 0.5 um silicon strip.

Every optical cell publishes in ``c.info`` what its sax model (``qchipnet.models.routing``) needs,
under the model's names: ``length_um`` (drawn centre-line length), ``width_um``, ``radius_um`` (the
tightest curvature radius of a bend) and, for InP, ``etch_depth_um`` of the ridge; gdsfactory's own
``info`` keys (``length``, ``radius``, ``min_bend_radius``...) stay as they are for its routers.
Curves are drawn with a chord sagitta below 0.5 nm (half the 1 nm mask grid).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import gdsfactory as gf
from gdsfactory.typings import CrossSectionSpec

__all__ = ["SAGITTA_UM", "make_routing_cells"]

#: Largest chord-to-arc deviation of drawn bends (um).
SAGITTA_UM = 5e-4


def _npoints(radius_min: float, angle_deg: float) -> int:
    dtheta = 2.0 * math.sqrt(2.0 * SAGITTA_UM / max(radius_min, 1e-3))
    return max(8, math.ceil(math.radians(abs(angle_deg)) / dtheta) + 1)


def _xs(cross_section: CrossSectionSpec, width: float | None):
    return gf.get_cross_section(cross_section, width=width) if width else gf.get_cross_section(cross_section)


def make_routing_cells(default_xs: str, default_wire_xs: str,
                       info: Callable[[gf.CrossSection], dict] = lambda xs: {}) -> dict[str, Callable]:
    """The routing cells of one platform, defaulting to ``default_xs`` (optical) and
    ``default_wire_xs`` (metal); ``info(xs)`` adds platform data (e.g. the InP etch depth)."""

    def _publish(c: gf.Component, xs: gf.CrossSection, length: float, **extra) -> gf.Component:
        c.info.update({"length_um": round(float(length), 6), "width_um": float(xs.width), **extra, **info(xs)})
        return c

    @gf.cell
    def straight(length: float = 10.0, cross_section: CrossSectionSpec = default_xs,
                         width: float | None = None, npoints: int = 2) -> gf.Component:
        xs = _xs(cross_section, width)
        c = gf.components.straight(length=length, cross_section=xs, npoints=npoints).dup()
        return _publish(c, xs, length)

    straight_optical = straight  # named ``straight`` in netlists and in the model registry

    def straight(length: float = 10.0, cross_section: CrossSectionSpec = default_xs,
                 width: float | None = None, npoints: int = 2) -> gf.Component:
        """Straight guide of ``length`` um; ports o1 (west), o2 (east). On an electrical
        cross-section (routers ask for ``straight`` on metal too) it is a :func:`wire_straight`."""
        xs = _xs(cross_section, width)
        if "electrical" in (xs.sections[0].port_types or ()):
            return wire_straight(length=length, cross_section=xs, npoints=npoints)
        return straight_optical(length=length, cross_section=cross_section, width=width, npoints=npoints)

    @gf.cell
    def bend_euler(radius: float | None = None, angle: float = 90.0, p: float = 0.5,
                   cross_section: CrossSectionSpec = default_xs, width: float | None = None,
                   allow_min_radius_violation: bool = False) -> gf.Component:
        """Euler bend (``p`` = Euler fraction); ``radius`` defaults to the cross-section's routing radius.

        The tightest curvature of a p = 0.5 Euler bend is about 0.7 ``radius``: the cross-section's
        ``radius_min`` is enforced on it unless ``allow_min_radius_violation``.
        """
        xs = _xs(cross_section, width)
        r = radius or xs.radius
        c = gf.components.bend_euler(radius=r, angle=angle, p=p, cross_section=xs,
                                     npoints=_npoints(0.5 * r, angle),
                                     allow_min_radius_violation=allow_min_radius_violation).dup()
        return _publish(c, xs, c.info["length"], radius_um=float(c.info["min_bend_radius"]))

    @gf.cell
    def bend_circular(radius: float | None = None, angle: float = 90.0,
                      cross_section: CrossSectionSpec = default_xs, width: float | None = None,
                      allow_min_radius_violation: bool = False) -> gf.Component:
        """Circular bend of ``radius`` um (default: the cross-section's routing radius)."""
        xs = _xs(cross_section, width)
        r = radius or xs.radius
        c = gf.components.bend_circular(radius=r, angle=angle, cross_section=xs, npoints=_npoints(r, angle),
                                        allow_min_radius_violation=allow_min_radius_violation).dup()
        return _publish(c, xs, c.info["length"], radius_um=float(r))

    @gf.cell
    def bend_s(size: tuple[float, float] = (1000.0, 100.0), cross_section: CrossSectionSpec = default_xs,
               width: float | None = None, allow_min_radius_violation: bool = False) -> gf.Component:
        """Bezier S-bend spanning ``size`` = (dx, dy) um; its tightest radius must respect ``radius_min``."""
        xs = _xs(cross_section, width)
        c = gf.components.bend_s(size=size, cross_section=xs, npoints=399,
                                 allow_min_radius_violation=allow_min_radius_violation).dup()
        return _publish(c, xs, c.info["length"], radius_um=float(c.info["min_bend_radius"]))

    @gf.cell
    def taper(length: float = 100.0, width1: float | None = None, width2: float | None = None,
              cross_section: CrossSectionSpec = default_xs) -> gf.Component:
        """Linear taper from ``width1`` (o1) to ``width2`` (o2) um over ``length`` um on the
        cross-section's layer (defaults: the cross-section width)."""
        xs = gf.get_cross_section(cross_section)
        w1 = width1 or xs.width
        w2 = width2 or w1
        c = gf.components.taper(length=length, width1=w1, width2=w2, cross_section=xs, with_bbox=False).dup()
        c.info.update({"length_um": float(length), "width1_um": float(w1), "width2_um": float(w2), **info(xs)})
        return c

    @gf.cell
    def wire_straight(length: float = 10.0, cross_section: CrossSectionSpec = default_wire_xs,
                      width: float | None = None, npoints: int = 2) -> gf.Component:
        """Straight metal wire; electrical ports e1, e2."""
        xs = _xs(cross_section, width)
        c = gf.components.wire_straight(length=length, cross_section=xs, npoints=npoints).dup()
        c.info.update({"length_um": float(length), "width_um": float(xs.width)})
        return c

    @gf.cell
    def wire_corner(cross_section: CrossSectionSpec = default_wire_xs, width: float | None = None,
                    radius: float | None = None) -> gf.Component:
        """90 deg metal corner; electrical ports e1, e2."""
        xs = _xs(cross_section, width)
        c = gf.components.wire_corner(cross_section=xs).dup()
        c.info.update({"width_um": float(xs.width)})
        return c

    return {f.__name__: f for f in (straight, bend_euler, bend_circular, bend_s, taper, wire_straight, wire_corner)}
