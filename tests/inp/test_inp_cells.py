"""Cells of the InP platform: GDS regression, settings, ports, DRC, parameter validation."""

from __future__ import annotations

import inspect

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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


#: A non-default laser of the design (short rear DBR, long gain, short phase and front sections, another period).
DBR_DESIGN = {"dbr_grating_period_nm": 239.2, "dbr_rear_length_um": 150.0, "dbr_gain_length_um": 650.0,
              "dbr_phase_length_um": 60.0, "dbr_front_length_um": 56.0}


def test_chip_draws_the_designs_laser_drc_and_lvs_clean():
    """The masks follow the design's DBR fields: both lasers drawn with its sections and period, the chip
    (at its smallest die for them) DRC- and LVS-clean, every net from electrode to pad."""
    import klayout.db as kdb
    from qchipnet.components.floorplan import transmitter_chip_limits
    from qchipnet.pdk.inp.tech import LAYER
    from qchipnet.pdk.lvs import check_lvs_component

    lim = transmitter_chip_limits(**DBR_DESIGN)
    # every device east of the lasers moves with the laser length (916 um here, the article's 950 um)
    shift = sum(DBR_DESIGN[k] for k in DBR_DESIGN if k.endswith("_um")) - 950.0
    assert lim["die_width_um"][0] == pytest.approx(transmitter_chip_limits()["die_width_um"][0] + shift, abs=1e-6)
    c = transmitter_chip(**DBR_DESIGN, die_width_um=lim["die_width_um"][0], die_height_um=lim["die_height_um"][0])
    info = c.info
    assert (info["laser_rear_dbr_um"], info["laser_gain_um"], info["laser_phase_um"], info["laser_front_dbr_um"],
            info["laser_grating_period_nm"]) == (150.0, 650.0, 60.0, 56.0, 239.2)
    for name in ("laser_q", "laser_ref"):
        las = c.insts[name].cell
        assert las.settings["grating_period"] == 239.2
        # the two GRATING windows are the rear and front DBR sections as drawn
        region = kdb.Region(las.begin_shapes_rec(las.kcl.layer(*LAYER.GRATING)))
        lengths = sorted(round(p.bbox().width() * las.kcl.dbu, 3) for p in region.each())
        assert lengths == [56.0, 150.0], (name, lengths)
    r = check_component(c, "inp")
    assert r.clean, r.violations
    lvs = check_lvs_component(c, "inp")
    assert lvs.status == "clean" and lvs.nets == 22 and lvs.extracted_nets == 22, lvs.to_json()


def test_laser_pads_fit_for_every_section_length_the_floorplan_accepts():
    """Sweep of the laser's section ranges (with PM/VOA extremes): the only laser constraint of the
    floorplan is the phase + front-DBR pad pitch; everything else allocates."""
    import itertools

    from qchipnet.components.floorplan import (
        LASER_PAD_MIN_PHASE_FRONT_UM,
        TX_DBR_RANGES,
        transmitter_floorplan,
    )
    from qchipnet.validate import InputError

    r = TX_DBR_RANGES
    for rear, gain, ph, fr in itertools.product(r["dbr_rear_length_um"], r["dbr_gain_length_um"],
                                                (50.0, 86.0, 400.0), (30.0, 66.0, 400.0)):
        dbr = {"dbr_rear_length_um": rear, "dbr_gain_length_um": gain, "dbr_phase_length_um": ph,
               "dbr_front_length_um": fr}
        for pm, voa in ((500.0, 1500.0), (1700.0, 100.0)):
            if ph + fr >= LASER_PAD_MIN_PHASE_FRONT_UM:
                fp = transmitter_floorplan(pm, voa, 1.5, **dbr)
                assert fp.laser_length_um == pytest.approx(100.0 + rear + gain + ph + fr + 100.0)
            else:
                with pytest.raises(InputError, match=r"dbr_front_length_um = .* allowed range \[.*pads"):
                    transmitter_floorplan(pm, voa, 1.5, **dbr)
