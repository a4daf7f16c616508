"""sax models of the routing cells, the heater (thermal tuning) and the electrical cells, and the
model dictionary of each platform's design kit (:func:`platform_models`).

Every model reuses the physics of :mod:`qchipnet.models.sin` / :mod:`qchipnet.models.inp` (one path);
what is new here is only what those modules do not cover:

- **Routing guides** (``straight``, ``bend_euler``, ``bend_circular``, ``bend_s`` of
  :mod:`qchipnet.pdk.routing_cells`): phase 2 pi n_eff L / wl and the straight-guide loss of the
  platform, with ``length_um`` the drawn centre-line length the cell publishes. Bend radiation is
  neglected: the cross-sections forbid radii where it matters (Si3N4 >= 400 um: < 0.16 dB/m;
  InP deep ridge >= 100 um, shallow >= 500 um). Si3N4: table ``sin_straight``, loss
  ``loss_dB_per_m`` 1.7 dB/m (``pdk.sin.process``). InP: the deep or shallow table picked by the
  ridge's ``etch_depth_um`` (deeper than the ridge height = deep), loss of that ridge
  (``models.inp.LOSS_DB_PER_CM``) plus ``extra_loss_dB_per_cm``.
- **Linear tapers**: adiabatic (no mode conversion); phase = 2 pi / wl times the integral of n_eff
  over the linearly varying width (5-point Simpson rule), loss as the guide.
- **Heater** (the ``heater_trace`` of ``heater_ring``): steady-state 2-D heat conduction in the oxide between a strip heater
  of width w on the cladding surface (air above: adiabatic) and the Si substrate (isothermal,
  k_Si = 148 >> k_SiO2), solved with images: sources 2q' at z = (4n+1)H and sinks at (4n-1)H
  (H = heater height above the substrate), averaged over the heater width
  (Carslaw & Jaeger, Conduction of Heat in Solids, 2nd ed. (1959), ch. 10 "method of images").
  ΔT at the guide = q' R'_th with q' = P / L_heated; k_SiO2 = 1.38 W/(m K) (fused silica at 300 K,
  CRC Handbook; PECVD/thermal films 1.1-1.4, Yamane et al., J. Appl. Phys. 91, 9772 (2002)). The
  ring's phase then follows from the tabulated dn_eff/dT (``models.sin.bend``, ``sin_thermo``).
  Validity: heater length >> stack height (2-D), steady state (tuning slower than ~1 ms), stack of
  ``SinStack`` (uniform oxide). The heater's own cell is electrical: its model has only electrical
  ports; its power acts on the ring arc (``ring_arc``: ``heater_power_mW``).
- **Electrical ports** carry no optical wave: electrical cells (pads, wires, heaters) and the
  electrical ports of optical cells (modulator electrodes, laser sections) get zero S-parameters, so
  a cell's whole netlist, pads included, is a valid sax circuit.

Units: ``wl`` in um, lengths in um, loss in dB/m (Si3N4) or dB/cm (InP, the InP literature's unit).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import jax.numpy as jnp
import numpy as np

from ..constants import LAMBDA0_UM
from ..pdk.sin.geometry import SinStack
from ..validate import InputError, check_range
from . import inp as inpm
from . import sin as sinm

__all__ = [
    "K_SIO2_W_PER_M_K",
    "electrical",
    "heater_temperature_rise_K",
    "heater_thermal_resistance_K_m_per_W",
    "inp_bend",
    "inp_straight",
    "inp_taper",
    "no_ports",
    "platform_models",
    "sin_bend",
    "sin_heated_ring_arc",
    "sin_straight",
    "sin_taper",
    "with_electrical_ports",
]

#: Thermal conductivity of SiO2 (W/(m K)), fused silica at 300 K (CRC Handbook).
K_SIO2_W_PER_M_K = 1.38
_SIN_STRAIGHT_LOSS_DB_PER_M = 1.7  # pdk.sin.process loss_dB_per_m nominal (checked in the tests)
_N_IMAGES = 20000  # image pairs; the symmetric sum converges as 1/N


def _reciprocal(sdict):
    import sax

    return sax.reciprocal(sdict)


def _ones(wl):
    return jnp.ones_like(jnp.asarray(wl, dtype=float))


# ------------------------------------------------------------------------------------------ heater
@functools.lru_cache(maxsize=64)
def heater_thermal_resistance_K_m_per_W(heater_width_um: float = 4.0, thickness_nm: float = 100.0,
                                        box_um: float | None = None, top_clad_um: float | None = None) -> float:
    """R'_th (K m / W): temperature rise at the guide centre per heater power per unit length.

    Image solution of a strip of ``heater_width_um`` on the cladding surface (adiabatic), the
    substrate below the box isothermal; see the module docstring.
    """
    s = SinStack(thickness_nm=thickness_nm)
    box = s.box_um if box_um is None else box_um
    clad = s.top_clad_um if top_clad_um is None else top_clad_um
    check_range("heater_width_um", heater_width_um, 0.5, 50.0, "um")
    check_range("box_um", box, 1.0, 20.0, "um")
    check_range("top_clad_um", clad, 0.5, 10.0, "um")
    t = thickness_nm * 1e-3
    H = box + t + clad  # heater plane above the substrate
    h = box + t / 2  # guide centre
    n = np.arange(-_N_IMAGES, _N_IMAGES + 1)
    a_src = np.abs(h - (4 * n + 1) * H)  # +2q' images (the heater and its reflections)
    a_snk = np.abs(h - (4 * n - 1) * H)  # -2q' images (reflections in the substrate)
    u = heater_width_um / 2

    def mean_ln_r(a):  # (1/w) int_{-w/2}^{w/2} ln sqrt(x^2 + a^2) dx, in closed form
        return (u * np.log(u**2 + a**2) - 2 * u + 2 * a * np.arctan(u / np.maximum(a, 1e-30))) / (2 * u)

    # T = (2q' / 2 pi k) sum [ln r_sink - ln r_source], averaged over the heater's width
    return float((mean_ln_r(a_snk) - mean_ln_r(a_src)).sum() / (math.pi * K_SIO2_W_PER_M_K))


def heater_temperature_rise_K(power_mW, *, heated_length_um=3141.593, heater_width_um: float = 4.0,
                              thickness_nm: float = 100.0):
    """Temperature rise (K) of the guide under a heater dissipating ``power_mW`` over ``heated_length_um``."""
    check_range("power_mW", power_mW, 0.0, 2000.0, "mW")
    check_range("heated_length_um", heated_length_um, 10.0, 1e5, "um")
    r = heater_thermal_resistance_K_m_per_W(float(heater_width_um), float(thickness_nm))
    return r * jnp.asarray(power_mW) * 1e-3 / (jnp.asarray(heated_length_um) * 1e-6)


# ------------------------------------------------------------------------------------------ Si3N4
def sin_straight(*, wl=LAMBDA0_UM, length_um=10.0, width_um=2.8, thickness_nm=100.0,
                 loss_dB_per_m=_SIN_STRAIGHT_LOSS_DB_PER_M) -> Any:
    """Si3N4 routing straight (``models.sin.straight``; straight-guide loss by default)."""
    return sinm.straight(wl=wl, length_um=length_um, width_um=width_um, thickness_nm=thickness_nm,
                         loss_dB_per_m=loss_dB_per_m)


def sin_bend(*, wl=LAMBDA0_UM, length_um=1663.685, radius_um=706.09, width_um=2.8, thickness_nm=100.0,
             loss_dB_per_m=_SIN_STRAIGHT_LOSS_DB_PER_M) -> Any:
    """Si3N4 routing bend (Euler, circular or S): ``models.sin.bend`` over the drawn length; the
    tightest radius ``radius_um`` must respect the film's minimum bend radius."""
    return sinm.bend(wl=wl, length_um=length_um, radius_um=radius_um, width_um=width_um, thickness_nm=thickness_nm,
                     loss_dB_per_m=loss_dB_per_m)


