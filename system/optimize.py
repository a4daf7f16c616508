"""Optimisation of the SNS-TF-QKD intensities and probabilities per channel (vectorised).

:func:`optimize_protocol` maximises the key rate of :mod:`.snstf` over
``mu_z, epsilon, mu_1, mu_2, p_z, p_0, p_1`` for *every* element of the channel arrays at once: a
coordinate pattern search in unconstrained coordinates (log intensities, ``mu_2 = mu_1 + e^v``,
logit ``epsilon`` and ``p_z``, softmax ``(p_0, p_1, p_2)``), each coordinate scanned on a shrinking
stencil for all channels in one numpy call, followed by a final refinement sweep. The search is
deterministic. :func:`optimize_protocol_scipy` is the naive reference (scipy Nelder-Mead per
channel, same objective), kept for the benchmark and for tests that the fast search is not worse.
The objective is ``log(rate)``; where the rate is zero for every stencil point the channel keeps its
start point and reports rate 0 (beyond the maximum distance).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize

from .snstf import SNSProtocol, _check_channel, _rate_arrays, key_rate_detailed, replace

__all__ = ["optimize_protocol", "optimize_protocol_scipy", "OPTIMIZED_FIELDS"]

#: Protocol fields optimised per channel.
OPTIMIZED_FIELDS = ("mu_z", "epsilon", "mu_1", "mu_2", "p_z", "p_0", "p_1")


def _to_u(p: SNSProtocol) -> np.ndarray:
    p2 = 1.0 - p.p_0 - p.p_1
    return np.array(
        [
            math.log(p.mu_z),
            math.log(p.epsilon / (1 - p.epsilon)),
            math.log(p.mu_1),
            math.log(p.mu_2 - p.mu_1),
            math.log(p.p_z / (1 - p.p_z)) if p.p_z < 1 else 8.0,
            math.log(max(p.p_0, 1e-6) / p2),
            math.log(p.p_1 / p2),
        ]
    )


def _from_u(u) -> dict:
    u = [np.asarray(v, float) for v in u]
    # clip to the validity ranges of SNSProtocol (optimiser never leaves them)
    mz = np.clip(np.exp(u[0]), 1e-4, 2.0)
    eps = np.clip(1 / (1 + np.exp(-u[1])), 1e-6, 1 - 1e-6)
    m1 = np.clip(np.exp(u[2]), 1e-5, 1.0)
    m2 = np.minimum(m1 + np.exp(u[3]), 2.0)
    pz = np.clip(1 / (1 + np.exp(-u[4])), 1e-4, 1 - 1e-9)
    e0, e1 = np.exp(np.clip(u[5], -30, 30)), np.exp(np.clip(u[6], -30, 30))
    s = 1 + e0 + e1
    return {"mz": mz, "eps": eps, "m1": m1, "m2": m2, "pz": pz, "p0": e0 / s, "p1": e1 / s}


def _objective(ea, eb, pd, ed, u, base: SNSProtocol) -> np.ndarray:
    q = _from_u(u)
    r = _rate_arrays(
        ea, eb, pd, ed, **q, dsl=base.phase_slice_rad, f=base.ec_efficiency,
        n_pulses=base.n_pulses, xi=base.failure_prob, aopp=base.aopp,
    ).key_rate
    return np.where(r > 0, np.log(np.maximum(r, 1e-300)), -1e3)


def _start_points(base: SNSProtocol) -> list[SNSProtocol]:
    """Start points: the given protocol and a long-distance variant (small epsilon, mu_1)."""
    eps_far = 0.25 if base.aopp else 0.04
    far = replace(base, epsilon=eps_far, mu_z=0.45 if base.aopp else 0.35, mu_1=0.05, mu_2=0.3)
    near = replace(base, epsilon=0.3 if base.aopp else 0.1, mu_z=0.4, mu_1=0.1, mu_2=0.45)
    return [base, far, near]


def optimize_protocol(eta_a, eta_b, p_dark, e_d, base: SNSProtocol | None = None, *, n_sweeps: int = 9,
                      n_stencil: int = 7):
    """Optimised protocol per channel element.

    Returns ``(result, params)``: ``result`` is the :class:`~.snstf.KeyRateResult` at the optimum
    (arrays of the broadcast channel shape) and ``params`` a dict of arrays for
    :data:`OPTIMIZED_FIELDS` (use :func:`protocol_at` to get one :class:`SNSProtocol`).
    Non-optimised fields (phase slice, f, N, failure probability, AOPP) come from ``base``.
    """
    base = base or SNSProtocol()
    _check_channel(eta_a, eta_b, p_dark, e_d)
    shape = np.broadcast_shapes(*(np.shape(v) for v in (eta_a, eta_b, p_dark, e_d)))
    ea, eb, pd, ed = (np.broadcast_to(np.asarray(v, float), shape).reshape(-1) for v in (eta_a, eta_b, p_dark, e_d))
    m = ea.size
    # pick the best start point per channel
    starts = [_to_u(s) for s in _start_points(base)]
    vals = np.stack([_objective(ea, eb, pd, ed, [np.full(m, c) for c in s], base) for s in starts])
    best = np.argmax(vals, axis=0)
    u = [np.array([starts[b][i] for b in best]) for i in range(7)]
    fval = vals[best, np.arange(m)]
    offsets = np.linspace(-1.0, 1.0, n_stencil)
    step = 1.5
    col = lambda a: a[:, None]  # noqa: E731
    for _ in range(n_sweeps):
        for i in range(7):
            cand = col(u[i]) + step * offsets[None, :]
            uu = [col(v) for v in u]
            uu[i] = cand
            f = _objective(col(ea), col(eb), col(pd), col(ed), uu, base)
            k = np.argmax(f, axis=1)
            fk = f[np.arange(m), k]
            better = fk > fval
            u[i] = np.where(better, cand[np.arange(m), k], u[i])
            fval = np.where(better, fk, fval)
        step *= 0.5
    q = _from_u(u)
    res = _rate_arrays(
        ea, eb, pd, ed, **q, dsl=base.phase_slice_rad, f=base.ec_efficiency,
        n_pulses=base.n_pulses, xi=base.failure_prob, aopp=base.aopp,
    )
    res = type(res)(*(np.reshape(np.broadcast_to(v, (m,)), shape) for v in res))
    names = {"mz": "mu_z", "eps": "epsilon", "m1": "mu_1", "m2": "mu_2", "pz": "p_z", "p0": "p_0", "p1": "p_1"}
    params = {names[k]: np.reshape(v, shape) for k, v in q.items()}
    return res, params


def protocol_at(params: dict, index, base: SNSProtocol) -> SNSProtocol:
    """The :class:`SNSProtocol` of one element of the ``params`` arrays of :func:`optimize_protocol`."""
    return replace(base, **{k: float(np.asarray(v)[index]) for k, v in params.items()})


__all__.append("protocol_at")


def optimize_protocol_scipy(eta_a, eta_b, p_dark, e_d, base: SNSProtocol | None = None):
    """Naive reference: scipy Nelder-Mead per channel element (slow; same objective and starts)."""
    base = base or SNSProtocol()
    shape = np.broadcast_shapes(*(np.shape(v) for v in (eta_a, eta_b, p_dark, e_d)))
    ea, eb, pd, ed = (np.broadcast_to(np.asarray(v, float), shape).reshape(-1) for v in (eta_a, eta_b, p_dark, e_d))
    rates = np.zeros(ea.size)
    for j in range(ea.size):
        fun = lambda x: -float(_objective(ea[j], eb[j], pd[j], ed[j], list(x), base))  # noqa: E731
        best = None
        for s in _start_points(base):
            r = minimize(fun, _to_u(s), method="Nelder-Mead", options={"xatol": 1e-3, "fatol": 1e-4, "maxiter": 1500})
            if best is None or r.fun < best.fun:
                best = r
        q = _from_u(list(best.x))
        p = replace(base, mu_z=float(q["mz"]), epsilon=float(q["eps"]), mu_1=float(q["m1"]), mu_2=float(q["m2"]),
                    p_z=float(q["pz"]), p_0=float(q["p0"]), p_1=float(q["p1"]))
        rates[j] = float(key_rate_detailed(ea[j], eb[j], pd[j], ed[j], p).key_rate)
    return rates.reshape(shape)
