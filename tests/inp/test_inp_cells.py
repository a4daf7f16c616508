"""Cells of the InP platform: GDS regression, settings, ports, DRC, parameter validation."""

from __future__ import annotations

import inspect

import pytest
from hypothesis import given, settings, strategies as st

from qchipnet.components.chips import transmitter_chip
from qchipnet.components.inp import CELLS
from qchipnet.models.inp import MODELS
from qchipnet.pdk import activated
from qchipnet.pdk.drc import check_component


@pytest.fixture(autouse=True)
def _inp():
    with activated("inp"):
        yield


ALL = {**CELLS, "transmitter_chip": transmitter_chip}


@pytest.mark.parametrize("name", sorted(ALL))
def test_gds(name, gds_regression):
    gds_regression(ALL[name](), name, "inp")


@pytest.mark.parametrize("name", sorted(ALL))
def test_settings(name, data_regression):
    c = ALL[name]()
    data_regression.check({"settings": dict(c.settings), "info": dict(c.info),
                           "ports": {p.name: [list(p.dcenter), p.orientation, p.port_type] for p in c.ports}})


@pytest.mark.parametrize("name", sorted(ALL))
def test_ports_on_grid_and_manhattan(name):
    for p in ALL[name]().ports:
        assert p.orientation % 90 == 0, p
        x, y = p.dcenter
        assert abs(round(x * 1000) - x * 1000) < 1e-6 and abs(round(y * 1000) - y * 1000) < 1e-6


@pytest.mark.parametrize("name", sorted(ALL))
def test_drc_clean_default(name):
    r = check_component(ALL[name](), "inp")
    assert r.clean, r.violations


@settings(max_examples=4, deadline=None)
@given(pm=st.floats(800, 1700), delta=st.sampled_from([0.0, 450.0, 800.0]), spacing=st.floats(70, 150))
def test_mzm_sweep_drc_clean(pm, delta, spacing):
    with activated("inp"):
        c = CELLS["mzm"](pm_length=round(pm), delta_length=delta, arm_spacing=round(spacing))
        r = check_component(c, "inp")
    assert r.clean, r.violations


@settings(max_examples=2, deadline=None)
@given(pm=st.sampled_from([1000.0, 1300.0]), width=st.sampled_from([4600.0, 5200.0]))
def test_chip_sweep_drc_clean(pm, width):
    with activated("inp"):
        r = check_component(transmitter_chip(pm_length_um=pm, die_width_um=width), "inp")
    assert r.clean, r.violations


def test_chip_topology_and_size():
    c = transmitter_chip()
    assert c.dbbox().width() == pytest.approx(4600) and c.dbbox().height() == pytest.approx(2000)
    names = {p.name for p in c.ports}
    assert {"o_q", "o_ref", "rear_q", "rear_ref"} <= names
    assert c.info["n_pads"] == 22
    inst = c.get_netlist()["instances"]
    assert {"laser_q", "laser_ref", "im1", "im2", "im3", "pm", "voa"} <= set(inst)


def test_chip_info_publishes_design_names_and_drawn_geometry():
    """The chip takes the design's names and publishes them, plus the geometry its evaluator needs,
    read from the drawn sub-cells."""
    c = transmitter_chip(pm_length_um=1100.0, voa_length_um=800.0, ridge_width_um=1.8)
    info = c.info
    assert (info["pm_length_um"], info["voa_length_um"], info["ridge_width_um"]) == (1100.0, 800.0, 1.8)
    assert (info["die_width_um"], info["die_height_um"]) == (4600.0, 2000.0)
    split, comb = c.insts["im1"].cell.insts["split"].cell, c.insts["im1"].cell.insts["comb"].cell
    assert (info["mmi1x2_width_um"], info["mmi1x2_length_um"]) == (split.info["width"], split.info["length"])
    assert (info["mmi2x2_width_um"], info["mmi2x2_length_um"], info["mmi2x2_access_um"]) == \
        (comb.info["width"], comb.info["length"], comb.info["access_width"])
    las = c.insts["laser_q"].cell.info
    assert (info["laser_rear_dbr_um"], info["laser_gain_um"], info["laser_phase_um"], info["laser_front_dbr_um"]) == \
        (las["rear_dbr_length"], las["gain_length"], las["phase_length"], las["front_dbr_length"])
    # the ridge width reaches every deep ridge: modulators, VOA, turns, output guides, laser ends
    for name in ("pm", "voa", "out_q_wg", "out_ref_wg", "turn0s"):
        assert c.insts[name].cell.info["width"] == pytest.approx(1.8), name
    assert c.insts["im2"].cell.settings["width"] == 1.8
    assert c.insts["laser_q"].ports["o2"].width == pytest.approx(1.8)


@pytest.mark.parametrize("factory, kw, word", [
    ("mmi2x2", {"access_width": 2.4}, "DEEP.S.1"),
    ("bend_deep", {"radius": 120.0}, "100"),
    ("phase_modulator", {"length": 10.0}, "length = 10"),
    ("dbr_laser", {"grating_period": 260.0}, "grating_period = 260"),
    ("mzm", {"delta_length": 100.0}, "delta_length = 100"),
])
def test_bad_geometry_is_rejected_with_the_limit(factory, kw, word):
    with pytest.raises(ValueError, match=word):
        CELLS[factory](**kw)


def test_chip_rejects_too_small_die():
    with pytest.raises(ValueError, match=r"die_width_um = 4000 um is outside the allowed range \[4382\.582, 10000\]"):
        transmitter_chip(die_width_um=4000.0)


@pytest.mark.parametrize("name", sorted(set(CELLS) & set(MODELS)))
def test_info_names_are_model_parameters(name):
    """Every geometric quantity the model needs is published in info under the model's name."""
    c = CELLS[name]()
    params = set(inspect.signature(MODELS[name]).parameters) - {"wl"}
    geometric = {p for p in params if "length" in p or p in ("width", "access_width")}
    have = set(c.info.model_dump()) | set(c.settings.model_dump())
    assert geometric <= have, (name, geometric - have)
