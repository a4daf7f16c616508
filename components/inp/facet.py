"""Spot-size converter at the cleaved facet: deep-to-shallow transition and a shallow taper."""

from __future__ import annotations

import gdsfactory as gf

from ...pdk.inp.tech import LAYER
from ...pdk.inp.xsections import xs_shallow
from ...validate import check_range
from .waveguides import transition_deep_shallow

__all__ = ["ssc_facet", "ssc_taper"]


@gf.cell
def ssc_taper(taper_length: float = 150.0, end_width: float = 3.5, width: float = 2.0) -> gf.Component:
    """Shallow-ridge taper of the spot-size converter: ``width`` (o1) widens linearly to ``end_width``
    over ``taper_length - 5`` um, then runs 5 um straight to the facet (o2), so the facet corners are
    square."""
    check_range("taper_length", taper_length, 50.0, 500.0, "um")
    c = gf.Component()
    xt = taper_length - 5.0
    c.add_polygon([(0, -width / 2), (xt, -end_width / 2), (taper_length, -end_width / 2), (taper_length, end_width / 2),
                   (xt, end_width / 2), (0, width / 2)], layer=LAYER.WG_SHALLOW)
    c.add_port("o1", center=(0, 0), width=width, orientation=180, cross_section=xs_shallow(width=width))
    c.add_port("o2", center=(taper_length, 0), width=end_width, orientation=0, cross_section=xs_shallow(width=end_width))
    c.info.update({"length": float(taper_length)})
    return c


@gf.cell
def ssc_facet(taper_length: float = 150.0, end_width: float = 3.5, width: float = 2.0,
              deep_width: float = 1.5) -> gf.Component:
    """Spot-size converter: the deep ridge (o1, ``deep_width``) turns shallow (``width``) and the shallow ridge widens to
    ``end_width`` (2-5 um) over ``taper_length`` (50-500 um) at the facet port o2, enlarging the
    mode towards a lensed fibre. The facet itself is cleaved normal to the ridge (no tilt is drawn;
    the coupling loss model assumes an anti-reflection coating)."""
    check_range("taper_length", taper_length, 50.0, 500.0, "um")
    check_range("end_width", end_width, 2.0, 5.0, "um")
    c = gf.Component()
    tr = c.add_ref(transition_deep_shallow(width_deep=deep_width, width_shallow=width), name="tr")
    tp = c.add_ref(ssc_taper(taper_length=taper_length, end_width=end_width, width=width), name="taper")
    tp.connect("o1", tr.ports["o2"])
    c.add_port("o1", port=tr.ports["o1"])
    c.add_port("o2", port=tp.ports["o2"])
    c.info.update({"length": float(taper_length + tr.cell.info["length"])})
    return c
