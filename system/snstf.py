"""Sending-or-not-sending twin-field QKD (SNS-TF-QKD): gains, decoy bounds, finite-size key rate (jax).

Protocol (Wang, Yu & Hu, PRA 98, 062323 (2018); Yu, Hu, Jiang, Xu & Wang, Sci. Rep. 9, 3080 (2019);
Jiang, Yu, Hu & Wang, PRApplied 12, 024061 (2019)). In every time window Alice and Bob each choose a
Z window (probability ``p_z``) or an X window. In a Z window a party *sends* a phase-randomised
coherent state of intensity ``mu_z`` with probability ``epsilon`` (Alice's bit 1, Bob's bit 0) and
does not send otherwise. In an X window a party sends a phase-randomised decoy of intensity
``mu_0``, ``mu_1`` or ``mu_2`` with probabilities ``p_0``, ``p_1``, ``p_2 = 1 - p_0 - p_1``.
``mu_0 = mu_vac`` is the light the transmitter leaks when it "sends nothing" (IM at its null): the
not-sending state and the vacuum decoy are the same weak coherent state, exactly vacuum for
``mu_vac = 0`` (the default; pass ``mu_vac = mu_on 10^(-ER/10)`` from the IM extinction ER,
:func:`vacuum_intensity`).

Conventions (all functions of this module):

* the key rate is in secure bits **per sent pulse pair** (multiply by the repetition rate for bit/s);
* the channel is described by the two arm transmittances ``eta_a`` and ``eta_b`` *with the
  detection efficiency and server insertion loss folded in* (:func:`arm_transmittance`);
* ``p_dark`` is the noise-click probability per detection window *per detector* (dark counts plus
  Raman, Rayleigh and crosstalk photons of both arms, :mod:`.link`);
* ``e_d`` is the misalignment of the single-photon interference: fringe visibility ``1 - 2 e_d``;
* an effective event is a window in which exactly one of the two detectors clicks;
* QBER_X is the error rate of the X1 windows (both parties sent ``mu_1``) whose phases pass the
  phase slice ``|theta_A - theta_B - psi| <= D/2`` (or the same around ``pi``), probability ``D/pi``.

Finite size: the expected-value framework of Jiang et al. 2019 (physics.md section 7), one
framework, no double counting. The simulated observed counts of every window class are turned into
bounds on their *expected* values with the multiplicative Chernoff bound (Jiang 2019 Eqs. (9)-(10),
after Zhang et al., PRA 95, 012333 (2017)); the decoy analysis runs on expected values; the expected
number of untagged Z bits is turned into an observed lower bound with one more Chernoff step
(``phi^L(E) = E - sqrt(2 E ln(1/xi))``). The phase-flip rate of the untagged bits is the expected-
value upper bound of the X1 windows; no random-sampling deviation is added on top. Key length
(Jiang 2019 Eq. (14)):

``N_f = n1 [1 - H(e1_ph)] - f n_t H(E_Z) - log2(2/eps_cor) - 2 log2(1/(sqrt2 eps_PA eps_hat))``

and the protocol is ``eps_tot``-secure with ``eps_tot = eps_cor + eps_sec``,
``eps_sec = 2 eps_hat + eps_PA + n_est xi`` where ``n_est`` counts the bounded estimates (each
fails with probability ``xi``; :func:`security_parameters`). The user gives ``epsilon_total`` (the
engine splits it equally over all terms) or the parts.

AOPP (actively odd-parity pairing; Xu, Yu, Jiang, Hu & Wang, PRA 101, 042330 (2020)) with the
finite-size phase-flip bound of the surviving pairs estimated in the zigzag manner of Jiang, Hu, Xu,
Yu & Wang, NJP 22, 053048 (2020) (arXiv:1908.05670): (i) untagged pairs ``n1'`` from the random
pairing of the bounded untagged bits (Chernoff lower bound); (ii) phase flips among the ``2 n1'``
paired untagged bits, a random subset of the untagged bits, bounded from ``e1_ph`` (Chernoff upper);
(iii) phase flips of the pairs' parity bits, ``2 e (1 - e)`` for a random pairing, bounded again
(Chernoff upper). Asymptotically ``e1' = 2 e1 (1 - e1)`` (Xu et al. 2020). Raw (before pairing) and
post-pairing quantities are reported separately (:class:`KeyRateResult`).

Source imperfections (options; defaults keep the ideal source):

* ``mu_vac > 0``: the vacuum decoy and the not-sending state emit ``mu_vac``. The one-sender decoy
  bound becomes the three-intensity bound with the weakest intensity ``mu_vac``
  (Ma, Qi, Zhao & Lo, PRA 72, 012326 (2005), general form) on the yield ``Y_1`` of Alice's single
  photon with Bob's state ``mu_vac``; ``y_10 >= e^v Y_1 - v y_11^U - (e^v - 1 - v)`` with
  ``y_11^U = e^(2 mu_1) S_11 / mu_1^2`` from all (mu_1, mu_1) windows; the vacuum yield of the
  phase-error bound is ``y_00 >= e^(2v) (S_vv - 1 + e^(-2v))`` (loose: once ``2 mu_vac`` exceeds the
  vacuum gain the vacuum subtraction of the phase bound is lost, a few 0.1 % of key); untagged Z bits
  carry ``e^(-v)``.
  Default 0 (ideal vacuum; the article does not give the residual light of its IMs).
* ``intensity_fluctuation = delta``: every sent intensity lies in ``mu (1 +- delta)``; every bound
  is evaluated at the worst corner of that box (Wang, Yang, Peng & Pan, NJP 11, 075006 (2009),
  worst-case treatment of source errors; the corner is the worst point to first order in delta).
  Default 0 (the article reports 0.994 +- 0.006 relative intensity over 12 h for the comb, not for
  the client modulators).
* ``phase_slices = M``: every party draws its phase from M discrete values 2 pi k / M instead of a
  continuous one. The sent state is then a mixture of M class states lambda_j(mu) that depend on the
  intensity (Cao, Zhang, Lo & Ma, NJP 17, 053014 (2015); TF-QKD: Curras-Lorenzo, Wooltorton & Razavi,
  arXiv:2008.03222): the decoy bound carries the trace distances of the class states of different
  intensities, the untagged bits are the lambda_1(mu_z) class (probability P_1^M(mu_z)) and their phase
  error gets the basis-dependence (quantum-coin) correction of Cao et al. 2015 (block comment above
  :func:`_decoy_y1_discrete`). This is the closed-form adaptation of the Cao et al. constraints to the
  SNS bounds of this module, not the numerical (SDP) bound of Curras-Lorenzo et al.; the decoy part
  equals the LP minimum over the same constraints (checked against scipy's LP in the tests) and every
  correction tends to zero as M grows (the continuous result is recovered).
  The simulated observations keep the continuous-phase channel model. Default None (continuous,
  the article's assumption); not combined with ``mu_vac > 0`` or ``intensity_fluctuation > 0``.

Implementation: pure jax (float64), vectorised, no Python control flow on values; the Chernoff
bounds are solved with a fixed number of Newton steps from their closed-form approximation, so
gradients flow through everything (:func:`key_rate_jax`); finite size and AOPP are traced switches
(``params["finite"]``, ``params["aopp"]``), so one compiled program serves every protocol. The
numpy entry points check inputs, pad the batch to a power of two (at least 256) and call the program
compiled for that bucket (and for ``mu_vac > 0`` or not).
Validity: 0 <= eta <= 1, 0 <= p_dark < 0.1, 0 <= e_d < 0.5, and the protocol ranges of
:class:`SNSProtocol`; inputs outside are rejected with :class:`~qchipnet.validate.InputError`.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

from ..validate import Frozen, InputError, check_range

__all__ = [
    "ChannelParams",
    "KeyRateResult",
    "SNSProtocol",
    "arm_transmittance",
    "binary_entropy",
    "check_phase_slices",
    "chernoff_expectation_bounds",
    "chernoff_expectation_lower",
    "chernoff_expectation_upper",
    "chernoff_observed_lower",
    "chernoff_observed_upper",
    "gains",
    "key_rate",
    "key_rate_detailed",
    "key_rate_jax",
    "key_rate_vs_distance",
    "protocol_params",
    "replace",
    "security_parameters",
    "vacuum_intensity",
]

class SNSProtocol(Frozen):
    """Protocol parameters of SNS-TF-QKD (intensities, probabilities, finite-size and source settings).

    Defaults are the optimum at 300 km for N = 1e12 and the default :class:`ChannelParams`
    (from :func:`qchipnet.system.optimize.optimize_protocol`); optimise per distance for curves.
    ``n_pulses = None`` means the asymptotic (infinite-key) rate; then the epsilons are unused.

    Security parameter (finite size): ``failure_prob`` is the failure probability xi of *each*
    bounded estimate; ``epsilon_cor``, ``epsilon_pa``, ``epsilon_smooth`` (None: = ``failure_prob``)
    are the correctness, privacy-amplification and smoothing parameters. Alternatively
    ``epsilon_total`` sets eps_tot = eps_cor + 2 eps_hat + eps_PA + n_est xi and the engine splits it
    equally (then the parts must be left unset). :func:`security_parameters` gives the values used.

    Source: ``mu_vac`` (intensity of the not-sending / vacuum-decoy state, >= 0, < mu_1),
    ``intensity_fluctuation`` (relative bound, 0 <= delta < 0.5) and ``phase_slices`` (M discrete
    random phases 2 pi k / M, integer in [2, 4096]; None = continuous phase randomisation, the
    default); see the module docstring. ``phase_slices`` is not combined with the other two.

    Allowed ranges: 0 < mu_z <= 2, 0 < epsilon < 1, 0 < mu_1 < mu_2 <= 2 (the decoy bound needs
    mu_1 < mu_2), 0 < p_z <= 1 (< 1 for finite size), 0 <= p_0, 0 < p_1, p_0 + p_1 < 1,
    0 < phase_slice_rad <= pi, 1 <= ec_efficiency <= 2, 1e6 <= n_pulses <= 1e18,
    1e-20 <= failure_prob, epsilons <= 1e-2, 1e-20 <= epsilon_total <= 0.1.
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
    epsilon_total: float | None = None
    epsilon_cor: float | None = None
    epsilon_pa: float | None = None
    epsilon_smooth: float | None = None
    mu_vac: float = 0.0
    intensity_fluctuation: float = 0.0
    phase_slices: int | float | None = None  # an integer; a float is refused unless integer-valued

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
        for name in ("epsilon_cor", "epsilon_pa", "epsilon_smooth"):
            v = getattr(self, name)
            if v is not None:
                check_range(name, v, 1e-20, 1e-2)
        if self.epsilon_total is not None:
            check_range("epsilon_total", self.epsilon_total, 1e-20, 0.1)
            given = [n for n in ("epsilon_cor", "epsilon_pa", "epsilon_smooth") if getattr(self, n) is not None]
            if given:
                raise InputError(f"epsilon_total is set: leave {', '.join(given)} unset (the engine splits epsilon_total)")
        check_range("mu_vac", self.mu_vac, 0.0, self.mu_1, hi_open=True)
        check_range("intensity_fluctuation", self.intensity_fluctuation, 0.0, 0.5, hi_open=True)
        if self.phase_slices is not None:
            check_phase_slices(self.phase_slices)
            for name in ("mu_vac", "intensity_fluctuation"):
                if getattr(self, name) > 0:
                    raise InputError(f"phase_slices = {self.phase_slices} cannot be combined with {name} = "
                                     f"{getattr(self, name)} > 0 (not modelled); use one source imperfection at a time")

    @property
    def p_2(self) -> float:
        return 1.0 - self.p_0 - self.p_1


