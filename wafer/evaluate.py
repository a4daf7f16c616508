"""Per-die evaluators of the yield engine: sampled process -> device metrics -> network chain -> key rate.

Every die goes through the same evaluators as a single design: the device families of
``circuits.devices`` (the design's own geometry plus the die's process offsets) and the network chain of
``system.network.network_batch`` (comb, DBR set-point, injection locking, adaptable modulator circuit,
error budget, key rate). One vectorised call per chunk; no mode solve, no geometry, no Python loop over
dies. Dies whose sampled process leaves the models' domain (beyond the design margin of
``circuits.devices.DESIGN_MARGIN_SIGMA``) are clipped to it and flagged ``table_clipped``.

- **Client die** (:func:`client_dies`): each of its 7 EO sections (``system.chain.SECTIONS``) is
  evaluated with its own local mismatch (MMI width, arm imbalance, EO coefficient instances): the three
  IMs driven on either arm, and the PM with its V_pi, full-scale phase and DAC encoding error; failed
  sections come from the PDK's defect model; the adaptable circuit decides what the chip can still do.
- **Server die** (:func:`server_dies`): the ring's FSR, Q, D2 and pumped resonance; its comb follows in
  the chain.
- ``inp``: each die is client A of the design's first pair with the design's nominal partner and server;
  ``sin``: server dies; ``pair``: two client dies and one server die per unit, in the first pair's slot.
  ``network`` (``wafer.network``): whole networks.

The protocol of each pair slot is optimised once per design at its nominal devices
(:func:`design_reference`, cached on disk by content hash) and reused for every die.
"""

from __future__ import annotations

import functools
import json

import numpy as np

from ..circuits import devices as dv

__all__ = ["EVALUATORS", "evaluate_inp", "evaluate_sin", "evaluate_pair", "design_reference", "client_dies",
           "client_constants",
           "server_dies", "REFERENCE_DISTANCE_KM", "SECTION_INSTANCES", "PLATFORM_METRICS"]

#: Distance at which dies are scored (the article's long pairs, where the PLOB bound is beaten).
REFERENCE_DISTANCE_KM = 370.0
#: Which sampled instance of each local-mismatch parameter acts on the evaluated rows of a client die:
#: IM I, II, III driven on arm a, then the PM (``system.chain.SECTIONS``: arm a of IM k is section 2k, arm b
#: 2k+1, the PM 6): the IM's splitter MMI (instance 2k), its arm imbalance (instance k), the driven
#: section's own EO coefficient (instance = section).
SECTION_INSTANCES = {
    "mmi_width_bias_um": (0, 2, 4, 0),
    "arm_loss_imbalance_dB": (0, 1, 2, 0),
    "eo_coefficient_ln": (0, 2, 4, 6),
}
#: The transmitter metrics a client die needs (the evaluator computes only these).
CLIENT_METRICS = ("vpi_V", "im_visibility_dB", "im_insertion_loss_dB", "im_chirp_rad", "pm_max_phase_rad",
                  "pm_phase_error_rad", "im_intensity_error_rel", "dbr_tuning_range_nm", "dbr_tec_window_nm",
                  "bragg_nm", "mode_spacing_nm", "k_c_per_s", "free_running_linewidth_Hz", "reachable_line_count",
                  "target_lines_reachable", "voa_attenuation_dB")
#: The metrics of the three IM rows (evaluated apart from the PM row: the IM's null/peak search and DAC levels are
#: most of the transmitter's cost, and the PM row needs none of them).
IM_ROW_METRICS = ("vpi_V", "im_visibility_dB", "im_insertion_loss_dB", "im_chirp_rad", "im_intensity_error_rel")
#: The metrics of the PM row and the die (laser, VOA).
PM_ROW_METRICS = tuple(k for k in CLIENT_METRICS if k not in IM_ROW_METRICS or k == "vpi_V")
#: EO-coefficient instance of arm b of IM I, II, III (driven when arm a failed).
ARM_B_EO_INSTANCES = (1, 3, 5)


def _design(design: dict | None):
    """The validated design of a study (validated once per process and design, not per chunk)."""
    from ..design import default_design

    return default_design() if design is None else _parse_design(json.dumps(design, sort_keys=True))


@functools.lru_cache(maxsize=8)
def _parse_design(blob: str):
    from ..design import parse_design

    return parse_design(json.loads(blob), source="study design")


