"""Multi-user WDM TF-QKD network of the reference system: per-pair key rate and N L / 2.

Ten client pairs {A_i, B_i} use comb lines lambda_-5..-3 and lambda_+2..+8 [paper]; lambda_0 carries
the dual-lambda reference. Each pair's chain is: comb line (:mod:`.comb`) -> downstream fibre and
demultiplexer -> injection locking of both clients (:mod:`.injection`) -> upstream fibre shared by all
channels with Raman / crosstalk noise (:mod:`.link`) -> phase tracking residual (:mod:`.phase`) ->
SNS-TF-QKD finite-size key rate optimised per pair (:mod:`.snstf`, :mod:`.optimize`), compared with
PLOB over the Alice-Bob fibre transmittance. Pair 5 uses 60 + 60 km downstream fibres with
reamplification, the article's faster drifts (3.908 / 0.069 rad/ms) and its 2-ms-in-5-ms cycle.
The network capability is ``N L / 2`` with N the users of the pairs that lock and give a positive
key and L the shortest distance among them.
"""

from __future__ import annotations

import numpy as np

from ..validate import Frozen, InputError, check_range
from .bounds import fibre_transmittance, plob_bound
from .comb import CombParams, SILParams
from .devices import ServerMetrics, TransmitterMetrics
from .injection import InjectionParams
from .link import LinkParams, launch_powers_mW, noise_budget
from .phase import PhaseTrackingParams, combine_error_arrays
from .snstf import SNSProtocol

__all__ = ["PairSpec", "NetworkParams", "default_pairs", "evaluate_network", "network_batch", "server_arrays",
           "client_arrays", "sensitivity", "pair_chain", "slot_noise", "ASSUMPTIONS", "SERVER_KEYS", "CLIENT_KEYS", "SENSITIVITY_KEYS"]

#: The assumptions that drive the network result (printed by ``qchipnet network``).
ASSUMPTIONS = (
    "fibre loss 0.2 dB/km (G.652 SMF; article gives none) -> sets PLOB and the 370-km ratio",
    "SNSPD efficiency 0.6, dark count 10 /s, 1-ns gate (typical of SNS-TF-QKD experiments; assumption)",
    "server insertion loss 1.5 dB; error-correction efficiency f = 1.1; N = 1e12 pulses, failure prob 1e-10",
    (f"mode-mismatch visibility {PhaseTrackingParams().mode_visibility} calibrated to the article's QBER_X (it "
    "absorbs polarisation, timing and pulse-shape mismatch the model does not compute)"),
    ("phase drift rates [paper] scale as sqrt(upstream length) (measured at 370 km); phi_d is calibrated, then "
    "used from the start of each QKD window; its rate moves with the line's offset from lambda_0"),
    ("phase slice 2 pi / 16; noise of both arms; references launched for 1e7 detected counts/s (reference "
    "attenuation up to 40 dB by laser II's bias and the VOA: assumption; the VOA alone gives ~5 dB), other pairs' "
    "channels at their strongest state every window; isolation 65/75 dB, Raman beta 3e-9 /(km nm)"),
    ("comb linewidth from the server ring (SIL suppression + thermorefractive floor); locked linewidth = comb "
    "+ 19 Hz distribution excess (calibrated: the article's ~60 Hz locked vs its 40.8 Hz comb)"),
    ("client DBR: laser I on its line and laser II on lambda_0 with one TEC set-point (+-15 K), 100-MHz set-point "
    "error inside the stable band; adaptable modulator circuit (system.chain.adaptable_circuit)"),
)


class PairSpec(Frozen):
    """One client pair: comb line, Alice-Bob upstream distance, downstream fibre per client."""

    pair: int
    comb_line: int
    distance_km: float = 370.0
    downstream_km: float = 0.0
    reamplified: bool = False
    tracking: PhaseTrackingParams = PhaseTrackingParams()

    def __init__(self, **data):
        super().__init__(**data)
        check_range("distance_km", self.distance_km, 0.0, 2000.0, "km")
        check_range("downstream_km", self.downstream_km, 0.0, 500.0, "km")


