"""The Si3N4 server ring as a sax circuit of its own cell, and its metrics.

Two paths share one physics (mode tables + coupler model of ``qchipnet.models.sin``):

- :func:`evaluate_ring` (one design): draws ``ring_allpass``, builds the sax circuit from the cell's
  ``get_netlist()`` (coupler + ring arc; the heater is electrical and is dropped), finds the pump
  resonance analytically (Newton on the round-trip phase), samples the transmission over +-5
  linewidths around it (adaptive to the linewidth, no million-point sweep) and returns the
  ``qchipnet ring --json`` dictionary.
- :func:`ring_metrics_batch` (Monte Carlo): the same closed forms on jax arrays, no geometry.

Closed forms (physics.md 1.1-1.4; Bogaerts et al., Laser Photon. Rev. 6, 47 (2012)):
``FSR = c/(n_g L)``, ``Q_i = 2 pi n_g/(lambda alpha)``, ``Q_c = 2 pi n_g L/(lambda (-ln(1-K)))``
(kappa_ex t_R = -ln r^2), ``T_min = (a-r)^2/(1-ar)^2``, ``D2 = -(c/n_g) D1^2 beta2``. Resonances
mu = -10..10 (mu > 0 = higher frequency) solve beta(omega) L = 2 pi (m0 + mu) with beta expanded to
third order from the table (n_g, beta2, beta3): ``D_int(mu) = omega_mu - omega_0 - D1 mu``.

Loss: the default ``loss_dB_per_m`` = 1.7 dB/m is the paper's straight-guide figure and gives
Q_i = 16.5 M, not the paper's mean Q_i = 20 M (that needs 1.40 dB/m, the calibrated
``ring_loss_dB_per_m`` of ``pdk.sin.process`` used by the Monte Carlo); physics.md 1.1. The JSON
states which loss was used in ``loss_note``.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..constants import C_M_PER_S, COMB_FSR_GHZ, LAMBDA0_UM
from ..models import sin as sinm
from ..models.sin_modes import load_straight
from ..validate import InputError, check_range

__all__ = [
    "DEFAULT_WIDTH_UM",
    "DEFAULT_THICKNESS_NM",
    "DEFAULT_RADIUS_UM",
    "DEFAULT_GAP_UM",
    "DEFAULT_LOSS_DB_PER_M",
    "JSON_KEYS",
    "design_radius_um",
    "critical_gap_um",
    "ring_metrics_batch",
    "ring_circuit",
    "ring_spectrum",
    "evaluate_ring",
    "closed_form_allpass",
    "drawn_ring_length_um",
]

DEFAULT_WIDTH_UM = 2.8
DEFAULT_THICKNESS_NM = 100.0
#: Designed with :func:`design_radius_um` (FSR 30.03 GHz at 2.8 um x 100 nm from ``sin_straight``), 1 nm grid.
DEFAULT_RADIUS_UM = 997.711
#: Critical coupling at 1.7 dB/m from :func:`critical_gap_um` (1.915 um), rounded to the 10 nm design grid.
DEFAULT_GAP_UM = 1.92
#: Paper straight-guide loss (exposed: gives Q_i 16.5 M, not 20 M).
DEFAULT_LOSS_DB_PER_M = 1.7

JSON_KEYS = (
    "fsr_GHz", "n_eff", "n_g", "beta2_ps2_per_km", "D2_over_2pi_kHz", "q_intrinsic", "q_coupling", "q_loaded",
    "extinction_dB", "coupling_regime", "radius_um", "gap_um", "width_um", "thickness_nm", "loss_dB_per_m",
    "resonance_wl_nm", "linewidth_MHz", "power_coupling_K", "critical_gap_um", "mode_numbers",
    "D_int_over_2pi_MHz", "comb_lines_nm", "loss_note",
)

_DB = 10.0 / math.log(10.0)
_CRITICAL_TOL = 0.05  # |Q_c/Q_i - 1| below this is "critical"


def design_radius_um(fsr_GHz: float = COMB_FSR_GHZ, width_um: float = DEFAULT_WIDTH_UM,
                     thickness_nm: float = DEFAULT_THICKNESS_NM, wl_um: float = LAMBDA0_UM) -> float:
    """Radius (um) whose round trip gives ``fsr_GHz`` with the tabulated group index."""
    check_range("fsr_GHz", fsr_GHz, 1.0, 1000.0, "GHz")
    ng = float(sinm.ngroup(wl_um, width_um, thickness_nm))
    return C_M_PER_S / (ng * fsr_GHz * 1e9) / (2 * math.pi) * 1e6


def _point_window_um(radius_um, width_um):
    from ..components.sin.ring import POINT_COUPLER_WINDOW_UM  # the cell's own window definition

    return 2.0 * jnp.sqrt(2.0 * (jnp.asarray(radius_um) + jnp.asarray(width_um) / 2) * POINT_COUPLER_WINDOW_UM)


def ring_metrics_batch(width_um, thickness_nm, gap_um, loss_dB_per_m, radius_um, *, bus_width_um=None,
                       wl_um: float = LAMBDA0_UM) -> dict[str, Any]:
    """Vectorised all-pass point-coupled ring metrics (no geometry, no sax): arrays broadcast together.

    Returns ``fsr_GHz, q_intrinsic, q_coupling, q_loaded, extinction_dB, D2_over_2pi_kHz, n_g, n_eff,
    beta2_ps2_per_km, power_coupling_K`` (jax arrays). Raises outside the tables' ranges.
    """
    check_range("loss_dB_per_m", loss_dB_per_m, 1e-3, sinm.LOSS_RANGE_DB_PER_M[1], "dB/m")
    check_range("radius_um", radius_um, 50.0, 1e4, "um")
    check_range("thickness_nm", thickness_nm, *load_straight().axis_range("thickness_nm"), "nm")
    r_arr, t_arr = np.broadcast_arrays(np.asarray(radius_um, float), np.asarray(thickness_nm, float))
    r_min = np.maximum(50.0, 400.0 * (100.0 / t_arr) ** 2)  # pdk.sin.tech.min_bend_radius_um, vectorised
    if np.any(r_arr < r_min):
        i = np.flatnonzero(r_arr < r_min)[0]
        raise InputError(f"radius_um = {r_arr.flat[i]:.6g} um is below the minimum bend radius {r_min.flat[i]:.6g} um "
                         f"of a {t_arr.flat[i]:.6g} nm film (allowed range [{r_min.flat[i]:.6g}, 10000] um)")
    w, t, g, loss, R = (jnp.asarray(x, dtype=jnp.float64) for x in (width_um, thickness_nm, gap_um, loss_dB_per_m,
                                                                     radius_um))
    bw = w if bus_width_um is None else jnp.asarray(bus_width_um, dtype=jnp.float64)
    # range checks on concrete values here; the jitted core cannot check tracers
    load_straight().check_coords(width_um=w, thickness_nm=t, wl_um=wl_um)
    load_straight().check_coords(width_um=bw, thickness_nm=t, wl_um=wl_um)
    sinm.load_coupler().check_coords(gap_um=g, width_um=(w + bw) / 2, thickness_nm=t, wl_um=wl_um)
    w, t, g, loss, R, bw = jnp.broadcast_arrays(w, t, g, loss, R, bw)
    return _metrics_core(w, t, g, loss, R, bw, float(wl_um))


@functools.partial(jax.jit, static_argnums=(6,))
def _metrics_core(w, t, g, loss, R, bw, wl_um):
    tab = load_straight()
    kw = dict(width_um=w, thickness_nm=t, wl_um=wl_um)
    n_eff = tab.interp("n_eff", method="cubic", **kw)
    n_g = tab.interp("n_g", method="cubic", **kw)
    beta2 = tab.interp("beta2_ps2_per_km", method="cubic", **kw)
    lam = wl_um * 1e-6
    L = 2 * jnp.pi * R * 1e-6
    fsr = C_M_PER_S / (n_g * L)
    alpha = loss / _DB
    K = sinm.point_coupling(wl=wl_um, radius_um=R, width_um=w, bus_width_um=bw, gap_um=g, thickness_nm=t,
                            interaction_length_um=_point_window_um(R, w))
    q_i = 2 * jnp.pi * n_g / (lam * alpha)
    q_c = 2 * jnp.pi * n_g * L / (lam * (-jnp.log1p(-K)))
    q_l = 1.0 / (1.0 / q_i + 1.0 / q_c)
    a = jnp.exp(-alpha * L / 2)
    r = jnp.sqrt(1.0 - K)
    t_min = (a - r) ** 2 / (1.0 - a * r) ** 2
    d1 = 2 * jnp.pi * fsr
    d2 = -(C_M_PER_S / n_g) * d1**2 * beta2 * 1e-27
    return {
        "fsr_GHz": fsr / 1e9,
        "q_intrinsic": q_i,
        "q_coupling": q_c,
        "q_loaded": q_l,
        "extinction_dB": -10 * jnp.log10(jnp.maximum(t_min, 1e-30)),
        "D2_over_2pi_kHz": d2 / (2 * jnp.pi) / 1e3,
        "n_g": n_g,
        "n_eff": n_eff,
        "beta2_ps2_per_km": beta2,
        "power_coupling_K": K,
    }


def critical_gap_um(radius_um: float = DEFAULT_RADIUS_UM, width_um: float = DEFAULT_WIDTH_UM,
                    thickness_nm: float = DEFAULT_THICKNESS_NM, loss_dB_per_m: float = DEFAULT_LOSS_DB_PER_M) -> float:
    """Gap (um) where Q_c = Q_i: ln(Q_c/Q_i) rises ~linearly with gap; two vectorised grid passes."""
    lo, hi = 1.0, 4.0
    for n in (41, 41):  # same shape twice: one jit compilation
        g = np.linspace(lo, hi, n)
        mm = ring_metrics_batch(width_um, thickness_nm, g, loss_dB_per_m, radius_um)
        f = np.asarray(jnp.log(mm["q_coupling"] / mm["q_intrinsic"]))
        if f[0] > 0 or f[-1] < 0:
            return float("nan")
        i = int(np.argmax(f >= 0))
        lo, hi = g[i - 1], g[i]
        root = lo + (hi - lo) * (-f[i - 1]) / (f[i] - f[i - 1])
    return float(root)


def _regime(q_c: float, q_i: float) -> str:
    ratio = q_c / q_i
    if abs(ratio - 1.0) <= _CRITICAL_TOL:
        return "critical"
    return "over" if ratio < 1.0 else "under"


def closed_form_allpass(phi, a, r):
    """|t|^2 of the all-pass ring (Bogaerts 2012): round-trip phase ``phi``, amplitude ``a``, self-coupling ``r``."""
    c = jnp.cos(phi)
    return (a**2 - 2 * a * r * c + r**2) / (1 - 2 * a * r * c + (a * r) ** 2)


def _netlist_optical(netlist: dict) -> dict:
    """Drop electrical-only instances (heater) and electrical ports from a cell netlist."""
    keep = {k: v for k, v in netlist["instances"].items() if v["component"] in sinm.MODELS}
    nets = [n for n in netlist.get("nets", []) if n["p1"].split(",")[0] in keep and n["p2"].split(",")[0] in keep]
    ports = {p: v for p, v in netlist["ports"].items() if v.split(",")[0] in keep}
    return {"instances": keep, "nets": nets, "ports": ports,
            "placements": {k: v for k, v in netlist.get("placements", {}).items() if k in keep}}


def ring_circuit(cell):
    """sax circuit function and the optical netlist of ``cell`` (from its own ``get_netlist()``)."""
    import sax

    net = _netlist_optical(cell.get_netlist())
    fn, _ = sax.circuit(net, models=sinm.MODELS)
    return fn, net


def _ring_cell(radius_um, width_um, gap_um, thickness_nm, heater=True):
    from ..components.sin import ring_allpass
    from ..pdk import activated

    with activated("sin"):
        return ring_allpass(radius=radius_um, width=width_um, bus_width=width_um, gap=gap_um,
                            thickness_nm=thickness_nm, heater=heater)


def drawn_ring_length_um(netlist: dict) -> float:
    """Round-trip length of the ring as drawn: the arc lengths the cells publish (what sax uses)."""
    total = 0.0
    for inst in netlist["instances"].values():
        info = inst.get("info", {})
        total += float(info.get("length_um", 0.0)) if inst["component"] == "ring_arc" else 0.0
        total += float(info.get("ring_length_um", 0.0)) if inst["component"].startswith("ring_coupler") else 0.0
    return total


def _round_trip(wl, L, width_um, thickness_nm):
    return 2 * jnp.pi * sinm.neff(wl, width_um, thickness_nm) * L / wl


def _pump_resonance_um(L, width_um, thickness_nm, wl0=LAMBDA0_UM) -> tuple[float, int]:
    """Resonance nearest ``wl0`` of a ring of length ``L`` um: Newton on phi(wl) = 2 pi m (sax's own phase)."""
    phi0 = float(_round_trip(wl0, L, width_um, thickness_nm))
    m = int(round(phi0 / (2 * math.pi)))
    wl = wl0
    for _ in range(20):
        phi = float(_round_trip(wl, L, width_um, thickness_nm))
        ng = float(sinm.ngroup(wl, width_um, thickness_nm))
        dphi = -2 * math.pi * ng * L / wl**2
        step = (phi - 2 * math.pi * m) / dphi
        wl -= step
        if abs(step) < 1e-13:
            break
    return wl, m


def ring_spectrum(radius_um=DEFAULT_RADIUS_UM, width_um=DEFAULT_WIDTH_UM, gap_um=DEFAULT_GAP_UM,
                  thickness_nm=DEFAULT_THICKNESS_NM, loss_dB_per_m=DEFAULT_LOSS_DB_PER_M, n_linewidths=5.0,
                  npoints=801, cell=None) -> dict[str, np.ndarray]:
    """sax through-port transmission over +-``n_linewidths`` loaded linewidths around the pump resonance."""
    m = ring_metrics_batch(width_um, thickness_nm, gap_um, loss_dB_per_m, radius_um)
    cell = cell or _ring_cell(radius_um, width_um, gap_um, thickness_nm)
    fn, net = ring_circuit(cell)
    L = drawn_ring_length_um(net)
    wl_res, _ = _pump_resonance_um(L, width_um, thickness_nm)
    dwl = wl_res / float(m["q_loaded"])
    wl = wl_res + np.linspace(-n_linewidths, n_linewidths, npoints) * dwl
    settings = {name: {"loss_dB_per_m": loss_dB_per_m} for name in net["instances"]}
    s = fn(wl=jnp.asarray(wl), **settings)
    t = np.asarray(jnp.abs(s["o1", "o2"]) ** 2)
    return {"wl_um": wl, "T": t, "wl_res_um": wl_res, "linewidth_um": dwl, "ring_length_um": L}


def _resonances(n_eff, n_g, beta2, beta3, L_m, mus):
    """omega_mu - omega_p (rad/s) of the modes m0 + mu, beta expanded to third order at the pump."""
    om_p = 2 * math.pi * C_M_PER_S / (LAMBDA0_UM * 1e-6)
    b0 = n_eff * om_p / C_M_PER_S
    b1 = n_g / C_M_PER_S
    b2 = beta2 * 1e-27
    b3 = beta3 * 1e-39
    m0 = round(b0 * L_m / (2 * math.pi))
    out = []
    for mu in mus:
        target = 2 * math.pi * (m0 + mu) / L_m
        x = (target - b0) / b1
        for _ in range(30):
            f = b0 + b1 * x + b2 * x**2 / 2 + b3 * x**3 / 6 - target
            df = b1 + b2 * x + b3 * x**2 / 2
            dx = f / df
            x -= dx
            if abs(dx) < 1e-3:
                break
        out.append(x)
    return om_p, m0, np.array(out)


def evaluate_ring(width_um: float = DEFAULT_WIDTH_UM, thickness_nm: float = DEFAULT_THICKNESS_NM,
                  radius_um: float = DEFAULT_RADIUS_UM, gap_um: float = DEFAULT_GAP_UM,
                  loss_dB_per_m: float = DEFAULT_LOSS_DB_PER_M) -> dict[str, Any]:
    """Evaluate the server ring from its cell; returns the ``qchipnet ring --json`` dictionary."""
    check_range("loss_dB_per_m", loss_dB_per_m, 1e-3, sinm.LOSS_RANGE_DB_PER_M[1], "dB/m")
    cell = _ring_cell(radius_um, width_um, gap_um, thickness_nm)  # validates the geometry (DRC limits)
    m = {k: float(v) for k, v in ring_metrics_batch(width_um, thickness_nm, gap_um, loss_dB_per_m, radius_um).items()}
    spec = ring_spectrum(radius_um, width_um, gap_um, thickness_nm, loss_dB_per_m, cell=cell)
    ext_sax = -10 * math.log10(max(float(np.min(spec["T"])), 1e-30))
    tab = load_straight()
    beta3 = float(tab.interp("beta3_ps3_per_km", method="cubic", width_um=width_um, thickness_nm=thickness_nm,
                             wl_um=LAMBDA0_UM))
    L_m = 2 * math.pi * radius_um * 1e-6
    mus = list(range(-10, 11))
    om_p, _, dom = _resonances(m["n_eff"], m["n_g"], m["beta2_ps2_per_km"], beta3, L_m, mus)
    om = om_p + dom
    i0 = mus.index(0)
    d1 = (om[i0 + 1] - om[i0 - 1]) / 2
    dint = om - om[i0] - d1 * np.array(mus)
    lines = {str(mu): 2 * math.pi * C_M_PER_S / om[mus.index(mu)] * 1e9 for mu in range(-5, 9)}
    q_l = m["q_loaded"]
    nu = C_M_PER_S / (spec["wl_res_um"] * 1e-6)
    note = (f"loss {loss_dB_per_m} dB/m used for the whole ring (straight-guide figure of the paper by default: "
            f"gives Q_i {m['q_intrinsic'] / 1e6:.1f} M; the paper's Q_i 20 M implies 1.40 dB/m, the calibrated "
            f"ring_loss_dB_per_m of pdk.sin.process used by the Monte Carlo)")
    return {
        "fsr_GHz": m["fsr_GHz"],
        "n_eff": m["n_eff"],
        "n_g": m["n_g"],
        "beta2_ps2_per_km": m["beta2_ps2_per_km"],
        "D2_over_2pi_kHz": m["D2_over_2pi_kHz"],
        "q_intrinsic": m["q_intrinsic"],
        "q_coupling": m["q_coupling"],
        "q_loaded": q_l,
        "extinction_dB": ext_sax,
        "coupling_regime": _regime(m["q_coupling"], m["q_intrinsic"]),
        "radius_um": float(radius_um),
        "gap_um": float(gap_um),
        "width_um": float(width_um),
        "thickness_nm": float(thickness_nm),
        "loss_dB_per_m": float(loss_dB_per_m),
        "resonance_wl_nm": spec["wl_res_um"] * 1e3,
        "linewidth_MHz": nu / q_l / 1e6,
        "power_coupling_K": m["power_coupling_K"],
        "critical_gap_um": critical_gap_um(radius_um, width_um, thickness_nm, loss_dB_per_m),
        "mode_numbers": mus,
        "D_int_over_2pi_MHz": [float(x) / (2 * math.pi) / 1e6 for x in dint],
        "comb_lines_nm": lines,
        "loss_note": note,
    }
