"""The design file's schema: frozen pydantic models with units in every field name.

A design carries everything that ``qchipnet run`` needs to go from parameters to masks, metrics,
key rates and yield: the server ring and chip, the transmitter chip, the network (pairs, distances,
channels), protocol and detection, process-data overrides, mask options and the Monte Carlo size.
Ranges are the validity ranges of the cells and models that consume the values (a 30 GHz ring
needs R ~ 1 mm; a 100 nm nitride film; the article's 4.6 x 2 mm InP die).
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from ..components.floorplan import (
    SERVER_MAX_DIE_UM,
    TX_DBR_DEFAULTS,
    TX_DBR_RANGES,
    TX_MAX_DIE_UM,
    TX_PM_LENGTH_RANGE_UM,
    TX_RIDGE_WIDTH_RANGE_UM,
    TX_VOA_LENGTH_RANGE_UM,
)
from ..validate import Frozen

__all__ = [
    "ServerRing", "ServerChip", "TransmitterChip", "PairDesign", "NetworkDesign", "ProtocolDesign",
    "DetectionDesign", "MaskDesign", "MonteCarloDesign", "Design", "REMOVED_FIELDS", "check_design_space",
    "network_params", "processes",
]

#: The comb lines that the system model describes (lambda_-5 .. lambda_+8, article).
COMB_LINES = range(-5, 9)


class ServerRing(Frozen):
    """The Si3N4 microresonator of the server chip (default: 30.03 GHz, 2.8 um x 100 nm, R = 1 mm).

    The fields are the parameters of the ring and server-chip cells and of the ring evaluator
    (``circuits.devices.ring_metrics``), under the same names. The FSR follows from the radius
    (``circuits.ring.design_radius_um`` designs the radius for a target FSR). The bounds here are
    the outer limits; the model domain (mode tables less 4 process sigma,
    ``circuits.devices.ring_design_ranges``) and the minimum bend radius of the film are checked
    when the design is loaded.
    """

    radius_um: float = Field(997.711, ge=50.0, le=10000.0, description="ring radius to the guide centre (30.03 GHz FSR at the default cross-section)")
    width_um: float = Field(2.8, gt=0.0, le=10.0, description="ring waveguide width")
    gap_um: float = Field(1.99, gt=0.0, le=10.0, description="bus-ring gap at the closest point (>= WG.S.1 0.8 um); 1.99 um is critical coupling at the ring-mode loss")
    thickness_nm: float = Field(100.0, ge=80.0, le=200.0, description="nitride film thickness (pdk.sin.geometry.THICKNESS_RANGE_NM)")
    bus_width_um: float = Field(2.8, gt=0.0, le=10.0, description="bus waveguide width (at most width_um)")


class ServerChip(Frozen):
    """The server (microcomb) die."""

    die_width_um: float = Field(5000.0, gt=0.0, le=SERVER_MAX_DIE_UM, description="lower bound: components.floorplan.server_chip_limits")
    die_height_um: float = Field(3000.0, gt=0.0, le=SERVER_MAX_DIE_UM)
    heater: bool = True


def _dbr(field: str, description: str):
    lo, hi = TX_DBR_RANGES[field]
    return Field(TX_DBR_DEFAULTS[field], ge=lo, le=hi, description=description)


class TransmitterChip(Frozen):
    """The InP client transmitter die: 2 DBR lasers, 3 IMs, 1 PM, VOA (article: 4.6 x 2 mm).

    The ``dbr_*`` fields are both DBR lasers (quantum and reference; same geometry): the chip cell
    draws them and the evaluator's DBR model (``models.inp.dbr_laser_metrics``) reads them. The
    schema bounds are the laser cell's ranges (``components.floorplan.TX_DBR_RANGES``); the design
    check narrows them with the models (``circuits.devices.transmitter_design_ranges``: Bragg
    wavelength inside the models' wavelength range, 2 pi phase section), refuses a laser that does
    not reach threshold, and the floorplan needs the phase and front-DBR pads a pitch apart
    (phase + front >= 116 um) and a die wide enough for the laser. Defaults: the article's laser.
    """

    die_width_um: float = Field(4600.0, gt=0.0, le=TX_MAX_DIE_UM, description="lower bound: components.floorplan.transmitter_chip_limits")
    die_height_um: float = Field(2000.0, gt=0.0, le=TX_MAX_DIE_UM)
    pm_length_um: float = Field(1500.0, ge=TX_PM_LENGTH_RANGE_UM[0], le=TX_PM_LENGTH_RANGE_UM[1],
                                description="phase-modulator (and IM arm) electrode length (chip floorplan range)")
    voa_length_um: float = Field(500.0, ge=TX_VOA_LENGTH_RANGE_UM[0], le=TX_VOA_LENGTH_RANGE_UM[1],
                                 description="VOA section length (chip floorplan range)")
    ridge_width_um: float = Field(1.5, ge=TX_RIDGE_WIDTH_RANGE_UM[0], le=TX_RIDGE_WIDTH_RANGE_UM[1],
                                  description="deep-ridge width of the modulators, VOA and passive guides")
    dbr_grating_period_nm: float = _dbr("dbr_grating_period_nm", "first-order grating period of both DBR mirrors: "
                                        "Bragg wavelength lambda_B = 2 n_eff Lambda (model range: lambda_B in "
                                        "1530-1570 nm less 4 sigma of the period error, about 235-241.7 nm)")
    dbr_rear_length_um: float = _dbr("dbr_rear_length_um", "rear DBR mirror: R = tanh^2(kappa L); its volume sets "
                                     "the current tuning (carrier density ~ I / volume)")
    dbr_gain_length_um: float = _dbr("dbr_gain_length_um", "MQW gain section: the laser must reach threshold "
                                     "(modal gain <= 80 /cm)")
    dbr_phase_length_um: float = _dbr("dbr_phase_length_um", "phase section: must give 2 pi of round-trip phase at "
                                      "the 12 mA tuning current; with the front DBR >= 116 um (pad pitch)")
    dbr_front_length_um: float = _dbr("dbr_front_length_um", "front (output) DBR mirror: R sets the output "
                                      "coupling and the injection rate k_c = (1-R)/(tau_in sqrt R)")


class PairDesign(Frozen):
    """One client pair of the network: comb line and Alice-Bob upstream fibre length."""

    pair: int = Field(ge=1, le=50)
    comb_line: int = Field(ge=-5, le=8)
    distance_km: float = Field(370.0, ge=0.0, le=2000.0)
    downstream_km: float = Field(0.0, ge=0.0, le=500.0)
    reamplified: bool = False


def _default_pairs() -> tuple[PairDesign, ...]:
    lines = (-5, -4, -3, 2, 3, 4, 5, 6, 7, 8)
    return tuple(
        PairDesign(pair=i, comb_line=ln, distance_km=370.0, downstream_km=60.0 if i == 5 else 0.0, reamplified=i == 5)
        for i, ln in enumerate(lines, start=1)
    )


class NetworkDesign(Frozen):
    """Pairs (the article's 10 pairs at 370 km), the distances to evaluate, the reference channel."""

    pairs: tuple[PairDesign, ...] = Field(default_factory=_default_pairs)
    distances_km: tuple[float, ...] = (204.0, 370.0)
    curve_max_km: float = Field(600.0, ge=10.0, le=2000.0, description="x range of the key-rate plot")
    reference_line: int = Field(0, ge=-5, le=8)

    @field_validator("distances_km")
    @classmethod
    def _dist(cls, v):
        for d in v:
            if not 0.0 <= d <= 2000.0:
                raise ValueError(f"distance {d} km outside [0, 2000] km")
        return v

    @model_validator(mode="after")
    def _unique(self) -> "NetworkDesign":
        lines = [p.comb_line for p in self.pairs]
        if len(set(lines)) != len(lines):
            raise ValueError(f"two pairs share a comb line: {lines}")
        if self.reference_line in lines:
            raise ValueError(f"reference_line {self.reference_line} is also a quantum channel")
        return self


class ProtocolDesign(Frozen):
    """SNS-TF-QKD finite-size settings (intensities are optimised per pair)."""

    n_pulses: float = Field(1e12, ge=1e6, le=1e18)
    failure_prob: float = Field(1e-10, ge=1e-20, le=1e-2)
    ec_efficiency: float = Field(1.1, ge=1.0, le=2.0)
    aopp: bool = False


class DetectionDesign(Frozen):
    """Detectors and fibre (assumptions; the article gives none)."""

    detector_efficiency: float = Field(0.6, gt=0.0, le=1.0)
    dark_count_rate_Hz: float = Field(10.0, ge=0.0, le=1e6)
    gate_ns: float = Field(1.0, ge=0.01, le=100.0)
    fibre_loss_dB_per_km: float = Field(0.2, ge=0.0, le=1.0)
    server_loss_dB: float = Field(1.5, ge=0.0, le=30.0)


class MaskDesign(Frozen):
    """Mask options: DOE sweeps on the server wafer, test-structure lengths, wafer plan knobs."""

    doe_gap_offsets_um: tuple[float, ...] = (-0.4, -0.2, 0.2, 0.4)
    doe_width_offsets_um: tuple[float, ...] = (-0.2, 0.2)
    test_pm_lengths_um: tuple[float, ...] = (500.0, 1000.0, 2000.0)
    test_mzi_lengths_um: tuple[float, ...] = (500.0, 1000.0, 2000.0)
    cutback_lengths_um: tuple[float, ...] = (1000.0, 2000.0, 4000.0)
    loss_ring_radii_um: tuple[float, ...] = (600.0, 1000.0)
    dicing_lane_um: float = Field(100.0, ge=20.0, le=1000.0)
    reserved_rows_top_inp: int = Field(0, ge=0, le=5)
    reserved_rows_top_sin: int = Field(0, ge=0, le=5)

    @field_validator("doe_gap_offsets_um", "doe_width_offsets_um")
    @classmethod
    def _offs(cls, v):
        for x in v:
            if not -2.0 <= x <= 2.0 or x == 0.0:
                raise ValueError(f"offset {x} um outside [-2, 2] um or zero (the default is always placed)")
        return v

    @field_validator("test_pm_lengths_um", "test_mzi_lengths_um", "cutback_lengths_um", "loss_ring_radii_um")
    @classmethod
    def _lens(cls, v):
        if not v:
            raise ValueError("at least one length is needed")
        for x in v:
            if not 100.0 <= x <= 5000.0:
                raise ValueError(f"length {x} um outside [100, 5000] um")
        return v


class MonteCarloDesign(Frozen):
    """Size and seed of the yield study of ``qchipnet run``."""

    dies: int = Field(2000, ge=1, le=10_000_000)
    seed: int = Field(1, ge=0)


class Design(Frozen):
    """A complete qchipnet design."""

    name: str = Field("weiming-reference", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    server_ring: ServerRing = ServerRing()
    server_chip: ServerChip = ServerChip()
    transmitter: TransmitterChip = TransmitterChip()
    network: NetworkDesign = NetworkDesign()
    protocol: ProtocolDesign = ProtocolDesign()
    detection: DetectionDesign = DetectionDesign()
    process: dict[str, dict[str, dict[str, float]]] = Field(
        default_factory=dict, description="per platform: {parameter: {field: value}} overrides of pdk process data")
    mask: MaskDesign = MaskDesign()
    monte_carlo: MonteCarloDesign = MonteCarloDesign()

    @model_validator(mode="after")
    def _process(self) -> "Design":
        from ..pdk import PLATFORMS, get_platform

        for plat in self.process:
            if plat not in PLATFORMS:
                raise ValueError(f"process.{plat}: unknown platform; choose one of {list(PLATFORMS)}")
        procs = {}
        for plat in PLATFORMS:
            over = self.process.get(plat, {})
            try:
                procs[plat] = get_platform(plat).process.with_overrides(over)
            except Exception as exc:  # InputError naming the parameter/field
                raise ValueError(f"process.{plat}: {exc}") from None
        check_design_space(self, procs)
        gmin = self.server_ring.gap_um + min(self.mask.doe_gap_offsets_um, default=0.0)
        if gmin < 0.8:
            raise ValueError(f"mask.doe_gap_offsets_um: smallest DOE gap {gmin:g} um < WG.S.1 0.8 um")
        return self


#: Guide widths are multiples of this (um): both edges of a centred guide fall on the 1-nm mask grid.
WIDTH_GRID_UM = 0.002

#: Fields that earlier designs had and that were removed, with where their meaning went.
REMOVED_FIELDS = {
    ("server_ring", "target_fsr_GHz"): "the FSR follows from radius_um (qchipnet ring prints it; "
                                       "circuits.ring.design_radius_um gives the radius for a target FSR)",
    ("network", "channel_spacing_GHz"): "the WDM channels are the comb lines, spaced by the ring's FSR",
}


def check_design_space(design: Design, processes: dict) -> None:
    """Refuse, in one line naming the field, a design that the cells or the models cannot carry:
    fields outside the model domain less the process margin, a radius below the film's minimum
    bend radius, a bus wider than the ring, process data whose spread leaves the models' domain."""
    from ..circuits import devices as dv
    from ..pdk.sin.geometry import min_bend_radius_um

    def refuse(path, value, lo, hi, unit, why):
        d = 6 if ".dbr_" in path else 4  # the laser's limits to 0.001 nm / 0.1 um
        raise ValueError(f"{path} = {value:g} is outside the allowed range [{lo:.{d}g}, {hi:.{d}g}] {unit} ({why})")

    r, t = design.server_ring, design.transmitter
    # guide widths on the 2-nm grid: a port of odd width cannot be centred on the 1-nm mask grid
    for path, v in (("server_ring.width_um", r.width_um), ("server_ring.bus_width_um", r.bus_width_um),
                    ("transmitter.ridge_width_um", t.ridge_width_um)):
        if abs(v / WIDTH_GRID_UM - round(v / WIDTH_GRID_UM)) > 1e-6:
            raise ValueError(f"{path} = {v:g} is not a multiple of {WIDTH_GRID_UM:g} um (the 1-nm mask grid "
                             f"on both edges of a guide); for example {round(v / WIDTH_GRID_UM) * WIDTH_GRID_UM:.3f}")
    for field, (lo, hi, why) in dv.ring_design_ranges(processes["sin"]).items():
        v = getattr(r, field)
        if not lo <= v <= hi:
            refuse(f"server_ring.{field}", v, lo, hi, "nm" if field.endswith("_nm") else "um", why)
    r_min = min_bend_radius_um(r.thickness_nm)
    if r.radius_um < r_min:
        refuse("server_ring.radius_um", r.radius_um, r_min, 10000.0, "um",
               f"minimum bend radius of a {r.thickness_nm:g} nm film, pdk.sin.geometry.min_bend_radius_um")
    if r.bus_width_um > r.width_um:
        refuse("server_ring.bus_width_um", r.bus_width_um, 0.0, r.width_um, "um", "the bus may not be wider than the ring")
    for field, (lo, hi, why) in dv.transmitter_design_ranges(processes["inp"]).items():
        v = getattr(t, field)
        if not lo <= v <= hi:
            refuse(f"transmitter.{field}", v, lo, hi, "nm" if field.endswith("_nm") else "um", why)
    _check_laser_threshold(t, processes["inp"], refuse)
    # the chips must be drawable at the design's die sizes (the floorplans the cells draw)
    from ..components.floorplan import check_server_chip, check_transmitter_chip
    from ..validate import InputError

    def server_section(msg: str) -> str:
        return "server_ring" if msg.split(" ", 1)[0] in type(r).model_fields else "server_chip"

    try:
        check_server_chip(**design.server_chip.model_dump(), **r.model_dump())
    except InputError as exc:
        raise ValueError(f"{server_section(str(exc))}.{exc}") from None
    # every DOE variant of the server wafer must be drawable too (a wider gap needs a taller die)
    mk = design.mask
    for field, key, offsets in (("doe_gap_offsets_um", "gap_um", mk.doe_gap_offsets_um),
                                ("doe_width_offsets_um", "width_um", mk.doe_width_offsets_um)):
        for off in offsets:
            ring = r.model_dump()
            ring[key] += off
            if key == "width_um":
                ring["bus_width_um"] += off
            try:
                check_server_chip(**design.server_chip.model_dump(), **ring)
            except InputError as exc:
                raise ValueError(f"mask.{field}: the DOE variant {key} {off:+g} um cannot be drawn: {exc}") from None
    try:
        check_transmitter_chip(**t.model_dump())
    except InputError as exc:
        raise ValueError(f"transmitter.{exc}") from None
    # the ring must make a dark-pulse comb the system model can evaluate: normal dispersion with
    # d2 = -2 D2 / kappa inside the LLE model's range (a cheap batch-of-one evaluation)
    import math

    from ..constants import NU0_HZ
    from ..system.comb import DARK_PULSE_D2_RANGE

    from ..models.cache import cached_json, content_key

    key = content_key({"ring": r.model_dump(), "process": processes["sin"].model_dump()})
    m = cached_json("ring_nominal", key, lambda: {
        k: float(v) for k, v in dv.ring_metrics(r.model_dump(), process=processes["sin"]).items()})
    kappa = 2 * math.pi * NU0_HZ / float(m["q_loaded"])
    d2 = -2 * (2 * math.pi * float(m["D2_over_2pi_kHz"]) * 1e3) / kappa
    lo, hi = DARK_PULSE_D2_RANGE
    if not lo <= d2 <= hi:
        raise ValueError(f"server_ring.gap_um = {r.gap_um:g} (with width_um {r.width_um:g}, thickness_nm "
                         f"{r.thickness_nm:g}): the normalised dispersion d2 = -2 D2/kappa = {d2:.4g} is outside the "
                         f"dark-pulse comb model's range [{lo:g}, {hi:g}] (D2/2pi = {float(m['D2_over_2pi_kHz']):.4g} "
                         f"kHz, Q_L = {float(m['q_loaded']):.3g}); a larger gap (higher Q_L) or a wider, thicker "
                         f"guide raises it")
    for plat, proc in processes.items():
        problems = dv.process_domain_problems(plat, proc)
        if problems:
            raise ValueError(f"process.{plat}.{problems[0]}")


#: Fields that close the laser's gain loop, in the order a refusal names them (the output mirror first).
_THRESHOLD_FIELDS = ("dbr_front_length_um", "dbr_rear_length_um", "dbr_gain_length_um")


def _check_laser_threshold(t: TransmitterChip, process, refuse) -> None:
    """Refuse a laser that does not reach threshold (``models.inp.dbr_laser_metrics`` ``lases`` at the
    nominal process), naming the first of :data:`_THRESHOLD_FIELDS` whose range alone would fix it,
    with that range (the other fields held)."""
    import numpy as np

    from ..models import inp as M

    kw = {"grating_period_nm": t.dbr_grating_period_nm, "rear_dbr_um": t.dbr_rear_length_um,
          "gain_um": t.dbr_gain_length_um, "phase_um": t.dbr_phase_length_um, "front_dbr_um": t.dbr_front_length_um,
          "core_um": process["core_thickness_um"].nominal, "core_bandgap_um": process["core_bandgap_um"].nominal}
    m = M.dbr_laser_metrics(**kw)
    if bool(m["lases"]):
        return
    g_th, g_max = float(m["threshold_gain_per_cm"]), M.LASER.max_modal_gain_per_cm
    arg = {"dbr_front_length_um": "front_dbr_um", "dbr_rear_length_um": "rear_dbr_um", "dbr_gain_length_um": "gain_um"}
    why = (f"the laser does not reach threshold: modal gain {g_th:.3g} /cm needed, the MQW gives at most {g_max:g} /cm "
           f"(models.inp.dbr_laser_metrics; longer mirrors or a longer gain section lower it)")
    for field in _THRESHOLD_FIELDS:
        lo, hi = TX_DBR_RANGES[field]
        grid = np.linspace(lo, hi, round(hi - lo) * 10 + 1)  # 0.1 um
        ok = np.asarray(M.dbr_laser_metrics(**{**kw, arg[field]: grid})["lases"])
        if ok.any():  # the threshold gain falls with each of these lengths
            refuse(f"transmitter.{field}", getattr(t, field), float(grid[np.argmax(ok)]), hi, "um", why)
    field = _THRESHOLD_FIELDS[0]
    raise ValueError(f"transmitter.{field} = {getattr(t, field):g}: no value in [{TX_DBR_RANGES[field][0]:g}, "
                     f"{TX_DBR_RANGES[field][1]:g}] um lets this laser lase; {why}")


def network_params(design: Design, pairs=None):
    """The system model's :class:`~qchipnet.system.NetworkParams` of a design: its pairs (the
    article's faster drifts on a reamplified long-downstream pair), link, detection and protocol."""
    from ..system import LinkParams, NetworkParams, PairSpec, SNSProtocol, default_pairs

    dflt = {p.pair: p for p in default_pairs()}
    specs = []
    for p in pairs if pairs is not None else design.network.pairs:
        base = dflt.get(p.pair)
        kw = {"pair": p.pair, "comb_line": p.comb_line, "distance_km": p.distance_km, "downstream_km": p.downstream_km,
              "reamplified": p.reamplified}
        if base is not None and base.reamplified and p.reamplified:
            kw["tracking"] = base.tracking
        specs.append(PairSpec(**kw))
    det, pr = design.detection, design.protocol
    link = LinkParams(loss_dB_per_km=det.fibre_loss_dB_per_km, detector_efficiency=det.detector_efficiency,
                      dark_count_rate_Hz=det.dark_count_rate_Hz, gate_ns=det.gate_ns, server_loss_dB=det.server_loss_dB)
    proto = SNSProtocol(n_pulses=pr.n_pulses, failure_prob=pr.failure_prob, ec_efficiency=pr.ec_efficiency, aopp=pr.aopp)
    return NetworkParams(pairs=specs, link=link, protocol=proto, reference_line=design.network.reference_line)


def processes(design: Design) -> dict:
    """{platform: ProcessData} of the design: the PDK process data with the design's overrides."""
    from ..pdk import PLATFORMS, get_platform

    return {p: get_platform(p).process.with_overrides(design.process.get(p, {})) for p in PLATFORMS}
