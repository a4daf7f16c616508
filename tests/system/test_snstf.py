"""Property, regression and bad-input tests of the SNS-TF-QKD key rate."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qchipnet.system.bounds import (
    fibre_transmittance,
    plob_bound,
    single_repeater_bound,
)
from qchipnet.system.optimize import optimize_protocol, optimize_protocol_scipy
from qchipnet.system.snstf import (
    ChannelParams,
    SNSProtocol,
    arm_transmittance,
    chernoff_expectation_bounds,
    gains,
    key_rate,
    key_rate_detailed,
    key_rate_vs_distance,
    replace,
)
from qchipnet.validate import InputError

L = np.linspace(0, 600, 61)
CH = ChannelParams()


def _opt(distance, ch=CH, base=None):
    ea, eb = arm_transmittance(distance, ch)
    return optimize_protocol(ea, eb, ch.p_dark, ch.e_d, base or SNSProtocol())[0].key_rate


def test_rate_nonnegative_finite_and_nonincreasing_in_distance():
    for p in (SNSProtocol(), SNSProtocol(n_pulses=None), SNSProtocol(aopp=True)):
        r = key_rate_vs_distance(L, CH, p).key_rate
        assert np.all(np.isfinite(r)) and np.all(r >= 0)
        assert np.all(np.diff(r) <= 1e-15)


@settings(max_examples=30, deadline=None)
@given(
    eta=st.floats(0.0, 1.0),
    pd=st.floats(0.0, 0.05),
    ed=st.floats(0.0, 0.49),
    aopp=st.booleans(),
    finite=st.booleans(),
)
def test_never_nan(eta, pd, ed, aopp, finite):
    p = SNSProtocol(aopp=aopp, n_pulses=1e10 if finite else None)
    r = key_rate_detailed(eta, eta, pd, ed, p)
    for v in r:
        assert np.all(np.isfinite(v))
    assert r.key_rate >= 0


def test_monotone_in_misalignment_dark_and_efficiency():
    ea, eb = arm_transmittance(300.0, CH)
    p = SNSProtocol()
    r_ed = key_rate(ea, eb, 1e-8, np.linspace(0, 0.2, 21), p)
    assert np.all(np.diff(r_ed) <= 1e-18)
    r_pd = key_rate(ea, eb, np.logspace(-10, -5, 21), 0.03, p)
    assert np.all(np.diff(r_pd) <= 1e-18)
    effs = np.linspace(0.1, 1.0, 10)
    r_eff = [float(key_rate_vs_distance(300.0, replace(CH, detector_efficiency=e), p).key_rate) for e in effs]
    assert np.all(np.diff(r_eff) >= 0)


def test_nondecreasing_in_pulse_number_and_finite_below_asymptotic():
    ns = [1e10, 1e11, 1e12, 1e13, 1e14]
    for d in (100.0, 300.0):
        rs = [_opt(np.array([d]), base=SNSProtocol(n_pulses=n))[0] for n in ns]
        assert np.all(np.diff(rs) >= 0)
        assert rs[-1] <= _opt(np.array([d]), base=SNSProtocol(n_pulses=None))[0]
    # same protocol parameters: finite <= asymptotic pointwise
    for aopp in (False, True):
        fin = key_rate_vs_distance(L, CH, SNSProtocol(aopp=aopp)).key_rate
        asy = key_rate_vs_distance(L, CH, SNSProtocol(aopp=aopp, n_pulses=None)).key_rate
        assert np.all(fin <= asy + 1e-18)


def test_sqrt_eta_scaling_at_long_distance():
    ch = replace(CH, p_dark=0.0, e_d=0.01)
    d = np.array([300.0, 400.0])
    r = _opt(d, ch, SNSProtocol(n_pulses=None))
    slope_dB = 10 * math.log10(r[0] / r[1]) / 100.0  # dB per km
    assert slope_dB == pytest.approx(0.1, rel=0.1)  # half the 0.2 dB/km fibre loss


def test_below_single_repeater_and_plob_at_short_distance():
    r = _opt(L, base=SNSProtocol(n_pulses=None, aopp=True))
    eta_f = fibre_transmittance(np.maximum(L, 1e-3), CH.loss_dB_per_km)
    assert np.all(r <= single_repeater_bound(eta_f))
    short = L <= 100
    assert np.all(r[short] < plob_bound(eta_f[short]))


def test_decoy_bounds_valid_against_photon_number_simulation():
    """s1_lower <= the true single-photon yield computed from the exact photon-number gains."""
    for d in (0.0, 100.0, 300.0, 500.0):
        for pd in (0.0, 1e-8, 1e-6):
            ea, eb = arm_transmittance(d, CH)
            p = SNSProtocol(n_pulses=None)
            g = gains(ea, eb, pd, 0.03, p)
            res = key_rate_detailed(ea, eb, pd, 0.03, p)
            s1_true = 0.5 * (g["s10"] + g["s01"])
            assert res.s1_lower <= s1_true * (1 + 1e-9)
            # exact photon-number expansion of the one-sender gain reproduces S_10
            k = np.arange(0, 40)
            poisson = np.exp(-p.mu_1) * p.mu_1**k / np.array([math.factorial(int(i)) for i in k])
            # yield of k photons from one sender: exactly one of the two detectors clicks
            y_k = 2 * ((1 - pd) * (1 - ea / 2) ** k) - 2 * (1 - pd) ** 2 * (1 - ea) ** k
            assert float(np.sum(poisson * y_k)) == pytest.approx(float(g["S_10"]), rel=1e-9, abs=1e-15)
            # the phase-flip bound is above the exact single-photon error of the X1 windows
            # (noise-free: visibility (1 - 2 e_d) times the slice average of cos)
            half = p.phase_slice_rad / 2
            e1_true = (1 - (1 - 2 * 0.03) * math.sin(half) / half) / 2
            if pd == 0.0:
                assert res.e1_phase_upper >= e1_true * (1 - 1e-6)
            assert 0 <= res.e1_phase_upper <= 0.5


def test_chernoff_bounds_bracket_observation():
    x = np.array([0.0, 1.0, 50.0, 1e4, 1e8])
    lo, hi = chernoff_expectation_bounds(x, 1e-10)
    assert np.all(lo <= x) and np.all(hi >= x)
    assert hi[-1] / x[-1] - 1 < 1e-3


def test_optimiser_matches_scipy_reference():
    ea, eb = arm_transmittance(np.array([200.0, 350.0]), CH)
    fast = optimize_protocol(ea, eb, CH.p_dark, CH.e_d, SNSProtocol())[0].key_rate
    slow = optimize_protocol_scipy(ea, eb, CH.p_dark, CH.e_d, SNSProtocol())
    assert np.all(fast >= 0.95 * slow)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"mu_z": 0.0}, "mu_z"),
        ({"mu_z": -0.1}, "mu_z"),
        ({"mu_1": 0.0}, "mu_1"),
        ({"epsilon": 1.2}, "epsilon"),
        ({"p_z": -0.1}, "p_z"),
        ({"p_0": 0.7, "p_1": 0.5}, "p_0 + p_1"),
        ({"mu_1": 0.3, "mu_2": 0.2}, "mu_2"),  # decoy order mu_1 < mu_2 is required
        ({"phase_slice_rad": 4.0}, "phase_slice_rad"),
    ],
)
def test_bad_protocol_rejected(kwargs, name):
    with pytest.raises(InputError, match=name.replace("+", r"\+")) as exc:
        SNSProtocol(**kwargs)
    assert "allowed range" in str(exc.value)


def test_bad_channel_rejected():
    with pytest.raises(InputError, match="distance_km"):
        key_rate_vs_distance(-5.0)
    with pytest.raises(InputError, match="p_dark"):
        key_rate(0.1, 0.1, 1.5, 0.03)
    with pytest.raises(InputError, match="eta_a"):
        key_rate(-0.1, 0.1, 1e-8, 0.03)
    with pytest.raises(InputError, match="e_d"):
        key_rate(0.1, 0.1, 1e-8, 0.7)
    with pytest.raises(InputError, match="detector_efficiency"):
        ChannelParams(detector_efficiency=1.5)
