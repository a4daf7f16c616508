"""Physics and sax models of the InP transmitter cells (waveguides, MMIs, EO phase modulator, DBR
laser, VOA, facet). Pure functions of geometry in um; mode quantities come from the meow tables of
:mod:`qchipnet.models.inp_modes`; every public function checks its validity range.

Validity: wavelength 1.53-1.57 um (the table grid), TE0, single-mode ridges of the table grids.

Models and sources (tags as in ``physics.md``: [C] literature, [T] typical, [R] derived here,
[paper] seed article, [cal] calibrated to the paper):

- **Waveguides**: phase 2 pi n_eff L / wl with n_eff(wl) from the table; loss in dB/cm:
  deep 2.5, shallow 1.5, p-doped (modulator) sections 3.0 dB/cm [T] (Smit et al., Semicond. Sci.
  Technol. 29, 083001 (2014)).
- **MMI**: mode-propagation analysis (self-imaging) in the effective-index picture, computed
  here: the vertical slab index n_r of the epi stack and the guided lateral modes of the MMI body
  (n_r inside, BCB outside, deep etch) come from a 1-D finite-difference eigen solve, the access
  waveguides' fields are the 1-D modes of the access ridges, the input field is expanded on the
  MMI modes, propagated with the exact (non-paraxial) beta of every mode and projected on the
  output access modes. Why MPA rather than meow EME: it resolves the 40-60 guided lateral modes
  of a 6-7 um MMI in milliseconds, so imbalance and excess loss versus width/length error can be
  tabulated finely for the Monte Carlo; EME with tens of modes per cell on a 2-D mesh would take
  minutes per point. The EIM error on n_r is common to all modes and cancels to first order in
  the imbalance (it shifts the optimum length, which the cell computes with the same n_r).
- **Phase modulator** (reverse-biased p-i-n, physics.md 4.2): E = (V + V_bi)/d_i with d_i = core
  thickness; Delta n = 1/2 n^3 r41 E + 1/2 n^3 s E^2 in the core, Delta phi = 2 pi L Gamma_eo
  Delta n / wl with Gamma_eo from the table. r41 = 1.4 pm/V [C] (Adachi 1992; Suzuki & Tada,
  Jpn. J. Appl. Phys. 23, 291 (1984) measured 1.68 pm/V at 1.5 um); V_bi = 1.2 V [T]; the
  quadratic (band-edge) coefficient scales with the detuning of the photon energy from the core
  gap as s = s_ref ((E_g,ref - E_ph)/(E_g - E_ph))^2 [R]. **s_ref is calibrated** [cal] so that the
  default 1500 um PM has V_pi = 5.8 V (seed article, Fig. 2k; mean of 117 working EOPMs); the
  value it gives (~1e-19 m^2/V^2, V_pi L = 8.7 V mm, inside the 8-12 V mm practical range of
  physics.md 4.2 [T]) is computed by :func:`eo_calibration` and tested. Electro-absorption adds
  ``ea_dB_per_cm`` (E / 10 V/um)^2 of loss, 0.1 dB/cm [T] (Franz-Keldysh tail, photon 190 meV below the Q1.25 gap).
- **DBR laser** (physics.md 3.2/3.3): lambda_B = 2 n_eff(lambda_B) Lambda (first order),
  kappa = 2 Delta n_grating / wl (rectangular first-order grating, 50 % duty) [C], R = tanh^2(kappa L),
  L_eff = tanh(kappa L)/(2 kappa), mode spacing wl^2/(2 n_g L_cav). Current tuning: carrier density
  from I/(q V) = A N + B N^2 + C N^3 (A = 1e8 /s, B = 1e-16 m^3/s, C = 5e-41 m^6/s [T], Coldren &
  Corzine, Diode Lasers and Photonic Integrated Circuits (2012), InGaAsP values), Delta n = dn/dN N with
  dn/dN = -1.2e-26 m^3 [T] (Weber, IEEE JQE 30, 1801 (1994), Q1.25 at 1.55 um), Delta lambda_B =
  lambda Gamma Delta n / n_g; thermal tuning dlambda/dT = lambda (Gamma dn_core/dT + (1 - Gamma)
  dn_InP/dT) / n_g. alpha_H = 3.5 and free-running Lorentzian linewidth 2 MHz [T] (physics.md
  3.2: alpha_H 2-5, linewidth 0.3-10 MHz; seed article: "MHz-level linewidths"). Lasing: threshold
  modal gain alpha_i + (alpha_p (L_phase + L_eff) + 1/2 ln(1/(R_r R_f))) / L_gain <= 80 /cm, the largest
  modal gain of the MQW section [T] (Coldren & Corzine 2012). Every section length and the grating
  period are design parameters; the DBR functions are pure jax in them (differentiable).
- **VOA**: carrier-injection absorber (forward-biased passive p-i-n section): alpha = Gamma
  sigma_fc N with sigma_fc = 2.5e-21 m^2 (intervalence-band absorption of holes dominates
  at 1.55 um) [T] (Weber 1994); the same carrier model as the DBR; residual phase from dn/dN.
- **Facet / spot-size converter**: 2.5 dB coupling loss to a lensed fibre, reflection neglected
  (7 deg angled facet) [T].
"""

from __future__ import annotations

import functools
import math
from typing import Any

import jax.numpy as jnp
import numpy as np

from ..constants import C_M_PER_S, COMB_FSR_GHZ, LAMBDA0_UM
from ..pdk.inp.geometry import EpiStack
from ..pdk.materials import get_material
from ..validate import check_range
from .inp_modes import load_inp_table

