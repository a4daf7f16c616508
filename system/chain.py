"""The per-pair chain of the network, batch-native: server die -> comb -> client dies -> locking ->
error budget -> key rate. One code path for one design (a batch of one) and for a million dies.

Every function takes numpy arrays that broadcast over any leading shape (networks x pairs in the
Monte Carlo, ``(1, n_pairs)`` for a single design); there is no Python loop over dies. The same
functions take jax arrays (then they compute with ``jax.numpy`` and are traceable: the design
optimiser, :mod:`qchipnet.optim.objective`, differentiates through them); the namespace follows the
inputs (:func:`array_namespace`), so numpy callers get exactly the numbers they got before. Each
pass/fail also comes with its margin (``reach_margin_K``, ``lock_margin``), the quantity a smooth
relaxation of the pass/fail acts on.

Chain (physics.md 2-6; each step's model and sources are in its function):

1. **Comb of the server die** (:func:`qchipnet.system.comb.comb_batch`): line powers of the die's own
   dark-pulse comb, its linewidth, the heater power needed to bring the pumped resonance onto the
   design's lambda_0; the die's grid is lambda_0 + mu x its own FSR.
2. **Client DBR set-point** (:func:`dbr_setpoint`): laser I must reach its pair's line and laser II
   the reference line lambda_0 with one TEC set-point (both lasers share the chip's TEC) and each
   its own mirror current (continuous tuning, blue-shift only); separate figures for the current
   and the TEC.
3. **Injection locking** (:func:`lock_batch`): injection ratio from the line power after
   demultiplexing, downstream fibre and chip coupling; the strength-dependent stable band of the
   class-B rate equations (:func:`stable_band`, tabulated from
   :func:`qchipnet.system.injection.stable_locking_range`); the set-point error inside it; loop
   bandwidth and residual phase variance.
4. **Adaptable modulator circuit** (:func:`adaptable_circuit`): which EO-section failures the chip
   survives and what the surviving chip can still do (its not-sending extinction).
5. **Error budget** (:func:`error_terms`): e_d from both dies and the slot's tracking budget; the
   intensity error of each chip's levels (:func:`level_error`: the DAC resolution of its levels-and-gate
   IM), the larger of the two entering the pair's decoy analysis as its intensity fluctuation.
6. **Key rate** at the slot's protocol (optimised once per design, reused per die).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..constants import C_M_PER_S
from ..validate import InputError

__all__ = ["SECTIONS", "stable_band", "dbr_setpoint", "lock_batch", "adaptable_circuit", "level_error", "error_terms",
           "line_wavelengths_nm", "STABLE_BAND_K_RANGE", "array_namespace"]

#: The transmitter's EO phase sections, in the order of the defect samples: three push-pull IMs
#: (two arms each) and the stand-alone PM (``components.chips.transmitter``).
SECTIONS = ("im1_a", "im1_b", "im2_a", "im2_b", "im3_a", "im3_b", "pm")
#: Injection strengths K = k_c sqrt(rho) / omega_R covered by the stable-band table (the rate-equation
#: scan of :func:`qchipnet.system.injection.stable_locking_range` is valid for 1e-6 <= K <= 100).
STABLE_BAND_K_RANGE = (1e-4, 30.0)
_N_K = 97


def array_namespace(*xs):
    """``jax.numpy`` if any of ``xs`` is a jax array (or a tracer), else ``numpy``."""
    import sys

    jax = sys.modules.get("jax")
    if jax is not None and any(isinstance(x, jax.Array) for x in xs):
        import jax.numpy as jnp

        return jnp
    return np


# ----------------------------------------------------------------------------- comb grid
def line_wavelengths_nm(mu, fsr_GHz, pump_nm):
    """Wavelengths of comb lines ``mu`` of a die whose pumped mode sits at ``pump_nm`` (vectorised)."""
    xp = array_namespace(fsr_GHz, pump_nm)
    nu0 = C_M_PER_S / (xp.asarray(pump_nm, dtype=float) * 1e-9)
    return C_M_PER_S / (nu0[..., None] + xp.asarray(mu)[None] * xp.asarray(fsr_GHz, dtype=float)[..., None] * 1e9) * 1e9


# ----------------------------------------------------------------------------- stable band
#: Committed table of the stable band (``python -m qchipnet.system.chain`` rebuilds it, about 15 CPU-s).
BAND_TABLE = "stable_band.json"


#: Refinement of the band table: an interval of the K grid is bisected (in log K, at most
#: :data:`_BAND_REFINE_LEVELS` times) while an edge at its midpoint differs from the straight line between its
#: ends by more than this fraction of the band width there, or the band ends inside it. The blue edge has a kink
#: (near K = 0.02 for alpha_H = 3.5, where another instability takes over) that the uniform grid cut by 5 %.
_BAND_REFINE_TOL = 0.003
_BAND_REFINE_LEVELS = 10


def _band_spec(alpha_H: float, gamma: float, b: float) -> dict:
    return {"alpha_H": alpha_H, "gamma": gamma, "b": b, "K_range": list(STABLE_BAND_K_RANGE), "n_K": _N_K,
            "n_detuning": 801, "refine_tol": _BAND_REFINE_TOL, "refine_levels": _BAND_REFINE_LEVELS}


def build_band_table(alpha_H: float, gamma: float, b: float) -> dict:
    """The stable band on the K grid, from :func:`~qchipnet.system.injection.stable_locking_range`: a
    log-uniform grid of :data:`_N_K` strengths, refined where linear interpolation in log K would miss the
    edges by more than :data:`_BAND_REFINE_TOL` of the band (kinks, the end of the band)."""
    import datetime
    import time

    from .injection import stable_locking_range

    t0 = time.process_time()

    def edges(x: float) -> tuple[float, float]:
        return stable_locking_range(float(np.exp(x)), alpha_H, gamma=gamma, b=b)

    pts = {float(x): edges(float(x)) for x in np.log(np.geomspace(*STABLE_BAND_K_RANGE, _N_K))}
    todo = sorted(pts)
    todo = list(zip(todo[:-1], todo[1:], [0] * (len(todo) - 1)))
    while todo:
        x0, x1, level = todo.pop()
        if level >= _BAND_REFINE_LEVELS:
            continue
        xm = 0.5 * (x0 + x1)
        em = pts[xm] = edges(xm)
        e0, e1 = np.array(pts[x0]), np.array(pts[x1])
        mid = np.array(em)
        ends_nan, mid_nan = np.isnan(e0).any() or np.isnan(e1).any(), np.isnan(mid).any()
        if ends_nan or mid_nan:
            split = (np.isnan(e0).any() != np.isnan(e1).any())  # the band ends inside: locate it
        else:
            split = np.max(np.abs(mid - 0.5 * (e0 + e1))) > _BAND_REFINE_TOL * max(mid[1] - mid[0], 1e-12)
        if split:
            todo += [(x0, xm, level + 1), (xm, x1, level + 1)]
        else:
            pts.pop(xm)  # the straight line holds here: keep the grid lean
    xs = sorted(pts)
    grid = np.exp(np.array(xs))
    lo, hi = zip(*(pts[x] for x in xs))
    return {"name": "stable_band", "inputs": _band_spec(alpha_H, gamma, b),
            "solver": "qchipnet.system.injection.stable_locking_range (class-B rate equations, Jacobian stability)",
            "created": datetime.date.today().isoformat(), "build_cpu_s": round(time.process_time() - t0, 1),
            "K": grid.tolist(), "red": [None if math.isnan(x) else x for x in lo],
            "blue": [None if math.isnan(x) else x for x in hi]}


@functools.lru_cache(maxsize=8)
def _band_table(alpha_H: float, gamma: float, b: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log K grid, red edge, blue edge) in units of K: the committed table when it was built for these
    parameters, else computed once and cached on disk by content hash."""
    import json
    from pathlib import Path

    from ..models.cache import cached_json, content_key

    spec = _band_spec(alpha_H, gamma, b)
    path = Path(__file__).resolve().parent.parent / "models" / "tables" / BAND_TABLE
    t = json.loads(path.read_text()) if path.exists() else None
    if t is None or t["inputs"] != spec:
        t = cached_json("stable_band", content_key(spec), lambda: build_band_table(alpha_H, gamma, b))
    red = np.array([np.nan if x is None else x for x in t["red"]])
    blue = np.array([np.nan if x is None else x for x in t["blue"]])
    return np.log(np.asarray(t["K"])), red, blue


