"""The Si3N4 server ring: its report (``qchipnet ring``) from the batch evaluator, and its sax circuit.

- :func:`ring_report` (the ``qchipnet ring --json`` dictionary): the metrics of
  :func:`qchipnet.circuits.devices.ring_metrics` for a batch of one, plus the critical gap, the
  coupling regime, the integrated dispersion D_int(mu) and the comb grid.
- :func:`ring_circuit` / :func:`ring_spectrum`: the sax circuit built from the ``ring_allpass``
  cell's own ``get_netlist()`` (coupler + ring arc; the heater is electrical and is dropped). It
  gives the transmission spectrum for plots and is the oracle the tests hold the evaluator against.

Closed forms (physics.md 1.1-1.4; Bogaerts et al., Laser Photon. Rev. 6, 47 (2012)) live in
``circuits.devices``. Resonances mu = -10..10 (mu > 0 = higher frequency) solve
beta(omega) L = 2 pi (m0 + mu) with beta expanded to third order from the table (n_g, beta2,
beta3): ``D_int(mu) = omega_mu - omega_0 - D1 mu``.

Loss: the ring uses the ring-mode loss ``ring_loss_dB_per_m`` of ``pdk.sin.process`` (1.40 dB/m,
Q_i = 20 M), the bus and tapers the straight-guide loss ``loss_dB_per_m`` (1.7 dB/m); see
``circuits.devices`` ("one loss story").
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from ..constants import C_M_PER_S, COMB_FSR_GHZ, LAMBDA0_UM
from ..validate import check_range

__all__ = [
    "JSON_KEYS",
    "design_radius_um",
    "ring_report",
    "ring_circuit",
    "ring_spectrum",
    "ring_settings",
    "closed_form_allpass",
    "drawn_ring_length_um",
    "ring_cell",
]

JSON_KEYS = (
    "fsr_GHz", "n_eff", "n_g", "beta2_ps2_per_km", "D2_over_2pi_kHz", "q_intrinsic", "q_coupling", "q_loaded",
    "extinction_dB", "coupling_regime", "radius_um", "gap_um", "width_um", "thickness_nm", "loss_dB_per_m",
    "resonance_wl_nm", "linewidth_MHz", "power_coupling_K", "critical_gap_um", "mode_numbers",
    "D_int_over_2pi_MHz", "comb_lines_nm", "loss_note", "bus_width_um", "beta3_ps3_per_km", "ring_loss_dB_per_m",
    "straight_loss_dB_per_m",
)

_CRITICAL_TOL = 0.05  # |Q_c/Q_i - 1| below this is "critical"


def design_radius_um(fsr_GHz: float = COMB_FSR_GHZ, width_um: float = 2.8, thickness_nm: float = 100.0,
                     wl_um: float = LAMBDA0_UM) -> float:
    """Radius (um) whose round trip gives ``fsr_GHz`` with the tabulated group index."""
    from ..models import sin as sinm

    check_range("fsr_GHz", fsr_GHz, 1.0, 1000.0, "GHz")
    ng = float(sinm.ngroup(wl_um, width_um, thickness_nm))
    return C_M_PER_S / (ng * fsr_GHz * 1e9) / (2 * math.pi) * 1e6


def _regime(q_c: float, q_i: float) -> str:
    ratio = q_c / q_i
    if abs(ratio - 1.0) <= _CRITICAL_TOL:
        return "critical"
    return "over" if ratio < 1.0 else "under"


def closed_form_allpass(phi, a, r):
    """|t|^2 of the all-pass ring (Bogaerts 2012): round-trip phase ``phi``, amplitude ``a``, self-coupling ``r``."""
    import jax.numpy as jnp

    c = jnp.cos(phi)
    return (a**2 - 2 * a * r * c + r**2) / (1 - 2 * a * r * c + (a * r) ** 2)


def _netlist_optical(netlist: dict) -> dict:
    """Drop electrical-only instances (heater) and electrical ports from a cell netlist."""
    from ..models import sin as sinm

    keep = {k: v for k, v in netlist["instances"].items() if v["component"] in sinm.MODELS}
    nets = [n for n in netlist.get("nets", []) if n["p1"].split(",")[0] in keep and n["p2"].split(",")[0] in keep]
    ports = {p: v for p, v in netlist["ports"].items() if v.split(",")[0] in keep}
    return {"instances": keep, "nets": nets, "ports": ports,
            "placements": {k: v for k, v in netlist.get("placements", {}).items() if k in keep}}


def ring_circuit(cell):
    """sax circuit function and the optical netlist of ``cell`` (from its own ``get_netlist()``)."""
    import sax

    from ..models import sin as sinm

    net = _netlist_optical(cell.get_netlist())
    fn, _ = sax.circuit(net, models=sinm.MODELS)
    return fn, net


def ring_cell(ring: Mapping[str, Any], heater: bool = True):
    """The ``ring_allpass`` cell of a design's ``server_ring`` (the server chip draws the same cell)."""
    from ..components.sin import ring_allpass
    from ..pdk import activated

    with activated("sin"):
        return ring_allpass(radius=ring["radius_um"], width=ring["width_um"], bus_width=ring["bus_width_um"],
                            gap=ring["gap_um"], thickness_nm=ring["thickness_nm"], heater=heater)


def drawn_ring_length_um(netlist: dict) -> float:
    """Round-trip length of the ring as drawn: the arc lengths the cells publish (what sax uses)."""
    total = 0.0
    for inst in netlist["instances"].values():
        info = inst.get("info", {})
        total += float(info.get("length_um", 0.0)) if inst["component"] == "ring_arc" else 0.0
        total += float(info.get("ring_length_um", 0.0)) if inst["component"].startswith("ring_coupler") else 0.0
    return total