#: Allowed number of discrete random phases M (``phase_slices``).
PHASE_SLICES_RANGE = (2, 4096)


def check_phase_slices(value, name: str = "phase_slices") -> int:
    """``value`` as an integer M in :data:`PHASE_SLICES_RANGE`, else one-line :class:`InputError`."""
    lo, hi = PHASE_SLICES_RANGE
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} = {value!r} is not an integer; allowed: integer in [{lo}, {hi}]") from None
    if not math.isfinite(f) or f != int(f) or isinstance(value, bool):
        raise InputError(f"{name} = {value!r} is not an integer; allowed: integer in [{lo}, {hi}]")
    check_range(name, int(f), lo, hi)
    return int(f)


def replace(model: Frozen, **update) -> Frozen:
    """Validated copy of a frozen model with some fields replaced (``model_copy`` skips checks)."""
    return type(model)(**{**model.model_dump(), **update})


def vacuum_intensity(mu_on: float, im_extinction_dB):
    """Mean photon number of the "vacuum" (IM at its null): ``mu_on 10^(-ER/10)`` (vectorised).

    ``mu_on`` is the intensity the IM passes at its maximum (the largest sent intensity, usually
    ``mu_z`` or ``mu_2``); ``im_extinction_dB`` the IM extinction ratio (physics.md 4.3).
    """
    check_range("mu_on", mu_on, 0.0, 2.0)
    check_range("im_extinction_dB", im_extinction_dB, 0.0, 80.0, "dB", lo_open=True)
    return np.asarray(mu_on, float) * 10 ** (-np.asarray(im_extinction_dB, float) / 10)


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
# Security parameter bookkeeping (plain Python: the counts are structural, not values)


def _n_estimates(aopp: bool, mu_vac: float) -> int:
    """Number of bounded estimates, each failing with probability xi.

    Expected-value bounds of the X-window gains: S_vv (upper and lower), S_10, S_01 (lower),
    S_20, S_02 (upper), X1 error gain (upper) = 7; with ``mu_vac > 0`` also the gain of all
    (mu_1, mu_1) windows (upper, for y_11) = 8. Observed lower bounds of the untagged bits n_10,
    n_01: 2. AOPP (zigzag): untagged pairs (lower), phase flips of the paired bits (upper), phase
    flips of the parity bits (upper): 3.
    """
    return 7 + (1 if mu_vac > 0 else 0) + 2 + (3 if aopp else 0)


