"""Vectorised per-die evaluators of the yield engine: sampled process -> device metrics -> key rate.

One call per chunk, no Python loop over dies, no mode solve and no geometry build:
- ``inp``: :func:`qchipnet.circuits.transmitter.transmitter_metrics_batch` turns the sampled
  geometry/material of every die into V_pi, IM visibility, insertion loss and DBR tuning; failed
  modulators (Bernoulli, PDK defect model) are counted; each die is then scored as client A of a
  370 km pair with a nominal partner, nominal server and the design's link (system evaluator).
- ``sin``: :func:`qchipnet.circuits.ring.ring_metrics_batch` turns thickness, width bias and ring
  loss into FSR, Q_i, Q_c, Q_L, extinction and D2 of every server die.
- ``pair``: two client dies and one server die per unit; the pair key rate at 370 km uses both
  clients' IM extinction and failures; the server die gates the pair by its own spec metrics
  (a comb is only formed with normal dispersion on an intact ring).

The link, the phase-tracking budget apart from the IM extinction term, and the protocol
(intensities and probabilities optimised once at the nominal design) come from
:func:`qchipnet.system.network.evaluate_network` at the reference distance, computed once per
process (it runs the LLE) and reused for every die.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["EVALUATORS", "evaluate_inp", "evaluate_sin", "evaluate_pair", "reference_link", "REFERENCE_DISTANCE_KM"]

#: Distance at which dies are scored (the article's long pairs, where the PLOB bound is beaten).
REFERENCE_DISTANCE_KM = 370.0


@functools.lru_cache(maxsize=4)
def reference_link(distance_km: float = REFERENCE_DISTANCE_KM) -> dict:
    """Nominal link of pair 1 at ``distance_km``: channel, e_d terms without IM extinction, protocol."""
    from ..circuits.transmitter import transmitter_metrics_batch
    from ..system.devices import TransmitterMetrics
    from ..system.network import NetworkParams, evaluate_network
    from ..system.optimize import protocol_at
    from ..system.phase import PhaseTrackingParams

    params = NetworkParams()
    # the nominal die through the same vectorised path as every sampled die (no process variation)
    nominal = {k: float(np.asarray(v).reshape(-1)[0]) for k, v in transmitter_metrics_batch(tec_span_K=TEC_SPAN_K).items()}
    tx_nominal = TransmitterMetrics().model_copy(update={"vpi_V": nominal["vpi_V"],
                                                         "im_visibility_dB": nominal["im_visibility_dB"],
                                                         "dbr_tuning_range_nm": nominal["dbr_tuning_range_nm"]})
    res = evaluate_network(transmitters=tx_nominal, params=params, distance_km=distance_km)
    pair = res["pairs"][0]
    lk = params.link
    arm = distance_km / 2
    eta = lk.detector_efficiency * 10 ** (-lk.server_loss_dB / 10) * 10 ** (-lk.loss_dB_per_km * arm / 10)
    terms = {k: v for k, v in pair["e_d_budget"].items() if k != "im_extinction"}
    proto = protocol_at({k: np.asarray([v]) for k, v in pair["protocol"].items()}, 0, params.protocol)
    from ..system.bounds import fibre_transmittance, plob_bound

    return {
        "eta": eta,
        "p_dark": pair["p_noise"],
        "e_d_terms": terms,
        "gate_to_pulse_ratio": PhaseTrackingParams().gate_to_pulse_ratio,
        "protocol": proto,
        "plob": float(plob_bound(fibre_transmittance(distance_km, lk.loss_dB_per_km))),
        "partner_im_visibility_dB": nominal["im_visibility_dB"],
        "partner_key_rate_per_pulse": pair["key_rate_per_pulse"],
    }


def _pair_key_rate(er_a_dB, er_b_dB, working, link: dict) -> tuple[np.ndarray, np.ndarray]:
    from ..system.phase import combine_error_arrays, im_extinction_error
    from ..system.snstf import key_rate

    er_a = np.clip(np.asarray(er_a_dB, dtype=float), 1e-3, 80.0)
    er_b = np.clip(np.asarray(er_b_dB, dtype=float), 1e-3, 80.0)
    terms = dict(link["e_d_terms"])
    terms["im_extinction"] = im_extinction_error(er_a, er_b, link["gate_to_pulse_ratio"])
    e_d = np.minimum(combine_error_arrays(terms), 0.499)
    eta = np.where(working, link["eta"], 0.0)
    kr = key_rate(eta, eta, np.full_like(e_d, link["p_dark"]), e_d, link["protocol"])
    kr = np.where(working, kr, 0.0)
    return kr, kr / link["plob"]


#: +- range of the client chip's TEC set-point (25 +- 15 C) used to centre the DBR tuning window
#: on the comb (about 0.093 nm/K): packaged InP lasers run from 10 to 40 C [T]. Without it the
#: Bragg spread of the wafer (sigma about 1.2 nm from ridge width, core and grating errors) would
#: leave half the dies unable to cover lambda_-5..lambda_+8 with current tuning alone.
TEC_SPAN_K = 15.0


def _clip_to_table(x: np.ndarray, lo: float, hi: float, clipped: np.ndarray) -> np.ndarray:
    """Clip samples to the validity range of the mode tables and flag the dies that were clipped.

    The tables cover about +-3 sigma of the process; dies beyond are evaluated at the table edge
    (and flagged in the ``table_clipped`` metric) instead of extrapolating the mode solver's data.
    """
    out = np.clip(x, lo, hi)
    clipped |= out != x
    return out


def _transmitter_metrics(params: dict) -> dict:
    """Per-die transmitter metrics from the sampled process (IM I's combiner MMI and arms)."""
    from ..circuits.transmitter import transmitter_metrics_batch
    from ..models.inp_modes import load_inp_table

    ax = load_inp_table("deep").axis_range
    n = params["width_bias_um"].shape[0]
    clipped = np.zeros(n, dtype=bool)
    etch = _clip_to_table(params["deep_etch_below_core_um"][:, 0], *ax("etch_um"), clipped)
    core = _clip_to_table(params["core_thickness_um"][:, 0], *ax("core_um"), clipped)
    bg = _clip_to_table(params["core_bandgap_um"][:, 0], 1.20, 1.30, clipped)
    m = transmitter_metrics_batch(
        width_bias_um=params["width_bias_um"][:, 0],
        deep_etch_below_core_um=etch,
        core_thickness_um=core,
        core_bandgap_um=bg,
        mmi_width_bias_um=params["mmi_width_bias_um"][:, 0],
        arm_loss_imbalance_dB=params["arm_loss_imbalance_dB"][:, 0],
        eo_coefficient_rel=np.exp(params["eo_coefficient_ln"][:, 0]),
        grating_period_error_nm=params["grating_period_error_nm"][:, 0],
        tec_span_K=TEC_SPAN_K,
    )
    m = {k: np.asarray(v, dtype=float) for k, v in m.items()}
    m["table_clipped"] = clipped.astype(float)
    return m


def evaluate_inp(params: dict, defects: dict) -> dict:
    """Metrics of transmitter dies (one row each)."""
    m = {k: np.asarray(v, dtype=float) for k, v in _transmitter_metrics(params).items()}
    failed = np.asarray(defects["pm_failure"], dtype=float)
    m["n_failed_modulators"] = failed
    link = reference_link()
    working = (failed == 0) & (m["target_lines_reachable"] > 0)
    kr, ratio = _pair_key_rate(m["im_visibility_dB"], np.full_like(failed, link["partner_im_visibility_dB"]),
                               working, link)
    m["key_rate_per_pulse"] = kr
    m["ratio_to_plob"] = ratio
    return m


def evaluate_sin(params: dict, defects: dict) -> dict:
    """Metrics of server dies (one row each)."""
    from ..circuits.ring import DEFAULT_GAP_UM, DEFAULT_RADIUS_UM, DEFAULT_WIDTH_UM, ring_metrics_batch

    bias = params["width_bias_um"][:, 0]  # lithography/etch bias widens the guides and closes the gap
    m = {k: np.asarray(v, dtype=float) for k, v in ring_metrics_batch(
        width_um=DEFAULT_WIDTH_UM + bias,
        thickness_nm=params["thickness_nm"][:, 0],
        gap_um=DEFAULT_GAP_UM - bias,
        loss_dB_per_m=params["ring_loss_dB_per_m"][:, 0],
        radius_um=DEFAULT_RADIUS_UM,
    ).items()}
    m["n_defects"] = np.asarray(defects["ring_defect"], dtype=float)
    return m


def evaluate_pair(client: tuple, server: tuple, n_pairs: int) -> dict:
    """Metrics of chip pairs: clients 2i and 2i+1 with server die i."""
    (pc, dc), (ps, ds) = client, server
    tx = {k: np.asarray(v, dtype=float) for k, v in _transmitter_metrics(pc).items()}
    sv = evaluate_sin(ps, ds)
    failed = np.asarray(dc["pm_failure"], dtype=float)
    a, b = slice(0, 2 * n_pairs, 2), slice(1, 2 * n_pairs, 2)
    reach = tx["target_lines_reachable"] > 0
    server_ok = (sv["D2_over_2pi_kHz"] < 0) & (sv["n_defects"] == 0)
    working = (failed[a] == 0) & (failed[b] == 0) & reach[a] & reach[b] & server_ok
    kr, ratio = _pair_key_rate(tx["im_visibility_dB"][a], tx["im_visibility_dB"][b], working, reference_link())
    return {
        "im_visibility_dB_a": tx["im_visibility_dB"][a], "im_visibility_dB_b": tx["im_visibility_dB"][b],
        "vpi_V_a": tx["vpi_V"][a], "vpi_V_b": tx["vpi_V"][b],
        "n_failed_modulators": failed[a] + failed[b],
        "fsr_GHz": sv["fsr_GHz"], "q_intrinsic": sv["q_intrinsic"], "D2_over_2pi_kHz": sv["D2_over_2pi_kHz"],
        "key_rate_per_pulse": kr, "ratio_to_plob": ratio,
    }


EVALUATORS = {"inp": evaluate_inp, "sin": evaluate_sin, "pair": evaluate_pair}