def _simpson_neff(neff_of_width, w1, w2):
    ws = [w1 + (w2 - w1) * k / 4 for k in range(5)]
    c = (1, 4, 2, 4, 1)
    return sum(ck * neff_of_width(w) for ck, w in zip(c, ws)) / 12.0


def sin_taper(*, wl=LAMBDA0_UM, length_um=100.0, width1_um=2.8, width2_um=2.8, thickness_nm=100.0,
              loss_dB_per_m=_SIN_STRAIGHT_LOSS_DB_PER_M) -> Any:
    """Adiabatic linear Si3N4 taper; both widths inside the ``sin_straight`` table (2.0-3.2 um)."""
    check_range("wl", wl, *sinm.WL_RANGE_UM, "um")
    check_range("length_um", length_um, 0.0, 1e5, "um")
    check_range("loss_dB_per_m", loss_dB_per_m, *sinm.LOSS_RANGE_DB_PER_M, "dB/m")
    n = _simpson_neff(lambda w: sinm.neff(wl, w, thickness_nm), width1_um, width2_um)
    amp = 10.0 ** (-loss_dB_per_m * length_um * 1e-6 / 20.0)
    return _reciprocal({("o1", "o2"): amp * jnp.exp(2j * jnp.pi * n * length_um / jnp.asarray(wl))})


