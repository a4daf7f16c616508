"""InP QKD client transmitter chip (seed article Fig. 2a, 2h): two DBR lasers, three Mach-Zehnder
intensity modulators, one phase modulator and a VOA on a 4.6 mm x 2 mm die.

Topology (rows from top to bottom; all optical outputs on the west facet, so one fibre array
collects the reference and the quantum output):

- row A: laser II (phase reference, locked to lambda_0) emitting west through a deep-ridge
  straight and a spot-size converter to the **reference output** ``o_ref``;
- row B: laser I (quantum light, locked to lambda_i) emitting east into **IM I** (pulse carving);
- row C (after a 180 deg turn, R = 150 um): **IM II** running west (decoy intensity levels);
- row D: **IM III** running east ("sending or not sending" gate);
- row E: the stand-alone **PM** (phase encoding / randomisation) and the carrier-injection
  **VOA** running west to the spot-size converter of the **quantum output** ``o_q``.

Why: the quantum chain (laser + 3 IMs + PM + VOA, ~12 mm of devices) cannot fit in one 4.6 mm
row; serpentine rows with 180 deg deep-ridge turns keep every modulator straight and parallel
(same crystal direction, so the same Pockels sign for all EOPMs), and the laser II row stays
separate from the quantum chain. Every electrode has one METAL2 pad on the north or south edge
(n-contact on the back side); routes are straight vertical METAL2 lines, crossing ridges and
METAL1 of other devices over the BCB. The complementary IM outputs (2x2 MMI bottom port) end
inside the chip as monitor taps. Chip ports: ``o_q`` and ``o_ref`` (facets), ``rear_q`` /
``rear_ref`` (laser rear ports, the sax circuit's emission inputs), ``im1_tap`` .. ``im3_tap`` (the
monitor taps, open by design), and one electrical port per pad, ``<device>_e<k>`` (the pad edge
facing the die edge, where the bond wire lands).

Electrical nets: each route is drawn by gdsfactory's router (electrical ports, wire corners) between the electrode's
port and the pad's inner port (:func:`qchipnet.components.inp.electrodes.route_to_pad`), so
``get_netlist()`` holds 22 electrical nets electrode - route - pad. The intended netlist (net
``<device>_e<k>``: pad ``pad_<device>_e<k>`` to electrode ``<device>.e<k>``) is declared once here,
written as LVS pin labels and into ``c.info["nets"]``, and checked against the connectivity
KLayout extracts from the GDS (:mod:`qchipnet.pdk.lvs`).

Where everything goes (rows, turns, pad and route x) is computed without gdsfactory by
:func:`qchipnet.components.floorplan.transmitter_floorplan`; the allowed die size is
:func:`qchipnet.components.floorplan.transmitter_chip_limits`. This cell draws that plan and checks
every drawn electrode port against it, so the limits predict exactly when the cell succeeds.
"""

from __future__ import annotations

import gdsfactory as gf

from ...pdk.inp.tech import LAYER
from ...pdk.lvs import Net, add_net_labels
from ..floorplan import (
    IM_STAGGER_UM,
    INP_PAD_UM,
    LASER,
    LASER_Q_X_UM,
    LASER_REF_X_UM,
    MZM,
    PAD_EDGE_UM,
    ROW_PITCH_UM,
    SSC_TAPER_LENGTH_UM,
    TURN_RADIUS_UM,
    check_transmitter_chip,
)
from ..inp.electrodes import bond_pad, electrode_point, route_to_pad
from ..inp.facet import ssc_facet
from ..inp.laser import dbr_laser
from ..inp.modulators import mzm, phase_modulator, voa
from ..inp.waveguides import bend_deep, straight_deep

__all__ = ["transmitter_chip"]

_LABEL_SIZE_UM = 40.0
_TOL_UM = 0.002


def _laser(laser: dict, wr: float, sides: tuple, tabs: tuple) -> gf.Component:
    """The DBR laser of the floorplan (``laser``: the design's sections and period under ``LASER`` keys)."""
    return dbr_laser(rear_dbr_length=laser["rear_dbr_length"], gain_length=laser["gain_length"],
                     phase_length=laser["phase_length"], front_dbr_length=laser["front_dbr_length"],
                     grating_period=laser["grating_period"], width=laser["width"], sides=sides, tab_x=tabs,
                     deep_width=wr)


def _turn(c: gf.Component, port, angle: float, wr: float, k: int):
    """180 deg turn down by one row pitch: Euler bend, straight, Euler bend; returns the end port."""
    b1 = c.add_ref(bend_deep(radius=TURN_RADIUS_UM, angle=angle, width=wr), name=f"turn{k}a")
    b1.connect("o1", port)
    s = c.add_ref(straight_deep(length=ROW_PITCH_UM - 2 * TURN_RADIUS_UM, width=wr), name=f"turn{k}s")
    s.connect("o1", b1.ports["o2"])
    b2 = c.add_ref(bend_deep(radius=TURN_RADIUS_UM, angle=angle, width=wr), name=f"turn{k}b")
    b2.connect("o1", s.ports["o2"])
    return b2.ports["o2"]


