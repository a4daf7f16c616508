"""Optical injection locking of a client DBR laser to its comb line (physics.md 3.1).

Adler/Mogensen model for weak injection (Adler, Proc. IRE 34, 351 (1946); Mogensen, Olesen &
Jacobsen, IEEE JQE 21, 784 (1985); Lau, Wong & Wu, IEEE JSTQE 15, 618 (2009)), injection ratio
``rho = P_inj / P_slave``:

* static locking range ``-k_c sqrt(rho) sqrt(1+alpha_H^2) <= Delta_omega <= +k_c sqrt(rho)``
  (red side negative, ``Delta_omega = omega_master - omega_free``);
* the DBR is set to the centre of the stable range with a set-point error (worst case, red);
* stability: the stable locking range is computed from the steady states of the class-B rate
  equations (:func:`stable_locking_range`, normalised form of Wieczorek et al., Phys. Rep. 416, 1
  (2005); physics.md 3.1 [V]) for any injection strength ``K = k_c sqrt(rho) / omega_R``: the
  whole Adler band for very weak injection, the red part only once a Hopf bifurcation removes the
  blue side (K >~ 0.03), narrowing towards the red edge as K grows;
* locked phase ``sin(phi0 + atan alpha_H) = -Delta_omega / (k sqrt(rho) sqrt(1+a^2))``, loop bandwidth
  ``f_L = k sqrt(rho) sqrt(1+a^2) cos(phi0 + atan alpha_H) / 2 pi``; residual slave-vs-master
  phase variance from the free slave's white frequency noise ``sigma^2 = dnu_free / (2 f_L)``;
* locked linewidth = comb-line linewidth + ``distribution_excess_Hz`` (noise added in distribution:
  fibre, demultiplexer, amplifiers). The excess default 19 Hz is **calibrated to the article**
  (40.8 Hz comb vs ~60 Hz locked).
Valid for rho <= 10 (up to 10 dB more injected power than the slave's own: the class-B rate
equations of a single-mode slave still hold, the slave then acts as an injection-seeded
amplifier), constant alpha_H. The locked phase and
loop bandwidth use the Adler forms, exact for weak injection and approximate beyond.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..validate import Frozen, check_range
from .devices import TransmitterMetrics

__all__ = ["InjectionParams", "injection_lock", "stable_locking_range", "RATE_EQUATIONS"]

#: Normalised class-B rate-equation parameters of the stability map (physics.md 3.1 [V]): damping
#: Gamma and gain nonlinearity B of an InP DBR (time in units of 1/omega_R).
RATE_EQUATIONS = {"Gamma": 0.035, "B": 0.015}


def _jacobian_stable(x, n, w, K, alpha_H, gamma, b):
    import numpy as np

    E = -K / (n + 1j * (alpha_H * n - w))
    a, bb = E.real, E.imag
    g = alpha_H * n - w
    J = np.zeros(np.shape(x) + (3, 3))
    J[..., 0, 0], J[..., 0, 1], J[..., 0, 2] = n, -g, a - alpha_H * bb
    J[..., 1, 0], J[..., 1, 1], J[..., 1, 2] = g, n, bb + alpha_H * a
    J[..., 2, 0], J[..., 2, 1] = -(1 + 2 * b * n) * 2 * a, -(1 + 2 * b * n) * 2 * bb
    J[..., 2, 2] = -2 * gamma - 2 * b * (x - 1)
    return np.all(np.linalg.eigvals(J).real < 0, axis=-1)


def stable_locking_range(K: float, alpha_H: float, *, gamma: float = RATE_EQUATIONS["Gamma"],
                         b: float = RATE_EQUATIONS["B"], n_points: int = 801) -> tuple[float, float]:
    """Stable detuning range (omega_master - omega_free, in units of K) of an injected class-B laser.

    Normalised equations (time in 1/omega_R): dE/dt = K + [(1 + i alpha) n - i w] E,
    dn/dt = -2 Gamma n - (1 + 2 B n)(|E|^2 - 1). At each detuning w of a grid spanning the Adler
    band, the steady states are the real roots x = |E|^2 > 0 of the cubic
    x [(x - 1)^2 + (alpha (x - 1) + w d)^2] = K^2 d^2, d = 2 Gamma + 2 B (x - 1) > 0, with
    n = -(x - 1)/d; a steady state is stable when the Jacobian's eigenvalues have negative real
    parts. Returns (min, max) of the red-most connected interval of detunings with a stable steady
    state, in units of K; (nan, nan) if there is none.
    """
    check_range("K", K, 1e-6, 100.0)
    return _stable_range(round(float(K), 9), float(alpha_H), float(gamma), float(b), int(n_points))


@functools.lru_cache(maxsize=256)
def _stable_range(K, alpha_H, gamma, b, n_points):
    import numpy as np

    root = math.sqrt(1 + alpha_H**2)
    w_grid = np.linspace(-1.05 * root, 1.05, n_points) * K
    ok = np.zeros(n_points, dtype=bool)
    for i, w in enumerate(w_grid):
        # polynomial in y = x - 1: (y + 1)[y^2 + (alpha y + w (2G + 2B y))^2] - K^2 (2G + 2B y)^2
        c1, c0 = alpha_H + 2 * b * w, 2 * gamma * w  # alpha y + w d = c1 y + c0
        quad = np.array([1 + c1**2, 2 * c1 * c0, c0**2])  # y^2 + (c1 y + c0)^2
        poly = np.polyadd(np.polymul([1.0, 1.0], quad), -K**2 * np.polymul([2 * b, 2 * gamma], [2 * b, 2 * gamma]))
        y = np.roots(poly)
        y = y[np.abs(y.imag) < 1e-9 * (1 + np.abs(y.real))].real
        d = 2 * gamma + 2 * b * y
        y = y[(y > -1) & (d > 0)]
        if y.size:
            x = y + 1
            ok[i] = bool(np.any(_jacobian_stable(x, -y / (2 * gamma + 2 * b * y), w, K, alpha_H, gamma, b)))
    if not ok.any():
        return math.nan, math.nan
    lo = int(np.argmax(ok))
    hi = lo
    while hi + 1 < n_points and ok[hi + 1]:
        hi += 1
    return float(w_grid[lo] / K), float(w_grid[hi] / K)


class InjectionParams(Frozen):
    """Injection path and slave dynamics not in the transmitter metrics (assumptions, sources)."""

    relaxation_frequency_GHz: float = 5.0  # InP DBR f_R 3-8 GHz (physics.md 3.2 [T])
    demux_loss_dB: float = 3.0  # comb-line demultiplexer at the client zone (assumption)
    setpoint_error_MHz: float = 100.0  # DBR set-point error/drift around the centre of the stable range (assumption)
    distribution_excess_Hz: float = 19.0  # calibrated: 60 Hz locked [paper] - 40.8 Hz comb

    def __init__(self, **data):
        super().__init__(**data)
        check_range("relaxation_frequency_GHz", self.relaxation_frequency_GHz, 0.1, 100.0, "GHz")
        check_range("demux_loss_dB", self.demux_loss_dB, 0.0, 40.0, "dB")
        check_range("setpoint_error_MHz", self.setpoint_error_MHz, 0.0, 1e5, "MHz")
        check_range("distribution_excess_Hz", self.distribution_excess_Hz, 0.0, 1e6, "Hz")


def injection_lock(
    line_power_mW: float,
    comb_line: int,
    comb_linewidth_Hz: float,
    tx: TransmitterMetrics,
    *,
    downstream_km: float = 0.0,
    downstream_loss_dB_per_km: float = 0.2,
    reamplified: bool = False,
    params: InjectionParams | None = None,
) -> dict:
    """Whether the client's DBR locks to ``comb_line`` and the locked-laser figures.

    ``line_power_mW`` is the comb-line power leaving the server; it reaches the slave after the
    downstream fibre (restored to the launch power if ``reamplified``, as for the article's 120-km
    downstream link), the demultiplexer and the chip coupling.
    """
    p = params or InjectionParams()
    check_range("line_power_mW", line_power_mW, 0.0, 1e3, "mW")
    check_range("downstream_km", downstream_km, 0.0, 500.0, "km")
    check_range("comb_linewidth_Hz", comb_linewidth_Hz, 0.0, 1e9, "Hz")
    from .chain import lock_batch

    r = lock_batch(line_power_mW=line_power_mW, comb_linewidth_Hz=comb_linewidth_Hz, k_c_per_s=tx.mirror_rate_per_s,
                   alpha_H=tx.alpha_H, free_running_linewidth_Hz=tx.free_running_linewidth_Hz,
                   output_power_mW=tx.output_power_mW, chip_coupling_loss_dB=tx.chip_coupling_loss_dB,
                   downstream_km=downstream_km, downstream_loss_dB_per_km=downstream_loss_dB_per_km,
                   reamplified=reamplified, demux_loss_dB=p.demux_loss_dB,
                   relaxation_frequency_GHz=p.relaxation_frequency_GHz, setpoint_error_MHz=p.setpoint_error_MHz,
                   distribution_excess_Hz=p.distribution_excess_Hz)
    r = {k: (bool(v) if np.asarray(v).dtype == bool else float(v)) for k, v in r.items()}
    reachable = bool(comb_line in tx.reachable_comb_lines and tx.working)
    locked = bool(reachable and r.pop("in_range"))
    if not locked:
        r["linewidth_Hz"] = tx.free_running_linewidth_Hz
    return {"locked": locked, "reachable": reachable, **r}
