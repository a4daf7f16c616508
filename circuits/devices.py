"""Batch-native device evaluators: a design section plus per-die process offsets -> device metrics.

One design is a batch of one; a wafer Monte Carlo is a batch of a million; the optimiser takes
``jax.grad`` of the same code. Each device family has one evaluator:

- :func:`ring_metrics` (server Si3N4 ring): FSR, n_eff, n_g, beta2, beta3, D2, Q_i, Q_c, Q_L,
  extinction, power coupling, pump resonance wavelength, linewidth.
- :func:`transmitter_metrics` (InP client chip): PM V_pi, IM visibility, insertion loss, null and
  on voltages and chirp (the MMI transfers of the cell's own MMIs), DBR Bragg wavelength, tuning and
  reachable comb lines, VOA attenuation.

Inputs are the design's own sections with the cells' parameter names (``design.server_ring``,
``design.transmitter`` as mappings) and ``offsets``: per-die deviations of the platform's process
parameters from their nominal (``pdk.<platform>.process``), named as in the process data. Process
variation enters only as offsets to geometry and materials: the fabricated ring width is
``width_um + width_bias_um``, its gap ``gap_um - width_bias_um`` (both edges move by half the bias),
its film ``thickness_nm + offset``; the ring-mode loss is the process nominal plus its offset.

Everything is computed in one jit-compiled function per family, compiled once per batch size
(batches are padded to the next power of two, so a wafer study compiles a handful of programs);
range checks against the mode tables and the models' validity run on concrete values before the
trace, once per call, and name the parameter, the value and the allowed range.

The sax circuits built from the cells' netlists (:mod:`qchipnet.circuits.ring`,
:mod:`qchipnet.circuits.transmitter`) are the oracle the tests hold these closed forms against.

**One loss story** (physics.md 1.1): the article gives 1.7 dB/m for its straight waveguides and
Q_i = 20.0 M for its ring. The two are different measurements of different things; no 100-nm guide
has the n_g (1.93) that would make them one number. The ring therefore uses the *ring-mode* loss
``ring_loss_dB_per_m`` of ``pdk.sin.process`` (1.40 dB/m, calibrated so that the reference ring has
Q_i = 20.0 M; it absorbs whatever makes the ring mode less lossy than the straight test guides), and
the straight guides (bus, tapers, cut-backs) use ``loss_dB_per_m`` = 1.7 dB/m. Every path (CLI, main
job, Monte Carlo, sax oracle) uses these two, and nothing else.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Mapping

import numpy as np

from ..constants import C_M_PER_S, LAMBDA0_UM
from ..validate import InputError, check_range

__all__ = [
    "RING_FIELDS",
    "TRANSMITTER_FIELDS",
    "SIN_OFFSETS",
    "INP_OFFSETS",
    "RING_KEYS",
    "TRANSMITTER_KEYS",
    "ring_metrics",
    "ring_critical_gap_um",
    "transmitter_metrics",
    "TM_LEAKAGE_DB",
    "TEC_SPAN_K",
    "MAX_TUNING_CURRENT_MA",
    "IM_V_MAX_V",
    "IM_DAC",
    "im_intensity_errors",
    "VOA_MAX_CURRENT_MA",
    "TARGET_LINES",
    "MZM_ARM",
    "DESIGN_MARGIN_SIGMA",
    "ring_design_ranges",
    "transmitter_design_ranges",
    "process_domain_problems",
    "domain_clip",
    "im_field_function",
]

#: The server-ring section of a design = the parameters of the ring/chip cells.
RING_FIELDS = ("radius_um", "width_um", "gap_um", "thickness_nm", "bus_width_um")
#: The transmitter section of a design = the parameters of the transmitter chip cell.
TRANSMITTER_FIELDS = ("die_width_um", "die_height_um", "pm_length_um", "voa_length_um", "ridge_width_um",
                      "dbr_grating_period_nm", "dbr_rear_length_um", "dbr_gain_length_um", "dbr_phase_length_um",
                      "dbr_front_length_um")
#: Process parameters (``pdk.sin.process``) that act on the ring, as offsets from their nominal.
SIN_OFFSETS = ("width_bias_um", "thickness_nm", "ring_loss_dB_per_m")
#: Process parameters (``pdk.inp.process``) that act on the transmitter, as offsets from their nominal.
INP_OFFSETS = ("width_bias_um", "deep_etch_below_core_um", "core_thickness_um", "core_bandgap_um",
               "mmi_width_bias_um", "arm_loss_imbalance_dB", "eo_coefficient_ln", "grating_period_error_nm")

RING_KEYS = ("fsr_GHz", "n_eff", "n_g", "beta2_ps2_per_km", "beta3_ps3_per_km", "D2_over_2pi_kHz", "q_intrinsic",
             "q_coupling", "q_loaded", "extinction_dB", "power_coupling_K", "resonance_wl_nm", "linewidth_MHz",
             "ring_loss_dB_per_m")
TRANSMITTER_KEYS = ("vpi_V", "im_visibility_dB", "im_visibility_te_only_dB", "im_insertion_loss_dB", "im_v_on_V",
                    "im_v_off_V", "im_chirp_rad", "mmi_imbalance_dB", "mmi_excess_loss_dB", "pm_insertion_loss_dB",
                    "pm_max_phase_rad", "pm_phase_error_rad", "im_intensity_error_rel",
                    "bragg_nm", "dbr_tuning_range_nm", "dbr_tec_window_nm", "mode_spacing_nm", "k_c_per_s",
                    "free_running_linewidth_Hz",
                    "reachable_line_count", "target_lines_reachable", "voa_attenuation_dB")

#: Comb lines the client lasers must reach (seed article: lambda_-5 .. lambda_+8).
TARGET_LINES = tuple(range(-5, 9))
#: Extinction floor from the TM-polarised fraction of the laser light: the TE-designed MZI does not
#: null TM, so TM leaks through at the null. A polarisation extinction ratio of 40 dB is typical of
#: InP DBR lasers (TE gain of compressively strained MQW; physics.md 4.3) [T].
TM_LEAKAGE_DB = 40.0
#: +- range of the client chip's TEC set-point (25 +- 15 C) that centres the DBR tuning window on the
#: comb; packaged InP lasers run from 10 to 40 C [T]. Reported separately (``dbr_tec_window_nm``)
#: from the continuous current tuning (``dbr_tuning_range_nm``).
TEC_SPAN_K = 15.0
#: DBR tuning-current limit (mA) of the mirror sections [T].
MAX_TUNING_CURRENT_MA = 12.0
#: Largest reverse bias the IM driver applies (V).
IM_V_MAX_V = 14.0
#: The PM's driver: four encoding phases set by a 12-bit DAC over 0-10 V (the 4-level encoder's swing).
PM_DAC = {"bits": 12, "full_scale_V": 10.0}
#: The IM's driver: the bias of the levels-and-gate IM set by a 12-bit DAC over the driver's whole range
#: 0 - :data:`IM_V_MAX_V` [T] (the resolution class of :data:`PM_DAC`; 12-bit converters are the usual QKD
#: encoder boards), and the intensity levels it sets relative to the IM's peak, mu_k / mu_max: mu_1 / mu_2 and
#: mu_z / mu_2 of the default design's 370-km protocols optimised with this DAC's intensity error
#: (``wafer.evaluate.design_reference``, a fixed point: 0.106-0.115 and 0.897-0.921 over the ten pair slots,
#: held by tests/system/test_dac_intensity.py; mu_2 = mu_max sits at the peak, whose error is second order,
#: the vacuum at the null).
IM_DAC = {"bits": 12, "full_scale_V": IM_V_MAX_V, "levels": (0.107, 0.918)}
#: Largest forward current of the carrier-injection VOA (mA) [T].
VOA_MAX_CURRENT_MA = 20.0
#: The IM arm as drawn by ``components.inp.mzm`` (defaults): RF PM, DC bias PM of 300 um, 20-um
#: isolation sections at both ends of each electrode, two S-bends of 250 um x ~38.5 um (Bezier path
#: 254.16/254.19 um). Passive lengths enter the insertion loss only (the arms are identical).
MZM_ARM = {"bias_length_um": 300.0, "isolation_um": 20.0, "sbend_path_um": 254.156 + 254.192}


# ----------------------------------------------------------------------------- helpers
def _section(name: str, values: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The design section as float arrays; an unknown or missing field is an error naming it."""
    if not isinstance(values, Mapping):
        raise InputError(f"{name}: expected a mapping of {list(fields)}, got {type(values).__name__}")
    unknown = sorted(set(values) - set(fields))
    missing = [f for f in fields if f not in values]
    if unknown or missing:
        raise InputError(f"{name}: unknown {unknown}, missing {missing}; the fields are {list(fields)}")
    out = {}
    for k in fields:
        arr = np.asarray(values[k], dtype=float)
        if not np.all(np.isfinite(arr)):
            raise InputError(f"{name}.{k} = {values[k]!r} is not finite")
        out[k] = arr
    return out


