"""Optimisation of the SNS-TF-QKD intensities and probabilities per channel (vectorised, jax).

:func:`optimize_protocol` maximises the key rate of :mod:`.snstf` over
``mu_z, epsilon, mu_1, mu_2, p_z, p_0, p_1`` for *every* element of the channel arrays at once: a
coordinate pattern search in unconstrained coordinates (log intensities, ``mu_2 = mu_1 + e^v``,
logit ``epsilon`` and ``p_z``, softmax ``(p_0, p_1, p_2)``), each coordinate scanned on a stencil
that halves every sweep, for all channels in one array operation. The whole search is one compiled
jax program with a fixed number of iterations (``lax.fori_loop``; no Python control flow on values),
deterministic. The objective is ``log(rate)``; where the rate is zero for every stencil point the
channel keeps its start point and reports rate 0 (beyond the maximum distance).

Gradients: :func:`optimal_key_rate_jax` returns the optimised rate as a jax function of the channel
and of the non-optimised protocol values. The optimum ``u*`` is held fixed (``stop_gradient``) and
the rate re-evaluated there, so the derivative is the envelope-theorem derivative
``dR*/dx = dR/dx at u*`` (exact at an interior optimum since ``dR/du = 0`` there; the error is
second order in the search tolerance). :func:`optimize_protocol_scipy` is the naive reference (scipy
Nelder-Mead per channel, same objective), kept for the benchmark and for tests.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.optimize import minimize

from ..validate import check_range
from .snstf import (
    KeyRateResult,
    SNSProtocol,
    _bucket,
    _check_channel,
    _engine,
    _is_discrete,
    _jnp,
    _run,
    key_rate_detailed,
    protocol_params,
    replace,
)

__all__ = ["OPTIMIZED_FIELDS", "optimal_key_rate_jax", "optimize_protocol", "optimize_protocol_scipy", "protocol_at"]

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


def _from_u(u, mu_vac=0.0) -> dict:
    """Protocol values of the unconstrained coordinates ``u[..., 7]`` (clipped to the SNSProtocol ranges)."""
    jnp = _jnp()
    mz = jnp.clip(jnp.exp(u[..., 0]), 1e-4, 2.0)
    eps = jnp.clip(1 / (1 + jnp.exp(-u[..., 1])), 1e-6, 1 - 1e-6)
    m1 = jnp.clip(jnp.exp(u[..., 2]), jnp.maximum(1e-5, 2 * mu_vac + 1e-5), 1.0)
    m2 = jnp.minimum(m1 + jnp.exp(u[..., 3]), 2.0)
    pz = jnp.clip(1 / (1 + jnp.exp(-u[..., 4])), 1e-4, 1 - 1e-9)
    e0, e1 = jnp.exp(jnp.clip(u[..., 5], -30, 30)), jnp.exp(jnp.clip(u[..., 6], -30, 30))
    s = 1 + e0 + e1
    return {"mu_z": mz, "epsilon": eps, "mu_1": m1, "mu_2": m2, "p_z": pz, "p_0": e0 / s, "p_1": e1 / s}


def _log_rate(u, ea, eb, pd, ed, fixed, leaky, discrete=False):
    jnp = _jnp()
    r = _engine(ea, eb, pd, ed, {**fixed, **_from_u(u, fixed["mu_vac"])}, leaky=leaky, discrete=discrete)["key_rate"]
    return jnp.where(r > 0, jnp.log(jnp.maximum(r, 1e-300)), -1e3)


def _search(ea, eb, pd, ed, fixed, starts, *, n_sweeps, n_stencil, leaky=True, discrete=False):
    """Pattern search (fixed iterations) from the best of ``starts[S, 7]``; returns (u[m, 7], log rate[m])."""
    import jax

    jnp = _jnp()
    col = lambda a: a[:, None]
    offsets = jnp.linspace(-1.0, 1.0, n_stencil)
    eye = jnp.eye(7)
    # iteration 0 evaluates the start points (padded to the stencil size), so the engine is traced once
    first = jnp.concatenate([starts, jnp.repeat(starts[-1:], n_stencil - starts.shape[0], axis=0)])
    first = jnp.broadcast_to(first[None], ea.shape + first.shape)

    def body(it, carry):
        u, fval = carry
        j = it - 1
        i = j % 7
        step = 1.5 * 0.5 ** (j // 7)
        cand = u[:, None, :] + step * offsets[None, :, None] * eye[i][None, None, :]  # (m, k, 7)
        cand = jnp.where(it == 0, first, cand)
        f = _log_rate(cand, col(ea), col(eb), col(pd), col(ed), fixed, leaky, discrete)  # (m, k)
        k = jnp.argmax(f, axis=1)
        fk = jnp.take_along_axis(f, k[:, None], axis=1)[:, 0]
        uk = jnp.take_along_axis(cand, k[:, None, None], axis=1)[:, 0, :]
        better = (fk > fval) | (it == 0)
        return jnp.where(better[:, None], uk, u), jnp.where(better, fk, fval)

    u0 = jnp.broadcast_to(starts[0], ea.shape + (7,))
    f0 = jnp.full(ea.shape, -jnp.inf)
    return jax.lax.fori_loop(0, n_sweeps * 7 + 1, body, (u0, f0))


@functools.cache
def _search_compiled(n_sweeps: int, n_stencil: int, leaky: bool, discrete: bool = False):
    import jax

    _jnp()
    return jax.jit(functools.partial(_search, n_sweeps=n_sweeps, n_stencil=n_stencil, leaky=leaky, discrete=discrete))


def _start_points(base: SNSProtocol) -> list[SNSProtocol]:
    """Start points: the given protocol, a long-distance variant (small epsilon, mu_1) and a short one."""
    eps_far = 0.25 if base.aopp else 0.04
    m1 = max(0.05, 3 * base.mu_vac)
    far = replace(base, epsilon=eps_far, mu_z=0.45 if base.aopp else 0.35, mu_1=m1, mu_2=max(0.3, 2 * m1))
    near = replace(base, epsilon=0.3 if base.aopp else 0.1, mu_z=0.4, mu_1=max(0.1, 3 * base.mu_vac), mu_2=0.45)
    return [base, far, near]


def _fixed(base: SNSProtocol) -> dict:
    return {k: v for k, v in protocol_params(base).items() if k not in OPTIMIZED_FIELDS}


def optimize_protocol(eta_a, eta_b, p_dark, e_d, base: SNSProtocol | None = None, *, n_sweeps: int = 9,
                      n_stencil: int = 7, intensity_fluctuation=None):
    """Optimised protocol per channel element.

    Returns ``(result, params)``: ``result`` is the :class:`~.snstf.KeyRateResult` at the optimum
    (arrays of the broadcast channel shape) and ``params`` a dict of arrays for
    :data:`OPTIMIZED_FIELDS` (use :func:`protocol_at` to get one :class:`SNSProtocol`).
    Non-optimised fields (phase slice, f, N, epsilons, AOPP, source) come from ``base``;
    ``intensity_fluctuation`` (optional, broadcast with the channel: e.g. each pair's DAC level error)
    replaces ``base.intensity_fluctuation`` element by element.
    """
    jnp = _jnp()
    base = base or SNSProtocol()
    _check_channel(eta_a, eta_b, p_dark, e_d)
    arrays = (eta_a, eta_b, p_dark, e_d)
    if intensity_fluctuation is not None:
        check_range("intensity_fluctuation", intensity_fluctuation, 0.0, 0.5, hi_open=True)
        arrays += (intensity_fluctuation,)
    shape = np.broadcast_shapes(*(np.shape(v) for v in arrays))
    size = int(np.prod(shape)) if shape else 1
    m = _bucket(size, 64)  # the search evaluates m x n_stencil points per step

    def flat(a):
        a = np.broadcast_to(np.asarray(a, float), shape).reshape(-1)
        return jnp.asarray(np.concatenate([a, np.repeat(a[-1:], m - size)]) if m > size else a)

    ea, eb, pd, ed = (flat(v) for v in (eta_a, eta_b, p_dark, e_d))
    fixed = {k: jnp.asarray(float(v)) for k, v in _fixed(base).items()}
    if intensity_fluctuation is not None:  # per element: a column against the search's candidates
        fixed["intensity_fluctuation"] = flat(intensity_fluctuation)[:, None]
    starts = jnp.asarray(np.stack([_to_u(s) for s in _start_points(base)]))
    u, _ = _search_compiled(n_sweeps, n_stencil, bool(base.mu_vac > 0), base.phase_slices is not None)(
        ea, eb, pd, ed, fixed, starts)
    q = {k: np.asarray(v)[:size] for k, v in _from_u(u, fixed["mu_vac"]).items()}
    params = {**protocol_params(base), **q}
    if intensity_fluctuation is not None:
        params["intensity_fluctuation"] = np.broadcast_to(np.asarray(intensity_fluctuation, float), shape).reshape(-1)
    flat_ch = [np.broadcast_to(np.asarray(v, float), shape).reshape(-1) for v in (eta_a, eta_b, p_dark, e_d)]
    res = _run(*flat_ch, base, params)
    res = KeyRateResult(*(None if v is None else np.reshape(v, shape) for v in res))
    return res, {k: np.reshape(v, shape) for k, v in q.items()}


def optimal_key_rate_jax(eta_a, eta_b, p_dark, e_d, fixed_params: dict, *, start: SNSProtocol | None = None,
                         leaky_vacuum: bool = True, n_sweeps: int = 9, n_stencil: int = 7,
                         discrete_phase: bool | None = None):
    """Optimised key rate as a differentiable jax function (envelope theorem; see the module docstring).

    ``eta_a, eta_b, p_dark, e_d``: jax arrays of one 1-D shape; ``fixed_params``: the non-optimised
    entries of :func:`~.snstf.protocol_params` (``finite``, ``aopp``, ``n_pulses``, epsilons, phase
    slice, f, source; extra keys are ignored), which may carry gradients; ``start``: the protocol whose
    values seed the search (default :class:`SNSProtocol` with ``fixed_params["aopp"]``). Returns the
    optimised rate array; gradients flow to the channel arrays and to ``fixed_params``.
    ``discrete_phase``: M-discrete-phase bounds (``fixed_params["phase_slices"]``); None infers it from
    a concrete ``phase_slices > 0`` (see :func:`~.snstf.key_rate_jax`).
    """
    import jax

    jnp = _jnp()
    fixed = {k: v for k, v in fixed_params.items() if k not in OPTIMIZED_FIELDS}
    if start is None:
        try:  # a concrete flag picks the AOPP start points; a traced one falls back to the plain ones
            ao = bool(np.asarray(fixed.get("aopp", 0.0)) > 0.5)
        except Exception:  # noqa: BLE001 (jax tracer)
            ao = False
        start = SNSProtocol(aopp=ao)
    if discrete_phase is None:
        discrete_phase = _is_discrete(fixed)
    starts = jnp.asarray(np.stack([_to_u(s) for s in _start_points(start)]))
    sg = jax.lax.stop_gradient
    u, _ = _search(sg(eta_a), sg(eta_b), sg(p_dark), sg(e_d), {k: sg(v) for k, v in fixed.items()}, starts,
                   n_sweeps=n_sweeps, n_stencil=n_stencil, leaky=leaky_vacuum, discrete=discrete_phase)
    u = sg(u)
    return _engine(eta_a, eta_b, p_dark, e_d, {**fixed, **_from_u(u, fixed["mu_vac"])}, leaky=leaky_vacuum,
                   discrete=discrete_phase)["key_rate"]


def protocol_at(params: dict, index, base: SNSProtocol) -> SNSProtocol:
    """The :class:`SNSProtocol` of one element of the ``params`` arrays of :func:`optimize_protocol`."""
    return replace(base, **{k: float(np.asarray(v)[index]) for k, v in params.items()})


def optimize_protocol_scipy(eta_a, eta_b, p_dark, e_d, base: SNSProtocol | None = None):
    """Naive reference: scipy Nelder-Mead per channel element (slow; same objective and starts)."""
    base = base or SNSProtocol()
    shape = np.broadcast_shapes(*(np.shape(v) for v in (eta_a, eta_b, p_dark, e_d)))
    ea, eb, pd, ed = (np.broadcast_to(np.asarray(v, float), shape).reshape(-1) for v in (eta_a, eta_b, p_dark, e_d))
    fixed = _fixed(base)
    rates = np.zeros(ea.size)
    for j in range(ea.size):
        def fun(x, j=j):
            q = {k: float(v) for k, v in _from_u(np.asarray(x), fixed["mu_vac"]).items()}
            r = float(_run(ea[j], eb[j], pd[j], ed[j], base, {**protocol_params(base), **q}).key_rate)
            return -math.log(r) if r > 0 else 1e3

        best = None
        for s in _start_points(base):
            r = minimize(fun, _to_u(s), method="Nelder-Mead", options={"xatol": 1e-3, "fatol": 1e-4, "maxiter": 1500})
            if best is None or r.fun < best.fun:
                best = r
        q = {k: float(v) for k, v in _from_u(np.asarray(best.x), fixed["mu_vac"]).items()}
        rates[j] = float(key_rate_detailed(ea[j], eb[j], pd[j], ed[j], replace(base, **q)).key_rate)
    return rates.reshape(shape)