def sin_heated_ring_arc(*, wl=LAMBDA0_UM, length_um=3141.593, radius_um=1000.0, width_um=2.8, thickness_nm=100.0,
                        loss_dB_per_m=1.4, delta_T_K=0.0, heater_power_mW=0.0, heater_width_um=4.0) -> Any:
    """Ring arc under the ring's heater: ``models.sin.bend`` with ΔT = ``delta_T_K`` (chip temperature
    offset) + the heater's rise for ``heater_power_mW`` spread over this arc
    (:func:`heater_temperature_rise_K`; the heater's 10 um tails beyond the arc, 0.6 % of a 1 mm
    ring's heater, are not counted as heated guide)."""
    dT = delta_T_K + heater_temperature_rise_K(heater_power_mW, heated_length_um=length_um,
                                               heater_width_um=heater_width_um, thickness_nm=thickness_nm)
    return sinm.bend(wl=wl, length_um=length_um, radius_um=radius_um, width_um=width_um, thickness_nm=thickness_nm,
                     loss_dB_per_m=loss_dB_per_m, delta_T_K=dT)


# ------------------------------------------------------------------------------------------ InP
def _inp_kind(etch_depth_um: float) -> str:
    check_range("etch_depth_um", etch_depth_um, 0.1, 5.0, "um")
    return "deep" if etch_depth_um > inpm._EPI.ridge_height_um else "shallow"


def _inp_guide(wl, length_um, n_eff, kind, extra_loss_dB_per_cm):
    check_range("extra_loss_dB_per_cm", extra_loss_dB_per_cm, 0.0, 100.0, "dB/cm")
    loss = inpm.LOSS_DB_PER_CM[kind] + extra_loss_dB_per_cm
    amp = 10 ** (-loss * jnp.asarray(length_um) * 1e-4 / 20)
    return _reciprocal({("o1", "o2"): amp * jnp.exp(2j * jnp.pi * n_eff * length_um / jnp.asarray(wl))})


def _inp_neff(kind, width_um, wl):
    return inpm.mode_params(kind, width_um=width_um, wl_um=jnp.clip(jnp.asarray(wl), *inpm.WL_RANGE_UM))["n_eff"]


def inp_straight(*, wl=LAMBDA0_UM, length_um=10.0, width_um=1.5, etch_depth_um=3.0,
                 extra_loss_dB_per_cm=0.0) -> Any:
    """InP routing straight on a deep or shallow ridge (by ``etch_depth_um``)."""
    check_range("wl", wl, *inpm.WL_RANGE_UM, "um")
    check_range("length_um", length_um, 0.0, 2e4, "um")
    kind = _inp_kind(etch_depth_um)
    return _inp_guide(wl, length_um, _inp_neff(kind, width_um, wl), kind, extra_loss_dB_per_cm)


def inp_bend(*, wl=LAMBDA0_UM, length_um=249.553, radius_um=105.913, width_um=1.5, etch_depth_um=3.0,
             extra_loss_dB_per_cm=0.0) -> Any:
    """InP routing bend; the tightest radius must respect the ridge's minimum (deep 100, shallow 500 um)."""
    from ..pdk.inp.xsections import DEEP_RADIUS_MIN_UM, SHALLOW_RADIUS_MIN_UM

    kind = _inp_kind(etch_depth_um)
    r_min = DEEP_RADIUS_MIN_UM if kind == "deep" else SHALLOW_RADIUS_MIN_UM
    check_range("radius_um", radius_um, r_min * 0.999, 1e5, "um")
    return inp_straight(wl=wl, length_um=length_um, width_um=width_um, etch_depth_um=etch_depth_um,
                        extra_loss_dB_per_cm=extra_loss_dB_per_cm)


