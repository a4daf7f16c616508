"""Network-level Monte Carlo: how many pairs of a fabricated network beat the repeaterless bound.

Each sampled network is what the article built: one server die (its ring makes the comb) and
``2 x n_pairs`` client dies drawn at random, without preselection, from one simulated InP wafer at their
die positions (the article drew 20 of the 24 chips of one 3-inch wafer). Client i of the draw takes seat
i (A_1, B_1, A_2, ...) of the design's pairs; with ``match=True`` the dies are instead assigned to lines
and partners to maximise the pairs that lock (:func:`match_seats`). Every die goes through the same
evaluators as the single design (``wafer.evaluate.client_dies`` / ``server_dies``) and every network
through ``system.network.network_batch`` (comb, DBR set-point, locking, adaptable circuit, e_d, key rate
at the design's per-slot protocol).

Randomness: network i has its own stream (seed, i) (:func:`network_draws`): it draws its 2 x n_pairs
client dies and samples the process model exactly at them (``wafer.variation.sample_die_sets``: the wafer,
radial and spatially correlated terms at those positions); server dies come from the ``pair`` study's
server wafers (die i mod n of wafer i div n). Same seed, same result, byte for byte, whatever the chunking.

A study is a resumable job in a run folder (``wafer.store.RunStore``, the yield study's store)::

    DIR/manifest.json                 the study (seed, networks, design, process, distance_km, match, chunk
                                      plan) and per finished chunk its networks, CPU-s and, per table, sha256
                                      and rows
    DIR/chunks/c00000.pairs.parquet   chunk 0's pair rows        (one write per table per finished chunk,
    DIR/chunks/c00000.networks.parquet        network rows        each atomic, with the chunk's identity in
    DIR/chunks/c00000.sections.parquet        IM-arm statistics   its Parquet metadata)
    DIR/pairs.parquet, networks.parquet       all chunks in network order (row groups of a fixed size)
    DIR/summary.json                  the summary (``qchipnet yield --platform network --json``)
    DIR/finished.json                 written last, with the sha256 of the three files above
    DIR/.lock                         held by the one process writing the folder

Chunks of :data:`_NETWORKS_PER_CHUNK` networks are evaluated in this process or on Dask workers
(``wafer.engine.run_chunks``); an interrupted study (Ctrl-C, a killed process) keeps its finished chunks
and ``resume`` computes only the others, with the same final files.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..validate import InputError, check_range

__all__ = ["CHUNK_TABLES", "OUTPUTS", "NetworkStudy", "evaluate_networks", "make_network_study", "match_seats",
           "network_chunk", "network_draws", "network_manifest", "protocol_reuse_check", "run_network_study",
           "section_stats", "summarise_networks"]

_SERVER_OFFSET = 1_000_000  # = engine._PAIR_SERVER_OFFSET: server wafers of the pair study
_DRAW_STREAM = 7  # stream tag of the die draw
#: Networks per chunk of a study: one evaluation call and one write per chunk. 20 client dies per network
#: (the default design's 10 pairs) x 1638 = 32760 dies fill the 2**15 padded batch of ``circuits.devices``;
#: measured (benchmarks/bench_network_chunks.py, 4 interleaved rounds): 1.12e5 dies/CPU-s marginal, as 2048
#: networks (1.11e5, 40960 dies in a 65536 batch) and above 1024 (9.2e4), 3276 (1.05e5) and 256 (6.3e4).
_NETWORKS_PER_CHUNK = 1638
#: Files a network study writes into its folder (besides the run folder's manifest, chunks and marker).
OUTPUTS = ("pairs.parquet", "networks.parquet", "summary.json", "plots")
#: Tables of one chunk in the run folder: the pair rows, the network rows and, per network, the
#: statistics of its IM arms that the summary's ``article_reading`` needs (:func:`section_stats`).
CHUNK_TABLES = ("pairs", "networks", "sections")
#: Quantities per IM arm (``evaluate_networks``' third result) summarised per network.
_SECTION_QUANTITIES = ("vpi_V", "visibility_dB")
#: Columns of the pairs table the summary and the protocol-reuse check read (kept in memory at the end).
_SUMMARY_PAIR_COLUMNS = ("network", "pair", "locked", "key_rate_per_pulse", "ratio_to_plob", "qber_x", "server_ok",
                         "executable_a", "executable_b", "reach_a", "reach_b", "in_lock_range_a", "in_lock_range_b",
                         "p_noise", "e_d", "intensity_fluctuation")


@dataclass(frozen=True)
class NetworkStudy:
    """Everything that defines a network study's result."""

    networks: int
    seed: int
    design: dict
    process: dict  # {"inp": ProcessData, "sin": ProcessData}
    distance_km: float = 370.0
    match: bool = False