def _offsets(platform: str, offsets: Mapping[str, Any] | None, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    offsets = dict(offsets or {})
    unknown = sorted(set(offsets) - set(names))
    if unknown:
        raise InputError(f"offsets: unknown {platform} process parameter(s) {unknown}; the evaluator uses "
                         f"{list(names)}")
    out = {}
    for k in names:
        arr = np.asarray(offsets.get(k, 0.0), dtype=float)
        if not np.all(np.isfinite(arr)):
            raise InputError(f"offsets.{k}: not finite")
        out[k] = arr
    return out


def _x64() -> None:
    """float64 before anything is traced (a mm ring's phase is ~4e4 rad); sax/klujax do the same on import."""
    from ..models.modes import _ensure_x64

    _ensure_x64()


def _bucket(n: int) -> int:
    """Padded batch size (``batching.padded_size``: few programs over all batch sizes, little padding)."""
    from ..batching import padded_size

    return padded_size(n)


def _batch(arrays: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], int, tuple]:
    """Broadcast to 1-D, pad to the bucket size by repeating the last element; (arrays, n, shape)."""
    shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    n = int(np.prod(shape)) if shape else 1
    m = _bucket(n)
    out = {}
    for k, a in arrays.items():
        flat = np.broadcast_to(a, shape).reshape(-1)
        out[k] = np.concatenate([flat, np.repeat(flat[-1:], m - n)]) if m > n else flat.copy()
    return out, n, shape


def _unbatch(res: dict, n: int, shape: tuple) -> dict[str, np.ndarray]:
    out = {}
    for k, v in res.items():
        a = np.asarray(v)
        out[k] = a[:n].reshape(shape + a.shape[1:])
    return out


def _where(arr: np.ndarray, bad: np.ndarray) -> str:
    if arr.size <= 1:
        return ""
    return f" (die {int(np.flatnonzero(bad.reshape(-1))[0])} of {arr.size})"


def _check_axis(name: str, arr: np.ndarray, lo: float, hi: float, unit: str, why: str) -> None:
    tol = 1e-9 * max(1.0, abs(hi))
    bad = (arr < lo - tol) | (arr > hi + tol)
    if np.any(bad):
        x = float(arr.reshape(-1)[np.flatnonzero(bad.reshape(-1))[0]])
        raise InputError(f"{name} = {x:.6g} {unit} is outside the allowed range [{lo:.6g}, {hi:.6g}] {unit} "
                         f"({why}){_where(arr, bad)}")


# ----------------------------------------------------------------------------- ring
def _ring_domain(R, w, bw, g, t, loss) -> None:
    """Concrete range checks of the fabricated ring against the tables and the models' validity."""
    from ..models.sin import LOSS_RANGE_DB_PER_M
    from ..models.sin_modes import COUPLER_GRID, load_coupler, load_straight

    st, cp = load_straight(), load_coupler()
    _check_axis("thickness_nm", t, *st.axis_range("thickness_nm"), "nm", "mode table sin_straight")
    _check_axis("width_um", w, *st.axis_range("width_um"), "um", "mode table sin_straight")
    _check_axis("bus_width_um", bw, *st.axis_range("width_um"), "um", "mode table sin_straight")
    _check_axis("gap_um", g, COUPLER_GRID["gap_um"][0], COUPLER_GRID["gap_um"][-1], "um", "mode table sin_coupler")
    _check_axis("mean coupler width (width_um + bus_width_um)/2", (w + bw) / 2, *cp.axis_range("width_um"), "um",
                "mode table sin_coupler")
    _check_axis("thickness_nm", t, *cp.axis_range("thickness_nm"), "nm", "mode table sin_coupler")
    _check_axis("ring_loss_dB_per_m", loss, 1e-3, LOSS_RANGE_DB_PER_M[1], "dB/m", "ring-mode loss")
    r_min = np.maximum(50.0, 400.0 * (100.0 / t) ** 2)  # pdk.sin.geometry.min_bend_radius_um, vectorised
    bad = R < r_min
    if np.any(bad):
        i = np.flatnonzero(np.broadcast_to(bad, np.broadcast_shapes(R.shape, r_min.shape)).reshape(-1))[0]
        rr, rm = np.broadcast_arrays(R, r_min)
        raise InputError(f"radius_um = {rr.reshape(-1)[i]:.6g} um is below the minimum bend radius "
                         f"{rm.reshape(-1)[i]:.6g} um of a {np.broadcast_to(t, rr.shape).reshape(-1)[i]:.6g} nm film "
                         f"(pdk.sin.geometry.min_bend_radius_um){_where(rr, np.broadcast_to(bad, rr.shape))}")


def _pump_resonance_um(R, w, t, wl_um):
    """Resonance (um) nearest ``wl_um``: Newton on 2 pi n_eff(wl) L / wl = 2 pi m, the phase the sax
    circuit accumulates; quadratic convergence from lambda_0 (~0.1 nm away): 1e-12 nm in two steps."""
    import jax.numpy as jnp

    from ..models.sin_modes import load_straight

    tab = load_straight()
    L_um = 2 * jnp.pi * R
    n0 = tab.interp("n_eff", method="cubic", width_um=w, thickness_nm=t, wl_um=wl_um)
    m = jnp.round(n0 * L_um / wl_um)
    wl = jnp.full_like(n0, wl_um)
    for _ in range(2):
        v = tab.interp_many(("n_eff", "n_g"), method="cubic", width_um=w, thickness_nm=t, wl_um=wl)
        wl = wl - (v[..., 0] * L_um / wl - m) / (-v[..., 1] * L_um / wl**2)
    return wl


def _ring_physics(R, w, bw, g, t, loss, wl_um):
    """Closed forms of the all-pass point-coupled ring (physics.md 1.1-1.4); pure jax."""
    import jax.numpy as jnp

    from ..models.sin import point_coupling_core
    from ..models.sin_modes import load_straight
    from ..pdk.sin.geometry import point_coupler_length_um

    tab = load_straight()

    def q(names, wl=wl_um):
        v = tab.interp_many(names, method="cubic", width_um=w, thickness_nm=t, wl_um=wl)
        return [v[..., i] for i in range(len(names))]

    n_eff, n_g, beta2, beta3 = q(("n_eff", "n_g", "beta2_ps2_per_km", "beta3_ps3_per_km"))
    L_um = 2 * jnp.pi * R
    L = L_um * 1e-6
    wl = _pump_resonance_um(R, w, t, wl_um)
    fsr = C_M_PER_S / (n_g * L)
    alpha = loss / (10.0 / math.log(10.0))
    # coupling, Q and extinction at the pump resonance itself: near critical coupling the extinction
    # depends on K to 1e-5, and K changes by more than that over the 0.1 nm from lambda_0
    K = point_coupling_core(wl, R, w, bw, g, t, point_coupler_length_um(R, w))
    ng_res = q(("n_g",), wl)[0]
    lam = wl * 1e-6
    q_i = 2 * jnp.pi * ng_res / (lam * alpha)
    q_c = 2 * jnp.pi * ng_res * L / (lam * (-jnp.log1p(-K)))
    q_l = 1.0 / (1.0 / q_i + 1.0 / q_c)
    a = jnp.exp(-alpha * L / 2)
    r = jnp.sqrt(1.0 - K)
    t_min = (a - r) ** 2 / (1.0 - a * r) ** 2
    d1 = 2 * jnp.pi * fsr
    d2 = -(C_M_PER_S / n_g) * d1**2 * beta2 * 1e-27
    nu = C_M_PER_S / (wl * 1e-6)
    return {
        "fsr_GHz": fsr / 1e9, "n_eff": n_eff, "n_g": n_g, "beta2_ps2_per_km": beta2, "beta3_ps3_per_km": beta3,
        "D2_over_2pi_kHz": d2 / (2 * jnp.pi) / 1e3, "q_intrinsic": q_i, "q_coupling": q_c, "q_loaded": q_l,
        "extinction_dB": -10 * jnp.log10(jnp.maximum(t_min, 1e-30)), "power_coupling_K": K,
        "resonance_wl_nm": wl * 1e3, "linewidth_MHz": nu / q_l / 1e6, "ring_loss_dB_per_m": loss,
    }


