"""InP QKD client transmitter chip (seed article Fig. 2a, 2h): two DBR lasers, three Mach-Zehnder
intensity modulators, one phase modulator and a VOA on a 4.6 mm x 2 mm die.

Topology (rows from top to bottom; all optical outputs on the west facet, so one fibre array
collects the reference and the quantum output):

- row A: laser II (phase reference, locked to lambda_0) at the east end, emitting west through a
  deep-ridge straight and a spot-size converter to the **reference output** ``o_ref``;
- row B: laser I (quantum light, locked to lambda_i) emitting east into **IM I** (pulse carving);
- row C (after a 180 deg turn, R = 150 um): **IM II** running west (decoy intensity levels);
- row D: **IM III** running east ("sending or not sending" gate);
- row E: the stand-alone **PM** (phase encoding / randomisation) and the carrier-injection
  **VOA** running west to the spot-size converter of the **quantum output** ``o_q``.

Why: the quantum chain (laser + 3 IMs + PM + VOA, ~12 mm of devices) cannot fit in one 4.6 mm
row; serpentine rows with 180 deg deep-ridge turns keep every modulator straight and parallel
(same crystal direction, so the same Pockels sign for all EOPMs), and the laser II row stays
separate from the quantum chain. Every electrode has one METAL2 pad on the north or south edge
(n-contact on the back side); routes are straight vertical METAL2 lines at x positions allocated
so that no two routes or pads coincide (pitch ``pad_pitch``), crossing ridges and METAL1 of other
devices over the BCB. The complementary IM outputs (2x2 MMI bottom port) end inside the chip as
monitor taps. Chip ports: ``o_q`` and ``o_ref`` (facets), ``rear_q`` / ``rear_ref`` (laser rear
ports, the sax circuit's emission inputs).
"""

from __future__ import annotations

import gdsfactory as gf
import klayout.db as kdb

from ...pdk.inp.tech import LAYER
from ...validate import check_range
from ..inp.electrodes import ELECTRODE, add_route, bond_pad
from ..inp.facet import ssc_facet
from ..inp.laser import dbr_laser
from ..inp.modulators import mzm, phase_modulator, voa
from ..inp.waveguides import bend_deep, straight_deep

__all__ = ["transmitter_chip"]

_PAD = 100.0
_EDGE_PAD_Y = 100.0  # pad centre distance from the top/bottom edge


def _place(c, pm_length, voa_length, width, height, row_pitch, tabs):
    """Place all devices (tabs = dict name -> tab tuple); returns {name: ref} and electrode specs."""
    refs = {}
    iso = ELECTRODE["iso_len"]
    yB = height - 600.0
    las1 = c.add_ref(dbr_laser(sides=(1, -1, 1, -1), tab_x=tabs.get("laser_q", (None,) * 4)), name="laser_q")
    las1.dmove((160.0, yB))
    refs["laser_q"] = las1
    chain = [("im1", 1), ("im2", -1), ("im3", 1)]
    last = las1.ports["o2"]
    for k, (name, _) in enumerate(chain):
        im = c.add_ref(mzm(pm_length=pm_length, tab_x=tabs.get(name)), name=name)
        im.connect("o1", last)
        refs[name] = im
        ang = -90 if k % 2 == 0 else 90
        b1 = c.add_ref(bend_deep(angle=ang), name=f"turn{k}a")
        b1.connect("o1", im.ports["o2"])
        s = c.add_ref(straight_deep(length=row_pitch - 300.0), name=f"turn{k}s")
        s.connect("o1", b1.ports["o2"])
        b2 = c.add_ref(bend_deep(angle=ang), name=f"turn{k}b")
        b2.connect("o1", s.ports["o2"])
        last = b2.ports["o2"]
    pm = c.add_ref(phase_modulator(length=pm_length, side=1, tab_x=tabs.get("pm", (None,))[0]), name="pm")
    pm.connect("o1", last)
    va = c.add_ref(voa(length=voa_length, side=-1, tab_x=tabs.get("voa", (None,))[0]), name="voa")
    va.connect("o1", pm.ports["o2"])
    refs["pm"], refs["voa"] = pm, va
    ssc_len = ssc_facet().info["length"]
    run = va.ports["o2"].dcenter[0] - ssc_len
    st = c.add_ref(straight_deep(length=run), name="out_q_wg")
    st.connect("o1", va.ports["o2"])
    fq = c.add_ref(ssc_facet(), name="ssc_q")
    fq.connect("o1", st.ports["o2"])
    # reference laser, row A, emitting west
    las2 = c.add_ref(dbr_laser(sides=(-1, 1, -1, 1), tab_x=tabs.get("laser_ref", (None,) * 4)), name="laser_ref")
    las2.drotate(180)
    las2.dmove((width - 160.0 - las2.dxmax, height - 250.0) if False else (0, 0))
    x_front = width - 160.0 - las2.cell.dxsize
    las2.dmove((x_front - las2.ports["o2"].dcenter[0], height - 280.0 - las2.ports["o2"].dcenter[1]))
    refs["laser_ref"] = las2
    sr = c.add_ref(straight_deep(length=las2.ports["o2"].dcenter[0] - ssc_len), name="out_ref_wg")
    sr.connect("o1", las2.ports["o2"])
    fr = c.add_ref(ssc_facet(), name="ssc_ref")
    fr.connect("o1", sr.ports["o2"])
    return refs, fq, fr, las1, las2


