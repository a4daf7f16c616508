"""Fibre link, WDM and detection: noise-click probability per window per detector (physics.md 6.4).

Per detection window (gate ``tau_g``) and per detector (two detectors share the noise photons):
``p_noise = R_dark tau_g + eta_det tau_g (N_Raman + N_Rayleigh + N_xt) / 2`` with photon rates
``N = P / (h nu)`` at the detector input (after the server insertion loss):

* spontaneous Raman from the classical light co-propagating in the upstream fibre (the other
  channels and the lambda_0 reference): ``P_R = P_in exp(-alpha L) beta L dlambda``
  (Peters et al., NJP 11, 045012 (2009); beta = 3e-9 /(km nm) default, physics.md 6.4 [V/T]);
* Rayleigh backscatter of downstream comb light: ``P_RB = P_in S alpha_s (1 - exp(-2 alpha L))/(2 alpha)``,
  S = 1.2e-3, alpha_s = 0.17 dB/km; only when downstream and upstream share a fibre (the article
  uses separate down- and upstream fibres, so it is zero by default);
* WDM leakage ``P_xt = sum_j P_j 10^(-X_j/10)`` with adjacent-channel isolation X_adj and
  non-adjacent X_far.
Valid for L <= 1000 km per arm, launch powers <= 10 mW (spontaneous, undepleted regime).
"""

from __future__ import annotations

import math

from ..constants import H_J_S, NU0_HZ
from ..validate import Frozen, check_range

__all__ = ["LinkParams", "noise_budget"]

LN10_10 = math.log(10) / 10


class LinkParams(Frozen):
    """Fibre, server and detector assumptions (the article gives none of these numbers).

    * fibre 0.2 dB/km: standard G.652 SMF at 1550 nm (Corning SMF-28 datasheet <= 0.18-0.20 dB/km);
    * SNSPD efficiency 0.6 and dark count 10 /s, effective gate 1 ns: typical of SNS-TF-QKD
      experiments (Chen et al., PRL 124, 070501 (2020)); assumptions, not checked against a table;
    * server insertion loss 1.5 dB (demultiplexer, beamsplitter, polarisation control; assumption);
    * filter bandwidth 0.08 nm (10 GHz inside the 30-GHz grid) and isolation 65 dB adjacent /
      75 dB non-adjacent (cascaded DWDM + narrow filter, assumption);
    * other channels launch 25 nW average each (the article runs non-target channels "at high
      intensity" to upper-bound crosstalk and noise; assumption calibrated with QBER_X vs distance);
    * Raman beta 3e-9 /(km nm) (physics.md 6.4).
    """

    loss_dB_per_km: float = 0.2
    detector_efficiency: float = 0.6
    dark_count_rate_Hz: float = 10.0
    gate_ns: float = 1.0
    server_loss_dB: float = 1.5
    filter_bandwidth_nm: float = 0.08
    isolation_adjacent_dB: float = 65.0
    isolation_far_dB: float = 75.0
    neighbour_launch_power_nW: float = 25.0
    reference_launch_power_nW: float = 25.0
    raman_beta_per_km_nm: float = 3e-9
    shared_downstream_fibre: bool = False
    rayleigh_capture: float = 1.2e-3
    rayleigh_alpha_dB_per_km: float = 0.17

    def __init__(self, **data):
        super().__init__(**data)
        check_range("loss_dB_per_km", self.loss_dB_per_km, 0.0, 1.0, "dB/km")
        check_range("detector_efficiency", self.detector_efficiency, 0.0, 1.0, lo_open=True)
        check_range("dark_count_rate_Hz", self.dark_count_rate_Hz, 0.0, 1e6, "Hz")
        check_range("gate_ns", self.gate_ns, 0.01, 100.0, "ns")
        check_range("server_loss_dB", self.server_loss_dB, 0.0, 30.0, "dB")
        check_range("filter_bandwidth_nm", self.filter_bandwidth_nm, 1e-4, 10.0, "nm")
        check_range("isolation_adjacent_dB", self.isolation_adjacent_dB, 0.0, 200.0, "dB")
        check_range("isolation_far_dB", self.isolation_far_dB, 0.0, 200.0, "dB")
        check_range("neighbour_launch_power_nW", self.neighbour_launch_power_nW, 0.0, 1e7, "nW")
        check_range("reference_launch_power_nW", self.reference_launch_power_nW, 0.0, 1e7, "nW")
        check_range("raman_beta_per_km_nm", self.raman_beta_per_km_nm, 0.0, 1e-6, "1/(km nm)")


def noise_budget(
    channel: int,
    used_channels: list[int],
    arm_km: float,
    link: LinkParams | None = None,
    *,
    downstream_power_mW: float = 0.0,
    downstream_km: float = 0.0,
) -> dict[str, float]:
    """Noise-click probability per window per detector, by cause (dark, raman, rayleigh, crosstalk).

    ``channel`` is the comb line of the pair, ``used_channels`` every line carrying light in the
    upstream fibre (other pairs and the lambda_0 reference), ``arm_km`` the upstream fibre of one arm.
    """
    lk = link or LinkParams()
    check_range("arm_km", arm_km, 0.0, 1000.0, "km")
    check_range("downstream_power_mW", downstream_power_mW, 0.0, 10.0, "mW")
    hnu = H_J_S * NU0_HZ
    server = 10 ** (-lk.server_loss_dB / 10)
    tau = lk.gate_ns * 1e-9
    alpha = lk.loss_dB_per_km * LN10_10  # 1/km
    att = math.exp(-alpha * arm_km)
    others = [c for c in used_channels if c != channel]
    p_launch = [(lk.reference_launch_power_nW if c == 0 else lk.neighbour_launch_power_nW) * 1e-9 for c in others]
    p_raman = sum(p_launch) * att * lk.raman_beta_per_km_nm * arm_km * lk.filter_bandwidth_nm
    p_xt = sum(
        p * att * 10 ** (-(lk.isolation_adjacent_dB if abs(c - channel) == 1 else lk.isolation_far_dB) / 10)
        for c, p in zip(others, p_launch)
    )
    p_rb = 0.0
    if lk.shared_downstream_fibre and downstream_km > 0:
        a_s = lk.rayleigh_alpha_dB_per_km * LN10_10
        p_rb = downstream_power_mW * 1e-3 * lk.rayleigh_capture * a_s * (1 - math.exp(-2 * alpha * downstream_km)) / (2 * alpha)
    click = lambda p_w: lk.detector_efficiency * tau * server * p_w / hnu / 2  # noqa: E731
    return {
        "dark_counts": lk.dark_count_rate_Hz * tau,
        "raman": click(p_raman),
        "rayleigh": click(p_rb),
        "wdm_crosstalk": click(p_xt),
    }
