"""The InP transmitter: its report (``qchipnet transmitter``) from the batch evaluator, and its sax
circuits built from the cells' own netlists.

- :func:`transmitter_report` (the ``qchipnet transmitter --json`` dictionary): the metrics of
  :func:`qchipnet.circuits.devices.transmitter_metrics` for a batch of one, the SNS intensity states
  of IM II/III and the PM's DAC phase error from the same closed forms, and the chip's quantum and
  reference path transmissions from the chip's sax circuit (computed once per design and cached by
  content hash, :func:`chip_path_numbers`).
- :func:`mzm_circuit` / :func:`im_metrics`: the IM cell as a sax circuit and its swept T(V): the
  transfer curve of the plots, and the oracle the tests hold the evaluator's IM against.
- :func:`chip_circuit`: the whole chip (``components.chips.transmitter_chip``) as one sax circuit.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Mapping

import numpy as np

from ..constants import LAMBDA0_UM
from ..validate import InputError, check_range

__all__ = [
    "SNS_TARGETS",
    "DRIVE_ARM",
    "JSON_KEYS",
    "mzm_circuit",
    "im_settings",
    "im_metrics",
    "chip_circuit",
    "chip_path_numbers",
    "transmitter_report",
]

#: SNS-TF-QKD intensity design (ratios to the signal state) realised with IM II [T]: decoy 0.25.
SNS_TARGETS = {"decoy_over_signal": 0.25}
#: The RF-driven arm of every IM (the evaluator's closed form drives the same arm). Reverse bias
#: adds electro-absorption loss to the driven arm at the null; driving the bottom arm makes it
#: offset the combiner's imbalance (top output favoured at the drawn geometry) instead of adding to it.
DRIVE_ARM = "bottom"

JSON_KEYS = (
    "vpi_V", "im_visibility_dB", "im_insertion_loss_dB", "pm_insertion_loss_dB", "dbr_tuning_range_nm",
    "reachable_comb_lines", "target_lines_reachable", "chip_size_um", "n_modulators", "n_eo_phase_sections",
    "mmi_imbalance_dB", "mmi_excess_loss_dB", "im_chirp_rad", "decoy_over_signal", "vacuum_over_signal",
    "not_sending_extinction_dB", "signal_decoy_phase_rad", "pm_phase_error_rad", "pm_dac_lsb_V", "pm_max_phase_rad",
    "im_intensity_error_rel",
    "quantum_path_transmission_dB", "reference_path_transmission_dB", "bragg_nm", "mode_spacing_nm", "alpha_H",
    "linewidth_free_MHz", "k_c_per_s", "eo_s_ref_m2_per_V2", "dbr_tec_window_nm", "im_visibility_te_only_dB",
    "im_v_on_V", "im_v_off_V", "voa_attenuation_dB", "pm_length_um", "ridge_width_um",
)


def _models(netlists: dict) -> dict:
    from ..models.inp import MODELS

    out = dict(MODELS)
    for name in netlists:
        base = re.sub(r"\d+$", "", name)
        if name not in out and base in MODELS:
            out[name] = MODELS[base]
    return out


def _optical(net: dict) -> dict:
    """Drop electrical nets (electrode - route - pad) and instances without optical connections (pads,
    routes, labels) from a netlist."""
    nets = [n for n in net.get("nets", []) if not (n["p1"].split(",")[1].startswith("e")
                                                   or n["p2"].split(",")[1].startswith("e"))]
    net = {**net, "nets": nets}
    used = set()
    for n in nets:
        used |= {n["p1"].split(",")[0], n["p2"].split(",")[0]}
    for p in net.get("ports", {}).values():
        used.add(p.split(",")[0])
    inst = {k: v for k, v in net["instances"].items() if k in used}
    ports = {k: v for k, v in net.get("ports", {}).items() if not k.startswith(("e", "pad")) or k.startswith("o")}
    ports = {k: v for k, v in ports.items() if "," in v and not v.split(",")[1].startswith("e")}
    return {**net, "instances": inst, "ports": ports, "placements": {k: v for k, v in net.get("placements", {}).items() if k in inst}}


def _circuit(component):
    import sax

    nets = component.get_netlist(recursive=True)
    models = _models(nets)
    nets = {k: _optical(v) for k, v in nets.items() if k not in models}
    circ, _ = sax.circuit(nets, models=models, backend="klu")
    return circ


@functools.lru_cache(maxsize=8)
def mzm_circuit(pm_length: float = 1500.0, width: float = 1.5):
    """sax circuit of the IM cell (ports o1 in, o2 through, o3 complementary)."""
    from ..components.inp import mzm
    from ..pdk import activated

    with activated("inp"):
        return _circuit(mzm(pm_length=pm_length, width=width))


def im_settings(volts, *, width: float = 1.5, arm_loss_imbalance_dB: float = 0.0, mmi_width_error_um: float = 0.0,
                core_bandgap_um: float = 1.25, eo_rel: float = 1.0, drive_arm: str = DRIVE_ARM) -> dict:
    """sax instance settings of one IM: voltage on the driven arm, the die's process values on the
    arms (extra loss of the bottom arm, EO factor, bandgap) and MMI width error on both MMIs."""
    if drive_arm not in ("top", "bottom"):
        raise InputError(f"drive_arm = {drive_arm!r}; choose 'top' or 'bottom'")
    arm = {"width": width, "core_bandgap": core_bandgap_um, "eo_rel": eo_rel}
    top, bot = dict(arm), {**arm, "loss_imbalance_dB": arm_loss_imbalance_dB}
    (bot if drive_arm == "bottom" else top)["voltage"] = volts
    bias = {"width": width, "core_bandgap": core_bandgap_um, "eo_rel": eo_rel}
    return {"pm_top": top, "pm_bot": bot, "bias_top": bias, "bias_bot": dict(bias),
            "split": {"width_error": mmi_width_error_um}, "comb": {"width_error": mmi_width_error_um}}


def im_metrics(*, pm_length: float = 1500.0, width: float = 1.5, wl: float = LAMBDA0_UM, v_max: float = 14.0,
               circuit=None, npts: int = 1401, drive_arm: str = DRIVE_ARM, tm_floor_dB: float | None = None,
               **die) -> dict[str, Any]:
    """Transmission of the IM cell's sax circuit vs reverse voltage on the driven arm, and its metrics
    (visibility = extinction ratio, physics.md 4.3; insertion loss; chirp). ``die``: the process
    values of :func:`im_settings`. ``visibility_dB`` includes the TM-leakage floor
    (``circuits.devices.TM_LEAKAGE_DB``; ``tm_floor_dB=float('inf')`` removes it)."""
    from scipy.optimize import minimize_scalar

    from .devices import TM_LEAKAGE_DB

    check_range("v_max", v_max, 1.0, 15.0, "V")
    circ = circuit or mzm_circuit(pm_length, width)
    v = np.linspace(0.0, v_max, npts)

    def s21(volts):
        S = circ(wl=wl, **im_settings(volts, width=width, drive_arm=drive_arm, **die))
        return np.asarray(S["o1", "o2"])

    t = np.abs(s21(v)) ** 2
    i_min, i_max = int(np.argmin(t)), int(np.argmax(t))

    def refine(i, sign):
        lo, hi = v[max(i - 2, 0)], v[min(i + 2, npts - 1)]
        r = minimize_scalar(lambda x: sign * float(np.abs(s21(x)) ** 2), bounds=(lo, hi), method="bounded",
                            options={"xatol": 1e-9})
        return float(r.x), sign * float(r.fun)

    v_min, t_min = refine(i_min, 1.0)
    v_on, t_max = refine(i_max, -1.0)
    on, off = complex(s21(v_on)), complex(s21(min(v_min + 0.05, v_max)))
    er = 10 * np.log10(t_max / max(t_min, 1e-30))
    floor = TM_LEAKAGE_DB if tm_floor_dB is None else tm_floor_dB
    vis = er if not np.isfinite(floor) else -10 * np.log10(10 ** (-er / 10) + 10 ** (-floor / 10))
    return {
        "voltage_V": v, "transmission": t, "t_max": t_max, "t_min": max(t_min, 1e-30), "v_on_V": v_on, "v_off_V": v_min,
        "visibility_dB": float(vis), "visibility_te_only_dB": float(er),
        "insertion_loss_dB": -10 * np.log10(t_max), "chirp_rad": float(np.angle(off / on)),
    }


@functools.lru_cache(maxsize=4)
def chip_circuit(**tx):
    """(sax circuit, component) of the transmitter chip of a design's ``transmitter`` section."""
    from ..components.chips import transmitter_chip
    from ..pdk import activated

    with activated("inp"):
        c = transmitter_chip(**tx)
        return _circuit(c), c