def stable_band(K, alpha_H: float, *, gamma: float | None = None, b: float | None = None):
    """Stable detuning band (red, blue edges in units of K) of an injected class-B laser at injection
    strengths ``K`` (array), interpolated in log K from :func:`~qchipnet.system.injection.stable_locking_range`
    on 97 strengths over :data:`STABLE_BAND_K_RANGE`, refined at kinks and at the band's end (interpolation
    error below 1 % of the band, tested).
    Below the table the band keeps its weak-injection shape (Adler: it scales with K); above it there is
    no stable band in this model (returned as nan, i.e. not locked)."""
    from .injection import RATE_EQUATIONS

    lk, red, blue = _band_table(float(alpha_H), float(gamma if gamma is not None else RATE_EQUATIONS["Gamma"]),
                                float(b if b is not None else RATE_EQUATIONS["B"]))
    xp = array_namespace(K)
    x = xp.log(xp.clip(xp.asarray(K, dtype=float), STABLE_BAND_K_RANGE[0], None))
    r = xp.interp(x, lk, red, right=np.nan)
    bl = xp.interp(x, lk, blue, right=np.nan)
    return r, bl


# ----------------------------------------------------------------------------- DBR set-point
def dbr_setpoint(*, bragg_nm, current_tuning_nm, thermal_nm_per_K, mode_spacing_nm, line_nm, reference_nm,
                 tec_span_K: float):
    """TEC set-point and mirror tuning that put laser I on ``line_nm`` and laser II on ``reference_nm``.

    Each DBR laser reaches the wavelengths ``[bragg + th dT - current_tuning - spacing/2,
    bragg + th dT + spacing/2]`` (carrier injection only blue-shifts the Bragg peak; the phase section
    aligns a cavity mode within half a mode spacing; ``models.inp.dbr_laser_metrics``). Both lasers share
    the chip's TEC offset dT in [-tec_span_K, +tec_span_K]; the set-point is the one closest to the
    nominal temperature. Returns ``tec_offset_K`` (nan when no set-point works), ``reach_tec`` (a
    set-point exists), ``reach_current_only`` (no TEC offset needed), ``tuning_current_nm`` (laser I's
    Bragg blue-shift by current at that set-point), ``reach_margin_K`` (width of the common TEC window,
    negative by the temperature still missing when there is none: ``reach_tec`` is ``reach_margin_K >= 0``).
    """
    xp = array_namespace(bragg_nm, current_tuning_nm, thermal_nm_per_K, mode_spacing_nm, line_nm, reference_nm)
    th = xp.asarray(thermal_nm_per_K, dtype=float)
    sp2 = xp.asarray(mode_spacing_nm, dtype=float) / 2
    cur = xp.asarray(current_tuning_nm, dtype=float)
    b = xp.asarray(bragg_nm, dtype=float)
    line, ref = xp.asarray(line_nm), xp.asarray(reference_nm)
    lo = xp.maximum((line - sp2 - b) / th, (ref - sp2 - b) / th)
    hi = xp.minimum((line + cur + sp2 - b) / th, (ref + cur + sp2 - b) / th)
    lo_t, hi_t = xp.maximum(lo, -tec_span_K), xp.minimum(hi, tec_span_K)
    ok = lo_t <= hi_t
    dT = xp.where(ok, xp.clip(0.0, lo_t, hi_t), np.nan)
    shift = xp.clip(b + th * xp.nan_to_num(dT) - line, 0.0, None)
    return {"tec_offset_K": dT, "reach_tec": ok, "reach_current_only": (lo <= 0) & (0 <= hi),
            "tuning_current_nm": xp.where(ok, xp.minimum(shift, cur), np.nan), "reach_margin_K": hi_t - lo_t}