def security_parameters(proto: SNSProtocol) -> dict:
    """The epsilons the engine uses for ``proto`` and the composable total (finite size).

    ``eps_tot = eps_cor + eps_sec``, ``eps_sec = 2 eps_hat + eps_PA + n_est xi`` (Jiang et al. 2019,
    after Tomamichel et al. Nat. Commun. 3, 634 (2012) and Lim et al., PRA 89, 022307 (2014)).
    Returns ``{"epsilon_total", "epsilon_cor", "epsilon_sec", "epsilon_pa", "epsilon_smooth",
    "failure_prob_per_estimate", "n_estimates"}`` (all 0 for the asymptotic rate).
    """
    n_est = _n_estimates(proto.aopp, proto.mu_vac)
    if proto.n_pulses is None:
        return {"epsilon_total": 0.0, "epsilon_cor": 0.0, "epsilon_sec": 0.0, "epsilon_pa": 0.0,
                "epsilon_smooth": 0.0, "failure_prob_per_estimate": 0.0, "n_estimates": 0}
    if proto.epsilon_total is not None:
        share = proto.epsilon_total / (4 + n_est)  # eps_cor + 2 eps_hat + eps_PA + n_est xi
        cor = pa = smooth = xi = share
    else:
        xi = proto.failure_prob
        cor = proto.epsilon_cor if proto.epsilon_cor is not None else xi
        pa = proto.epsilon_pa if proto.epsilon_pa is not None else xi
        smooth = proto.epsilon_smooth if proto.epsilon_smooth is not None else xi
    sec = 2 * smooth + pa + n_est * xi
    return {"epsilon_total": cor + sec, "epsilon_cor": cor, "epsilon_sec": sec, "epsilon_pa": pa,
            "epsilon_smooth": smooth, "failure_prob_per_estimate": xi, "n_estimates": n_est}


def protocol_params(proto: SNSProtocol) -> dict:
    """The numeric parameter dict of :func:`key_rate_jax` for ``proto`` (floats; jax-traceable values)."""
    sp = security_parameters(proto)
    return {
        "mu_z": proto.mu_z, "epsilon": proto.epsilon, "mu_1": proto.mu_1, "mu_2": proto.mu_2,
        "p_z": proto.p_z, "p_0": proto.p_0, "p_1": proto.p_1, "phase_slice_rad": proto.phase_slice_rad,
        "ec_efficiency": proto.ec_efficiency, "n_pulses": proto.n_pulses if proto.n_pulses is not None else 1e12,
        "finite": float(proto.n_pulses is not None), "aopp": float(proto.aopp),
        "xi": sp["failure_prob_per_estimate"] or 1e-10, "epsilon_cor": sp["epsilon_cor"] or 1e-10,
        "epsilon_pa": sp["epsilon_pa"] or 1e-10, "epsilon_smooth": sp["epsilon_smooth"] or 1e-10,
        "mu_vac": proto.mu_vac, "intensity_fluctuation": proto.intensity_fluctuation,
        "phase_slices": float(proto.phase_slices or 0),
    }


#: Keys of the parameter dict of :func:`key_rate_jax`.
PARAM_KEYS = ("mu_z", "epsilon", "mu_1", "mu_2", "p_z", "p_0", "p_1", "phase_slice_rad", "ec_efficiency",
              "n_pulses", "finite", "aopp", "xi", "epsilon_cor", "epsilon_pa", "epsilon_smooth", "mu_vac", "intensity_fluctuation",
              "phase_slices")


# ------------------------------------------------------------------------------------------------
# Statistics (jax, elementwise)


def _jnp():
    from ..models.modes import _ensure_x64

    _ensure_x64()
    import jax.numpy as jnp

    return jnp


_TINY = 1e-250  # below this a count or denominator is treated as zero (safe-gradient branches)


def _safe_div(num, den, fallback):
    """num/den where den > _TINY, else ``fallback``; the unused branch never makes inf or NaN gradients."""
    jnp = _jnp()
    ok = den > _TINY
    return jnp.where(ok, num / jnp.where(ok, den, 1.0), fallback)


def _safe_sqrt(x):
    """sqrt(max(x, 0)) with a finite gradient at 0."""
    jnp = _jnp()
    ok = x > _TINY
    return jnp.where(ok, jnp.sqrt(jnp.where(ok, x, 1.0)), 0.0)


_N_NEWTON = 3  # Newton steps from the closed-form start (quadratic convergence: < 1e-12 relative)


def _exp_lower(x, beta):
    """Expectation lower bound x/(1+d1), x[d/(1+d) - ln(1+d)] + beta = 0 (Jiang 2019 Eq. (9), fail exp(-beta)).

    Solved for t = ln(1+d): g(t) = x (1 - e^-t - t) + beta, concave and decreasing, Newton from the
    closed-form Chernoff start ``x + beta/2 - sqrt(2 beta x + beta^2/4)`` (or t = 1 + beta/x when that is <= 0).
    """
    jnp = _jnp()
    pos = x > _TINY
    xs = jnp.where(pos, x, 1.0)
    e0 = xs + beta / 2 - jnp.sqrt(2 * beta * xs + beta**2 / 4)
    ok = e0 > 1e-6 * xs
    t = jnp.where(ok, jnp.log(xs / jnp.where(ok, e0, 1.0)), 1 + beta / xs)
    t = jnp.maximum(t, 1e-12)
    for _ in range(_N_NEWTON):
        g = xs * (1 - jnp.exp(-t) - t) + beta
        dg = -xs * (-jnp.expm1(-t))  # < 0 for t > 0
        t = jnp.maximum(t - g / dg, 0.5 * t)
    return jnp.where(pos, xs * jnp.exp(-t), 0.0)


def _exp_upper(x, beta):
    """Expectation upper bound x/(1-d2), x[-d/(1-d) - ln(1-d)] + beta = 0 (Jiang 2019 Eq. (10)).

    For x <= 1 the Poisson-tail form ``x + beta + sqrt(2 x beta)`` is used where it is larger.
    """
    jnp = _jnp()
    pos = x > _TINY
    xs = jnp.where(pos, x, 1.0)
    e0 = xs + beta + jnp.sqrt(2 * beta * xs + beta**2)
    d = jnp.clip(1.0 - xs / e0, 1e-12, 1 - 1e-15)
    for _ in range(_N_NEWTON):
        g = xs * (-d / (1 - d) - jnp.log1p(-d)) + beta
        dg = -xs * d / (1 - d) ** 2
        d_new = d - g / dg
        d = jnp.where(d_new >= 1.0, 0.5 * (d + 1.0), jnp.maximum(d_new, 0.5 * d))
    e_u = jnp.where(pos, xs / (1 - d), 0.0)
    tiny = jnp.maximum(x, 0.0) + beta + _safe_sqrt(2 * x * beta)
    return jnp.where(x > 1.0, e_u, jnp.maximum(e_u, tiny))