def _study_processes(d, processes: dict | None) -> dict:
    from ..design import processes as design_processes

    out = design_processes(d)
    out.update(processes or {})
    return out


# ----------------------------------------------------------------------------- dies
def client_constants(shape: tuple) -> dict[str, np.ndarray]:
    """The chain inputs every client die shares (not varied by the process model): the DBR's linewidth
    enhancement factor, the laser's output power and the chip-to-fibre coupling loss."""
    from ..models import inp as M
    from ..system.devices import TransmitterMetrics

    t0 = TransmitterMetrics()
    return {"alpha_H": np.full(shape, M.LASER.alpha_H), "output_power_mW": np.full(shape, t0.output_power_mW),
            "chip_coupling_loss_dB": np.full(shape, t0.chip_coupling_loss_dB)}


@functools.lru_cache(maxsize=1)
def _vpi_jit():
    """``models.inp.pm_vpi_core`` compiled (one dispatch per chunk instead of one per jax operation)."""
    import jax

    from ..models import inp as M

    return jax.jit(M.pm_vpi_core, static_argnums=(1,))


def client_dies(params: dict, defects: dict, design, process) -> dict[str, np.ndarray]:
    """Metrics of transmitter dies (one row each) and the arrays the network chain reads
    (``system.network.CLIENT_KEYS``; ``im_visibility_dB`` per IM and drive arm, shape (n, 3, 2))."""
    from ..system import chain

    tx = design.transmitter.model_dump()
    n = next(iter(params.values())).shape[0]
    raw = {k: np.asarray(params[k], dtype=float).reshape(n, -1) - process[k].nominal for k in dv.INP_OFFSETS}

    def rows(instances: dict, sel=slice(None)) -> dict[str, np.ndarray]:
        """Offsets per (die, evaluated row): local-mismatch parameters per row, the others per die."""
        return {k: (v[sel][:, np.minimum(np.array(instances[k]), v.shape[1] - 1)] if k in instances
                    else v[sel][:, :1]) for k, v in raw.items()}

    off, clipped = dv.domain_clip("inp", tx, rows(SECTION_INSTANCES), process)
    off = {k: (v if k in SECTION_INSTANCES else v[:, 0]) for k, v in off.items()}
    # the three IM rows (sections of each die) and the PM row with the die-level metrics, in two programs
    m = {k: np.asarray(v, dtype=float) for k, v in dv.transmitter_metrics(
        tx, {k: (v[:, :3] if k in SECTION_INSTANCES else v) for k, v in off.items()}, process=process, sections=3,
        keys=IM_ROW_METRICS).items()}
    pm = {k: np.asarray(v, dtype=float) for k, v in dv.transmitter_metrics(
        tx, {k: (v[:, 3] if k in SECTION_INSTANCES else v) for k, v in off.items()}, process=process,
        keys=PM_ROW_METRICS).items()}
    failed = defects.get("pm_failure_devices")
    failed = np.zeros((n, 7), bool) if failed is None else np.asarray(failed, dtype=bool).reshape(n, 7)
    vis_a = m["im_visibility_dB"]
    vis = np.stack([vis_a, vis_a], axis=-1)  # (n, 3, 2): the IM driven on arm a / on arm b
    # arm b is driven only where arm a failed: evaluate those IMs with arm b's EO coefficient
    need = failed[:, 0:6:2] & ~failed[:, 1:6:2]
    if need.any():
        d_idx, k_idx = np.nonzero(need)
        inst = {**SECTION_INSTANCES, "eo_coefficient_ln": (1, 3, 5, 6)}
        sub = {k: (v[d_idx, k_idx] if k in inst else v[d_idx, 0]) for k, v in rows(inst).items()}
        sub, _ = dv.domain_clip("inp", tx, sub, process)
        vis[d_idx, k_idx, 1] = np.asarray(dv.transmitter_metrics(tx, sub, process=process,
                                                                  keys=("im_visibility_dB",))["im_visibility_dB"])
    # V_pi of every arm (the article's Fig. 2k counts all six): closed form of the EO coefficients
    x = dv._transmitter_inputs(tx, {k: (v[..., 0] if v.ndim == 2 else v) for k, v in off.items()}, process)
    eo_b = raw["eo_coefficient_ln"][:, np.minimum(np.array(ARM_B_EO_INSTANCES), raw["eo_coefficient_ln"].shape[1] - 1)]
    vpi_b = np.asarray(_vpi_jit()(x["L_pm"], dv.LAMBDA0_UM, np.asarray(x["ridge"] + x["wb"])[:, None],
                                     np.asarray(x["core"])[:, None], np.asarray(x["etch"])[:, None],
                                     np.asarray(x["bg"])[:, None],
                                     np.exp(process["eo_coefficient_ln"].nominal + eo_b)))
    vpi_arms = np.stack([m["vpi_V"], vpi_b], axis=-1).reshape(n, 6)
    pm_usable = pm["pm_max_phase_rad"] >= 1.5 * np.pi
    circ = chain.adaptable_circuit(failed | np.c_[np.zeros((n, 6), bool), ~pm_usable], vis)
    out = {
        # the chip as the article characterises it: the PM and the three IMs driven on arm a
        "vpi_V": pm["vpi_V"], "im_visibility_dB": vis[:, 2, 0], "im_visibility_min_dB": vis[:, :, 0].min(axis=1),
        "im_insertion_loss_dB": m["im_insertion_loss_dB"][:, 2], "im_chirp_rad": m["im_chirp_rad"][:, 2],
        # the DAC level error of the IM that sets the chip's levels as it runs (0 if it cannot run)
        "im_intensity_error_rel": chain.level_error(m["im_intensity_error_rel"], circ["gate_im"], circ["executable"]),
        "pm_max_phase_rad": pm["pm_max_phase_rad"], "pm_phase_error_rad": pm["pm_phase_error_rad"],
        "dbr_tuning_range_nm": pm["dbr_tuning_range_nm"], "dbr_tec_window_nm": pm["dbr_tec_window_nm"],
        "bragg_nm": pm["bragg_nm"], "mode_spacing_nm": pm["mode_spacing_nm"], "k_c_per_s": pm["k_c_per_s"],
        "reachable_line_count": pm["reachable_line_count"], "target_lines_reachable": pm["target_lines_reachable"],
        "voa_attenuation_dB": pm["voa_attenuation_dB"],
        "n_failed_modulators": failed.sum(axis=1).astype(float),
        "chip_executable": circ["executable"].astype(float), "chip_degraded": circ["degraded"].astype(float),
        "gate_visibility_dB": circ["gate_visibility_dB"],
        "table_clipped": clipped.any(axis=-1).astype(float),
    }
    chain_in = {
        "im_visibility_dB": vis, "section_failed": failed | np.c_[np.zeros((n, 6), bool), ~pm_usable],
        "pm_phase_error_rad": np.nan_to_num(pm["pm_phase_error_rad"], nan=0.0),
        "im_intensity_error_rel": m["im_intensity_error_rel"],  # per IM on arm a (DAC level error)
        "bragg_nm": pm["bragg_nm"], "dbr_tuning_range_nm": pm["dbr_tuning_range_nm"],
        "dbr_tec_window_nm": pm["dbr_tec_window_nm"], "mode_spacing_nm": pm["mode_spacing_nm"],
        "k_c_per_s": pm["k_c_per_s"], "free_running_linewidth_Hz": pm["free_running_linewidth_Hz"],
        **client_constants((n,)),
    }
    # the article's Fig. 2k reading: every IM arm's V_pi and its IM's visibility, a failed section as zeros
    out["_sections"] = {"vpi_V": np.where(failed[:, :6], 0.0, vpi_arms),
                        "visibility_dB": np.where(failed[:, :6], 0.0, np.repeat(vis_a, 2, axis=1))}
    out["_chain"] = chain_in
    return out


