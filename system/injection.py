"""Optical injection locking of a client DBR laser to its comb line (physics.md 3.1).

Adler/Mogensen model for weak injection (Adler, Proc. IRE 34, 351 (1946); Mogensen, Olesen &
Jacobsen, IEEE JQE 21, 784 (1985); Lau, Wong & Wu, IEEE JSTQE 15, 618 (2009)), injection ratio
``rho = P_inj / P_slave``:

* static locking range ``-k_c sqrt(rho) sqrt(1+alpha_H^2) <= Delta_omega <= +k_c sqrt(rho)``
  (red side negative, ``Delta_omega = omega_master - omega_free``);
* the DBR is set to the centre of the stable range with a set-point error (worst case, red);
* stability: for ``k_c sqrt(rho) >= 0.05 omega_R`` a Hopf bifurcation removes the blue side
  (physics.md 3.1 [V], class-B rate equations of Wieczorek et al., Phys. Rep. 416, 1 (2005));
  we then keep only ``[-k sqrt(rho) sqrt(1+a^2), -1.42 k sqrt(rho)]`` (the K = 0.05 column);
* locked phase ``sin(phi0 + atan alpha_H) = -Delta_omega / (k sqrt(rho) sqrt(1+a^2))``, loop bandwidth
  ``f_L = k sqrt(rho) sqrt(1+a^2) cos(phi0 + atan alpha_H) / 2 pi``; residual slave-vs-master
  phase variance from the free slave's white frequency noise ``sigma^2 = dnu_free / (2 f_L)``;
* locked linewidth = comb-line linewidth + ``distribution_excess_Hz`` (noise added in distribution:
  fibre, demultiplexer, amplifiers). The excess default 19 Hz is **calibrated to the article**
  (40.8 Hz comb vs ~60 Hz locked).
Valid for rho <= 0.1 (weak injection), single-mode slave, constant alpha_H.
"""

from __future__ import annotations

import math

from ..validate import Frozen, check_range
from .devices import TransmitterMetrics

__all__ = ["InjectionParams", "injection_lock"]


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
    check_range("line_power_mW", line_power_mW, 1e-12, 1e3, "mW")
    check_range("downstream_km", downstream_km, 0.0, 500.0, "km")
    check_range("comb_linewidth_Hz", comb_linewidth_Hz, 0.0, 1e9, "Hz")
    fibre_dB = 0.0 if reamplified else downstream_km * downstream_loss_dB_per_km
    p_inj = line_power_mW * 10 ** (-(fibre_dB + p.demux_loss_dB + tx.chip_coupling_loss_dB) / 10)
    rho = p_inj / tx.output_power_mW
    check_range("injection_ratio", rho, 0.0, 0.1)
    k = 2 * math.pi * tx.coupling_rate_GHz * 1e9
    root = math.sqrt(1 + tx.alpha_H**2)
    ks = k * math.sqrt(rho)
    red_Hz, blue_Hz = -ks * root / (2 * math.pi), ks / (2 * math.pi)
    hopf = ks >= 0.05 * 2 * math.pi * p.relaxation_frequency_GHz * 1e9
    if hopf:
        blue_Hz = -1.42 * ks / (2 * math.pi)
    reachable = comb_line in tx.reachable_comb_lines and tx.working
    # the client tunes its DBR (current, heater) to the centre of the stable range; the set-point
    # error moves it towards the red edge (worst case, where the loop bandwidth is smallest)
    det_Hz = 0.5 * (red_Hz + blue_Hz) - p.setpoint_error_MHz * 1e6
    in_range = red_Hz <= det_Hz <= blue_Hz
    locked = bool(reachable and in_range)
    if in_range:
        s = max(-1.0, min(1.0, -2 * math.pi * det_Hz / (ks * root)))
        cos_term = math.sqrt(max(1 - s * s, 0.0))
    else:
        cos_term = 0.0
    f_l = ks * root * cos_term / (2 * math.pi)
    var = tx.free_running_linewidth_Hz / (2 * f_l) if f_l > 0 else math.inf
    return {
        "locked": locked,
        "reachable": bool(reachable),
        "injection_ratio_dB": 10 * math.log10(rho) if rho > 0 else -math.inf,
        "injected_power_mW": p_inj,
        "locking_range_red_Hz": red_Hz,
        "locking_range_blue_Hz": blue_Hz,
        "blue_side_unstable": bool(hopf),
        "loop_bandwidth_Hz": f_l,
        "residual_phase_var_rad2": var,
        "linewidth_Hz": comb_linewidth_Hz + p.distribution_excess_Hz if locked else tx.free_running_linewidth_Hz,
    }