# ----------------------------------------------------------------------------- injection locking
def lock_batch(*, line_power_mW, comb_linewidth_Hz, k_c_per_s, alpha_H, free_running_linewidth_Hz, output_power_mW,
               chip_coupling_loss_dB, downstream_km, downstream_loss_dB_per_km, reamplified, demux_loss_dB: float,
               relaxation_frequency_GHz: float, setpoint_error_MHz: float, distribution_excess_Hz: float):
    """Injection locking of client lasers to their comb lines (physics.md 3.1; vectorised).

    Injection ratio ``rho = P_inj / P_slave`` with ``P_inj`` the line power after the downstream fibre
    (restored to launch if ``reamplified``), the demultiplexer and the chip coupling. Stable band from
    :func:`stable_band` at ``K = k_c sqrt(rho) / omega_R``; the DBR is set to the band's centre and the
    set-point error moves it towards the red edge (worst case). Locked phase
    ``sin(phi0 + atan alpha) = -Delta omega / (k_c sqrt(rho) sqrt(1 + alpha^2))``, loop bandwidth
    ``f_L = k_c sqrt(rho) sqrt(1+alpha^2) cos(...) / 2 pi``, residual phase variance ``dnu_free / (2 f_L)``.
    Valid for rho <= 10 (a stronger line is attenuated to rho = 10 by the client's input VOA).
    """
    xp = array_namespace(line_power_mW, comb_linewidth_Hz, k_c_per_s, output_power_mW, chip_coupling_loss_dB,
                         free_running_linewidth_Hz)
    fibre_dB = np.where(reamplified, 0.0, np.asarray(downstream_km) * downstream_loss_dB_per_km)
    p_inj = xp.asarray(line_power_mW, dtype=float) * 10 ** (-(fibre_dB + demux_loss_dB + xp.asarray(chip_coupling_loss_dB)) / 10)
    rho = xp.minimum(p_inj / xp.asarray(output_power_mW, dtype=float), 10.0)
    ks = xp.asarray(k_c_per_s, dtype=float) * xp.sqrt(rho)
    alpha = np.unique(np.asarray(alpha_H, dtype=float))
    if alpha.size != 1:
        raise InputError("alpha_H: the clients of one evaluation must share one linewidth enhancement factor")
    root = math.sqrt(1 + float(alpha[0]) ** 2)
    omega_r = 2 * math.pi * relaxation_frequency_GHz * 1e9
    red_K, blue_K = stable_band(ks / omega_r, float(alpha[0]))
    band = xp.isfinite(red_K) & (rho > 1e-12)
    red_Hz = xp.where(band, xp.nan_to_num(red_K) * ks / (2 * math.pi), 0.0)
    blue_Hz = xp.where(band, xp.nan_to_num(blue_K) * ks / (2 * math.pi), 0.0)
    det_Hz = 0.5 * (red_Hz + blue_Hz) - setpoint_error_MHz * 1e6
    in_range = band & (red_Hz <= det_Hz) & (det_Hz <= blue_Hz)
    # margin: the set-point's distance to the nearer band edge in units of the band's half width (1 at the
    # centre, 0 at an edge, negative outside; -1 where there is no band)
    half = 0.5 * (blue_Hz - red_Hz)
    margin = xp.where(band & (half > 0), xp.minimum(det_Hz - red_Hz, blue_Hz - det_Hz) / xp.where(half > 0, half, 1.0),
                      -1.0)
    s = xp.clip(-2 * math.pi * det_Hz / xp.where(ks > 0, ks * root, 1.0), -1.0, 1.0)
    # sqrt kept off 0 where the pair is outside the band (f_l is 0 there anyway): a finite gradient
    f_l = xp.where(in_range, ks * root * xp.sqrt(xp.where(in_range, xp.clip(1 - s * s, 0.0, None), 1.0)) / (2 * math.pi),
                   0.0)
    f_pos = xp.where(f_l > 0, f_l, 1.0)
    var = xp.where(f_l > 0, xp.asarray(free_running_linewidth_Hz) / (2 * f_pos), np.inf)
    rho_dB = xp.where(rho > 0, 10 * xp.log10(xp.where(rho > 0, rho, 1.0)), -np.inf)
    return {
        "in_range": in_range,
        "lock_margin": margin,
        "injection_ratio_dB": rho_dB,
        "injected_power_mW": p_inj,
        "locking_range_red_Hz": red_Hz,
        "locking_range_blue_Hz": blue_Hz,
        "blue_side_unstable": band & (xp.nan_to_num(blue_K) < 0.9),
        "loop_bandwidth_Hz": f_l,
        "residual_phase_var_rad2": var,
        "linewidth_Hz": xp.where(in_range, xp.asarray(comb_linewidth_Hz) + distribution_excess_Hz,
                                 xp.asarray(free_running_linewidth_Hz, dtype=float)),
    }


