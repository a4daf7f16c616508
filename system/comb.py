"""Server microcomb: self-injection locking (SIL) of the DFB and the dark-pulse comb lines.

SIL (physics.md 2.1 [R], structure of Kondratiev et al., Opt. Express 25, 28167 (2017)):
``K = 2 k_c sqrt(1+alpha_H^2) t_c^2 |r0| / kappa``, ``|r0| = 2 eta Gamma/(1+Gamma^2)``,
stabilisation ``F_max = 1 + 2K/(1+Gamma^2)``, white-noise linewidth ``dnu_free / F_max^2``, locking
range ``c(Gamma) k_c sqrt(1+alpha_H^2) t_c^2 |r0|`` with c = 1.30, 1.38, 1.61, 2.36 at
Gamma = 0.1, 0.5, 1, 2 (physics.md 2.1 [V], interpolated). Valid for Gamma <= 2 and K >> 1.
The short-term linewidth of the comb lines is ``dnu_free/F^2 + dnu_floor``; the floor (thermorefractive
and technical noise, Huang et al. PRA 99, 061801 (2019)) is **calibrated to the article**: 13 Hz^2/Hz
white floor -> pi * 13 = 40.8 Hz.

Dark-pulse comb (physics.md 2.3-2.4): stationary solution of the normalised LLE
``dpsi/dt = -(1+i a) psi + i|psi|^2 psi + i d2 d^2psi/dtheta^2 ... + F`` (Chembo & Menyuk, PRA 87,
053852 (2013)) computed with sqzcomb 0.17 (split-step ``lle_evolve`` from a low-state domain, then
``newton_state``), N = 128 modes, dt = 0.005 (N = 512 / dt = 0.02 gives a grid artefact). Line powers
``P_mu = P_in |delta_mu0 - 2 eta psi_mu / F|^2``. Valid for normal dispersion (d2 > 0), a = 4 and
F^2 in [4.44, 4.96] where stationary dark pulses exist; the pump power follows from
``F^2 = 8 gamma L kappa_ex P_in/(kappa^3 t_R^2)`` (physics.md 1.5). The LLE result is cached on the
rounded inputs (one solve takes about 1-2 s).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..constants import C_M_PER_S
from ..validate import Frozen, InputError, check_range
from .devices import ServerMetrics

__all__ = ["SILParams", "CombParams", "CombState", "sil_metrics", "dark_pulse_lines", "comb_state"]

DARK_PULSE_F2_RANGE = (4.44, 4.96)
#: Normalised normal dispersion d2 = -2 D2 / kappa that the dark-pulse LLE model resolves.
DARK_PULSE_D2_RANGE = (0.005, 1.0)


class SILParams(Frozen):
    """DFB laser and its coupling to the ring (physics.md 2.1 illustrative numbers, [T])."""

    k_c_per_s: float = 7.0e10
    alpha_H: float = 3.5
    coupling_efficiency: float = 0.3  # t_c^2, laser-to-ring double pass
    free_running_linewidth_Hz: float = 1.0e5  # DFB Lorentzian linewidth (typical InP DFB, assumption)
    floor_Hz2_per_Hz: float = 13.0  # white frequency-noise floor [paper] (calibration)

    def __init__(self, **data):
        super().__init__(**data)
        check_range("k_c_per_s", self.k_c_per_s, 1e8, 1e13, "1/s")
        check_range("alpha_H", self.alpha_H, 0.0, 20.0)
        check_range("coupling_efficiency", self.coupling_efficiency, 0.0, 1.0, lo_open=True)
        check_range("free_running_linewidth_Hz", self.free_running_linewidth_Hz, 1.0, 1e9, "Hz")
        check_range("floor_Hz2_per_Hz", self.floor_Hz2_per_Hz, 0.0, 1e6, "Hz^2/Hz")


def sil_metrics(server: ServerMetrics, sil: SILParams | None = None) -> dict:
    """Locking range, stabilisation coefficient and linewidth of the self-injection-locked DFB."""
    sil = sil or SILParams()
    gam = server.backscatter_gamma_norm
    check_range("backscatter_gamma_norm", gam, 1e-3, 2.0)
    eta = server.coupling_ratio
    kappa = server.kappa_per_s
    r0 = 2 * eta * gam / (1 + gam**2)
    root = math.sqrt(1 + sil.alpha_H**2)
    K = 2 * sil.k_c_per_s * root * sil.coupling_efficiency * r0 / kappa
    f_max = 1 + 2 * K / (1 + gam**2)
    c = float(np.interp(gam, [0.1, 0.5, 1.0, 2.0], [1.30, 1.38, 1.61, 2.36]))
    lock_range_Hz = c * sil.k_c_per_s * root * sil.coupling_efficiency * r0 / (2 * math.pi)
    floor_Hz = math.pi * sil.floor_Hz2_per_Hz
    lw = sil.free_running_linewidth_Hz / f_max**2 + floor_Hz
    return {
        "K": K,
        "stabilisation_F": f_max,
        "noise_suppression_dB": 20 * math.log10(f_max),
        "locking_range_Hz": lock_range_Hz,
        "reflection_r0": r0,
        "linewidth_Hz": lw,
        "linewidth_floor_Hz": floor_Hz,
    }


@functools.lru_cache(maxsize=64)
def _dark_pulse_cached(d2: float, f2: float, a: float) -> tuple:
    from sqzcomb import homogeneous_steady_states, lle_evolve, newton_state

    n = 128
    F = math.sqrt(f2)
    th = np.linspace(0, 2 * np.pi, n, endpoint=False)
    states = homogeneous_steady_states(F, a)
    lo, hi = float(np.min(states)), float(np.max(states))

    def field(r):
        return F / (1 + 1j * (a - r))

    psi0 = np.where(np.abs(th - np.pi) < 0.3, field(lo), field(hi)).astype(complex)
    psi = lle_evolve(psi0, F, a, dispersion=(d2,), t_end=400.0, dt=0.005)
    try:
        psi = newton_state(psi, F, a, dispersion=(d2,))
    except RuntimeError as exc:  # pragma: no cover - reported, never a silent NaN
        raise InputError(f"dark-pulse LLE did not converge for d2 = {d2}, F^2 = {f2}: {exc}") from None
    psi = psi[0] if isinstance(psi, tuple) else psi
    pm = np.fft.fft(psi) / n
    mu = np.fft.fftfreq(n, 1 / n).astype(int)
    return tuple(mu.tolist()), tuple(pm.tolist())


def dark_pulse_lines(d2: float, eta: float, f2: float = 4.70, a: float = 4.0, lines=range(-5, 9)) -> dict[int, float]:
    """Out-coupled power of each comb line relative to the pump power in the bus, |s_out/s_in|^2.

    ``d2`` normalised normal dispersion in [0.005, 1], ``eta`` coupling ratio in (0, 1),
    ``f2`` in [4.44, 4.96] (stationary dark pulses at a = 4, physics.md 2.3).
    """
    check_range("d2", d2, *DARK_PULSE_D2_RANGE)
    check_range("eta", eta, 0.0, 1.0, lo_open=True, hi_open=True)
    check_range("f2", f2, *DARK_PULSE_F2_RANGE)
    check_range("a", a, 3.5, 4.5)
    mu, pm = _dark_pulse_cached(round(float(d2), 3), round(float(f2), 2), round(float(a), 2))
    pm = np.asarray(pm)
    F = math.sqrt(f2)
    out = {}
    for m in lines:
        amp = -2 * eta * pm[mu.index(m)] / F + (1.0 if m == 0 else 0.0)
        out[int(m)] = float(abs(amp) ** 2)
    return out


class CombParams(Frozen):
    """Operating point of the comb: normalised detuning and pump (the SIL selects them)."""

    detuning_norm: float = 4.0
    pump_f2: float = 4.70  # Maxwell point (physics.md 2.3 [V])
    output_coupling_loss_dB: float = 0.0  # chip-to-fibre loss after the bus (assumption: packaged)

    def __init__(self, **data):
        super().__init__(**data)
        check_range("detuning_norm", self.detuning_norm, 3.5, 4.5)
        check_range("pump_f2", self.pump_f2, *DARK_PULSE_F2_RANGE)
        check_range("output_coupling_loss_dB", self.output_coupling_loss_dB, 0.0, 20.0, "dB")


class CombState(Frozen):
    """Comb result: line powers (mW) for lines -5..+8, linewidth, pump power and SIL figures."""

    line_power_mW: dict[int, float]
    total_power_mW: float
    pump_power_mW: float
    linewidth_Hz: float
    sil: dict[str, float]


def comb_state(server: ServerMetrics | None = None, comb: CombParams | None = None, sil: SILParams | None = None) -> CombState:
    """Dark-pulse comb lines of the server ring at its dark-pulse operating point."""
    server = server or ServerMetrics()
    comb = comb or CombParams()
    eta = server.coupling_ratio
    kappa = server.kappa_per_s
    kappa_ex = eta * kappa
    fsr = server.fsr_GHz * 1e9
    t_r = 1 / fsr
    length_m = C_M_PER_S / (server.n_g * fsr)
    p_in_W = comb.pump_f2 * kappa**3 * t_r**2 / (8 * server.gamma_per_W_per_m * length_m * kappa_ex)
    rel = dark_pulse_lines(server.d2_norm, eta, comb.pump_f2, comb.detuning_norm, range(-20, 21))
    out_loss = 10 ** (-comb.output_coupling_loss_dB / 10)
    lines = {m: p_in_W * 1e3 * rel[m] * out_loss for m in range(-5, 9)}
    total = p_in_W * 1e3 * sum(rel.values()) * out_loss
    s = sil_metrics(server, sil)
    return CombState(line_power_mW=lines, total_power_mW=total, pump_power_mW=p_in_W * 1e3,
                     linewidth_Hz=s["linewidth_Hz"], sil=s)
