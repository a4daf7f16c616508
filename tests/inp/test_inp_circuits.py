"""Transmitter circuits: MZI physics, default-chip targets, batch path, CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from qchipnet.circuits import transmitter as T
from qchipnet.models import inp as M


def er_split(r):
    return 10 * math.log10(((math.sqrt(r) + math.sqrt(1 - r)) / (math.sqrt(r) - math.sqrt(1 - r))) ** 2)


@pytest.fixture
def no_ea(monkeypatch):
    monkeypatch.setattr(M.EO, "ea_dB_per_cm", 0.0)


@pytest.mark.parametrize("a_dB", [0.1, 0.3, 0.7])
def test_ideal_5050_mzi_reaches_the_loss_imbalance_ceiling(no_ea, a_dB):
    """Ideal 50:50 couplers: ER = ((1+a)/(1-a))^2 with a the arm field-amplitude ratio."""
    circ = T._mzm_with_ideal_combiner(1500.0, 0.0)
    circ1 = T._mzm_with_ideal_combiner.__wrapped__(1500.0, 0.0)
    im = T.im_metrics(circuit=circ1, arm_loss_imbalance_dB=a_dB, tm_floor_dB=float("inf"))
    a = 10 ** (-a_dB / 20)
    # the splitter is the 1x2 MMI model (exactly 50:50 by symmetry)
    assert im["visibility_dB"] == pytest.approx(10 * math.log10(((1 + a) / (1 - a)) ** 2), abs=0.05)
    assert circ is not None


@pytest.mark.parametrize("imb", [0.19, 0.35, 0.68])
def test_visibility_vs_imbalance_closed_form(no_ea, imb):
    circ = T._mzm_with_ideal_combiner.__wrapped__(1500.0, imb)
    im = T.im_metrics(circuit=circ, tm_floor_dB=float("inf"))
    r = 10 ** (imb / 10) / (1 + 10 ** (imb / 10))
    assert im["visibility_dB"] == pytest.approx(er_split(r), abs=0.05)


def test_tm_leakage_floor_caps_extinction():
    """ER_eff = -10 log10(10^(-ER/10) + 10^(-floor/10)): 3 dB below the floor when ER equals it."""
    assert float(T._with_tm_floor(T.TM_LEAKAGE_DB)) == pytest.approx(T.TM_LEAKAGE_DB - 10 * math.log10(2))
    assert float(T._with_tm_floor(20.0)) == pytest.approx(20.0, abs=0.05)
    assert float(T._with_tm_floor(80.0)) < T.TM_LEAKAGE_DB


def test_driving_the_compensating_arm_raises_extinction():
    """EA loss on the driven arm offsets the combiner imbalance only on the bottom arm."""
    top = T.im_metrics(drive_arm="top", tm_floor_dB=float("inf"))["visibility_dB"]
    bot = T.im_metrics(drive_arm="bottom", tm_floor_dB=float("inf"))["visibility_dB"]
    assert bot > top + 1.0


def test_im_circuit_passive():
    im = T.im_metrics()
    assert im["t_max"] <= 1.0 and im["t_min"] >= 0.0


@pytest.fixture(scope="module")
def default():
    return T.evaluate_transmitter()


def test_default_chip_targets(default):
    assert default["vpi_V"] == pytest.approx(5.8, rel=0.10)
    assert default["im_visibility_dB"] == pytest.approx(33.8, abs=2.0)
    assert default["dbr_tuning_range_nm"] >= 3.2
    assert set(range(-5, 9)) <= set(default["reachable_comb_lines"])
    assert default["chip_size_um"] == [4600.0, 2000.0]
    assert default["n_modulators"] == 4


def test_states_from_the_circuit(default):
    assert default["decoy_over_signal"] == pytest.approx(T.SNS_TARGETS["decoy_over_signal"], rel=0.05)
    assert default["vacuum_over_signal"] < 1e-2
    assert default["not_sending_extinction_dB"] > 25.0
    assert default["quantum_path_transmission_dB"] < 0


def test_batch_matches_circuit_at_nominal(default):
    b = T.transmitter_metrics_batch()
    assert float(b["vpi_V"]) == pytest.approx(default["vpi_V"], rel=1e-6)
    assert float(b["im_visibility_dB"]) == pytest.approx(default["im_visibility_dB"], abs=1.5)
    assert float(b["dbr_tuning_range_nm"]) == pytest.approx(default["dbr_tuning_range_nm"], rel=1e-6)


def test_batch_monte_carlo_reproduces_paper_spread():
    from qchipnet.pdk import get_platform

    proc = get_platform("inp").process
    rng = np.random.default_rng(1)
    n = 4000

    def draw(name, lo=-np.inf, hi=np.inf):
        p = proc[name]
        return np.clip(p.nominal + p.sigma_total * rng.standard_normal(n), lo, hi)

    b = T.transmitter_metrics_batch(
        width_bias_um=draw("width_bias_um"), deep_etch_below_core_um=draw("deep_etch_below_core_um", 0.8, 1.2),  # table grid
        core_thickness_um=draw("core_thickness_um", 0.45, 0.55), core_bandgap_um=draw("core_bandgap_um"),
        mmi_width_bias_um=np.clip(draw("mmi_width_bias_um"), -0.3, 0.3),
        arm_loss_imbalance_dB=np.abs(draw("arm_loss_imbalance_dB")), eo_coefficient_rel=np.exp(draw("eo_coefficient_ln")),
        grating_period_error_nm=draw("grating_period_error_nm"))
    assert b["vpi_V"].shape == (n,)
    assert np.mean(b["vpi_V"]) == pytest.approx(5.8, abs=0.6)
    # the EO-coefficient spread is calibrated (pdk/inp/process.py) to the paper's V_pi spread
    assert 0.8 < np.std(b["vpi_V"]) < 1.8
    assert np.std(b["im_visibility_dB"]) > 2.0
    assert np.all(np.isfinite(b["im_visibility_dB"])) and np.all(b["dbr_tuning_range_nm"] > 3.0)


def test_cli_json():
    from typer.testing import CliRunner

    from qchipnet.cli import app

    r = CliRunner().invoke(app, ["transmitter", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    for k in ("vpi_V", "im_visibility_dB", "im_insertion_loss_dB", "pm_insertion_loss_dB", "dbr_tuning_range_nm",
              "reachable_comb_lines", "chip_size_um", "n_modulators"):
        assert k in d