@functools.lru_cache(maxsize=None)
def _ring_jit(wl_um: float):
    import jax

    return jax.jit(lambda R, w, bw, g, t, loss: _ring_physics(R, w, bw, g, t, loss, wl_um))


def _ring_inputs(ring: Mapping[str, Any], offsets, process) -> dict[str, np.ndarray]:
    from ..pdk import get_platform

    r = _section("server_ring", ring, RING_FIELDS)
    off = _offsets("sin", offsets, SIN_OFFSETS)
    proc = process if process is not None else get_platform("sin").process
    dw = off["width_bias_um"]
    return {"R": r["radius_um"], "w": r["width_um"] + dw, "bw": r["bus_width_um"] + dw,
            "g": r["gap_um"] - dw, "t": r["thickness_nm"] + off["thickness_nm"],
            "loss": proc["ring_loss_dB_per_m"].nominal + off["ring_loss_dB_per_m"]}


def ring_metrics(ring: Mapping[str, Any], offsets: Mapping[str, Any] | None = None, *, process=None,
                 wl_um: float = LAMBDA0_UM) -> dict[str, np.ndarray]:
    """Metrics of the server ring ``ring`` (a design's ``server_ring``) for every die in ``offsets``.

    ``offsets``: ``{process parameter: array}`` of :data:`SIN_OFFSETS` (missing = 0, i.e. the
    nominal process); arrays broadcast with each other and with the design values. ``process``:
    the :class:`~qchipnet.pdk.process.ProcessData` whose nominals apply (default: the platform's).
    Returns :data:`RING_KEYS` as numpy arrays of the broadcast shape. Validity: the fabricated
    geometry inside the ``sin_straight``/``sin_coupler`` tables, radius >= the film's minimum bend
    radius, wavelength 1.52-1.58 um.
    """
    check_range("wl_um", wl_um, 1.52, 1.58, "um")
    x = _ring_inputs(ring, offsets, process)
    _ring_domain(**x)
    _x64()
    b, n, shape = _batch(x)
    return _unbatch(_ring_jit(float(wl_um))(**b), n, shape)


@functools.lru_cache(maxsize=None)
def _critical_gap_jit(wl_um: float, g_lo: float, g_hi: float):
    import jax
    import jax.numpy as jnp

    from ..models.sin import point_coupling_core
    from ..pdk.sin.geometry import point_coupler_length_um

    def f(R, w, bw, t, loss):
        # critical coupling: Q_c = Q_i  <=>  r = a  <=>  K = 1 - exp(-alpha L); K falls with the gap
        k_crit = 1.0 - jnp.exp(-loss / (10.0 / math.log(10.0)) * 2 * jnp.pi * R * 1e-6)
        L_int = point_coupler_length_um(R, w)
        wl_res = _pump_resonance_um(R, w, t, wl_um)

        def excess(g):
            return point_coupling_core(wl_res, R, w, bw, g, t, L_int) - k_crit

        def step(_, lohi):
            lo, hi = lohi
            mid = 0.5 * (lo + hi)
            above = excess(mid) > 0  # still over-coupled: the root lies at a larger gap
            return jnp.where(above, mid, lo), jnp.where(above, hi, mid)

        lo, hi = jnp.full_like(R, g_lo), jnp.full_like(R, g_hi)
        ok = (excess(lo) >= 0) & (excess(hi) <= 0)
        lo, hi = jax.lax.fori_loop(0, 48, step, (lo, hi))
        return jnp.where(ok, 0.5 * (lo + hi), jnp.nan)

    return jax.jit(f)


def ring_critical_gap_um(ring: Mapping[str, Any], offsets: Mapping[str, Any] | None = None, *, process=None,
                         wl_um: float = LAMBDA0_UM) -> np.ndarray:
    """Gap (um) where Q_c = Q_i for the ring's other parameters; NaN where no gap of the coupler
    table reaches critical coupling (the caller reports it)."""
    from ..models.sin_modes import COUPLER_GRID

    x = _ring_inputs(ring, offsets, process)
    _ring_domain(**x)
    x.pop("g")
    _x64()
    b, n, shape = _batch(x)
    g = COUPLER_GRID["gap_um"]
    return _unbatch({"g": _critical_gap_jit(float(wl_um), float(g[0]), float(g[-1]))(**b)}, n, shape)["g"]


# ----------------------------------------------------------------------------- transmitter
def _tm_floor(er_dB, floor_dB=TM_LEAKAGE_DB):
    import jax.numpy as jnp

    return -10 * jnp.log10(10 ** (-er_dB / 10) + 10 ** (-floor_dB / 10))


def _im_parts(L_pm, w, etch, core, bg, mw, arm_dB, eo_ln, wl_um):
    """The IM as a two-path interferometer: path amplitudes A (top) and Bn (bottom, at 0 V) of the
    ``mzm`` cell (1x2 splitter -> identical arms -> 2x2 combiner output o2), the bottom arm's PM
    phase coefficients a, b and its loss at 0 V; pure jax."""
    import jax.numpy as jnp

    from ..models import inp as M

    a, b = M.pm_coeffs_core(L_pm, wl_um, w, core, etch, bg, jnp.exp(eo_ln))
    t = _mmi_entries(mw)
    s_top, s_bot = t[("mmi1x2", 0, 0)], t[("mmi1x2", 1, 0)]
    c_top, c_bot = t[("mmi2x2", 0, 0)], t[("mmi2x2", 0, 1)]
    pm0 = M.pm_loss_dB(0.0, length_um=L_pm, core_um=core)
    passive = (M.pm_loss_dB(0.0, length_um=MZM_ARM["bias_length_um"], core_um=core)
               + M.LOSS_DB_PER_CM["deep"] * 1e-4 * (4 * MZM_ARM["isolation_um"] + MZM_ARM["sbend_path_um"]))
    amp = 10 ** (-(pm0 + passive) / 20)
    return {"a": a, "b": b, "A": s_top * c_top * amp, "Bn": s_bot * c_bot * amp * 10 ** (-arm_dB / 20),
            "pm0": pm0, "L_pm": L_pm, "core": core, "mmi": t}


#: MMI transfer elements the IM uses: the splitter's two outputs, the combiner's o2 from both inputs and
#: its o1 from input 1 (the imbalance of the combiner).
_MMI_ELEMENTS = (("mmi1x2", 0, 0), ("mmi1x2", 1, 0), ("mmi2x2", 0, 0), ("mmi2x2", 0, 1), ("mmi2x2", 1, 0))