# ----------------------------------------------------------------------------- adaptable circuit
def adaptable_circuit(section_failed, im_visibility_dB):
    """What a transmitter chip can still do with failed EO sections (vectorised over chips).

    ``section_failed`` (..., 7) booleans in :data:`SECTIONS` order; ``im_visibility_dB`` (..., 3) the
    optical visibility of IM I, II, III, or (..., 3, 2) that of each IM driven on arm a and on arm b. Model of the article's "adaptable circuit" (its Supplementary
    Section 4 is not part of our sources; these rules are our reading, stated here):

    * an IM is driven on one arm (``circuits.devices``: single-arm bias and swing); each arm has its own
      electrode and pad, so an IM with one failed arm is driven on the other and keeps its visibility;
      an IM with both arms failed is passive;
    * the protocol needs a carving IM and a levels-and-gate IM in the cascade (one IM driven with the
      decoy levels and the not-sending zero); with three working IMs IM III gates as designed, with two
      the one of higher visibility gates;
    * a failed PM is replaced by a working IM with both arms intact, driven push-push (equal phase on
      both arms: pure phase modulation) if a third IM is left for that (the two others keep the
      intensity roles);
    * otherwise the chip cannot run SNS-TF-QKD.

    Returns ``executable`` (bool), ``gate_visibility_dB`` (the not-sending extinction of the chip as it
    runs; nan if not executable), ``gate_im`` (index 0-2 of the levels-and-gate IM, the one whose DAC sets
    the decoy and signal levels; meaningful where executable), ``degraded`` (executable with failed
    sections), ``n_failed``.
    """
    xp = array_namespace(section_failed, im_visibility_dB)
    f = xp.asarray(section_failed, dtype=bool)
    v = xp.asarray(im_visibility_dB, dtype=float)
    if v.shape[-1] == 3:
        v = xp.stack([v, v], axis=-1)
    if f.shape[-1] != len(SECTIONS) or v.shape[-2:] != (3, 2):
        raise InputError(f"adaptable_circuit: need (..., {len(SECTIONS)}) sections and (..., 3) or (..., 3, 2) "
                         "IM visibilities")
    arms = ~f[..., :6].reshape(f.shape[:-1] + (3, 2))
    v = xp.where(arms[..., 0], v[..., 0], v[..., 1])  # an IM is driven on arm a, on arm b if a failed
    im_ok = arms.any(-1)
    im_intact = arms.all(-1)
    pm_ok = ~f[..., 6]
    n_ok = im_ok.sum(-1)
    # PM replaced by an intact IM (push-push): the intact IM of lowest visibility leaves the best to gate
    spare_possible = (~pm_ok) & (n_ok == 3) & im_intact.any(-1)
    v_spare = xp.where(im_intact, v, np.inf)
    spare = xp.argmin(v_spare, axis=-1)
    used = im_ok & ~(spare_possible[..., None] & (np.arange(3) == spare[..., None]))
    n_used = used.sum(-1)
    executable = (n_used >= 2) & (pm_ok | spare_possible)
    designed = used.all(-1)  # all three IMs in their designed roles: IM III gates
    best_two = xp.max(xp.where(used, v, -np.inf), axis=-1)
    gate = xp.where(designed, v[..., 2], best_two)
    gate_im = xp.where(designed, 2, xp.argmax(xp.where(used, v, -np.inf), axis=-1))
    return {"executable": executable, "gate_visibility_dB": xp.where(executable, gate, np.nan), "gate_im": gate_im,
            "degraded": executable & f.any(-1), "n_failed": f.sum(-1)}