def default_pairs(distance_km: float = 370.0) -> list[PairSpec]:
    """The article's 10 pairs on lines -5..-3, +2..+8; pair 5 with 60-km reamplified downstream."""
    lines = [-5, -4, -3, 2, 3, 4, 5, 6, 7, 8]
    long_tracking = PhaseTrackingParams(ref_drift_rad_per_ms=3.908, diff_drift_rad_per_ms=0.069,
                                        cycle_ms=5.0, recalibration_ms=2.0, drift_reference_line=3)
    out = []
    for i, line in enumerate(lines, start=1):
        if i == 5:
            out.append(PairSpec(pair=i, comb_line=line, distance_km=distance_km, downstream_km=60.0,
                                reamplified=True, tracking=long_tracking))
        else:
            out.append(PairSpec(pair=i, comb_line=line, distance_km=distance_km))
    return out


class NetworkParams(Frozen):
    """Everything but the chips: pairs, link, protocol, comb/SIL/injection settings."""

    pairs: list[PairSpec] = default_pairs()
    link: LinkParams = LinkParams()
    protocol: SNSProtocol = SNSProtocol()
    comb: CombParams = CombParams()
    sil: SILParams = SILParams()
    injection: InjectionParams = InjectionParams()
    reference_line: int = 0


#: Server-die arrays the chain reads (:class:`ServerMetrics` names; ``n_defects`` is optional).
SERVER_KEYS = ("q_intrinsic", "q_coupling", "fsr_GHz", "D2_over_2pi_kHz", "n_g", "backscatter_gamma_norm",
               "gamma_per_W_per_m", "resonance_wl_nm")
#: Client-die arrays the chain reads: :class:`TransmitterMetrics` names, ``im_visibility_dB`` per IM
#: (trailing axis of 3), ``section_failed`` per EO section (trailing axis of 7, ``chain.SECTIONS``),
#: ``im_intensity_error_rel`` per IM (trailing axis of 3) or per chip (the DAC error of the intensity levels,
#: ``circuits.devices.IM_DAC``).
CLIENT_KEYS = ("im_visibility_dB", "section_failed", "pm_phase_error_rad", "im_intensity_error_rel", "bragg_nm",
               "dbr_tuning_range_nm", "dbr_tec_window_nm", "mode_spacing_nm", "k_c_per_s", "alpha_H",
               "free_running_linewidth_Hz", "output_power_mW", "chip_coupling_loss_dB")


#: Largest intensity fluctuation passed to the decoy analysis (``SNSProtocol.intensity_fluctuation`` < 0.5).
MAX_INTENSITY_FLUCTUATION = 0.45

#: Optional server-die geometry the comb model uses for its thermorefractive floor and heater (fabricated
#: ring width and film thickness; the 2.8 um x 100 nm reference when absent).
_DIE_GEOMETRY = ("width_um", "thickness_nm")


def server_arrays(servers) -> dict[str, np.ndarray]:
    """Arrays (shape (n,)) of :data:`SERVER_KEYS` from one or a list of :class:`ServerMetrics`."""
    servers = [servers] if isinstance(servers, ServerMetrics) else list(servers)
    return {k: np.array([getattr(s, k) for s in servers], dtype=float) for k in (*SERVER_KEYS, *_DIE_GEOMETRY)}


def client_arrays(txs) -> dict[str, np.ndarray]:
    """Arrays (shape (n,), (n, 3), (n, 7)) of :data:`CLIENT_KEYS` from :class:`TransmitterMetrics`.

    A chip given as one metrics object has three identical IMs; a chip that is not ``working`` (zero
    V_pi or visibility, the article's failure marker) has every EO section failed."""
    txs = [txs] if isinstance(txs, TransmitterMetrics) else list(txs)
    own = ("im_visibility_dB", "section_failed", "k_c_per_s", "im_intensity_error_rel")
    out = {k: np.array([getattr(t, k) for t in txs], dtype=float) for k in CLIENT_KEYS if k not in own}
    out["im_intensity_error_rel"] = np.array([t.im_intensity_error_rel for t in txs], dtype=float)
    out["k_c_per_s"] = np.array([t.mirror_rate_per_s for t in txs])
    out["im_visibility_dB"] = np.repeat(np.array([t.im_visibility_dB for t in txs], dtype=float)[:, None], 3, axis=1)
    out["section_failed"] = np.repeat(np.array([not t.working for t in txs])[:, None], 7, axis=1)
    return out


