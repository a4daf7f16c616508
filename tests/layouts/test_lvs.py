"""LVS: the chips' electrical nets (gdsfactory netlist, pin labels) against KLayout's extraction.

Seeded faults: a cut METAL2 route must be reported as an open of exactly that net (naming its pad and
electrode), an extra METAL2 bridge between two pads as a short of exactly those two nets; the same on
the Si3N4 heater (METAL lead cut, pads bridged). A wafer is checked die cell by die cell.
"""

from __future__ import annotations

import warnings

import klayout.db as kdb
import pytest
from qchipnet.components.chips import server_chip, transmitter_chip
from qchipnet.pdk import activated, get_platform
from qchipnet.pdk.lvs import (
    PAD_TAG,
    PIN_TAG,
    check_lvs_component,
    check_lvs_gds,
    check_lvs_layout,
)


@pytest.fixture(scope="module")
def tx():
    with activated("inp"):
        return transmitter_chip()


@pytest.fixture(scope="module")
def srv():
    with activated("sin"):
        return server_chip()


def _flat(component, tmp_path):
    """(layout, top cell, {label text: DPoint}) of the component's GDS, flattened."""
    p = tmp_path / "chip.gds"
    component.write_gds(p, with_metadata=False)
    ly = kdb.Layout()
    ly.read(str(p))
    top = ly.top_cell()
    top.flatten(True)
    labels = {}
    for li in ly.layer_indexes():
        for s in top.shapes(li).each(kdb.Shapes.STexts):
            labels[s.text_string] = s.text_dpos
    return ly, top, labels


def _edit(ly, top, layer: tuple[int, int], box: kdb.DBox, add: bool) -> None:
    li = ly.layer(*layer)
    r = kdb.Region(top.shapes(li))
    b = kdb.Region(box.to_itype(ly.dbu))
    r = r + b if add else r - b
    top.shapes(li).clear(kdb.Shapes.SPolygons | kdb.Shapes.SBoxes | kdb.Shapes.SPaths)
    top.shapes(li).insert(r)


def _pos(labels: dict, tag: str, net: str) -> kdb.DPoint:
    return next(p for t, p in labels.items() if t.startswith(f"{tag}:{net}:"))


def test_transmitter_nets_in_gdsfactory_netlist_and_lvs_clean(tx):
    """Every electrode reaches its pad through a routed instance: the gdsfactory netlist holds the
    electrode - route - pad nets, and the extracted connectivity matches the declared netlist."""
    nets = tx.get_netlist()["nets"]
    declared = tx.info["nets"]
    assert len(declared) == tx.info["n_pads"] == 22
    for name, (pad, electrode) in declared.items():
        dev, port = electrode.split(".")
        route = f"route_{name}"
        pairs = {frozenset((n["p1"], n["p2"])) for n in nets}
        assert frozenset((f"{dev},{port}", f"{route},e1")) in pairs, name
        assert any(frozenset((f"{route},e2", f"{pad},{p}")) in pairs for p in ("e1", "e2")), name
    r = check_lvs_component(tx, "inp")
    assert r.status == "clean" and r.nets == 22 and r.extracted_nets == 22, r.to_json()


def test_no_unconnected_port_warnings():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with activated("inp"):
            transmitter_chip().get_netlist(recursive=True)
        with activated("sin"):
            server_chip().get_netlist(recursive=True)
    msgs = [str(x.message) for x in w if "Unconnected" in str(x.message)]
    assert not msgs, msgs


def test_seeded_open_and_short_on_transmitter(tx, tmp_path):
    ly, top, labels = _flat(tx, tmp_path)
    m2 = get_platform("inp").layers["METAL2"]
    # open: cut the route of pm_e1 just inside its pad (south pad: the route leaves the pad's top edge)
    pad = _pos(labels, PAD_TAG, "pm_e1")
    el = _pos(labels, PIN_TAG, "pm_e1")
    y = pad.y + (60.0 if el.y > pad.y else -60.0)
    _edit(ly, top, m2, kdb.DBox(pad.x - 15, y - 5, pad.x + 15, y + 5), add=False)
    # short: bridge the two north pads closest to each other among the laser II pads
    a, b = _pos(labels, PAD_TAG, "laser_ref_e1"), _pos(labels, PAD_TAG, "laser_ref_e2")
    _edit(ly, top, m2, kdb.DBox(min(a.x, b.x), a.y - 5, max(a.x, b.x), a.y + 5), add=True)
    r = check_lvs_layout(ly, "inp")
    assert r.status == "fail"
    assert [(o["net"], o["pad"], o["electrode"]) for o in r.opens] == [("pm_e1", "pad_pm_e1", "pm.e1")]
    assert [s["nets"] for s in r.shorts] == [["laser_ref_e1", "laser_ref_e2"]]
    assert r.shorts[0]["pads"] == ["pad_laser_ref_e1", "pad_laser_ref_e2"]
    assert any("pm_e1" in line and "open" in line for line in r.lines())