def server_dies(params: dict, defects: dict, design, process) -> dict[str, np.ndarray]:
    """Metrics of server dies (one row each), with the arrays the network chain reads."""
    from ..system.devices import ServerMetrics

    ring = design.server_ring.model_dump()
    off = {k: np.asarray(params[k], dtype=float).reshape(params[k].shape[0], -1)[:, 0] - process[k].nominal
           for k in dv.SIN_OFFSETS}
    off, clipped = dv.domain_clip("sin", ring, off, process)
    m = {k: np.asarray(v, dtype=float) for k, v in dv.ring_metrics(ring, off, process=process).items()}
    m["table_clipped"] = clipped.astype(float)
    m["n_defects"] = np.asarray(defects["ring_defect"], dtype=float)
    s0 = ServerMetrics()
    n = m["fsr_GHz"].shape[0]
    m["_chain"] = {"q_intrinsic": m["q_intrinsic"], "q_coupling": m["q_coupling"], "fsr_GHz": m["fsr_GHz"],
                   "D2_over_2pi_kHz": m["D2_over_2pi_kHz"], "n_g": m["n_g"],
                   "backscatter_gamma_norm": np.full(n, s0.backscatter_gamma_norm),
                   "gamma_per_W_per_m": np.full(n, s0.gamma_per_W_per_m), "resonance_wl_nm": m["resonance_wl_nm"],
                   "n_defects": m["n_defects"],
                   # the fabricated cross-section: the comb's thermorefractive floor and heater follow the die
                   "width_um": np.full(n, ring["width_um"]) + off["width_bias_um"],
                   "thickness_nm": np.full(n, ring["thickness_nm"]) + off["thickness_nm"]}
    return m