def level_error(im_intensity_error_rel, gate_im, executable):
    """Relative error of the intensity levels a chip sends: the DAC error of its levels-and-gate IM
    (``circuits.devices.IM_DAC``: the worst level's change over half an LSB of its bias), from the chip's
    per-IM errors (..., 3) at :func:`adaptable_circuit`'s ``gate_im``, or one error per chip (...,). An IM
    driven on arm b (arm a failed) is given arm a's error (the same IM, within the arms' EO spread). Not
    executable or a level the IM cannot reach (nan): 0 (such a chip sends no key)."""
    xp = array_namespace(im_intensity_error_rel, gate_im)
    e = xp.asarray(im_intensity_error_rel, dtype=float)
    g = xp.asarray(gate_im)
    if e.ndim == g.ndim + 1:
        e = xp.take_along_axis(e, g[..., None].astype(int), axis=-1)[..., 0]
    return xp.where(xp.asarray(executable, bool) & xp.isfinite(e), e, 0.0)


# ----------------------------------------------------------------------------- error budget
def _sinc_error(x):
    xp = array_namespace(x)
    x = xp.asarray(x, dtype=float)
    safe = xp.where(x < 1e-4, 1.0, x)
    return xp.where(x < 1e-4, x * x / 12, (1 - xp.sin(safe) / safe) / 2)


def _gauss_error(var):
    xp = array_namespace(var)
    var = xp.asarray(var, dtype=float)
    return xp.where(xp.isfinite(var), (1 - xp.exp(-xp.where(xp.isfinite(var), var, 0.0) / 2)) / 2, 0.5)


