"""DBR laser: rear DBR / gain / phase / front DBR sections on a shallow ridge, with electrodes.

The gratings are drawn as GRATING windows over the DBR sections (the first-order teeth, period
``grating_period`` nm, are written by e-beam inside the window as in generic-foundry black boxes);
the Bragg wavelength follows in the model from the period and the mode index (lambda_B = 2 n_eff
Lambda). ACTIVE marks the MQW gain section (butt-joint); isolation sections separate the four
electrodes. Deep-shallow transitions at both ends give deep-ridge ports: o1 (rear, behind the
rear mirror) and o2 (front output).
"""

from __future__ import annotations

import gdsfactory as gf

from ...pdk.inp.tech import LAYER
from ...pdk.inp.xsections import xs_shallow
from ...validate import check_range
from ..floorplan import TX_DBR_FIELDS, TX_DBR_RANGES
from .electrodes import ELECTRODE, add_electrode, add_isolation
from .waveguides import transition_deep_shallow

__all__ = ["dbr_laser"]


@gf.cell
def dbr_laser(rear_dbr_length: float = 300.0, gain_length: float = 400.0, phase_length: float = 150.0,
              front_dbr_length: float = 100.0, grating_period: float = 238.45, width: float = 2.0,
              sides: tuple[int, int, int, int] = (1, -1, 1, -1),
              tab_x: tuple[float | None, float | None, float | None, float | None] = (None, None, None, None),
              deep_width: float = 1.5) -> gf.Component:
    """DBR laser (um; ``grating_period`` in nm, 230-250 for first order at 1.55 um).

    Section lengths: rear DBR 100-800, gain 200-1000, phase 50-400, front DBR 30-400
    (``components.floorplan.TX_DBR_RANGES``, under the design's ``dbr_*`` names). ``sides``
    and ``tab_x`` place each section's pad tab (e1 rear DBR, e2 gain, e3 phase, e4 front DBR).
    ``width`` is the shallow laser ridge; ``deep_width`` the deep ridge at the ports o1/o2.
    """
    given = {"rear_dbr_length": rear_dbr_length, "gain_length": gain_length, "phase_length": phase_length,
             "front_dbr_length": front_dbr_length, "grating_period": grating_period}
    for field, name in TX_DBR_FIELDS.items():  # the ranges the design's dbr_* fields are drawn for
        check_range(name, given[name], *TX_DBR_RANGES[field], "nm" if field.endswith("_nm") else "um")
    check_range("width", width, 1.4, 3.0, "um")
    iso = ELECTRODE["iso_len"]
    c = gf.Component()
    t1 = c.add_ref(transition_deep_shallow(width_deep=deep_width, width_shallow=width), name="tr_rear")
    lengths = [rear_dbr_length, gain_length, phase_length, front_dbr_length]
    total = sum(lengths) + 5 * iso
    wg = c.add_ref(gf.components.straight(length=total, cross_section=xs_shallow(width=width)), name="cavity")
    wg.connect("o1", t1.ports["o2"])
    t2 = c.add_ref(transition_deep_shallow(width_deep=deep_width, width_shallow=width), name="tr_front")
    t2.connect("o2", wg.ports["o2"])
    x = wg.ports["o1"].dcenter[0]
    add_isolation(c, x, x + iso)
    x += iso
    band = width / 2 + 2.0
    for k, (L, name) in enumerate(zip(lengths, ("rear_dbr", "gain", "phase", "front_dbr"))):
        if name.endswith("dbr"):
            c.add_polygon([(x, -band), (x + L, -band), (x + L, band), (x, band)], layer=LAYER.GRATING)
        if name == "gain":
            c.add_polygon([(x, -band), (x + L, -band), (x + L, band), (x, band)], layer=LAYER.ACTIVE)
        add_electrode(c, f"e{k + 1}", x, x + L, side=sides[k], tab_x=None if tab_x[k] is None else x + tab_x[k])
        add_isolation(c, x + L, x + L + iso)
        x += L + iso
    c.add_port("o1", port=t1.ports["o1"])
    c.add_port("o2", port=t2.ports["o1"])
    c.flatten(merge=False)  # a leaf with a sax model (circuits.kit: cells with models are leaves)
    c.info.update(dict(rear_dbr_length=float(rear_dbr_length), gain_length=float(gain_length),
                       phase_length=float(phase_length), front_dbr_length=float(front_dbr_length),
                       grating_period_nm=float(grating_period), width=float(width)))
    return c