def _obs_lower(e, beta):
    """Observed-count lower bound from its expectation, ``E - sqrt(2 beta E)`` (lower-tail Chernoff)."""
    jnp = _jnp()
    e = jnp.maximum(e, 0.0)
    return jnp.maximum(e - _safe_sqrt(2 * beta * e), 0.0)


def _obs_upper(e, beta):
    """Observed-count upper bound ``E + beta/2 + sqrt(2 beta E + beta^2/4)`` (exp(-d^2 E/(2+d)) = e^-beta)."""
    jnp = _jnp()
    e = jnp.maximum(e, 0.0)
    return e + beta / 2 + jnp.sqrt(2 * beta * e + beta**2 / 4)


def _h2(x):
    jnp = _jnp()
    x = jnp.clip(x, 1e-300, 1 - 1e-16)
    return -(x * jnp.log2(x) + (1 - x) * jnp.log2(1 - x))


# numpy wrappers (public; tests and users)


def binary_entropy(x):
    """Binary Shannon entropy H(x) in bits (x clipped into (0, 1) so that H(0) = H(1) = 0)."""
    x = np.clip(np.asarray(x, float), 1e-300, 1 - 1e-16)
    return -(x * np.log2(x) + (1 - x) * np.log2(1 - x))


def chernoff_expectation_lower(x, xi):
    """Lower bound ``E_L = x/(1+d1)`` on the expectation of a count observed as ``x``.

    Multiplicative Chernoff bound of Jiang et al., PRApplied 12, 024061 (2019), Eq. (9) (after Zhang
    et al., PRA 95, 012333 (2017)): ``[e^d1/(1+d1)^(1+d1)]^(x/(1+d1)) = xi``; fails with probability
    <= xi. Vectorised (fixed Newton steps in jax).
    """
    return np.asarray(_exp_lower(_jnp().asarray(np.asarray(x, float)), math.log(1 / xi)))


def chernoff_expectation_upper(x, xi):
    """Upper bound ``E_U = x/(1-d2)``, ``[e^-d2/(1-d2)^(1-d2)]^(x/(1-d2)) = xi`` (Jiang 2019 Eq. (10))."""
    return np.asarray(_exp_upper(_jnp().asarray(np.asarray(x, float)), math.log(1 / xi)))


def chernoff_expectation_bounds(x, xi):
    """(E_L, E_U), each failing with probability <= xi."""
    return chernoff_expectation_lower(x, xi), chernoff_expectation_upper(x, xi)


def chernoff_observed_lower(expected, xi):
    """Lower bound on an observed count given its expectation: ``E - sqrt(2 E ln(1/xi))`` (>= 0)."""
    return np.asarray(_obs_lower(_jnp().asarray(np.asarray(expected, float)), math.log(1 / xi)))


def chernoff_observed_upper(expected, xi):
    """Upper bound on an observed count given its expectation: ``E + b/2 + sqrt(2 b E + b^2/4)``, b = ln(1/xi)."""
    return np.asarray(_obs_upper(_jnp().asarray(np.asarray(expected, float)), math.log(1 / xi)))


# ------------------------------------------------------------------------------------------------
# Gains (expected detection probabilities per window), exact for threshold detectors

# Gauss-Legendre nodes for the phase-slice average (10 nodes: < 1e-12 relative for D <= pi and
# mean photon numbers <= 2, checked against 64 nodes in the tests)
_GL_X, _GL_W = np.polynomial.legendre.leggauss(10)


def _one_click(i_l, i_r, pd):
    """P(exactly one of two detectors clicks) for Poissonian mean photon numbers i_l, i_r."""
    jnp = _jnp()
    q = 1 - pd
    return q * (jnp.exp(-i_l) + jnp.exp(-i_r)) - 2 * q * q * jnp.exp(-(i_l + i_r))


def _one_click_random_phase(ia, ib, pd, vis):
    """Exactly-one-click probability for two coherent states with uniformly random relative phase.

    ia = eta_a mu_a, ib = eta_b mu_b arrive at a 50:50 beamsplitter with fringe visibility vis:
    I_{L,R} = (ia+ib)/2 +- vis sqrt(ia ib) cos(delta); <exp(-I_L)>_delta = exp(-(ia+ib)/2) I0(x).
    """
    jnp = _jnp()
    from jax.scipy.special import i0e

    q = 1 - pd
    x = vis * _safe_sqrt(ia * ib)
    avg = jnp.exp(-(ia + ib) / 2 + x) * i0e(x)  # exp(-m) I0(x) = exp(-m + x) i0e(x)
    return 2 * q * avg - 2 * q * q * jnp.exp(-(ia + ib))


def _x1_slice(ia, ib, pd, vis, dslice):
    """(gain, error gain) of X1 windows whose relative phase passes the slice |delta| <= D/2."""
    jnp = _jnp()
    w = jnp.asarray(_GL_W / 2)
    col = lambda x: jnp.asarray(x)[..., None]
    cosd = jnp.cos(col(dslice) / 2 * jnp.asarray(_GL_X))  # on the slice's own (usually scalar) shape
    amp = col(vis * _safe_sqrt(ia * ib)) * cosd
    m = col((ia + ib) / 2)
    q = col(1 - pd)
    e_right, e_wrong = jnp.exp(-(m + amp)), jnp.exp(-(m - amp))
    p_right_only = (1 - q * e_right) * q * e_wrong
    p_wrong_only = (1 - q * e_wrong) * q * e_right
    return jnp.sum(w * (p_right_only + p_wrong_only), axis=-1), jnp.sum(w * p_wrong_only, axis=-1)


def _gains_jax(ea, eb, pd, ed, p, leaky: bool = True) -> dict:
    """Expected per-window gains of every window class (nominal intensities).

    ``leaky=False`` (structural: ``mu_vac == 0``) uses the exact single-sender form without the
    Bessel average for the windows where one party sends vacuum (same values, cheaper).
    """
    jnp = _jnp()
    vis = 1 - 2 * ed
    mz, m1, m2, v = p["mu_z"], p["mu_1"], p["mu_2"], p["mu_vac"]

    def two(a, b):
        if not leaky and (a is v or b is v):
            i = ea * a + eb * b  # one sender (the other term is zero): a 50:50 split, no interference
            return _one_click(i / 2, i / 2, pd)
        return _one_click_random_phase(ea * a, eb * b, pd, vis)

    sh = jnp.broadcast_shapes(*(jnp.shape(z) for z in (ea, eb, pd, ed, mz, m1, m2, v, p["phase_slice_rad"])))
    bc = lambda z: jnp.broadcast_to(z, sh)
    g = {
        "S_nn": two(v, v), "S_sn": two(mz, v), "S_ns": two(v, mz), "S_ss": two(mz, mz),
        "S_10": two(m1, v), "S_20": two(m2, v), "S_01": two(v, m1), "S_02": two(v, m2), "S_11": two(m1, m1),
    }
    g["S_00"] = g["S_nn"]  # the not-sending state is the vacuum decoy
    g = {k: bc(x) for k, x in g.items()}
    g["T_X1"], g["M_X1"] = (bc(x) for x in _x1_slice(ea * m1, eb * m1, pd, vis, p["phase_slice_rad"]))
    g["s10"] = bc(ea * (1 - pd) + (1 - ea) * 2 * pd * (1 - pd))
    g["s01"] = bc(eb * (1 - pd) + (1 - eb) * 2 * pd * (1 - pd))
    return g


