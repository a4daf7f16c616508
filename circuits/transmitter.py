"""Transmitter circuits: the Mach-Zehnder IM and the whole chip as sax circuits built from the cells'
own netlists, metric extraction, and a vectorised Monte-Carlo path.

- :func:`mzm_circuit`: sax circuit of ``components.inp.mzm`` (MMIs by mode propagation, PM arms).
- :func:`im_metrics`: T(V) of one IM (the DRIVE_ARM arm driven, reverse bias), visibility (= extinction
  ratio, physics.md 4.3) in dB, insertion loss, chirp (phase of the output field between the
  on and off states).
- :func:`chip_circuit`: the chip (``components.chips.transmitter_chip``) as one sax circuit; the
  emission of each laser enters at its rear port (see ``models.inp.dbr_laser``).
- :func:`evaluate_transmitter`: the default chip's numbers (the JSON of ``qchipnet transmitter``).
- :func:`transmitter_metrics_batch`: closed-form per-die metrics (same models, no geometry, no sax)
  for the wafer Monte Carlo.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import numpy as np

from ..constants import LAMBDA0_UM
from ..validate import InputError, check_range

__all__ = [
    "SNS_TARGETS",
    "mzm_circuit",
    "im_metrics",
    "DRIVE_ARM",
    "chip_circuit",
    "evaluate_transmitter",
    "transmitter_metrics_batch",
    "TARGET_LINES",
]

#: Comb lines the client lasers must reach (seed article: lambda_-5 .. lambda_+8).
TARGET_LINES = tuple(range(-5, 9))
#: SNS-TF-QKD intensity design (ratios to the signal state) realised with IM II [T]: decoy 0.25.
SNS_TARGETS = {"decoy_over_signal": 0.25}


def _models(netlists: dict) -> dict:
    from ..models.inp import MODELS

    out = dict(MODELS)
    for name in netlists:
        base = re.sub(r"\d+$", "", name)
        if name not in out and base in MODELS:
            out[name] = MODELS[base]
    return out


def _optical(net: dict) -> dict:
    """Drop instances without optical connections (pads, labels) from a netlist."""
    used = set()
    for n in net.get("nets", []):
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
def mzm_circuit(pm_length: float = 1500.0):
    """sax circuit of the IM cell (ports o1 in, o2 through, o3 complementary)."""
    from ..components.inp import mzm
    from ..pdk import activated

    with activated("inp"):
        c = mzm(pm_length=pm_length)
        return _circuit(c)


#: The RF-driven arm of every IM. Reverse bias adds electro-absorption loss to the driven arm at
#: the null; driving the bottom arm makes that loss offset the 2x2 combiner's systematic
#: imbalance (top output favoured by the mode-propagation model at the drawn geometry) instead of
#: adding to it: 34.2 dB extinction at the nominal geometry, against 31.3 dB for the top arm.
#: A designer picks the arm this way once the MMI model gives the sign of the imbalance.
DRIVE_ARM = "bottom"


#: Extinction floor from the TM-polarised fraction of the laser light: the TE-designed MZI does not
#: null TM (different EO coefficient and phase), so TM leaks through at the null. A polarisation
#: extinction ratio of 40 dB is typical of InP DBR lasers (TE gain of compressively strained MQW;
#: physics.md 4.3 names TM leakage as the practical cap of ER) [T]. ER_eff = -10 log10(10^(-ER/10)
#: + 10^(-40/10)): it caps the upper tail of the visibility distribution near 40 dB.
TM_LEAKAGE_DB = 40.0


def _with_tm_floor(er_dB, floor_dB: float | None = None):
    f = TM_LEAKAGE_DB if floor_dB is None else floor_dB
    if not np.isfinite(f):
        return er_dB
    return -10 * np.log10(10 ** (-np.asarray(er_dB) / 10) + 10 ** (-f / 10))


def _arm_settings(drive_arm: str, volts, arm_loss_imbalance_dB: float = 0.0) -> dict:
    """Instance settings of one IM: voltage on the driven arm, process loss imbalance on the bottom arm."""
    if drive_arm not in ("top", "bottom"):
        raise InputError(f"drive_arm = {drive_arm!r}; choose 'top' or 'bottom'")
    bot: dict = {"loss_imbalance_dB": arm_loss_imbalance_dB}
    if drive_arm == "bottom":
        return {"pm_bot": {**bot, "voltage": volts}}
    return {"pm_top": {"voltage": volts}, "pm_bot": bot}


def im_metrics(*, pm_length: float = 1500.0, wl: float = LAMBDA0_UM, v_max: float = 14.0,
               circuit=None, arm_loss_imbalance_dB: float = 0.0, npts: int = 1401,
               drive_arm: str = DRIVE_ARM, tm_floor_dB: float | None = None) -> dict[str, Any]:
    """Transmission vs reverse voltage on the driven arm (:data:`DRIVE_ARM`) and the IM's metrics.

    ``visibility_dB`` includes the TM-leakage floor (:data:`TM_LEAKAGE_DB`; ``tm_floor_dB`` overrides
    it, ``float('inf')`` removes it); ``visibility_te_only_dB`` is the TE circuit alone.
    """
    from scipy.optimize import minimize_scalar

    check_range("v_max", v_max, 1.0, 15.0, "V")
    circ = circuit or mzm_circuit(pm_length)
    v = np.linspace(0.0, v_max, npts)

    def s21(volts):
        S = circ(wl=wl, **_arm_settings(drive_arm, volts, arm_loss_imbalance_dB))
        return np.asarray(S["o1", "o2"])

    t = np.abs(s21(v)) ** 2
    i_min, i_max = int(np.argmin(t)), int(np.argmax(t))
    lo, hi = v[max(i_min - 2, 0)], v[min(i_min + 2, npts - 1)]
    res = minimize_scalar(lambda x: float(np.abs(s21(x)) ** 2), bounds=(lo, hi), method="bounded",
                          options={"xatol": 1e-7})
    t_min, v_min = float(res.fun), float(res.x)
    t_max, v_on = float(t[i_max]), float(v[i_max])
    on, off = complex(s21(v_on)), complex(s21(min(v_min + 0.05, v_max)))
    return {
        "voltage_V": v, "transmission": t, "t_max": t_max, "t_min": max(t_min, 1e-30), "v_on_V": v_on, "v_off_V": v_min,
        "visibility_dB": float(_with_tm_floor(10 * np.log10(t_max / max(t_min, 1e-30)), tm_floor_dB)),
        "visibility_te_only_dB": 10 * np.log10(t_max / max(t_min, 1e-30)),
        "insertion_loss_dB": -10 * np.log10(t_max),
        "chirp_rad": float(np.angle(off / on)),
    }


@functools.lru_cache(maxsize=4)
def chip_circuit(width: float = 4600.0, height: float = 2000.0, pm_length: float = 1500.0):
    """(sax circuit, component) of the transmitter chip."""
    from ..components.chips import transmitter_chip
    from ..pdk import activated

    with activated("inp"):
        c = transmitter_chip(width=width, height=height, pm_length=pm_length)
        return _circuit(c), c


def _im_settings(voltages: dict[str, float]) -> dict:
    return {im: _arm_settings(DRIVE_ARM, v) for im, v in voltages.items()}


def evaluate_transmitter(*, pm_length_um: float = 1500.0, mmi_imbalance_dB: float | None = None,
                         arm_loss_imbalance_dB: float = 0.0, chip_width_um: float = 4600.0,
                         chip_height_um: float = 2000.0, max_tuning_current_mA: float = 12.0,
                         grating_period_nm: float = 238.45, wl_um: float = LAMBDA0_UM) -> dict[str, Any]:
    """Evaluate the transmitter chip; keys are those of ``qchipnet transmitter --json``.

    ``mmi_imbalance_dB=None`` uses the 2x2 MMI model (mode propagation at the drawn geometry, zero
    width error); a number replaces the combiner by an ideal coupler with that imbalance (splitter
    kept), so the visibility closed form of physics.md 4.3 can be explored.
    """
    from ..models import inp as M

    check_range("pm_length_um", pm_length_um, 500.0, 1700.0, "um")
    check_range("arm_loss_imbalance_dB", arm_loss_imbalance_dB, 0.0, 3.0, "dB")
    if mmi_imbalance_dB is not None:
        check_range("mmi_imbalance_dB", mmi_imbalance_dB, 0.0, 6.0, "dB")
    vpi = float(M.pm_vpi_V(length_um=pm_length_um, wl_um=wl_um))
    circ = mzm_circuit(pm_length_um)
    if mmi_imbalance_dB is not None:
        circ = _mzm_with_ideal_combiner(pm_length_um, mmi_imbalance_dB)
    im = im_metrics(pm_length=pm_length_um, wl=wl_um, circuit=circ, arm_loss_imbalance_dB=arm_loss_imbalance_dB)
    imb_model, exc = M.mmi_imbalance_dB(2, width_um=8.0, access_um=2.0, wl_um=wl_um)
    pm_il = float(M.pm_loss_dB(0.0, length_um=pm_length_um)) + 2 * M.LOSS_DB_PER_CM["deep"] * 20e-4
    las = M.dbr_laser_metrics(grating_period_nm=grating_period_nm, max_tuning_current_mA=max_tuning_current_mA)
    reach = [int(m) for m, ok in zip(las["mu"], np.asarray(las["reachable"])) if ok]
    # whole chip: states of the quantum chain (IM I carve on, IM II level, IM III gate), PM phases
    chip, comp = chip_circuit(chip_width_um, chip_height_um, pm_length_um)
    on, off = im["v_on_V"], im["v_off_V"]
    v_decoy = _voltage_for(im, SNS_TARGETS["decoy_over_signal"])

    def out(vs: dict, pm_v: float = 0.0):
        S = chip(wl=wl_um, **_im_settings(vs), pm={"voltage": pm_v})
        return complex(np.asarray(S["rear_q", "o_q"]))

    sig = out({"im1": on, "im2": on, "im3": on})
    dec = out({"im1": on, "im2": v_decoy, "im3": on})
    vac = out({"im1": on, "im2": off, "im3": on})
    nosend = out({"im1": on, "im2": on, "im3": off})
    ref = complex(np.asarray(chip(wl=wl_um)["rear_ref", "o_ref"]))
    # phase accuracy: PM voltages for 0, pi/2, pi, 3pi/2 from the model's phi(V), set by a 12-bit DAC over 0-10 V
    lsb = 10.0 / 4095
    vgrid = np.linspace(0.0, 10.0, 4096)
    phi = np.asarray(M.pm_phase_rad(vgrid, length_um=pm_length_um, wl_um=wl_um))
    errs = [float(np.min(np.abs(phi - k * np.pi / 2))) for k in range(4) if k * np.pi / 2 <= phi[-1]]
    p_sig = abs(sig) ** 2
    return {
        "vpi_V": vpi,
        "im_visibility_dB": float(im["visibility_dB"]),
        "im_insertion_loss_dB": float(im["insertion_loss_dB"]),
        "pm_insertion_loss_dB": pm_il,
        "dbr_tuning_range_nm": float(las["tuning_range_nm"]),
        "reachable_comb_lines": reach,
        "target_lines_reachable": all(m in reach for m in TARGET_LINES),
        "chip_size_um": [chip_width_um, chip_height_um],
        "n_modulators": int(comp.info["n_modulators"]),
        "n_eo_phase_sections": int(comp.info["n_eo_phase_sections"]),
        "mmi_imbalance_dB": abs(imb_model) if mmi_imbalance_dB is None else mmi_imbalance_dB,
        "mmi_excess_loss_dB": exc,
        "im_chirp_rad": im["chirp_rad"],
        "decoy_over_signal": abs(dec) ** 2 / p_sig,
        "vacuum_over_signal": abs(vac) ** 2 / p_sig,
        "not_sending_extinction_dB": float(_with_tm_floor(-10 * np.log10(abs(nosend) ** 2 / p_sig))),
        "signal_decoy_phase_rad": float(np.angle(dec / sig)),
        "pm_phase_error_rad": float(max(errs)) if errs else float("nan"),
        "pm_dac_lsb_V": lsb,
        "quantum_path_transmission_dB": float(10 * np.log10(p_sig)),
        "reference_path_transmission_dB": float(10 * np.log10(abs(ref) ** 2)),
        "bragg_nm": float(las["bragg_nm"]),
        "mode_spacing_nm": float(las["mode_spacing_nm"]),
        "alpha_H": las["alpha_H"],
        "linewidth_free_MHz": las["linewidth_free_MHz"],
        "k_c_per_s": float(las["k_c_per_s"]),
        "eo_s_ref_m2_per_V2": M.eo_calibration()["s_ref_m2_per_V2"],
    }


def _voltage_for(im: dict, ratio: float) -> float:
    """Voltage between on and off states where T/T_max = ratio (monotonic branch)."""
    v, t = im["voltage_V"], im["transmission"] / im["t_max"]
    a, b = sorted((im["v_on_V"], im["v_off_V"]))
    m = (v >= a) & (v <= b)
    vv, tt = v[m], t[m]
    order = np.argsort(tt)
    return float(np.interp(ratio, tt[order], vv[order]))


@functools.lru_cache(maxsize=16)
def _mzm_with_ideal_combiner(pm_length: float, imbalance_dB: float):
    import jax.numpy as jnp
    import sax

    from ..components.inp import mzm
    from ..pdk import activated

    r = 10 ** (imbalance_dB / 10) / (1 + 10 ** (imbalance_dB / 10))

    def coupler(*, wl=LAMBDA0_UM):
        t, k = jnp.sqrt(r) * jnp.ones_like(jnp.asarray(wl, dtype=float)), 1j * jnp.sqrt(1 - r)
        return sax.reciprocal({("o1", "o4"): t, ("o2", "o3"): t, ("o1", "o3"): k, ("o2", "o4"): k})

    with activated("inp"):
        c = mzm(pm_length=pm_length)
        nets = c.get_netlist(recursive=True)
    models = _models(nets)
    models["mmi2x2"] = coupler
    nets = {k: _optical(v) for k, v in nets.items() if k not in models}
    circ, _ = sax.circuit(nets, models=models, backend="klu")
    return circ


@functools.lru_cache(maxsize=1)
def _mmi_grid():
    from ..models.inp import mmi_transfer

    dw = np.linspace(-0.3, 0.3, 61)
    T2 = np.stack([mmi_transfer(2, width_um=8.0, access_um=2.0, width_error_um=float(x)) for x in dw])
    T1 = np.stack([mmi_transfer(1, width_um=6.0, access_um=2.0, width_error_um=float(x)) for x in dw])
    return dw, T1, T2


def _interp_c(x, xp, fp):
    return np.interp(x, xp, fp.real) + 1j * np.interp(x, xp, fp.imag)


@functools.partial(__import__("jax").jit, static_argnames=("pm_length_um",))
def _vpi_jit(wb, etch, core, bg, eo, pm_length_um):
    from ..models import inp as M

    return M.pm_vpi_V(length_um=pm_length_um, width_um=1.5 + wb, etch_um=etch, core_um=core, core_bandgap_um=bg,
                      eo_rel=eo)


@functools.partial(__import__("jax").jit, static_argnames=("max_tuning_current_mA", "tec_span_K"))
def _laser_jit(wb, core, bg, gp, max_tuning_current_mA, tec_span_K):
    from ..models import inp as M

    las = M.dbr_laser_metrics(width_bias_um=wb, core_um=core, core_bandgap_um=bg, grating_period_error_nm=gp,
                              max_tuning_current_mA=max_tuning_current_mA, tec_span_K=tec_span_K,
                              mu_range=(-20, 20))
    return {"reachable": las["reachable"], "tuning_range_nm": las["tuning_range_nm"]}


@functools.lru_cache(maxsize=8)
def _nominal_null_voltage_V(pm_length_um: float) -> float:
    """Null (off) voltage of the nominal IM circuit (computed once per length)."""
    return float(im_metrics(pm_length=pm_length_um)["v_off_V"])


@functools.lru_cache(maxsize=8)
def _nominal_vpi_V(pm_length_um: float) -> float:
    from ..models import inp as M

    return float(M.pm_vpi_V(length_um=pm_length_um))


def transmitter_metrics_batch(*, width_bias_um=0.0, deep_etch_below_core_um=1.0, core_thickness_um=0.5,
                              core_bandgap_um=1.25, mmi_width_bias_um=0.0, arm_loss_imbalance_dB=0.0,
                              eo_coefficient_rel=1.0, grating_period_error_nm=0.0, pm_length_um=1500.0,
                              max_tuning_current_mA=12.0, tec_span_K=0.0) -> dict[str, np.ndarray]:
    """Vectorised per-die metrics from process variations (arrays broadcast together).

    Same physics as the circuits, in closed form: V_pi from the EO model with the table's
    gamma_eo; IM visibility/insertion loss from the mode-propagation MMI responses (tabulated over
    width error, interpolated) combined with the arm amplitudes, ER = ((|A|+|B|)/(|A|-|B|))^2 of the
    two-path interferometer (exact for this circuit); DBR tuning range and reachable lines from
    the laser model. No geometry, no sax. Validity: the table grids and |mmi_width_bias| <= 0.3 um.
    """
    from ..models import inp as M

    arrs = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (
        width_bias_um, deep_etch_below_core_um, core_thickness_um, core_bandgap_um, mmi_width_bias_um,
        arm_loss_imbalance_dB, eo_coefficient_rel, grating_period_error_nm)))
    wb, etch, core, bg, mw, arm, eo, gp = arrs
    check_range("mmi_width_bias_um", mw, -0.3, 0.3, "um")
    check_range("core_bandgap_um", bg, 1.20, 1.30, "um")
    check_range("eo_coefficient_rel", eo, 0.05, 20.0)
    # table-range checks on the extremes, eagerly (inside jit the tables cannot raise)
    from ..models.inp_modes import load_inp_table

    ext = [np.array([x.min(), x.max()]) for x in (wb, etch, core)]
    load_inp_table("deep").check_coords(width_um=1.5 + ext[0], etch_um=ext[1], core_um=ext[2], wl_um=LAMBDA0_UM)
    load_inp_table("shallow").check_coords(width_um=2.0 + ext[0], etch_um=0.1, core_um=ext[2], wl_um=LAMBDA0_UM)
    M.eo_calibration()  # cached concrete calibration, computed outside the trace
    vpi = np.asarray(_vpi_jit(wb, etch, core, bg, eo, float(pm_length_um)))
    dw, T1, T2 = _mmi_grid()
    s_top, s_bot = _interp_c(mw, dw, T1[:, 0, 0]), _interp_c(mw, dw, T1[:, 1, 0])
    c_top, c_bot = _interp_c(mw, dw, T2[:, 0, 0]), _interp_c(mw, dw, T2[:, 0, 1])
    arm_amp = 10 ** (-(float(M.pm_loss_dB(0.0, length_um=pm_length_um))) / 20)
    # electro-absorption of the driven arm at the null: the null voltage of the nominal circuit,
    # scaled with the die's V_pi (the EO phase is what sets the null); see DRIVE_ARM
    v_off = _nominal_null_voltage_V(float(pm_length_um)) * vpi / _nominal_vpi_V(float(pm_length_um))
    ea_dB = np.asarray(M.pm_loss_dB(np.clip(v_off, 0.0, 15.0), length_um=pm_length_um)) - float(
        M.pm_loss_dB(0.0, length_um=pm_length_um))
    ea_top, ea_bot = (ea_dB, 0.0) if DRIVE_ARM == "top" else (0.0, ea_dB)
    A = np.abs(s_top * c_top) * arm_amp * 10 ** (-ea_top / 20)
    B = np.abs(s_bot * c_bot) * arm_amp * 10 ** (-(arm + ea_bot) / 20)
    vis = _with_tm_floor(20 * np.log10((A + B) / np.maximum(np.abs(A - B), 1e-12)))
    il = -20 * np.log10(A + B)
    check_range("max_tuning_current_mA", max_tuning_current_mA, 0.0, 50.0, "mA")
    check_range("tec_span_K", tec_span_K, 0.0, 40.0, "K")
    las = _laser_jit(wb, core, bg, gp, float(max_tuning_current_mA), float(tec_span_K))
    reach = np.asarray(las["reachable"])
    mus = np.arange(-20, 21)
    tmask = (mus >= TARGET_LINES[0]) & (mus <= TARGET_LINES[-1])
    return {
        "vpi_V": vpi,
        "im_visibility_dB": vis,
        "im_insertion_loss_dB": il,
        "dbr_tuning_range_nm": np.asarray(las["tuning_range_nm"]),
        "reachable_line_count": reach.sum(axis=-1),
        "target_lines_reachable": reach[..., tmask].all(axis=-1),
    }