def _mmi_entries(mw) -> dict:
    """The MMI transfer elements of :data:`_MMI_ELEMENTS` at width error ``mw``, in one table lookup
    (the same cubic interpolation as ``models.inp.mmi_transfer_table``, one gather for all)."""
    from ..models import inp as M

    names = [f"{n}_{part}_{i}{j}" for n, i, j in _MMI_ELEMENTS for part in ("re", "im")]
    v = M.mmi_table().interp_many(tuple(names), method="cubic", width_error_um=mw)
    return {e: v[..., 2 * k] + 1j * v[..., 2 * k + 1] for k, e in enumerate(_MMI_ELEMENTS)}


def _im_field(im: dict, v):
    """Output field of the IM with reverse bias ``v`` on the bottom arm (EO phase + electro-absorption)."""
    import jax.numpy as jnp

    from ..models import inp as M

    ea = M.pm_loss_dB(v, length_um=im["L_pm"], core_um=im["core"]) - im["pm0"]
    ph = M.pm_phase_core(v, im["a"], im["b"])
    return im["A"] + im["Bn"] * 10 ** (-ea / 20) * jnp.exp(1j * ph)


def im_field_function(tx: Mapping[str, Any], offsets: Mapping[str, Any] | None = None, *, process=None,
                      wl_um: float = LAMBDA0_UM):
    """E(V): the IM output field of one die (complex, scalar V) from the evaluator's own closed form;
    used for the SNS intensity states of the report."""
    x = _transmitter_inputs(tx, offsets, process)
    _transmitter_domain(**x)
    _x64()
    x = {k: float(np.asarray(v).reshape(-1)[0]) for k, v in x.items()}
    im = _im_parts(x["L_pm"], x["ridge"] + x["wb"], x["etch"], x["core"], x["bg"], x["mw"], x["arm_dB"], x["eo_ln"],
                   float(wl_um))
    return lambda v: complex(_im_field(im, float(v)))


def _im_extrema(im: dict, field, psi0):
    """Deepest null and highest peak of the IM's transmission T(V) = |A + Bn r(V) e^(i phi(V))|^2 that the
    driver reaches in [0, :data:`IM_V_MAX_V`], as a voltage sweep of the circuit would find them:
    (v_on, E(v_on), v_off, E(v_off)).

    The bottom path's phase phi grows monotonically with V and its electro-absorption r(V) =
    10^(-EA(V)/20) falls monotonically. At the k-th null (phi = pi - psi0 mod 2 pi, the paths in antiphase)
    T_k = (|A| - |Bn| r_k)^2; at the k-th peak T_k = (|A| + |Bn| r_k)^2. So the highest peak is the first
    one the driver reaches, and the deepest null is one of the two orders around the bias V* where the
    driven path's amplitude equals the other's (|Bn| r(V*) = |A|, :func:`models.inp.pm_voltage_for_ea_dB`).
    Those orders and the sweep's two ends are the only candidates: the same extrema as evaluating every
    phase order, in 7 field evaluations whatever the PM's length."""
    import jax.numpy as jnp

    from ..models import inp as M

    a, b, A, Bn = im["a"], im["b"], im["A"], im["Bn"]
    two_pi = 2 * jnp.pi
    top = M.pm_phase_core(IM_V_MAX_V, a, b)  # the phase the driver reaches

    def order_voltage(theta, k):
        """Bias of phase order k >= 0 of phase ``theta`` (mod 2 pi) and whether the driver reaches it."""
        theta = jnp.mod(theta, two_pi)
        k_max = jnp.floor((top - theta) / two_pi)  # the last order below IM_V_MAX_V (< 0: none)
        k = jnp.clip(k, 0.0, jnp.maximum(k_max, 0.0))
        return M.pm_voltage_for_phase_V(theta + two_pi * k, a, b), k_max >= 0

    def pick(cands, better):
        """The candidate (v, E(v)) whose |E|^2 is ``better`` than every earlier reachable one's (the first
        of equals; elementwise selects, cheaper than a stacked argmax and gather)."""
        best = None
        for v, ok in cands:
            e = field(v)
            t = jnp.abs(e) ** 2
            if best is None:  # the first candidate is always reachable (a sweep end)
                best = (v, e, t)
                continue
            take = ok & better(t, best[2])
            best = tuple(jnp.where(take, new, old) for new, old in zip((v, e, t), best))
        return best[0], best[1]

    zero, v_max = jnp.zeros_like(psi0), jnp.full_like(psi0, IM_V_MAX_V)
    ends = [(zero, True), (v_max, True)]
    v_on, e_on = pick([*ends, order_voltage(-psi0, 0.0)], jnp.greater)
    v_eq = M.pm_voltage_for_ea_dB(20 * jnp.log10(jnp.abs(Bn) / jnp.abs(A)), length_um=im["L_pm"], core_um=im["core"])
    theta_off = jnp.pi - psi0
    k_eq = jnp.floor((M.pm_phase_core(v_eq, a, b) - jnp.mod(theta_off, two_pi)) / two_pi)
    v_off, e_off = pick([*ends, order_voltage(theta_off, k_eq), order_voltage(theta_off, k_eq + 1)], jnp.less)
    return v_on, e_on, v_off, e_off


def _transmitter_physics(L_pm, L_voa, ridge, wb, etch, core, bg, mw, arm_dB, eo_ln, gp, gp_design, L_rear, L_front,
                         L_gain, L_phase, wl_um, i_max_mA, tec_K):
    """IM, PM, DBR and VOA closed forms of the transmitter (physics.md 3-4); pure jax, differentiable in
    every design input (``gp_design`` the drawn grating period nm, ``L_*`` the DBR laser sections um;
    ``gp`` is the process's period error)."""
    import jax.numpy as jnp

    from ..models import inp as M

    w = ridge + wb  # fabricated deep-ridge width of the modulators and the VOA
    im = _im_parts(L_pm, w, etch, core, bg, mw, arm_dB, eo_ln, wl_um)
    a, b, A, Bn, pm0 = im["a"], im["b"], im["A"], im["Bn"], im["pm0"]
    vpi = M.pm_voltage_for_phase_V(jnp.pi, a, b)
    psi0 = jnp.angle(Bn) - jnp.angle(A)

    def field(v):
        return _im_field(im, v)

    v_on, e_on, v_off, e_off = _im_extrema(im, field, psi0)
    t_max, t_min = jnp.abs(e_on) ** 2, jnp.maximum(jnp.abs(e_off) ** 2, 1e-30)
    er_te = 10 * jnp.log10(t_max / t_min)
    chirp = jnp.angle(field(jnp.minimum(v_off + 0.05, IM_V_MAX_V)) / e_on)
    p2 = jnp.abs(jnp.stack([im["mmi"][("mmi2x2", 0, 0)], im["mmi"][("mmi2x2", 1, 0)]])) ** 2
    las = M.dbr_laser_metrics(grating_period_nm=gp_design, rear_dbr_um=L_rear, gain_um=L_gain, phase_um=L_phase,
                              front_dbr_um=L_front, width_bias_um=wb, core_um=core, core_bandgap_um=bg,
                              grating_period_error_nm=gp, max_tuning_current_mA=i_max_mA, tec_span_K=tec_K,
                              mu_range=(-20, 20))
    mus = np.arange(-20, 21)
    tmask = (mus >= TARGET_LINES[0]) & (mus <= TARGET_LINES[-1])
    reach = las["reachable"]
    return {
        "vpi_V": vpi,
        "im_visibility_dB": _tm_floor(er_te),
        "im_visibility_te_only_dB": er_te,
        "im_insertion_loss_dB": -10 * jnp.log10(t_max),
        "im_v_on_V": v_on,
        "im_v_off_V": v_off,
        "im_chirp_rad": chirp,
        "mmi_imbalance_dB": jnp.abs(10 * jnp.log10(p2[0] / p2[1])),
        "mmi_excess_loss_dB": -10 * jnp.log10(p2[0] + p2[1]),
        "pm_insertion_loss_dB": pm0 + M.LOSS_DB_PER_CM["deep"] * 2 * MZM_ARM["isolation_um"] * 1e-4,
        "bragg_nm": las["bragg_nm"],
        "dbr_tuning_range_nm": las["current_tuning_nm"],
        "dbr_tec_window_nm": las["tuning_range_nm"] - las["current_tuning_nm"],
        "mode_spacing_nm": las["mode_spacing_nm"],
        "k_c_per_s": las["k_c_per_s"],
        "free_running_linewidth_Hz": las["linewidth_free_MHz"] * 1e6,
        "reachable": reach,
        "reachable_line_count": reach.sum(axis=-1),
        "target_lines_reachable": reach[..., tmask].all(axis=-1),
        "voa_attenuation_dB": M.voa_attenuation_dB(VOA_MAX_CURRENT_MA, length_um=L_voa, width_um=w, core_um=core),
        **_pm_dac(a, b),
        "im_intensity_error_rel": _im_dac(im, field, e_on, v_on, e_off, v_off)["error_rel"].max(axis=0),
    }


