"""Device metrics, comb/SIL, injection locking, phase budget and link noise."""

from __future__ import annotations

import math

import pytest

from qchipnet.system.comb import comb_state, sil_metrics
from qchipnet.system.devices import ServerMetrics, TransmitterMetrics
from qchipnet.system.injection import injection_lock
from qchipnet.system.link import LinkParams, noise_budget
from qchipnet.system.phase import combine_errors, misalignment_budget
from qchipnet.validate import InputError

RING_JSON = {"fsr_GHz": 30.03, "n_eff": 1.4763, "n_g": 1.589, "beta2_ps2_per_km": 685.0, "D2_over_2pi_kHz": -733.0,
             "q_intrinsic": 2.0e7, "q_coupling": 2.2e7, "q_loaded": 1.05e7, "extinction_dB": 25.0,
             "coupling_regime": "under", "radius_um": 1000.0, "gap_um": 2.0, "width_um": 2.8, "thickness_nm": 100,
             "loss_dB_per_m": 1.4}
TX_JSON = {"vpi_V": 5.8, "im_visibility_dB": 33.8, "im_insertion_loss_dB": 3.0, "pm_insertion_loss_dB": 2.0,
           "dbr_tuning_range_nm": 3.2, "reachable_comb_lines": list(range(-5, 9)), "chip_size_um": [4600, 2000],
           "n_modulators": 6}


def test_from_json_accepts_circuit_output_and_ignores_extra_keys():
    s = ServerMetrics.from_json(RING_JSON)
    assert s.q_coupling == 2.2e7 and s.d2_norm == pytest.approx(0.0758 * s.q_loaded / 1e7, rel=0.02)
    t = TransmitterMetrics.from_json(TX_JSON)
    assert t.reachable_comb_lines[-1] == 8 and t.working
    with pytest.raises(InputError, match="q_intrinsic"):
        ServerMetrics.from_json({**RING_JSON, "q_intrinsic": -1})
    with pytest.raises(InputError, match="D2_over_2pi_kHz"):
        ServerMetrics(D2_over_2pi_kHz=100.0)  # anomalous dispersion: no dark pulse model


def test_sil_numbers_match_physics_reference():
    m = sil_metrics(ServerMetrics())
    assert m["K"] == pytest.approx(125, rel=0.05)  # physics.md 2.1: K ~ 130, F_max ~ 260
    assert m["stabilisation_F"] == pytest.approx(1 + 2 * m["K"] / 1.01)
    assert 1.3e9 < m["locking_range_Hz"] < 1.9e9
    assert m["noise_suppression_dB"] > 25  # article: > 25 dB
    assert 40.8 / 1.5 < m["linewidth_Hz"] < 40.8 * 1.5  # article ~40 Hz; ring TRN floor (test_comb_surrogate)


def test_dark_pulse_comb_lines():
    c = comb_state()
    assert 30 < c.pump_power_mW < 45  # physics.md 1.5: 38 mW at eta = 0.5
    assert 8.0 < 10 * math.log10(c.total_power_mW) < 10.5  # article: about 10 dBm
    p = c.line_power_mW
    assert p[1] == pytest.approx(p[-1], rel=1e-6)  # pure LLE is symmetric
    drop = 10 * math.log10(p[3] / p[5]) / 2
    assert 1.5 < drop < 2.3  # ~1.9 dB per line (physics.md 2.3)


def test_injection_locking():
    tx = TransmitterMetrics()
    r = injection_lock(0.05, 8, 42.0, tx)
    assert r["locked"] and r["linewidth_Hz"] == pytest.approx(61.0, abs=1.0)
    assert r["locking_range_red_Hz"] < 0
    assert injection_lock(0.05, 9, 42.0, tx)["locked"] is False  # outside the DBR tuning range
    weak = injection_lock(1e-9, 2, 42.0, tx)
    assert weak["locked"] is False  # set-point error larger than the locking range
    broken = TransmitterMetrics(vpi_V=0.0)
    assert injection_lock(0.05, 2, 42.0, broken)["locked"] is False


def test_phase_budget_reproduces_physics_table():
    b = misalignment_budget(upstream_km=370, total_path_km=370, linewidth_Hz=60, lock_var_a_rad2=0,
                            lock_var_b_rad2=0, im_extinction_a_dB=80, im_extinction_b_dB=80)
    assert b["phase_drift"] == pytest.approx(0.020, abs=5e-4)  # physics.md 6.1: phi_d used from the window start 2.0 %
    assert b["reference_sampling"] == pytest.approx(0.0017, abs=2e-4)
    assert 0 < combine_errors(b) < 0.5
    with pytest.raises(InputError, match="upstream_km"):
        misalignment_budget(upstream_km=-1, total_path_km=1, linewidth_Hz=1, lock_var_a_rad2=0, lock_var_b_rad2=0,
                            im_extinction_a_dB=30, im_extinction_b_dB=30)


def test_noise_budget_scaling():
    used = [-5, -4, -3, 0, 2, 3]
    n1 = noise_budget(-4, used, 100.0)
    n2 = noise_budget(-4, used, 185.0)
    assert n1["dark_counts"] == n2["dark_counts"] == pytest.approx(1e-8)
    assert n1["wdm_crosstalk"] > n2["wdm_crosstalk"] > 0
    edge = noise_budget(-5, used, 185.0)
    assert edge["wdm_crosstalk"] < n2["wdm_crosstalk"]  # one adjacent neighbour instead of two
    assert n2["rayleigh"] == 0.0
    shared = noise_budget(-4, used, 185.0, LinkParams(shared_downstream_fibre=True), downstream_power_mW=0.01,
                          downstream_km=60.0)
    assert shared["rayleigh"] > 1e-3  # same-wavelength Rayleigh: why the article uses separate fibres


@pytest.mark.parametrize("K, lo, hi", [(0.05, -3.15, -1.42), (0.10, -3.15, -2.02), (0.20, -3.13, -2.25)])
def test_stable_locking_range_reproduces_the_rate_equation_map(K, lo, hi):
    """physics.md 3.1 [V]: the stable detuning range of the class-B rate equations (alpha = 3)."""
    from qchipnet.system.injection import stable_locking_range

    a, b = stable_locking_range(K, 3.0)
    assert a == pytest.approx(lo, abs=0.02) and b == pytest.approx(hi, abs=0.02)


def test_weak_injection_keeps_the_whole_adler_band_and_strong_injection_stays_valid():
    from qchipnet.system.devices import TransmitterMetrics
    from qchipnet.system.injection import injection_lock, stable_locking_range

    a, b = stable_locking_range(0.005, 3.0)
    assert a == pytest.approx(-3.16, abs=0.02) and b >= 1.0
    tx = TransmitterMetrics()
    weak = injection_lock(0.05, 2, 40.0, tx)
    strong = injection_lock(2.0, 2, 40.0, tx)  # an overcoupled ring's stronger line: rho ~ 0.1
    assert strong["locked"] and weak["locked"]
    width = lambda r: r["locking_range_blue_Hz"] - r["locking_range_red_Hz"]  # noqa: E731
    assert width(strong) > width(weak) and strong["loop_bandwidth_Hz"] > weak["loop_bandwidth_Hz"]