__all__ = [
    "WL_RANGE_UM",
    "LOSS_DB_PER_CM",
    "mode_params",
    "slab_index",
    "mmi_transfer",
    "mmi_imbalance_dB",
    "EO",
    "eo_calibration",
    "pm_phase_rad",
    "pm_vpi_V",
    "pm_vpi_core",
    "pm_coeffs_core",
    "pm_voltage_for_phase_V",
    "pm_phase_core",
    "pm_voltage_for_ea_dB",
    "MMI_TABLE_GEOMETRY",
    "MMI_TABLE_AXIS_UM",
    "build_mmi_table",
    "mmi_table",
    "mmi_transfer_table",
    "pm_vpi_small_signal_V",
    "pm_loss_dB",
    "LASER",
    "carrier_density_per_m3",
    "dbr_mirror",
    "dbr_laser_metrics",
    "comb_line_wavelengths_nm",
    "voa_attenuation_dB",
    "straight_deep",
    "straight_shallow",
    "bend_deep",
    "bend_shallow",
    "transition_deep_shallow",
    "mmi1x2",
    "mmi2x2",
    "phase_modulator",
    "dbr_laser",
    "voa",
    "facet",
    "MODELS",
]


def _reciprocal(sdict):
    """``sax.reciprocal``, imported on first use: sax (with scikit-rf) costs seconds to import and the
    batch evaluators that share these physics functions never build a circuit."""
    import sax

    return sax.reciprocal(sdict)

WL_RANGE_UM = (1.53, 1.57)
#: Propagation loss in dB/cm [T] (Smit 2014): passive deep/shallow ridges, p-doped modulator ridge.
LOSS_DB_PER_CM = {"deep": 2.5, "shallow": 1.5, "modulator": 3.0}
_Q = 1.602176634e-19
_EPI = EpiStack()


def _wl_check(wl: Any) -> None:
    check_range("wl", wl, *WL_RANGE_UM, "um")


# ----------------------------------------------------------------------------- mode data
def mode_params(kind: str = "deep", *, width_um=1.5, etch_um=None, core_um=0.5, wl_um=LAMBDA0_UM,
                core_bandgap_um=None) -> dict[str, Any]:
    """n_eff, n_g, gamma_core, gamma_eo of the TE0 mode (table interpolation, jax arrays).

    ``etch_um`` is the etch below the core (deep) or into the core (shallow), default from the
    EpiStack. A core bandgap other than the stack's Q1.25 is applied as a first-order perturbation,
    dn_eff = (n_core/n_eff) gamma_core dn_core (valid for |d lambda_g| <= 0.05 um).
    """
    t = load_inp_table(kind)
    if etch_um is None:
        etch_um = _EPI.deep_etch_below_core_um if kind == "deep" else _EPI.shallow_etch_into_core_um
    c = dict(width_um=width_um, etch_um=etch_um, core_um=core_um, wl_um=wl_um)
    names = ("n_eff", "n_g", "gamma_core", "gamma_eo")
    v = t.interp_many(names, **c)
    out = {q: v[..., i] for i, q in enumerate(names)}
    if core_bandgap_um is not None:
        check_range("core_bandgap_um", core_bandgap_um, 1.20, 1.30, "um")
        dn = _dn_core_dlambda_g() * (jnp.asarray(core_bandgap_um) - 1.25)
        out["n_eff"] = out["n_eff"] + _N_CORE0 / out["n_eff"] * out["gamma_core"] * dn
    return out


_N_CORE0 = float(get_material("Q1.25").n(LAMBDA0_UM))


@functools.lru_cache(maxsize=1)
def _dn_core_dlambda_g() -> float:
    """d n_core / d lambda_g at 1.55 um (Broberg-Lindgren model via pdk.materials), per um."""
    h = 0.01
    return float((get_material("Q1.26").n(LAMBDA0_UM) - get_material("Q1.24").n(LAMBDA0_UM)) / (2 * h))


# ----------------------------------------------------------------------------- 1-D solver
def _modes_1d(n: np.ndarray, dx: float, wl: float, n_min: float) -> tuple[np.ndarray, np.ndarray]:
    """Guided scalar modes of a 1-D index profile (finite differences): (beta [1/um], fields)."""
    from scipy.linalg import eigh_tridiagonal

    k0 = 2 * math.pi / wl
    d = -2.0 / dx**2 + (k0 * n) ** 2
    e = np.full(n.size - 1, 1.0 / dx**2)
    lo = (k0 * n_min) ** 2
    w, v = eigh_tridiagonal(d, e, select="v", select_range=(lo, float((k0 * n.max()) ** 2)))
    order = np.argsort(-w)
    w, v = w[order], v[:, order]
    v = v / np.sqrt((v**2).sum(axis=0) * dx)
    return np.sqrt(w), v


@functools.lru_cache(maxsize=64)
def slab_index(wl_um: float = LAMBDA0_UM, core_um: float = 0.5) -> float:
    """Effective index of the vertical epi slab (InP / Q core / InP / air), TE, 1-D FD."""
    tt = _EPI.top_clad_um
    dx = 0.005
    y = np.arange(-2.5, core_um + tt + 1.0, dx)
    n = np.where(y < 0, get_material("InP").n(wl_um), 0.0)
    n = np.where((y >= 0) & (y < core_um), get_material(_EPI.core_material).n(wl_um), n)
    n = np.where((y >= core_um) & (y < core_um + tt), get_material("InP").n(wl_um), n)
    n = np.where(y >= core_um + tt, 1.0, n)
    beta, _ = _modes_1d(n, dx, wl_um, float(get_material("InP").n(wl_um)))
    return float(beta[0] * wl_um / (2 * math.pi))


