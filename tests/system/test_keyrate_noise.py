"""Noise per detector from both arms, launch powers from the design, and the keyrate JSON (issue 13)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qchipnet.constants import H_J_S, NU0_HZ
from qchipnet.system.link import LinkParams, launch_powers_mW, noise_budget
from qchipnet.validate import InputError

USED = [-5, -4, -3, 0, 2, 3, 4, 5, 6, 7, 8]


def test_both_arms_reach_each_detector():
    """physics.md 6.4: the server's beam splitter receives the noise of both arms and splits it over
    its two detectors, so a symmetric link puts one arm's worth on each detector."""
    sym = noise_budget(-4, USED, 185.0)
    one = noise_budget(-4, USED, 185.0, other_arm_km=1000.0)  # the other arm's noise is attenuated away
    for k in ("raman", "wdm_crosstalk"):
        assert sym[k] == pytest.approx(2 * one[k], rel=1e-9)
    # one arm's worth per detector: eta tau T_server N_arm (the old one-arm model halved it)
    lk = LinkParams()
    p_in = 25e-9 * 10  # ten other lines at the 25-nW fallback
    n_arm = p_in * math.exp(-lk.loss_dB_per_km * math.log(10) / 10 * 185) * lk.raman_beta_per_km_nm * 185 * lk.filter_bandwidth_nm / (H_J_S * NU0_HZ)
    assert sym["raman"] == pytest.approx(lk.detector_efficiency * 1e-9 * 10 ** (-lk.server_loss_dB / 10) * n_arm, rel=1e-9)
    # asymmetric arms: each arm contributes its own attenuation
    asym = noise_budget(-4, USED, 150.0, other_arm_km=220.0)
    a, b = noise_budget(-4, USED, 150.0, other_arm_km=1000.0), noise_budget(-4, USED, 220.0, other_arm_km=1000.0)
    assert asym["wdm_crosstalk"] == pytest.approx(a["wdm_crosstalk"] + b["wdm_crosstalk"], rel=1e-6)


def test_noise_budget_broadcasts_over_distance_and_launch_power():
    arm = np.array([50.0, 100.0, 185.0])
    nb = noise_budget(-4, USED, arm, reference_launch_mW=np.array([1e-4, 2e-4, 4e-4]), neighbour_launch_mW=1e-8)
    for k, v in nb.items():
        assert np.shape(v) == (3,), k
    single = noise_budget(-4, USED, 100.0, reference_launch_mW=2e-4, neighbour_launch_mW=1e-8)
    assert nb["raman"][1] == pytest.approx(single["raman"], rel=1e-12)
    # Raman and crosstalk scale linearly with the launch power
    double = noise_budget(-4, USED, 100.0, reference_launch_mW=4e-4, neighbour_launch_mW=2e-8)
    assert double["raman"] == pytest.approx(2 * single["raman"], rel=1e-12)


def test_reference_launch_follows_distance_within_the_voa_range():
    lk = LinkParams()
    arm = np.array([0.0, 100.0, 185.0, 300.0, 600.0])
    lp = launch_powers_mW(arm, lk, ref_counts_per_s=1e7, transmitter_output_mW=5.0, transmitter_loss_dB=8.0,
                          voa_max_attenuation_dB=60.0)
    p_max = 5.0 * 10 ** -0.8
    need = 1e7 * H_J_S * NU0_HZ / (2 * lk.detector_efficiency * 10 ** (-lk.server_loss_dB / 10) * 10 ** (-0.02 * arm)) * 1e3
    np.testing.assert_allclose(lp["reference_launch_mW"], np.clip(need, p_max * 1e-6, p_max), rtol=1e-12)
    assert list(lp["reference_limited"]) == [-1, -1, 0, 0, 1]  # VOA floor up to 100 km, laser-limited at 600 km
    # a smaller VOA range raises the floor: more reference light, more Raman at short distance
    small = launch_powers_mW(arm, lk, voa_max_attenuation_dB=5.0)
    assert np.all(small["reference_launch_mW"] >= lp["reference_launch_mW"])
    # neighbours: their strongest SNS state in every window at 1 GHz
    assert float(lp["neighbour_launch_mW"]) == pytest.approx(0.45 * H_J_S * NU0_HZ * 1e9 * 1e3)
    with pytest.raises(InputError, match="voa_max_attenuation_dB"):
        launch_powers_mW(100.0, lk, voa_max_attenuation_dB=-1.0)


def test_keyrate_json_labels_raw_and_post_pairing():
    from qchipnet.cli.keyrate import compute
    from qchipnet.system.snstf import SNSProtocol, security_parameters

    kw = {"loss": 0.2, "eff": 0.6, "pd": 1e-8, "ed": 0.03, "f": 1.1, "pulses": 1e12, "optimize": False, "proto_kw": {},
          "slice_rad": 2 * math.pi / 16}
    plain = compute([370.0], aopp=False, **kw)[0]
    paired = compute([370.0], aopp=True, source_kw={"epsilon_total": 1e-9}, **kw)[0]
    assert plain["qber_z_after_aopp"] is None and plain["qber_z_raw"] == plain["qber_z"]
    assert paired["qber_z"] == paired["qber_z_after_aopp"] < paired["qber_z_raw"]
    assert paired["e1_phase_upper"] == paired["e1_phase_upper_after_aopp"] > paired["e1_phase_upper_raw"]
    assert plain["epsilon_total"] == pytest.approx(security_parameters(SNSProtocol())["epsilon_total"])
    assert paired["epsilon_total"] == pytest.approx(1e-9) and paired["security"]["n_estimates"] == 12