def _pm_dac(a, b):
    """PM encoding on the DAC grid (:data:`PM_DAC`): the phase at full scale and the largest error of the
    four encoding phases 0, pi/2, pi, 3 pi/2 (each set at the DAC code nearest to its exact voltage;
    nan when full scale does not reach 3 pi / 2)."""
    import jax.numpy as jnp

    from ..models import inp as M

    full, bits = PM_DAC["full_scale_V"], PM_DAC["bits"]
    lsb = full / (2**bits - 1)

    def phi(v):
        return a * v + b * ((v + M.EO.v_bi_V) ** 2 - M.EO.v_bi_V**2)

    errs = []
    for k in range(1, 4):
        target = k * jnp.pi / 2
        v = M.pm_voltage_for_phase_V(target, a, b)
        lo = jnp.clip(jnp.floor(v / lsb), 0, 2**bits - 1) * lsb
        errs.append(jnp.minimum(jnp.abs(phi(lo) - target), jnp.abs(phi(jnp.minimum(lo + lsb, full)) - target)))
    top = phi(full)
    err = jnp.max(jnp.stack(errs), axis=0)
    return {"pm_max_phase_rad": top, "pm_phase_error_rad": jnp.where(top >= 1.5 * jnp.pi, err, jnp.nan)}


def _im_dac(im: dict, field, e_on, v_on, e_off, v_off, *, levels=None, bits=None, full_scale_V=None) -> dict:
    """IM intensity levels on the DAC grid (:data:`IM_DAC`); pure jax, batch-native, differentiable.

    Each level r = mu_k / mu_max (``levels``, Python floats < 1) is the bias V_r on the die's own transfer
    T(V) = |E(V)|^2 (:func:`_im_field`: EO phase with its quadratic term and electro-absorption) on the half
    fringe between the null ``v_off`` and the peak side where T(V_r) = r T(v_on); mu_max sits at the peak
    (its own DAC error is second order in the LSB, ~(phi' LSB/4)^2 ~ 1e-6, and is not counted). The driver
    sets the DAC code nearest to V_r, at most half an LSB away; where that code falls depends on the bias
    to better than a millivolt, so the realised intensity is known only to within the change of T over
    V_r +- LSB/2: ``error_rel``. It is the bound the decoy analysis takes as its intensity fluctuation
    (worst case over mu (1 +- delta); Wang, Yang, Peng & Pan, NJP 11, 075006 (2009)). For an ideal cos^2
    transfer it is phi'(V_r) tan(theta) LSB/2 with cos^2(theta) = r and phi' = d phi/dV at the level (pi / V_pi
    for a linear EO phase; the quadratic EO term makes phi' at the IM's working bias larger than pi / V_pi).
    The metric ``im_intensity_error_rel`` is its maximum over the levels (nan if one is unreachable).
    ``snapped_rel`` is the error of the nearest code itself (<= ``error_rel``, for checks).

    V_r from the two-path interference, exact for this circuit: T = A^2 + B(V)^2 - 2 A B(V) cos(phi_n - phi(V))
    with phi_n the exact null phase next to ``v_off`` (pi - psi0 mod 2 pi) and B(V) the driven path's
    amplitude with its electro-absorption, solved for phi(V) in closed form with B at the previous bias
    (two passes from B(v_off): the level to < 1e-4). The error is then first order in the LSB at V_r,
    |T'(V_r)| LSB/2 / T(V_r) (one forward-mode derivative; the second-order term is (phi' LSB/4)^2 ~ 1e-6).
    Everything is differentiable (the closed form carries the derivative of V_r). Levels the IM cannot reach
    (r T_max <= T_min) give nan.
    Returns ``{"error_rel", "snapped_rel", "v_level_V", "level"}`` (``level`` the realised T(V_r) / T_max),
    each with the levels on a leading axis.
    """
    import jax
    import jax.numpy as jnp

    from ..models import inp as M

    levels = IM_DAC["levels"] if levels is None else tuple(float(r) for r in levels)
    bits = IM_DAC["bits"] if bits is None else int(bits)
    full = IM_DAC["full_scale_V"] if full_scale_V is None else float(full_scale_V)
    lsb = full / (2**bits - 1)
    a, b = im["a"], im["b"]
    t_on, t_off = jnp.abs(e_on) ** 2, jnp.abs(e_off) ** 2
    amp_a, amp_bn = jnp.abs(im["A"]), jnp.abs(im["Bn"])
    lo, hi = jnp.minimum(v_on, v_off), jnp.maximum(v_on, v_off)
    sgn = jnp.where(v_off >= v_on, 1.0, -1.0)  # the phase grows with V: from the peak towards the null is +-
    phi_off = M.pm_phase_core(v_off, a, b)
    psi0 = jnp.angle(im["Bn"]) - jnp.angle(im["A"])
    phi_n = phi_off + jnp.mod(jnp.pi - psi0 - phi_off + jnp.pi, 2 * jnp.pi) - jnp.pi  # exact null nearest v_off

    def amp_b(v):
        ea = M.pm_loss_dB(v, length_um=im["L_pm"], core_um=im["core"]) - im["pm0"]
        return amp_bn * 10 ** (-ea / 20)

    def t(v):  # |E(V)|^2 of :func:`_im_field` as the two-path sum (real arithmetic: cheaper derivative)
        bb = amp_b(v)
        return amp_a**2 + bb**2 + 2 * amp_a * bb * jnp.cos(M.pm_phase_core(v, a, b) + psi0)

    err, snap, volts, real = [], [], [], []
    b_off = amp_b(v_off)
    for r in levels:
        target = r * t_on
        v = v_off
        for k in range(2):
            bb = b_off if k == 0 else amp_b(v)
            c = jnp.clip((amp_a**2 + bb**2 - target) / (2 * amp_a * bb), -1.0 + 1e-12, 1.0 - 1e-12)
            v = jnp.clip(M.pm_voltage_for_phase_V(jnp.maximum(phi_n - sgn * jnp.arccos(c), 0.0), a, b), lo, hi)
        tv, dt = jax.jvp(t, (v,), (jnp.ones_like(v),))
        code = jnp.clip(jnp.round(v / lsb), 0, 2**bits - 1) * lsb
        reach = target > t_off
        err.append(jnp.where(reach, jnp.abs(dt) * (lsb / 2) / tv, jnp.nan))
        snap.append(jnp.where(reach, jnp.abs(t(code) - tv) / tv, jnp.nan))
        volts.append(jnp.where(reach, v, jnp.nan))
        real.append(tv / t_on)
    return {"error_rel": jnp.stack(err), "snapped_rel": jnp.stack(snap), "v_level_V": jnp.stack(volts),
            "level": jnp.stack(real)}


@functools.cache
def _im_dac_jit(levels: tuple, bits, full_scale_V, wl_um: float):
    """:func:`_im_dac` of the IM of :func:`_im_parts` (its extrema from :func:`_im_extrema`), compiled once per
    DAC and levels."""
    import jax

    def run(L_pm, ridge, wb, etch, core, bg, mw, arm_dB, eo_ln):
        im = _im_parts(L_pm, ridge + wb, etch, core, bg, mw, arm_dB, eo_ln, wl_um)
        psi0 = jax.numpy.angle(im["Bn"]) - jax.numpy.angle(im["A"])

        def field(v):
            return _im_field(im, v)

        v_on, e_on, v_off, e_off = _im_extrema(im, field, psi0)
        return _im_dac(im, field, e_on, v_on, e_off, v_off, levels=levels, bits=bits, full_scale_V=full_scale_V)

    return jax.jit(run)


