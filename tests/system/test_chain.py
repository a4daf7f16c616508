"""The batch-native network chain (system/chain.py): physical properties of each step."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qchipnet.system import chain
from qchipnet.system.injection import stable_locking_range
from qchipnet.validate import InputError


@settings(max_examples=6, deadline=None)
@given(st.floats(-3.9, 1.4))
def test_stable_band_table_matches_the_rate_equation_scan(log10_k):
    """The tabulated band (97 strengths, interpolated in log K) against a direct scan at the same K."""
    k = 10**log10_k
    red, blue = chain.stable_band(np.array([k]), 3.5)
    r0, b0 = stable_locking_range(k, 3.5)
    if math.isnan(r0):
        assert np.isnan(red[0])
        return
    width = b0 - r0
    assert abs(red[0] - r0) <= 0.02 * width + 0.01 and abs(blue[0] - b0) <= 0.02 * width + 0.01


def test_dbr_setpoint_current_only_tec_and_unreachable():
    kw = dict(current_tuning_nm=3.5, thermal_nm_per_K=0.093, mode_spacing_nm=0.48, tec_span_K=15.0)
    # lines inside [bragg - 3.5 - 0.24, bragg + 0.24] at the nominal TEC: no offset needed
    ok = chain.dbr_setpoint(bragg_nm=1550.8, line_nm=1550.9, reference_nm=1549.78, **kw)
    assert ok["reach_current_only"] and ok["reach_tec"] and ok["tec_offset_K"] == 0.0
    # a line 0.5 nm above the window needs heating: the smallest offset that reaches it
    hot = chain.dbr_setpoint(bragg_nm=1550.8, line_nm=1551.54, reference_nm=1549.78, **kw)
    assert hot["reach_tec"] and not hot["reach_current_only"]
    assert hot["tec_offset_K"] == pytest.approx((1551.54 - 0.24 - 1550.8) / 0.093, rel=1e-9)
    # line and reference further apart than the window: no single TEC set-point serves both lasers
    far = chain.dbr_setpoint(bragg_nm=1550.8, line_nm=1554.5, reference_nm=1549.78, **kw)
    assert not far["reach_tec"] and np.isnan(far["tec_offset_K"])


def _lock(power_mW, **over):
    kw = dict(line_power_mW=power_mW, comb_linewidth_Hz=40.0, k_c_per_s=9.7e10, alpha_H=3.5,
              free_running_linewidth_Hz=2e6, output_power_mW=5.0, chip_coupling_loss_dB=3.0, downstream_km=0.0,
              downstream_loss_dB_per_km=0.2, reamplified=False, demux_loss_dB=3.0, relaxation_frequency_GHz=5.0,
              setpoint_error_MHz=100.0, distribution_excess_Hz=19.0)
    kw.update(over)
    return chain.lock_batch(**kw)


def test_locking_follows_injection_strength():
    p = np.geomspace(1e-4, 1.0, 9)
    r = _lock(p)
    width = r["locking_range_blue_Hz"] - r["locking_range_red_Hz"]
    assert np.all(np.diff(r["injection_ratio_dB"]) > 0)
    assert np.all(np.abs(r["locking_range_red_Hz"][1:]) >= np.abs(r["locking_range_red_Hz"][:-1]))  # red edge grows
    assert np.all(width[r["in_range"]] > 2 * 100e6)  # the set-point error fits inside the band it locks in
    assert np.all(r["linewidth_Hz"][r["in_range"]] == pytest.approx(59.0))
    none = _lock(np.array([0.0]))
    assert not none["in_range"][0] and np.isinf(none["residual_phase_var_rad2"][0])
    # 60 km of unamplified fibre costs 12 dB of injection; reamplified it costs nothing
    far = _lock(np.array([0.05]), downstream_km=60.0)
    amp = _lock(np.array([0.05]), downstream_km=60.0, reamplified=True)
    assert amp["injection_ratio_dB"][0] - far["injection_ratio_dB"][0] == pytest.approx(12.0)


def _circuit(failed, vis=(33.0, 34.0, 35.0)):
    f = np.zeros(7, bool)
    f[list(failed)] = True
    return {k: np.asarray(v).item() for k, v in chain.adaptable_circuit(f, np.array(vis)).items()}


def test_adaptable_circuit_rules():
    ok = _circuit([])
    assert ok["executable"] and not ok["degraded"] and ok["gate_visibility_dB"] == 35.0  # IM III gates
    one_arm_each = _circuit([0, 3, 4])  # one arm of every IM: each driven on its other arm
    assert one_arm_each["executable"] and one_arm_each["degraded"]
    assert _circuit([4, 5])["executable"] and _circuit([4, 5])["gate_visibility_dB"] == 34.0  # IM III dead
    assert not _circuit([0, 1, 2, 3])["executable"]  # two IMs dead: no carving + gate
    assert _circuit([6])["executable"]  # PM failed: an intact IM runs push-push as the PM
    assert _circuit([6])["gate_visibility_dB"] == 35.0  # the spare is the lowest-visibility intact IM (IM I)
    assert not _circuit([6, 0, 2, 4])["executable"]  # no intact IM left for the PM's job
    assert not _circuit([6, 4, 5])["executable"]
    with pytest.raises(InputError, match="sections"):
        chain.adaptable_circuit(np.zeros(6, bool), np.zeros(3))


def test_adaptable_circuit_makes_twenty_random_chips_work():
    """The article: 20 of 20 randomly drawn chips ran the protocol with 3 of 120 modulators dead. With
    p = 3/120 per EO section, the exact probability over all 2^7 failure patterns that a chip can run
    the protocol, and that 20 chips all can, from the adaptable-circuit rules."""
    p = 3 / 120
    pats = np.array(list(itertools.product([False, True], repeat=7)))
    prob = np.prod(np.where(pats, p, 1 - p), axis=1)
    ex = chain.adaptable_circuit(pats, np.full((len(pats), 3), 33.0))["executable"]
    p_chip = float(prob[ex].sum())
    assert p_chip > 0.99 and p_chip**20 >= 0.2  # issue 12: >= 0.2 (a rigid chip gives 0.975**7 ** 20 = 0.029)
    assert (1 - p) ** 140 < 0.05


def test_error_terms_match_the_scalar_budget():
    from qchipnet.system.phase import PhaseTrackingParams, misalignment_budget

    t = chain.error_terms(upstream_km=np.array([204.0, 370.0]), total_path_km=np.array([204.0, 490.0]),
                          linewidth_Hz=np.array([60.0, 70.0]), lock_var_a_rad2=np.array([1e-3, 0.0]),
                          lock_var_b_rad2=np.array([0.0, 2e-3]), gate_visibility_a_dB=np.array([30.0, 33.0]),
                          gate_visibility_b_dB=np.array([35.0, np.nan]), pm_phase_error_a_rad=np.array([1e-3, 0]),
                          pm_phase_error_b_rad=np.array([0.0, 2e-3]), tracking=PhaseTrackingParams())
    s = misalignment_budget(upstream_km=370.0, total_path_km=490.0, linewidth_Hz=70.0, lock_var_a_rad2=0.0,
                            lock_var_b_rad2=2e-3, im_extinction_a_dB=33.0, im_extinction_b_dB=1e-3,
                            pm_phase_error_b_rad=2e-3)
    for k, v in s.items():
        assert t[k][1] == pytest.approx(v, rel=1e-12)
    assert t["im_extinction"][1] == 0.5  # a chip with no gate (nan) cannot make a not-sending state
    assert t["pm_encoding"][0] == pytest.approx((1e-3) ** 2 / 12)
    assert t["phase_drift"][1] > t["phase_drift"][0]  # drift accumulates along the upstream fibre