def make_network_study(networks: int, seed: int, *, design=None, distance_km: float = 370.0, match: bool = False,
                       process_path: str | None = None) -> NetworkStudy:
    """Validate the user's choices (before any computation) and build a :class:`NetworkStudy`."""
    from ..design import Design, default_design, parse_design

    check_range("networks", networks, 1, 1_000_000)
    check_range("seed", seed, 0, 2**63 - 1)
    check_range("distance_km", distance_km, 1.0, 2000.0, "km")
    if design is None:
        design = default_design()
    elif not isinstance(design, Design):
        design = parse_design(design, source="design")
    from .engine import study_process

    process = study_process(design, ("inp", "sin"), process_path)
    n_seats = 2 * len(design.network.pairs)
    plan = _plan(design.model_dump(mode="json"), "inp")
    if plan.n_dies < n_seats:
        raise InputError(f"network.pairs: {n_seats} client dies per network, but the design's InP wafer has only "
                         f"{plan.n_dies} dies")
    return NetworkStudy(networks=int(networks), seed=int(seed), design=design.model_dump(mode="json"),
                        process=process, distance_km=float(distance_km), match=bool(match))


def _plan(design: dict, platform: str):
    from ..layouts.wafer_plan import design_plan

    return design_plan(design, platform)


def network_draws(seed: int, nets: range, sizes: tuple[int, ...], stream: int = _DRAW_STREAM) -> list[np.ndarray]:
    """Each network's own random numbers: ``sizes[0]`` uniforms, then ``sizes[1]`` standard normals, then
    ``sizes[2]`` uniforms, ... (alternating), from Philox-4x64 keyed by (seed, network << 8 | stream) with
    the counter at 0: a counter-based generator whose keys give independent streams (Salmon et al., SC'11,
    "Parallel random numbers: as easy as 1, 2, 3"). A network's numbers depend on its index only, never
    on the chunk that holds it. One bit generator is re-keyed per network (a state assignment: a tenth of
    the cost of creating a generator). Returns one array (len(nets), size) per size."""
    bits = np.random.Philox(key=0)
    g = np.random.Generator(bits)
    out = [np.empty((len(nets), k)) for k in sizes]
    zero4 = np.zeros(4, np.uint64)
    for r, i in enumerate(nets):
        bits.state = {"bit_generator": "Philox", "buffer": zero4, "buffer_pos": 4, "has_uint32": 0, "uinteger": 0,
                      "state": {"counter": zero4, "key": np.array([(i << 8) | stream, seed], np.uint64)}}
        for j, k in enumerate(sizes):
            out[j][r] = g.standard_normal(k) if j % 2 else g.random(k)
    return out