def im_intensity_errors(tx: Mapping[str, Any], offsets: Mapping[str, Any] | None = None, *, process=None,
                        levels=None, bits: int | None = None, full_scale_V: float | None = None,
                        wl_um: float = LAMBDA0_UM) -> dict[str, np.ndarray]:
    """The IM's DAC intensity errors of every die in ``offsets`` (:func:`_im_dac`, the evaluator's own code),
    per level: ``error_rel`` (the bound of the transmitter metric ``im_intensity_error_rel``, which is its
    maximum over :data:`IM_DAC`'s levels), ``snapped_rel`` and ``v_level_V``, each of shape (levels, dies...).
    ``levels`` (mu_k / mu_max in (0, 1)), ``bits`` (4-24) and ``full_scale_V`` (1-50 V, at least the IM's
    null bias) default to :data:`IM_DAC`. Validity: that of :func:`transmitter_metrics`."""
    levels = IM_DAC["levels"] if levels is None else tuple(float(r) for r in np.atleast_1d(levels))
    for r in levels:
        check_range("levels", r, 0.0, 1.0, lo_open=True, hi_open=True)
    if bits is not None:
        check_range("bits", bits, 4, 24)
    if full_scale_V is not None:
        check_range("full_scale_V", full_scale_V, 1.0, 50.0, "V")
    check_range("wl_um", wl_um, 1.53, 1.57, "um")
    from ..models import inp as M

    x = _transmitter_inputs(tx, offsets, process)
    _transmitter_domain(**x)
    M.eo_calibration()
    _x64()

    names = ("L_pm", "ridge", "wb", "etch", "core", "bg", "mw", "arm_dB", "eo_ln")
    args = {k: np.asarray(x[k], dtype=float) for k in names}
    shape = np.broadcast_shapes(*(a.shape for a in args.values()))
    fn = _im_dac_jit(levels, None if bits is None else int(bits), None if full_scale_V is None else float(full_scale_V),
                     float(wl_um))
    out = fn(**{k: np.broadcast_to(a, shape) for k, a in args.items()})
    return {k: np.asarray(v) for k, v in out.items()}


@functools.lru_cache(maxsize=None)
def _transmitter_jit(wl_um: float, i_max_mA: float, tec_K: float, keys: tuple[str, ...] | None = None):
    import jax

    def run(**k):
        out = _transmitter_physics(**k, wl_um=wl_um, i_max_mA=i_max_mA, tec_K=tec_K)
        return out if keys is None else {name: out[name] for name in keys}

    return jax.jit(run)


def _transmitter_inputs(tx: Mapping[str, Any], offsets, process) -> dict[str, np.ndarray]:
    """The keyword arguments of :func:`_transmitter_physics` except ``wl_um``, ``i_max_mA`` and ``tec_K``:
    the design section's fields and the absolute process values of one die per offset.
    A section without the laser's ``dbr_*`` fields (written before they existed) is the article's laser
    (``components.floorplan.TX_DBR_DEFAULTS``, the design's defaults)."""
    from ..components.floorplan import TX_DBR_DEFAULTS
    from ..pdk import get_platform

    if isinstance(tx, Mapping):
        tx = {**TX_DBR_DEFAULTS, **tx}
    d = _section("transmitter", tx, TRANSMITTER_FIELDS)
    off = _offsets("inp", offsets, INP_OFFSETS)
    proc = process if process is not None else get_platform("inp").process

    def absolute(name):
        return proc[name].nominal + off[name]

    return {"L_pm": d["pm_length_um"], "L_voa": d["voa_length_um"], "ridge": d["ridge_width_um"],
            "wb": off["width_bias_um"], "etch": absolute("deep_etch_below_core_um"),
            "core": absolute("core_thickness_um"), "bg": absolute("core_bandgap_um"),
            "mw": off["mmi_width_bias_um"], "arm_dB": np.abs(absolute("arm_loss_imbalance_dB")),
            "eo_ln": absolute("eo_coefficient_ln"), "gp": absolute("grating_period_error_nm"),
            "gp_design": d["dbr_grating_period_nm"], "L_rear": d["dbr_rear_length_um"],
            "L_front": d["dbr_front_length_um"], "L_gain": d["dbr_gain_length_um"],
            "L_phase": d["dbr_phase_length_um"]}


def _transmitter_domain(L_pm, L_voa, ridge, wb, etch, core, bg, mw, arm_dB, eo_ln, gp, gp_design, L_rear, L_front,
                        L_gain, L_phase) -> None:
    from ..components.floorplan import TX_DBR_RANGES
    from ..models import inp as M
    from ..models.inp_modes import load_inp_table

    for name, v in (("dbr_grating_period_nm", gp_design), ("dbr_rear_length_um", L_rear),
                    ("dbr_front_length_um", L_front), ("dbr_gain_length_um", L_gain),
                    ("dbr_phase_length_um", L_phase)):
        _check_axis(name, v, *TX_DBR_RANGES[name], "nm" if name.endswith("_nm") else "um", "DBR laser cell and model")

    deep, shallow = load_inp_table("deep"), load_inp_table("shallow")
    _check_axis("pm_length_um", L_pm, 10.0, 5000.0, "um", "EO phase-modulator model")
    _check_axis("voa_length_um", L_voa, 10.0, 5000.0, "um", "VOA model")
    _check_axis("deep-ridge width (ridge_width_um + width_bias_um)", ridge + wb, *deep.axis_range("width_um"), "um",
                "mode table inp_deep")
    _check_axis("laser ridge width (2.0 um + width_bias_um)", 2.0 + wb, *shallow.axis_range("width_um"), "um",
                "mode table inp_shallow")
    _check_axis("deep_etch_below_core_um", etch, *deep.axis_range("etch_um"), "um", "mode table inp_deep")
    _check_axis("core_thickness_um", core, *deep.axis_range("core_um"), "um", "mode table inp_deep")
    _check_axis("core_thickness_um", core, *shallow.axis_range("core_um"), "um", "mode table inp_shallow")
    _check_axis("core_bandgap_um", bg, 1.20, 1.30, "um", "first-order bandgap perturbation of models.inp")
    _check_axis("mmi_width_bias_um", mw, *M.mmi_table().axis_range("width_error_um"), "um", "MMI table inp_mmi")
    _check_axis("eo_coefficient_ln", eo_ln, math.log(0.05), math.log(20.0), "", "EO coefficient factor 0.05-20")
    _check_axis("grating_period_error_nm", gp, -5.0, 5.0, "nm", "DBR model")