@functools.lru_cache(maxsize=4096)
def _mmi_T(width_um: float, length_um: float, access_um: float, pos_in: tuple, pos_out: tuple,
           wl_um: float) -> np.ndarray:
    n_r = slab_index(wl_um)
    n_c = float(get_material("BCB").n(wl_um))
    dx = 0.01
    # a grid fixed in 0.5-um steps of the half width and sub-pixel averaged permittivity at the
    # edges: the transfer is then a smooth function of the body width (a plain staircase makes it
    # jump every 0.01 um, which no table or gradient can follow)
    m = int(math.ceil((width_um / 2 + 3.0) / 0.5) * round(0.5 / dx))
    x = dx * np.arange(-m, m + 1)

    def profile(centre, w):
        fill = np.clip((w / 2 - np.abs(x - centre)) / dx + 0.5, 0.0, 1.0)
        return np.sqrt(n_c**2 + (n_r**2 - n_c**2) * fill)

    beta, phi = _modes_1d(profile(0.0, width_um), dx, wl_um, n_c)

    def access(p):
        _, f = _modes_1d(profile(p, access_um), dx, wl_um, n_c)
        return f[:, 0] * np.sign(f[np.argmin(np.abs(x - p)), 0])

    fin = np.stack([access(p) for p in pos_in], axis=1)
    fout = np.stack([access(p) for p in pos_out], axis=1)
    c = phi.T @ fin * dx  # (modes, inputs)
    prop = np.exp(-1j * (beta - beta[0]) * length_um)[:, None]
    o = fout.T @ phi * dx  # (outputs, modes)
    return o @ (prop * c)  # (outputs, inputs), common phase exp(-i beta0 L) removed


def _mmi_ports(n_in: int, width_um: float) -> tuple[tuple, tuple]:
    if n_in == 1:
        return (0.0,), (width_um / 4, -width_um / 4)
    return (width_um / 6, -width_um / 6), (width_um / 6, -width_um / 6)


def mmi_transfer(n_in: int = 2, *, width_um: float = 8.0, length_um: float | None = None,
                 access_um: float = 2.0, wl_um: float = LAMBDA0_UM, width_error_um: float = 0.0,
                 length_error_um: float = 0.0) -> np.ndarray:
    """Complex field transfer matrix (outputs x inputs) of a 1x2 or 2x2 MMI by mode propagation.

    Ports are ordered top to bottom (+y first). ``length_um=None`` takes the self-imaging length
    (:func:`self_imaging_length_um`). Width/length errors act on the fabricated body only; access
    positions stay as drawn. Valid: width 3-12 um, errors within +-0.5 um / +-10 um.
    """
    check_range("n_in", n_in, 1, 2)
    check_range("width_um", width_um, 3.0, 12.0, "um")
    check_range("width_error_um", width_error_um, -0.5, 0.5, "um")
    check_range("length_error_um", length_error_um, -10.0, 10.0, "um")
    _wl_check(wl_um)
    L = self_imaging_length_um(n_in, width_um, wl_um) if length_um is None else length_um
    check_range("length_um", L, 5.0, 1000.0, "um")
    pin, pout = _mmi_ports(int(n_in), width_um)
    return _mmi_T(round(width_um + width_error_um, 6), round(L + length_error_um, 6), round(access_um, 6),
                  pin, pout, round(float(wl_um), 7))


def self_imaging_length_um(n_in: int, width_um: float, wl_um: float = LAMBDA0_UM) -> float:
    """Self-imaging length (Soldano & Pennings, JLT 13, 615 (1995)): 3 L_pi / 8 (1x2 symmetric
    interference) or 3 L_pi / 2 (2x2 general interference), L_pi = 4 n_r W_e^2 / (3 wl), with the
    TE effective width W_e = W + wl / (pi sqrt(n_r^2 - n_c^2))."""
    n_r = slab_index(wl_um)
    n_c = float(get_material("BCB").n(wl_um))
    we = width_um + wl_um / (math.pi * math.sqrt(n_r**2 - n_c**2))
    lpi = 4 * n_r * we**2 / (3 * wl_um)
    return 3 * lpi / 8 if n_in == 1 else 3 * lpi / 2


def mmi_imbalance_dB(n_in: int = 2, **kw) -> tuple[float, float]:
    """(imbalance dB = 10 log10(P_top/P_bottom) for input at the top port, excess loss dB)."""
    T = mmi_transfer(n_in, **kw)
    p = np.abs(T[:, 0]) ** 2
    return float(10 * np.log10(p[0] / p[1])), float(-10 * np.log10(p.sum()))


#: The MMIs of the transmitter cells (``components.inp.mmi`` defaults: 1x2 splitter 6 um, 2x2
#: combiner 8 um, 2 um access tapers, self-imaging lengths), tabulated over the fabricated body-width
#: error for the batch evaluators. Range: +-0.5 um (the MPA's own validity range).
MMI_TABLE_GEOMETRY = {"mmi1x2": {"n_in": 1, "width_um": 6.0, "access_um": 2.0},
                      "mmi2x2": {"n_in": 2, "width_um": 8.0, "access_um": 2.0}}
_MMI_WIDTH_ERRORS_UM = tuple(round(x, 4) for x in np.linspace(-0.5, 0.5, 201))
#: Range of the tabulated MMI width error (um).
MMI_TABLE_AXIS_UM = (_MMI_WIDTH_ERRORS_UM[0], _MMI_WIDTH_ERRORS_UM[-1])


def _mmi_table_inputs() -> dict[str, Any]:
    return {"geometry": MMI_TABLE_GEOMETRY, "width_error_um": list(_MMI_WIDTH_ERRORS_UM), "wl_um": LAMBDA0_UM,
            "epi": _EPI.model_dump(), "n_slab": slab_index(LAMBDA0_UM), "n_bcb": float(get_material("BCB").n(LAMBDA0_UM)),
            "model_version": 1}


def build_mmi_table(out_dir=None) -> Any:
    """Tabulate the complex transfer matrices of both transmitter MMIs (mode propagation, 201 width
    errors, about 12 CPU-s) into ``inp_mmi`` with provenance; ``qchipnet modes build --platform inp``."""
    from .modes import TABLES_DIR, ModeTable, make_provenance

    data: dict[str, list] = {}
    for name, g in MMI_TABLE_GEOMETRY.items():
        Ts = np.stack([mmi_transfer(g["n_in"], width_um=g["width_um"], access_um=g["access_um"], width_error_um=dw)
                       for dw in _MMI_WIDTH_ERRORS_UM])
        n_out, n_in = Ts.shape[1:]
        for i in range(n_out):
            for j in range(n_in):
                data[f"{name}_re_{i}{j}"] = Ts[:, i, j].real
                data[f"{name}_im_{i}{j}"] = Ts[:, i, j].imag
    prov = make_provenance(inputs=_mmi_table_inputs(), mesh={"dx_um": 0.01}, materials={"InP/Q/BCB": "pdk.materials"},
                           convergence={}, solver="1-D mode propagation analysis (models.inp.mmi_transfer)")
    t = ModeTable(name="inp_mmi", axes={"width_error_um": np.asarray(_MMI_WIDTH_ERRORS_UM)}, data=data, provenance=prov)
    t.save(out_dir or TABLES_DIR)
    return t