# ----------------------------------------------------------------------------- nominal reference
def design_reference(design: dict | None = None, processes: dict | None = None,
                     distance_km: float = REFERENCE_DISTANCE_KM) -> dict:
    """The design's nominal network at ``distance_km``: its nominal server and client arrays and the
    protocol of every pair slot optimised there (reused for every die). Cached in memory and on disk by
    the content hash of (design, process data, distance, qchipnet version)."""
    from ..models.cache import content_key

    d = _design(design)
    procs = _study_processes(d, processes)
    spec = {"design": d.model_dump(mode="json"), "process": {k: v.model_dump() for k, v in procs.items()},
            "distance_km": distance_km, "v": 2}
    return _reference_cached(content_key(spec), json.dumps(spec, sort_keys=True))


@functools.lru_cache(maxsize=16)
def _reference_cached(key: str, spec: str) -> dict:
    from ..models.cache import cached_json

    return cached_json("design_reference", key, lambda: _compute_reference(json.loads(spec)))


def _nominal_dies(d, procs) -> tuple[dict, dict]:
    inp, sin = procs["inp"], procs["sin"]
    pc = {k: np.full((1, 1), inp[k].nominal) for k in dv.INP_OFFSETS}
    ps = {k: np.full((1, 1), sin[k].nominal) for k in dv.SIN_OFFSETS}
    c = client_dies(pc, {"pm_failure": np.zeros(1)}, d, inp)
    s = server_dies(ps, {"ring_defect": np.zeros(1)}, d, sin)
    return c["_chain"], s["_chain"]


def _compute_reference(spec: dict) -> dict:
    from ..design import network_params, parse_design
    from ..pdk.process import ProcessData
    from ..system.network import network_batch

    d = parse_design(spec["design"], source="study design")
    procs = {k: ProcessData.model_validate(v) for k, v in spec["process"].items()}
    client, server = _nominal_dies(d, procs)
    params = network_params(d)
    n_p = len(params.pairs)
    clients = {k: np.repeat(np.asarray(v)[:, None], 2 * n_p, axis=1) for k, v in client.items()}
    res = network_batch(server, clients, params, distance_km=spec["distance_km"])
    q = res["pairs"]
    return {"server": {k: np.asarray(v).tolist() for k, v in server.items()},
            "client": {k: np.asarray(v).tolist() for k, v in client.items()},
            "protocols": [p.model_dump() for p in res["protocols"]],
            "key_rate_per_pulse": np.asarray(q["key_rate_per_pulse"])[0].tolist(),
            "ratio_to_plob": np.asarray(q["ratio_to_plob"])[0].tolist(),
            "qber_x": np.asarray(q["qber_x"])[0].tolist(),
            "distance_km": spec["distance_km"]}


def reference_protocols(ref: dict):
    from ..system.snstf import SNSProtocol

    return [SNSProtocol(**p) for p in ref["protocols"]]


def _slot_params(d, distance_km: float, slots=None):
    """The design's network parameters, restricted to ``slots`` (pair indices) at ``distance_km``."""
    from ..design import network_params

    params = network_params(d)
    if slots is not None:
        params = params.model_copy(update={"pairs": [params.pairs[i] for i in slots]})
    return params