def error_terms(*, upstream_km, total_path_km, linewidth_Hz, lock_var_a_rad2, lock_var_b_rad2, gate_visibility_a_dB,
                gate_visibility_b_dB, pm_phase_error_a_rad, pm_phase_error_b_rad, tracking, comb_line=None,
                fsr_GHz=30.03, fibre_group_index=1.468):
    """e_d contributions by cause (physics.md 6.1-6.3; vectorised; see :mod:`qchipnet.system.phase`).

    Beyond :func:`qchipnet.system.phase.misalignment_budget`'s terms this carries each chip's own
    not-sending extinction (its gate IM) and its PM encoding error (DAC quantisation of the four
    encoding phases, a fixed offset per level: ``e = (1 - cos delta)/2`` averaged over the two chips'
    uncorrelated offsets, ``~ (delta_a^2 + delta_b^2)/12``).
    """
    from ..constants import NU0_HZ
    from .phase import im_extinction_error

    xp = array_namespace(linewidth_Hz, lock_var_a_rad2, lock_var_b_rad2, gate_visibility_a_dB, gate_visibility_b_dB,
                         pm_phase_error_a_rad, pm_phase_error_b_rad, fsr_GHz)
    p = tracking
    # drift rates measured with drift_reference_km of upstream fibre; thermal and acoustic phase noise of
    # independent fibre segments adds in variance, so the rms drift over a given time grows as sqrt(L)
    scale = np.sqrt(np.asarray(upstream_km, dtype=float) / p.drift_reference_km)
    # phi_d rate on this pair's line: the measured rate, moved by the fibre-length term ~ |nu_i - nu_0|
    w_d = p.diff_drift_rad_per_ms
    if comb_line is not None:
        dnu = (np.abs(np.asarray(comb_line)) - abs(p.drift_reference_line)) * xp.asarray(fsr_GHz, dtype=float) * 1e9
        w_d = xp.maximum(w_d + p.ref_drift_rad_per_ms * dnu / NU0_HZ, 0.0)
    t_qkd_ms = p.cycle_ms - p.recalibration_ms
    tau = p.path_mismatch_fraction * np.asarray(total_path_km, dtype=float) * 1e3 * fibre_group_index / C_M_PER_S
    ga = xp.nan_to_num(xp.asarray(gate_visibility_a_dB, dtype=float), nan=1e-3)
    gb = xp.nan_to_num(xp.asarray(gate_visibility_b_dB, dtype=float), nan=1e-3)
    da, db = xp.asarray(pm_phase_error_a_rad, dtype=float), xp.asarray(pm_phase_error_b_rad, dtype=float)
    shape = np.broadcast_shapes(*(np.shape(v) for v in (scale, tau, linewidth_Hz, lock_var_a_rad2, lock_var_b_rad2,
                                                         ga, gb, da, db, w_d)))
    terms = {
        "phase_drift": _sinc_error(w_d * scale * t_qkd_ms),  # phi_d calibrated, then used from the window start
        "reference_sampling": _sinc_error(p.ref_drift_rad_per_ms * scale / p.sampling_kHz / 2),
        "estimation_noise": _gauss_error(1.0 / (p.mode_visibility**2 * p.ref_counts_per_sample)),
        "laser_phase_noise": _gauss_error(2 * math.pi * xp.asarray(linewidth_Hz, dtype=float) * tau),
        "injection_residual": _gauss_error(xp.asarray(lock_var_a_rad2) + xp.asarray(lock_var_b_rad2)),
        "im_extinction": im_extinction_error(xp.clip(ga, 1e-3, 80.0), xp.clip(gb, 1e-3, 80.0), p.gate_to_pulse_ratio),
        "pm_encoding": (da**2 + db**2) / 12,
        "mode_mismatch": (1 - p.mode_visibility) / 2,
    }
    return {k: xp.broadcast_to(xp.asarray(v, dtype=float), shape) for k, v in terms.items()}


if __name__ == "__main__":  # rebuild the committed stable-band table of the default InP DBR
    import json
    import sys
    from pathlib import Path

    from ..models.inp import LASER
    from .injection import RATE_EQUATIONS

    out = Path(__file__).resolve().parent.parent / "models" / "tables" / BAND_TABLE
    tab = build_band_table(float(LASER.alpha_H), float(RATE_EQUATIONS["Gamma"]), float(RATE_EQUATIONS["B"]))
    out.write_text(json.dumps(tab, indent=1) + "\n")
    sys.stdout.write(f"wrote {out} ({tab['build_cpu_s']} CPU-s)\n")