@functools.lru_cache(maxsize=1)
def mmi_table():
    """The committed ``inp_mmi`` table (stale inputs -> error naming the rebuild command)."""
    from .modes import TABLES_DIR, content_hash, load_table

    return load_table("inp_mmi", TABLES_DIR, inputs_hash=content_hash(_mmi_table_inputs()), platform="inp")


def mmi_transfer_table(name: str, width_error_um, i: int, j: int):
    """Element (output i, input j) of the tabulated transfer of ``name`` at ``width_error_um`` (cubic)."""
    v = mmi_table().interp_many((f"{name}_re_{i}{j}", f"{name}_im_{i}{j}"), method="cubic",
                                width_error_um=width_error_um)
    return v[..., 0] + 1j * v[..., 1]


# ----------------------------------------------------------------------------- EO effect
class _EOConstants:
    """Material coefficients of the EO phase modulator (see module docstring for sources)."""

    r41_m_per_V = 1.4e-12
    v_bi_V = 1.2
    lambda_g_ref_um = 1.25
    ea_dB_per_cm = 0.1  # extra loss at 10 V/um [T]: weak, the core gap is 190 meV above the photon
    calibration = {"vpi_V": 5.8, "pm_length_um": 1500.0,
                   "source": "seed article Fig. 2k: V_pi = 5.8 +- 1.4 V over 117 working EOPMs"}


EO = _EOConstants()
_HC = 1.239841984  # eV um


def _s_scale(core_bandgap_um, wl_um):
    eph = _HC / wl_um
    return ((_HC / EO.lambda_g_ref_um - _HC / LAMBDA0_UM) / (_HC / core_bandgap_um - eph)) ** 2


def _pm_coeffs(length_um, wl_um, core_um, gamma_eo, core_bandgap_um, eo_rel, s_ref):
    """(a [rad/V], b [rad/V^2]) of Delta phi = a V + b ((V + V_bi)^2 - V_bi^2)."""
    n = _N_CORE0
    d = core_um * 1e-6
    k = 2 * jnp.pi * length_um / wl_um * gamma_eo * 0.5 * n**3
    a = k * EO.r41_m_per_V / d
    b = k * s_ref * _s_scale(core_bandgap_um, wl_um) * eo_rel / d**2
    return a, b


@functools.lru_cache(maxsize=1)
def eo_calibration() -> dict[str, float]:
    """Calibrated quadratic EO coefficient s_ref (m^2/V^2) giving V_pi = 5.8 V at 1500 um.

    Solves a V + b ((V + V_bi)^2 - V_bi^2) = pi for b at V = 5.8 V with the table's gamma_eo of the
    default deep ridge (1.5 um, etch 1.0 um, core 0.5 um) at lambda_0, then b -> s_ref.
    """
    g = float(mode_params("deep", width_um=1.5, core_um=0.5, wl_um=LAMBDA0_UM)["gamma_eo"])
    L, V = EO.calibration["pm_length_um"], EO.calibration["vpi_V"]
    a, b1 = _pm_coeffs(L, LAMBDA0_UM, 0.5, g, EO.lambda_g_ref_um, 1.0, 1.0)
    vb = EO.v_bi_V
    b = (math.pi - float(a) * V) / ((V + vb) ** 2 - vb**2)
    s_ref = b / float(b1)
    pockels_vpi_L = math.pi / float(a) * L * 1e-3  # V mm
    return {"s_ref_m2_per_V2": s_ref, "gamma_eo": g, "pockels_only_vpi_L_V_mm": pockels_vpi_L,
            "vpi_L_V_mm": V * L * 1e-3}


def pm_phase_rad(voltage_V, *, length_um=1500.0, wl_um=LAMBDA0_UM, width_um=1.5, core_um=0.5,
                 etch_um=1.0, core_bandgap_um=1.25, eo_rel=1.0):
    """Phase change (rad) of the PM at reverse bias ``voltage_V`` relative to 0 V."""
    check_range("voltage_V", voltage_V, 0.0, 15.0, "V")
    check_range("length_um", length_um, 10.0, 5000.0, "um")
    check_range("eo_rel", eo_rel, 0.2, 3.0)
    _wl_check(wl_um)
    g = mode_params("deep", width_um=width_um, etch_um=etch_um, core_um=core_um, wl_um=wl_um)["gamma_eo"]
    a, b = _pm_coeffs(length_um, wl_um, core_um, g, core_bandgap_um, eo_rel, eo_calibration()["s_ref_m2_per_V2"])
    v = jnp.asarray(voltage_V)
    return a * v + b * ((v + EO.v_bi_V) ** 2 - EO.v_bi_V**2)


def _vpi_from_ab(a, b):
    return pm_voltage_for_phase_V(jnp.pi, a, b)


def pm_vpi_V(*, length_um=1500.0, wl_um=LAMBDA0_UM, width_um=1.5, core_um=0.5, etch_um=1.0,
             core_bandgap_um=1.25, eo_rel=1.0):
    """Large-signal V_pi (V): reverse bias from 0 V giving a pi phase change (DC sweep)."""
    check_range("length_um", length_um, 10.0, 5000.0, "um")
    _wl_check(wl_um)
    return pm_vpi_core(length_um, wl_um, width_um, core_um, etch_um, core_bandgap_um, eo_rel)