def _comb(server: dict, params: "NetworkParams") -> dict[str, np.ndarray]:
    """The comb of every server die (``comb.comb_batch``), with the pumped line's wavelength."""
    from .comb import comb_batch

    # strict=False: a die whose dispersion leaves the dark-pulse table is flagged (no comb), not an error
    res = comb_batch(server, params.comb, params.sil, strict=False)
    return {k: np.asarray(v) for k, v in res.items()}


def slot_noise(pairs, params: "NetworkParams") -> tuple[np.ndarray, list[dict]]:
    """Noise per detector and pulse of every pair slot (``link.noise_budget``, both arms) with the launch
    powers the design sets (``link.launch_powers_mW``): (p_noise (n_pairs,), budgets by cause)."""
    lk = params.link
    used = sorted({p.comb_line for p in pairs} | {params.reference_line})
    budgets, total = [], []
    for p in pairs:
        # each client's lambda_0 reference set for the tracking's reference counts after its arm, the other
        # pairs' channels at their strongest state
        lp = launch_powers_mW(p.distance_km / 2, lk,
                              ref_counts_per_s=p.tracking.ref_counts_per_sample * p.tracking.sampling_kHz * 1e3,
                              signal_photons_per_pulse=max(params.protocol.mu_z, params.protocol.mu_2))
        nb = noise_budget(p.comb_line, used, p.distance_km / 2, lk, reference_launch_mW=float(lp["reference_launch_mW"]),
                          neighbour_launch_mW=float(lp["neighbour_launch_mW"]), reference_line=params.reference_line)
        nb = {k: float(v) for k, v in nb.items()}
        budgets.append(nb)
        total.append(sum(nb.values()))
    return np.array(total), budgets


