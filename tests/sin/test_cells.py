"""Si3N4 cells: GDS regression, settings, ports, DRC, rejection of invalid geometry, info <-> model names."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from qchipnet.components.chips import server_chip
from qchipnet.components.sin import CELLS, ring_adddrop, ring_allpass, ring_coupler_point, ring_coupler_pulley
from qchipnet.models.sin import MODELS
from qchipnet.pdk import activated
from qchipnet.validate import InputError

# small-radius variants keep the GDS references small; the default chip is checked by DRC below
SMALL = dict(radius=500.0)
REGRESSION_CASES = {
    "ring_arc": lambda: CELLS["ring_arc"](**SMALL),
    "ring_coupler_point": lambda: ring_coupler_point(**SMALL),
    "ring_coupler_pulley": lambda: ring_coupler_pulley(**SMALL, pulley_angle_deg=12.0),
    "ring_allpass": lambda: ring_allpass(**SMALL),
    "ring_allpass_pulley": lambda: ring_allpass(**SMALL, coupler="pulley", bus_width=2.2, gap=1.5),
    "ring_adddrop": lambda: ring_adddrop(**SMALL, gap_drop=2.5),
    "heater_ring": lambda: CELLS["heater_ring"](radius=500.0),
    "edge_coupler": lambda: CELLS["edge_coupler"](),
    "bus_straight": lambda: CELLS["bus_straight"](),
    "server_chip_small": lambda: server_chip(radius_um=500.0, die_width_um=2000.0, die_height_um=1700.0),
}


@pytest.fixture(autouse=True)
def _sin_pdk():
    with activated("sin"):
        yield


@pytest.mark.parametrize("name", sorted(REGRESSION_CASES))
def test_gds(name, gds_regression):
    gds_regression(REGRESSION_CASES[name](), name, "sin")


@pytest.mark.parametrize("name", sorted(REGRESSION_CASES))
def test_settings(name, data_regression):
    c = REGRESSION_CASES[name]()
    data_regression.check({"name": c.name, "settings": dict(c.settings), "info": dict(c.info),
                           "ports": {p.name: [list(p.center), p.width, p.orientation] for p in c.ports}})


@pytest.mark.parametrize("name", sorted(REGRESSION_CASES))
def test_ports_on_grid_and_manhattan(name):
    c = REGRESSION_CASES[name]()
    for p in c.ports:
        assert p.orientation % 90 == 0, f"{name}.{p.name} orientation {p.orientation}"
        x, y = p.center
        assert abs(x * 1000 - round(x * 1000)) < 1e-6 and abs(y * 1000 - round(y * 1000)) < 1e-6


def _drc(c):
    from qchipnet.pdk.drc import check_component

    return check_component(c, "sin")


def test_default_server_chip_is_drc_clean():
    r = _drc(server_chip())
    assert r.clean, r.violations


@pytest.mark.parametrize("kw", [
    dict(), dict(gap=0.8), dict(radius=400.0, width=2.0, bus_width=2.0), dict(coupler="pulley", bus_width=2.2, gap=1.5),
    dict(coupler="pulley", pulley_angle_deg=30.0, gap=1.0, bus_width=2.8), dict(width=3.2, heater_width=10.0),
    dict(heater=False, gap=4.0),
])
def test_ring_sweep_is_drc_clean(kw):
    r = _drc(ring_allpass(**kw))
    assert r.clean, (kw, r.violations)


def test_adddrop_and_edge_coupler_drc_clean():
    assert _drc(ring_adddrop(gap=1.0, gap_drop=3.0)).clean
    assert _drc(CELLS["edge_coupler"](tip_width=0.25, length=1000.0)).clean


@pytest.mark.parametrize("kw, match", [
    (dict(gap=0.5), r"gap = 0\.5 um .*\[0\.8, 10\]"),
    (dict(radius=300.0), r"radius = 300 .*\[400, 10000\]"),
    (dict(bus_width=3.5), r"bus_width = 3\.5 .*\[0\.25, 2\.8\]"),
    (dict(coupler="pulley", pulley_angle_deg=90.0), r"pulley_angle_deg = 90"),
    (dict(heater_width=1.0), r"width = 1 um .*\[2, 50\]"),
])
def test_invalid_geometry_rejected_with_value_and_limit(kw, match):
    with pytest.raises(InputError, match=match):
        ring_allpass(**kw)


def test_chip_size_is_validated():
    with pytest.raises(InputError, match=r"die_width_um = 2000 um is outside the allowed range \[2810, 20000\]"):
        server_chip(die_width_um=2000.0)


def test_chip_draws_the_bus_width():
    """bus_width_um reaches the coupler bus, the bus straights and the edge couplers."""
    c = server_chip(radius_um=500.0, width_um=2.8, bus_width_um=2.2, die_width_um=2000.0, die_height_um=1700.0)
    assert c.info["bus_width_um"] == 2.2 and c.info["width_um"] == 2.8
    assert c.insts["ring"].cell.info["bus_width_um"] == 2.2
    for name in ("bus_in", "bus_out"):
        assert c.insts[name].cell.info["width_um"] == 2.2
    for name in ("ec_in", "ec_out"):
        assert c.insts[name].ports["o2"].width == pytest.approx(2.2)
    assert _drc(c).clean


def test_default_chip_contents():
    c = server_chip()
    net = c.get_netlist()
    comps = sorted(v["component"] for v in net["instances"].values())
    assert comps == ["bus_straight", "bus_straight", "edge_coupler", "edge_coupler", "ring_allpass", "text"]
    assert {p.name for p in c.ports} == {"o1", "o2", "e1", "e2"}
    assert "R=997.711um" in c.info["label"]


@pytest.mark.parametrize("cell_name", sorted(MODELS))
def test_cell_info_names_match_model_parameters(cell_name):
    """A cell publishes exactly what its model takes: drift between the two fails here."""
    params = set(inspect.signature(MODELS[cell_name]).parameters)
    kw = SMALL if "radius" in inspect.signature(CELLS[cell_name]).parameters else {}
    info = set(dict(CELLS[cell_name](**kw).info))
    assert info <= params, f"{cell_name}: info keys {info - params} are not parameters of its model"
    geometric = params - {"wl", "loss_dB_per_m", "bus_loss_dB_per_m", "delta_T_K", "facet_loss_dB"}
    assert geometric <= info, f"{cell_name}: model parameters {geometric - info} are not published by the cell"


def test_ring_netlist_is_the_circuit():
    net = ring_allpass(**SMALL).get_netlist()
    comps = {k: v["component"] for k, v in net["instances"].items()}
    assert comps == {"coupler": "ring_coupler_point", "ring": "ring_arc", "heater": "heater_ring"}
    pairs = {tuple(sorted((n["p1"], n["p2"]))) for n in net["nets"]}
    assert pairs == {("coupler,o3", "ring,o1"), ("coupler,o4", "ring,o2")}


def test_large_ring_polygons_stay_below_gds_vertex_limit():
    c = ring_allpass()
    counts = [p.num_points() for polys in c.get_polygons(merge=False, by="index").values() for p in polys]
    assert max(counts) < 4000 and np.sum(counts) > 4000