def pm_coeffs_core(length_um, wl_um, width_um, core_um, etch_um, core_bandgap_um, eo_rel):
    """(a [rad/V], b [rad/V^2]) of the PM phase a V + b ((V + V_bi)^2 - V_bi^2); pure (no range
    checks, traceable): callers check the domain first."""
    g = mode_params("deep", width_um=width_um, etch_um=etch_um, core_um=core_um, wl_um=wl_um)["gamma_eo"]
    return _pm_coeffs(length_um, wl_um, core_um, g, core_bandgap_um, eo_rel, eo_calibration()["s_ref_m2_per_V2"])


def pm_vpi_core(length_um, wl_um, width_um, core_um, etch_um, core_bandgap_um, eo_rel):
    """:func:`pm_vpi_V` without range checks (traceable, every argument may be an array)."""
    return _vpi_from_ab(*pm_coeffs_core(length_um, wl_um, width_um, core_um, etch_um, core_bandgap_um, eo_rel))


def pm_phase_core(voltage_V, a, b):
    """PM phase (rad) a V + b ((V + V_bi)^2 - V_bi^2) at reverse bias ``voltage_V`` from the coefficients of
    :func:`pm_coeffs_core`; pure (traceable)."""
    return a * voltage_V + b * ((voltage_V + EO.v_bi_V) ** 2 - EO.v_bi_V**2)


def pm_voltage_for_phase_V(phase_rad, a, b):
    """Reverse bias (V) at which the PM phase a V + b ((V + V_bi)^2 - V_bi^2) reaches ``phase_rad`` >= 0."""
    vb = EO.v_bi_V
    B = a + 2 * b * vb
    return (-B + jnp.sqrt(B**2 + 4 * b * phase_rad)) / (2 * b)


def pm_vpi_small_signal_V(*, bias_V=3.0, length_um=1500.0, wl_um=LAMBDA0_UM, core_um=0.5, **kw):
    """Small-signal V_pi = pi / (d phi / dV) at reverse bias ``bias_V``; exactly proportional to 1/L."""
    check_range("bias_V", bias_V, 0.0, 15.0, "V")
    g = mode_params("deep", width_um=kw.get("width_um", 1.5), etch_um=kw.get("etch_um", 1.0), core_um=core_um,
                    wl_um=wl_um)["gamma_eo"]
    a, b = _pm_coeffs(length_um, wl_um, core_um, g, kw.get("core_bandgap_um", 1.25), kw.get("eo_rel", 1.0),
                      eo_calibration()["s_ref_m2_per_V2"])
    return jnp.pi / (a + 2 * b * (bias_V + EO.v_bi_V))


def pm_loss_dB(voltage_V=0.0, *, length_um=1500.0, core_um=0.5):
    """Propagation + electro-absorption loss (dB) of the PM at reverse bias ``voltage_V``."""
    e = (jnp.asarray(voltage_V) + EO.v_bi_V) / core_um  # V/um
    e0 = EO.v_bi_V / core_um
    ea = EO.ea_dB_per_cm * ((e / 10.0) ** 2 - (e0 / 10.0) ** 2)
    return (LOSS_DB_PER_CM["modulator"] + ea) * length_um * 1e-4


def pm_voltage_for_ea_dB(ea_dB, *, length_um, core_um):
    """Reverse bias (V) at which the PM's electro-absorption, its loss above the 0-V loss of
    :func:`pm_loss_dB`, reaches ``ea_dB`` (clipped at 0 dB): the exact inverse of its quadratic field
    dependence c ((V + V_bi)^2 - V_bi^2), c = ea_dB_per_cm L / (10 V/um x core)^2. Pure (traceable)."""
    c = EO.ea_dB_per_cm * length_um * 1e-4 / (10.0 * core_um) ** 2
    return jnp.sqrt(EO.v_bi_V**2 + jnp.maximum(ea_dB, 0.0) / c) - EO.v_bi_V


# ----------------------------------------------------------------------------- DBR laser
class _LaserConstants:
    A_per_s = 1e8
    B_m3_per_s = 1e-16
    C_m6_per_s = 5e-41
    dn_dN_m3 = -1.2e-26
    sigma_fc_m2 = 2.5e-21
    alpha_H = 3.5
    linewidth_free_MHz = 2.0
    grating_delta_neff = 0.004
    internal_loss_per_cm = 15.0  # gain-section internal loss for the output split [T]
    #: Largest modal gain the MQW gain section reaches (1/cm) [T]: material gain g0 ln(N/N_tr) with
    #: g0 ~ 1800 /cm at 2-3x transparency (~2000 /cm) and a confinement of ~0.04 for 4-5 wells
    #: (Coldren & Corzine 2012, ch. 4 and app. 11). An order-of-magnitude bound: it refuses only
    #: lasers whose mirrors cannot close the loop (the article's laser needs ~36 /cm).
    max_modal_gain_per_cm = 80.0


LASER = _LaserConstants()


def carrier_density_per_m3(current_mA, volume_um3):
    """Steady-state carrier density N from I/(qV) = A N + B N^2 + C N^3 (vectorised bisection-free
    Newton iteration, 40 steps from the quadratic estimate)."""
    g = jnp.asarray(current_mA) * 1e-3 / (_Q * jnp.asarray(volume_um3) * 1e-18)
    A, B, C = LASER.A_per_s, LASER.B_m3_per_s, LASER.C_m6_per_s
    import jax

    def newton(_, n):
        f = A * n + B * n**2 + C * n**3 - g
        return jnp.maximum(n - f / (A + 2 * B * n + 3 * C * n**2), 0.0)

    return jax.lax.fori_loop(0, 40, newton, jnp.sqrt(g / B))