def _sample_clients(study: NetworkStudy, nets: range, n_seats: int):
    """Process samples and defects of the drawn client dies of networks ``nets`` (stacked, seat-major):
    network i draws ``n_seats`` distinct dies of its own client wafer (from its own numbers,
    :func:`network_draws`: the dies of the ``n_seats`` smallest of one uniform key per die, in key order,
    i.e. a uniformly random ordered draw without replacement) and the process model is sampled exactly at
    those dies (``variation.sample_die_sets``)."""
    from .variation import die_set_draws, sample_die_sets

    plan = _plan(study.design, "inp")
    pos = plan.positions_mm()
    ids = np.array(plan.ids())
    proc = study.process["inp"]
    n_z, n_u = die_set_draws(proc, n_seats)
    keys, z, u = network_draws(study.seed, nets, (plan.n_dies, n_z, n_u))
    picks = np.argpartition(keys, n_seats - 1, axis=1)[:, :n_seats]
    picks = np.take_along_axis(picks, np.argsort(np.take_along_axis(keys, picks, axis=1), axis=1), axis=1)
    params, defects = sample_die_sets(proc, pos[picks], plan.wafer_diameter_mm / 2, normals=z, uniforms=u)
    return params, defects, ids[picks]


def _sample_servers(study: NetworkStudy, nets: range):
    from .variation import sample_wafer

    plan = _plan(study.design, "sin")
    n = plan.n_dies
    ids = np.array(plan.ids())
    w_of, j_of = np.divmod(np.arange(nets.start, nets.stop), n)
    params, defects = {}, {}
    for w in np.unique(w_of):  # the server wafers these networks use, each sampled once
        p, dft = sample_wafer(study.process["sin"], plan.positions_mm(), plan.wafer_diameter_mm / 2, study.seed,
                              _SERVER_OFFSET + int(w))
        j = j_of[w_of == w]
        for k, v in p.items():
            params.setdefault(k, []).append(v[j])
        for k, v in dft.items():
            defects.setdefault(k, []).append(v[j])
    meta = list(zip(w_of.tolist(), ids[j_of].tolist()))
    return ({k: np.concatenate(v) for k, v in params.items()}, {k: np.concatenate(v) for k, v in defects.items()},
            meta)


def match_seats(clients: dict, server: dict, comb: dict, params) -> np.ndarray:
    """Seat order per network that maximises the seats whose die can lock to the seat's line.

    For every network, die d and pair slot j: can d reach the slot's line together with lambda_0 (one TEC
    set-point), lock inside its stable band at that line's power, and run the protocol? A linear assignment
    (Hungarian, ``scipy.optimize.linear_sum_assignment``) of dies to the 2 x n_pairs seats maximises the
    feasible seats, and among equal assignments puts dies of higher not-sending extinction together (a
    small tie-break weight). Returns (N, 2 n_pairs) indices into each network's draw.
    """
    from scipy.optimize import linear_sum_assignment

    from ..circuits.devices import TEC_SPAN_K
    from ..system import chain

    pairs = params.pairs
    n_p = len(pairs)
    lines = [int(m) for m in np.asarray(comb["lines"]).tolist()]
    idx = np.array([lines.index(p.comb_line) for p in pairs])
    mus = np.array([p.comb_line for p in pairs] + [params.reference_line])
    grid = chain.line_wavelengths_nm(mus, server["fsr_GHz"], comb["pump_nm"])
    line_nm, ref_nm = grid[:, None, :n_p], grid[:, None, n_p:]
    c = {k: np.asarray(v) for k, v in clients.items()}
    col = lambda k: c[k][..., None]
    sp = chain.dbr_setpoint(bragg_nm=col("bragg_nm"), current_tuning_nm=col("dbr_tuning_range_nm"),
                            thermal_nm_per_K=col("dbr_tec_window_nm") / (2 * TEC_SPAN_K),
                            mode_spacing_nm=col("mode_spacing_nm"), line_nm=line_nm, reference_nm=ref_nm,
                            tec_span_K=TEC_SPAN_K)
    lk, inj = params.link, params.injection
    lock = chain.lock_batch(
        line_power_mW=np.asarray(comb["line_power_mW"])[:, None, idx], comb_linewidth_Hz=0.0, k_c_per_s=col("k_c_per_s"),
        alpha_H=col("alpha_H"), free_running_linewidth_Hz=col("free_running_linewidth_Hz"),
        output_power_mW=col("output_power_mW"), chip_coupling_loss_dB=col("chip_coupling_loss_dB"),
        downstream_km=np.array([p.downstream_km for p in pairs]), downstream_loss_dB_per_km=lk.loss_dB_per_km,
        reamplified=np.array([p.reamplified for p in pairs]), demux_loss_dB=inj.demux_loss_dB,
        relaxation_frequency_GHz=inj.relaxation_frequency_GHz, setpoint_error_MHz=inj.setpoint_error_MHz,
        distribution_excess_Hz=0.0)
    circ = chain.adaptable_circuit(c["section_failed"], c["im_visibility_dB"])
    ok = sp["reach_tec"] & lock["in_range"] & circ["executable"][..., None]  # (N, D, P)
    gate = np.nan_to_num(circ["gate_visibility_dB"], nan=0.0)
    order = np.empty(ok.shape[:2], dtype=int)
    for i in range(ok.shape[0]):
        # seats 2j, 2j+1 are slot j; cost -1 per feasible seat, tie-break: better dies on better slots
        feas = np.repeat(ok[i], 2, axis=1).astype(float)  # (D, 2P)
        slot_rank = np.repeat(np.arange(n_p), 2) / max(n_p, 1)
        cost = -feas - 1e-3 * (gate[i][:, None] / 100.0) * (1 - slot_rank)[None, :]
        rows, cols = linear_sum_assignment(cost)
        order[i, cols] = rows
    return order