def _straight(c: gf.Component, port, length: float, wr: float, name: str):
    if length <= 0:
        return port
    s = c.add_ref(straight_deep(length=round(length, 3), width=wr), name=name)
    s.connect("o1", port)
    return s.ports["o2"]


@gf.cell
def transmitter_chip(die_width_um: float = 4600.0, die_height_um: float = 2000.0, pm_length_um: float = 1500.0,
                     voa_length_um: float = 500.0, ridge_width_um: float = 1.5,
                     dbr_grating_period_nm: float = LASER["grating_period"],
                     dbr_rear_length_um: float = LASER["rear_dbr_length"],
                     dbr_gain_length_um: float = LASER["gain_length"],
                     dbr_phase_length_um: float = LASER["phase_length"],
                     dbr_front_length_um: float = LASER["front_dbr_length"],
                     label: str = "QCHIPNET INP TX") -> gf.Component:
    """Transmitter chip (um).

    Args:
        die_width_um, die_height_um: die outline; the allowed range for the other parameters is
            ``transmitter_chip_limits(pm_length_um, voa_length_um, ridge_width_um, dbr_...)``.
        pm_length_um: electrode length of the PM and of the RF arms of the three IMs (500-1700).
        voa_length_um: VOA section length (100-1500).
        ridge_width_um: deep-ridge width of the modulators, the VOA, the turns and passive guides
            and the deep ends of the laser and spot-size-converter transitions (1.2-2.0).
        dbr_grating_period_nm, dbr_rear_length_um, dbr_gain_length_um, dbr_phase_length_um,
            dbr_front_length_um: grating period (nm) and sections (um) of both DBR lasers (ranges
            ``components.floorplan.TX_DBR_RANGES``; default the article's laser); the devices east of
            the lasers move with the laser length.
        label: text written on the die.
    """
    W, H, P, V, wr = die_width_um, die_height_um, pm_length_um, voa_length_um, ridge_width_um
    fp = check_transmitter_chip(W, H, P, V, wr, dbr_grating_period_nm=dbr_grating_period_nm,
                                dbr_rear_length_um=dbr_rear_length_um, dbr_gain_length_um=dbr_gain_length_um,
                                dbr_phase_length_um=dbr_phase_length_um, dbr_front_length_um=dbr_front_length_um)
    tabs = fp.tab_offsets()
    rows = {k: round(H + v, 3) for k, v in fp.rows_from_top_um.items()}
    c = gf.Component()
    # row B: laser I (pads south) and the quantum chain
    las1 = c.add_ref(_laser(fp.laser, wr, (-1, -1, -1, -1), tabs["laser_q"]), name="laser_q")
    las1.dmove((LASER_Q_X_UM, rows["B"]))
    last = las1.ports["o2"]
    refs = {"laser_q": las1}
    for k, (name, ang) in enumerate((("im1", -90.0), ("im2", 90.0), ("im3", -90.0))):
        if name == "im2":
            last = _straight(c, last, IM_STAGGER_UM, wr, "stagger_c")
        im = c.add_ref(mzm(pm_length=P, bias_length=MZM["bias_length"], arm_spacing=MZM["arm_spacing"],
                           sbend_length=MZM["sbend_length"], width=wr, tab_x=tabs[name]), name=name)
        im.connect("o1", last)
        refs[name] = im
        last = im.ports["o2"]
        if name == "im3":
            last = _straight(c, last, IM_STAGGER_UM, wr, "stagger_d")
        last = _turn(c, last, ang, wr, k)
    # row E: PM and VOA running west (a cell side +1 faces south when the device is rotated)
    pm = c.add_ref(phase_modulator(length=P, width=wr, side=-fp.sides["pm"], tab_x=tabs["pm"][0]), name="pm")
    pm.connect("o1", last)
    va = c.add_ref(voa(length=V, width=wr, side=-fp.sides["voa"], tab_x=tabs["voa"][0]), name="voa")
    va.connect("o1", pm.ports["o2"])
    refs["pm"], refs["voa"] = pm, va
    ssc = ssc_facet(taper_length=SSC_TAPER_LENGTH_UM, width=fp.laser["width"], deep_width=wr)
    ssc_len = ssc.info["length"]
    st = c.add_ref(straight_deep(length=round(va.ports["o2"].dcenter[0] - ssc_len, 3), width=wr), name="out_q_wg")
    st.connect("o1", va.ports["o2"])
    fq = c.add_ref(ssc, name="ssc_q")
    fq.connect("o1", st.ports["o2"])
    # row A: laser II emitting west, pads north
    las2 = c.add_ref(_laser(fp.laser, wr, (-1, -1, -1, -1), tabs["laser_ref"]), name="laser_ref")
    las2.drotate(180)
    las2.dmove((LASER_REF_X_UM - las2.ports["o2"].dcenter[0], rows["A"] - las2.ports["o2"].dcenter[1]))
    refs["laser_ref"] = las2
    sr = c.add_ref(straight_deep(length=round(LASER_REF_X_UM - ssc_len, 3), width=wr), name="out_ref_wg")
    sr.connect("o1", las2.ports["o2"])
    fr = c.add_ref(ssc, name="ssc_ref")
    fr.connect("o1", sr.ports["o2"])
    # the drawing must be the plan: every electrode port where the floorplan put it
    for e in fp.electrodes:
        p = refs[e.device].ports[f"e{e.index + 1}"]
        want = (fp.pads_x_um[(e.device, e.index)], H + e.y_port)
        if abs(p.dcenter[0] - want[0]) > _TOL_UM or abs(p.dcenter[1] - want[1]) > _TOL_UM or \
                abs(p.orientation - (90 if e.north else 270)) > 1e-6:
            raise RuntimeError(f"transmitter_chip: {e.device} e{e.index + 1} drawn at {tuple(p.dcenter)}, "
                               f"floorplan says {want}; components.floorplan is out of date with the cells")
    for f in (fq, fr):
        if abs(f.ports["o2"].dcenter[0]) > _TOL_UM:
            raise RuntimeError("transmitter_chip: a facet port is not on the west edge (floorplan out of date)")
    if abs(refs["im1"].ports["o2"].dcenter[0] - fp.x_east_um) > _TOL_UM:
        raise RuntimeError("transmitter_chip: the drawn IM length differs from the floorplan (MMI lengths changed?)")
    # outline, label, pads and routes
    c.add_polygon([(0, 0), (W, 0), (W, H), (0, H)], layer=LAYER.FLOORPLAN)
    txt = c.add_ref(gf.components.text(text=label, size=_LABEL_SIZE_UM, justify="left", layer=LAYER.TEXT), name="label")
    # between rows A and B, west of IM I: no device and no route there (laser II routes north, laser I south)
    txt.dmove((LASER_REF_X_UM + 40.0, round((rows["A"] + rows["B"]) / 2 - _LABEL_SIZE_UM / 2, 3)))
    nets = []
    for e in fp.electrodes:
        dev, port = e.device, f"e{e.index + 1}"
        x = fp.pads_x_um[(dev, e.index)]
        yp = H - PAD_EDGE_UM if e.north else PAD_EDGE_UM
        pad = c.add_ref(bond_pad(size=INP_PAD_UM), name=f"pad_{dev}_{port}")
        pad.dmove((x, yp))
        inner, outer = ("e1", "e2") if e.north else ("e2", "e1")
        el = refs[dev].ports[port]
        route_to_pad(c, el, pad.ports[inner], name=f"route_{dev}_{port}")
        c.add_port(f"{dev}_{port}", port=pad.ports[outer])
        nets.append(Net(name=f"{dev}_{port}", pad=f"pad_{dev}_{port}", pad_xy=(x, yp), pad_layer="METAL2",
                        electrode=f"{dev}.{port}", electrode_xy=electrode_point(el), electrode_layer="METAL1"))
    # the intended netlist, written as LVS pin labels (qchipnet.pdk.lvs) and into c.info["nets"]
    add_net_labels(c, nets, LAYER)
    c.add_port("o_q", port=fq.ports["o2"])
    c.add_port("o_ref", port=fr.ports["o2"])
    c.add_port("rear_q", port=las1.ports["o1"])
    c.add_port("rear_ref", port=las2.ports["o1"])
    for name in ("im1", "im2", "im3"):  # complementary IM outputs: monitor taps, open by design
        c.add_port(f"{name}_tap", port=refs[name].ports["o3"])
    split, comb = refs["im1"].cell.insts["split"].cell.info, refs["im1"].cell.insts["comb"].cell.info
    las = las1.cell.info
    c.info.update({
        "die_width_um": float(W), "die_height_um": float(H), "pm_length_um": float(P), "voa_length_um": float(V),
        "ridge_width_um": float(wr), "n_pads": len(fp.electrodes), "n_modulators": 4, "n_eo_phase_sections": 7,
        "im_bias_length_um": float(MZM["bias_length"]), "im_arm_spacing_um": float(MZM["arm_spacing"]),
        "im_length_um": float(fp.mzm_length_um),
        "mmi1x2_width_um": split["width"], "mmi1x2_length_um": split["length"], "mmi1x2_access_um": split["access_width"],
        "mmi2x2_width_um": comb["width"], "mmi2x2_length_um": comb["length"], "mmi2x2_access_um": comb["access_width"],
        "laser_rear_dbr_um": las["rear_dbr_length"], "laser_gain_um": las["gain_length"], "laser_phase_um": las["phase_length"],
        "laser_front_dbr_um": las["front_dbr_length"], "laser_width_um": las["width"],
        "laser_grating_period_nm": las["grating_period_nm"],
        "pm_pads": ("north" if fp.sides["pm"] > 0 else "south"), "voa_pads": ("north" if fp.sides["voa"] > 0 else "south"),
        "min_die_width_um": fp.min_die_width_um, "min_die_height_um": fp.min_die_height_um,
    })
    return c