def dbr_mirror(length_um, *, wl_um=LAMBDA0_UM, grating_delta_neff=None):
    """(power reflectivity R = tanh^2(kappa L), effective length L_eff um, kappa 1/um) of a uniform
    first-order grating at its Bragg wavelength (coupled-mode theory; Coldren & Corzine 2012, ch. 3).

    Validity: weak index grating (Delta n / n_eff ~ 1e-3), any length; pure jax (differentiable in
    ``length_um``)."""
    dn = LASER.grating_delta_neff if grating_delta_neff is None else grating_delta_neff
    kappa = 2 * dn / wl_um
    kl = kappa * jnp.asarray(length_um)
    return jnp.tanh(kl) ** 2, jnp.tanh(kl) / (2 * kappa), kappa


def comb_line_wavelengths_nm(mu) -> np.ndarray:
    """Wavelength (nm) of comb line mu on the 30.03 GHz grid around lambda_0 = 1549.78 nm."""
    nu0 = C_M_PER_S / (LAMBDA0_UM * 1e-6)
    return C_M_PER_S / (nu0 + np.asarray(mu) * COMB_FSR_GHZ * 1e9) * 1e9


def _threshold_gain_per_cm(gain_um, phase_um, leff_r, leff_f, r_rear, r_front):
    """Threshold modal gain (1/cm) of the three-section cavity (see :func:`dbr_laser_metrics`)."""
    alpha_p = LOSS_DB_PER_CM["shallow"] * math.log(10) / 10
    return LASER.internal_loss_per_cm + (alpha_p * (jnp.asarray(phase_um) + leff_r + leff_f) * 1e-4
                                         - 0.5 * jnp.log(r_rear * r_front)) / (jnp.asarray(gain_um) * 1e-4)


def _st_factor(g_th_per_cm, gain_um, l_cav_um, r_rear, r_front):
    """The cavity's factor of the modified Schawlow-Townes linewidth at a given output power,
    dnu = v_g^2 h nu n_sp (Gamma g_th L_g / L) alpha_m (1 + alpha_H^2) / (8 pi P) (Henry, IEEE JQE 18, 259
    (1982); Coldren & Corzine 2012, eq. 5.95): the cavity-averaged gain (Gamma g_th L_gain / L_cav) times the
    mirror loss per unit cavity length ln(1/(R_rear R_front)) / (2 L_cav), both in 1/cm."""
    g_avg = g_th_per_cm * jnp.asarray(gain_um) / l_cav_um
    a_m = -0.5 * jnp.log(r_rear * r_front) / (l_cav_um * 1e-4)
    return g_avg * a_m


@functools.lru_cache(maxsize=1)
def _st_reference() -> float:
    """:func:`_st_factor` of the article's laser (the defaults of :func:`dbr_laser_metrics`), whose
    free-running linewidth is ``LASER.linewidth_free_MHz``."""
    import inspect

    d = {k: v.default for k, v in inspect.signature(dbr_laser_metrics).parameters.items()}
    r_rear, leff_r, _ = dbr_mirror(d["rear_dbr_um"])
    r_front, leff_f, _ = dbr_mirror(d["front_dbr_um"])
    l_cav = d["gain_um"] + d["phase_um"] + leff_r + leff_f
    g_th = _threshold_gain_per_cm(d["gain_um"], d["phase_um"], leff_r, leff_f, r_rear, r_front)
    return float(_st_factor(g_th, d["gain_um"], l_cav, r_rear, r_front))