def chip_path_numbers(tx: Mapping[str, Any], *, process=None, wl_um: float = LAMBDA0_UM) -> dict[str, Any]:
    """Quantum and reference path transmissions (dB, every IM in its on state, PM and VOA at 0) and
    the modulator counts of the chip, from the chip's sax circuit. Computed once per design and
    process (gdsfactory + sax: tens of seconds) and cached on disk by content hash
    (``$QCHIPNET_CACHE_DIR`` or ``~/.cache/qchipnet``; a corrupt or unwritable cache is recomputed)."""
    from ..components.floorplan import TX_DBR_DEFAULTS
    from ..models.cache import cached_json, content_key
    from .devices import TRANSMITTER_FIELDS, transmitter_metrics

    tx = {**TX_DBR_DEFAULTS, **tx}  # a section without the laser fields: the article's laser
    tx = {k: float(tx[k]) for k in TRANSMITTER_FIELDS}
    v_on = float(np.asarray(transmitter_metrics(tx, process=process)["im_v_on_V"]).reshape(-1)[0])

    def compute() -> dict:
        chip, comp = chip_circuit(**tx)
        on = {im: im_settings(v_on, width=tx["ridge_width_um"]) for im in ("im1", "im2", "im3")}
        S = chip(wl=wl_um, **on)
        return {"quantum_path_transmission_dB": float(10 * np.log10(abs(complex(np.asarray(S["rear_q", "o_q"]))) ** 2)),
                "reference_path_transmission_dB": float(10 * np.log10(abs(complex(np.asarray(S["rear_ref", "o_ref"]))) ** 2)),
                "n_modulators": int(comp.info["n_modulators"]),
                "n_eo_phase_sections": int(comp.info["n_eo_phase_sections"])}

    return cached_json("chip_paths", content_key({"tx": tx, "v_on": round(v_on, 9), "wl": wl_um}), compute)