def _electrodes(refs, pm_length, voa_length):
    """Electrode specs: (device, index, absolute start x of the electrode, direction, length)."""
    iso = ELECTRODE["iso_len"]
    specs = []

    def absx(ref, inst, port="o1"):
        sub = ref.cell.insts[inst].ports[port].dcenter
        p = ref.dcplx_trans * kdb.DPoint(*sub)
        return p.x

    for name in ("im1", "im2", "im3"):
        r = refs[name]
        d = 1 if r.dcplx_trans.angle == 0 else -1
        m = r.cell
        for k, inst in enumerate(("pm_top", "pm_bot", "bias_top", "bias_bot")):
            L = m.info["pm_length"] if inst.startswith("pm") else m.info["bias_length"]
            specs.append((name, k, absx(r, inst) + d * iso, d, L))
    for name, L in (("pm", pm_length), ("voa", voa_length)):
        r = refs[name]
        d = 1 if abs(r.dcplx_trans.angle) < 1 else -1
        specs.append((name, 0, r.ports["o1"].dcenter[0] + d * iso, d, L))
    for name in ("laser_q", "laser_ref"):
        r = refs[name]
        d = 1 if abs(r.dcplx_trans.angle) < 1 else -1
        cell = r.cell
        x = cell.insts["cavity"].ports["o1"].dcenter[0] + iso
        lengths = [cell.info["rear_dbr_length"], cell.info["gain_length"], cell.info["phase_length"], cell.info["front_dbr_length"]]
        for k, L in enumerate(lengths):
            p = r.dcplx_trans * kdb.DPoint(x, 0)
            specs.append((name, k, p.x, d, L))
            x += L + iso
    return specs


def _allocate(specs, refs, pitch, xmin, xmax, height):
    """Greedy interval scheduling of pad/route columns: each electrode gets an x inside its
    electrode; two vertical routes closer than ``pitch`` must not overlap in y (a route to the top
    edge spans [y_tab, height], one to the bottom [0, y_tab])."""
    land = ELECTRODE["land"] / 2
    items = []
    for dev, k, x0, d, L in specs:
        p = refs[dev].ports[f"e{k + 1}"]
        y = p.dcenter[1]
        span = (y - 2 * land, height) if abs(p.orientation - 90) < 1 else (0.0, y + 2 * land)
        a, b = sorted((x0 + d * land, x0 + d * (L - land)))
        items.append((max(a, xmin), min(b, xmax), dev, k, x0, span))
    items.sort(key=lambda t: t[1])
    out, placed = {}, []
    for a, b, dev, k, x0, span in items:
        x = a
        while True:
            clash = [px for px, ps in placed if abs(px - x) < pitch and ps[0] < span[1] and span[0] < ps[1]]
            if not clash:
                break
            x = max(clash) + pitch
        if x > b:
            raise ValueError(f"no pad slot for electrode {k} of {dev} (range {a:.0f}-{b:.0f} um, pitch {pitch} um); "
                             "widen the chip or reduce pad_pitch")
        out[(dev, k)] = round(abs(x - x0), 3)
        placed.append((x, span))
    return out