def dbr_laser_metrics(*, grating_period_nm=238.45, rear_dbr_um=300.0, gain_um=400.0, phase_um=150.0,
                      front_dbr_um=100.0, width_um=2.0, core_um=0.5, etch_um=0.1, core_bandgap_um=1.25,
                      width_bias_um=0.0, grating_period_error_nm=0.0, max_tuning_current_mA=12.0,
                      tec_span_K=0.0, mu_range=(-20, 20)) -> dict[str, Any]:
    """DBR laser metrics (vectorised over every numeric argument except ``mu_range``).

    Returns Bragg wavelength at zero tuning current, tuning range (current + TEC), mirror R,
    mode spacing, k_c, and the boolean mask of reachable comb lines for mu in ``mu_range``.
    A comb line is reachable when the laser lases and the Bragg peak can be tuned to within half a
    cavity mode spacing of it (the phase section then aligns a cavity mode; its 2 pi capability is
    checked, ``phase_section_ok``).

    Lasing (``lases``): the threshold modal gain of the three-section cavity, Gamma g_th = alpha_i +
    (alpha_p (L_phase + L_eff,rear + L_eff,front) + 1/2 ln(1/(R_rear R_front))) / L_gain (Coldren &
    Corzine 2012, ch. 3, DBR lasers with passive sections; alpha_i = ``LASER.internal_loss_per_cm``,
    alpha_p the shallow guide's loss), must not exceed ``LASER.max_modal_gain_per_cm``.

    Pure jax in every length, the period and the process offsets (``jax.grad`` works); only
    ``grating_period_nm``, ``max_tuning_current_mA`` and ``tec_span_K`` are range-checked, on
    concrete values. Validity: Bragg wavelength inside ``WL_RANGE_UM`` (the mode is evaluated at
    lambda_0 with first-order dispersion), sections in the ``dbr_laser`` cell's ranges.
    ``tec_span_K`` is the +- range of the chip's TEC set-point around 25 C: it moves the whole
    tuning window by +- ``thermal_tuning_nm_per_K * tec_span_K`` (heating red, cooling blue).
    """
    check_range("grating_period_nm", grating_period_nm, 230.0, 250.0, "nm")
    check_range("max_tuning_current_mA", max_tuning_current_mA, 0.0, 50.0, "mA")
    check_range("tec_span_K", tec_span_K, 0.0, 40.0, "K")
    w = jnp.asarray(width_um) + width_bias_um
    mp = mode_params("shallow", width_um=w, etch_um=etch_um, core_um=core_um, wl_um=LAMBDA0_UM,
                     core_bandgap_um=core_bandgap_um)
    n0, ng, gam = mp["n_eff"], mp["n_g"], mp["gamma_core"]
    lam0 = LAMBDA0_UM * 1e3
    period = jnp.asarray(grating_period_nm) + grating_period_error_nm
    lam_b = 2 * period * ng / (1 - 2 * period * (n0 - ng) / lam0)
    # current tuning: both mirrors driven to the same carrier density (ganged), max current on the rear
    vol = jnp.asarray(rear_dbr_um) * w * core_um
    n_car = carrier_density_per_m3(max_tuning_current_mA, vol)
    dlam_cur = lam_b * gam * (-LASER.dn_dN_m3) * n_car / ng
    dn_dt = gam * get_material("Q1.25").dn_dT_per_K + (1 - gam) * get_material("InP").dn_dT_per_K
    dlam_th = lam_b * dn_dt / ng * tec_span_K
    r_rear, leff_r, kappa = dbr_mirror(rear_dbr_um)
    r_front, leff_f, _ = dbr_mirror(front_dbr_um)
    l_cav = jnp.asarray(gain_um) + phase_um + leff_r + leff_f
    spacing_nm = lam_b**2 / (2 * ng * l_cav * 1e3)
    # phase section: 2 pi round-trip capability at the same current into its smaller volume
    n_ph = carrier_density_per_m3(max_tuning_current_mA, jnp.asarray(phase_um) * w * core_um)
    phase_ok = 2 * gam * (-LASER.dn_dN_m3) * n_ph * jnp.asarray(phase_um) * 1e3 >= lam_b
    # threshold: internal loss of the gain section plus the passive and mirror losses it must make up
    g_th = _threshold_gain_per_cm(gain_um, phase_um, leff_r, leff_f, r_rear, r_front)
    lases = g_th <= LASER.max_modal_gain_per_cm
    lo = lam_b - dlam_cur - dlam_th - spacing_nm / 2
    hi = lam_b + dlam_th + spacing_nm / 2
    mus = np.arange(mu_range[0], mu_range[1] + 1)
    lines = jnp.asarray(comb_line_wavelengths_nm(mus))
    reach = (lines >= lo[..., None]) & (lines <= hi[..., None]) & (phase_ok & lases)[..., None]
    tau_in = 2 * ng * l_cav * 1e-6 / C_M_PER_S
    k_c = (1 - r_front) / (tau_in * jnp.sqrt(r_front))
    st = _st_factor(g_th, gain_um, l_cav, r_rear, r_front)
    return {
        "bragg_nm": lam_b, "tuning_range_nm": dlam_cur + 2 * dlam_th, "current_tuning_nm": dlam_cur,
        "thermal_tuning_nm_per_K": lam_b * dn_dt / ng, "mode_spacing_nm": spacing_nm,
        "r_front": r_front, "r_rear": r_rear, "kappa_per_cm": kappa * 1e4, "k_c_per_s": k_c,
        "phase_section_ok": phase_ok, "threshold_gain_per_cm": g_th, "lases": lases, "mu": mus, "reachable": reach,
        "alpha_H": LASER.alpha_H, "linewidth_free_MHz": LASER.linewidth_free_MHz * st / _st_reference(),
    }


# ----------------------------------------------------------------------------- VOA
def voa_attenuation_dB(current_mA, *, length_um=500.0, width_um=1.5, core_um=0.5, gamma=0.775):
    """Free-carrier attenuation (dB) of the carrier-injection VOA at forward current ``current_mA``."""
    check_range("current_mA", current_mA, 0.0, 50.0, "mA")
    n = carrier_density_per_m3(current_mA, jnp.asarray(length_um) * width_um * core_um)
    return 10 / math.log(10) * gamma * LASER.sigma_fc_m2 * n * jnp.asarray(length_um) * 1e-6


# ----------------------------------------------------------------------------- sax models
def _wg(kind, wl, length, width, loss_dB_per_cm):
    _wl_check(wl)
    check_range("length", length, 0.0, 2e4, "um")
    check_range("loss_dB_per_cm", loss_dB_per_cm, 0.0, 100.0, "dB/cm")
    wl = jnp.asarray(wl)
    neff = mode_params(kind, width_um=width, wl_um=jnp.clip(wl, *WL_RANGE_UM))["n_eff"]
    amp = 10 ** (-loss_dB_per_cm * length * 1e-4 / 20)
    t = amp * jnp.exp(2j * jnp.pi * neff * length / wl)
    return _reciprocal({("o1", "o2"): t})


def straight_deep(*, wl=LAMBDA0_UM, length=10.0, width=1.5, loss_dB_per_cm=LOSS_DB_PER_CM["deep"]) -> "SDict":
    """Deep ridge straight: phase from the inp_deep table, loss in dB/cm."""
    return _wg("deep", wl, length, width, loss_dB_per_cm)


def straight_shallow(*, wl=LAMBDA0_UM, length=10.0, width=2.0, loss_dB_per_cm=LOSS_DB_PER_CM["shallow"]) -> "SDict":
    """Shallow ridge straight: phase from the inp_shallow table, loss in dB/cm."""
    return _wg("shallow", wl, length, width, loss_dB_per_cm)


def bend_deep(*, wl=LAMBDA0_UM, length=235.6, width=1.5, loss_dB_per_cm=LOSS_DB_PER_CM["deep"]) -> "SDict":
    """Deep ridge bend (length = drawn path length from the cell's info); radiation neglected at R >= 100 um."""
    return _wg("deep", wl, length, width, loss_dB_per_cm)


def bend_shallow(*, wl=LAMBDA0_UM, length=942.5, width=2.0, loss_dB_per_cm=LOSS_DB_PER_CM["shallow"]) -> "SDict":
    """Shallow ridge bend (R >= 500 um)."""
    return _wg("shallow", wl, length, width, loss_dB_per_cm)


