"""Per-die evaluators of the yield engine: sampled process -> device metrics -> key rate, for a design.

Every die goes through the same evaluators as a single design (``circuits.devices``): the design's
own geometry (``design.server_ring``, ``design.transmitter``) plus the die's process offsets
(sample minus the study's nominal). One vectorised call per chunk; no mode solve, no geometry, no
Python loop over dies. Dies whose sampled process leaves the models' domain (beyond the design
margin of ``circuits.devices.DESIGN_MARGIN_SIGMA``) are clipped to it and flagged ``table_clipped``.

- ``inp``: transmitter dies; failed modulators (Bernoulli, PDK defect model: not geometric) are
  counted; each die is then scored as client A of a 370 km pair with a nominal partner.
- ``sin``: server dies (FSR, Q_i, Q_c, Q_L, extinction, D2, resonance).
- ``pair``: two client dies and one server die per unit; the pair key rate at 370 km uses both
  clients' IM extinction and failures; the server die gates the pair (normal dispersion, intact ring).

The link, the phase-tracking budget apart from the IM extinction term, and the protocol come from
the system evaluator at the design's nominal devices (:func:`reference_link`: computed once per
design and process, cached on disk by content hash).
"""

from __future__ import annotations

import functools
import json

import numpy as np

from ..circuits import devices as dv

__all__ = ["EVALUATORS", "evaluate_inp", "evaluate_sin", "evaluate_pair", "reference_link", "REFERENCE_DISTANCE_KM"]

#: Distance at which dies are scored (the article's long pairs, where the PLOB bound is beaten).
REFERENCE_DISTANCE_KM = 370.0


def _design(design: dict | None):
    """The validated design of a study (validated once per process and design, not per chunk)."""
    from ..design import default_design

    return default_design() if design is None else _parse_design(json.dumps(design, sort_keys=True))


@functools.lru_cache(maxsize=8)
def _parse_design(blob: str):
    from ..design import parse_design

    return parse_design(json.loads(blob), source="study design")


def reference_link(design: dict | None = None, processes: dict | None = None,
                   distance_km: float = REFERENCE_DISTANCE_KM) -> dict:
    """Nominal link of the design's first pair at ``distance_km``: channel efficiency, noise, e_d
    terms without the IM extinction, the optimised protocol, PLOB; computed by the system evaluator
    from the design's own nominal ring and transmitter. Cached in memory and on disk by the content
    hash of (design, process data, distance, qchipnet version)."""
    from ..models.cache import content_key

    d = _design(design)
    procs = _study_processes(d, processes)
    spec = {"design": d.model_dump(mode="json"), "process": {k: v.model_dump() for k, v in procs.items()},
            "distance_km": distance_km}
    return _reference_link_cached(content_key(spec), json.dumps(spec, sort_keys=True))


@functools.lru_cache(maxsize=16)
def _reference_link_cached(key: str, spec: str) -> dict:
    from ..models.cache import cached_json

    return cached_json("reference_link", key, lambda: _compute_reference_link(json.loads(spec)))


def _compute_reference_link(spec: dict) -> dict:
    from ..circuits.ring import ring_report
    from ..circuits.transmitter import transmitter_report
    from ..design import network_params, parse_design
    from ..pdk.process import ProcessData
    from ..system.bounds import fibre_transmittance, plob_bound
    from ..system.devices import ServerMetrics, TransmitterMetrics
    from ..system.network import evaluate_network
    from ..system.phase import PhaseTrackingParams

    d = parse_design(spec["design"], source="study design")
    procs = {k: ProcessData.model_validate(v) for k, v in spec["process"].items()}
    distance_km = spec["distance_km"]
    ring = ring_report(d.server_ring.model_dump(), process=procs["sin"])
    tx = transmitter_report(d.transmitter.model_dump(), process=procs["inp"], chip_paths=False)
    params = network_params(d)
    res = evaluate_network(ServerMetrics.from_json(ring), TransmitterMetrics.from_json(tx), params,
                           distance_km=distance_km)
    pair = res["pairs"][0]
    lk = params.link
    arm = distance_km / 2
    eta = lk.detector_efficiency * 10 ** (-lk.server_loss_dB / 10) * 10 ** (-lk.loss_dB_per_km * arm / 10)
    return {
        "eta": eta if pair["locked"] else 0.0,
        "p_dark": pair["p_noise"],
        "e_d_terms": {k: v for k, v in pair["e_d_budget"].items() if k != "im_extinction"},
        "gate_to_pulse_ratio": PhaseTrackingParams().gate_to_pulse_ratio,
        "protocol": {**params.protocol.model_dump(), **pair["protocol"]},
        "plob": float(plob_bound(fibre_transmittance(distance_km, lk.loss_dB_per_km))),
        "partner_im_visibility_dB": tx["im_visibility_dB"],
        "partner_key_rate_per_pulse": pair["key_rate_per_pulse"],
    }


def _study_processes(d, processes: dict | None) -> dict:
    from ..design import processes as design_processes

    out = design_processes(d)
    out.update(processes or {})
    return out