def gains(eta_a, eta_b, p_dark, e_d, proto: SNSProtocol) -> dict:
    """Expected per-window gains of every window class (numpy arrays, broadcast over the channel).

    Keys: ``S_nn, S_sn, S_ns, S_ss`` (Z windows: n = not sending, s = sending, Alice first),
    ``S_00`` (both "vacuum"), ``S_k0`` / ``S_0k`` for k = 1, 2 (X windows with one party sending
    ``mu_k`` and the other the vacuum decoy), ``S_11`` (all (mu_1, mu_1) windows), ``T_X1, M_X1``
    (X1 windows passing the slice: gain and error gain), ``s10, s01`` (true single-photon yields, for
    checking the decoy bounds).
    """
    jnp = _jnp()
    p = {k: jnp.asarray(float(v)) for k, v in protocol_params(proto).items()}
    args = [jnp.asarray(np.asarray(a, float)) for a in (eta_a, eta_b, p_dark, e_d)]
    return {k: np.asarray(v) for k, v in _gains_jax(*args, p).items()}


# ------------------------------------------------------------------------------------------------
# Key rate (jax core)


class KeyRateResult(NamedTuple):
    """Arrays (broadcast shape of the channel inputs) describing one key-rate evaluation.

    With AOPP, ``qber_z``, ``e1_phase_upper`` and ``n1_fraction`` are post-pairing quantities (of the
    surviving bits / untagged pairs) and ``qber_z_raw``, ``e1_phase_upper_raw`` the raw ones; without
    AOPP the two coincide.
    """

    key_rate: np.ndarray  # secure bits per sent pulse pair, >= 0
    qber_z: np.ndarray  # bit-flip error rate of the Z bits used for the key (after AOPP if enabled)
    qber_x: np.ndarray  # error rate of X1 windows passing the phase slice
    s1_lower: np.ndarray  # lower bound of the single-photon yield s1 = (s10 + s01)/2
    e1_phase_upper: np.ndarray  # upper bound of the phase-flip rate of the untagged bits (pairs with AOPP)
    n1_fraction: np.ndarray  # untagged Z bits (untagged pairs with AOPP) per pulse pair (lower bound)
    gain_z: np.ndarray  # effective Z events per pulse pair (before AOPP)
    qber_z_raw: np.ndarray | None = None  # bit-flip error rate of all effective Z events (before AOPP)
    e1_phase_upper_raw: np.ndarray | None = None  # phase-flip upper bound of the untagged bits (before AOPP)
    gain_z_after_aopp: np.ndarray | None = None  # surviving bits per pulse pair (= gain_z without AOPP)
    epsilon_total: np.ndarray | None = None  # composable security parameter (0 for the asymptotic rate)


def _decoy_y1(a0, a1, a2, s0_u, s1_l, s2_u):
    """Y_1 >= [(a2^2-a0^2) e^a1 S_1 - (a1^2-a0^2) e^a2 S_2 - (a2^2-a1^2) e^a0 S_0] / ((a1-a0)(a2-a0)(a2-a1)).

    Three-intensity decoy bound with weakest intensity a0 >= 0 (Ma et al., PRA 72, 012326 (2005);
    for a0 = 0 it is Yu et al., Sci. Rep. 9, 3080 (2019), Eq. (5)).
    """
    jnp = _jnp()
    num = (a2**2 - a0**2) * jnp.exp(a1) * s1_l - (a1**2 - a0**2) * jnp.exp(a2) * s2_u - (a2**2 - a1**2) * jnp.exp(a0) * s0_u
    return num / ((a1 - a0) * (a2 - a0) * (a2 - a1))


# ------------------------------------------------------------------------------------------------
# Discrete phase randomisation (M phases 2 pi k / M; optional, ``phase_slices``)
#
# With M discrete random phases a coherent state |sqrt(mu) e^{i 2 pi k/M}> is the mixture
# sum_j P_j^M(mu) |lambda_j(mu)><lambda_j(mu)|, j = 0..M-1, of the states
# |lambda_j(mu)> ~ sum_l mu^{(lM+j)/2} / sqrt((lM+j)!) |lM+j> with P_j^M(mu) = sum_l e^-mu mu^{lM+j}/(lM+j)!
# (Cao, Zhang, Lo & Ma, NJP 17, 053014 (2015); the same decomposition underlies the TF-QKD analyses of
# Curras-Lorenzo, Wooltorton & Razavi, arXiv:2008.03222). The lambda_j depend on mu, so the decoy
# relation "one yield per photon number" holds only up to the trace distance of the two states:
# |Y_j(mu) - Y_j(nu)| <= sqrt(1 - |<lambda_j(mu)|lambda_j(nu)>|^2) (Cao et al. 2015; the constraint set of
# the reference implementation github.com/Jinxh-2019/discrete-phase-randomized-qkd,
# codes/utils/keyrate_DP_Cao.py). The phase error of the untagged bits (state lambda_1(mu_z) x vacuum)
# is bounded from the X1 windows, whose state conditioned on the relative phase is the class mixture of
# the total intensity 2 mu_1, corrected for the basis dependence of the two single-photon-like states
# with the quantum-coin formula e' = e + 4D(1-D)(1-2e) + 4(1-2D) sqrt(D(1-D)e(1-e)),
# D = (1 - F)/(2 Y_1) (Cao et al. 2015, as in keyrate_DP_Cao.py), with 1 - F <= trace distance.
# Every sum is closed form (no LP), so the bound is pure jax and differentiable; as M -> infinity every
# correction vanishes and the continuous-phase bounds are recovered.

_DPR_TERMS = 12  # photon numbers l M + j, l < 12, per class (M >= 2, mu <= 2: tail < 1e-14)
_DPR_CLASSES = 12  # classes j < 12 treated one by one; the classes j >= 12 are bounded by the Poisson tail


def _dpr_logw(mu, M, j):
    """log(e^-mu mu^n / n!) for n = l M + j, l = 0.._DPR_TERMS-1 (last axis); ``j`` broadcasts before it."""
    jnp = _jnp()
    from jax.scipy.special import gammaln

    mu = jnp.maximum(jnp.asarray(mu), 1e-300)[..., None]
    n = jnp.arange(_DPR_TERMS) * jnp.asarray(M)[..., None] + jnp.asarray(j)[..., None]
    return -mu + n * jnp.log(mu) - gammaln(n + 1)


def _dpr_prob_tail(mu, M, j):
    """(P_j^M(mu), the part of it from n >= M, i.e. l >= 1)."""
    jnp = _jnp()
    w = jnp.exp(_dpr_logw(mu, M, j))
    return jnp.sum(w, axis=-1), jnp.sum(w[..., 1:], axis=-1)