def transition_deep_shallow(*, wl=LAMBDA0_UM, length=50.0, loss_dB=0.1) -> "SDict":
    """Deep-to-shallow transition: mean-index phase, 0.1 dB mode-mismatch loss [T]."""
    _wl_check(wl)
    check_range("loss_dB", loss_dB, 0.0, 3.0, "dB")
    wl = jnp.asarray(wl)
    n = 0.5 * (mode_params("deep", width_um=1.5, wl_um=wl)["n_eff"] + mode_params("shallow", width_um=2.0, wl_um=wl)["n_eff"])
    return _reciprocal({("o1", "o2"): 10 ** (-loss_dB / 20) * jnp.exp(2j * jnp.pi * n * length / wl)})


def _mmi_sdict(n_in, wl, width, length, access_width, width_error):
    _wl_check(wl)
    wls = np.atleast_1d(np.asarray(wl, dtype=float))
    Ts = np.stack([mmi_transfer(n_in, width_um=float(width), length_um=float(length), access_um=float(access_width),
                                wl_um=float(x), width_error_um=float(width_error)) for x in wls.ravel()])
    Ts = Ts.reshape(wls.shape + Ts.shape[1:])
    if np.ndim(wl) == 0:
        Ts = Ts[0]
    ins = ["o1"] if n_in == 1 else ["o1", "o2"]
    outs = ["o2", "o3"] if n_in == 1 else ["o4", "o3"]  # top to bottom on the output side
    sd = {}
    for i, pi in enumerate(ins):
        for j, po in enumerate(outs):
            sd[(pi, po)] = jnp.asarray(Ts[..., j, i])
    return _reciprocal(sd)


def mmi1x2(*, wl=LAMBDA0_UM, width=6.0, length=40.164, access_width=2.0, width_error=0.0) -> "SDict":
    """1x2 MMI by mode propagation (ports: o1 in; o2 top, o3 bottom out). Not jit-traceable (scipy)."""
    return _mmi_sdict(1, wl, width, length, access_width, width_error)


def mmi2x2(*, wl=LAMBDA0_UM, width=8.0, length=281.668, access_width=2.0, width_error=0.0) -> "SDict":
    """2x2 MMI by mode propagation (o1 top-left, o2 bottom-left, o3 bottom-right, o4 top-right)."""
    return _mmi_sdict(2, wl, width, length, access_width, width_error)


def phase_modulator(*, wl=LAMBDA0_UM, length=1500.0, voltage=0.0, width=1.5, passive_length=0.0,
                    core_bandgap=1.25, eo_rel=1.0, loss_imbalance_dB=0.0) -> "SDict":
    """EO phase modulator section: n_eff phase + EO phase(V) + doped-ridge and EA loss.

    ``passive_length`` is the drawn deep-ridge length outside the electrode (isolation, tapers);
    ``loss_imbalance_dB`` an extra (process) loss of this arm.
    """
    _wl_check(wl)
    check_range("loss_imbalance_dB", loss_imbalance_dB, 0.0, 10.0, "dB")
    wl = jnp.asarray(wl)
    neff = mode_params("deep", width_um=width, wl_um=wl)["n_eff"]
    dphi = pm_phase_rad(voltage, length_um=length, wl_um=wl, width_um=width, core_bandgap_um=core_bandgap,
                        eo_rel=eo_rel)
    loss = pm_loss_dB(voltage, length_um=length) + LOSS_DB_PER_CM["deep"] * passive_length * 1e-4 + loss_imbalance_dB
    t = 10 ** (-loss / 20) * jnp.exp(2j * jnp.pi * neff * (length + passive_length) / wl + 1j * dphi)
    return _reciprocal({("o1", "o2"): t})


def dbr_laser(*, wl=LAMBDA0_UM, rear_dbr_length=300.0, front_dbr_length=100.0, gain_length=400.0) -> "SDict":
    """Laser as a 2-port for the chip circuit: unit emission entering at the rear port o1 leaves the
    front port o2 with the front-mirror share of the mirror losses, (1-R_f)/((1-R_f)+(1-R_r))."""
    _wl_check(wl)
    rr, _, _ = dbr_mirror(rear_dbr_length)
    rf, _, _ = dbr_mirror(front_dbr_length)
    eta = (1 - rf) / ((1 - rf) + (1 - rr))
    return _reciprocal({("o1", "o2"): jnp.sqrt(eta) * jnp.ones_like(jnp.asarray(wl, dtype=float))})


def voa(*, wl=LAMBDA0_UM, length=500.0, current=0.0, width=1.5) -> "SDict":
    """Carrier-injection VOA: free-carrier attenuation and carrier-induced phase (chirp)."""
    _wl_check(wl)
    wl = jnp.asarray(wl)
    att = voa_attenuation_dB(current, length_um=length, width_um=width)
    n_car = carrier_density_per_m3(current, jnp.asarray(length) * width * 0.5)
    neff = mode_params("deep", width_um=width, wl_um=wl)["n_eff"]
    dphi = 2 * jnp.pi * length * 0.775 * LASER.dn_dN_m3 * n_car / wl
    loss = att + LOSS_DB_PER_CM["modulator"] * length * 1e-4
    return _reciprocal({("o1", "o2"): 10 ** (-loss / 20) * jnp.exp(2j * jnp.pi * neff * length / wl + 1j * dphi)})


def facet(*, wl=LAMBDA0_UM, loss_dB=2.5) -> "SDict":
    """Spot-size converter + angled facet to a lensed fibre: coupling loss, no reflection [T]."""
    _wl_check(wl)
    check_range("loss_dB", loss_dB, 0.0, 10.0, "dB")
    return _reciprocal({("o1", "o2"): 10 ** (-loss_dB / 20) * jnp.ones_like(jnp.asarray(wl, dtype=float))})


MODELS: dict[str, Any] = {
    "straight_deep": straight_deep,
    "straight_shallow": straight_shallow,
    "bend_deep": bend_deep,
    "bend_shallow": bend_shallow,
    "bend_s_deep": bend_deep,
    "transition_deep_shallow": transition_deep_shallow,
    "mmi1x2": mmi1x2,
    "mmi2x2": mmi2x2,
    "phase_modulator": phase_modulator,
    "dbr_laser": dbr_laser,
    "voa": voa,
    "ssc_facet": facet,
}