def transmitter_report(tx: Mapping[str, Any], *, process=None, offsets: Mapping[str, Any] | None = None,
                       max_tuning_current_mA: float | None = None, wl_um: float = LAMBDA0_UM,
                       chip_paths: bool = True) -> dict[str, Any]:
    """The ``qchipnet transmitter --json`` dictionary (:data:`JSON_KEYS`) of a design's ``transmitter``.

    ``offsets``: one die's process offsets (default: the nominal process). ``chip_paths=False``
    skips the chip circuit (path transmissions and modulator counts become None).
    """
    from ..models import inp as M
    from . import devices as dv

    kw = {} if max_tuning_current_mA is None else {"max_tuning_current_mA": max_tuning_current_mA}
    m = {k: np.asarray(v).reshape(-1) for k, v in dv.transmitter_metrics(tx, offsets, process=process, wl_um=wl_um,
                                                                         **kw).items()}
    s = {k: (v[0] if v.size == 1 else v) for k, v in m.items() if k != "reachable"}
    field = dv.im_field_function(tx, offsets, process=process, wl_um=wl_um)
    e_on = field(float(s["im_v_on_V"]))
    t_on = abs(e_on) ** 2
    # IM II decoy level: bisection on the monotonic branch between the on and off voltages
    lo, hi = sorted((float(s["im_v_on_V"]), float(s["im_v_off_V"])))
    rising = abs(field(lo)) ** 2 < abs(field(hi)) ** 2
    target = SNS_TARGETS["decoy_over_signal"]
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        above = abs(field(mid)) ** 2 / t_on > target
        if above != rising:
            lo = mid
        else:
            hi = mid
    v_decoy = 0.5 * (lo + hi)
    e_dec, e_off = field(v_decoy), field(float(s["im_v_off_V"]))
    lsb = dv.PM_DAC["full_scale_V"] / (2 ** dv.PM_DAC["bits"] - 1)
    paths = chip_path_numbers(tx, process=process, wl_um=wl_um) if chip_paths else {
        "quantum_path_transmission_dB": None, "reference_path_transmission_dB": None, "n_modulators": None,
        "n_eo_phase_sections": None}
    mus = np.arange(-20, 21)
    reach = [int(mu) for mu, ok in zip(mus, m["reachable"].reshape(-1, mus.size)[0]) if ok]
    return {
        "vpi_V": float(s["vpi_V"]),
        "im_visibility_dB": float(s["im_visibility_dB"]),
        "im_insertion_loss_dB": float(s["im_insertion_loss_dB"]),
        "pm_insertion_loss_dB": float(s["pm_insertion_loss_dB"]),
        "dbr_tuning_range_nm": float(s["dbr_tuning_range_nm"]),
        "reachable_comb_lines": reach,
        "target_lines_reachable": bool(s["target_lines_reachable"]),
        "chip_size_um": [float(tx["die_width_um"]), float(tx["die_height_um"])],
        "n_modulators": paths["n_modulators"],
        "n_eo_phase_sections": paths["n_eo_phase_sections"],
        "mmi_imbalance_dB": float(s["mmi_imbalance_dB"]),
        "mmi_excess_loss_dB": float(s["mmi_excess_loss_dB"]),
        "im_chirp_rad": float(s["im_chirp_rad"]),
        "decoy_over_signal": abs(e_dec) ** 2 / t_on,
        "vacuum_over_signal": abs(e_off) ** 2 / t_on,
        "not_sending_extinction_dB": float(s["im_visibility_dB"]),
        "signal_decoy_phase_rad": float(np.angle(e_dec / e_on)),
        "pm_phase_error_rad": None if not np.isfinite(s["pm_phase_error_rad"]) else float(s["pm_phase_error_rad"]),
        "pm_max_phase_rad": float(s["pm_max_phase_rad"]),
        "im_intensity_error_rel": (None if not np.isfinite(s["im_intensity_error_rel"])
                                   else float(s["im_intensity_error_rel"])),
        "pm_dac_lsb_V": lsb,
        "quantum_path_transmission_dB": paths["quantum_path_transmission_dB"],
        "reference_path_transmission_dB": paths["reference_path_transmission_dB"],
        "bragg_nm": float(s["bragg_nm"]),
        "mode_spacing_nm": float(s["mode_spacing_nm"]),
        "alpha_H": M.LASER.alpha_H,
        "linewidth_free_MHz": float(s["free_running_linewidth_Hz"]) / 1e6,  # the die's cavity (modified Schawlow-Townes)
        "k_c_per_s": float(s["k_c_per_s"]),
        "eo_s_ref_m2_per_V2": M.eo_calibration()["s_ref_m2_per_V2"],
        "dbr_tec_window_nm": float(s["dbr_tec_window_nm"]),
        "im_visibility_te_only_dB": float(s["im_visibility_te_only_dB"]),
        "im_v_on_V": float(s["im_v_on_V"]),
        "im_v_off_V": float(s["im_v_off_V"]),
        "voa_attenuation_dB": float(s["voa_attenuation_dB"]),
        "pm_length_um": float(tx["pm_length_um"]),
        "ridge_width_um": float(tx["ridge_width_um"]),
    }