def _dpr_distance(mu, nu, M, j):
    """Trace distance sqrt(1 - |<lambda_j(mu)|lambda_j(nu)>|^2) of the two pure class states.

    Lagrange's identity 1 - (u.v)^2 = sum_{l<k} (u_l v_k - u_k v_l)^2 (unit vectors) keeps it accurate
    when the overlap is 1 - 1e-20 (large M), where 1 - F^2 would cancel to rounding noise.
    """
    jnp = _jnp()
    lw_mu, lw_nu = _dpr_logw(mu, M, j), _dpr_logw(nu, M, j)
    a = jnp.exp(0.5 * (lw_mu[..., :, None] + lw_nu[..., None, :]))
    d2 = 0.5 * jnp.sum((a - jnp.swapaxes(a, -1, -2)) ** 2, axis=(-1, -2))
    p_mu, p_nu = jnp.sum(jnp.exp(lw_mu), axis=-1), jnp.sum(jnp.exp(lw_nu), axis=-1)
    return _safe_sqrt(jnp.minimum(_safe_div(d2, p_mu * p_nu, 1.0), 1.0))


def _dpr_decoy_error(a, mz, M):
    """E = sum_j P_j^M(a) |Y_j(a) - Y_j(mu_z)|_max: the largest shift of the gain of intensity ``a`` when
    every class yield is replaced by that of the same class at mu_z (classes j >= _DPR_CLASSES: P_j <= the
    Poisson tail P(n >= _DPR_CLASSES))."""
    jnp = _jnp()
    from jax.scipy.special import gammaln

    j = jnp.arange(_DPR_CLASSES).reshape((_DPR_CLASSES,) + (1,) * jnp.ndim(a))
    pj = jnp.sum(jnp.exp(_dpr_logw(a, M, j)), axis=-1)
    dj = _dpr_distance(a, mz, M, j)
    err = jnp.sum(jnp.where(j < M, pj * dj, 0.0), axis=0)
    n = jnp.arange(_DPR_CLASSES, _DPR_CLASSES + 40)
    am = jnp.maximum(jnp.asarray(a), 1e-300)[..., None]
    tail = jnp.sum(jnp.exp(-am + n * jnp.log(am) - gammaln(n + 1)), axis=-1)
    return err + jnp.where(M > _DPR_CLASSES, tail, 0.0)


def _decoy_y1_discrete(a1, a2, mz, M, s0_u, s1_l, s2_u):
    """Lower bound of the yield y_1 of lambda_1(mu_z) x vacuum from the decoys a1 < a2 and the vacuum.

    e^{a1} a2^2 G_1 - e^{a2} a1^2 G_2 = sum_j c_j y_j with c_j = sum_l (a2^2 a1^n - a1^2 a2^n)/n!,
    n = l M + j, where G_k = sum_j P_j(a_k) y_j is the gain of a_k with the class yields of mu_z,
    |G_k - S_k| <= E_k (:func:`_dpr_decoy_error`). c_j <= 0 for j >= 2 (n >= 2, a1 < a2), so
    y_1 >= [e^{a1} a2^2 (S_1 - E_1) - e^{a2} a1^2 (S_2 + E_2) - max(c_0, 0) y_0^U] / c_1, with
    y_0^U = S_0 + sqrt(1 - e^-mu_z / P_0(mu_z)) (lambda_0(mu_z) against the vacuum). For M -> infinity this
    is :func:`_decoy_y1` with a0 = 0 (Yu et al. 2019 Eq. (5)).
    """
    jnp = _jnp()

    def csum(a, j):  # e^a P_j^M(a)
        return jnp.sum(jnp.exp(_dpr_logw(a, M, j) + jnp.asarray(a)[..., None]), axis=-1)

    c0 = a2**2 * csum(a1, 0) - a1**2 * csum(a2, 0)
    c1 = a2**2 * csum(a1, 1) - a1**2 * csum(a2, 1)
    big = jnp.exp(a1) * a2**2 * (s1_l - _dpr_decoy_error(a1, mz, M)) - jnp.exp(a2) * a1**2 * (
        s2_u + _dpr_decoy_error(a2, mz, M))
    p0, t0 = _dpr_prob_tail(mz, M, 0)
    y0_u = jnp.minimum(s0_u + _safe_sqrt(_safe_div(t0, p0, 1.0)), 1.0)
    return jnp.maximum(_safe_div(big - jnp.maximum(c0, 0.0) * y0_u, jnp.where(c1 > 0, c1, 0.0), 0.0), 0.0)


def _dpr_phase_error(m1, mz, M, M_u, s00_l, s1_l):
    """Phase-flip upper bound of the untagged bits with M discrete phases (see the block comment).

    X1 windows (both mu_1; conditioned on the relative phase the state is the class mixture of total
    intensity 2 mu_1): M_X1 >= P_0(2mu_1) e_0 + P_1(2mu_1) e_X Y_X, with the vacuum-class error yield
    e_0 >= S_00/2 - sqrt(1 - e^{-2mu_1}/P_0(2mu_1)). The untagged state (lambda_1(mu_z) x vacuum) and the
    X1 single-photon class are both within trace distance sqrt(1 - a^2) of the ideal single photon
    (a^2 = weight of the one-photon term in the class), so delta <= sum of the two, Y_X >= s1 - delta,
    and the basis-dependence correction uses D = delta / (2 s1).
    """
    jnp = _jnp()
    p0x, t0x = _dpr_prob_tail(2 * m1, M, 0)
    p1x, t1x = _dpr_prob_tail(2 * m1, M, 1)
    p1z, t1z = _dpr_prob_tail(mz, M, 1)
    e_vac = jnp.maximum(s00_l / 2 - _safe_sqrt(_safe_div(t0x, p0x, 1.0)), 0.0)
    delta = _safe_sqrt(_safe_div(t1z, p1z, 1.0)) + _safe_sqrt(_safe_div(t1x, p1x, 1.0))
    y_x = jnp.maximum(s1_l - delta, 0.0)
    e = jnp.clip(_safe_div(_safe_div(M_u - p0x * e_vac, p1x, 1.0), y_x, 0.5), 0.0, 0.5)
    d = jnp.clip(_safe_div(delta, 2 * s1_l, 0.5), 0.0, 0.5)
    e_ph = e + 4 * d * (1 - d) * (1 - 2 * e) + 4 * (1 - 2 * d) * _safe_sqrt(d * (1 - d) * e * (1 - e))
    return jnp.clip(jnp.where(d < 0.5, e_ph, 0.5), 0.0, 0.5)


