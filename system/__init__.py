"""System evaluator: microcomb, injection locking, phase tracking, link noise, SNS-TF-QKD, network.

Public API (pure functions of frozen parameter objects; key-rate core is numpy-vectorised):
``key_rate`` / ``key_rate_detailed`` (arrays of eta_a, eta_b, p_dark, e_d), ``optimize_protocol``,
``plob_bound``, ``evaluate_network``, and the device-metric models ``ServerMetrics`` /
``TransmitterMetrics``.
"""

from __future__ import annotations

from .bounds import fibre_transmittance, plob_bound, single_repeater_bound
from .comb import (
    CombParams,
    SILParams,
    comb_batch,
    comb_state,
    dark_pulse_lines,
    sil_metrics,
)
from .devices import ServerMetrics, TransmitterMetrics
from .injection import InjectionParams, injection_lock
from .link import LinkParams, noise_budget
from .network import (
    ASSUMPTIONS,
    NetworkParams,
    PairSpec,
    default_pairs,
    evaluate_network,
    network_batch,
)
from .optimize import optimize_protocol, optimize_protocol_scipy, protocol_at
from .phase import PhaseTrackingParams, combine_errors, misalignment_budget
from .snstf import (
    ChannelParams,
    KeyRateResult,
    SNSProtocol,
    arm_transmittance,
    gains,
    key_rate,
    key_rate_detailed,
    key_rate_jax,
    key_rate_vs_distance,
)

__all__ = [
    "ASSUMPTIONS", "ChannelParams", "CombParams", "InjectionParams", "KeyRateResult", "LinkParams",
    "NetworkParams", "PairSpec", "PhaseTrackingParams", "SILParams", "SNSProtocol", "ServerMetrics",
    "TransmitterMetrics", "arm_transmittance", "comb_batch", "comb_state", "combine_errors", "dark_pulse_lines",
    "default_pairs", "evaluate_network", "fibre_transmittance", "gains", "injection_lock", "key_rate",
    "key_rate_detailed", "key_rate_jax", "key_rate_vs_distance", "network_batch", "misalignment_budget", "noise_budget",
    "optimize_protocol", "optimize_protocol_scipy", "plob_bound", "protocol_at", "sil_metrics",
    "single_repeater_bound",
]
