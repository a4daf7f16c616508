"""Electro-optic phase modulator, carrier-injection VOA and the Mach-Zehnder intensity modulator."""

from __future__ import annotations

import gdsfactory as gf

from ...pdk.inp.xsections import DEEP_RADIUS_MIN_UM, xs_deep
from ...validate import check_range
from .electrodes import ELECTRODE, add_electrode, add_isolation
from .mmi import mmi1x2, mmi2x2
from .waveguides import bend_deep, straight_deep

__all__ = ["phase_modulator", "voa", "bend_s_deep", "mzm", "DETOUR_MIN_UM"]


def _section(length: float, width: float, side: int, tab_x: float | None, name: str) -> gf.Component:
    iso = ELECTRODE["iso_len"]
    c = gf.Component()
    ref = c << gf.components.straight(length=length + 2 * iso, cross_section=xs_deep(width=width))
    add_isolation(c, 0.0, iso)
    add_isolation(c, length + iso, length + 2 * iso)
    add_electrode(c, name, iso, iso + length, side=side, tab_x=None if tab_x is None else iso + tab_x)
    c.add_ports(ref.ports)
    # a leaf: the cell has a sax model, so its netlist must not expand into the bare straight
    # (circuits.kit: cells with models are leaves)
    c.flatten(merge=False)
    return c


@gf.cell
def phase_modulator(length: float = 1500.0, width: float = 1.5, side: int = 1, tab_x: float | None = None) -> gf.Component:
    """Reverse-biased p-i-n EO phase modulator on a deep ridge.

    ``length`` (50-5000 um) is the electrode length; isolation sections of 20 um on both ends;
    ``side`` puts the pad tab above (+1) or below (-1) the ridge, at ``tab_x`` um from the start of
    the electrode (default centre). Ports o1/o2 (optical), e1 (METAL2 landing).
    """
    check_range("length", length, 50.0, 5000.0, "um")
    check_range("width", width, 1.2, 3.0, "um")
    c = _section(length, width, side, tab_x, "e1")
    c.info.update(dict(length=float(length), passive_length=2 * ELECTRODE["iso_len"], width=float(width)))
    return c


@gf.cell
def voa(length: float = 500.0, width: float = 1.5, side: int = 1, tab_x: float | None = None) -> gf.Component:
    """Variable optical attenuator of the carrier-injection (absorber) type: a forward-biased passive
    p-i-n section on a deep ridge whose injected carriers absorb (free-carrier / intervalence-band
    absorption). Chosen over an MZI VOA because it needs no extra EO phase modulators (the seed chip
    counts six EOPMs, all in the IMs) and cannot leak through a coupler imbalance; its price is a
    carrier-induced phase (chirp) that the PM compensates. ``length`` 100-2000 um."""
    check_range("length", length, 100.0, 2000.0, "um")
    check_range("width", width, 1.2, 3.0, "um")
    c = _section(length, width, side, tab_x, "e1")
    c.info.update(dict(length=float(length), width=float(width)))
    return c


@gf.cell
def bend_s_deep(length: float = 250.0, offset: float = 30.0, width: float = 1.5) -> gf.Component:
    """Deep-ridge S-bend (Bezier) of horizontal ``length`` and lateral ``offset`` (um); its minimum
    curvature radius must be >= 100 um."""
    check_range("length", length, 20.0, 2000.0, "um")
    check_range("offset", abs(offset), 0.0, 500.0, "um")
    b = gf.components.bend_s(size=(length, offset), cross_section=xs_deep(width=width))
    if b.info["min_bend_radius"] < DEEP_RADIUS_MIN_UM:
        raise ValueError(f"S-bend {length} x {offset} um has a minimum radius {b.info['min_bend_radius']:.1f} um < "
                         f"{DEEP_RADIUS_MIN_UM} um (DEEP.R.1); make it longer")
    c = b.dup()
    c.info.update(dict(length=float(b.info["length"]), width=float(width)))
    return c


_BEND_R = 150.0
#: Smallest non-zero arm-length imbalance: a detour of four 90 deg Euler bends (R = 150 um).
DETOUR_MIN_UM = round(4 * 249.553 - 4 * _BEND_R, 1) + 0.1


