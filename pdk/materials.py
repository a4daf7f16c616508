"""Optical materials with wavelength dispersion for both platforms.

Each material is a :class:`Material`: a name, a refractive-index function of wavelength in um
(real, lossless in the 1.50-1.60 um band these platforms use), its validity range and its source.
``n(wl_um)`` accepts scalars or numpy arrays and rejects wavelengths outside the validity range.
The mode solver (``qchipnet.models.modes``) samples these functions into meow materials, so the
PDK is the single source of every index.

Sources (checked numerically against ``../shared/reference/physics.md``):
- Si3N4 (LPCVD, stoichiometric): K. Luke et al., Opt. Lett. 40, 4823 (2015), two-term Sellmeier,
  valid 0.31-5.504 um. n(1.55) = 1.996.
- SiO2 (thermal / fused silica): I. H. Malitson, J. Opt. Soc. Am. 55, 1205 (1965), three-term
  Sellmeier, valid 0.21-6.7 um. n(1.55) = 1.444.
- InP: G. D. Pettit and W. J. Turner, J. Appl. Phys. 36, 2081 (1965), Sellmeier as tabulated by
  refractiveindex.info / tidy3d ``InP/Pettit1965``, valid 0.95-10 um. n(1.55) = 3.167.
- In(1-x)Ga(x)As(y)P(1-y) lattice-matched to InP, given by its bandgap wavelength ``Q(lambda_g)``:
  modified single-oscillator model of B. Broberg and S. Lindgren, J. Appl. Phys. 55, 3376 (1984),
  with the lattice-matching relation x = 0.1894 y / (0.4184 - 0.013 y) and the bandgap
  E_g(y) = 1.35 - 0.72 y + 0.12 y^2 eV (Nahory et al., Appl. Phys. Lett. 33, 659 (1978)).
  Valid for photon energies below the gap (wl > lambda_g + 0.1 um) and 0 <= y <= 1.
  Q(1.25): 3.364, Q(1.06): 3.259 at 1.55 um (physics.md section 4.1 table).
- BCB (Cyclotene 3000 series) planarisation: Cauchy fit n = 1.5318 + 0.0088/wl^2 to the Dow
  data-sheet indices (1.54 at 1.31 um, 1.535 at 1.55 um); valid 1.2-1.7 um.
- Air: n = 1.

Thermo-optic coefficients dn/dT (1/K) at 1.55 um: Si3N4 2.45e-5 and SiO2 0.95e-5 (Arbabi &
Goddard, Opt. Lett. 38, 3878 (2013)); InP 2.0e-4 (Dinu et al., J. Appl. Phys. 94, 71 (2003)).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..validate import InputError, check_range

__all__ = [
    "Material",
    "si3n4",
    "sio2",
    "inp",
    "bcb",
    "air",
    "ingaasp",
    "ingaasp_y_from_bandgap",
    "get_material",
    "MATERIALS",
    "ThermalProperties",
    "SIO2_THERMAL",
]

ArrayLike = float | np.ndarray


@dataclass(frozen=True)
class Material:
    """A dispersive, lossless optical material.

    Attributes:
        name: short identifier used in layer stacks (``"Si3N4"``, ``"Q1.25"``...).
        index: callable n(wl_um) on numpy arrays.
        wl_min_um, wl_max_um: validity range of the dispersion formula.
        dn_dT_per_K: thermo-optic coefficient at 1.55 um.
        source: citation of the formula.
    """

    name: str
    index: Callable[[np.ndarray], np.ndarray] = field(repr=False, compare=False)
    wl_min_um: float
    wl_max_um: float
    dn_dT_per_K: float
    source: str

    def n(self, wl_um: ArrayLike) -> ArrayLike:
        """Refractive index at ``wl_um`` (scalar or array); raises outside the validity range."""
        check_range(f"wl_um for {self.name}", wl_um, self.wl_min_um, self.wl_max_um, "um")
        out = self.index(np.asarray(wl_um, dtype=float))
        return float(out) if np.ndim(out) == 0 else out

    def n_group(self, wl_um: ArrayLike, dwl_um: float = 1e-3) -> ArrayLike:
        """Bulk group index n - wl dn/dwl (central difference)."""
        wl = np.asarray(wl_um, dtype=float)
        dn = (np.asarray(self.n(wl + dwl_um)) - np.asarray(self.n(wl - dwl_um))) / (2 * dwl_um)
        out = np.asarray(self.n(wl)) - wl * dn
        return float(out) if np.ndim(out) == 0 else out


def _sellmeier(wl: np.ndarray, terms: tuple[tuple[float, float], ...], a0: float = 1.0) -> np.ndarray:
    """n^2 = a0 + sum B wl^2 / (wl^2 - C^2), with C in um."""
    w2 = wl * wl
    n2 = a0 + sum(b * w2 / (w2 - c * c) for b, c in terms)
    return np.sqrt(n2)


def _si3n4(wl: np.ndarray) -> np.ndarray:
    return _sellmeier(wl, ((3.0249, 0.1353406), (40314.0, 1239.842)))


def _sio2(wl: np.ndarray) -> np.ndarray:
    return _sellmeier(wl, ((0.6961663, 0.0684043), (0.4079426, 0.1162414), (0.8974794, 9.896161)))


def _inp(wl: np.ndarray) -> np.ndarray:
    return _sellmeier(wl, ((2.316, 0.6263), (2.765, 32.935)), a0=7.255)


def _bcb(wl: np.ndarray) -> np.ndarray:
    return 1.5318 + 0.0088 / (wl * wl)


def _air(wl: np.ndarray) -> np.ndarray:
    return np.ones_like(wl)


si3n4 = Material("Si3N4", _si3n4, 0.31, 5.504, 2.45e-5, "Luke et al., Opt. Lett. 40, 4823 (2015)")
sio2 = Material("SiO2", _sio2, 0.21, 6.7, 0.95e-5, "Malitson, J. Opt. Soc. Am. 55, 1205 (1965)")
inp = Material("InP", _inp, 0.95, 10.0, 2.0e-4, "Pettit & Turner, J. Appl. Phys. 36, 2081 (1965)")
bcb = Material("BCB", _bcb, 1.2, 1.7, -2.5e-5, "Dow Cyclotene 3000 data sheet, Cauchy fit")
air = Material("air", _air, 0.2, 20.0, 0.0, "vacuum index")

_HC_EV_UM = 1.239841984


def _bandgap_eV(y: float) -> float:
    return 1.35 - 0.72 * y + 0.12 * y * y


def ingaasp_y_from_bandgap(lambda_g_um: float) -> float:
    """Arsenic fraction y of lattice-matched InGaAsP with bandgap wavelength ``lambda_g_um``.

    Inverts E_g(y) = 1.35 - 0.72 y + 0.12 y^2 (Nahory 1978); valid 0.918 <= lambda_g <= 1.65 um.
    """
    check_range("lambda_g_um", lambda_g_um, 0.918, 1.65, "um")
    eg = _HC_EV_UM / lambda_g_um
    # 0.12 y^2 - 0.72 y + (1.35 - eg) = 0 -> smaller root
    disc = 0.72**2 - 4 * 0.12 * (1.35 - eg)
    y = (0.72 - math.sqrt(disc)) / (2 * 0.12)
    return min(max(y, 0.0), 1.0)


def _mso_index(wl: np.ndarray, y: float) -> np.ndarray:
    """Broberg & Lindgren (1984) modified single-oscillator model, lattice-matched InGaAsP."""
    x = 0.1894 * y / (0.4184 - 0.013 * y)
    e0 = 0.595 * x * x * (1 - y) + 1.626 * x * y - 1.891 * y + 0.524 * x + 3.391
    ed = (12.36 * x - 12.71) * y + 7.54 * x + 28.91
    eg = _bandgap_eV(y)
    e = _HC_EV_UM / wl
    eta = math.pi * ed / (2 * e0**3 * (e0 * e0 - eg * eg))
    n2 = (
        1
        + ed / e0
        + ed * e * e / e0**3
        + eta / math.pi * e**4 * np.log((2 * e0 * e0 - eg * eg - e * e) / (eg * eg - e * e))
    )
    return np.sqrt(n2)


@functools.lru_cache(maxsize=64)
def ingaasp(lambda_g_um: float) -> Material:
    """Lattice-matched InGaAsP ``Q(lambda_g_um)`` (e.g. 1.25 for Q1.25), Broberg & Lindgren 1984."""
    y = ingaasp_y_from_bandgap(lambda_g_um)
    return Material(
        name=f"Q{lambda_g_um:.2f}",
        index=functools.partial(_mso_index, y=y),
        wl_min_um=lambda_g_um + 0.1,
        wl_max_um=2.0,
        dn_dT_per_K=2.3e-4,
        source="Broberg & Lindgren, J. Appl. Phys. 55, 3376 (1984); lattice matching after Nahory 1978",
    )


MATERIALS: dict[str, Material] = {m.name: m for m in (si3n4, sio2, inp, bcb, air)}


@dataclass(frozen=True)
class ThermalProperties:
    """Thermal constants of a material at room temperature (for thermo-refractive noise and heaters)."""

    name: str
    conductivity_W_per_m_K: float
    density_kg_per_m3: float
    specific_heat_J_per_kg_K: float
    source: str


#: Fused silica / thermal oxide at 25 C: Corning HPFS 7980 fused-silica data sheet (k = 1.38 W/(m K),
#: rho = 2201 kg/m^3, c = 741 J/(kg K)); the values Huang et al., PRA 99, 061801 (2019) use for the SiO2
#: cladding of Si3N4 rings.
SIO2_THERMAL = ThermalProperties("SiO2", 1.38, 2201.0, 741.0,
                                 "Corning HPFS 7980 fused silica data sheet; Huang et al., PRA 99, 061801 (2019)")


def get_material(name: str) -> Material:
    """Material by name: ``Si3N4, SiO2, InP, BCB, air`` or ``Q<lambda_g>`` such as ``Q1.25``."""
    if name in MATERIALS:
        return MATERIALS[name]
    if name.startswith("Q"):
        try:
            lg = float(name[1:])
        except ValueError:
            pass
        else:
            return ingaasp(lg)
    raise InputError(f"unknown material {name!r}; known: {sorted(MATERIALS)} or 'Q<bandgap um>' e.g. 'Q1.25'")