def pair_chain(srv: dict, comb: dict, cl: dict, params: "NetworkParams", pairs, *, server_ok=None) -> dict:
    """The per-pair chain between the comb and the key rate (:mod:`qchipnet.system.chain`): DBR set-point,
    adaptable circuit and injection locking of both clients, the pair's error terms, noise and arm
    transmittance. Shared by :func:`network_batch` (numpy) and the design optimiser's objective
    (``qchipnet.optim.objective``: client arrays as jax arrays, differentiated through).

    ``srv``/``comb``: server arrays and their :func:`_comb` (N, ...); ``cl``: client arrays (N, 2 n_pairs, ...);
    ``server_ok`` (N,) or None (then every server counts as working). Returns ``a``/``b`` (each side's
    ``setpoint``, ``circuit``, ``lock``, ``locked``, ``pm_err``, ``level_err``: the DAC error of its intensity
    levels, :func:`chain.level_error`), ``intensity_fluctuation`` ((N, n_pairs): the larger of the two, the
    relative bound of the pair's decoy analysis: its realised intensities are not known better than the
    DAC resolution), ``locked``, ``linewidth_Hz``, ``terms``
    (e_d by cause, (N, n_pairs)), ``eta`` (arm transmittance, 0 where not locked), ``eta_arm`` (n_pairs,: the
    arm transmittance of a locked pair), ``plob_per_pulse`` (n_pairs,), ``p_noise`` (n_pairs,),
    ``noise_budget``, ``line_power_mW``, ``line_nm``, ``distance_km``."""
    from ..circuits.devices import TEC_SPAN_K
    from . import chain

    n_p = len(pairs)
    n_net = np.shape(srv["fsr_GHz"])[0]
    xp = chain.array_namespace(*cl.values(), comb["line_power_mW"], comb["pump_nm"], server_ok)
    lines = [int(m) for m in np.asarray(comb["lines"]).tolist()]
    idx = np.array([lines.index(p.comb_line) for p in pairs])
    mus = np.array([p.comb_line for p in pairs] + [params.reference_line])
    grid = chain.line_wavelengths_nm(mus, srv["fsr_GHz"], comb["pump_nm"])  # (N, P + 1)
    line_nm, ref_nm = grid[:, :n_p], grid[:, n_p:]
    line_mw = xp.asarray(comb["line_power_mW"])[:, idx]
    lk, inj = params.link, params.injection
    down = np.array([p.downstream_km for p in pairs])
    ream = np.array([p.reamplified for p in pairs])
    s_ok = np.ones(n_net, bool) if server_ok is None else xp.asarray(server_ok, bool)
    side = {}
    for name, sl in (("a", slice(0, 2 * n_p, 2)), ("b", slice(1, 2 * n_p, 2))):
        c = {k: v[:, sl] for k, v in cl.items()}
        sp = chain.dbr_setpoint(bragg_nm=c["bragg_nm"], current_tuning_nm=c["dbr_tuning_range_nm"],
                                thermal_nm_per_K=c["dbr_tec_window_nm"] / (2 * TEC_SPAN_K),
                                mode_spacing_nm=c["mode_spacing_nm"], line_nm=line_nm, reference_nm=ref_nm,
                                tec_span_K=TEC_SPAN_K)
        circ = chain.adaptable_circuit(c["section_failed"], c["im_visibility_dB"])
        lock = chain.lock_batch(
            line_power_mW=line_mw, comb_linewidth_Hz=xp.asarray(comb["linewidth_Hz"])[:, None], k_c_per_s=c["k_c_per_s"],
            alpha_H=c["alpha_H"], free_running_linewidth_Hz=c["free_running_linewidth_Hz"],
            output_power_mW=c["output_power_mW"], chip_coupling_loss_dB=c["chip_coupling_loss_dB"],
            downstream_km=down, downstream_loss_dB_per_km=lk.loss_dB_per_km, reamplified=ream,
            demux_loss_dB=inj.demux_loss_dB, relaxation_frequency_GHz=inj.relaxation_frequency_GHz,
            setpoint_error_MHz=inj.setpoint_error_MHz, distribution_excess_Hz=inj.distribution_excess_Hz)
        locked = lock["in_range"] & sp["reach_tec"] & circ["executable"] & s_ok[:, None]
        side[name] = {"setpoint": sp, "circuit": circ, "lock": lock, "locked": locked, "pm_err": c["pm_phase_error_rad"],
                      "level_err": chain.level_error(c["im_intensity_error_rel"], circ["gate_im"], circ["executable"])}
    a, b = side["a"], side["b"]
    locked = a["locked"] & b["locked"]
    lw = xp.maximum(a["lock"]["linewidth_Hz"], b["lock"]["linewidth_Hz"])
    per_slot = []
    for j, p in enumerate(pairs):
        t = chain.error_terms(
            upstream_km=p.distance_km, total_path_km=p.distance_km + 2 * p.downstream_km, linewidth_Hz=lw[:, j],
            lock_var_a_rad2=a["lock"]["residual_phase_var_rad2"][:, j],
            lock_var_b_rad2=b["lock"]["residual_phase_var_rad2"][:, j],
            gate_visibility_a_dB=a["circuit"]["gate_visibility_dB"][:, j],
            gate_visibility_b_dB=b["circuit"]["gate_visibility_dB"][:, j],
            pm_phase_error_a_rad=a["pm_err"][:, j], pm_phase_error_b_rad=b["pm_err"][:, j], tracking=p.tracking,
            comb_line=p.comb_line - params.reference_line, fsr_GHz=srv["fsr_GHz"])
        per_slot.append({k: xp.broadcast_to(v, (n_net,)) for k, v in t.items()})
    terms = {k: xp.stack([t[k] for t in per_slot], axis=1) for k in per_slot[0]}
    p_noise, budgets = slot_noise(pairs, params)
    common = lk.detector_efficiency * 10 ** (-lk.server_loss_dB / 10)
    dist = np.array([p.distance_km for p in pairs])
    eta_arm = common * 10 ** (-lk.loss_dB_per_km * dist / 2 / 10)  # (n_pairs,): each arm of a locked pair
    eta = xp.where(locked, eta_arm, 0.0)
    plob = plob_bound(fibre_transmittance(np.maximum(dist, 1e-3), lk.loss_dB_per_km))
    # the engine's worst-case bounds hold for delta < 0.5; a chip that cannot send key has level_err 0
    fluct = xp.clip(xp.maximum(a["level_err"], b["level_err"]), 0.0, MAX_INTENSITY_FLUCTUATION)
    return {"a": a, "b": b, "locked": locked, "linewidth_Hz": lw, "terms": terms, "eta": eta, "eta_arm": eta_arm,
            "intensity_fluctuation": fluct,
            "plob_per_pulse": np.asarray(plob, dtype=float), "p_noise": p_noise,
            "noise_budget": dict(enumerate(budgets)), "line_power_mW": line_mw, "line_nm": line_nm, "distance_km": dist}


