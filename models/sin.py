"""sax models of the Si3N4 cells, with phase and coupling from the meow tables (``models.sin_modes``).

Every model is a pure function with keyword-only defaults (sax convention), wavelength ``wl`` in um,
loss in dB/m, lengths in um; its parameters carry the names the cells publish in ``c.info``.
Validity: ``wl`` 1.52-1.58 um, width/thickness inside the mode tables (``sin_straight``: width
2.0-3.2 um, thickness 95-105 nm; ``sin_coupler``: mean guide width 2.2-3.0 um), radius >= the
film's minimum bend radius (bend radiation < 0.16 dB/m, not modelled), loss 0-1000 dB/m.
Outside these ranges the models raise :class:`~qchipnet.validate.InputError`.

Ring-bus coupling (physics.md 1.3): coupling per unit length kappa(gap) of the two-guide supermodes
(table, log-interpolated in gap) integrated along the drawn coupler.
- point coupler: theta = |int kappa(g(z)) exp(i dbeta z) dz| over the interaction window with the
  drawn gap g(z) = gap + R_out - sqrt(R_out^2 - z^2) (R_out = outer ring edge), dbeta the
  ring/bus propagation-constant mismatch (bus width != ring width), K = sin^2 theta (first-order
  coupled mode theory with a phase factor; exact for dbeta = 0). Beyond the 4 um table edge the
  integrand follows the evanescent exponential with the slope of the last table interval.
- pulley coupler: uniform coupled-mode section in the angular coordinate over the wrap angle:
  coupling per radian kappa R_mean, mismatch per radian (beta_r R - beta_b R_bus)/2,
  K = k^2/(k^2+d^2) sin^2(sqrt(k^2+d^2) angle). The coupling in the entry/exit bends is neglected.
- Asymmetric guides (bus_width != width) use the symmetric-pair kappa at the mean width.
Edge coupler: adiabatic taper (propagation loss of the guide) plus a facet mode-mismatch loss
``facet_loss_dB`` (default 1.5 dB, typical for Si3N4 inverse tapers to a lensed fibre/DFB facet
[T]; not computed from a mode overlap).
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from ..constants import LAMBDA0_UM
from ..pdk.sin.geometry import min_bend_radius_um
from ..validate import check_range
from .sin_modes import COUPLER_GRID, load_coupler, load_straight, load_thermo

__all__ = [
    "WL_RANGE_UM",
    "LOSS_RANGE_DB_PER_M",
    "neff",
    "ngroup",
    "kappa_per_um",
    "point_coupling",
    "point_coupling_core",
    "pulley_coupling",
    "heater_phase_rad",
    "straight",
    "bend",
    "ring_coupler_point",
    "ring_coupler_pulley",
    "edge_coupler",
    "MODELS",
]


def _reciprocal(sdict):
    """``sax.reciprocal``, imported on first use: sax (with scikit-rf) costs seconds to import and the
    batch evaluators that share these physics functions never build a circuit."""
    import sax

    return sax.reciprocal(sdict)

WL_RANGE_UM = (1.52, 1.58)
LOSS_RANGE_DB_PER_M = (0.0, 1000.0)
_DB_PER_NEPER_POWER = 10.0 / math.log(10.0)  # 4.343
_N_Z = 129  # quadrature points over the point-coupler window


def _check_common(wl, width_um, thickness_nm, loss_dB_per_m=0.0):
    check_range("wl", wl, *WL_RANGE_UM, "um")
    check_range("loss_dB_per_m", loss_dB_per_m, *LOSS_RANGE_DB_PER_M, "dB/m")


def neff(wl=LAMBDA0_UM, width_um=2.8, thickness_nm=100.0):
    """Effective index of TE0 (table ``sin_straight``, cubic in every axis)."""
    return load_straight().interp("n_eff", method="cubic", width_um=width_um, thickness_nm=thickness_nm, wl_um=wl)


def ngroup(wl=LAMBDA0_UM, width_um=2.8, thickness_nm=100.0):
    """Group index of TE0 (table ``sin_straight``)."""
    return load_straight().interp("n_g", method="cubic", width_um=width_um, thickness_nm=thickness_nm, wl_um=wl)


def _amplitude(loss_dB_per_m, length_um):
    return 10.0 ** (-loss_dB_per_m * length_um * 1e-6 / 20.0)


def kappa_per_um(gap_um, width_um=2.8, thickness_nm=100.0, wl=LAMBDA0_UM):
    """Field coupling per unit length (1/um) of two identical guides ``gap_um`` apart.

    Inside the table gap range it is the log-linear interpolation of the supermode table; beyond
    the largest gap the evanescent exponential continues with the slope of the last interval.
    """
    t = load_coupler()
    g_hi = COUPLER_GRID["gap_um"][-1]
    g_lo2 = COUPLER_GRID["gap_um"][-2]
    gap = jnp.asarray(gap_um, dtype=jnp.float64)
    gc = jnp.clip(gap, COUPLER_GRID["gap_um"][0], g_hi)
    kw = dict(width_um=width_um, thickness_nm=thickness_nm, wl_um=wl)
    lk = t.interp("log_kappa_per_um", gap_um=gc, **kw)
    slope = (t.interp("log_kappa_per_um", gap_um=g_hi, **kw) - t.interp("log_kappa_per_um", gap_um=g_lo2, **kw)) / (
        g_hi - g_lo2
    )
    return jnp.exp(lk + slope * jnp.maximum(gap - g_hi, 0.0))


def point_coupling(*, wl=LAMBDA0_UM, radius_um=1000.0, width_um=2.8, bus_width_um=2.8, gap_um=2.0,
                   thickness_nm=100.0, interaction_length_um=219.242):
    """Power cross-coupling K of the point coupler (vectorised over array arguments)."""
    check_range("gap_um", gap_um, COUPLER_GRID["gap_um"][0], COUPLER_GRID["gap_um"][-1], "um")
    return point_coupling_core(wl, radius_um, width_um, bus_width_um, gap_um, thickness_nm, interaction_length_um)


def point_coupling_core(wl, radius_um, width_um, bus_width_um, gap_um, thickness_nm, interaction_length_um):
    """:func:`point_coupling` without the range check (traceable): callers check the domain first."""
    r_out = jnp.asarray(radius_um) + jnp.asarray(width_um) / 2
    half = jnp.asarray(interaction_length_um) / 2
    u = jnp.linspace(-1.0, 1.0, _N_Z)
    z = half[..., None] * u if jnp.ndim(half) else half * u
    ex = lambda a: jnp.asarray(a)[..., None]  # noqa: E731
    g = ex(gap_um) + ex(r_out) - jnp.sqrt(ex(r_out) ** 2 - z**2)
    w_mean = (jnp.asarray(width_um) + jnp.asarray(bus_width_um)) / 2
    k = kappa_per_um(g, ex(w_mean), ex(thickness_nm), ex(wl))
    dbeta = 2 * jnp.pi / jnp.asarray(wl) * (neff(wl, width_um, thickness_nm) - neff(wl, bus_width_um, thickness_nm))
    integrand = k * jnp.exp(1j * ex(dbeta) * z)
    dz = (2 * half) / (_N_Z - 1)
    theta = jnp.abs((jnp.sum(integrand, axis=-1) - 0.5 * (integrand[..., 0] + integrand[..., -1])) * dz)
    return jnp.sin(jnp.minimum(theta, jnp.pi / 2)) ** 2


def pulley_coupling(*, wl=LAMBDA0_UM, radius_um=1000.0, width_um=2.8, bus_width_um=2.2, gap_um=1.5,
                    thickness_nm=100.0, pulley_angle_deg=10.0, bus_radius_um=1004.0):
    """Power cross-coupling K of the pulley coupler (uniform angular coupled-mode section)."""
    check_range("gap_um", gap_um, COUPLER_GRID["gap_um"][0], COUPLER_GRID["gap_um"][-1], "um")
    w_mean = (jnp.asarray(width_um) + jnp.asarray(bus_width_um)) / 2
    k = kappa_per_um(gap_um, w_mean, thickness_nm, wl) * (jnp.asarray(radius_um) + jnp.asarray(bus_radius_um)) / 2
    k0 = 2 * jnp.pi / jnp.asarray(wl)
    d = 0.5 * k0 * (neff(wl, width_um, thickness_nm) * radius_um - neff(wl, bus_width_um, thickness_nm) * bus_radius_um)
    s = jnp.sqrt(k**2 + d**2)
    return k**2 / s**2 * jnp.sin(s * jnp.deg2rad(pulley_angle_deg)) ** 2


def heater_phase_rad(*, wl=LAMBDA0_UM, heated_length_um=3161.593, delta_T_K=1.0, width_um=2.8, thickness_nm=100.0):
    """Thermo-optic round-trip phase 2 pi/wl dn_eff/dT dT L_heated (dn_eff/dT from table ``sin_thermo``)."""
    check_range("delta_T_K", delta_T_K, -50.0, 200.0, "K")
    dn = load_thermo().interp("dneff_dT_per_K", width_um=width_um, thickness_nm=thickness_nm)
    return 2 * jnp.pi / wl * dn * delta_T_K * heated_length_um


def _two_port(t):
    return _reciprocal({("o1", "o2"): t})


def straight(*, wl=LAMBDA0_UM, length_um=100.0, width_um=2.8, thickness_nm=100.0, loss_dB_per_m=1.7) -> "SDict":
    """Straight guide: amplitude 10^(-loss L/20), phase 2 pi n_eff L / wl."""
    _check_common(wl, width_um, thickness_nm, loss_dB_per_m)
    check_range("length_um", length_um, 0.0, 1e6, "um")
    phi = 2 * jnp.pi * neff(wl, width_um, thickness_nm) * length_um / wl
    return _two_port(_amplitude(loss_dB_per_m, length_um) * jnp.exp(1j * phi))


def bend(*, wl=LAMBDA0_UM, length_um=3141.593, radius_um=1000.0, width_um=2.8, thickness_nm=100.0,
         loss_dB_per_m=1.4, delta_T_K=0.0) -> "SDict":
    """Ring arc: like :func:`straight` (bend radiation negligible above the minimum radius) plus heating."""
    _check_common(wl, width_um, thickness_nm, loss_dB_per_m)
    check_range("radius_um", radius_um, min_bend_radius_um(thickness_nm), 1e4, "um")
    dn = load_thermo().interp("dneff_dT_per_K", width_um=width_um, thickness_nm=thickness_nm) * delta_T_K
    phi = 2 * jnp.pi * (neff(wl, width_um, thickness_nm) + dn) * length_um / wl
    return _two_port(_amplitude(loss_dB_per_m, length_um) * jnp.exp(1j * phi))


def _coupler_sdict(K, wl, width_um, bus_width_um, thickness_nm, ring_length_um, bus_length_um, loss_dB_per_m,
                   bus_loss_dB_per_m=None):
    t = jnp.sqrt(1.0 - K)
    k = jnp.sqrt(K)
    bus_loss = loss_dB_per_m if bus_loss_dB_per_m is None else bus_loss_dB_per_m
    pr = _amplitude(loss_dB_per_m, ring_length_um) * jnp.exp(
        1j * 2 * jnp.pi * neff(wl, width_um, thickness_nm) * ring_length_um / wl)
    pb = _amplitude(bus_loss, bus_length_um) * jnp.exp(
        1j * 2 * jnp.pi * neff(wl, bus_width_um, thickness_nm) * bus_length_um / wl)
    x = -1j * k * jnp.sqrt(pr * pb)
    return _reciprocal({
        ("o1", "o2"): t * pb,
        ("o4", "o3"): t * pr,
        ("o1", "o3"): x,
        ("o4", "o2"): x,
    })


def ring_coupler_point(*, wl=LAMBDA0_UM, radius_um=1000.0, width_um=2.8, bus_width_um=2.8, gap_um=2.0,
                       thickness_nm=100.0, ring_length_um=3141.593, bus_length_um=2014.0,
                       interaction_length_um=219.242, loss_dB_per_m=1.4, bus_loss_dB_per_m=1.7) -> "SDict":
    """Point coupler + lower half ring: o1->o2 bus, o4->o3 ring half, o1->o3 / o4->o2 cross.

    ``loss_dB_per_m`` is the ring-mode loss of the half ring, ``bus_loss_dB_per_m`` the straight-guide
    loss of the bus (``pdk.sin.process``: ring_loss_dB_per_m and loss_dB_per_m)."""
    _check_common(wl, width_um, thickness_nm, loss_dB_per_m)
    _check_common(wl, bus_width_um, thickness_nm, bus_loss_dB_per_m)
    check_range("radius_um", radius_um, min_bend_radius_um(thickness_nm), 1e4, "um")
    K = point_coupling(wl=wl, radius_um=radius_um, width_um=width_um, bus_width_um=bus_width_um, gap_um=gap_um,
                       thickness_nm=thickness_nm, interaction_length_um=interaction_length_um)
    return _coupler_sdict(K, wl, width_um, bus_width_um, thickness_nm, ring_length_um, bus_length_um, loss_dB_per_m,
                          bus_loss_dB_per_m)


def ring_coupler_pulley(*, wl=LAMBDA0_UM, radius_um=1000.0, width_um=2.8, bus_width_um=2.2, gap_um=1.5,
                        thickness_nm=100.0, ring_length_um=3141.593, bus_length_um=350.0,
                        pulley_angle_deg=10.0, bus_radius_um=1004.0, interaction_length_um=175.2,
                        loss_dB_per_m=1.4, bus_loss_dB_per_m=1.7) -> "SDict":
    """Pulley coupler + lower half ring (ports as :func:`ring_coupler_point`).

    ``interaction_length_um`` (= bus_radius_um x wrap angle) is implied by the angle and radius and
    accepted for bookkeeping only.
    """
    _check_common(wl, width_um, thickness_nm, loss_dB_per_m)
    check_range("radius_um", radius_um, min_bend_radius_um(thickness_nm), 1e4, "um")
    K = pulley_coupling(wl=wl, radius_um=radius_um, width_um=width_um, bus_width_um=bus_width_um, gap_um=gap_um,
                        thickness_nm=thickness_nm, pulley_angle_deg=pulley_angle_deg, bus_radius_um=bus_radius_um)
    return _coupler_sdict(K, wl, width_um, bus_width_um, thickness_nm, ring_length_um, bus_length_um, loss_dB_per_m,
                          bus_loss_dB_per_m)


def edge_coupler(*, wl=LAMBDA0_UM, length_um=300.0, tip_width_um=0.3, width_um=2.8, thickness_nm=100.0,
                 loss_dB_per_m=1.7, facet_loss_dB=1.5) -> "SDict":
    """Inverse taper: facet mode-mismatch loss + propagation loss; phase of the full-width guide.

    The phase uses n_eff of the chip-side width over the whole taper (the tip's n_eff is outside the
    table); it only shifts the absolute phase, never a ring metric.
    """
    _check_common(wl, width_um, thickness_nm, loss_dB_per_m)
    check_range("facet_loss_dB", facet_loss_dB, 0.0, 30.0, "dB")
    amp = _amplitude(loss_dB_per_m, length_um) * 10 ** (-facet_loss_dB / 20)
    phi = 2 * jnp.pi * neff(wl, width_um, thickness_nm) * length_um / wl
    return _two_port(amp * jnp.exp(1j * phi))


def bus_straight(*, wl=LAMBDA0_UM, length_um=100.0, width_um=2.8, thickness_nm=100.0,
                 loss_dB_per_m=1.7) -> "SDict":
    """Model of the ``bus_straight`` cell (same as :func:`straight`)."""
    return straight(wl=wl, length_um=length_um, width_um=width_um, thickness_nm=thickness_nm,
                    loss_dB_per_m=loss_dB_per_m)


#: Cell name -> sax model (optical cells; the heater is electrical and enters through ``delta_T_K``).
MODELS = {
    "ring_arc": bend,
    "ring_coupler_point": ring_coupler_point,
    "ring_coupler_pulley": ring_coupler_pulley,
    "edge_coupler": edge_coupler,
    "bus_straight": bus_straight,
}