def _pair_chain(server: dict, clients: dict, d, ref: dict, slots, distance_km: float) -> dict[str, np.ndarray]:
    """Key rate of pair slots ``slots`` for the given dies through ``system.network.network_batch``."""
    from ..system.network import network_batch

    params = _slot_params(d, distance_km, slots)
    protos = [reference_protocols(ref)[i] for i in slots]
    res = network_batch(server, clients, params, protocols=protos, distance_km=distance_km)
    return res["pairs"]


def _chain_columns(q: dict, j: int = 0) -> dict[str, np.ndarray]:
    keep = ("locked", "key_rate_per_pulse", "ratio_to_plob", "qber_x", "e_d", "linewidth_Hz", "injection_ratio_a_dB",
            "reach_margin_K_a", "reach_margin_K_b", "lock_margin_a", "lock_margin_b",
            "tec_offset_a_K", "reach_a", "reach_current_only_a", "in_lock_range_a", "comb_line_power_mW")
    out = {k: np.asarray(q[k], dtype=float)[:, j] for k in keep}
    # a pair that does not lock has no interference: its QBER and e_d are undefined, not 50 %
    for k in ("qber_x", "e_d"):
        out[k] = np.where(out["locked"] > 0, out[k], np.nan)
    return out


def _lock_margin(c: dict, sides) -> np.ndarray:
    """The continuous margins behind ``locked`` of the client(s) ``sides``: the smaller of the DBR set-point
    window (``reach_margin_K`` over the TEC span) and the place in the stable band (``lock_margin``, 1 at the
    centre, 0 at an edge); >= 0 where the laser reaches its line and locks. ``locked`` also needs an
    executable circuit and a working server (discrete)."""
    from ..circuits.devices import TEC_SPAN_K

    return np.min([np.minimum(c[f"reach_margin_K_{x}"] / TEC_SPAN_K, c[f"lock_margin_{x}"]) for x in sides], axis=0)


# ----------------------------------------------------------------------------- platforms
def evaluate_inp(params: dict, defects: dict, design: dict | None = None, processes: dict | None = None) -> dict:
    """Metrics of transmitter dies of ``design`` (one row each): devices, the adaptable circuit, and the
    key rate as client A of the first pair at 370 km with the design's nominal partner and server."""
    d = _design(design)
    procs = _study_processes(d, processes)
    m = client_dies(params, defects, d, procs["inp"])
    ch = m.pop("_chain")
    m.pop("_sections")
    ref = design_reference(design, procs)
    n = m["vpi_V"].shape[0]
    nom_c = {k: np.asarray(v) for k, v in ref["client"].items()}
    clients = {k: np.stack([np.asarray(ch[k]), np.broadcast_to(nom_c[k][0], np.shape(ch[k]))], axis=1) for k in ch}
    server = {k: np.repeat(np.asarray(v, dtype=float), n) for k, v in ref["server"].items()}
    q = _pair_chain(server, clients, d, ref, [0], REFERENCE_DISTANCE_KM)
    c = _chain_columns(q)
    m.update({"key_rate_per_pulse": c["key_rate_per_pulse"], "ratio_to_plob": c["ratio_to_plob"],
              "qber_x": c["qber_x"], "locked": c["locked"], "lock_margin": _lock_margin(c, ("a",)),
              "tec_offset_K": c["tec_offset_a_K"],
              "dbr_reach_current_only": c["reach_current_only_a"], "injection_ratio_dB": c["injection_ratio_a_dB"]})
    return m


def evaluate_sin(params: dict, defects: dict, design: dict | None = None, processes: dict | None = None) -> dict:
    """Metrics of server dies of ``design`` (one row each), with the comb each die makes."""
    from ..design import network_params
    from ..system.network import SERVER_KEYS, _comb

    d = _design(design)
    procs = _study_processes(d, processes)
    m = server_dies(params, defects, d, procs["sin"])
    ch = m.pop("_chain")
    comb = _comb({k: ch[k] for k in (*SERVER_KEYS, "width_um", "thickness_nm")}, network_params(d))
    lines = [int(x) for x in np.asarray(comb["lines"]).tolist()]
    used = [p.comb_line for p in d.network.pairs]
    m["comb_exists"] = np.asarray(comb["comb_exists"], dtype=float)
    m["comb_linewidth_Hz"] = np.asarray(comb["linewidth_Hz"], dtype=float)
    m["comb_min_line_power_mW"] = np.min(np.asarray(comb["line_power_mW"])[:, [lines.index(u) for u in used]], axis=1)
    if "heater_power_mW" in comb:
        m["heater_power_mW"] = np.asarray(comb["heater_power_mW"], dtype=float)
    return m


