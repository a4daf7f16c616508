"""Floorplans of the two chips as plain numbers: constants, device positions, pad allocation and the
die sizes each design can be drawn at.

This module imports neither gdsfactory nor klayout (only :mod:`qchipnet.validate`), so the design
validator can ask, at load time and in microseconds, whether a design can be drawn:

- :func:`server_chip_limits` (ring, bus, heater) -> allowed ``die_width_um`` / ``die_height_um``;
- :func:`transmitter_chip_limits` (PM, VOA, ridge width, DBR laser sections) -> allowed ``die_width_um`` /
  ``die_height_um``;
- :func:`check_server_chip` / :func:`check_transmitter_chip`: one-line :class:`InputError` naming the
  field, its value and the allowed range.

The chip cells (:mod:`qchipnet.components.chips`) build their geometry from the same constants and
call the same functions for their own checks, so the limits predict exactly when a cell succeeds:
the transmitter cell draws its devices, pads and routes where :func:`transmitter_floorplan` puts
them, and verifies every drawn electrode port against the plan.

Transmitter floorplan (um, origin at the south-west die corner; rows from the top):

- row A (``die_height_um - 280``): laser II (reference), emitting west into a straight and the
  reference spot-size converter; its four electrodes are routed to the north edge;
- row B (``die_height_um - 600``): laser I (quantum) from x = 160, IM I east of it; laser I's four
  electrodes are routed to the south edge (rows C-E hold no device under it);
- rows C, D, E, ``ROW_PITCH_UM`` apart (serpentine with R = 150 um Euler turns): IM II west, IM III
  east (both ``IM_STAGGER_UM`` west of IM I, so that the bias electrodes of the three IMs do not
  line up), PM + VOA west, then a straight and the quantum spot-size converter at the west facet;
- every electrode has one pad on the north or south edge, reached by a straight vertical METAL2
  route; two routes that share any height are at least ``PAD_PITCH_UM`` apart (all north routes
  share the top, all south routes the bottom; a north route from row r and a south route from row
  s share a height when s is at or above r). The routing side of the PM and the VOA is the first
  of (south, south), (south, north), (north, south), (north, north) for which the pads fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..validate import InputError, check_range

__all__ = [
    "ELECTRODE", "INP_PAD_UM", "SIN_PAD_UM", "GRID_UM",
    "TX_PM_LENGTH_RANGE_UM", "TX_VOA_LENGTH_RANGE_UM", "TX_RIDGE_WIDTH_RANGE_UM", "TX_MAX_DIE_UM",
    "TX_DBR_FIELDS", "TX_DBR_RANGES", "TX_DBR_DEFAULTS", "LASER_PAD_MIN_PHASE_FRONT_UM",
    "LASER", "MZM", "MMI1X2", "MMI2X2", "TURN_RADIUS_UM", "SSC_TAPER_LENGTH_UM", "TRANSITION_LENGTH_UM",
    "ROW_PITCH_UM", "IM_STAGGER_UM", "LASER_Q_X_UM", "LASER_REF_X_UM", "PAD_EDGE_UM", "PAD_PITCH_UM", "TxElectrode", "TxFloorplan", "transmitter_floorplan",
    "transmitter_chip_limits", "check_transmitter_chip",
    "SERVER_MARGIN_UM", "HEATER", "HEATER_LEAD_STEP_UM", "EDGE_COUPLER_LENGTH_UM", "SERVER_MAX_DIE_UM", "ServerFloorplan",
    "server_floorplan", "server_chip_limits", "check_server_chip",
]

#: Mask grid (um): every coordinate the cells place is rounded to it.
GRID_UM = 0.001


def _g(x: float) -> float:
    """Round to the mask grid."""
    return round(x, 3)


# --------------------------------------------------------------------------------------------------
# InP transmitter
# --------------------------------------------------------------------------------------------------

#: Electrode geometry (um) of every InP section (used by ``components.inp.electrodes``): p-contact
#: strip, METAL1 strip, tab, via, square via landing, isolation section length and width.
ELECTRODE = {"pcontact_w": 1.2, "m1_w": 10.0, "tab_w": 10.0, "tab_len": 25.0, "via": 10.0, "land": 16.0,
             "iso_len": 20.0, "iso_w": 12.0}
#: Distance from a ridge axis to its electrode port (outer edge of the via landing).
_TAB_REACH = ELECTRODE["m1_w"] / 2 + ELECTRODE["tab_len"] + ELECTRODE["land"]
#: Bond pad edge of the transmitter (METAL2 square; passivation opening 5 um inside).
INP_PAD_UM = 100.0

#: Design ranges the transmitter cell is drawn and checked for.
TX_PM_LENGTH_RANGE_UM = (500.0, 1700.0)
TX_VOA_LENGTH_RANGE_UM = (100.0, 1500.0)
#: Deep-ridge width: >= 1.2 um (phase-modulator ridge), <= 2.0 um (the 2.0 um MMI access guides).
TX_RIDGE_WIDTH_RANGE_UM = (1.2, 2.0)
#: Largest transmitter die the floorplan is drawn for (both edges).
TX_MAX_DIE_UM = 10000.0

#: The article's DBR laser (the design's defaults): sections (um), grating period (nm), shallow ridge
#: width (um), under the ``dbr_laser`` cell's parameter names. A design draws its own sections and period
#: (``transmitter.dbr_*``, :data:`TX_DBR_FIELDS`); the ridge width is fixed by the shallow mode table.
LASER = {"rear_dbr_length": 300.0, "gain_length": 400.0, "phase_length": 150.0, "front_dbr_length": 100.0,
         "grating_period": 238.45, "width": 2.0}
#: Design field of the transmitter -> parameter of the ``dbr_laser`` cell (and key of :data:`LASER`).
TX_DBR_FIELDS = {"dbr_grating_period_nm": "grating_period", "dbr_rear_length_um": "rear_dbr_length",
                 "dbr_gain_length_um": "gain_length", "dbr_phase_length_um": "phase_length",
                 "dbr_front_length_um": "front_dbr_length"}
#: Ranges the ``dbr_laser`` cell is drawn for: first-order gratings at 1.55 um (230-250 nm), sections
#: around the generic-platform values of physics.md 3.2 (gain 300-500, phase 100-200, DBR 100-300 um).
TX_DBR_RANGES = {"dbr_grating_period_nm": (230.0, 250.0), "dbr_rear_length_um": (100.0, 800.0),
                 "dbr_gain_length_um": (200.0, 1000.0), "dbr_phase_length_um": (50.0, 400.0),
                 "dbr_front_length_um": (30.0, 400.0)}
#: The design's default laser (the article's), by design field.
TX_DBR_DEFAULTS = {f: LASER[k] for f, k in TX_DBR_FIELDS.items()}
#: Deep-shallow transition length at both laser ends and in the spot-size converters.
TRANSITION_LENGTH_UM = 50.0
#: Shallow taper of the spot-size converter at the facet.
SSC_TAPER_LENGTH_UM = 150.0
#: Mach-Zehnder modulator: DC bias section, arm spacing, S-bend length.
MZM = {"bias_length": 300.0, "arm_spacing": 80.0, "sbend_length": 250.0}
#: MMIs of the modulators (the self-imaging lengths of ``components.inp.mmi`` at the nominal epi
#: stack; the cell checks the drawn MZM against them on every build).
MMI1X2 = {"width": 6.0, "length": 40.164, "access_width": 2.0, "taper_length": 30.0}
MMI2X2 = {"width": 8.0, "length": 281.668, "access_width": 2.0, "taper_length": 30.0}
#: Effective radius (= footprint) of the 90 deg Euler bends of the serpentine turns.
TURN_RADIUS_UM = 150.0

ROW_PITCH_UM = 380.0
ROW_A_FROM_TOP_UM = 280.0
ROW_B_FROM_TOP_UM = 600.0
#: Rear port of laser I (quantum) from the west edge.
LASER_Q_X_UM = 160.0
#: Front port of laser II (reference) from the west edge (the rest is its output straight + SSC).
LASER_REF_X_UM = 360.0
#: Pads: centre distance from the north/south edge, smallest centre distance from the west/east
#: edge, centre pitch of two routes that share a height.
PAD_EDGE_UM = 100.0
PAD_X_MIN_UM = 100.0
PAD_PITCH_UM = 120.0
#: Clearance between any device (ridge, electrode, landing) and the pad rows.
PAD_CLEARANCE_UM = 50.0
#: IM II and IM III sit this far west of IM I (a straight in rows C and D at the east turns), so
#: that the bias electrodes of the three IMs do not share the same x and their pads spread out.
IM_STAGGER_UM = 400.0
#: Clearance between the serpentine turns and the east edge.
EAST_MARGIN_UM = 100.0


#: The phase and front-DBR electrodes are adjacent and both route to the same edge: their pads, a
#: ``PAD_PITCH_UM`` apart, must each sit inside its electrode (landing ``ELECTRODE["land"]``), so the two
#: sections with the isolation between them must span at least pitch + landing:
#: phase + front >= PAD_PITCH_UM - iso_len + land (116 um). The rear DBR (>= 100 um) and gain (>= 200 um)
#: sections are longer than a pitch, so this is the laser's only pad constraint (a test sweeps the ranges).
LASER_PAD_MIN_PHASE_FRONT_UM = PAD_PITCH_UM - ELECTRODE["iso_len"] + ELECTRODE["land"]


def _laser_sections(laser: dict | None = None) -> tuple[float, float, float, float]:
    """(rear DBR, gain, phase, front DBR) lengths (um) of ``laser`` (``LASER`` keys; default the article's)."""
    L = LASER if laser is None else laser
    return (float(L["rear_dbr_length"]), float(L["gain_length"]), float(L["phase_length"]),
            float(L["front_dbr_length"]))


def _laser_length(laser: dict | None = None) -> float:
    return 2 * TRANSITION_LENGTH_UM + sum(_laser_sections(laser)) + 5 * ELECTRODE["iso_len"]


def _laser_electrodes(laser: dict | None = None) -> list[tuple[float, float]]:
    """(start, length) of the four laser electrodes from the rear port, in the laser's frame."""
    iso = ELECTRODE["iso_len"]
    x = TRANSITION_LENGTH_UM + iso
    out = []
    for length in _laser_sections(laser):
        out.append((x, length))
        x += length + iso
    return out


def _mzm_geometry(pm_length: float) -> dict:
    """MZM in its own frame (o1 at x = 0 on the axis): electrode (start, length, arm y) and length."""
    iso = ELECTRODE["iso_len"]
    m1 = 2 * MMI1X2["taper_length"] + MMI1X2["length"]
    m2 = 2 * MMI2X2["taper_length"] + MMI2X2["length"]
    rf = m1 + MZM["sbend_length"] + iso
    bias = rf + pm_length + 2 * iso
    length = bias + MZM["bias_length"] + iso + MZM["sbend_length"] + m2
    arm = MZM["arm_spacing"] / 2
    # electrodes in the order of the mzm's e1..e4: top RF, bottom RF, top bias, bottom bias
    el = [(rf, pm_length, arm), (rf, pm_length, -arm), (bias, MZM["bias_length"], arm),
          (bias, MZM["bias_length"], -arm)]
    return {"length": _g(length), "out_y": _g(MMI2X2["width"] / 6), "electrodes": el}


@dataclass(frozen=True)
class TxElectrode:
    """One electrode in chip coordinates: start x (where the cell's electrode begins), direction of
    the device along x (+1 east, -1 west), length, y of its port (landing edge), routing side."""

    device: str
    index: int
    x0: float
    direction: int
    length: float
    y_port: float
    north: bool

    @property
    def slot(self) -> tuple[float, float]:
        """Allowed pad/route x range: the via landing must sit inside the electrode."""
        h = ELECTRODE["land"] / 2
        a, b = sorted((self.x0 + self.direction * h, self.x0 + self.direction * (self.length - h)))
        return math.ceil(round(a / GRID_UM, 6)) * GRID_UM, math.floor(round(b / GRID_UM, 6)) * GRID_UM

    def conflicts(self, other: "TxElectrode") -> bool:
        """True when the two vertical routes share a height (so they must be a pitch apart)."""
        if self.north == other.north:
            return True
        up, down = (self, other) if self.north else (other, self)
        return down.y_port + 2 * ELECTRODE["land"] > up.y_port - 2 * ELECTRODE["land"]


@dataclass(frozen=True)
class TxFloorplan:
    """Positions (um) of the transmitter floorplan for one set of parameters.

    Every y (rows, electrode ports) is relative to the die top, x to the west edge: the plan does
    not depend on the die size, which only has to hold it (``min_die_width_um``, ``min_die_height_um``).
    """

    pm_length_um: float
    voa_length_um: float
    ridge_width_um: float
    mzm_length_um: float
    laser_length_um: float
    x_east_um: float  # x of the east turns (IM I and IM III outputs, IM II and PM inputs)
    x_west_um: float  # x of the west turn (IM II output, IM III input)
    east_extent_um: float  # easternmost drawn point (outer edge of the east turns)
    electrodes: tuple[TxElectrode, ...]  # y_port relative to the die top
    pads_x_um: dict  # (device, index) -> route/pad x
    sides: dict  # device -> +1 (pads north) / -1 (south), for the PM and the VOA
    bottom_from_top_um: float  # lowest device feature below the die top
    top_feature_from_top_um: float  # highest device feature below the die top
    min_die_width_um: float
    min_die_height_um: float
    rows_from_top_um: dict = field(default_factory=dict)
    laser: dict = field(default_factory=lambda: dict(LASER))  # the drawn laser (``LASER`` keys)

    def tab_offsets(self) -> dict:
        """device -> tuple of tab positions from each electrode start (the cells' ``tab_x``)."""
        out: dict = {}
        for e in self.electrodes:
            x = self.pads_x_um[(e.device, e.index)]
            out.setdefault(e.device, {})[e.index] = _g(abs(x - e.x0))
        return {d: tuple(v[k] for k in sorted(v)) for d, v in out.items()}


def _allocate(items: list[TxElectrode], pitch: float) -> dict | None:
    """Pad x of every electrode, or None when they do not fit.

    Earliest-deadline greedy: electrodes in the order of the east end of their slot, each at the
    westmost x of its slot a pitch away from every conflicting route already placed.
    """
    order = sorted(items, key=lambda e: (e.slot[1], e.slot[0], e.device, e.index))
    placed: list[tuple[float, TxElectrode]] = []
    out = {}
    for e in order:
        a, b = e.slot
        x = max(a, PAD_X_MIN_UM)
        while True:
            clash = [px for px, o in placed if abs(px - x) < pitch - 1e-9 and e.conflicts(o)]
            if not clash:
                break
            x = _g(max(clash) + pitch)
        if x > b + 1e-9:
            return None
        out[(e.device, e.index)] = x
        placed.append((x, e))
    return out


_SIDE_ORDER = ((-1, -1), (-1, 1), (1, -1), (1, 1))  # (PM, VOA): -1 south, +1 north


def _tx_check_params(pm_length_um: float, voa_length_um: float, ridge_width_um: float, **dbr: float) -> dict:
    """Range checks of the floorplan's parameters; returns the laser (``LASER`` keys) of the ``dbr_*`` fields."""
    check_range("pm_length_um", pm_length_um, *TX_PM_LENGTH_RANGE_UM, "um")
    check_range("voa_length_um", voa_length_um, *TX_VOA_LENGTH_RANGE_UM, "um")
    check_range("ridge_width_um", ridge_width_um, *TX_RIDGE_WIDTH_RANGE_UM, "um")
    unknown = sorted(set(dbr) - set(TX_DBR_FIELDS))
    if unknown:
        raise InputError(f"unknown transmitter parameter(s) {unknown}; the laser fields are {list(TX_DBR_FIELDS)}")
    values = {**TX_DBR_DEFAULTS, **dbr}
    for name, (lo, hi) in TX_DBR_RANGES.items():
        check_range(name, values[name], lo, hi, "nm" if name.endswith("_nm") else "um")
    ph, fr = float(values["dbr_phase_length_um"]), float(values["dbr_front_length_um"])
    if ph + fr < LASER_PAD_MIN_PHASE_FRONT_UM - 1e-9:
        lo = max(TX_DBR_RANGES["dbr_front_length_um"][0], LASER_PAD_MIN_PHASE_FRONT_UM - ph)
        raise InputError(f"dbr_front_length_um = {fr:g} is outside the allowed range [{lo:g}, "
                         f"{TX_DBR_RANGES['dbr_front_length_um'][1]:g}] um (with dbr_phase_length_um = {ph:g} um: the "
                         f"phase and front-DBR pads, {PAD_PITCH_UM:g} um apart, need phase + front >= "
                         f"{LASER_PAD_MIN_PHASE_FRONT_UM:g} um)")
    return {**{k: float(values[f]) for f, k in TX_DBR_FIELDS.items()}, "width": LASER["width"]}


def transmitter_floorplan(pm_length_um: float = 1500.0, voa_length_um: float = 500.0,
                          ridge_width_um: float = 1.5, **dbr: float) -> TxFloorplan:
    """The transmitter floorplan (independent of the die size; see :func:`transmitter_chip_limits`).

    ``dbr``: the laser's ``dbr_*`` design fields (:data:`TX_DBR_FIELDS`; missing = the article's laser);
    both lasers are drawn with them, and everything east of them moves with their length.

    Raises :class:`InputError` for parameters outside the ranges the cell is drawn for, or when the
    pads cannot be allocated (no such parameters in those ranges; a test sweeps them).
    """
    laser = _tx_check_params(pm_length_um, voa_length_um, ridge_width_um, **dbr)
    return _tx_plan(float(pm_length_um), float(voa_length_um), float(ridge_width_um), laser)


def _tx_plan(P: float, V: float, wr: float, laser: dict | None = None) -> TxFloorplan:
    laser = dict(LASER) if laser is None else laser
    iso = ELECTRODE["iso_len"]
    m = _mzm_geometry(P)
    Lm, dy = m["length"], m["out_y"]
    Ll = _laser_length(laser)
    RP = ROW_PITCH_UM
    # rows: y relative to the die top (negative = below it)
    yA = -ROW_A_FROM_TOP_UM
    yB = -ROW_B_FROM_TOP_UM
    yC = _g(yB + dy - RP)
    yD = _g(yC - dy - RP)
    yE = _g(yD + dy - RP)
    x_im1 = LASER_Q_X_UM + Ll
    xE = _g(x_im1 + Lm)
    xW = _g(xE - IM_STAGGER_UM - Lm)
    els: list[TxElectrode] = []
    # laser I (row B, running east): all pads south
    for k, (s, L) in enumerate(_laser_electrodes(laser)):
        els.append(TxElectrode("laser_q", k, _g(LASER_Q_X_UM + s), 1, L, _g(yB - _TAB_REACH), False))
    # laser II (row A, running west, front port at LASER_REF_X_UM): all pads north
    rear_ref = LASER_REF_X_UM + Ll
    for k, (s, L) in enumerate(_laser_electrodes(laser)):
        els.append(TxElectrode("laser_ref", k, _g(rear_ref - s), -1, L, _g(yA + _TAB_REACH), True))
    # IMs: IM I east on row B, IM II west on row C, IM III east on row D; top arm pads face the
    # cell's north, so they face south in a westward (rotated) IM
    for name, x_o1, y, d in (("im1", x_im1, yB, 1), ("im2", _g(xE - IM_STAGGER_UM), yC, -1), ("im3", xW, yD, 1)):
        for k, (s, L, arm) in enumerate(m["electrodes"]):
            ya = y + d * arm
            north = (arm > 0) == (d > 0)
            els.append(TxElectrode(name, k, _g(x_o1 + d * s), d, L, _g(ya + (_TAB_REACH if north else -_TAB_REACH)), north))
    x_pm = xE  # PM o1 (running west)
    x_voa = _g(xE - P - 2 * iso)
    bottom_im = min(yB, yC, yD) - MZM["arm_spacing"] / 2 - _TAB_REACH
    top_feature = yA + _TAB_REACH
    east = _g(xE + TURN_RADIUS_UM + wr / 2)
    west_run = _g(x_voa - V - 2 * iso - TRANSITION_LENGTH_UM - SSC_TAPER_LENGTH_UM)
    if west_run < 1.0:  # cannot happen in the parameter ranges (a test checks it)
        raise InputError(f"voa_length_um = {V:g} um leaves no room for the quantum output guide")
    for sides in _SIDE_ORDER:
        row_e = [TxElectrode("pm", 0, _g(x_pm - iso), -1, P, _g(yE + sides[0] * _TAB_REACH), sides[0] > 0),
                 TxElectrode("voa", 0, _g(x_voa - iso), -1, V, _g(yE + sides[1] * _TAB_REACH), sides[1] > 0)]
        pads = _allocate(els + row_e, PAD_PITCH_UM)
        if pads is not None:
            break
    else:
        raise InputError(f"pm_length_um = {P:g} um, voa_length_um = {V:g} um: the transmitter pads cannot be "
                         f"allocated at a {PAD_PITCH_UM:g} um pitch")
    bottom = min(bottom_im, yE - _TAB_REACH)  # row E keeps room for south tabs whichever side is used
    max_pad_x = max(pads.values())
    min_w = max(east + EAST_MARGIN_UM, max_pad_x + PAD_X_MIN_UM)
    # north pads: bottom edge PAD_EDGE + PAD/2 below the top; south pads: top edge that far above 0
    pad_reach = PAD_EDGE_UM + INP_PAD_UM / 2 + PAD_CLEARANCE_UM
    if -top_feature < pad_reach:  # a constant layout fact, checked for safety
        raise InputError("transmitter floorplan: row A is too close to the north pads")
    min_h = -bottom + pad_reach
    return TxFloorplan(
        pm_length_um=P, voa_length_um=V, ridge_width_um=wr, mzm_length_um=Lm, laser_length_um=Ll,
        x_east_um=xE, x_west_um=xW, east_extent_um=east, electrodes=tuple(els + row_e), pads_x_um=pads,
        sides={"pm": sides[0], "voa": sides[1]}, bottom_from_top_um=_g(bottom),
        top_feature_from_top_um=_g(top_feature), min_die_width_um=_ceil_g(min_w), min_die_height_um=_ceil_g(min_h),
        rows_from_top_um={"A": yA, "B": yB, "C": yC, "D": yD, "E": yE}, laser=dict(laser),
    )


def _ceil_g(x: float) -> float:
    """Round up to the mask grid."""
    return round(math.ceil(round(x / GRID_UM, 6)) * GRID_UM, 3)


def transmitter_chip_limits(pm_length_um: float = 1500.0, voa_length_um: float = 500.0,
                            ridge_width_um: float = 1.5, **dbr: float) -> dict[str, tuple[float, float]]:
    """Allowed die size of the transmitter: ``{"die_width_um": (min, max), "die_height_um": (min, max)}``.

    The transmitter cell with these parameters (``dbr``: the laser's ``dbr_*`` fields) succeeds exactly
    for die sizes inside both ranges. Raises :class:`InputError` naming the parameter when a parameter
    is outside its own range.
    """
    fp = transmitter_floorplan(pm_length_um, voa_length_um, ridge_width_um, **dbr)
    return {"die_width_um": (fp.min_die_width_um, TX_MAX_DIE_UM),
            "die_height_um": (fp.min_die_height_um, TX_MAX_DIE_UM)}


def check_transmitter_chip(die_width_um: float, die_height_um: float, pm_length_um: float = 1500.0,
                           voa_length_um: float = 500.0, ridge_width_um: float = 1.5, **dbr: float) -> TxFloorplan:
    """The floorplan, after checking the die size against :func:`transmitter_chip_limits`."""
    fp = transmitter_floorplan(pm_length_um, voa_length_um, ridge_width_um, **dbr)
    laser = "" if fp.laser_length_um == _laser_length() else f" and a {_um(fp.laser_length_um)} um DBR laser"
    _check_die("die_width_um", die_width_um, fp.min_die_width_um, TX_MAX_DIE_UM,
               f"pm_length_um = {pm_length_um:g} um{laser}")
    _check_die("die_height_um", die_height_um, fp.min_die_height_um, TX_MAX_DIE_UM, "the five device rows and pads")
    return fp


def _um(x: float) -> str:
    """A length on the mask grid, printed exactly (no rounding of the last digit)."""
    return f"{x:.3f}".rstrip("0").rstrip(".")


def _check_die(name: str, value: float, lo: float, hi: float, why: str) -> None:
    """Like :func:`check_range`, but prints the 1 nm limits in full (4382.582, not 4382.58)."""
    check_range(name, value, 0.0, math.inf, "um", lo_open=True)
    if not lo <= value <= hi:
        raise InputError(f"{name} = {_um(value)} um is outside the allowed range [{_um(lo)}, {_um(hi)}] um "
                         f"(needed for {why})")


# --------------------------------------------------------------------------------------------------
# Si3N4 server chip
# --------------------------------------------------------------------------------------------------

#: Probe pad edge of the Si3N4 heater (METAL square; passivation opening 5 um inside).
SIN_PAD_UM = 100.0
#: Heater over the ring: trace width, lead width, pad distance above the ring guide (um).
HEATER = {"heater_width": 4.0, "lead_width": 20.0, "pad_offset": 150.0}
#: Lead x offset from the heater centre line beyond the lead width (um).
HEATER_LEAD_STEP_UM = 10.0
#: Inverse-taper edge couplers at both facets.
EDGE_COUPLER_LENGTH_UM = 300.0
#: Margin around the ring + heater block, and shortest bus straight between coupler and taper.
SERVER_MARGIN_UM = 100.0
SERVER_MAX_DIE_UM = 20000.0
#: Point-coupler bus reaches this far beyond the ring's outer edge (then rounded up to 1 um).
POINT_BUS_OVERHANG_UM = 5.0
#: Bend radius of the pulley bus (``ring_coupler_pulley`` default).
PULLEY_BEND_RADIUS_UM = 1000.0


@dataclass(frozen=True)
class ServerFloorplan:
    """The server chip relative to the ring centre: bus port x/y, block top/bottom, heater x extent."""

    bus_port_x_um: float  # |x| of the coupler's bus ports
    bus_port_y_um: float  # y of the bus ports (ring centre = 0)
    block_top_um: float
    block_bottom_um: float
    half_width_um: float  # half width of ring + heater leads + pads
    min_die_width_um: float
    min_die_height_um: float

    def ring_centre_y(self, die_height_um: float) -> float:
        """y of the ring centre that centres the ring + bus + heater block on the die."""
        return _g(die_height_um / 2 - (self.block_top_um + self.block_bottom_um) / 2)


def server_floorplan(radius_um: float = 997.711, width_um: float = 2.8, bus_width_um: float = 2.8,
                     gap_um: float = 1.92, thickness_nm: float = 100.0, heater: bool = True,
                     coupler: str = "point", pulley_angle_deg: float = 10.0,
                     edge_coupler_length_um: float = EDGE_COUPLER_LENGTH_UM) -> ServerFloorplan:
    """Extents of the server chip's ring, bus and heater (independent of the die size)."""
    for name, v in (("radius_um", radius_um), ("width_um", width_um), ("bus_width_um", bus_width_um),
                    ("gap_um", gap_um), ("thickness_nm", thickness_nm)):
        check_range(name, v, 0.0, math.inf, "nm" if name == "thickness_nm" else "um", lo_open=True)
    if bus_width_um > width_um:
        raise InputError(f"bus_width_um = {bus_width_um:g} um is outside the allowed range (0, {width_um:g}] um "
                         "(the bus may not be wider than the ring guide, width_um)")
    R, w, bw = float(radius_um), float(width_um), float(bus_width_um)
    r_bus = R + w / 2 + gap_um + bw / 2
    if coupler == "point":
        px = math.ceil(R + w / 2 + POINT_BUS_OVERHANG_UM)
        py = -r_bus
    elif coupler == "pulley":
        t = math.radians(pulley_angle_deg) / 2
        px = (r_bus + PULLEY_BEND_RADIUS_UM) * math.sin(t)
        py = PULLEY_BEND_RADIUS_UM - (r_bus + PULLEY_BEND_RADIUS_UM) * math.cos(t)
    else:
        raise InputError(f"coupler = {coupler!r}; choose 'point' or 'pulley'")
    bottom = -(r_bus + bw / 2)
    if heater:
        h = HEATER
        top = R + h["heater_width"] / 2 + h["pad_offset"] + SIN_PAD_UM
        half = R + h["heater_width"] / 2 + h["lead_width"] + HEATER_LEAD_STEP_UM + SIN_PAD_UM / 2
    else:
        top = R + w / 2
        half = R + w / 2
    min_w = 2 * max(px + edge_coupler_length_um + SERVER_MARGIN_UM, half + SERVER_MARGIN_UM)
    min_h = (top - bottom) + 2 * SERVER_MARGIN_UM
    return ServerFloorplan(bus_port_x_um=px, bus_port_y_um=py, block_top_um=top, block_bottom_um=bottom,
                           half_width_um=half, min_die_width_um=_ceil_g(min_w), min_die_height_um=_ceil_g(min_h))


def server_chip_limits(radius_um: float = 997.711, width_um: float = 2.8, bus_width_um: float = 2.8,
                       gap_um: float = 1.92, thickness_nm: float = 100.0, heater: bool = True,
                       coupler: str = "point") -> dict[str, tuple[float, float]]:
    """Allowed die size of the server chip: ``{"die_width_um": (min, max), "die_height_um": (min, max)}``.

    Width: both edge couplers, a ``SERVER_MARGIN_UM`` bus straight on each side of the ring coupler,
    and the heater pads with the margin; height: ring, bus and heater pads with the margin above
    and below. The server cell with these parameters succeeds exactly for die sizes inside both
    ranges (ring parameters themselves are checked by the ring cells).
    """
    fp = server_floorplan(radius_um, width_um, bus_width_um, gap_um, thickness_nm, heater, coupler)
    return {"die_width_um": (fp.min_die_width_um, SERVER_MAX_DIE_UM),
            "die_height_um": (fp.min_die_height_um, SERVER_MAX_DIE_UM)}


def check_server_chip(die_width_um: float, die_height_um: float, radius_um: float = 997.711,
                      width_um: float = 2.8, bus_width_um: float = 2.8, gap_um: float = 1.92,
                      thickness_nm: float = 100.0, heater: bool = True, coupler: str = "point",
                      pulley_angle_deg: float = 10.0,
                      edge_coupler_length_um: float = EDGE_COUPLER_LENGTH_UM) -> ServerFloorplan:
    """The floorplan, after checking the die size against :func:`server_chip_limits`."""
    fp = server_floorplan(radius_um, width_um, bus_width_um, gap_um, thickness_nm, heater, coupler,
                          pulley_angle_deg, edge_coupler_length_um)
    _check_die("die_width_um", die_width_um, fp.min_die_width_um, SERVER_MAX_DIE_UM,
               f"radius_um = {radius_um:g} um, the edge couplers and the bus")
    _check_die("die_height_um", die_height_um, fp.min_die_height_um, SERVER_MAX_DIE_UM,
               f"radius_um = {radius_um:g} um" + (" and the heater pads" if heater else ""))
    return fp