@gf.cell
def mzm(pm_length: float = 1500.0, bias_length: float = 300.0, arm_spacing: float = 80.0,
        delta_length: float = 0.0, sbend_length: float = 250.0, width: float = 1.5,
        tab_x: tuple[float, float, float, float] | None = None) -> gf.Component:
    """Mach-Zehnder intensity modulator: 1x2 MMI splitter, two arms each with an RF phase modulator
    (``pm_length``) and a DC bias phase modulator (``bias_length``), and a 2x2 MMI combiner whose
    top output is o2 (through) and bottom output o3 (complementary / monitor).

    ``delta_length`` (0 or >= DETOUR_MIN_UM um) lengthens the bottom arm by a detour of four Euler
    bends; the top arm gets a matching straight. ``tab_x`` = pad-tab positions (um from each
    electrode start) of (top RF, bottom RF, top bias, bottom bias); default 0.3/0.7 of each length. Top-arm pads face up (e1 RF, e3 bias), bottom-arm
    pads face down (e2 RF, e4 bias). Instances: ``split``, ``comb``, ``pm_top``, ``pm_bot``,
    ``bias_top``, ``bias_bot``.
    """
    check_range("arm_spacing", arm_spacing, 60.0, 400.0, "um")
    check_range("bias_length", bias_length, 50.0, 1000.0, "um")
    if delta_length != 0.0:
        check_range("delta_length", delta_length, DETOUR_MIN_UM, 5000.0, "um")
    if tab_x is None:
        tab_x = (0.3 * pm_length, 0.7 * pm_length, 0.2 * bias_length, 0.8 * bias_length)
    c = gf.Component()
    sp = c.add_ref(mmi1x2(wg_width=width), name="split")
    cb = mmi2x2(wg_width=width)
    dy_in = arm_spacing / 2 - abs(sp.ports["o2"].dcenter[1])
    dy_out = arm_spacing / 2 - abs(cb.ports["o4"].dcenter[1])
    arms = {}
    for arm, port, sgn, k in (("top", "o2", 1, 0), ("bot", "o3", -1, 1)):
        s1 = c.add_ref(bend_s_deep(length=sbend_length, offset=sgn * dy_in, width=width), name=f"sin_{arm}")
        s1.connect("o1", sp.ports[port])
        pm = c.add_ref(phase_modulator(length=pm_length, width=width, side=sgn, tab_x=tab_x[k]), name=f"pm_{arm}")
        pm.connect("o1", s1.ports["o2"])
        bi = c.add_ref(phase_modulator(length=bias_length, width=width, side=sgn, tab_x=tab_x[k + 2]), name=f"bias_{arm}")
        bi.connect("o1", pm.ports["o2"])
        last = bi
        if delta_length:
            if arm == "top":
                st = c.add_ref(straight_deep(length=4 * _BEND_R, width=width), name="detour_match")
                st.connect("o1", last.ports["o2"])
                last = st
            else:
                s = (delta_length - (4 * bend_deep(radius=_BEND_R, width=width).info["length"] - 4 * _BEND_R)) / 2
                seq = [("b", 90.0), ("s", s), ("b", -90.0), ("b", -90.0), ("s", s), ("b", 90.0)]
                for k, (kind, v) in enumerate(seq):
                    comp = bend_deep(radius=_BEND_R, angle=-v, width=width) if kind == "b" else straight_deep(length=v, width=width)
                    r = c.add_ref(comp, name=f"detour_{k}")
                    r.connect("o1", last.ports["o2"])
                    last = r
        s2 = c.add_ref(bend_s_deep(length=sbend_length, offset=-sgn * dy_out, width=width), name=f"sout_{arm}")
        s2.connect("o1", last.ports["o2"])
        arms[arm] = (s2, pm, bi)
    co = c.add_ref(cb, name="comb")
    co.connect("o1", arms["top"][0].ports["o2"])
    c.add_port("o1", port=sp.ports["o1"])
    c.add_port("o2", port=co.ports["o4"])
    c.add_port("o3", port=co.ports["o3"])
    c.add_port("e1", port=arms["top"][1].ports["e1"])
    c.add_port("e2", port=arms["bot"][1].ports["e1"])
    c.add_port("e3", port=arms["top"][2].ports["e1"])
    c.add_port("e4", port=arms["bot"][2].ports["e1"])
    c.info.update(dict(pm_length=float(pm_length), bias_length=float(bias_length), delta_length=float(delta_length)))
    return c
