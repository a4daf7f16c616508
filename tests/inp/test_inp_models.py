"""Physics of the InP models: passivity, reciprocity, scaling laws, calibration, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from qchipnet.models import inp as M
from qchipnet.validate import InputError

WL = st.floats(1.531, 1.569)


def _check_sdict(sd, ports):
    S = np.zeros((len(ports), len(ports)), complex)
    for (a, b), v in sd.items():
        S[ports.index(a), ports.index(b)] = complex(np.asarray(v))
    assert np.allclose(S, S.T, atol=1e-12), "not reciprocal"
    assert np.all(np.sum(np.abs(S) ** 2, axis=0) <= 1 + 1e-9), "not passive"


@settings(max_examples=8, deadline=None)
@given(wl=WL, length=st.floats(0, 5000), width=st.floats(1.0, 2.0))
def test_waveguides_passive_reciprocal(wl, length, width):
    _check_sdict(M.straight_deep(wl=wl, length=length, width=width), ["o1", "o2"])


@settings(max_examples=6, deadline=None)
@given(wl=WL, dw=st.floats(-0.3, 0.3))
def test_mmis_passive_reciprocal(wl, dw):
    _check_sdict(M.mmi2x2(wl=wl, width_error=dw), ["o1", "o2", "o3", "o4"])
    _check_sdict(M.mmi1x2(wl=wl, width_error=dw), ["o1", "o2", "o3"])


@settings(max_examples=8, deadline=None)
@given(wl=WL, v=st.floats(0, 12), i=st.floats(0, 30))
def test_active_sections_passive_reciprocal(wl, v, i):
    _check_sdict(M.phase_modulator(wl=wl, voltage=v), ["o1", "o2"])
    _check_sdict(M.voa(wl=wl, current=i), ["o1", "o2"])
    _check_sdict(M.dbr_laser(wl=wl), ["o1", "o2"])


def test_twice_the_length_twice_the_loss():
    t1 = abs(complex(np.asarray(M.straight_deep(length=1000.0)["o1", "o2"])))
    t2 = abs(complex(np.asarray(M.straight_deep(length=2000.0)["o1", "o2"])))
    assert 20 * math.log10(t2) == pytest.approx(2 * 20 * math.log10(t1), rel=1e-12)
    assert -20 * math.log10(t1) == pytest.approx(M.LOSS_DB_PER_CM["deep"] * 0.1, rel=1e-9)


def test_vpi_calibration_is_explicit():
    cal = M.eo_calibration()
    assert float(M.pm_vpi_V(length_um=1500.0)) == pytest.approx(5.8, rel=1e-9)
    assert 1e-20 < cal["s_ref_m2_per_V2"] < 1e-18  # order of bulk-Q quadratic EO coefficients
    assert 8.0 <= cal["vpi_L_V_mm"] <= 12.0  # practical generic-platform range, physics.md 4.2
    assert cal["pockels_only_vpi_L_V_mm"] == pytest.approx(21.0, rel=0.15)  # physics.md 4.2: ~21 V mm


@pytest.mark.parametrize("L", [500.0, 1000.0, 2500.0])
def test_vpi_scales_as_inverse_length(L):
    v0 = float(M.pm_vpi_small_signal_V(length_um=1500.0))
    assert float(M.pm_vpi_small_signal_V(length_um=L)) * L == pytest.approx(v0 * 1500.0, rel=1e-9)
    phi0 = np.asarray(M.pm_phase_rad(np.linspace(0, 8, 5), length_um=1500.0))
    assert np.allclose(np.asarray(M.pm_phase_rad(np.linspace(0, 8, 5), length_um=L)), phi0 * L / 1500.0)
    # large-signal V_pi falls with length, faster than 1/L is impossible for a convex phi(V)
    assert float(M.pm_vpi_V(length_um=L)) * L >= float(M.pm_vpi_V(length_um=1500.0)) * 1500.0 - 1e-9 or L < 1500


def test_vpi_follows_geometry_and_bandgap():
    assert float(M.pm_vpi_V(core_bandgap_um=1.27)) < 5.8 < float(M.pm_vpi_V(core_bandgap_um=1.23))
    assert float(M.pm_vpi_V(eo_rel=1.2)) < 5.8


def test_mmi_self_imaging_and_imbalance():
    T = M.mmi_transfer(1, width_um=6.0, access_um=2.0)
    assert abs(T[0, 0]) == pytest.approx(abs(T[1, 0]), rel=1e-9)  # symmetric 1x2 splits 50:50
    imb, exc = M.mmi_imbalance_dB(2)
    assert 0.0 < abs(imb) < 1.0 and 0.0 < exc < 1.0
    assert M.mmi_imbalance_dB(2, width_error_um=-0.1)[1] > exc  # width error costs excess loss


def test_dbr_bragg_and_tuning():
    r = M.dbr_laser_metrics()
    ng = float(M.mode_params("shallow", width_um=2.0)["n_g"])
    assert float(r["mode_spacing_nm"]) > 0.2
    # lambda_B = 2 n_eff(lambda_B) Lambda
    neff = float(M.mode_params("shallow", width_um=2.0, wl_um=float(r["bragg_nm"]) / 1e3)["n_eff"])
    assert float(r["bragg_nm"]) == pytest.approx(2 * neff * 238.45, abs=0.02)
    r2 = M.dbr_laser_metrics(grating_period_nm=238.55)
    n0 = float(M.mode_params("shallow", width_um=2.0)["n_eff"])
    # d lambda_B / d Lambda = 2 n_eff / (1 - 2 Lambda dn/dlambda) = 2 n_eff^2 / n_g
    assert float(r2["bragg_nm"] - r["bragg_nm"]) == pytest.approx(2 * n0**2 / ng * 0.1, rel=0.02)
    assert float(r["tuning_range_nm"]) >= 3.2
    R, _, _ = M.dbr_mirror(300.0)
    assert 0.5 < float(R) < 1.0


def test_comb_grid():
    lam = M.comb_line_wavelengths_nm(np.array([-5, 0, 8]))
    assert lam[1] == pytest.approx(1549.78)
    assert lam[0] - lam[2] == pytest.approx(3.128, abs=0.01)


@pytest.mark.parametrize("call, word", [
    (lambda: M.pm_phase_rad(20.0), "voltage_V = 20"),
    (lambda: M.straight_deep(wl=1.6), "wl = 1.6"),
    (lambda: M.mmi_transfer(2, width_error_um=0.8), "width_error_um = 0.8"),
    (lambda: M.dbr_laser_metrics(grating_period_nm=300.0), "grating_period_nm = 300"),
])
def test_out_of_range_is_rejected(call, word):
    with pytest.raises(InputError, match=word):
        call()


def test_model_regression(ndarrays_regression):
    wl = np.linspace(1.54, 1.56, 5)
    ndarrays_regression.check({
        "straight_deep": np.asarray(M.straight_deep(wl=wl, length=500.0)["o1", "o2"]),
        "pm_phase": np.asarray(M.pm_phase_rad(np.linspace(0, 10, 6))),
        "mmi2x2_o1_o4": np.asarray(M.mmi2x2(wl=wl)["o1", "o4"]),
        "mmi2x2_o1_o3": np.asarray(M.mmi2x2(wl=wl)["o1", "o3"]),
        "voa_dB": np.asarray(M.voa_attenuation_dB(np.linspace(0, 30, 4))),
    }, default_tolerance={"atol": 1e-9, "rtol": 1e-7})