def network_batch(server: dict, clients: dict, params: "NetworkParams", *, protocols: list | None = None,
                  distance_km: float | None = None, e_d_scale: float = 1.0) -> dict:
    """Every pair of every network, batch-native (:mod:`qchipnet.system.chain`).

    ``server``: arrays of :data:`SERVER_KEYS`, shape (N,); ``clients``: arrays of :data:`CLIENT_KEYS`
    with leading shape (N, 2 n_pairs), ordered A_1, B_1, A_2, B_2, ... ``protocols``: one
    :class:`SNSProtocol` per pair slot (reused for every network); None optimises the protocol of
    every pair of every network (use it for a single design, then pass the result back for its dies).
    Returns ``{"pairs": {name: (N, n_pairs) arrays}, "comb": {name: (N, ...) arrays},
    "protocols": [SNSProtocol per slot]}``. ``e_d_scale`` multiplies every pair's e_d (sensitivity studies).

    Intensity errors: each pair's decoy analysis uses the worst-case bound ``intensity_fluctuation`` = the
    protocol's own bound plus the larger of the two chips' DAC level errors (``pair_chain``; the realised
    intensities are not known better than the IM driver's resolution), per pair. ``protocols=None``
    optimises every pair at its own bound; the returned protocols carry the protocol's own bound only (the
    dies' errors are added per pair). Discrete
    phase randomisation (``phase_slices``) with a DAC error is refused (the engine does not combine them).
    """
    from .optimize import optimize_protocol, protocol_at
    from .snstf import (
        _check_channel,
        _run,
        protocol_params,
        security_parameters,
    )

    pairs = params.pairs
    if distance_km is not None:
        check_range("distance_km", distance_km, 0.0, 2000.0, "km")
        pairs = [PairSpec(**{**p.model_dump(), "distance_km": float(distance_km)}) for p in pairs]
    n_p = len(pairs)
    srv = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in server.items()}
    n_net = srv["fsr_GHz"].shape[0]
    cl = {k: np.asarray(v) for k, v in clients.items()}
    if cl["bragg_nm"].shape[:2] != (n_net, 2 * n_p):
        raise InputError(f"clients: got leading shape {cl['bragg_nm'].shape[:2]}, need (networks, 2 per pair) = "
                         f"({n_net}, {2 * n_p}) (A_1, B_1, ...)")
    comb = _comb({k: srv[k] for k in (*SERVER_KEYS, *_DIE_GEOMETRY) if k in srv}, params)
    lines = [int(m) for m in np.asarray(comb["lines"]).tolist()]
    for p in pairs:
        if p.comb_line not in lines:
            raise InputError(f"comb_line = {p.comb_line} is outside the modelled lines [{lines[0]}, {lines[-1]}]")
    if params.reference_line not in lines:
        raise InputError(f"reference_line = {params.reference_line} is outside the modelled lines")
    server_ok = comb["comb_exists"].astype(bool) & comb["heater_in_range"].astype(bool) & (srv["D2_over_2pi_kHz"] < 0)
    if "n_defects" in srv:
        server_ok &= srv["n_defects"] == 0
    ch = pair_chain(srv, comb, cl, params, pairs, server_ok=server_ok)
    a, b, locked, lw, terms = ch["a"], ch["b"], ch["locked"], ch["linewidth_Hz"], ch["terms"]
    line_mw, line_nm, noise = ch["line_power_mW"], ch["line_nm"], ch["noise_budget"]
    p_noise = np.broadcast_to(ch["p_noise"], (n_net, n_p)).copy()
    e_d = np.minimum(e_d_scale * combine_error_arrays(terms), 0.499)
    eta = ch["eta"]
    # the IM's DAC intensity error of the pair (worst case of its two chips) adds to the protocol's own bound
    dac = np.asarray(ch["intensity_fluctuation"], dtype=float)
    for pr in [params.protocol] if protocols is None else protocols:
        if pr.phase_slices is not None and np.any(dac > 0):
            raise InputError(f"protocol phase_slices = {pr.phase_slices} cannot be combined with the IM's DAC "
                             "intensity error (intensity fluctuation up to "
                             f"{float(dac.max()):.2g}, circuits.devices.IM_DAC); use continuous phase randomisation")

    def fluct(pr, d):
        return np.minimum(pr.intensity_fluctuation + d, MAX_INTENSITY_FLUCTUATION)

    _check_channel(eta, eta, p_noise, e_d)
    if protocols is None:
        # every pair optimised at its own fluctuation; the returned protocols carry the protocol's own bound only
        base = params.protocol
        r, prm = optimize_protocol(eta, eta, p_noise, e_d, base, intensity_fluctuation=fluct(base, dac))
        protocols = [protocol_at({k: v[0] for k, v in prm.items()}, j, base) for j in range(n_p)]
        kr, qx, qz = np.asarray(r.key_rate), np.asarray(r.qber_x), np.asarray(r.qber_z)
        eps = np.broadcast_to(np.asarray(r.epsilon_total, dtype=float), kr.shape)
        proto_arrays = prm
    else:
        if len(protocols) != n_p:
            raise InputError(f"protocols: got {len(protocols)}, need one per pair slot ({n_p})")
        kr, qx, qz, eps = (np.zeros((n_net, n_p)) for _ in range(4))
        structure = {(pr.mu_vac > 0, pr.phase_slices is not None) for pr in protocols}
        if len(structure) == 1:
            # every slot at its own protocol in one engine call (the protocol values broadcast over the slots)
            pv = [protocol_params(pr) for pr in protocols]
            prm = {k: np.array([float(d[k]) for d in pv]) for k in pv[0]}
            prm["intensity_fluctuation"] = np.stack([fluct(pr, dac[:, j]) for j, pr in enumerate(protocols)], axis=1)
            r = _run(eta, eta, p_noise, e_d, protocols[0], params=prm)
            kr, qx, qz = np.asarray(r.key_rate), np.asarray(r.qber_x), np.asarray(r.qber_z)
            eps = np.broadcast_to(np.array([security_parameters(pr)["epsilon_total"] for pr in protocols]), kr.shape)
        else:
            for j, pr in enumerate(protocols):
                r = _run(eta[:, j], eta[:, j], p_noise[:, j], e_d[:, j], pr,
                         params={**protocol_params(pr), "intensity_fluctuation": fluct(pr, dac[:, j])})
                kr[:, j], qx[:, j], qz[:, j], eps[:, j] = r.key_rate, r.qber_x, r.qber_z, r.epsilon_total
        proto_arrays = {k: np.broadcast_to(np.array([getattr(pr, k) for pr in protocols]), (n_net, n_p))
                        for k in ("mu_z", "epsilon", "mu_1", "mu_2", "p_z", "p_0", "p_1")}
    kr = np.where(locked, kr, 0.0)
    plob = ch["plob_per_pulse"]
    out = {
        "locked": locked, "locked_a": a["locked"], "locked_b": b["locked"],
        "server_ok": np.broadcast_to(server_ok[:, None], (n_net, n_p)),
        "executable_a": a["circuit"]["executable"], "executable_b": b["circuit"]["executable"],
        "degraded_a": a["circuit"]["degraded"], "degraded_b": b["circuit"]["degraded"],
        "gate_visibility_a_dB": a["circuit"]["gate_visibility_dB"], "gate_visibility_b_dB": b["circuit"]["gate_visibility_dB"],
        "reach_a": a["setpoint"]["reach_tec"], "reach_b": b["setpoint"]["reach_tec"],
        "reach_current_only_a": a["setpoint"]["reach_current_only"],
        "reach_current_only_b": b["setpoint"]["reach_current_only"],
        "tec_offset_a_K": a["setpoint"]["tec_offset_K"], "tec_offset_b_K": b["setpoint"]["tec_offset_K"],
        "in_lock_range_a": a["lock"]["in_range"], "in_lock_range_b": b["lock"]["in_range"],
        # the margins the pass/fail decisions act on (smooth relaxations: optim.objective, optim.sensitivity)
        "reach_margin_K_a": a["setpoint"]["reach_margin_K"], "reach_margin_K_b": b["setpoint"]["reach_margin_K"],
        "lock_margin_a": a["lock"]["lock_margin"], "lock_margin_b": b["lock"]["lock_margin"],
        "injection_ratio_a_dB": a["lock"]["injection_ratio_dB"], "injection_ratio_b_dB": b["lock"]["injection_ratio_dB"],
        "locking_range_red_Hz": a["lock"]["locking_range_red_Hz"], "locking_range_blue_Hz": a["lock"]["locking_range_blue_Hz"],
        "linewidth_Hz": lw, "comb_line_power_mW": line_mw, "line_wavelength_nm": line_nm,
        "e_d": e_d, **{f"e_d_{k}": v for k, v in terms.items()}, "p_noise": p_noise,
        "im_intensity_error_a": a["level_err"], "im_intensity_error_b": b["level_err"],
        "intensity_fluctuation": np.stack([fluct(pr, dac[:, j]) for j, pr in enumerate(protocols)], axis=1),
        "qber_x": qx, "qber_z": qz, "key_rate_per_pulse": kr, "epsilon_total": eps,
        "plob_per_pulse": np.broadcast_to(plob, (n_net, n_p)), "ratio_to_plob": kr / plob,
        **{f"protocol_{k}": v for k, v in proto_arrays.items()},
    }
    return {"pairs": out, "comb": comb, "protocols": protocols, "noise_budget": noise, "e_d_terms": list(terms),
            "pair_specs": pairs}


