"""The jax key-rate engine against an independent scalar oracle written here from the papers.

The oracle is plain Python/scipy, one channel at a time: exact photon-number gains summed term by
term (no closed forms), the decoy bounds of Yu et al., Sci. Rep. 9, 3080 (2019), Eqs. (5)-(6), the
multiplicative Chernoff bounds of Jiang et al., PRApplied 12, 024061 (2019), Eqs. (9)-(10) solved
with brentq, the observed-count Chernoff step and the key length of Jiang 2019 Eq. (14) (physics.md
section 7: expected-value framework, no random-sampling term). The engine must agree to 1e-6.
"""

from __future__ import annotations

import math

import pytest
from qchipnet.system.snstf import (
    ChannelParams,
    SNSProtocol,
    arm_transmittance,
    key_rate_detailed,
    security_parameters,
)
from scipy.integrate import quad
from scipy.optimize import brentq
from scipy.special import i0


def _h(x):
    x = min(max(x, 1e-300), 1 - 1e-16)
    return -x * math.log2(x) - (1 - x) * math.log2(1 - x)


def _one_sender(i, pd):
    # Poisson light of mean i split 50:50: exactly one of two detectors clicks
    q = 1 - pd
    return 2 * q * math.exp(-i / 2) - 2 * q * q * math.exp(-i)


def _two_senders_random_phase(ia, ib, pd, vis):
    q = 1 - pd
    return 2 * q * math.exp(-(ia + ib) / 2) * i0(vis * math.sqrt(ia * ib)) - 2 * q * q * math.exp(-(ia + ib))


def _x1_slice(ia, ib, pd, vis, dsl):
    # adaptive quadrature over the slice (independent of the engine's Gauss-Legendre nodes)
    amp, m, q = vis * math.sqrt(ia * ib), (ia + ib) / 2, 1 - pd

    def parts(d):
        right, wrong = math.exp(-(m + amp * math.cos(d))), math.exp(-(m - amp * math.cos(d)))
        return (1 - q * right) * q * wrong, (1 - q * wrong) * q * right

    w = quad(lambda d: parts(d)[1], -dsl / 2, dsl / 2, epsabs=0, epsrel=1e-11)[0] / dsl
    r = quad(lambda d: parts(d)[0], -dsl / 2, dsl / 2, epsabs=0, epsrel=1e-11)[0] / dsl
    return r + w, w


def _e_lower(x, xi):
    if x <= 0:
        return 0.0
    b = math.log(1 / xi)
    g = lambda d: x * (d / (1 + d) - math.log1p(d)) + b
    if g(1e15) > 0:  # a count this small bounds the expectation below by ~0
        return 0.0
    return x / (1 + brentq(g, 1e-15, 1e15, xtol=1e-300, rtol=1e-14))


def _e_upper(x, xi):
    b = math.log(1 / xi)
    tiny = x + b + math.sqrt(2 * x * b)
    if x <= 0:
        return tiny
    d = brentq(lambda d: x * (-d / (1 - d) - math.log1p(-d)) + b, 1e-15, 1 - 1e-16, xtol=1e-300, rtol=1e-14)
    return x / (1 - d) if x > 1 else max(x / (1 - d), tiny)


def _obs_lower(e, xi):
    return max(e - math.sqrt(2 * e * math.log(1 / xi)), 0.0)


def oracle(ea, eb, pd, ed, p: SNSProtocol) -> dict:
    vis = 1 - 2 * ed
    finite = p.n_pulses is not None
    n = p.n_pulses if finite else 1.0
    xi = p.failure_prob
    mz, eps, m1, m2 = p.mu_z, p.epsilon, p.mu_1, p.mu_2
    p0, p1, p2 = p.p_0, p.p_1, 1 - p.p_0 - p.p_1
    zz = n * p.p_z**2
    s_nn, s_sn, s_ns = _one_sender(0.0, pd), _one_sender(ea * mz, pd), _one_sender(eb * mz, pd)
    s_ss = _two_senders_random_phase(ea * mz, eb * mz, pd, vis)
    n_nn, n_sn, n_ns, n_ss = zz * (1 - eps) ** 2 * s_nn, zz * eps * (1 - eps) * s_sn, zz * eps * (1 - eps) * s_ns, zz * eps**2 * s_ss
    n_t = n_nn + n_sn + n_ns + n_ss
    e_z = (n_nn + n_ss) / n_t
    xx = n * (1 - p.p_z) ** 2
    N00, N10, N20 = xx * p0 * p0, xx * p1 * p0, xx * p2 * p0
    Nx1 = xx * p1 * p1 * p.phase_slice_rad / math.pi
    g = {"00": s_nn, "10": _one_sender(ea * m1, pd), "20": _one_sender(ea * m2, pd),
         "01": _one_sender(eb * m1, pd), "02": _one_sender(eb * m2, pd)}
    T, M = _x1_slice(ea * m1, eb * m1, pd, vis, p.phase_slice_rad)
    if finite:
        lo = lambda k, N: _e_lower(N * g[k], xi) / N
        hi = lambda k, N: _e_upper(N * g[k], xi) / N
        S00u, S00l, S10l, S20u, S01l, S02u = hi("00", N00), lo("00", N00), lo("10", N10), hi("20", N20), lo("01", N10), hi("02", N20)
        Mu = _e_upper(Nx1 * M, xi) / Nx1
    else:
        S00u = S00l = g["00"]
        S10l, S20u, S01l, S02u, Mu = g["10"], g["20"], g["01"], g["02"], M

    def decoy(s1, s2, s0):
        return (m2**2 * math.exp(m1) * s1 - m1**2 * math.exp(m2) * s2 - (m2**2 - m1**2) * s0) / (m1 * m2 * (m2 - m1))

    s10, s01 = max(decoy(S10l, S20u, S00u), 0.0), max(decoy(S01l, S02u, S00u), 0.0)
    s1 = (s10 + s01) / 2
    e1 = min(max((Mu - math.exp(-2 * m1) * S00l / 2) / (2 * m1 * math.exp(-2 * m1) * s1), 0.0), 0.5)
    y1 = zz * eps * (1 - eps) * mz * math.exp(-mz)
    n10, n01 = y1 * s10, y1 * s01
    if finite:
        n10, n01 = _obs_lower(n10, xi), _obs_lower(n01, xi)
    key = (n10 + n01) * (1 - _h(e1)) - p.ec_efficiency * n_t * _h(e_z)
    if finite:
        key -= math.log2(2 / xi) + 2 * math.log2(1 / (math.sqrt(2) * xi * xi))
    return {"key_rate": max(key / n, 0.0), "s1_lower": s1, "e1_phase_upper": e1, "qber_z": e_z, "qber_x": M / T}


