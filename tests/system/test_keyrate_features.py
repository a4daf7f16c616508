"""AOPP labels, source imperfections, gradients and batching of the SNS-TF-QKD engine (issue 13)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from qchipnet.system.optimize import optimize_protocol
from qchipnet.system.snstf import (
    ChannelParams,
    SNSProtocol,
    _compiled,
    _engine,
    _jnp,
    arm_transmittance,
    gains,
    key_rate,
    key_rate_detailed,
    key_rate_jax,
    protocol_params,
    vacuum_intensity,
)

CH = ChannelParams()
P370 = SNSProtocol(mu_z=0.43, epsilon=0.033, mu_1=0.054, mu_2=0.46, p_z=0.8, p_0=0.29, p_1=0.65)


def test_aopp_raw_and_post_pairing_quantities():
    """Xu et al., PRA 101, 042330 (2020): pairing removes most bit flips (E' ~ E^2-like) and the parity bit's
    phase error is 2 e (1 - e) asymptotically; the raw quantities are those of the plain protocol."""
    ea, eb = arm_transmittance(np.array([200.0, 300.0, 400.0]), CH)
    plain = key_rate_detailed(ea, eb, 1e-8, 0.03, SNSProtocol(epsilon=0.2))
    asy = key_rate_detailed(ea, eb, 1e-8, 0.03, SNSProtocol(epsilon=0.2, aopp=True, n_pulses=None))
    fin = key_rate_detailed(ea, eb, 1e-8, 0.03, SNSProtocol(epsilon=0.2, aopp=True))
    np.testing.assert_allclose(fin.qber_z_raw, plain.qber_z, rtol=1e-12)
    np.testing.assert_allclose(fin.e1_phase_upper_raw, plain.e1_phase_upper, rtol=1e-12)
    assert np.all(fin.qber_z < 0.1 * fin.qber_z_raw)
    e = asy.e1_phase_upper_raw
    np.testing.assert_allclose(asy.e1_phase_upper, 2 * e * (1 - e), rtol=1e-12)
    # zigzag: the finite-size parity error is above its asymptotic form, by a margin that is O(1/sqrt(n1'))
    assert np.all(fin.e1_phase_upper > 2 * fin.e1_phase_upper_raw * (1 - fin.e1_phase_upper_raw))
    assert np.all(fin.e1_phase_upper < 1.2 * 2 * fin.e1_phase_upper_raw)
    assert np.all(fin.gain_z_after_aopp < fin.gain_z) and np.all(fin.key_rate <= asy.key_rate)
    np.testing.assert_allclose(plain.gain_z_after_aopp, plain.gain_z, rtol=1e-14)


def test_aopp_pays_at_long_distance_with_finite_size():
    """The zigzag paper's claim (Jiang et al., NJP 22, 053048 (2020)): AOPP raises the finite-size key rate."""
    ea, eb = arm_transmittance(np.array([300.0, 400.0]), CH)
    plain = optimize_protocol(ea, eb, 1e-8, 0.03, SNSProtocol())[0].key_rate
    paired = optimize_protocol(ea, eb, 1e-8, 0.03, SNSProtocol(aopp=True))[0].key_rate
    assert np.all(paired > 1.2 * plain)


@pytest.mark.parametrize("mu_vac", [1e-5, 3e-4])
def test_leaky_vacuum_bounds_stay_valid(mu_vac):
    """With mu_0 > 0 the decoy bound still lower-bounds the true single-photon yields and the phase
    error bound stays above the exact single-photon error (noise-free), at every distance."""
    p = SNSProtocol(n_pulses=None, mu_vac=mu_vac)
    ea, eb = arm_transmittance(np.array([0.0, 100.0, 300.0]), CH)
    g = gains(ea, eb, 0.0, 0.03, p)
    r = key_rate_detailed(ea, eb, 0.0, 0.03, p)
    assert np.all(r.s1_lower <= 0.5 * (g["s10"] + g["s01"]) * (1 + 1e-9)) and np.all(r.s1_lower > 0)
    half = p.phase_slice_rad / 2
    assert np.all(r.e1_phase_upper >= (1 - (1 - 2 * 0.03) * math.sin(half) / half) / 2 * (1 - 1e-6))


def test_leaky_vacuum_costs_key_and_is_continuous_at_zero():
    ea, eb = arm_transmittance(300.0, CH)
    rates = [float(key_rate(ea, eb, 1e-8, 0.03, SNSProtocol(mu_vac=v))) for v in (0.0, 1e-10, 1e-5, 1e-4, 4e-4)]
    assert all(a >= b for a, b in itertools.pairwise(rates)) and rates[-1] < rates[0]
    assert rates[1] == pytest.approx(rates[0], rel=1e-3)
    # the structural fast path (leaky=False) and the general one agree at mu_vac = 0
    jnp = _jnp()
    prm = {k: jnp.asarray(v) for k, v in protocol_params(SNSProtocol()).items()}
    args = [jnp.asarray(v) for v in (ea, eb, 1e-8, 0.03)]
    a, b = _engine(*args, prm, leaky=True), _engine(*args, prm, leaky=False)
    for k in a:
        assert float(a[k]) == pytest.approx(float(b[k]), rel=1e-10), k
    # the article's IM extinction: 33.8 dB -> mu_0 = 4.2e-4 mu_z
    assert float(vacuum_intensity(0.45, 33.8)) == pytest.approx(0.45 * 10 ** -3.38)


def test_intensity_fluctuation_worst_case_is_monotone():
    ea, eb = arm_transmittance(300.0, CH)
    r = [float(key_rate(ea, eb, 1e-8, 0.03, SNSProtocol(intensity_fluctuation=d))) for d in (0.0, 0.01, 0.03, 0.1)]
    assert all(a > b for a, b in itertools.pairwise(r))
    assert r[1] > 0.8 * r[0]  # a 1 % intensity error costs little (Wang et al., NJP 11, 075006 (2009))


def _fd(f, x, h):
    return (f(x + h) - f(x - h)) / (2 * h)


def test_gradients_match_finite_differences():
    """jax gradients of the key rate (channel and protocol inputs) against central differences of the
    compiled numpy entry point."""
    import jax

    jnp = _jnp()
    ea = float(arm_transmittance(300.0, CH)[0])
    base = {k: jnp.asarray(v) for k, v in protocol_params(P370).items()}

    def rate(x):
        eta, pd, ed, mz, m1 = x
        return key_rate_jax(eta, eta, pd, ed, {**base, "mu_z": mz, "mu_1": m1}, leaky_vacuum=False).sum()

    x0 = np.array([ea, 1e-8, 0.03, 0.43, 0.054])
    # columns: the point checked below, a dead die (eta = 0, no dark counts), far beyond the key's reach
    cols = np.stack([x0, [0.0, 0.0, 0.03, 0.43, 0.054], [1e-9, 1e-8, 0.03, 0.43, 0.054]], axis=1)
    grads = np.asarray(jax.jit(jax.grad(rate))(jnp.asarray(cols)))
    assert np.all(np.isfinite(grads))  # safe branches: no inf * 0 in the unused side of a where
    grad = grads[:, 0]

    def num(x):
        return float(key_rate(x[0], x[0], x[1], x[2], SNSProtocol(**{**P370.model_dump(), "mu_z": x[3], "mu_1": x[4]})))

    for i in range(5):
        h = np.zeros(5)
        h[i] = (1e-3 if i == 1 else 1e-5) * x0[i]  # p_dark enters as 1 - p_dark: a larger step keeps precision
        fd = (num(x0 + h) - num(x0 - h)) / (2 * h[i])
        assert grad[i] == pytest.approx(fd, rel=2e-4, abs=1e-6 * num(x0) / x0[i]), i


def test_optimised_rate_gradient_is_the_envelope_derivative():
    """d R*/d e_d from the jax optimiser (optimum held fixed) equals the finite difference of the
    re-optimised rate (the envelope theorem; issue 14's optimiser relies on it)."""
    import jax
    from qchipnet.system.optimize import optimal_key_rate_jax

    jnp = _jnp()
    ea, eb = arm_transmittance(np.array([300.0]), CH)
    fixed = {k: jnp.asarray(v) for k, v in protocol_params(SNSProtocol()).items()}
    f = jax.jit(jax.value_and_grad(lambda ed: optimal_key_rate_jax(
        jnp.asarray(ea), jnp.asarray(eb), jnp.full(1, 1e-8), ed, fixed, leaky_vacuum=False).sum()))
    val, grad = f(jnp.full(1, 0.03))
    opt = lambda ed: float(optimize_protocol(ea, eb, 1e-8, ed, SNSProtocol())[0].key_rate[0])
    assert float(val) == pytest.approx(opt(0.03), rel=1e-9)
    fd = _fd(opt, 0.03, 2e-3)
    assert float(grad[0]) == pytest.approx(fd, rel=0.02)


def test_monte_carlo_batches_share_one_program_and_pad_correctly():
    """A Monte Carlo's chunks of any size up to the bucket reuse one compiled program; padding does not
    change the values (each element equals its own scalar evaluation)."""
    rng = np.random.default_rng(1)
    ea = 10 ** rng.uniform(-5, -2, 300)
    ed = rng.uniform(0.0, 0.1, 300)
    prog = _compiled(False)
    full = key_rate(ea, ea, 1e-8, ed, P370)
    n0 = prog._cache_size()
    for n in (1, 7, 100, 200):
        part = key_rate(ea[:n], ea[:n], 1e-8, ed[:n], P370)
        np.testing.assert_array_equal(part, full[:n])
    assert prog._cache_size() == n0  # sizes 1..256 share the 256 bucket; 300 used the 512 one
    assert float(key_rate(ea[5], ea[5], 1e-8, ed[5], P370)) == full[5]


# ------------------------------------------------------------------------------------------------
# Discrete phase randomisation (issue 13, item 3)

_MS = (8, 10, 12, 16, 24, 32, 64)


def test_discrete_phases_default_is_the_continuous_engine_unchanged():
    """phase_slices=None is the continuous analysis, bit for bit: the same values as the engine fed the
    parameter dict without the new key (the dict callers built before the option existed)."""
    ea, eb = arm_transmittance(np.array([100.0, 300.0, 450.0]), CH)
    from qchipnet.system.snstf import _run

    for p in (P370,):  # finite/AOPP are traced switches of the same program
        old = _run(ea, eb, 1e-8, 0.03, p, {k: v for k, v in protocol_params(p).items() if k != "phase_slices"})
        new = key_rate_detailed(ea, eb, 1e-8, 0.03, p)
        for k, v in old._asdict().items():
            np.testing.assert_array_equal(v, getattr(new, k), err_msg=k)


@pytest.mark.parametrize("n_pulses, aopp", [(None, False), (1e12, False), (1e12, True)])
def test_discrete_phases_rate_grows_with_m_and_converges_to_continuous(n_pulses, aopp):
    """More phases never cost key, and the class-state corrections (Cao et al., NJP 17, 053014 (2015))
    vanish as M grows: M = 64 is within 1e-9 of continuous phase randomisation at 300 km."""
    ea, eb = arm_transmittance(300.0, CH)
    base = dict(P370.model_dump(), n_pulses=n_pulses, aopp=aopp)
    cont = float(key_rate(ea, eb, 1e-8, 0.03, SNSProtocol(**base)))
    rates = [float(key_rate(ea, eb, 1e-8, 0.03, SNSProtocol(**{**base, "phase_slices": m}))) for m in _MS]
    assert cont > 0 and all(a <= b * (1 + 1e-12) for a, b in itertools.pairwise(rates))
    assert rates[0] < 0.5 * cont  # 8 phases cost most of the key at 300 km (class states far from Fock)
    assert rates[-1] == pytest.approx(cont, rel=1e-9)
    assert all(r <= cont * (1 + 1e-12) for r in rates)
    far = float(key_rate(ea, eb, 1e-8, 0.03, SNSProtocol(**{**base, "phase_slices": 4096})))
    assert far == pytest.approx(cont, rel=1e-12)


def test_discrete_phase_bounds_stay_valid():
    """The lambda_1 class yield bound stays below the true single-photon-class yield of the simulated
    channel (<= the Fock one-photon yield s10 plus the class's higher photon numbers; for large M the
    class is the single photon), and the phase error bound stays above the exact single-photon error."""
    ea, eb = arm_transmittance(np.array([0.0, 100.0, 300.0]), CH)
    p = SNSProtocol(n_pulses=None)
    g = gains(ea, eb, 0.0, 0.03, p)
    half = p.phase_slice_rad / 2
    e_true = (1 - (1 - 2 * 0.03) * math.sin(half) / half) / 2
    for m in (12, 64):
        r = key_rate_detailed(ea, eb, 0.0, 0.03, SNSProtocol(n_pulses=None, phase_slices=m))
        assert np.all(r.s1_lower <= 0.5 * (g["s10"] + g["s01"]) * (1 + 1e-6)) and np.all(r.s1_lower > 0)
        assert np.all(r.e1_phase_upper >= e_true * (1 - 1e-6))


def test_discrete_phase_gradient_is_finite_and_matches_finite_differences():
    """The M-phase bounds are closed form: d rate / d mu_z from jax equals the central difference."""
    import jax

    jnp = _jnp()
    ea = float(arm_transmittance(300.0, CH)[0])
    p = SNSProtocol(**{**P370.model_dump(), "phase_slices": 16})
    base = {k: jnp.asarray(v) for k, v in protocol_params(p).items()}
    f = lambda mz: key_rate_jax(ea, ea, 1e-8, 0.03, {**base, "mu_z": mz}, leaky_vacuum=False, discrete_phase=True)
    g = float(jax.jit(jax.grad(f))(jnp.asarray(0.43)))
    num = lambda mz: float(key_rate(ea, ea, 1e-8, 0.03, SNSProtocol(**{**p.model_dump(), "mu_z": mz})))
    h = 1e-5
    assert np.isfinite(g) and g == pytest.approx((num(0.43 + h) - num(0.43 - h)) / (2 * h), rel=1e-4)


@pytest.mark.parametrize("value, msg", [(1, "allowed range"), (5000, "allowed range"), (16.5, "not an integer"),
])
def test_invalid_phase_slices_refused(value, msg):
    from qchipnet.validate import InputError

    with pytest.raises(InputError, match=msg) as exc:
        SNSProtocol(phase_slices=value)
    assert "phase_slices" in str(exc.value) and "\n" not in str(exc.value)
    with pytest.raises(InputError, match="mu_vac"):
        SNSProtocol(phase_slices=16, mu_vac=1e-4)


def test_keyrate_cli_phase_slices_option_and_json_key(capsys):
    """``qchipnet keyrate --phase-slices M``: one-line error (exit 2) for a bad M before any design work;
    the JSON carries ``phase_slices`` (null = continuous)."""
    from qchipnet.cli import main
    from qchipnet.cli.keyrate import compute

    for bad in ("1", "16.5", "5000"):
        with pytest.raises(SystemExit) as ei:
            main(["keyrate", "--phase-slices", bad, "--json"])
        err = capsys.readouterr().err.strip()
        assert ei.value.code == 2 and f"--phase-slices = {bad}" in err and "\n" not in err, err
    kw = {"loss": 0.2, "eff": 0.6, "pd": 1e-8, "ed": 0.03, "f": 1.1, "pulses": 1e12, "aopp": False, "optimize": False,
          "proto_kw": {}, "slice_rad": 2 * math.pi / 16}
    cont, disc = compute([300.0], **kw)[0], compute([300.0], phase_slices=12, **kw)[0]
    assert cont["phase_slices"] is None and disc["phase_slices"] == 12 == disc["parameters"]["phase_slices"]
    assert 0 < disc["key_rate_per_pulse"] < cont["key_rate_per_pulse"]


def _lp_y1_lower(a1, a2, mz, m, s0, s1, s2):
    """Independent oracle: min y_1 over the constraint set of Cao et al., NJP 17, 053014 (2015) (as coded in
    github.com/Jinxh-2019/discrete-phase-randomized-qkd, codes/utils/keyrate_DP_Cao.py), adapted to the SNS
    one-sender windows: class yields y_j of lambda_j(mu_z), Y_jk of lambda_j(a_k), sum_j P_j(a_k) Y_jk = S_k,
    |Y_jk - y_j| <= sqrt(1 - F_j(a_k, mu_z)^2), |y_0 - S_0| <= sqrt(1 - e^-mu_z / P_0(mu_z)), 0 <= Y <= 1.
    Plain numpy/scipy, all M classes, 40 photon-number terms per class."""
    from scipy.optimize import linprog

    def amps(mu, j):  # unnormalised amplitudes of |lambda_j(mu)> on n = l m + j
        n = np.arange(40) * m + j
        return np.array([math.exp(0.5 * (-mu + k * math.log(mu) - math.lgamma(k + 1))) for k in n])

    def prob(mu, j):
        return float(np.sum(amps(mu, j) ** 2))

    def dist(mu, nu, j):
        u, v = amps(mu, j), amps(nu, j)
        u, v = u / np.linalg.norm(u), v / np.linalg.norm(v)
        return math.sqrt(max(0.5 * np.sum((np.outer(u, v) - np.outer(v, u)) ** 2), 0.0))

    nv = 3 * m  # y_j, Y_j1, Y_j2
    a_ub, b_ub, a_eq, b_eq = [], [], [], []
    for k, (a, s) in enumerate(((a1, s1), (a2, s2)), start=1):
        row = np.zeros(nv)
        for j in range(m):
            row[k * m + j] = prob(a, j)
            d = dist(a, mz, j)
            for sign in (1, -1):
                r = np.zeros(nv)
                r[k * m + j], r[j] = sign, -sign
                a_ub.append(r)
                b_ub.append(d)
        a_eq.append(row)
        b_eq.append(s)
    d0 = math.sqrt(float(np.sum(amps(mz, 0)[1:] ** 2)) / prob(mz, 0))
    r = np.zeros(nv)
    r[0] = 1
    a_ub += [r, -r]
    b_ub += [s0 + d0, d0 - s0]
    c = np.zeros(nv)
    c[1] = 1
    res = linprog(c, np.array(a_ub), np.array(b_ub), np.array(a_eq), np.array(b_eq), bounds=[(0, 1)] * nv, method="highs")
    assert res.status == 0
    return res.fun


@pytest.mark.parametrize("m", [8, 12, 16])
def test_discrete_decoy_bound_equals_the_lp_of_the_same_constraints(m):
    """The closed-form lambda_1 yield bound equals the LP minimum over the same constraints (it is valid for
    every attack the LP allows, and nothing is lost by the closed form)."""
    from qchipnet.system.snstf import _decoy_y1_discrete

    ea, eb = arm_transmittance(200.0, CH)
    p = SNSProtocol(n_pulses=None, mu_z=0.4, mu_1=0.1, mu_2=0.4)
    g = gains(ea, eb, 1e-8, 0.03, p)
    args = (p.mu_1, p.mu_2, p.mu_z)
    closed = float(_decoy_y1_discrete(*args, float(m), g["S_00"], g["S_10"], g["S_20"]))
    lp = _lp_y1_lower(*args, m, float(g["S_00"]), float(g["S_10"]), float(g["S_20"]))
    assert lp > 0 and closed == pytest.approx(lp, rel=1e-6)