#: Assumptions the article does not give, as (name, LinkParams field or None for e_d).
SENSITIVITY_KEYS = (("detector_efficiency", "detector_efficiency"), ("dark_count_rate_Hz", "dark_count_rate_Hz"),
                    ("fibre_loss_dB_per_km", "loss_dB_per_km"), ("server_loss_dB", "server_loss_dB"), ("e_d", None))


def sensitivity(server: dict, clients: dict, params: "NetworkParams", protocols: list, *,
                distance_km: float | None = None, rel_step: float = 0.02) -> dict[str, list[float]]:
    """Logarithmic derivative d ln(R / PLOB) / d ln x of every pair's PLOB ratio with respect to each
    assumption the article does not give (:data:`SENSITIVITY_KEYS`), by central differences of
    ``rel_step`` at the pairs' optimised protocols (at an optimum the protocol's own change does not
    enter to first order). A pair without key has 0 for every entry."""
    def ratio(p, scale=1.0):
        q = network_batch(server, clients, p, protocols=protocols, distance_km=distance_km, e_d_scale=scale)["pairs"]
        return np.asarray(q["ratio_to_plob"], dtype=float)[0]

    out = {}
    for name, field in SENSITIVITY_KEYS:
        if field is None:
            hi, lo = ratio(params, 1 + rel_step), ratio(params, 1 - rel_step)
        else:
            x = getattr(params.link, field)
            if x == 0:
                out[name] = [0.0] * len(params.pairs)
                continue
            up = params.model_copy(update={"link": params.link.model_copy(update={field: x * (1 + rel_step)})})
            dn = params.model_copy(update={"link": params.link.model_copy(update={field: x * (1 - rel_step)})})
            hi, lo = ratio(up), ratio(dn)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where((hi > 0) & (lo > 0), (np.log(np.where(hi > 0, hi, 1)) - np.log(np.where(lo > 0, lo, 1)))
                         / (np.log1p(rel_step) - np.log1p(-rel_step)), 0.0)
        out[name] = [float(v) for v in d]
    return out


