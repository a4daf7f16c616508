"""Transmitter: MZI physics of the IM cell's sax circuit, the report from the batch evaluator,
default-chip targets, the Monte Carlo spread, CLI."""

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


def _mzm_with_ideal_combiner(imbalance_dB: float):
    """The IM cell's circuit with its 2x2 MMI replaced by an ideal coupler of the given imbalance."""
    import jax.numpy as jnp
    import sax

    from qchipnet.components.inp import mzm
    from qchipnet.constants import LAMBDA0_UM
    from qchipnet.pdk import activated

    r = 10 ** (imbalance_dB / 10) / (1 + 10 ** (imbalance_dB / 10))

    def coupler(*, wl=LAMBDA0_UM, width_error=0.0):
        t, k = jnp.sqrt(r) * jnp.ones_like(jnp.asarray(wl, dtype=float)), 1j * jnp.sqrt(1 - r)
        return sax.reciprocal({("o1", "o4"): t, ("o2", "o3"): t, ("o1", "o3"): k, ("o2", "o4"): k})

    with activated("inp"):
        nets = mzm(pm_length=1500.0).get_netlist(recursive=True)
    models = T._models(nets)
    models["mmi2x2"] = coupler
    nets = {k: T._optical(v) for k, v in nets.items() if k not in models}
    return sax.circuit(nets, models=models, backend="klu")[0]


@pytest.mark.parametrize("a_dB", [0.1, 0.3, 0.7])
def test_ideal_5050_mzi_reaches_the_loss_imbalance_ceiling(no_ea, a_dB):
    """Ideal 50:50 couplers: ER = ((1+a)/(1-a))^2 with a the arm field-amplitude ratio."""
    im = T.im_metrics(circuit=_mzm_with_ideal_combiner(0.0), arm_loss_imbalance_dB=a_dB, tm_floor_dB=float("inf"))
    a = 10 ** (-a_dB / 20)
    # the splitter is the 1x2 MMI model (exactly 50:50 by symmetry)
    assert im["visibility_dB"] == pytest.approx(10 * math.log10(((1 + a) / (1 - a)) ** 2), abs=0.05)


@pytest.mark.parametrize("imb", [0.19, 0.35, 0.68])
def test_visibility_vs_imbalance_closed_form(no_ea, imb):
    im = T.im_metrics(circuit=_mzm_with_ideal_combiner(imb), tm_floor_dB=float("inf"))
    r = 10 ** (imb / 10) / (1 + 10 ** (imb / 10))
    assert im["visibility_dB"] == pytest.approx(er_split(r), abs=0.05)


def test_tm_leakage_floor_caps_extinction():
    """ER_eff = -10 log10(10^(-ER/10) + 10^(-floor/10)): 3 dB below the floor when ER equals it."""
    from qchipnet.circuits.devices import TM_LEAKAGE_DB, _tm_floor

    assert float(_tm_floor(TM_LEAKAGE_DB)) == pytest.approx(TM_LEAKAGE_DB - 10 * math.log10(2))
    assert float(_tm_floor(20.0)) == pytest.approx(20.0, abs=0.05)
    assert float(_tm_floor(80.0)) < TM_LEAKAGE_DB


def test_driving_the_compensating_arm_raises_extinction():
    """EA loss on the driven arm offsets the combiner imbalance only on the bottom arm."""
    top = T.im_metrics(drive_arm="top", tm_floor_dB=float("inf"))["visibility_dB"]
    bot = T.im_metrics(drive_arm="bottom", tm_floor_dB=float("inf"))["visibility_dB"]
    assert bot > top + 1.0


def test_im_circuit_passive():
    im = T.im_metrics()
    assert im["t_max"] <= 1.0 and im["t_min"] >= 0.0


TX0 = dict(die_width_um=4600.0, die_height_um=2000.0, pm_length_um=1500.0, voa_length_um=500.0, ridge_width_um=1.5)


@pytest.fixture(scope="module")
def default():
    return T.transmitter_report(TX0)


def test_default_chip_targets(default):
    assert default["vpi_V"] == pytest.approx(5.8, rel=0.10)
    assert default["im_visibility_dB"] == pytest.approx(33.8, abs=2.0)
    assert default["dbr_tuning_range_nm"] >= 3.2  # continuous (current) tuning; the TEC window is separate
    assert default["dbr_tec_window_nm"] > 0
    assert set(range(-5, 9)) <= set(default["reachable_comb_lines"])
    assert default["chip_size_um"] == [4600.0, 2000.0]
    assert default["n_modulators"] == 4 and default["n_eo_phase_sections"] == 7
    assert set(T.JSON_KEYS) == set(default)


def test_states_of_im_ii_and_iii(default):
    assert default["decoy_over_signal"] == pytest.approx(T.SNS_TARGETS["decoy_over_signal"], rel=1e-6)
    assert default["vacuum_over_signal"] < 1e-2
    assert default["not_sending_extinction_dB"] > 25.0
    assert -30 < default["quantum_path_transmission_dB"] < 0 and -30 < default["reference_path_transmission_dB"] < 0


def test_batch_monte_carlo_reproduces_paper_spread():
    from qchipnet.circuits.devices import INP_OFFSETS, domain_clip, transmitter_metrics
    from qchipnet.pdk import get_platform

    proc = get_platform("inp").process
    rng = np.random.default_rng(1)
    n = 4000
    off = {k: proc[k].sigma_total * rng.standard_normal(n) for k in INP_OFFSETS}
    off, clipped = domain_clip("inp", TX0, off, proc)
    b = transmitter_metrics(TX0, off)
    assert b["vpi_V"].shape == (n,)
    assert clipped.mean() < 1e-3
    assert np.mean(b["vpi_V"]) == pytest.approx(5.8, abs=0.6)
    # the EO-coefficient spread is calibrated (pdk/inp/process.py) to the paper's V_pi spread
    assert 0.8 < np.std(b["vpi_V"]) < 1.8
    # calibrated (pdk/inp/process.py mmi_width_bias_um) to the article's working IMs: 34.7 +- 1.4 dB
    assert 0.8 < np.std(b["im_visibility_dB"]) < 3.0
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
    r2 = CliRunner().invoke(app, ["transmitter", "--json", "--pm-length-um", "1000"])
    assert r2.exit_code == 0, r2.output
    assert json.loads(r2.output)["vpi_V"] > d["vpi_V"] * 1.3  # shorter PM, higher V_pi (about L0 / L)