def _engine(ea, eb, pd, ed, p: dict, *, leaky: bool = True, discrete: bool = False) -> dict:
    """The key rate and its by-products; pure jax, every numeric protocol value may be an array.

    ``p["finite"]`` and ``p["aopp"]`` (0 or 1) select the finite-size and AOPP analyses as traced
    values (both branches are computed and one is selected, so one compiled program serves every
    protocol); ``leaky=False`` declares ``mu_vac == 0`` (structural; cheaper gains, identical values);
    ``discrete=True`` (structural) applies the bounds for ``p["phase_slices"]`` = M discrete random
    phases (requires ``mu_vac == 0`` and ``intensity_fluctuation == 0``); ``discrete=False`` is the
    continuous phase randomisation, unchanged.
    """
    jnp = _jnp()
    fin, ao = jnp.asarray(p["finite"]) > 0.5, jnp.asarray(p["aopp"]) > 0.5
    sel = jnp.where
    g = _gains_jax(ea, eb, pd, ed, p, leaky)
    mz, eps, m1, m2, v = p["mu_z"], p["epsilon"], p["mu_1"], p["mu_2"], p["mu_vac"]
    pz, p0, p1, dsl, f = p["p_z"], p["p_0"], p["p_1"], p["phase_slice_rad"], p["ec_efficiency"]
    dl = p["intensity_fluctuation"]
    p2 = 1.0 - p0 - p1
    n = p["n_pulses"]  # the asymptotic rate is scale-free: the same n serves both branches
    beta = jnp.log(1.0 / p["xi"])

    # --- Z windows (per pulse pair, times n): n_ab = events with Alice a, Bob b
    zz = n * pz * pz
    n_nn = zz * (1 - eps) ** 2 * g["S_nn"]
    n_sn = zz * eps * (1 - eps) * g["S_sn"]
    n_ns = zz * eps * (1 - eps) * g["S_ns"]
    n_ss = zz * eps * eps * g["S_ss"]
    n_t = n_nn + n_sn + n_ns + n_ss
    e_z = _safe_div(n_nn + n_ss, n_t, 0.5)

    # --- X windows: numbers of windows of each class and their (expected-value) bounded gains
    xx = n * (1 - pz) ** 2
    N_00, N_10, N_20, N_11 = xx * p0 * p0, xx * p1 * p0, xx * p2 * p0, xx * p1 * p1
    N_x1 = N_11 * dsl / np.pi  # both mu_1 and passing the slice (0 or pi)
    lo = lambda x, N: sel(fin, _safe_div(_exp_lower(N * x, beta), N, 0.0), x)
    hi = lambda x, N: sel(fin, _safe_div(_exp_upper(N * x, beta), N, 1.0), x)
    S00_u, S00_l = hi(g["S_00"], N_00), lo(g["S_00"], N_00)
    S10_l, S20_u, S01_l, S02_u = lo(g["S_10"], N_10), hi(g["S_20"], N_20), lo(g["S_01"], N_10), hi(g["S_02"], N_20)
    S11_u = hi(g["S_11"], N_11)
    M_u = hi(g["M_X1"], N_x1)

    # --- decoy bounds at the worst corner of the intensity intervals mu (1 +- delta)
    cn = jnp.asarray([[a, b, c] for a in (-1.0, 1.0) for b in (-1.0, 1.0) for c in (-1.0, 1.0)])
    cn = cn.reshape((8,) + (1,) * jnp.ndim(S00_u) + (3,))  # corners on a leading axis (one trace)
    a0, a1, a2 = v * (1 + cn[..., 0] * dl), m1 * (1 + cn[..., 1] * dl), m2 * (1 + cn[..., 2] * dl)
    y1a = jnp.min(_decoy_y1(a0, a1, a2, S00_u, S10_l, S20_u), axis=0)
    y1b = jnp.min(_decoy_y1(a0, a1, a2, S00_u, S01_l, S02_u), axis=0)
    v_hi, m1_lo, m1_hi = v * (1 + dl), m1 * (1 - dl), m1 * (1 + dl)
    y11_u = jnp.minimum(jnp.exp(2 * m1_hi) * S11_u / m1_lo**2, 1.0)  # all (mu_1, mu_1) windows
    # y_10 from Y_1 of (Alice 1 photon, Bob "vacuum" v): e^v Y_1 = y_10 + v y_11 + sum_{l>=2} v^l/l! y_1l
    corr = v_hi * y11_u + (jnp.exp(v_hi) - 1 - v_hi)
    s10_l = jnp.maximum(jnp.exp(v * (1 - dl)) * y1a - corr, 0.0)
    s01_l = jnp.maximum(jnp.exp(v * (1 - dl)) * y1b - corr, 0.0)
    s1_l = 0.5 * (s10_l + s01_l)
    y00_l = jnp.maximum(jnp.exp(2 * v * (1 - dl)) * (S00_l - (1 - jnp.exp(-2 * v_hi))), 0.0)

    # --- phase-flip bound from X1 windows (Yu et al. 2019 Eq. (6)), expected values:
    # e1 <= [M_X1 - e^{-2 mu1} y_00 / 2] / (2 mu1 e^{-2 mu1} s1)
    p1ph = jnp.minimum(2 * m1_lo * jnp.exp(-2 * m1_lo), 2 * m1_hi * jnp.exp(-2 * m1_hi))
    e1 = _safe_div(M_u - jnp.exp(-2 * m1_hi) * y00_l / 2, p1ph * s1_l, 0.5)
    e1 = jnp.clip(e1, 0.0, 0.5)
    mz_lo, mz_hi = mz * (1 - dl), mz * (1 + dl)
    pz1 = jnp.minimum(mz_lo * jnp.exp(-mz_lo), mz_hi * jnp.exp(-mz_hi)) * jnp.exp(-v_hi)
    if discrete:  # M discrete phases (mu_vac = 0, no intensity fluctuation): class-state bounds
        Mph = jnp.maximum(jnp.asarray(p["phase_slices"]), 2.0)
        s10_l = _decoy_y1_discrete(m1, m2, mz, Mph, S00_u, S10_l, S20_u)
        s01_l = _decoy_y1_discrete(m1, m2, mz, Mph, S00_u, S01_l, S02_u)
        s1_l = 0.5 * (s10_l + s01_l)
        e1 = _dpr_phase_error(m1, mz, Mph, M_u, S00_l, s1_l)
        pz1 = _dpr_prob_tail(mz, Mph, 1)[0]  # P_1^M(mu_z): untagged windows carry lambda_1(mu_z)
    y1 = zz * eps * (1 - eps) * pz1  # untagged-photon windows per kind (single photon + true vacuum)
    n10 = sel(fin, _obs_lower(y1 * s10_l, beta), y1 * s10_l)
    n01 = sel(fin, _obs_lower(y1 * s01_l, beta), y1 * s01_l)
    n1 = n10 + n01

    # --- AOPP: Bob pairs a "not sent" (bit 1) event with a "sent" (bit 0) one; a pair survives when
    # Alice's parity is odd too. Survivors: (sn, ns) correct, (nn, ss) error.
    n_b1, n_b0 = n_sn + n_nn, n_ns + n_ss
    n_g = jnp.minimum(n_b1, n_b0)
    den = n_b1 * n_b0
    n_t_ao = _safe_div(n_g * (n_sn * n_ns + n_nn * n_ss), den, 0.0)
    e_z_ao = _safe_div(_safe_div(n_g * n_nn * n_ss, den, 0.0), n_t_ao, 0.5)
    n1p_exp = _safe_div(n_g * n10 * n01, den, 0.0)  # untagged pairs (both bits untagged), random pairing
    # zigzag (finite): untagged pairs -> the phase flips of their 2 n1' bits -> of their parity bits
    n1p = sel(fin, _obs_lower(n1p_exp, beta), n1p_exp)
    e_b = jnp.minimum(_safe_div(_obs_upper(2 * n1p * e1, beta), 2 * n1p, 0.5), 0.5)
    e1_ao_fin = jnp.minimum(_safe_div(_obs_upper(n1p * 2 * e_b * (1 - e_b), beta), n1p, 0.5), 0.5)
    e1_ao = sel(fin, e1_ao_fin, 2 * e1 * (1 - e1))  # asymptotic: parity bit of two untagged bits
    n_t_eff, e_z_eff = sel(ao, n_t_ao, n_t), sel(ao, e_z_ao, e_z)
    e1_eff, n1_eff = sel(ao, e1_ao, e1), sel(ao, n1p, n1)

    key = n1_eff * (1 - _h2(e1_eff)) - f * n_t_eff * _h2(e_z_eff)
    logs = jnp.log2(2 / p["epsilon_cor"]) + 2 * jnp.log2(1 / (math.sqrt(2) * p["epsilon_pa"] * p["epsilon_smooth"]))
    key = key - sel(fin, logs, 0.0)
    rate = jnp.maximum(key / n, 0.0)
    rate = jnp.where(jnp.isfinite(rate), rate, 0.0)
    qx = _safe_div(g["M_X1"], g["T_X1"], 0.5)
    return {"key_rate": rate, "qber_z": e_z_eff, "qber_x": qx, "s1_lower": s1_l, "e1_phase_upper": e1_eff,
            "n1_fraction": n1_eff / n, "gain_z": n_t / n, "qber_z_raw": e_z, "e1_phase_upper_raw": e1,
            "gain_z_after_aopp": n_t_eff / n}


