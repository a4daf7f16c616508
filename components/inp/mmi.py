"""1x2 and 2x2 deep-ridge MMIs; the body length follows from self-imaging by default.

Self-imaging (Soldano & Pennings, J. Lightwave Technol. 13, 615 (1995)): L_pi = 4 n_r W_e^2 / (3 wl)
with the vertical slab index n_r of the epi stack (1-D finite-difference solve here, from
``pdk.materials``) and the TE effective width W_e = W + wl/(pi sqrt(n_r^2 - n_c^2)) (n_c: BCB);
1x2 symmetric interference L = 3 L_pi / 8 (outputs at +-W/4), 2x2 general interference 3 dB
L = 3 L_pi / 2 (ports at +-W/6). The model (``models.inp``) evaluates the drawn length by mode
propagation and finds what the paraxial formula misses (imbalance, excess loss).
"""

from __future__ import annotations

import functools
import math

import gdsfactory as gf
import numpy as np

from ...constants import LAMBDA0_UM
from ...pdk.inp.tech import LAYER, EpiStack
from ...pdk.inp.xsections import xs_deep
from ...pdk.materials import get_material
from ...validate import check_range

__all__ = ["mmi1x2", "mmi2x2", "self_imaging_length"]

_DEEP_SPACE_MIN_UM = 0.6  # DEEP.S.1


@functools.lru_cache(maxsize=16)
def _slab_index(wl_um: float) -> float:
    from scipy.linalg import eigh_tridiagonal

    e = EpiStack()
    dx = 0.005
    y = np.arange(-2.5, e.core_thickness_um + e.top_clad_um + 1.0, dx)
    n_inp, n_q = get_material("InP").n(wl_um), get_material(e.core_material).n(wl_um)
    n = np.where(y < 0, n_inp, np.where(y < e.core_thickness_um, n_q, np.where(y < e.core_thickness_um + e.top_clad_um, n_inp, 1.0)))
    k0 = 2 * math.pi / wl_um
    w = eigh_tridiagonal(-2 / dx**2 + (k0 * n) ** 2, np.full(n.size - 1, 1 / dx**2), eigvals_only=True,
                         select="i", select_range=(n.size - 1, n.size - 1))
    return float(math.sqrt(w[-1]) / k0)


def self_imaging_length(n_in: int, width: float, wl_um: float = LAMBDA0_UM) -> float:
    """Self-imaging length (um) of a 1x2 (``n_in=1``) or 2x2 (``n_in=2``) MMI of body ``width``."""
    n_r = _slab_index(round(wl_um, 6))
    n_c = float(get_material("BCB").n(wl_um))
    we = width + wl_um / (math.pi * math.sqrt(n_r**2 - n_c**2))
    lpi = 4 * n_r * we**2 / (3 * wl_um)
    return round(3 * lpi / 8 if n_in == 1 else 3 * lpi / 2, 3)


def _mmi(n_in: int, width: float, length: float | None, access_width: float, taper_length: float,
         wg_width: float) -> gf.Component:
    check_range("width", width, 3.0, 12.0, "um")
    check_range("access_width", access_width, wg_width, 4.0, "um")
    check_range("taper_length", taper_length, 5.0, 200.0, "um")
    check_range("wg_width", wg_width, 0.8, 3.0, "um")
    L = self_imaging_length(n_in, width) if length is None else length
    check_range("length", L, 5.0, 1000.0, "um")
    pin = [0.0] if n_in == 1 else [width / 6, -width / 6]
    pout = [width / 4, -width / 4] if n_in == 1 else [width / 6, -width / 6]
    for side in (pin, pout):
        if len(side) == 2 and abs(side[0] - side[1]) - access_width < _DEEP_SPACE_MIN_UM:
            raise ValueError(f"access_width = {access_width} um leaves a gap of {abs(side[0]-side[1]) - access_width:.3f} um "
                             f"between access tapers of an MMI {width} um wide; DEEP.S.1 needs >= {_DEEP_SPACE_MIN_UM} um")
    c = gf.Component()
    c.add_polygon([(0, -width / 2), (L, -width / 2), (L, width / 2), (0, width / 2)], layer=LAYER.WG_DEEP)
    xs = xs_deep(width=wg_width)
    names_in = ["o1"] if n_in == 1 else ["o1", "o2"]
    names_out = ["o2", "o3"] if n_in == 1 else ["o4", "o3"]
    for names, pos, x0, sgn in ((names_in, pin, 0.0, -1), (names_out, pout, L, 1)):
        for name, y in zip(names, pos):
            xe = x0 + sgn * taper_length
            c.add_polygon([(x0, y - access_width / 2), (xe, y - wg_width / 2), (xe, y + wg_width / 2),
                           (x0, y + access_width / 2)], layer=LAYER.WG_DEEP)
            c.add_port(name, center=(xe, y), width=wg_width, orientation=180 if sgn < 0 else 0, cross_section=xs)
    c.info.update(dict(width=float(width), length=float(L), access_width=float(access_width), taper_length=float(taper_length)))
    return c


@gf.cell
def mmi1x2(width: float = 6.0, length: float | None = None, access_width: float = 2.0, taper_length: float = 30.0,
           wg_width: float = 1.5) -> gf.Component:
    """1x2 deep-ridge MMI (o1 input; o2 top, o3 bottom); ``length=None`` -> self-imaging 3 L_pi/8."""
    return _mmi(1, width, length, access_width, taper_length, wg_width)


@gf.cell
def mmi2x2(width: float = 8.0, length: float | None = None, access_width: float = 2.0, taper_length: float = 30.0,
           wg_width: float = 1.5) -> gf.Component:
    """2x2 deep-ridge MMI (o1 top-left, o2 bottom-left, o3 bottom-right, o4 top-right);
    ``length=None`` -> general-interference 3 dB length 3 L_pi/2."""
    return _mmi(2, width, length, access_width, taper_length, wg_width)
