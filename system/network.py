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
from .comb import CombParams, SILParams, comb_state
from .devices import ServerMetrics, TransmitterMetrics
from .injection import InjectionParams, injection_lock
from .link import LinkParams, noise_budget
from .optimize import optimize_protocol
from .phase import PhaseTrackingParams, combine_errors, misalignment_budget
from .snstf import SNSProtocol

__all__ = ["PairSpec", "NetworkParams", "default_pairs", "evaluate_network", "ASSUMPTIONS"]

#: The assumptions that drive the network result (printed by ``qchipnet network``).
ASSUMPTIONS = (
    "fibre loss 0.2 dB/km (G.652 SMF; article gives none) -> sets PLOB and the 370-km ratio",
    "SNSPD efficiency 0.6, dark count 10 /s, 1-ns gate (typical of SNS-TF-QKD experiments; assumption)",
    "server insertion loss 1.5 dB; error-correction efficiency f = 1.1; N = 1e12 pulses, failure prob 1e-10",
    "mode-mismatch visibility 0.949 calibrated to the article's QBER_X (largest e_d term)",
    "phase drift rates [paper] scale linearly with upstream length (measured at 370 km)",
    "phase slice 2 pi / 16; other channels at 25 nW launch, isolation 65/75 dB, Raman beta 3e-9 /(km nm)",
    "locked linewidth = comb 40.8 Hz floor [paper] + 19 Hz distribution excess (calibrated to 60 Hz)",
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
                                        cycle_ms=5.0, recalibration_ms=2.0)
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


def evaluate_network(
    server: ServerMetrics | None = None,
    transmitters: list[TransmitterMetrics] | TransmitterMetrics | None = None,
    params: NetworkParams | None = None,
    *,
    distance_km: float | None = None,
) -> dict:
    """Per-pair key rates of the network for the given chips.

    ``transmitters``: one metrics object used for every client, or a list of ``2 * n_pairs``
    (A_1, B_1, A_2, B_2, ...). ``distance_km`` overrides every pair's distance.
    Returns ``{"pairs": [...], "network_capability_km", "comb": {...}, "assumptions": [...]}``.
    """
    server = server or ServerMetrics()
    params = params or NetworkParams()
    pairs = params.pairs
    if distance_km is not None:
        check_range("distance_km", distance_km, 0.0, 2000.0, "km")
        pairs = [PairSpec(**{**p.model_dump(), "distance_km": float(distance_km)}) for p in pairs]
    n = len(pairs)
    if transmitters is None:
        transmitters = TransmitterMetrics()
    if isinstance(transmitters, TransmitterMetrics):
        txs = [transmitters] * (2 * n)
    else:
        txs = list(transmitters)
        if len(txs) != 2 * n:
            raise InputError(f"transmitters: got {len(txs)} chips, need 2 per pair = {2 * n} (A_1, B_1, ...)")
    comb = comb_state(server, params.comb, params.sil)
    lk = params.link
    used = sorted({p.comb_line for p in pairs} | {params.reference_line})
    eta_a, eta_b, p_dark, e_d, rows = [], [], [], [], []
    for i, p in enumerate(pairs):
        if p.comb_line not in comb.line_power_mW:
            raise InputError(f"comb_line = {p.comb_line} is outside the modelled lines [-5, 8]")
        ta, tb = txs[2 * i], txs[2 * i + 1]
        line_mw = comb.line_power_mW[p.comb_line]
        inj = [injection_lock(line_mw, p.comb_line, comb.linewidth_Hz, t, downstream_km=p.downstream_km,
                              downstream_loss_dB_per_km=lk.loss_dB_per_km, reamplified=p.reamplified,
                              params=params.injection) for t in (ta, tb)]
        arm = p.distance_km / 2
        nb = noise_budget(p.comb_line, used, arm, lk)
        pd_tot = float(sum(nb.values()))
        lw = max(inj[0]["linewidth_Hz"], inj[1]["linewidth_Hz"])
        eb_ = misalignment_budget(
            upstream_km=p.distance_km, total_path_km=p.distance_km + 2 * p.downstream_km, linewidth_Hz=lw,
            lock_var_a_rad2=inj[0]["residual_phase_var_rad2"], lock_var_b_rad2=inj[1]["residual_phase_var_rad2"],
            im_extinction_a_dB=max(ta.im_visibility_dB, 1e-3), im_extinction_b_dB=max(tb.im_visibility_dB, 1e-3),
            params=p.tracking,
        )
        ed = min(combine_errors(eb_), 0.499)
        common = lk.detector_efficiency * 10 ** (-lk.server_loss_dB / 10)
        att = 10 ** (-lk.loss_dB_per_km * arm / 10)
        locked = inj[0]["locked"] and inj[1]["locked"]
        eta_a.append(common * att if locked else 0.0)
        eta_b.append(common * att if locked else 0.0)
        p_dark.append(pd_tot)
        e_d.append(ed)
        rows.append({"p": p, "inj": inj, "nb": nb, "eb": eb_, "ed": ed, "locked": locked})
    res, prm = optimize_protocol(np.array(eta_a), np.array(eta_b), np.array(p_dark), np.array(e_d), params.protocol)
    out_pairs = []
    for i, r in enumerate(rows):
        p = r["p"]
        plob = float(plob_bound(fibre_transmittance(max(p.distance_km, 1e-3), lk.loss_dB_per_km)))
        kr = float(res.key_rate[i])
        out_pairs.append({
            "pair": p.pair,
            "comb_line": p.comb_line,
            "distance_km": p.distance_km,
            "downstream_km": p.downstream_km,
            "locked": bool(r["locked"]),
            "comb_line_power_mW": comb.line_power_mW[p.comb_line],
            "injection_ratio_dB": [x["injection_ratio_dB"] for x in r["inj"]],
            "locking_range_Hz": [r["inj"][0]["locking_range_red_Hz"], r["inj"][0]["locking_range_blue_Hz"]],
            "linewidth_Hz": max(x["linewidth_Hz"] for x in r["inj"]),
            "e_d": r["ed"],
            "e_d_budget": r["eb"],
            "p_noise": float(sum(r["nb"].values())),
            "noise_budget": r["nb"],
            "qber_x": float(res.qber_x[i]),
            "qber_z": float(res.qber_z[i]),
            "key_rate_per_pulse": kr,
            "plob_per_pulse": plob,
            "ratio_to_plob": kr / plob,
            "protocol": {k: float(v[i]) for k, v in prm.items()},
        })
    good = [q for q in out_pairs if q["locked"] and q["key_rate_per_pulse"] > 0]
    cap = 2 * len(good) * min(q["distance_km"] for q in good) / 2 if good else 0.0
    return {
        "pairs": out_pairs,
        "network_capability_km": cap,
        "n_users": 2 * len(good),
        "comb": {"total_power_mW": comb.total_power_mW, "pump_power_mW": comb.pump_power_mW,
                 "linewidth_Hz": comb.linewidth_Hz, "line_power_mW": comb.line_power_mW,
                 "sil_locking_range_Hz": comb.sil["locking_range_Hz"],
                 "sil_noise_suppression_dB": comb.sil["noise_suppression_dB"]},
        "assumptions": list(ASSUMPTIONS),
    }