def inp_taper(*, wl=LAMBDA0_UM, length_um=100.0, width1_um=1.5, width2_um=1.5, etch_depth_um=3.0,
              extra_loss_dB_per_cm=0.0) -> Any:
    """Adiabatic linear InP taper (widths inside the ridge's mode table)."""
    check_range("wl", wl, *inpm.WL_RANGE_UM, "um")
    kind = _inp_kind(etch_depth_um)
    n = _simpson_neff(lambda w: _inp_neff(kind, w, wl), width1_um, width2_um)
    return _inp_guide(wl, length_um, n, kind, extra_loss_dB_per_cm)


# ------------------------------------------------------------------------------------------ electrical
def electrical(*, wl=LAMBDA0_UM) -> Any:
    """Metal wire (ports e1, e2): no optical transmission."""
    z = 0.0 * _ones(wl)
    return {("e1", "e1"): z, ("e2", "e2"): z, ("e1", "e2"): z, ("e2", "e1"): z}


def _zero_ports(model_name: str, ports: tuple[str, ...]) -> Callable:
    def model(*, wl=LAMBDA0_UM) -> Any:
        z = 0.0 * _ones(wl)
        return {(p, q): z for p in ports for q in ports}

    model.__name__ = model_name
    model.__doc__ = f"Electrical cell with ports {', '.join(ports)}: no optical transmission."
    return model


def no_ports(*, wl=LAMBDA0_UM) -> Any:
    """A cell without ports (labels, markers): an empty S-matrix."""
    return {}


def with_electrical_ports(model: Callable, ports: tuple[str, ...]) -> Callable:
    """``model`` with zero S-parameters added for the electrical ``ports`` of its cell (same signature)."""

    @functools.wraps(model)
    def wrapped(**kwargs):
        s = dict(model(**kwargs))
        ref = next(iter(s.values()))
        z = 0.0 * jnp.abs(ref)
        for p in ports:
            s[(p, p)] = z
        return s

    return wrapped


# ------------------------------------------------------------------------------------------ registry
@functools.cache
def platform_models(platform: str) -> dict[str, Callable]:
    """Cell name -> sax model for every cell of ``platform``'s design kit (routing, devices,
    electrical cells); the dictionary ``qchipnet.get_pdk(platform).models`` holds."""
    routing = {"sin": (sin_straight, sin_bend, sin_taper), "inp": (inp_straight, inp_bend, inp_taper)}
    if platform not in routing:
        raise InputError(f"unknown platform {platform!r}; choose one of ['sin', 'inp']")
    st, bd, tp = routing[platform]
    out: dict[str, Callable] = {
        "straight": st, "bend_euler": bd, "bend_circular": bd, "bend_s": bd, "taper": tp,
        "wire_straight": electrical, "wire_corner": electrical, "text": no_ports,
    }
    if platform == "sin":
        out.update(sinm.MODELS)
        out["ring_arc"] = sin_heated_ring_arc
        # heater_ring is a composite (trace + leads + pads, so its nets are in the netlist): its leaves,
        # and the whole heater too (electrical only, so its model and its netlist agree exactly), so that a
        # ring's flat ``get_netlist()`` simulates as well as its recursive one
        out["heater_trace"] = _zero_ports("heater_trace", ("e1", "e2"))
        out["probe_pad"] = _zero_ports("probe_pad", ("e1", "e2"))
        out["heater_ring"] = _zero_ports("heater_ring", ("e1", "e2"))
    else:
        out.update(inpm.MODELS)
        out["phase_modulator"] = with_electrical_ports(inpm.phase_modulator, ("e1",))
        out["voa"] = with_electrical_ports(inpm.voa, ("e1",))
        out["dbr_laser"] = with_electrical_ports(inpm.dbr_laser, ("e1", "e2", "e3", "e4"))
        out["bond_pad"] = _zero_ports("bond_pad", ("e1", "e2", "e3", "e4"))
    return out
