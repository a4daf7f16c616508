"""The ring report (batch evaluator), the ring circuit built from the cell netlist, and ``qchipnet ring``."""

from __future__ import annotations

import json
import math

import jax.numpy as jnp
import numpy as np
import pytest

from qchipnet.circuits import ring as cr
from qchipnet.constants import C_M_PER_S, COMB_FSR_GHZ, LAMBDA0_UM
from qchipnet.models import sin as m
from qchipnet.validate import InputError


RING0 = dict(radius_um=997.711, width_um=2.8, gap_um=1.99, thickness_nm=100.0, bus_width_um=2.8)


@pytest.fixture(scope="module")
def default():
    from qchipnet.design import default_design

    return cr.ring_report(default_design().server_ring.model_dump())


def test_default_design_fsr_and_normal_dispersion(default):
    assert default["fsr_GHz"] == pytest.approx(COMB_FSR_GHZ, rel=1e-3)
    assert default["D2_over_2pi_kHz"] < 0 and default["beta2_ps2_per_km"] > 0
    assert set(cr.JSON_KEYS) == set(default)
    json.dumps(default)


def test_fsr_is_c_over_ng_L(default):
    L = 2 * math.pi * default["radius_um"] * 1e-6
    assert default["fsr_GHz"] * 1e9 == pytest.approx(C_M_PER_S / (default["n_g"] * L), rel=1e-12)


def test_intrinsic_q_follows_ng_over_alpha(default):
    alpha = default["loss_dB_per_m"] / (10 / math.log(10))
    q = 2 * math.pi * default["n_g"] / (LAMBDA0_UM * 1e-6 * alpha)
    assert default["q_intrinsic"] == pytest.approx(q, rel=2e-4)  # evaluated at the pump resonance
    # one loss story (physics.md 1.1): the ring-mode loss reproduces the article's Q_i = 20.0 M,
    # the straight guides keep the article's 1.7 dB/m
    assert default["q_intrinsic"] == pytest.approx(20.0e6, rel=0.01)
    assert default["ring_loss_dB_per_m"] == pytest.approx(1.40) and default["straight_loss_dB_per_m"] == 1.7
    assert "1.4 dB/m" in default["loss_note"] and "1.7 dB/m" in default["loss_note"]


def test_loaded_q_and_regime(default):
    assert 1 / default["q_loaded"] == pytest.approx(1 / default["q_intrinsic"] + 1 / default["q_coupling"], rel=1e-12)
    assert default["coupling_regime"] in {"under", "critical", "over"}
    assert 1.5 < default["critical_gap_um"] < 2.5  # physics.md 1.3: about 2 um
    assert abs(default["gap_um"] - default["critical_gap_um"]) < 0.01  # the default design is critically coupled
    assert default["coupling_regime"] == "critical"


def test_dint_and_comb_grid(default):
    mus, dint = np.array(default["mode_numbers"]), np.array(default["D_int_over_2pi_MHz"])
    assert mus.min() <= -10 and mus.max() >= 10
    fit = np.polyfit(mus, dint, 2)[0] * 2 * 1e3  # D2/2pi in kHz from D_int = D2 mu^2/2
    assert fit == pytest.approx(default["D2_over_2pi_kHz"], rel=0.02)
    lines = default["comb_lines_nm"]
    assert sorted(int(k) for k in lines) == list(range(-5, 9))
    dnu = C_M_PER_S / (lines["0"] * 1e-9) - C_M_PER_S / (lines["1"] * 1e-9)
    assert -dnu / 1e9 == pytest.approx(default["fsr_GHz"], rel=1e-3)


def test_sax_spectrum_equals_closed_form():
    R, w, g, t = 500.0, 2.8, 1.5, 100.0
    ring = dict(radius_um=R, width_um=w, gap_um=g, thickness_nm=t, bus_width_um=w)
    spec = cr.ring_spectrum(ring, n_linewidths=5.0, npoints=201)
    wl = spec["wl_um"]
    from qchipnet.pdk.sin.geometry import point_coupler_length_um

    Ks = np.asarray(m.point_coupling(wl=jnp.asarray(wl), radius_um=R, width_um=w, bus_width_um=w, gap_um=g,
                                     thickness_nm=t, interaction_length_um=point_coupler_length_um(R, w)))
    L = 2 * math.pi * R
    phi = 2 * np.pi * np.asarray(m.neff(jnp.asarray(wl), w, t)) * L / wl
    a = 10 ** (-1.40 * L * 1e-6 / 20)  # ring-mode loss on the ring
    from qchipnet.components.sin import ring_coupler_point
    from qchipnet.pdk import activated

    with activated("sin"):
        bus_um = ring_coupler_point(radius=R, width=w, bus_width=w, gap=g, thickness_nm=t).info["bus_length_um"]
    a_bus2 = 10 ** (-1.7 * bus_um * 1e-6 / 10)  # the bus straight loses power at the straight-guide loss
    T = a_bus2 * np.asarray(cr.closed_form_allpass(phi, a, np.sqrt(1 - Ks)))
    np.testing.assert_allclose(spec["T"], T, atol=1e-6)
    assert spec["T"].min() < 0.5  # the window does contain the resonance