CASES = [
    (100.0, 1e-8, 0.03, SNSProtocol()),
    (204.0, 2e-8, 0.035, SNSProtocol(epsilon=0.04, mu_1=0.05, mu_2=0.4)),
    (370.0, 1e-8, 0.03, SNSProtocol(mu_z=0.43, epsilon=0.033, mu_1=0.054, mu_2=0.46, p_z=0.8, p_0=0.29, p_1=0.65)),
    (150.0, 3e-8, 0.04, SNSProtocol(mu_z=0.46, epsilon=0.029, mu_1=0.046, mu_2=0.46, p_z=0.85, p_0=0.27, p_1=0.68,
                                    n_pulses=1e10, failure_prob=1e-8)),
    (450.0, 1e-8, 0.03, SNSProtocol(mu_z=0.371, epsilon=0.045, mu_1=0.029, mu_2=0.235, p_z=0.695, p_0=0.347, p_1=0.605,
                                    n_pulses=1e14)),
    (300.0, 1e-8, 0.05, SNSProtocol(n_pulses=None)),
    (500.0, 1e-9, 0.02, SNSProtocol(n_pulses=None, phase_slice_rad=math.pi / 4)),
]


@pytest.mark.parametrize("dist, pd, ed, proto", CASES)
def test_engine_matches_oracle(dist, pd, ed, proto):
    ea, eb = arm_transmittance(dist, ChannelParams())
    ref = oracle(float(ea), float(eb), pd, ed, proto)
    got = key_rate_detailed(ea, eb, pd, ed, proto)
    assert ref["key_rate"] > 0
    for k, v in ref.items():
        assert float(getattr(got, k)) == pytest.approx(v, rel=1e-6, abs=1e-15), k


def test_finite_size_not_double_counted():
    """Finite rate -> asymptotic rate as N grows (the statistical terms vanish as 1/sqrt(N));
    a double-counted margin (issue 13: 0.69x at 370 km, N = 1e12) would not converge this way."""
    ea, eb = arm_transmittance(370.0, ChannelParams())
    p = SNSProtocol(mu_z=0.43, epsilon=0.033, mu_1=0.054, mu_2=0.46, p_z=0.8, p_0=0.29, p_1=0.65)
    asym = float(key_rate_detailed(ea, eb, 1e-8, 0.03, SNSProtocol(**{**p.model_dump(), "n_pulses": None})).key_rate)
    gaps = [1 - float(key_rate_detailed(ea, eb, 1e-8, 0.03, SNSProtocol(**{**p.model_dump(), "n_pulses": n})).key_rate) / asym
            for n in (1e12, 1e14, 1e16)]
    assert 0 < gaps[2] < gaps[1] < gaps[0] < 0.5
    assert gaps[1] / gaps[0] < 0.3 and gaps[2] / gaps[1] < 0.3  # ~ N^-1/2: x0.1 per factor 100


def test_epsilon_total_is_reported_and_distributed():
    p = SNSProtocol()
    sp = security_parameters(p)
    assert sp["n_estimates"] == 9
    assert sp["epsilon_total"] == pytest.approx(1e-10 * (1 + 2 + 1 + 9))
    q = SNSProtocol(epsilon_total=1e-9)
    sq = security_parameters(q)
    parts = sq["epsilon_cor"] + 2 * sq["epsilon_smooth"] + sq["epsilon_pa"] + sq["n_estimates"] * sq["failure_prob_per_estimate"]
    assert parts == pytest.approx(1e-9, rel=1e-12) and sq["epsilon_total"] == pytest.approx(1e-9, rel=1e-12)
    ea, eb = arm_transmittance(300.0, ChannelParams())
    r = [float(key_rate_detailed(ea, eb, 1e-8, 0.03, SNSProtocol(epsilon_total=e)).key_rate) for e in (1e-15, 1e-9, 1e-5)]
    assert r[0] < r[1] < r[2]  # a stricter security parameter costs key
    assert float(key_rate_detailed(ea, eb, 1e-8, 0.03, q).epsilon_total) == pytest.approx(1e-9)
    aopp = security_parameters(SNSProtocol(aopp=True))
    assert aopp["n_estimates"] == sp["n_estimates"] + 3
    assert security_parameters(SNSProtocol(n_pulses=None))["epsilon_total"] == 0.0


def test_epsilon_total_and_parts_are_exclusive():
    from qchipnet.validate import InputError

    with pytest.raises(InputError, match="epsilon_total"):
        SNSProtocol(epsilon_total=1e-9, epsilon_cor=1e-12)
    with pytest.raises(InputError, match="epsilon_total"):
        SNSProtocol(epsilon_total=0.5)