def evaluate_network(
    server: ServerMetrics | None = None,
    transmitters: list[TransmitterMetrics] | TransmitterMetrics | None = None,
    params: NetworkParams | None = None,
    *,
    distance_km: float | None = None,
    with_sensitivity: bool = True,
) -> dict:
    """Per-pair key rates of the network for the given chips: :func:`network_batch` for one network.
    ``with_sensitivity`` adds :func:`sensitivity` (ten more evaluations of the network).

    ``transmitters``: one metrics object used for every client, or a list of ``2 * n_pairs``
    (A_1, B_1, A_2, B_2, ...). ``distance_km`` overrides every pair's distance.
    Returns ``{"pairs": [...], "network_capability_km", "comb": {...}, "assumptions": [...]}``.
    """
    server = server or ServerMetrics()
    params = params or NetworkParams()
    n = len(params.pairs)
    if transmitters is None:
        transmitters = TransmitterMetrics()
    txs = [transmitters] * (2 * n) if isinstance(transmitters, TransmitterMetrics) else list(transmitters)
    if len(txs) != 2 * n:
        raise InputError(f"transmitters: got {len(txs)} chips, need 2 per pair = {2 * n} (A_1, B_1, ...)")
    cl = {k: v[None] for k, v in client_arrays(txs).items()}
    srv = server_arrays(server)
    res = network_batch(srv, cl, params, distance_km=distance_km)
    sens = (sensitivity(srv, cl, params, res["protocols"], distance_km=distance_km) if with_sensitivity
            else {k: [None] * n for k, _ in SENSITIVITY_KEYS})
    q, comb = res["pairs"], res["comb"]
    lines = [int(m) for m in np.asarray(comb["lines"]).tolist()]
    out_pairs = []
    for j, p in enumerate(res["pair_specs"]):
        g = {k: (np.asarray(v)[0, j] if np.ndim(v) >= 2 else v) for k, v in q.items()}
        out_pairs.append({
            "pair": p.pair,
            "comb_line": p.comb_line,
            "distance_km": p.distance_km,
            "downstream_km": p.downstream_km,
            "locked": bool(g["locked"]),
            "comb_line_power_mW": float(g["comb_line_power_mW"]),
            "line_wavelength_nm": float(g["line_wavelength_nm"]),
            "injection_ratio_dB": [float(g["injection_ratio_a_dB"]), float(g["injection_ratio_b_dB"])],
            "locking_range_Hz": [float(g["locking_range_red_Hz"]), float(g["locking_range_blue_Hz"])],
            "dbr_reach": [bool(g["reach_a"]), bool(g["reach_b"])],
            "dbr_reach_current_only": [bool(g["reach_current_only_a"]), bool(g["reach_current_only_b"])],
            "tec_offset_K": [float(g["tec_offset_a_K"]), float(g["tec_offset_b_K"])],
            "executable": [bool(g["executable_a"]), bool(g["executable_b"])],
            "linewidth_Hz": float(g["linewidth_Hz"]),
            "e_d": float(g["e_d"]),
            "intensity_fluctuation": float(g["intensity_fluctuation"]),
            "e_d_budget": {k: float(g[f"e_d_{k}"]) for k in res["e_d_terms"]},
            "p_noise": float(g["p_noise"]),
            "noise_budget": res["noise_budget"][j],
            "qber_x": float(g["qber_x"]),
            "qber_z": float(g["qber_z"]),
            "key_rate_per_pulse": float(g["key_rate_per_pulse"]),
            "epsilon_total": float(g["epsilon_total"]),
            "plob_per_pulse": float(g["plob_per_pulse"]),
            "ratio_to_plob": float(g["ratio_to_plob"]),
            "protocol": {k[len("protocol_"):]: float(v) for k, v in g.items() if k.startswith("protocol_")},
            "sensitivity": {k: v[j] for k, v in sens.items()},
        })
    good = [x for x in out_pairs if x["locked"] and x["key_rate_per_pulse"] > 0]
    cap = 2 * len(good) * min(x["distance_km"] for x in good) / 2 if good else 0.0
    c0 = {k: np.asarray(v) for k, v in comb.items()}
    return {
        "pairs": out_pairs,
        "network_capability_km": cap,
        "n_users": 2 * len(good),
        "comb": {"total_power_mW": float(c0["total_power_mW"][0]), "pump_power_mW": float(c0["pump_power_mW"][0]),
                 "linewidth_Hz": float(c0["linewidth_Hz"][0]),
                 "line_power_mW": {m: float(c0["line_power_mW"][0, i]) for i, m in enumerate(lines)},
                 "sil_locking_range_Hz": float(c0["sil_locking_range_Hz"][0]),
                 "sil_noise_suppression_dB": float(c0["noise_suppression_dB"][0]),
                 "comb_exists": bool(c0["comb_exists"][0]),
                 "heater_power_mW": float(c0["heater_power_mW"][0]) if "heater_power_mW" in c0 else None,
                 "heater_in_range": bool(c0["heater_in_range"][0])},
        "protocols": [pr.model_dump() for pr in res["protocols"]],
        "sensitivity": {"what": "d ln(key rate / PLOB) / d ln(x) per pair, x an assumption the article does not give",
                        **sens},
        "assumptions": list(ASSUMPTIONS),
    }