def test_sax_adddrop_equals_closed_form():
    from qchipnet.components.sin import ring_adddrop
    from qchipnet.pdk import activated

    R, w, g1, g2, t, loss = 500.0, 2.8, 1.5, 2.0, 100.0, 20.0
    with activated("sin"):
        cell = ring_adddrop(radius=R, width=w, bus_width=w, gap=g1, gap_drop=g2, thickness_nm=t)
    fn, net = cr.ring_circuit(cell)
    L = cr.drawn_ring_length_um(net)
    from qchipnet.circuits.devices import ring_metrics

    wl0 = float(ring_metrics(dict(radius_um=R, width_um=w, gap_um=g1, thickness_nm=t, bus_width_um=w))[
        "resonance_wl_nm"]) * 1e-3
    wl = wl0 + np.linspace(-30e-6, 30e-6, 121)
    s = fn(wl=jnp.asarray(wl), **{k: {"loss_dB_per_m": loss, **({"bus_loss_dB_per_m": loss} if k.startswith(
        "coupler") else {})} for k in net["instances"]})
    from qchipnet.pdk.sin.geometry import point_coupler_length_um

    win = point_coupler_length_um(R, w)
    K1, K2 = (np.asarray(m.point_coupling(wl=jnp.asarray(wl), radius_um=R, width_um=w, bus_width_um=w, gap_um=g,
                                           thickness_nm=t, interaction_length_um=win)) for g in (g1, g2))
    r1, r2 = np.sqrt(1 - K1), np.sqrt(1 - K2)
    a = 10 ** (-loss * L * 1e-6 / 20)
    c = np.cos(2 * np.pi * np.asarray(m.neff(jnp.asarray(wl), w, t)) * L / wl)
    den = 1 - 2 * r1 * r2 * a * c + (r1 * r2 * a) ** 2
    bus = net["instances"]["coupler"]["info"]["bus_length_um"]
    pb2 = 10 ** (-loss * bus * 1e-6 / 10)  # power through one coupler's bus straight
    T_thr = pb2 * (r2**2 * a**2 - 2 * r1 * r2 * a * c + r1**2) / den
    T_drop = pb2 * (1 - r1**2) * (1 - r2**2) * a / den
    np.testing.assert_allclose(np.abs(np.asarray(s["o1", "o2"])) ** 2, T_thr, atol=1e-6)
    np.testing.assert_allclose(np.abs(np.asarray(s["o1", "o3"])) ** 2, T_drop, atol=1e-6)
    assert T_drop.max() > 0.01  # the window holds the drop resonance


def test_gap_and_width_move_the_coupling_the_way_physics_says(default):
    from qchipnet.circuits.devices import ring_metrics

    b = ring_metrics({**RING0, "gap_um": np.array([RING0["gap_um"], 1.8, 2.2])})
    assert b["fsr_GHz"].shape == (3,)
    assert float(b["q_coupling"][0]) == pytest.approx(default["q_coupling"], rel=1e-12)
    assert float(b["q_coupling"][1]) < float(b["q_coupling"][0]) < float(b["q_coupling"][2])  # Q_c grows with gap


def test_thickness_sensitivity_of_fsr():
    from qchipnet.circuits.devices import ring_metrics

    b = ring_metrics({**RING0, "thickness_nm": np.array([99.0, 100.0, 101.0])})
    dfsr_MHz = float(b["fsr_GHz"][2] - b["fsr_GHz"][0]) / 2 * 1e3
    assert -60 < dfsr_MHz < -25  # physics.md 1.4: -43 MHz/nm


def test_out_of_range_inputs_are_errors():
    from qchipnet.circuits.devices import ring_metrics

    with pytest.raises(InputError, match="thickness_nm = 250"):
        ring_metrics({**RING0, "thickness_nm": 250.0})
    with pytest.raises(InputError, match="gap_um = 0.5"):
        ring_metrics({**RING0, "gap_um": 0.5})


def test_cli_ring_json_and_plot(tmp_path):
    from typer.testing import CliRunner

    from qchipnet.cli import app

    png = tmp_path / "ring.png"
    r = CliRunner().invoke(app, ["ring", "--json", "--plot", str(png)])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["fsr_GHz"] == pytest.approx(30.03, rel=1e-3) and d["D2_over_2pi_kHz"] < 0
    assert set(cr.JSON_KEYS) == set(d)
    assert png.stat().st_size > 1000


def test_cli_ring_takes_its_defaults_from_the_design(tmp_path):
    from typer.testing import CliRunner

    from qchipnet.cli import app

    f = tmp_path / "d.yaml"
    f.write_text("server_ring: {gap_um: 1.6}\n")
    r = CliRunner().invoke(app, ["ring", "--json", "--design", str(f)])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["gap_um"] == 1.6 and d["coupling_regime"] == "over"
    r2 = CliRunner().invoke(app, ["ring", "--json", "--design", str(f), "--gap-um", "2.4"])
    assert json.loads(r2.output)["coupling_regime"] == "under"


def test_cli_modes_show():
    from typer.testing import CliRunner

    from qchipnet.cli import app

    r = CliRunner().invoke(app, ["modes", "show", "--platform", "sin"])
    assert r.exit_code == 0, r.output
    assert "sin_straight" in r.output and "inputs_hash" in r.output