def _losses(process) -> tuple[float, float]:
    """(ring-mode loss, straight-guide loss) in dB/m: the process nominals (one loss story)."""
    from ..pdk import get_platform

    proc = process if process is not None else get_platform("sin").process
    return float(proc["ring_loss_dB_per_m"].nominal), float(proc["loss_dB_per_m"].nominal)


def ring_settings(net: dict, ring: Mapping[str, Any], process=None) -> dict[str, dict]:
    """sax instance settings of the ring circuit: the two losses, and the half-ring lengths pi R
    exactly (the netlist's info rounds them to 1 nm, which moves a 6-mm ring's resonance by about a
    linewidth; the evaluator and the drawn geometry both use 2 pi R)."""
    ring_loss, bus_loss = _losses(process)
    half = math.pi * float(ring["radius_um"])
    out = {}
    for name, inst in net["instances"].items():
        if inst["component"] == "ring_arc":
            out[name] = {"loss_dB_per_m": ring_loss, "length_um": half}
        elif inst["component"].startswith("ring_coupler"):
            out[name] = {"loss_dB_per_m": ring_loss, "bus_loss_dB_per_m": bus_loss, "ring_length_um": half}
        else:
            out[name] = {"loss_dB_per_m": bus_loss}
    return out


def ring_spectrum(ring: Mapping[str, Any], *, process=None, n_linewidths: float = 5.0, npoints: int = 801,
                  cell=None) -> dict[str, np.ndarray]:
    """sax through-port transmission of the ``ring_allpass`` cell of ``ring`` over +-``n_linewidths``
    loaded linewidths around the pump resonance (from the evaluator); ring arcs and the coupler's
    ring half carry the ring-mode loss, the bus the straight-guide loss."""
    import jax.numpy as jnp

    from .devices import ring_metrics

    m = {k: float(v) for k, v in ring_metrics(ring, process=process).items()}
    ring_loss, bus_loss = _losses(process)
    cell = cell if cell is not None else ring_cell(ring)
    fn, net = ring_circuit(cell)
    wl_res = m["resonance_wl_nm"] * 1e-3
    dwl = wl_res / m["q_loaded"]
    wl = wl_res + np.linspace(-n_linewidths, n_linewidths, npoints) * dwl
    settings = ring_settings(net, ring, process)
    s = fn(wl=jnp.asarray(wl), **settings)
    t = np.asarray(jnp.abs(s["o1", "o2"]) ** 2)
    # off-resonance level: the field half an FSR away (anti-resonance) normalises out the bus loss
    wl_anti = wl_res + wl_res**2 / (2 * m["n_g"] * 2 * math.pi * float(ring["radius_um"]))
    t_anti = float(np.asarray(jnp.abs(fn(wl=jnp.asarray([wl_anti]), **settings)["o1", "o2"]) ** 2)[0])
    return {"wl_um": wl, "T": t, "wl_res_um": wl_res, "linewidth_um": dwl, "ring_length_um": 2 * math.pi * float(ring["radius_um"]),
            "T_anti_resonance": t_anti, "settings": settings}


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


def ring_report(ring: Mapping[str, Any], *, process=None) -> dict[str, Any]:
    """The ``qchipnet ring --json`` dictionary of a design's ``server_ring`` (:data:`JSON_KEYS`)."""
    from .devices import ring_critical_gap_um, ring_metrics

    m = {k: float(v) for k, v in ring_metrics(ring, process=process).items()}
    crit = float(ring_critical_gap_um(ring, process=process))
    ring_loss, straight_loss = _losses(process)
    L_m = 2 * math.pi * float(ring["radius_um"]) * 1e-6
    mus = list(range(-10, 11))
    om_p, _, dom = _resonances(m["n_eff"], m["n_g"], m["beta2_ps2_per_km"], m["beta3_ps3_per_km"], L_m, mus)
    om = om_p + dom
    i0 = mus.index(0)
    d1 = (om[i0 + 1] - om[i0 - 1]) / 2
    dint = om - om[i0] - d1 * np.array(mus)
    lines = {str(mu): 2 * math.pi * C_M_PER_S / om[mus.index(mu)] * 1e9 for mu in range(-5, 9)}
    note = (f"ring-mode loss {ring_loss:g} dB/m (pdk.sin.process ring_loss_dB_per_m: the article's Q_i = 20 M) for "
            f"the ring; straight-guide loss {straight_loss:g} dB/m (the article's figure for its straight guides) "
            f"for the bus; the same two losses in the Monte Carlo and the sax circuit")
    return {
        **{k: m[k] for k in ("fsr_GHz", "n_eff", "n_g", "beta2_ps2_per_km", "D2_over_2pi_kHz", "q_intrinsic",
                             "q_coupling", "q_loaded", "extinction_dB")},
        "coupling_regime": _regime(m["q_coupling"], m["q_intrinsic"]),
        **{k: float(ring[k]) for k in ("radius_um", "gap_um", "width_um", "thickness_nm")},
        "loss_dB_per_m": m["ring_loss_dB_per_m"],
        "resonance_wl_nm": m["resonance_wl_nm"],
        "linewidth_MHz": m["linewidth_MHz"],
        "power_coupling_K": m["power_coupling_K"],
        "critical_gap_um": crit if math.isfinite(crit) else None,
        "mode_numbers": mus,
        "D_int_over_2pi_MHz": [float(x) / (2 * math.pi) / 1e6 for x in dint],
        "comb_lines_nm": lines,
        "loss_note": note,
        "bus_width_um": float(ring["bus_width_um"]),
        "beta3_ps3_per_km": m["beta3_ps3_per_km"],
        "ring_loss_dB_per_m": m["ring_loss_dB_per_m"],
        "straight_loss_dB_per_m": straight_loss,
    }
