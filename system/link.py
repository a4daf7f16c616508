"""Fibre link, WDM and detection: noise-click probability per window per detector (physics.md 6.4).

Noise photons of **both arms** reach the server's 50:50 beam splitter, which splits them over its two
detectors, so per detection window (gate ``tau_g``) and per detector
``p_noise = R_dark tau_g + eta_det tau_g T_server sum_arms (N_Raman + N_Rayleigh + N_xt) / 2``
with photon rates ``N = P / (h nu)`` at the server input of each arm (one arm's worth per detector
for a symmetric link). Per arm:

* spontaneous Raman from the classical light co-propagating in the upstream fibre (the other
  channels and the lambda_0 reference): ``P_R = P_in exp(-alpha L) beta L dlambda``
  (Peters et al., NJP 11, 045012 (2009); beta = 3e-9 /(km nm) default, physics.md 6.4 [V/T]);
* Rayleigh backscatter of downstream comb light: ``P_RB = P_in S alpha_s (1 - exp(-2 alpha L))/(2 alpha)``,
  S = 1.2e-3, alpha_s = 0.17 dB/km; only when downstream and upstream share a fibre (the article
  uses separate down- and upstream fibres, so it is zero by default);
* WDM leakage ``P_xt = sum_j P_j exp(-alpha L) 10^(-X_j/10)`` with adjacent-channel isolation X_adj
  and non-adjacent X_far.

Launch powers (:func:`launch_powers_mW`) follow from the design, not from a QBER fit: each client's
lambda_0 reference is set (by its VOA) to the power that gives the phase tracking its detected
reference counts after the arm's fibre, within what the transmitter can emit and its VOA can
attenuate; the other pairs' quantum channels carry their strongest SNS state in every window (the
article runs the non-target channels at high intensity to upper-bound crosstalk and noise).
Valid for L <= 1000 km per arm, launch powers <= 10 mW (spontaneous, undepleted regime).
Every function broadcasts over numpy arrays of ``arm_km`` and the launch powers.
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import H_J_S, NU0_HZ
from ..validate import Frozen, check_range

__all__ = ["LinkParams", "launch_powers_mW", "noise_budget"]

LN10_10 = math.log(10) / 10


class LinkParams(Frozen):
    """Fibre, server and detector assumptions (the article gives none of these numbers).

    * fibre 0.2 dB/km: standard G.652 SMF at 1550 nm (Corning SMF-28 datasheet <= 0.18-0.20 dB/km);
    * SNSPD efficiency 0.6 and dark count 10 /s, effective gate 1 ns: typical of SNS-TF-QKD
      experiments (Chen et al., PRL 124, 070501 (2020)); assumptions, not checked against a table;
    * server insertion loss 1.5 dB (demultiplexer, beamsplitter, polarisation control; assumption);
    * filter bandwidth 0.08 nm (10 GHz inside the 30-GHz grid) and isolation 65 dB adjacent /
      75 dB non-adjacent (cascaded DWDM + narrow filter, assumption);
    * ``neighbour_launch_power_nW`` / ``reference_launch_power_nW`` = 25 nW: **fallback only**, used
      when the caller passes no launch powers (legacy value, calibrated with QBER_X vs distance);
      the network passes the design's values from :func:`launch_powers_mW`;
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


def launch_powers_mW(
    arm_km,
    link: LinkParams | None = None,
    *,
    ref_counts_per_s: float = 1.0e7,
    transmitter_output_mW: float = 5.0,
    transmitter_loss_dB: float = 8.0,
    voa_max_attenuation_dB=40.0,
    signal_photons_per_pulse: float = 0.45,
    rep_rate_GHz: float = 1.0,
) -> dict:
    """Launch powers into one upstream arm of ``arm_km`` (vectorised over ``arm_km`` and the VOA range).

    * Reference (lambda_0, one per client): the two clients' references together must give
      ``ref_counts_per_s`` detected counts at the server (the phase tracking's reference counts per
      sample times the sampling rate, e.g. ``PhaseTrackingParams.ref_counts_per_sample *
      sampling_kHz * 1e3``), so each launches
      ``P = ref_counts_per_s h nu / (2 eta_det T_server 10^(-alpha L/10))``, clipped to
      ``[P_max 10^(-VOA_max/10), P_max]`` with ``P_max = transmitter_output_mW 10^(-transmitter_loss_dB/10)``
      (laser power after the chip's modulator, coupling and passive losses: the VOA's range bounds it).
    * Neighbours (the other pairs' quantum channels): every window at their strongest intensity,
      ``signal_photons_per_pulse h nu rep_rate`` (upper bound of their Raman and crosstalk, as the
      article runs them "at high intensity"); use the protocol's largest intensity (mu_z or mu_2).

    Returns ``{"reference_launch_mW", "neighbour_launch_mW", "reference_voa_attenuation_dB",
    "reference_limited"}`` (``reference_limited``: -1 the VOA cannot attenuate enough, +1 the
    transmitter cannot deliver enough, 0 within range). The network must pass the two launch powers to
    :func:`noise_budget` (``reference_launch_mW=``, ``neighbour_launch_mW=``).
    Defaults: ``ref_counts_per_s = 1e7`` (1000 counts per 0.1-ms sample, PhaseTrackingParams);
    5 mW laser and 8 dB chip loss (IM 3 dB + PM 2 dB + coupling 3 dB, TransmitterMetrics defaults);
    VOA range 40 dB (assumption; pass the device evaluator's ``voa_attenuation_dB``); 1-GHz
    repetition rate (assumption; the article gives none).
    """
    lk = link or LinkParams()
    check_range("arm_km", arm_km, 0.0, 1000.0, "km")
    check_range("ref_counts_per_s", ref_counts_per_s, 0.0, 1e12, "1/s")
    check_range("transmitter_output_mW", transmitter_output_mW, 1e-6, 1e3, "mW")
    check_range("transmitter_loss_dB", transmitter_loss_dB, 0.0, 60.0, "dB")
    check_range("voa_max_attenuation_dB", voa_max_attenuation_dB, 0.0, 120.0, "dB")
    check_range("signal_photons_per_pulse", signal_photons_per_pulse, 0.0, 10.0)
    check_range("rep_rate_GHz", rep_rate_GHz, 1e-6, 100.0, "GHz")
    hnu = H_J_S * NU0_HZ
    t_arm = 10 ** (-lk.loss_dB_per_km * np.asarray(arm_km, float) / 10)
    det = lk.detector_efficiency * 10 ** (-lk.server_loss_dB / 10)
    need_mW = ref_counts_per_s * hnu / (2 * det * t_arm) * 1e3
    p_max = transmitter_output_mW * 10 ** (-transmitter_loss_dB / 10)
    p_min = p_max * 10 ** (-np.asarray(voa_max_attenuation_dB, float) / 10)
    ref = np.clip(need_mW, p_min, p_max)
    limited = np.where(need_mW < p_min, -1, np.where(need_mW > p_max, 1, 0))
    return {
        "reference_launch_mW": ref,
        "neighbour_launch_mW": np.asarray(signal_photons_per_pulse * hnu * rep_rate_GHz * 1e9 * 1e3, float),
        "reference_voa_attenuation_dB": 10 * np.log10(p_max / ref),
        "reference_limited": limited,
    }