def evaluate_networks(study: NetworkStudy, start: int, stop: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Networks ``start``..``stop-1``: (pairs table, networks table, section statistics)."""
    from ..design import network_params
    from ..system.network import SERVER_KEYS, _comb, network_batch
    from .evaluate import (
        _design,
        client_dies,
        design_reference,
        reference_protocols,
        server_dies,
    )

    d = _design(study.design)
    params = network_params(d)
    n_p = len(params.pairs)
    n_seats = 2 * n_p
    nets = range(start, stop)
    n = len(nets)
    pc, dc, cmeta = _sample_clients(study, nets, n_seats)
    ps, ds, smeta = _sample_servers(study, nets)
    tx = client_dies(pc, dc, d, study.process["inp"])
    sv = server_dies(ps, ds, d, study.process["sin"])
    ch = {k: np.asarray(v).reshape((n, n_seats) + np.shape(v)[1:]) for k, v in tx.pop("_chain").items()}
    sch = sv.pop("_chain")
    order = np.tile(np.arange(n_seats), (n, 1))
    if study.match:
        comb = _comb({k: sch[k] for k in (*SERVER_KEYS, "width_um", "thickness_nm")}, params)
        order = match_seats(ch, sch, comb, params)
        ch = {k: np.take_along_axis(v, order.reshape((n, n_seats) + (1,) * (v.ndim - 2)), axis=1) for k, v in ch.items()}
    ref = design_reference(study.design, study.process, distance_km=study.distance_km)
    res = network_batch(sch, ch, params, protocols=reference_protocols(ref), distance_km=study.distance_km)
    q = res["pairs"]
    comb = res["comb"]
    seat_ids = cmeta[np.arange(n)[:, None], order]
    rows = {"network": np.repeat(np.arange(start, stop), n_p), "pair": np.tile([p.pair for p in params.pairs], n),
            "comb_line": np.tile([p.comb_line for p in params.pairs], n),
            "die_a": seat_ids[:, 0::2].reshape(-1), "die_b": seat_ids[:, 1::2].reshape(-1)}
    for k, v in q.items():
        a = np.asarray(v)
        if a.shape[:2] == (n, n_p) and a.ndim == 2:
            rows[k] = a.reshape(-1).astype(float)
    pairs = pd.DataFrame(rows)
    locked = np.asarray(q["locked"], bool)
    kr = np.asarray(q["key_rate_per_pulse"], float)
    ratio = np.asarray(q["ratio_to_plob"], float)
    working = locked & (kr > 0)
    dist = np.array([p.distance_km for p in res["pair_specs"]])
    shortest = np.where(working.any(1), np.where(working, dist, np.inf).min(1), 0.0)
    cap = 2 * working.sum(1) * shortest / 2  # N L / 2 with N the users of the working pairs
    failed = np.asarray(dc["pm_failure"]).reshape(n, n_seats)
    execu = np.asarray(tx["chip_executable"]).reshape(n, n_seats) > 0
    networks = pd.DataFrame({
        "network": np.arange(start, stop), "server_wafer": [w for w, _ in smeta], "server_die": [s for _, s in smeta],
        "client_wafer": np.arange(start, stop),
        "pairs_above_plob": (ratio > 1).sum(1), "pairs_working": working.sum(1),
        "all_pairs_working": working.all(1), "all_pairs_above_plob": (ratio > 1).all(1),
        "network_capability_km": cap, "min_pair_key_rate_per_pulse": np.where(working, kr, 0.0).min(1),
        "clients_executable": execu.sum(1), "all_clients_executable": execu.all(1),
        "failed_modulators": failed.sum(1),
        "server_ok": np.asarray(q["server_ok"])[:, 0], "comb_exists": np.asarray(comb["comb_exists"], bool),
        "heater_in_range": np.asarray(comb["heater_in_range"], bool),
        "comb_linewidth_Hz": np.asarray(comb["linewidth_Hz"], float), "q_intrinsic": sv["q_intrinsic"],
        "fsr_GHz": sv["fsr_GHz"], "D2_over_2pi_kHz": sv["D2_over_2pi_kHz"],
    })
    sections = {k: np.asarray(v).reshape(n, -1) for k, v in tx["_sections"].items()}
    return pairs, networks, sections


def _stats(v) -> dict:
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {"mean": None, "p5": None, "p50": None, "p95": None}
    return {"mean": float(v.mean()), "p5": float(np.percentile(v, 5)), "p50": float(np.percentile(v, 50)),
            "p95": float(np.percentile(v, 95))}


def section_stats(network, sections: dict) -> pd.DataFrame:
    """Per network, what the summary's ``article_reading`` needs of its IM arms (``sections``: {quantity:
    (networks, arms)} as ``evaluate_networks`` returns them): for vpi_V and visibility_dB the number of
    arms, the sum and the sum of squares, over all arms (a failed section counted as a zero, as the
    article's Fig. 2k) and over the working ones (value > 0). Row i depends on network i alone, so the
    study's totals do not depend on the chunking."""
    cols = {"network": np.asarray(network, dtype=np.int64)}
    for q in _SECTION_QUANTITIES:
        v = np.ascontiguousarray(sections[q], dtype=float)
        w = v > 0
        for tag, x, k in (("", v, np.full(len(v), v.shape[1], dtype=np.int64)),
                          ("_working", np.where(w, v, 0.0), w.sum(1))):
            cols[f"{q}{tag}_n"] = k
            cols[f"{q}{tag}_sum"] = x.sum(1)
            cols[f"{q}{tag}_sumsq"] = (x * x).sum(1)
    return pd.DataFrame(cols)


def _mean_std(stats: pd.DataFrame, prefix: str) -> dict:
    """Mean and sample standard deviation from per-network counts, sums and sums of squares."""
    n = float(stats[f"{prefix}_n"].sum())
    s1, s2 = float(stats[f"{prefix}_sum"].sum()), float(stats[f"{prefix}_sumsq"].sum())
    if n < 2:
        return {"mean": s1 / n if n else None, "std": None}
    return {"mean": s1 / n, "std": float(np.sqrt(max(s2 - s1 * s1 / n, 0.0) / (n - 1)))}


def summarise_networks(study: NetworkStudy, pairs: pd.DataFrame, networks: pd.DataFrame,
                       sections: dict | pd.DataFrame, elapsed_s: float, cpu_s: float) -> dict:
    """The network study summary (keys of ``qchipnet yield --platform network --json``). ``pairs`` needs
    the columns of ``_SUMMARY_PAIR_COLUMNS``; ``sections`` is ``evaluate_networks``' per-arm arrays or
    their :func:`section_stats` table."""
    from .specs import cluster_bootstrap_interval, per_cluster_yield
    from .variation import DEVICES_PER_DIE

    if not isinstance(sections, pd.DataFrame):
        sections = section_stats(networks["network"], sections)
    n = len(networks)
    n_p = int(pairs["pair"].nunique())
    working = (pairs["locked"] > 0) & (pairs["key_rate_per_pulse"] > 0)
    ok_pairs = pairs[working]
    yes = networks["all_pairs_above_plob"].to_numpy()
    lo, hi = cluster_bootstrap_interval(yes, networks["server_wafer"].to_numpy(), seed=study.seed)
    per = DEVICES_PER_DIE["inp"]["pm_failure"]
    n_dies = n * 2 * n_p
    causes = {
        "server (no comb, heater out of range, defect or anomalous dispersion)": int((pairs["server_ok"] == 0).sum()),
        "client circuit not executable": int(((pairs["executable_a"] == 0) | (pairs["executable_b"] == 0)).sum()),
        "DBR cannot reach line and lambda_0 with one TEC set-point": int(((pairs["reach_a"] == 0) |
                                                                        (pairs["reach_b"] == 0)).sum()),
        "outside the stable locking band": int(((pairs["in_lock_range_a"] == 0) | (pairs["in_lock_range_b"] == 0)).sum()),
        "locked, no positive key": int(((pairs["locked"] > 0) & (pairs["key_rate_per_pulse"] <= 0)).sum()),
    }
    return {
        "platform": "network",
        "networks": n,
        "pairs_per_network": n_p,
        "distance_km": study.distance_km,
        "seed": study.seed,
        "match": study.match,
        "pairs_above_plob": _stats(networks["pairs_above_plob"]),
        "pairs_working": _stats(networks["pairs_working"]),
        "all_pairs_working_fraction": float(networks["all_pairs_working"].mean()),
        "network_capability_km": _stats(networks["network_capability_km"]),
        "ratio_to_plob": {k: v for k, v in _stats(ok_pairs["ratio_to_plob"]).items() if k != "mean"},
        "ratio_to_plob_p95_over_p5": (float(np.percentile(ok_pairs["ratio_to_plob"], 95) /
                                            np.percentile(ok_pairs["ratio_to_plob"], 5)) if len(ok_pairs) else None),
        "qber_x": _stats(ok_pairs["qber_x"]),
        "min_pair_key_rate_per_pulse": _stats(networks["min_pair_key_rate_per_pulse"]),
        "modulator_yield": 1.0 - float(networks["failed_modulators"].sum()) / (per * n_dies),
        "chip_executable_fraction": float(networks["clients_executable"].sum() / n_dies),
        "all_clients_executable_fraction": float(networks["all_clients_executable"].mean()),
        "yield": float(yes.mean()),
        "yield_definition": "fraction of networks in which every pair beats the PLOB bound at distance_km",
        "yield_ci95": [lo, hi],
        "yield_ci95_method": "cluster bootstrap over server wafers (2000 resamples)",
        "per_wafer_yield": per_cluster_yield(yes, networks["server_wafer"].to_numpy()),
        "pair_failure_causes": causes,
        "article_reading": {
            "what": "every IM arm as the article's Fig. 2k counts it (a failed section as a zero)",
            "vpi_V": _mean_std(sections, "vpi_V"),
            "visibility_dB": _mean_std(sections, "visibility_dB"),
            "vpi_V_working": _mean_std(sections, "vpi_V_working"),
            "visibility_dB_working": _mean_std(sections, "visibility_dB_working"),
        },
        "elapsed_s": round(elapsed_s, 3),
        "cpu_s": round(cpu_s, 3),
        "dies_per_cpu_s": round(n * (2 * n_p + 1) / cpu_s, 1) if cpu_s > 0 else None,
    }


def protocol_reuse_check(study: NetworkStudy, pairs: pd.DataFrame, n: int = 64) -> dict:
    """Key rate lost by reusing the design's per-slot protocol instead of re-optimising it per die pair:
    the protocol is re-optimised (``system.optimize.optimize_protocol``) for up to ``n`` working pairs
    (the first in network order) and compared with the reused protocol's rate."""
    from ..design import network_params
    from ..system.optimize import optimize_protocol
    from .evaluate import _design

    ok = pairs[(pairs["locked"] > 0) & (pairs["key_rate_per_pulse"] > 0)].head(n)
    if ok.empty:
        return {"pairs": 0, "mean_rel_gain": None, "max_rel_gain": None}
    params = network_params(_design(study.design))
    lk = params.link
    eta = lk.detector_efficiency * 10 ** (-lk.server_loss_dB / 10) * 10 ** (-lk.loss_dB_per_km * study.distance_km / 20)
    e = np.full(len(ok), eta)
    # at each pair's own intensity fluctuation (its chips' DAC level errors), as the reused rate has it
    res, _ = optimize_protocol(e, e, ok["p_noise"].to_numpy(), ok["e_d"].to_numpy(), params.protocol,
                               intensity_fluctuation=ok["intensity_fluctuation"].to_numpy())
    gain = np.asarray(res.key_rate) / ok["key_rate_per_pulse"].to_numpy() - 1.0
    return {"pairs": len(ok), "mean_rel_gain": float(gain.mean()), "max_rel_gain": float(gain.max()),
            "what": "relative key-rate gain of re-optimising the protocol per die pair over reusing the design's"}


def network_manifest(study: NetworkStudy, networks_per_chunk: int | None = None) -> dict:
    """The run folder's manifest of ``study`` (``wafer.store``): what must match to resume it (platform,
    networks as ``dies``, seed, process, design, distance_km, match, chunk plan) and provenance."""
    import hashlib
    import json

    from .engine import _versions

    size = int(networks_per_chunk or _NETWORKS_PER_CHUNK)
    proc = {k: v.model_dump() for k, v in study.process.items()}
    return {
        "kind": "qchipnet-yield-study",
        "format_version": 1,
        "platform": "network",
        "dies": study.networks,
        "seed": study.seed,
        "spec": None,  # the pass criterion is fixed: every pair above PLOB at distance_km
        "process": proc,
        "process_hash": hashlib.sha256(json.dumps(proc, sort_keys=True).encode()).hexdigest()[:16],
        "chunk_plan": {"unit": "network", "networks": study.networks, "networks_per_chunk": size,
                       "n_chunks": -(-study.networks // size), "tables": list(CHUNK_TABLES)},
        "design": study.design,
        "distance_km": study.distance_km,
        "match": study.match,
        "versions": _versions(),
    }


def network_chunk(study: NetworkStudy, size: int, chunk: int) -> tuple[dict[str, pd.DataFrame], dict]:
    """Evaluate chunk ``chunk`` (networks ``chunk * size`` .. ``min((chunk + 1) * size, networks) - 1``):
    ({table: DataFrame} of :data:`CHUNK_TABLES`, its identity: networks, seed, CPU-s and wall-s spent here).
    Pure in the study (each network has its own random stream), so it runs on any worker."""
    t0, c0 = time.perf_counter(), time.process_time()
    start, stop = chunk * size, min((chunk + 1) * size, study.networks)
    pairs, networks, sections = evaluate_networks(study, start, stop)
    tables = {"pairs": pairs, "networks": networks, "sections": section_stats(networks["network"], sections)}
    ident = {"networks": [start, stop], "seed": study.seed, "platform": "network",
             "cpu_s": round(time.process_time() - c0, 3), "wall_s": round(time.perf_counter() - t0, 3)}
    return tables, ident


def run_network_study(study: NetworkStudy, out_dir: str | Path | None = None, *, progress: bool = False,
                      resume: bool = False, overwrite: bool = False, workers: int = 0, scheduler: str | None = None,
                      echo=None) -> dict:
    """Run (or resume) ``study`` in its run folder ``out_dir`` (a temporary one when None); returns the summary.

    Chunks of :data:`_NETWORKS_PER_CHUNK` networks are evaluated (in this process, or on ``workers`` local
    Dask workers / an existing ``scheduler``) and each is written, when finished, as one checked Parquet
    file per table of :data:`CHUNK_TABLES` (``wafer.store.RunStore``); the folder is refused, resumed or
    replaced as a yield study's (``resume`` needs the same study; ``overwrite`` replaces one). At the end
    ``pairs.parquet`` and ``networks.parquet`` (every chunk in network order), ``summary.json`` and
    ``finished.json``. Same seed, same files, byte for byte, whatever the chunking, the workers or the
    point an interrupted run was resumed from (``summary.json`` differs only in its timings).
    """
    import tempfile

    from .engine import check_workers, run_chunks, run_mode
    from .store import RunStore

    mode = run_mode(resume, overwrite)
    check_workers(workers, scheduler)
    if out_dir is None:
        if mode != "new":
            raise InputError("--resume and --overwrite need an output folder")
        with tempfile.TemporaryDirectory(prefix="qchipnet-network-") as tmp:
            summary = run_network_study(study, Path(tmp) / "run", progress=progress, workers=workers,
                                        scheduler=scheduler, echo=echo)
        summary.pop("out_dir", None)
        return summary
    size = int(_NETWORKS_PER_CHUNK)
    manifest = network_manifest(study, size)
    n_chunks = manifest["chunk_plan"]["n_chunks"]
    store = RunStore(out_dir)
    t0 = time.perf_counter()

    def finish(computed_now: int) -> dict:
        kept: list[pd.DataFrame] = []
        sha = {"pairs.parquet": store.write_concatenated(
            "pairs.parquet", store.iter_tables(n_chunks, "pairs"),
            on_table=lambda t: kept.append(t.select(list(_SUMMARY_PAIR_COLUMNS)).to_pandas()))}
        nets = list(store.iter_tables(n_chunks, "networks"))
        sha["networks.parquet"] = store.write_concatenated("networks.parquet", iter(nets))
        pairs = pd.concat(kept, ignore_index=True)
        networks = pd.concat([t.to_pandas() for t in nets], ignore_index=True)
        sections = store.read_all(n_chunks, "sections")
        chunks = store.manifest_chunks()
        cpu_s = float(sum(chunks[str(c)]["cpu_s"] for c in range(n_chunks)))
        summary = summarise_networks(study, pairs, networks, sections, time.perf_counter() - t0, cpu_s)
        summary["protocol_reuse"] = protocol_reuse_check(study, pairs)
        summary.update({"cpu_s_what": "CPU-seconds of the chunk evaluations, whichever process or worker ran them",
                        "networks_per_chunk": size, "n_chunks": n_chunks, "chunks_computed_now": computed_now})
        store.finish(summary, sha)
        return {**summary, "out_dir": str(store.root)}

    return run_chunks(store, manifest, mode, n_chunks=n_chunks, task=functools.partial(network_chunk, study, size),
                      write=lambda c, res: store.write_chunk(c, res[0], res[1]),
                      units=lambda c: min((c + 1) * size, study.networks) - c * size, total=study.networks,
                      finish=finish, workers=workers, scheduler=scheduler, progress=progress, echo=echo,
                      unit="networks")
