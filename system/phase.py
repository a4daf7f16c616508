"""Dual-lambda phase tracking and the misalignment error e_d it leaves (physics.md 6.1-6.3).

Single-photon interference with residual phase error delta and mode visibility V has
``e = (1 - V E[cos delta]) / 2`` (Lucamarini et al., Nature 557, 400 (2018); Wang, Yu & Hu 2018).
Contributions (each reported as its own error ``e_i``; combined as ``(1 - prod(1 - 2 e_i))/2``):

* **phase-difference drift** phi_d (rate w) over the QKD window T = cycle - recalibration: phi_d is
  calibrated in the recalibration slot and then used for the whole window, so the error grows from
  the window's start: ``E[cos] = sin(wT)/(wT)`` (physics.md 6.1, "ref. at start"). The rate depends on
  the channel: fibre-length drift moves the phases of lambda_i and lambda_0 by amounts proportional to
  their frequencies, so phi_d gains ``w_ref |nu_i - nu_0| / nu_0`` (w_ref the reference-phase drift);
  the article's rate, measured on one line, is moved by the difference of that term to the pair's line;
* **reference-phase drift** phi_r between samples at the sampling rate, centred: same form;
* **estimation noise** of phi_r from N reference counts per sample at quadrature,
  ``sigma = 1/(V sqrt(N))`` (Cramer-Rao), ``E[cos] = exp(-sigma^2/2)``;
* **laser phase noise** over the path mismatch tau of the two interfering paths (white FN):
  ``sigma^2 = 2 pi dnu tau`` (physics.md 6.2);
* **injection-locking residual** of each client, ``sigma^2 = dnu_free/(2 f_L)`` (physics.md 3.1);
* **IM pedestal**: finite IM extinction leaves a CW pedestal of energy fraction
  ``10^(-ER/10) * gate/pulse`` with random phase in the detection gate -> visibility ``1 - 2 f``;
* **mode mismatch** (polarisation, timing, pulse shape of the two independent transmitters):
  visibility ``V_mode`` = 0.973, **calibrated to the article's QBER_X** (not given there): it absorbs
  every visibility loss the model does not compute (polarisation-feedback residual, timing jitter and
  pulse-shape differences of the two chips' carved pulses) and sets the 370-km QBER_X of the default
  design inside the article's 3.50-4.17 %.

Drift rates grow as the square root of the upstream fibre length: the article's rates (2.871 / 0.033
rad/ms short downstream, 3.908 / 0.069 rad/ms with 120-km downstream) were measured with 370-km
upstream fibre; thermal and acoustic phase noise of independent fibre segments adds in variance
(assumption; a linear scaling would put the 204-km QBER_X 0.5 % below the article's 2.87-3.63 %).
"""

from __future__ import annotations

import numpy as np

from ..validate import Frozen, check_range

__all__ = ["PhaseTrackingParams", "misalignment_budget", "combine_errors", "combine_error_arrays", "im_extinction_error"]


class PhaseTrackingParams(Frozen):
    """Dual-lambda tracking settings; defaults are the article's short-downstream values."""

    ref_drift_rad_per_ms: float = 2.871  # [paper] {A1,B1}
    diff_drift_rad_per_ms: float = 0.033  # [paper] {A1,B1}
    drift_reference_line: int = -5  # comb line of the pair on which the rates were measured ({A1,B1}: lambda_-5)
    drift_reference_km: float = 370.0  # upstream length at which the rates were measured [paper]
    cycle_ms: float = 20.0  # [paper]
    recalibration_ms: float = 5.0  # [paper]
    sampling_kHz: float = 10.0  # [paper]
    ref_counts_per_sample: float = 1000.0  # detected reference counts per 0.1-ms sample (assumption)
    mode_visibility: float = 0.973  # calibrated to QBER_X of the article (see module docstring)
    gate_to_pulse_ratio: float = 2.0  # detection gate / pulse width (assumption)
    path_mismatch_fraction: float = 1e-3  # |L_A - L_B| / L of the two interfering paths (spool tolerance, assumption)

    def __init__(self, **data):
        super().__init__(**data)
        check_range("ref_drift_rad_per_ms", self.ref_drift_rad_per_ms, 0.0, 100.0, "rad/ms")
        check_range("diff_drift_rad_per_ms", self.diff_drift_rad_per_ms, 0.0, 10.0, "rad/ms")
        check_range("drift_reference_km", self.drift_reference_km, 1.0, 5000.0, "km")
        check_range("cycle_ms", self.cycle_ms, 0.01, 1e4, "ms")
        check_range("recalibration_ms", self.recalibration_ms, 0.0, self.cycle_ms, "ms", hi_open=True)
        check_range("sampling_kHz", self.sampling_kHz, 0.01, 1e4, "kHz")
        check_range("ref_counts_per_sample", self.ref_counts_per_sample, 1.0, 1e9)
        check_range("mode_visibility", self.mode_visibility, 0.5, 1.0)
        check_range("gate_to_pulse_ratio", self.gate_to_pulse_ratio, 1.0, 100.0)
        check_range("path_mismatch_fraction", self.path_mismatch_fraction, 0.0, 1.0)