def transmitter_metrics(tx: Mapping[str, Any], offsets: Mapping[str, Any] | None = None, *, process=None,
                        wl_um: float = LAMBDA0_UM, max_tuning_current_mA: float = MAX_TUNING_CURRENT_MA,
                        tec_span_K: float = TEC_SPAN_K, sections: int | None = None,
                        keys: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """Metrics of the transmitter ``tx`` (a design's ``transmitter``) for every die in ``offsets``.

    ``keys``: return only these metrics (the compiler then drops what they do not need: the same code,
    less work for a Monte Carlo that reads a few of them).

    ``sections=S``: the local-mismatch offsets (``mmi_width_bias_um``, ``arm_loss_imbalance_dB``,
    ``eo_coefficient_ln``) have a trailing axis of S sections of each die, the other offsets the die
    shape; the die-level physics (mode tables, DBR, VOA) is then computed once per die and every result
    has the shape (dies..., S). Same numbers as evaluating each (die, section) as its own die.

    ``offsets``: ``{process parameter: array}`` of :data:`INP_OFFSETS` (missing = 0);
    ``arm_loss_imbalance_dB`` acts as the extra loss of one IM arm (its magnitude). Returns
    :data:`TRANSMITTER_KEYS` (plus ``reachable``, the mask of comb lines -20..20) as numpy arrays.

    The IM is the two-path interferometer of the ``mzm`` cell: splitter and combiner transfers from
    the tabulated mode-propagation model of the cell's own MMIs at the die's MMI width error,
    identical passive arms, the bottom arm driven. Its null and on voltages solve the PM phase
    (a V + b((V + V_bi)^2 - V_bi^2)) for the phase that cancels or adds the two paths, capped at
    :data:`IM_V_MAX_V`; the visibility is T(V_on)/T(V_off), with the TM-leakage floor
    (:data:`TM_LEAKAGE_DB`) in ``im_visibility_dB``. Exact for this circuit up to the
    electro-absorption's shift of the null (relative T_min error ~1e-5).
    Validity: the fabricated geometry inside the ``inp_deep``/``inp_shallow``/``inp_mmi`` tables,
    bandgap 1.20-1.30 um, wavelength 1.53-1.57 um.
    """
    check_range("wl_um", wl_um, 1.53, 1.57, "um")
    check_range("max_tuning_current_mA", max_tuning_current_mA, 0.0, 50.0, "mA")
    check_range("tec_span_K", tec_span_K, 0.0, 40.0, "K")
    from ..models import inp as M

    x = _transmitter_inputs(tx, offsets, process)
    _transmitter_domain(**x)
    M.eo_calibration()  # concrete calibration constant, computed once outside the trace
    _x64()
    if keys is not None:
        unknown = sorted(set(keys) - set(TRANSMITTER_KEYS) - {"reachable"})
        if unknown:
            raise InputError(f"keys: unknown transmitter metric(s) {unknown}; choose from {list(TRANSMITTER_KEYS)}")
        keys = tuple(sorted(set(keys)))
    fn = _transmitter_jit(float(wl_um), float(max_tuning_current_mA), float(tec_span_K), keys)
    sec = {k: np.asarray(x[k]) for k in _SECTION_INPUTS}
    if sections is None:
        b, n, shape = _batch(x)
        return _unbatch(fn(**b), n, shape)
    # per-die quantities (mode tables, DBR, VOA) once per die, the sections' closed forms on (die, section)
    check_range("sections", sections, 1, 64)
    die = {k: np.asarray(v) for k, v in x.items() if k not in _SECTION_INPUTS}
    shape = np.broadcast_shapes(*(a.shape for a in die.values()), *(a.shape[:-1] for a in sec.values() if a.ndim))
    n = int(np.prod(shape)) if shape else 1
    m = _bucket(n)

    def pad(a, tail):
        flat = np.broadcast_to(a, shape + tail).reshape((n,) + tail)
        return np.concatenate([flat, np.repeat(flat[-1:], m - n, axis=0)]) if m > n else flat.copy()

    # sections on the leading axis, dies on the trailing one: XLA vectorises over the long die axis
    # (a trailing axis of a few sections defeats it: 5x slower)
    args = {k: pad(v, ())[None, :] for k, v in die.items()}
    for k, v in sec.items():
        if v.ndim == 0 or v.shape[-1] != sections:
            v = np.broadcast_to(np.asarray(v)[..., None], shape + (sections,))
        args[k] = np.ascontiguousarray(pad(v, (sections,)).T)
    res = fn(**args)
    out = {}
    for k, v in res.items():
        a = np.asarray(v)
        if a.ndim == 1:  # a per-die scalar reduced over nothing
            a = a[None, :]
        a = np.broadcast_to(a, (sections,) + a.shape[1:])[:, :n]  # (S, n, ...)
        a = np.moveaxis(a, 0, 1)  # (n, S, ...)
        out[k] = a.reshape(shape + (sections,) + a.shape[2:])
    return out


#: Transmitter inputs that differ between the EO sections of one die (local mismatch).
_SECTION_INPUTS = ("mw", "arm_dB", "eo_ln")


# ----------------------------------------------------------------------------- design space
#: A design must keep every die within this many total process sigmas inside the models' domain
#: (mode tables, MMI table, bandgap model): beyond it a die is clipped to the domain and flagged
#: ``table_clipped`` by the Monte Carlo (expected for fewer than 1e-4 of the dies).
DESIGN_MARGIN_SIGMA = 4.0


def _sigma(process, name: str) -> float:
    return float(process[name].sigma_total)


def ring_design_ranges(process=None, n_sigma: float = DESIGN_MARGIN_SIGMA) -> dict[str, tuple[float, float, str]]:
    """Allowed range of each numeric ``server_ring`` field, derived from the mode tables less
    ``n_sigma`` of the process spread that moves it: ``{field: (lo, hi, why)}``. The radius's
    lower bound depends on the film (minimum bend radius) and is checked by :func:`check_ring_design`."""
    from ..models.sin_modes import COUPLER_GRID, load_coupler, load_straight
    from ..pdk import get_platform
    from ..pdk.sin.rules import RULES

    proc = process if process is not None else get_platform("sin").process
    sw, st = n_sigma * _sigma(proc, "width_bias_um"), n_sigma * _sigma(proc, "thickness_nm")
    (w0, w1), (t0, t1) = load_straight().axis_range("width_um"), load_straight().axis_range("thickness_nm")
    (c0, c1), (ct0, ct1) = load_coupler().axis_range("width_um"), load_coupler().axis_range("thickness_nm")
    g0, g1 = COUPLER_GRID["gap_um"][0], COUPLER_GRID["gap_um"][-1]
    g_rule = next(r.value for r in RULES if r.name == "WG.S.1")
    tail = f"less {n_sigma:g} sigma of the process"
    return {
        "width_um": (max(w0, c0) + sw, min(w1, c1) - sw,
                     f"mode tables sin_straight/sin_coupler width [{max(w0, c0):g}, {min(w1, c1):g}] um {tail} width "
                     f"bias ({sw:.3g} um)"),
        "bus_width_um": (max(w0, c0) + sw, min(w1, c1) - sw,
                         f"mode tables width [{max(w0, c0):g}, {min(w1, c1):g}] um {tail} width bias ({sw:.3g} um)"),
        "gap_um": (max(g0 + sw, g_rule), g1 - sw,
                   f"coupler table gap [{g0:g}, {g1:g}] um {tail} width bias ({sw:.3g} um); rule WG.S.1 {g_rule:g} um"),
        "thickness_nm": (max(t0, ct0) + st, min(t1, ct1) - st,
                         f"mode tables thickness [{max(t0, ct0):g}, {min(t1, ct1):g}] nm {tail} film ({st:.3g} nm)"),
    }


def transmitter_design_ranges(process=None, n_sigma: float = DESIGN_MARGIN_SIGMA) -> dict[str, tuple[float, float, str]]:
    """Allowed range of the model-limited ``transmitter`` fields (see :func:`ring_design_ranges`)."""
    from ..models.inp_modes import load_inp_table
    from ..pdk import get_platform

    proc = process if process is not None else get_platform("inp").process
    sw = n_sigma * _sigma(proc, "width_bias_um")
    w0, w1 = load_inp_table("deep").axis_range("width_um")
    return {
        "ridge_width_um": (max(w0 + sw, 1.2), w1 - sw,
                           f"mode table inp_deep width [{w0:g}, {w1:g}] um less {n_sigma:g} sigma of the process width "
                           f"bias ({sw:.3g} um); cell minimum 1.2 um"),
        "pm_length_um": (10.0, 5000.0, "EO phase-modulator model"),
        "voa_length_um": (100.0, 2000.0, "VOA cell"),
        **_dbr_design_ranges(proc, n_sigma),
    }


def _dbr_design_ranges(proc, n_sigma: float) -> dict[str, tuple[float, float, str]]:
    """Ranges of the laser's ``dbr_*`` fields: the cell's ranges, narrowed by the DBR model at the
    nominal process (``models.inp.dbr_laser_metrics``, the evaluator's own function): the grating
    period puts the Bragg wavelength, with ``n_sigma`` of the period error, inside the models'
    wavelength range; the phase section gives 2 pi of round-trip phase at :data:`MAX_TUNING_CURRENT_MA`.
    Whether the laser lases depends on all four sections together (checked by the design)."""
    return _dbr_ranges_cached(float(proc["core_thickness_um"].nominal), float(proc["core_bandgap_um"].nominal),
                              float(n_sigma * _sigma(proc, "grating_period_error_nm")), float(n_sigma))


@functools.lru_cache(maxsize=16)
def _dbr_ranges_cached(core_um: float, core_bandgap_um: float, sg: float, n_sigma: float) -> dict:
    from ..components.floorplan import TX_DBR_RANGES
    from ..models import inp as M

    nominal = {"core_um": core_um, "core_bandgap_um": core_bandgap_um}
    p0, p1 = TX_DBR_RANGES["dbr_grating_period_nm"]
    periods = np.linspace(p0, p1, 201)
    bragg = np.asarray(M.dbr_laser_metrics(grating_period_nm=periods, **nominal)["bragg_nm"])  # increasing
    w0, w1 = (1e3 * x for x in M.WL_RANGE_UM)
    lo = max(p0, float(np.interp(w0, bragg, periods)) + sg)
    hi = min(p1, float(np.interp(w1, bragg, periods)) - sg)
    h0, h1 = TX_DBR_RANGES["dbr_phase_length_um"]
    lengths = np.linspace(h0, h1, 351)
    ok = np.asarray(M.dbr_laser_metrics(phase_um=lengths, max_tuning_current_mA=MAX_TUNING_CURRENT_MA,
                                        **nominal)["phase_section_ok"])
    h_lo = float(lengths[np.argmax(ok)]) if ok.any() else h1 + 1.0  # 2 pi grows with the length
    cell = "DBR laser cell (components.floorplan.TX_DBR_RANGES)"
    return {
        "dbr_grating_period_nm": (math.ceil(lo * 1e3) / 1e3, math.floor(hi * 1e3) / 1e3,
                                  (f"Bragg wavelength inside the models' {w0:g}-{w1:g} nm (DBR model at the nominal "
                                   f"process) less {n_sigma:g} sigma of grating_period_error_nm ({sg:.3g} nm)")),
        "dbr_rear_length_um": (*TX_DBR_RANGES["dbr_rear_length_um"], cell),
        "dbr_gain_length_um": (*TX_DBR_RANGES["dbr_gain_length_um"], cell),
        "dbr_phase_length_um": (h_lo, h1, (f"{cell}; the phase section must give 2 pi of round-trip phase at "
                                           f"{MAX_TUNING_CURRENT_MA:g} mA (models.inp.dbr_laser_metrics "
                                           "phase_section_ok)")),
        "dbr_front_length_um": (*TX_DBR_RANGES["dbr_front_length_um"], cell),
    }


def process_domain_problems(platform: str, process, n_sigma: float = DESIGN_MARGIN_SIGMA) -> list[str]:
    """Process parameters whose nominal +- ``n_sigma`` total sigma leaves the models' domain."""
    from ..models import inp as M
    from ..models.inp_modes import load_inp_table

    out = []
    if platform == "sin":
        from ..models.sin import LOSS_RANGE_DB_PER_M

        p = process["ring_loss_dB_per_m"]
        lo = p.nominal - n_sigma * p.sigma_total
        if lo <= 0 or p.nominal + n_sigma * p.sigma_total > LOSS_RANGE_DB_PER_M[1]:
            out.append(f"ring_loss_dB_per_m: nominal {p.nominal:g} +- {n_sigma:g} sigma ({p.sigma_total:g}) must stay "
                       f"inside (0, {LOSS_RANGE_DB_PER_M[1]:g}] dB/m")
        return out
    deep, shallow = load_inp_table("deep"), load_inp_table("shallow")
    axes = {"deep_etch_below_core_um": deep.axis_range("etch_um"),
            "core_thickness_um": (max(deep.axis_range("core_um")[0], shallow.axis_range("core_um")[0]),
                                  min(deep.axis_range("core_um")[1], shallow.axis_range("core_um")[1])),
            "core_bandgap_um": (1.20, 1.30),
            "mmi_width_bias_um": M.MMI_TABLE_AXIS_UM}
    for name, (lo, hi) in axes.items():
        p = process[name]
        a, b = p.nominal - n_sigma * p.sigma_total, p.nominal + n_sigma * p.sigma_total
        if a < lo - 1e-12 or b > hi + 1e-12:
            out.append(f"{name}: nominal {p.nominal:g} +- {n_sigma:g} sigma ({p.sigma_total:.4g}) = [{a:.4g}, {b:.4g}] "
                       f"leaves the model domain [{lo:g}, {hi:g}]")
    return out


def domain_clip(platform: str, section: Mapping[str, Any], offsets: Mapping[str, np.ndarray], process=None
                ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Clip per-die offsets so that every fabricated quantity stays inside the models' domain.

    Returns (clipped offsets, boolean mask of the dies that were clipped). For dies beyond the
    design margin (:data:`DESIGN_MARGIN_SIGMA`); the Monte Carlo reports them as ``table_clipped``.
    """
    from ..pdk import get_platform

    proc = process if process is not None else get_platform(platform).process
    off = {k: np.array(v, dtype=float, copy=True) for k, v in offsets.items()}
    n = np.broadcast_shapes(*(v.shape for v in off.values())) if off else ()
    clipped = np.zeros(n, dtype=bool)

    def clip(name, lo, hi):
        if name in off:
            new = np.clip(off[name], lo, hi)
            clipped[...] |= np.broadcast_to(new != off[name], n)
            off[name] = new

    if platform == "sin":
        from ..models.sin_modes import COUPLER_GRID, load_coupler, load_straight

        w0, w1 = load_straight().axis_range("width_um")
        c0, c1 = load_coupler().axis_range("width_um")
        t0 = max(load_straight().axis_range("thickness_nm")[0], load_coupler().axis_range("thickness_nm")[0])
        t1 = min(load_straight().axis_range("thickness_nm")[1], load_coupler().axis_range("thickness_nm")[1])
        W, BW, G = float(section["width_um"]), float(section["bus_width_um"]), float(section["gap_um"])
        lo = max(max(w0, c0) - min(W, BW), G - COUPLER_GRID["gap_um"][-1])
        hi = min(min(w1, c1) - max(W, BW), G - COUPLER_GRID["gap_um"][0])
        clip("width_bias_um", lo, hi)
        T = float(section["thickness_nm"])
        clip("thickness_nm", t0 - T, t1 - T)
        clip("ring_loss_dB_per_m", 1e-3 - proc["ring_loss_dB_per_m"].nominal, np.inf)
        return off, clipped
    from ..models import inp as M
    from ..models.inp_modes import load_inp_table

    deep, shallow = load_inp_table("deep"), load_inp_table("shallow")
    R = float(section["ridge_width_um"])
    d0, d1 = deep.axis_range("width_um")
    s0, s1 = shallow.axis_range("width_um")
    clip("width_bias_um", max(d0 - R, s0 - 2.0), min(d1 - R, s1 - 2.0))
    for name, (lo, hi) in {"deep_etch_below_core_um": deep.axis_range("etch_um"),
                           "core_thickness_um": (max(deep.axis_range("core_um")[0], shallow.axis_range("core_um")[0]),
                                                 min(deep.axis_range("core_um")[1], shallow.axis_range("core_um")[1])),
                           "core_bandgap_um": (1.20, 1.30)}.items():
        nom = proc[name].nominal
        clip(name, lo - nom, hi - nom)
    clip("mmi_width_bias_um", *M.MMI_TABLE_AXIS_UM)
    nom = proc["eo_coefficient_ln"].nominal
    clip("eo_coefficient_ln", math.log(0.05) - nom, math.log(20.0) - nom)
    return off, clipped
