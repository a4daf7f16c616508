"""sax models of the Si3N4 cells: passivity, reciprocity, loss scaling, ranges, wavelength regression."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sax
from hypothesis import given, settings
from hypothesis import strategies as st

from qchipnet.models import sin as m
from qchipnet.validate import InputError

wl_s = st.floats(1.52, 1.58)
w_s = st.floats(2.6, 3.0)
t_s = st.floats(95.0, 105.0)
loss_s = st.floats(0.0, 100.0)

STRATEGIES = {
    "ring_arc": st.fixed_dictionaries(dict(wl=wl_s, length_um=st.floats(1.0, 5000.0), radius_um=st.floats(500.0, 2000.0),
                                           width_um=w_s, thickness_nm=t_s, loss_dB_per_m=loss_s,
                                           delta_T_K=st.floats(-10.0, 50.0))),
    "ring_coupler_point": st.fixed_dictionaries(dict(wl=wl_s, radius_um=st.floats(500.0, 2000.0), width_um=w_s,
                                                     bus_width_um=st.just(2.8), gap_um=st.floats(1.0, 4.0),
                                                     thickness_nm=t_s, loss_dB_per_m=loss_s,
                                                     interaction_length_um=st.floats(50.0, 300.0))),
    "ring_coupler_pulley": st.fixed_dictionaries(dict(wl=wl_s, radius_um=st.floats(500.0, 2000.0), width_um=w_s,
                                                      bus_width_um=st.floats(2.2, 2.8), gap_um=st.floats(1.0, 4.0),
                                                      thickness_nm=t_s, pulley_angle_deg=st.floats(1.0, 60.0),
                                                      loss_dB_per_m=loss_s)),
    "edge_coupler": st.fixed_dictionaries(dict(wl=wl_s, length_um=st.floats(50.0, 2000.0), width_um=w_s,
                                               thickness_nm=t_s, facet_loss_dB=st.floats(0.0, 10.0))),
    "bus_straight": st.fixed_dictionaries(dict(wl=wl_s, length_um=st.floats(0.0, 1e4), width_um=w_s,
                                               thickness_nm=t_s, loss_dB_per_m=loss_s)),
}


def _dense(sdict):
    S, pm = sax.sdense(sdict)
    return np.asarray(S), pm


@pytest.mark.parametrize("name", sorted(m.MODELS))
def test_every_model_has_a_strategy(name):
    assert name in STRATEGIES


def _check_passive_reciprocal(name, kw):
    if name == "ring_coupler_pulley":
        kw["bus_radius_um"] = kw["radius_um"] + 1.4 + kw["gap_um"] + kw["bus_width_um"] / 2
    S, _ = _dense(m.MODELS[name](**kw))
    assert np.all(np.isfinite(S))
    np.testing.assert_allclose(S, S.T, atol=1e-12)  # reciprocity
    sv = np.linalg.svd(S, compute_uv=False)
    assert sv.max() <= 1 + 1e-9  # passivity: no input vector gains power


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_passive_and_reciprocal(name):
    @settings(max_examples=12, deadline=None)
    @given(STRATEGIES[name])
    def run(kw):
        _check_passive_reciprocal(name, dict(kw))

    run()


def test_lossless_coupler_is_unitary():
    S, _ = _dense(m.ring_coupler_point(loss_dB_per_m=0.0, bus_loss_dB_per_m=0.0))
    np.testing.assert_allclose(S.conj().T @ S, np.eye(4), atol=1e-9)


@pytest.mark.parametrize("length", [100.0, 1234.5])
def test_twice_the_length_twice_the_loss_in_dB(length):
    db = lambda L: -20 * np.log10(abs(complex(m.straight(length_um=L, loss_dB_per_m=37.0)["o1", "o2"])))  # noqa: E731
    assert db(2 * length) == pytest.approx(2 * db(length), rel=1e-12)
    assert db(1e6) == pytest.approx(37.0, rel=1e-12)  # 1 m of guide loses loss_dB_per_m


def test_phase_slope_is_group_index():
    L, wl, d = 5000.0, 1.55, 1e-5
    ph = lambda w: float(np.angle(complex(m.straight(wl=w, length_um=L, loss_dB_per_m=0.0)["o1", "o2"])))  # noqa: E731
    dphi = np.angle(np.exp(1j * (ph(wl + d) - ph(wl - d))))
    ng_num = -dphi / (2 * d) * wl**2 / (2 * math.pi * L)
    assert ng_num == pytest.approx(float(m.ngroup(wl)), rel=2e-3)


def test_coupling_falls_with_gap_and_pulley_needs_phase_matching():
    K = [float(m.point_coupling(gap_um=g)) for g in (1.0, 2.0, 3.0)]
    assert K[0] > K[1] > K[2] > 0
    # ln K falls by ~2.8 per um of gap (physics.md 1.3: 2.78)
    slope = (math.log(K[0]) - math.log(K[2])) / 2.0
    assert 2.0 < slope < 3.5
    same = float(m.pulley_coupling(bus_width_um=2.8, bus_radius_um=1000 + 1.4 + 1.5 + 1.4))
    narrow = max(float(m.pulley_coupling(bus_width_um=bw, bus_radius_um=1000 + 1.4 + 1.5 + bw / 2))
                 for bw in np.linspace(2.0, 2.8, 17))
    assert narrow > 10 * same


def test_heater_phase_is_positive_and_linear():
    p1 = float(m.heater_phase_rad(delta_T_K=1.0))
    assert p1 > 0
    assert float(m.heater_phase_rad(delta_T_K=3.0)) == pytest.approx(3 * p1)


@pytest.mark.parametrize("kw, match", [
    (dict(wl=1.6), r"wl = 1\.6 um .*\[1\.52, 1\.58\]"),
    (dict(width_um=4.6), r"width_um = 4\.6 .*\[1\.6, 4\.4\]"),
    (dict(loss_dB_per_m=-1.0), "loss_dB_per_m"),
])
def test_models_reject_out_of_range(kw, match):
    with pytest.raises(InputError, match=match):
        m.straight(**kw)


def test_coupler_rejects_gap_outside_table():
    with pytest.raises(InputError, match=r"gap_um = 0\.5"):
        m.ring_coupler_point(gap_um=0.5)


@pytest.mark.parametrize("name", sorted(m.MODELS))
def test_wavelength_sweep_regression(name, ndarrays_regression):
    wl = np.linspace(1.53, 1.57, 9)
    S, pm = _dense(m.MODELS[name](wl=wl))
    ports = sorted(pm)
    out = {f"{a}_{b}": np.abs(S[..., pm[a], pm[b]]) ** 2 for a in ports for b in ports if a <= b}
    ndarrays_regression.check({k: v for k, v in out.items() if np.any(v > 0)}, default_tolerance=dict(rtol=1e-6, atol=1e-9))