def noise_budget(
    channel: int,
    used_channels: list[int],
    arm_km,
    link: LinkParams | None = None,
    *,
    downstream_power_mW: float = 0.0,
    downstream_km: float = 0.0,
    other_arm_km=None,
    reference_launch_mW=None,
    neighbour_launch_mW=None,
    reference_line: int = 0,
) -> dict:
    """Noise-click probability per window per detector, by cause (dark, raman, rayleigh, crosstalk).

    ``channel`` is the comb line of the pair, ``used_channels`` every line carrying light in the
    upstream fibres (other pairs and the lambda_0 reference), ``arm_km`` the upstream fibre of Alice's
    arm and ``other_arm_km`` Bob's (default: the same). Noise of both arms is summed and split over the
    two detectors. ``reference_launch_mW`` / ``neighbour_launch_mW`` are the launch powers per line
    into each arm (from :func:`launch_powers_mW`; default: the LinkParams fallback in nW).
    ``downstream_power_mW`` is the comb light launched into each arm's downstream fibre (Rayleigh, only
    if ``link.shared_downstream_fibre``). Every argument but the channel lists broadcasts (numpy);
    the values are floats for scalar inputs, arrays otherwise.
    """
    lk = link or LinkParams()
    check_range("arm_km", arm_km, 0.0, 1000.0, "km")
    other = arm_km if other_arm_km is None else other_arm_km
    check_range("other_arm_km", other, 0.0, 1000.0, "km")
    check_range("downstream_power_mW", downstream_power_mW, 0.0, 10.0, "mW")
    check_range("downstream_km", downstream_km, 0.0, 1000.0, "km")
    p_ref = lk.reference_launch_power_nW * 1e-6 if reference_launch_mW is None else reference_launch_mW
    p_nb = lk.neighbour_launch_power_nW * 1e-6 if neighbour_launch_mW is None else neighbour_launch_mW
    check_range("reference_launch_mW", p_ref, 0.0, 10.0, "mW")
    check_range("neighbour_launch_mW", p_nb, 0.0, 10.0, "mW")
    p_ref, p_nb = np.asarray(p_ref, float) * 1e-3, np.asarray(p_nb, float) * 1e-3  # W
    hnu = H_J_S * NU0_HZ
    server = 10 ** (-lk.server_loss_dB / 10)
    tau = lk.gate_ns * 1e-9
    alpha = lk.loss_dB_per_km * LN10_10  # 1/km
    others = [c for c in used_channels if c != channel]
    p_total = sum(p_ref if c == reference_line else p_nb for c in others) if others else 0.0
    p_iso = sum((p_ref if c == reference_line else p_nb)
                * 10 ** (-(lk.isolation_adjacent_dB if abs(c - channel) == 1 else lk.isolation_far_dB) / 10)
                for c in others) if others else 0.0

    def arm(L):
        L = np.asarray(L, float)
        att = np.exp(-alpha * L)
        raman = p_total * att * lk.raman_beta_per_km_nm * L * lk.filter_bandwidth_nm
        xt = p_iso * att
        rb = 0.0 * L
        if lk.shared_downstream_fibre:
            a_s = lk.rayleigh_alpha_dB_per_km * LN10_10
            dk = np.asarray(downstream_km, float)
            rb = np.asarray(downstream_power_mW, float) * 1e-3 * lk.rayleigh_capture * a_s * (
                -np.expm1(-2 * alpha * dk)) / (2 * alpha) + 0.0 * L
        return raman, rb, xt

    ra, rba, xa = arm(arm_km)
    rb_, rbb, xb = arm(other)
    click = lambda p_w: lk.detector_efficiency * tau * server * p_w / hnu / 2  # per detector
    out = {
        "dark_counts": lk.dark_count_rate_Hz * tau + 0.0 * (ra + rb_),
        "raman": click(ra + rb_),
        "rayleigh": click(rba + rbb),
        "wdm_crosstalk": click(xa + xb),
    }
    return {k: (float(v) if np.ndim(v) == 0 else np.asarray(v)) for k, v in out.items()}