@gf.cell
def transmitter_chip(width: float = 4600.0, height: float = 2000.0, pm_length: float = 1500.0,
                     voa_length: float = 500.0, row_pitch: float = 380.0, pad_pitch: float = 120.0,
                     label: str = "QCHIPNET INP TX") -> gf.Component:
    """Transmitter chip (um): ``width`` 4400-8000, ``height`` 1900-4000, PM (and IM arm) length
    ``pm_length`` 500-1700, VOA ``voa_length``, row pitch of the serpentine >= 300 (two R = 150 um
    turns), pad pitch >= 110. See the module docstring for the topology."""
    check_range("width", width, 4400.0, 8000.0, "um")
    check_range("height", height, 1900.0, 4000.0, "um")
    check_range("pm_length", pm_length, 500.0, 1700.0, "um")
    check_range("voa_length", voa_length, 100.0, 800.0, "um")
    check_range("row_pitch", row_pitch, 300.0, 420.0, "um")
    check_range("pad_pitch", pad_pitch, _PAD + 10.0, 400.0, "um")
    tmp = gf.Component()
    refs, *_ = _place(tmp, pm_length, voa_length, width, height, row_pitch, {})
    specs = _electrodes(refs, pm_length, voa_length)
    alloc = _allocate(specs, refs, pad_pitch, _PAD, width - _PAD, height)
    tabs: dict = {}
    for (dev, k), t in alloc.items():
        n = 4 if dev.startswith(("im", "laser")) else 1
        cur = list(tabs.get(dev, (None,) * n))
        cur[k] = t
        tabs[dev] = tuple(cur)
    c = gf.Component()
    refs, fq, fr, las1, las2 = _place(c, pm_length, voa_length, width, height, row_pitch, tabs)
    # outline, label
    c.add_polygon([(0, 0), (width, 0), (width, height), (0, height)], layer=LAYER.FLOORPLAN)
    c << gf.components.text(text=label, size=40, position=(width / 2 - 300, height / 2 + 40), layer=LAYER.TEXT)
    # pads and routes
    n_pads = 0
    for name, r in refs.items():
        for p in r.ports:
            if p.port_type != "electrical":
                continue
            x, y = p.dcenter
            up = abs(p.orientation - 90) < 1
            yp = height - _EDGE_PAD_Y if up else _EDGE_PAD_Y
            pad = c.add_ref(bond_pad(size=_PAD), name=f"pad_{name}_{p.name}")
            pad.dmove((x, yp))
            add_route(c, x, y, yp)
            c.add_port(f"{name}_{p.name}", center=(x, yp), width=_PAD / 2, orientation=90 if up else 270,
                       layer=LAYER.METAL2, port_type="electrical")
            n_pads += 1
    if not (abs(fq.ports["o2"].dcenter[0]) < 1e-6 and abs(fr.ports["o2"].dcenter[0]) < 1e-6):
        raise ValueError("facet ports are not on the west chip edge; the rows do not fit the chip width")
    if las2.dxmin < las1.dxmax + 50 and abs(las2.dcenter[1] - las1.dcenter[1]) < 200:
        raise ValueError("laser rows overlap")
    c.add_port("o_q", port=fq.ports["o2"])
    c.add_port("o_ref", port=fr.ports["o2"])
    c.add_port("rear_q", port=las1.ports["o1"])
    c.add_port("rear_ref", port=las2.ports["o1"])
    if max(r.dxmax for r in refs.values()) > width or min(r.dymin for r in refs.values()) < 0:
        raise ValueError(f"devices exceed the {width} x {height} um chip; increase width/height or shorten pm_length")
    c.info.update(dict(chip_size_um=[float(width), float(height)], n_pads=n_pads, pm_length=float(pm_length),
                       n_modulators=4, n_eo_phase_sections=7))
    return c