def test_seeded_open_and_short_on_server_heater(srv, tmp_path):
    metal = get_platform("sin").layers["METAL"]
    ly, top, labels = _flat(srv, tmp_path)
    a, b = _pos(labels, PAD_TAG, "heater_e1"), _pos(labels, PAD_TAG, "heater_e2")
    _edit(ly, top, metal, kdb.DBox(min(a.x, b.x), a.y - 5, max(a.x, b.x), a.y + 5), add=True)
    r = check_lvs_layout(ly, "sin")
    assert [s["nets"] for s in r.shorts] == [["heater_e1", "heater_e2"]] and not r.opens
    ly, top, labels = _flat(srv, tmp_path)
    pad = _pos(labels, PAD_TAG, "heater_e1")
    y = pad.y - 60.0  # the lead leaves the pad's bottom edge
    _edit(ly, top, metal, kdb.DBox(pad.x - 30, y - 5, pad.x + 30, y + 5), add=False)
    r = check_lvs_layout(ly, "sin")
    assert [o["net"] for o in r.opens] == ["heater_e1"] and not r.shorts


def test_wafer_checks_each_die_cell_once(tx, tmp_path):
    """Many placements of one die: one labelled cell, its 22 nets, no false opens between dies."""
    p = tmp_path / "chip.gds"
    tx.write_gds(p, with_metadata=False)
    ly = kdb.Layout()
    ly.read(str(p))
    die = ly.top_cell()
    wafer = ly.create_cell("WAFER")
    for k in range(3):
        wafer.insert(kdb.DCellInstArray(die.cell_index(), kdb.DTrans(k * 5000.0, 0.0)))
    out = tmp_path / "wafer.gds"
    ly.write(str(out))
    r = check_lvs_gds(out, "inp")
    assert r.status == "clean" and r.cells == [die.name] and r.nets == 22


def test_layout_without_labels_is_not_clean(tmp_path):
    ly = kdb.Layout()
    top = ly.create_cell("TOP")
    top.shapes(ly.layer(12, 0)).insert(kdb.Box(0, 0, 10000, 10000))
    r = check_lvs_layout(ly, "inp")
    assert r.status == "no_nets" and not r.clean


def test_missing_expected_net_is_an_open(tx):
    expected = dict(tx.info["nets"])
    expected["extra_e1"] = ["pad_extra", "extra.e1"]
    r = check_lvs_component(tx, "inp", expected=expected)
    assert [o["net"] for o in r.opens] == ["extra_e1"] and r.opens[0]["pieces"] == 0


def test_cli_drc_reports_lvs_and_fails_on_a_short(tx, tmp_path, capsys):
    import json
    import sys

    from qchipnet.cli import main

    def run(argv):
        with pytest.raises(SystemExit) as exc:
            main(argv)
            sys.exit(0)
        return exc.value.code or 0, capsys.readouterr().out

    good = tmp_path / "inp_chip.gds"
    tx.write_gds(good, with_metadata=False)
    code, out = run(["drc", str(good), "--platform", "inp", "--json"])
    res = json.loads(out)
    assert code == 0 and res["clean"] and res["lvs"]["status"] == "clean" and res["lvs"]["nets"] == 22
    ly, top, labels = _flat(tx, tmp_path)
    a, b = _pos(labels, PAD_TAG, "laser_ref_e1"), _pos(labels, PAD_TAG, "laser_ref_e2")
    _edit(ly, top, get_platform("inp").layers["METAL2"], kdb.DBox(min(a.x, b.x), a.y - 5, max(a.x, b.x), a.y + 5),
          add=True)
    bad = tmp_path / "inp_short.gds"
    ly.write(str(bad))
    code, out = run(["drc", str(bad), "--platform", "inp"])
    assert code == 1 and "LVS: fail" in out and "short laser_ref_e1 - laser_ref_e2" in out


def test_empty_layout_is_neither_drc_nor_lvs_clean(tmp_path):
    from qchipnet.pdk.drc import check_gds
    from qchipnet.validate import InputError

    ly = kdb.Layout()
    ly.create_cell("TOP")
    p = tmp_path / "empty.gds"
    ly.write(str(p))
    with pytest.raises(InputError, match="empty"):
        check_gds(p, "sin")
    assert check_lvs_gds(p, "sin").status == "no_nets"


@pytest.mark.parametrize("kw", [{"pm_length_um": 700.0, "voa_length_um": 1400.0, "ridge_width_um": 1.2},
                                {"pm_length_um": 1700.0, "voa_length_um": 150.0, "ridge_width_um": 2.0}])
def test_lvs_clean_across_the_floorplan_range(kw):
    """Other pad sides and positions (the floorplan moves PM/VOA pads): every net still reaches its pad."""
    from qchipnet.components.floorplan import transmitter_chip_limits

    lim = transmitter_chip_limits(**kw)
    with activated("inp"):
        c = transmitter_chip(**kw, die_width_um=lim["die_width_um"][0], die_height_um=lim["die_height_um"][0])
    r = check_lvs_component(c, "inp")
    assert r.status == "clean" and r.nets == 22 and r.extracted_nets == 22, r.to_json()


def test_gdsfactory_connectivity_form():
    from qchipnet.pdk.lvs import gf_connectivity

    assert gf_connectivity("inp") == [("PCONTACT", "METAL1"), ("METAL1", "VIA", "METAL2")]
    assert gf_connectivity("sin") == []