def _pair_key_rate(er_a_dB, er_b_dB, working, link: dict) -> tuple[np.ndarray, np.ndarray]:
    from ..system.phase import combine_error_arrays, im_extinction_error
    from ..system.snstf import SNSProtocol, key_rate

    er_a = np.clip(np.asarray(er_a_dB, dtype=float), 1e-3, 80.0)
    er_b = np.clip(np.asarray(er_b_dB, dtype=float), 1e-3, 80.0)
    terms = dict(link["e_d_terms"])
    terms["im_extinction"] = im_extinction_error(er_a, er_b, link["gate_to_pulse_ratio"])
    e_d = np.minimum(combine_error_arrays(terms), 0.499)
    eta = np.where(working, link["eta"], 0.0)
    kr = key_rate(eta, eta, np.full_like(e_d, link["p_dark"]), e_d, SNSProtocol(**link["protocol"]))
    kr = np.where(working, kr, 0.0)
    return kr, kr / link["plob"]


def _offsets(params: dict, names: tuple[str, ...], process) -> dict[str, np.ndarray]:
    """Per-die deviations of the sampled process (first instance of each die) from the study's nominal."""
    return {k: params[k][:, 0] - process[k].nominal for k in names}


def _transmitter_metrics(params: dict, design, process) -> dict[str, np.ndarray]:
    tx = design.transmitter.model_dump()
    off, clipped = dv.domain_clip("inp", tx, _offsets(params, dv.INP_OFFSETS, process), process)
    m = {k: np.asarray(v, dtype=float) for k, v in dv.transmitter_metrics(tx, off, process=process).items()
         if k != "reachable"}
    m["table_clipped"] = clipped.astype(float)
    return m


def _ring_metrics(params: dict, design, process) -> dict[str, np.ndarray]:
    ring = design.server_ring.model_dump()
    off, clipped = dv.domain_clip("sin", ring, _offsets(params, dv.SIN_OFFSETS, process), process)
    m = {k: np.asarray(v, dtype=float) for k, v in dv.ring_metrics(ring, off, process=process).items()}
    m["table_clipped"] = clipped.astype(float)
    return m


def evaluate_inp(params: dict, defects: dict, design: dict | None = None, processes: dict | None = None) -> dict:
    """Metrics of transmitter dies of ``design`` (one row each)."""
    d = _design(design)
    procs = _study_processes(d, processes)
    m = _transmitter_metrics(params, d, procs["inp"])
    failed = np.asarray(defects["pm_failure"], dtype=float)
    m["n_failed_modulators"] = failed
    link = reference_link(design, procs)
    working = (failed == 0) & (m["target_lines_reachable"] > 0)
    kr, ratio = _pair_key_rate(m["im_visibility_dB"], np.full_like(failed, link["partner_im_visibility_dB"]),
                               working, link)
    m["key_rate_per_pulse"] = kr
    m["ratio_to_plob"] = ratio
    return m


def evaluate_sin(params: dict, defects: dict, design: dict | None = None, processes: dict | None = None) -> dict:
    """Metrics of server dies of ``design`` (one row each)."""
    d = _design(design)
    procs = _study_processes(d, processes)
    m = _ring_metrics(params, d, procs["sin"])
    m["n_defects"] = np.asarray(defects["ring_defect"], dtype=float)
    return m


def evaluate_pair(client: tuple, server: tuple, n_pairs: int, design: dict | None = None,
                  processes: dict | None = None) -> dict:
    """Metrics of chip pairs: clients 2i and 2i+1 with server die i."""
    (pc, dc), (ps, ds) = client, server
    d = _design(design)
    procs = _study_processes(d, processes)
    tx = _transmitter_metrics(pc, d, procs["inp"])
    sv = _ring_metrics(ps, d, procs["sin"])
    sv["n_defects"] = np.asarray(ds["ring_defect"], dtype=float)
    failed = np.asarray(dc["pm_failure"], dtype=float)
    a, b = slice(0, 2 * n_pairs, 2), slice(1, 2 * n_pairs, 2)
    reach = tx["target_lines_reachable"] > 0
    server_ok = (sv["D2_over_2pi_kHz"] < 0) & (sv["n_defects"] == 0)
    working = (failed[a] == 0) & (failed[b] == 0) & reach[a] & reach[b] & server_ok
    kr, ratio = _pair_key_rate(tx["im_visibility_dB"][a], tx["im_visibility_dB"][b], working,
                               reference_link(design, procs))
    return {
        "im_visibility_dB_a": tx["im_visibility_dB"][a], "im_visibility_dB_b": tx["im_visibility_dB"][b],
        "vpi_V_a": tx["vpi_V"][a], "vpi_V_b": tx["vpi_V"][b],
        "n_failed_modulators": failed[a] + failed[b],
        "fsr_GHz": sv["fsr_GHz"], "q_intrinsic": sv["q_intrinsic"], "q_coupling": sv["q_coupling"],
        "D2_over_2pi_kHz": sv["D2_over_2pi_kHz"],
        "table_clipped": np.maximum(np.maximum(tx["table_clipped"][a], tx["table_clipped"][b]), sv["table_clipped"]),
        "key_rate_per_pulse": kr, "ratio_to_plob": ratio,
    }


EVALUATORS = {"inp": evaluate_inp, "sin": evaluate_sin, "pair": evaluate_pair}