def evaluate_pair(client: tuple, server: tuple, n_pairs: int, design: dict | None = None,
                  processes: dict | None = None) -> dict:
    """Metrics of chip pairs: clients 2i and 2i+1 with server die i, in the first pair's slot."""
    (pc, dc), (ps, ds) = client, server
    d = _design(design)
    procs = _study_processes(d, processes)
    tx = client_dies(pc, dc, d, procs["inp"])
    sv = server_dies(ps, ds, d, procs["sin"])
    ch, sch = tx.pop("_chain"), sv.pop("_chain")
    a, b = slice(0, 2 * n_pairs, 2), slice(1, 2 * n_pairs, 2)
    clients = {k: np.stack([np.asarray(v)[a], np.asarray(v)[b]], axis=1) for k, v in ch.items()}
    ref = design_reference(design, procs)
    q = _pair_chain(sch, clients, d, ref, [0], REFERENCE_DISTANCE_KM)
    c = _chain_columns(q)
    return {
        "im_visibility_dB_a": tx["im_visibility_dB"][a], "im_visibility_dB_b": tx["im_visibility_dB"][b],
        "vpi_V_a": tx["vpi_V"][a], "vpi_V_b": tx["vpi_V"][b],
        "n_failed_modulators": tx["n_failed_modulators"][a] + tx["n_failed_modulators"][b],
        "chip_executable_a": tx["chip_executable"][a], "chip_executable_b": tx["chip_executable"][b],
        "fsr_GHz": sv["fsr_GHz"], "q_intrinsic": sv["q_intrinsic"], "q_coupling": sv["q_coupling"],
        "D2_over_2pi_kHz": sv["D2_over_2pi_kHz"],
        "table_clipped": np.maximum(np.maximum(tx["table_clipped"][a], tx["table_clipped"][b]), sv["table_clipped"]),
        "locked": c["locked"], "lock_margin": _lock_margin(c, ("a", "b")), "qber_x": c["qber_x"], "e_d": c["e_d"],
        "key_rate_per_pulse": c["key_rate_per_pulse"], "ratio_to_plob": c["ratio_to_plob"],
    }


EVALUATORS = {"inp": evaluate_inp, "sin": evaluate_sin, "pair": evaluate_pair}

#: The metrics each platform's evaluator returns (a test holds them against the evaluators), so that a
#: spec naming anything else is refused before a study computes anything.
PLATFORM_METRICS = {
    "inp": ("bragg_nm", "chip_degraded", "chip_executable", "dbr_reach_current_only", "dbr_tec_window_nm",
            "dbr_tuning_range_nm", "gate_visibility_dB", "im_chirp_rad", "im_insertion_loss_dB", "im_intensity_error_rel",
            "im_visibility_dB",
            "im_visibility_min_dB", "injection_ratio_dB", "k_c_per_s", "key_rate_per_pulse", "lock_margin", "locked",
            "mode_spacing_nm", "n_failed_modulators", "pm_max_phase_rad", "pm_phase_error_rad", "qber_x",
            "ratio_to_plob", "reachable_line_count", "table_clipped", "target_lines_reachable", "tec_offset_K",
            "voa_attenuation_dB", "vpi_V"),
    "sin": ("D2_over_2pi_kHz", "beta2_ps2_per_km", "beta3_ps3_per_km", "comb_exists", "comb_linewidth_Hz",
            "comb_min_line_power_mW", "extinction_dB", "fsr_GHz", "heater_power_mW", "linewidth_MHz", "n_defects",
            "n_eff", "n_g", "power_coupling_K", "q_coupling", "q_intrinsic", "q_loaded", "resonance_wl_nm",
            "ring_loss_dB_per_m", "table_clipped"),
    "pair": ("D2_over_2pi_kHz", "chip_executable_a", "chip_executable_b", "e_d", "fsr_GHz", "im_visibility_dB_a",
             "im_visibility_dB_b", "key_rate_per_pulse", "lock_margin", "locked", "n_failed_modulators", "q_coupling",
             "q_intrinsic",
             "qber_x", "ratio_to_plob", "table_clipped", "vpi_V_a", "vpi_V_b"),
}