def combine_errors(errors: dict[str, float]) -> float:
    """Total misalignment ``(1 - prod(1 - 2 e_i))/2`` of independent visibility reductions (scalars)."""
    return float(combine_error_arrays(errors))


def im_extinction_error(im_extinction_a_dB, im_extinction_b_dB, gate_to_pulse_ratio: float):
    """e_d term of the residual light of the 'not sending' state (vectorised over numpy arrays).

    A not-sending window still emits mu_z * 10^(-ER/10); averaged over the detection gate (gate /
    pulse width ``gate_to_pulse_ratio``) this pedestal adds incoherent counts that halve the fringe
    contrast in proportion: e = g (10^(-ER_a/10) + 10^(-ER_b/10)) / 2, capped at 0.5.
    """
    from .chain import array_namespace

    xp = array_namespace(im_extinction_a_dB, im_extinction_b_dB)
    a = xp.asarray(im_extinction_a_dB, dtype=float)
    b = xp.asarray(im_extinction_b_dB, dtype=float)
    return xp.minimum(gate_to_pulse_ratio * (10 ** (-a / 10) + 10 ** (-b / 10)) / 2, 0.5)


def combine_error_arrays(errors: dict) -> np.ndarray:
    """:func:`combine_errors` over numpy (or jax) arrays (broadcasting)."""
    from .chain import array_namespace

    xp = array_namespace(*errors.values())
    prod = 1.0
    for e in errors.values():
        prod = prod * (1 - 2 * xp.asarray(e, dtype=float))
    return (1 - prod) / 2


def misalignment_budget(
    *,
    upstream_km: float,
    total_path_km: float,
    linewidth_Hz: float,
    lock_var_a_rad2: float,
    lock_var_b_rad2: float,
    im_extinction_a_dB: float,
    im_extinction_b_dB: float,
    params: PhaseTrackingParams | None = None,
    fibre_group_index: float = 1.468,
    pm_phase_error_a_rad: float = 0.0,
    pm_phase_error_b_rad: float = 0.0,
) -> dict[str, float]:
    """e_d contributions by cause (fractions); ``combine_errors`` of them is the e_d of the pair.

    ``upstream_km`` is the Alice-Bob upstream fibre (the key-rate distance) and ``total_path_km``
    the full length of each interfering path including downstream fibre.
    """
    p = params or PhaseTrackingParams()
    check_range("upstream_km", upstream_km, 0.0, 5000.0, "km")
    check_range("total_path_km", total_path_km, 0.0, 10000.0, "km")
    check_range("linewidth_Hz", linewidth_Hz, 0.0, 1e9, "Hz")
    check_range("im_extinction_a_dB", im_extinction_a_dB, 0.0, 80.0, "dB", lo_open=True)
    check_range("im_extinction_b_dB", im_extinction_b_dB, 0.0, 80.0, "dB", lo_open=True)
    from .chain import error_terms

    terms = error_terms(upstream_km=upstream_km, total_path_km=total_path_km, linewidth_Hz=linewidth_Hz,
                        lock_var_a_rad2=lock_var_a_rad2, lock_var_b_rad2=lock_var_b_rad2,
                        gate_visibility_a_dB=im_extinction_a_dB, gate_visibility_b_dB=im_extinction_b_dB,
                        pm_phase_error_a_rad=pm_phase_error_a_rad, pm_phase_error_b_rad=pm_phase_error_b_rad,
                        tracking=p, fibre_group_index=fibre_group_index)
    return {k: float(v) for k, v in terms.items()}
