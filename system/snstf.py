"""Sending-or-not-sending twin-field QKD (SNS-TF-QKD): gains, decoy bounds, key rate.

Protocol (Wang, Yu & Hu, PRA 98, 062323 (2018); Yu, Hu, Jiang, Xu & Wang, Sci. Rep. 9, 3080 (2019);
Jiang, Yu, Hu & Wang, PRApplied 12, 024061 (2019)). In every time window Alice and Bob each choose a
Z window (probability ``p_z``) or an X window. In a Z window a party *sends* a phase-randomised
coherent state of intensity ``mu_z`` with probability ``epsilon`` (Alice's bit 1, Bob's bit 0) and
sends vacuum otherwise. In an X window a party sends a phase-randomised decoy of intensity
``mu_0 = 0``, ``mu_1`` or ``mu_2`` with probabilities ``p_0``, ``p_1``, ``p_2 = 1 - p_0 - p_1``.

Conventions (all functions of this module):

* the key rate is in secure bits **per sent pulse pair** (multiply by the repetition rate for bit/s);
* the channel is described by the two arm transmittances ``eta_a`` and ``eta_b`` *with the
  detection efficiency and server insertion loss folded in*; :func:`arm_transmittance` builds them
  from a total Alice-Bob fibre length ``L`` with the server in the middle (``L/2`` each) unless an
  asymmetry is given;
* ``p_dark`` is the noise-click probability per detection window *per detector* (dark counts plus
  Raman, Rayleigh and crosstalk photons, :mod:`.link`);
* ``e_d`` is the misalignment of the single-photon interference: the interfering fields have
  fringe visibility ``1 - 2 e_d`` (phase slice excluded, it is a protocol parameter);
* an effective event is a window in which exactly one of the two detectors clicks;
* QBER_X is the error rate of the X1 windows (both parties sent ``mu_1``) whose phases pass the
  phase slice ``|theta_A - theta_B - psi| <= D/2`` (or the same around ``pi``), probability ``D/pi``.

Every core function broadcasts over numpy arrays of ``eta_a, eta_b, p_dark, e_d`` for fixed
protocol parameters (pure numpy, float64; a later wafer Monte Carlo evaluates 1e4 dies in one call).
Validity: 0 <= eta <= 1, 0 <= p_dark < 0.1, 0 <= e_d < 0.5, and the protocol ranges of
:class:`SNSProtocol`; inputs outside are rejected with :class:`~qchipnet.validate.InputError`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.special import i0e

from ..validate import Frozen, check_range

__all__ = [
    "SNSProtocol",
    "ChannelParams",
    "KeyRateResult",
    "arm_transmittance",
    "binary_entropy",
    "chernoff_expectation_bounds",
    "chernoff_expectation_lower",
    "chernoff_expectation_upper",
    "chernoff_observed_lower",
    "sampling_deviation",
    "gains",
    "key_rate_detailed",
    "key_rate",
    "key_rate_vs_distance",
    "replace",
]

LN2 = math.log(2.0)


class SNSProtocol(Frozen):
    """Protocol parameters of SNS-TF-QKD (intensities, probabilities, finite-size settings).

    Defaults are the optimum at 300 km for N = 1e12 and the default :class:`ChannelParams`
    (from :func:`qchipnet.system.optimize.optimize_protocol`); optimise per distance for curves.
    ``n_pulses = None`` means the asymptotic (infinite-key) rate; then ``failure_prob`` is unused.
    Allowed ranges: 0 < mu_z <= 2, 0 < epsilon < 1, 0 < mu_1 < mu_2 <= 2 (the decoy bound needs
    mu_1 < mu_2), 0 < p_z <= 1 (< 1 for finite size), 0 <= p_0, 0 < p_1, p_0 + p_1 < 1,
    0 < phase_slice_rad <= pi, 1 <= ec_efficiency <= 2, 1e6 <= n_pulses <= 1e18,
    1e-20 <= failure_prob <= 1e-2.
    """

    mu_z: float = 0.45
    epsilon: float = 0.032
    mu_1: float = 0.051
    mu_2: float = 0.40
    p_z: float = 0.86
    p_0: float = 0.20
    p_1: float = 0.73
    phase_slice_rad: float = 2 * math.pi / 16
    ec_efficiency: float = 1.1
    n_pulses: float | None = 1e12
    failure_prob: float = 1e-10
    aopp: bool = False

    def __init__(self, **data):
        super().__init__(**data)
        check_range("mu_z", self.mu_z, 0.0, 2.0, lo_open=True)
        check_range("epsilon", self.epsilon, 0.0, 1.0, lo_open=True, hi_open=True)
        check_range("mu_1", self.mu_1, 0.0, 1.0, lo_open=True)
        check_range("mu_2", self.mu_2, self.mu_1, 2.0, lo_open=True)  # decoy order mu_1 < mu_2
        finite = self.n_pulses is not None
        check_range("p_z", self.p_z, 0.0, 1.0, lo_open=True, hi_open=finite)
        check_range("p_0", self.p_0, 0.0, 1.0, hi_open=True)
        check_range("p_1", self.p_1, 0.0, 1.0, lo_open=True, hi_open=True)
        check_range("p_0 + p_1", self.p_0 + self.p_1, 0.0, 1.0, hi_open=True)
        check_range("phase_slice_rad", self.phase_slice_rad, 0.0, math.pi, "rad", lo_open=True)
        check_range("ec_efficiency", self.ec_efficiency, 1.0, 2.0)
        if finite:
            check_range("n_pulses", self.n_pulses, 1e6, 1e18)
        check_range("failure_prob", self.failure_prob, 1e-20, 1e-2)

    @property
    def p_2(self) -> float:
        return 1.0 - self.p_0 - self.p_1


def replace(model: Frozen, **update) -> Frozen:
    """Validated copy of a frozen model with some fields replaced (``model_copy`` skips checks)."""
    return type(model)(**{**model.model_dump(), **update})


class ChannelParams(Frozen):
    """Fibre link and detection of one Alice-server-Bob channel (the server is in the middle).

    Defaults (the article gives none of them; assumptions):
    * ``loss_dB_per_km = 0.2``: standard G.652 single-mode fibre at 1550 nm (ITU-T G.652 /
      Corning SMF-28 datasheet, <= 0.18-0.20 dB/km); the 370-km PLOB comparison of the article is
      consistent with it (see network.py).
    * ``detector_efficiency = 0.6``: SNSPD system efficiency typical of the SNS-TF-QKD experiments
      (Chen et al., PRL 124, 070501 (2020); value not checked against their table: assumption).
    * ``server_loss_dB = 1.5``: demultiplexer + beamsplitter + polarisation control at the server
      (assumption; a DWDM AWG/thin-film filter port is 0.5-1 dB).
    * ``p_dark = 1e-8`` per window per detector (10 counts/s in a 1-ns gate; assumption); the network
      replaces it by the noise budget of :mod:`.link`.
    * ``e_d = 0.03``: misalignment typical of SNS simulations and experiments (assumption).
    Valid: 0 <= distance <= 2000 km, 0-1 dB/km, efficiency in (0, 1], asymmetry |x| < 1.
    """

    loss_dB_per_km: float = 0.2
    detector_efficiency: float = 0.6
    server_loss_dB: float = 1.5
    p_dark: float = 1e-8
    e_d: float = 0.03

    def __init__(self, **data):
        super().__init__(**data)
        check_range("loss_dB_per_km", self.loss_dB_per_km, 0.0, 1.0, "dB/km")
        check_range("detector_efficiency", self.detector_efficiency, 0.0, 1.0, lo_open=True)
        check_range("server_loss_dB", self.server_loss_dB, 0.0, 30.0, "dB")
        check_range("p_dark", self.p_dark, 0.0, 0.1, hi_open=True)
        check_range("e_d", self.e_d, 0.0, 0.5, hi_open=True)


def arm_transmittance(distance_km, channel: ChannelParams, *, asymmetry=0.0):
    """Arm transmittances (eta_a, eta_b) for total fibre ``distance_km`` (server in the middle).

    ``asymmetry`` = (L_a - L_b)/L in (-1, 1); detection efficiency and server loss are folded in.
    """
    check_range("distance_km", distance_km, 0.0, 2000.0, "km")
    check_range("asymmetry", asymmetry, -1.0, 1.0, lo_open=True, hi_open=True)
    L = np.asarray(distance_km, float)
    x = np.asarray(asymmetry, float)
    common = channel.detector_efficiency * 10 ** (-channel.server_loss_dB / 10)
    la, lb = L * (1 + x) / 2, L * (1 - x) / 2
    a = channel.loss_dB_per_km
    return common * 10 ** (-a * la / 10), common * 10 ** (-a * lb / 10)


# ------------------------------------------------------------------------------------------------
# Statistics


def binary_entropy(x):
    """Binary Shannon entropy H(x) in bits (x clipped into (0, 1) so that H(0) = H(1) = 0)."""
    x = np.clip(np.asarray(x, float), 1e-300, 1 - 1e-16)
    return -(x * np.log2(x) + (1 - x) * np.log2(1 - x))


def _newton_root(g, dg, d0, lo, hi, n_iter=40):
    d = np.clip(d0, lo, hi)
    for _ in range(n_iter):
        step = g(d) / dg(d)
        d_new = np.clip(d - step, lo, hi)
        # safeguard: halfway towards the bound when Newton leaves the bracket
        d_new = np.where(d_new >= hi, 0.5 * (d + hi), d_new)
        d_new = np.where(d_new <= lo, 0.5 * (d + lo), d_new)
        if np.all(np.abs(d_new - d) <= 1e-12 * np.maximum(d, 1e-12)):
            return d_new
        d = d_new
    return d


def _chernoff_deltas(x, xi, upper):
    x = np.maximum(np.asarray(x, float), 1e-300)
    big = math.log(2.0 / xi)  # -ln(xi/2) > 0
    d0 = np.sqrt(2 * big / x)
    if not upper:  # g1(d) = x[d/(1+d) - ln(1+d)] + big, decreasing from big
        g = lambda d: x * (d / (1 + d) - np.log1p(d)) + big  # noqa: E731
        dg = lambda d: -x * d / (1 + d) ** 2 - 1e-300  # noqa: E731
        return _newton_root(g, dg, d0, 1e-300, 1e12)
    g = lambda d: x * (-d / (1 - d) - np.log1p(-d)) + big  # noqa: E731
    dg = lambda d: -x * d / (1 - d) ** 2 - 1e-300  # noqa: E731
    return _newton_root(g, dg, np.minimum(d0, 0.5), 1e-300, 1 - 1e-15)


def chernoff_expectation_lower(x, xi):
    """Lower bound ``E_L = x/(1+d1)`` on the expectation of a count observed as ``x``.

    Multiplicative Chernoff bound as used by Jiang et al., PRApplied 12, 024061 (2019), Eq. (9)
    (after Zhang et al., PRA 95, 012333 (2017)): ``[e^d1/(1+d1)^(1+d1)]^(x/(1+d1)) = xi/2``.
    Fails with probability <= xi/2. Vectorised (safeguarded Newton); x >= 0.
    """
    x = np.maximum(np.asarray(x, float), 0.0)
    d1 = _chernoff_deltas(x, xi, upper=False)
    return np.where(x > 0, x / (1 + d1), 0.0)


def chernoff_expectation_upper(x, xi):
    """Upper bound ``E_U = x/(1-d2)``, ``[e^-d2/(1-d2)^(1-d2)]^(x/(1-d2)) = xi/2`` (Jiang 2019 Eq. (10)).

    For x <= 1 the Poisson-tail form ``x + ln(2/xi) + sqrt(2 x ln(2/xi))`` is used (it is larger).
    """
    x = np.maximum(np.asarray(x, float), 0.0)
    d2 = _chernoff_deltas(x, xi, upper=True)
    e_u = x / (1 - d2)
    big = math.log(2 / xi)
    tiny = x + big + np.sqrt(2 * x * big)
    return np.where(x > 1.0, e_u, np.maximum(e_u, tiny))


def chernoff_expectation_bounds(x, xi):
    """(E_L, E_U): :func:`chernoff_expectation_lower` and :func:`chernoff_expectation_upper`."""
    return chernoff_expectation_lower(x, xi), chernoff_expectation_upper(x, xi)


def chernoff_observed_lower(expected, xi):
    """Lower bound on an observed count given its expectation: ``E - sqrt(2 E ln(1/xi))`` (>= 0).

    Lower-tail Chernoff bound P(X <= (1-d)E) <= exp(-d^2 E / 2), failure probability xi.
    """
    e = np.maximum(np.asarray(expected, float), 0.0)
    return np.maximum(e - np.sqrt(2 * e * math.log(1 / xi)), 0.0)


def sampling_deviation(n, k, lam, eps):
    """Random-sampling (without replacement) deviation gamma^U(n, k, lambda, eps).

    The phase-flip rate of the n untagged Z bits exceeds that of the k X1 single-photon events
    (rate lambda) by at most gamma^U, except with probability eps. Jiang et al. PRApplied 12,
    024061 (2019), Eq. (13) (after Yin et al. / Fung et al.):
    gamma^U = [(1-2 lam) A G/(n+k) + sqrt(A^2 G^2/(n+k)^2 + 4 lam (1-lam) G)] / (2 + 2 A^2 G/(n+k)^2),
    A = max(n, k), G = (n+k)/(n k) ln[(n+k)/(2 pi n k lam (1-lam) eps^2)].
    """
    n = np.maximum(np.asarray(n, float), 1.0)
    k = np.maximum(np.asarray(k, float), 1.0)
    lam = np.clip(np.asarray(lam, float), 1e-12, 0.5)
    a = np.maximum(n, k)
    s = n + k
    g = s / (n * k) * np.log(s / (2 * math.pi * n * k * lam * (1 - lam) * eps**2))
    g = np.maximum(g, 0.0)
    num = (1 - 2 * lam) * a * g / s + np.sqrt(a**2 * g**2 / s**2 + 4 * lam * (1 - lam) * g)
    return num / (2 + 2 * a**2 * g / s**2)


# ------------------------------------------------------------------------------------------------
# Gains (expected detection probabilities per window), exact for threshold detectors


def _one_click(i_l, i_r, pd):
    """P(exactly one of two detectors clicks) for Poissonian mean photon numbers i_l, i_r."""
    q = 1 - pd
    return q * (np.exp(-i_l) + np.exp(-i_r)) - 2 * q * q * np.exp(-(i_l + i_r))


def _one_click_random_phase(ia, ib, pd, vis):
    """Exactly-one-click probability for two coherent states with uniformly random relative phase.

    ia = eta_a mu_a, ib = eta_b mu_b arrive at a 50:50 beamsplitter with fringe visibility vis:
    I_{L,R} = (ia+ib)/2 +- vis sqrt(ia ib) cos(delta); <exp(-I_L)>_delta = exp(-(ia+ib)/2) I0(x).
    """
    q = 1 - pd
    x = vis * np.sqrt(ia * ib)
    avg = np.exp(-(ia + ib) / 2 + x) * i0e(x)  # exp(-m) I0(x) = exp(-m + x) i0e(x)
    return 2 * q * avg - 2 * q * q * np.exp(-(ia + ib))


# Gauss-Legendre nodes for the phase-slice average (16 nodes: exact to < 1e-12 for D <= pi)
_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)


def _x1_slice(ia, ib, pd, vis, dslice):
    """(gain, error gain) of X1 windows whose relative phase passes the slice |delta| <= D/2."""
    w = _GL_W / 2  # average weight
    sh = np.broadcast_shapes(np.shape(ia), np.shape(ib), np.shape(pd), np.shape(vis), np.shape(dslice))
    ia, ib, pd, vis, dslice = (
        np.broadcast_to(np.asarray(v, float), sh)[..., None] for v in (ia, ib, pd, vis, dslice)
    )
    d = (dslice / 2) * _GL_X  # nodes on [-D/2, D/2]
    amp = vis * np.sqrt(ia * ib) * np.cos(d)
    m = (ia + ib) / 2
    i_right, i_wrong = m + amp, m - amp
    q = 1 - pd
    p_right_only = (1 - q * np.exp(-i_right)) * q * np.exp(-i_wrong)
    p_wrong_only = (1 - q * np.exp(-i_wrong)) * q * np.exp(-i_right)
    t = np.sum(w * (p_right_only + p_wrong_only), axis=-1)
    err = np.sum(w * p_wrong_only, axis=-1)
    return t, err


def gains(eta_a, eta_b, p_dark, e_d, proto: SNSProtocol) -> dict:
    """Expected per-window gains of every window class (vectorised over the channel inputs).

    Keys: ``S_nn, S_sn, S_ns, S_ss`` (Z windows: n = not sending, s = sending, Alice first),
    ``S_00``, ``S_k0`` / ``S_0k`` for k = 1, 2 (X windows with one party sending vacuum),
    ``T_X1, M_X1`` (X1 windows passing the slice: gain and error gain), ``s10, s01`` (true
    single-photon yields, for checking the decoy bounds).
    """
    return _gains(eta_a, eta_b, p_dark, e_d, proto.mu_z, proto.mu_1, proto.mu_2, proto.phase_slice_rad)


def _gains(eta_a, eta_b, p_dark, e_d, mz, m1, m2, dslice) -> dict:
    pd = np.asarray(p_dark, float)
    vis = 1 - 2 * np.asarray(e_d, float)
    ea, eb = np.asarray(eta_a, float), np.asarray(eta_b, float)
    z = 0.0 * ea * eb * pd * vis
    one = lambda ia: _one_click(ia / 2 + z, ia / 2 + z, pd)  # noqa: E731 (single sender)
    g = {
        "S_nn": _one_click(z, z, pd),
        "S_sn": one(ea * mz),
        "S_ns": one(eb * mz),
        "S_ss": _one_click_random_phase(ea * mz + z, eb * mz + z, pd, vis),
        "S_00": _one_click(z, z, pd),
        "S_10": one(ea * m1),
        "S_20": one(ea * m2),
        "S_01": one(eb * m1),
        "S_02": one(eb * m2),
    }
    g["T_X1"], g["M_X1"] = _x1_slice(ea * m1 + z, eb * m1 + z, pd, vis, dslice)
    g["s10"] = ea * (1 - pd) + (1 - ea) * 2 * pd * (1 - pd)
    g["s01"] = eb * (1 - pd) + (1 - eb) * 2 * pd * (1 - pd)
    return g


class KeyRateResult(NamedTuple):
    """Arrays (broadcast shape of the channel inputs) describing one key-rate evaluation."""

    key_rate: np.ndarray  # secure bits per sent pulse pair, >= 0
    qber_z: np.ndarray  # bit-flip error rate of Z effective events (after AOPP if enabled)
    qber_x: np.ndarray  # error rate of X1 windows passing the phase slice
    s1_lower: np.ndarray  # lower bound of the single-photon yield s1 = (s10 + s01)/2
    e1_phase_upper: np.ndarray  # upper bound of the phase-flip rate of untagged bits
    n1_fraction: np.ndarray  # untagged Z bits per pulse pair (lower bound)
    gain_z: np.ndarray  # effective Z events per pulse pair (before AOPP)


def _decoy_s1(m1, m2, s_1, s_2, s_0):
    """s1 >= [mu2^2 e^mu1 S_1 - mu1^2 e^mu2 S_2 - (mu2^2 - mu1^2) S_0] / (mu1 mu2 (mu2 - mu1)).

    Yu et al. Sci. Rep. 9, 3080 (2019), Eq. (5) (the vacuum + weak decoy bound of Ma et al.,
    PRA 72, 012326 (2005), valid for any 0 < mu1 < mu2). S_k: gain of the one-party-sends-mu_k
    windows (lower bound for S_1, upper bounds for S_2 and S_0 in the finite-size case).
    """
    return (m2**2 * np.exp(m1) * s_1 - m1**2 * np.exp(m2) * s_2 - (m2**2 - m1**2) * s_0) / (
        m1 * m2 * (m2 - m1)
    )


def _key_rate_core(ea, eb, pd, ed, proto: SNSProtocol) -> KeyRateResult:
    """Unchecked key rate (see :func:`key_rate_detailed`). Shapes broadcast."""
    return _rate_arrays(
        ea, eb, pd, ed,
        mz=proto.mu_z, eps=proto.epsilon, m1=proto.mu_1, m2=proto.mu_2,
        pz=proto.p_z, p0=proto.p_0, p1=proto.p_1, dsl=proto.phase_slice_rad,
        f=proto.ec_efficiency, n_pulses=proto.n_pulses, xi=proto.failure_prob, aopp=proto.aopp,
    )


def _rate_arrays(ea, eb, pd, ed, *, mz, eps, m1, m2, pz, p0, p1, dsl, f, n_pulses, xi, aopp):
    """Key rate with every numeric protocol parameter allowed to be an array (for the optimiser)."""
    g = _gains(ea, eb, pd, ed, mz, m1, m2, dsl)
    p2 = 1.0 - p0 - p1
    finite = n_pulses is not None
    n = float(n_pulses) if finite else 1.0

    # --- Z windows (per pulse pair, times n): n_ab = events with Alice a, Bob b
    zz = n * pz * pz
    n_nn = zz * (1 - eps) ** 2 * g["S_nn"]
    n_sn = zz * eps * (1 - eps) * g["S_sn"]
    n_ns = zz * eps * (1 - eps) * g["S_ns"]
    n_ss = zz * eps * eps * g["S_ss"]
    n_t = n_nn + n_sn + n_ns + n_ss
    e_z = (n_nn + n_ss) / np.maximum(n_t, 1e-300)

    # --- X windows: numbers of windows of each class and their counts
    xx = n * (1 - pz) ** 2
    N_00, N_10, N_20 = xx * p0 * p0, xx * p1 * p0, xx * p2 * p0
    N_x1 = xx * p1 * p1 * dsl / np.pi  # both mu_1 and passing the slice (0 or pi)
    if finite:
        lo = lambda c, N: chernoff_expectation_lower(c, xi) / N  # noqa: E731
        hi = lambda c, N: chernoff_expectation_upper(c, xi) / N  # noqa: E731
        S00_u, S00_l = hi(N_00 * g["S_00"], N_00), lo(N_00 * g["S_00"], N_00)
        S10_l, S20_u = lo(N_10 * g["S_10"], N_10), hi(N_20 * g["S_20"], N_20)
        S01_l, S02_u = lo(N_10 * g["S_01"], N_10), hi(N_20 * g["S_02"], N_20)
        M_u = hi(N_x1 * g["M_X1"], N_x1)
    else:
        S00_u = S00_l = g["S_00"]
        S10_l, S20_u, S01_l, S02_u = g["S_10"], g["S_20"], g["S_01"], g["S_02"]
        M_u = g["M_X1"]
    s10_l = np.maximum(_decoy_s1(m1, m2, S10_l, S20_u, S00_u), 0.0)
    s01_l = np.maximum(_decoy_s1(m1, m2, S01_l, S02_u, S00_u), 0.0)
    s1_l = 0.5 * (s10_l + s01_l)

    # --- phase-flip bound from X1 windows (Yu et al. 2019 Eq. (6)):
    # e1 <= [T_X1 E_X1 - e^{-2 mu1} S_00 / 2] / (2 mu1 e^{-2 mu1} s1)
    p1ph = 2 * m1 * np.exp(-2 * m1)
    e1 = (M_u - np.exp(-2 * m1) * S00_l / 2) / np.maximum(p1ph * s1_l, 1e-300)
    e1 = np.clip(e1, 0.0, 0.5)
    y1 = zz * eps * (1 - eps) * mz * np.exp(-mz)  # untagged-photon windows per kind
    n10, n01 = y1 * s10_l, y1 * s01_l
    if finite:
        n10, n01 = chernoff_observed_lower(n10, xi), chernoff_observed_lower(n01, xi)
        k_x1 = N_x1 * p1ph * s1_l
        e1 = np.clip(e1 + sampling_deviation(n10 + n01, k_x1, e1, xi), 0.0, 0.5)
    n1 = n10 + n01

    if aopp:
        # Actively odd-parity pairing (Xu, Yu, Jiang, Hu & Wang, PRA 101, 042330 (2020)), derived
        # here for expected counts: Bob pairs a "not sent" (bit 1) event with a "sent" (bit 0) one;
        # a pair survives when Alice's parity is odd too. Survivors: (sn, ns) correct, (nn, ss) error.
        n_b1, n_b0 = n_sn + n_nn, n_ns + n_ss
        n_g = np.minimum(n_b1, n_b0)
        den = np.maximum(n_b1 * n_b0, 1e-300)
        n_t_eff = n_g * (n_sn * n_ns + n_nn * n_ss) / den
        e_z = n_g * n_nn * n_ss / den / np.maximum(n_t_eff, 1e-300)
        n1 = n_g * n10 * n01 / den  # both bits of the pair untagged
        if finite:
            n1 = chernoff_observed_lower(n1, xi)
        e1 = 2 * e1 * (1 - e1)  # phase error of the parity bit of two untagged bits
    else:
        n_t_eff = n_t

    key = n1 * (1 - binary_entropy(e1)) - f * n_t_eff * binary_entropy(e_z)
    if finite:
        key = key - math.log2(2 / xi) - 2 * math.log2(1 / (math.sqrt(2) * xi * xi))
    rate = np.maximum(key / n, 0.0)
    rate = np.where(np.isfinite(rate), rate, 0.0)
    qx = g["M_X1"] / np.maximum(g["T_X1"], 1e-300)
    return KeyRateResult(rate, e_z, qx, s1_l, e1, n1 / n, n_t / n)


def _check_channel(eta_a, eta_b, p_dark, e_d) -> None:
    check_range("eta_a", eta_a, 0.0, 1.0)
    check_range("eta_b", eta_b, 0.0, 1.0)
    check_range("p_dark", p_dark, 0.0, 0.1, hi_open=True)
    check_range("e_d", e_d, 0.0, 0.5, hi_open=True)


def key_rate_detailed(eta_a, eta_b, p_dark, e_d, proto: SNSProtocol | None = None) -> KeyRateResult:
    """SNS-TF-QKD key rate with its by-products (vectorised numpy over the channel inputs).

    Finite size (``proto.n_pulses`` set; Jiang et al. PRApplied 12, 024061 (2019), Eq. (14)):
    ``N_f = n1 [1 - H(e1^ph)] - f n_t H(E_Z) - log2(2/eps_cor) - 2 log2(1/(sqrt2 eps_PA eps_hat))``,
    rate ``N_f / N``, with all failure probabilities = ``failure_prob``; n1, e1^ph from the decoy
    bounds of Yu et al. 2019 (Eqs. (5)-(6)) with Chernoff-bounded counts and the random-sampling
    deviation. Asymptotic (``n_pulses=None``, Wang, Yu & Hu 2018 Eq. (7)): the same without the
    statistical terms. ``proto.aopp`` enables actively odd-parity pairing (Xu et al. 2020).
    """
    proto = proto or SNSProtocol()
    _check_channel(eta_a, eta_b, p_dark, e_d)
    return _key_rate_core(eta_a, eta_b, p_dark, e_d, proto)


def key_rate(eta_a, eta_b, p_dark, e_d, proto: SNSProtocol | None = None) -> np.ndarray:
    """Secure bits per sent pulse pair (array, broadcast over eta_a, eta_b, p_dark, e_d)."""
    return key_rate_detailed(eta_a, eta_b, p_dark, e_d, proto).key_rate


def key_rate_vs_distance(
    distance_km, channel: ChannelParams | None = None, proto: SNSProtocol | None = None, *, asymmetry=0.0
) -> KeyRateResult:
    """Key rate for total Alice-Bob fibre ``distance_km`` (array) and a channel description."""
    channel = channel or ChannelParams()
    ea, eb = arm_transmittance(distance_km, channel, asymmetry=asymmetry)
    return key_rate_detailed(ea, eb, channel.p_dark, channel.e_d, proto)