def key_rate_jax(eta_a, eta_b, p_dark, e_d, params: dict, *, aopp: bool | None = None, finite: bool | None = None,
                 leaky_vacuum: bool = True, discrete_phase: bool | None = None):
    """Key rate (bits per pulse pair) as a pure, differentiable jax function.

    ``params``: dict with the keys of :data:`PARAM_KEYS` (:func:`protocol_params` builds it from an
    :class:`SNSProtocol`); every value may be a jax scalar or array broadcasting with the channel
    arrays. ``aopp`` / ``finite`` (optional) override ``params["aopp"]`` / ``params["finite"]``.
    No input checks (traced code): the caller keeps 0 <= eta <= 1, 0 <= p_dark < 0.1, 0 <= e_d < 0.5
    and the protocol ranges. ``leaky_vacuum=False`` declares ``params["mu_vac"] == 0`` (faster; no
    gradient in mu_vac). ``discrete_phase`` selects the M-discrete-phase bounds (``params["phase_slices"]``
    = M); None infers it from a concrete ``params["phase_slices"] > 0`` (absent or traced: continuous).
    """
    p = dict(params)
    if aopp is not None:
        p["aopp"] = float(aopp)
    if finite is not None:
        p["finite"] = float(finite)
    if discrete_phase is None:
        discrete_phase = _is_discrete(p)
    return _engine(eta_a, eta_b, p_dark, e_d, p, leaky=leaky_vacuum, discrete=discrete_phase)["key_rate"]


def _is_discrete(p: dict) -> bool:
    """True when ``p`` holds a concrete ``phase_slices > 0`` (M discrete phases)."""
    try:
        return bool(np.all(np.asarray(p.get("phase_slices", 0.0), float) > 0))
    except Exception:  # noqa: BLE001 (jax tracer: the caller must pass discrete_phase)
        return False


@functools.cache
def _compiled(leaky: bool, discrete: bool = False):
    import jax

    _jnp()
    return jax.jit(functools.partial(_engine, leaky=leaky, discrete=discrete))


def _bucket(n: int, minimum: int = 256) -> int:
    """Padded batch size (``batching.padded_size``), at least ``minimum`` (every small batch, as for the
    CLI and a network of a few pairs, shares one program)."""
    from ..batching import padded_size

    return padded_size(n, minimum)


def _run(eta_a, eta_b, p_dark, e_d, proto: SNSProtocol, params: dict | None = None) -> KeyRateResult:
    """Evaluate the compiled engine on broadcast, power-of-two padded 1-D batches."""
    jnp = _jnp()
    arrs = [np.asarray(a, float) for a in (eta_a, eta_b, p_dark, e_d)]
    pv = {k: np.asarray(v, float) for k, v in (params or protocol_params(proto)).items()}
    shape = np.broadcast_shapes(*(a.shape for a in arrs), *(a.shape for a in pv.values()))
    size = int(np.prod(shape)) if shape else 1
    m = _bucket(size)

    def flat(a):
        a = np.broadcast_to(a, shape).reshape(-1)
        return np.concatenate([a, np.repeat(a[-1:], m - size)]) if m > size else np.ascontiguousarray(a)

    scalar_p = all(a.ndim == 0 for a in pv.values())
    p = {k: jnp.asarray(a if scalar_p else flat(a)) for k, a in pv.items()}
    out = _compiled(bool(proto.mu_vac > 0), proto.phase_slices is not None)(*(jnp.asarray(flat(a)) for a in arrs), p)
    res = {k: np.asarray(v)[:size].reshape(shape) for k, v in out.items()}
    eps = security_parameters(proto)["epsilon_total"]
    return KeyRateResult(**res, epsilon_total=np.full(shape, eps))


def _check_channel(eta_a, eta_b, p_dark, e_d) -> None:
    check_range("eta_a", eta_a, 0.0, 1.0)
    check_range("eta_b", eta_b, 0.0, 1.0)
    check_range("p_dark", p_dark, 0.0, 0.1, hi_open=True)
    check_range("e_d", e_d, 0.0, 0.5, hi_open=True)


def key_rate_detailed(eta_a, eta_b, p_dark, e_d, proto: SNSProtocol | None = None) -> KeyRateResult:
    """SNS-TF-QKD key rate with its by-products (numpy arrays broadcast over the channel inputs).

    Finite size (``proto.n_pulses`` set) in the expected-value framework of Jiang et al. 2019 (see the
    module docstring); asymptotic (``n_pulses=None``, Wang, Yu & Hu 2018 Eq. (7)): the same without
    the statistical terms. ``proto.aopp`` enables actively odd-parity pairing (Xu et al. 2020) with the
    zigzag finite-size estimate (Jiang et al. 2020). ``epsilon_total`` of the result is the composable
    security parameter (:func:`security_parameters`).
    """
    proto = proto or SNSProtocol()
    _check_channel(eta_a, eta_b, p_dark, e_d)
    return _run(eta_a, eta_b, p_dark, e_d, proto)


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
