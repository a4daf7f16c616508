"""Feasibility before building: the pure limits of ``components.floorplan`` predict exactly when the
chip cells succeed; the design's sections drive the masks by name (bus width drawn, a 1.7 mm PM
fits, a narrow gap), DRC-clean."""

from __future__ import annotations

import subprocess
import sys

import klayout.db as kdb
import numpy as np
import pytest

from qchipnet.components.floorplan import (
    MMI1X2,
    MMI2X2,
    TX_PM_LENGTH_RANGE_UM,
    TX_VOA_LENGTH_RANGE_UM,
    check_transmitter_chip,
    server_chip_limits,
    transmitter_chip_limits,
    transmitter_floorplan,
)
from qchipnet.design import parse_design
from qchipnet.layouts.build import build_wafer, cell_params, server_die, transmitter_die
from qchipnet.layouts.masks import drc_wafer
from qchipnet.layouts.wafer import geometry_hash
from qchipnet.pdk import activated
from qchipnet.pdk.drc import check_component
from qchipnet.validate import InputError

GRID = [(pm, voa) for pm in (500.0, 1100.0, 1700.0) for voa in (100.0, 800.0, 1500.0)]
RIDGES = (1.2, 1.5, 2.0)


def test_limits_import_no_gdsfactory():
    code = ("import sys, qchipnet.components.floorplan as f; f.transmitter_chip_limits(); f.server_chip_limits(); "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('gdsfactory', 'kfactory', 'klayout')]; "
            "assert not bad, bad; print('ok')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]


@pytest.mark.parametrize("k", range(len(GRID)))
def test_transmitter_limits_predict_the_cell(k):
    """At the minimum die the limits give, the cell draws a DRC-clean chip; 1 nm below it, in
    width or in height, both the limits and the cell refuse it, naming the field."""
    pm, voa = GRID[k]
    ridge = RIDGES[k % len(RIDGES)]
    lim = transmitter_chip_limits(pm_length_um=pm, voa_length_um=voa, ridge_width_um=ridge)
    w, h = lim["die_width_um"][0], lim["die_height_um"][0]
    with activated("inp"):
        c = transmitter_die(die_width_um=w, die_height_um=h, pm_length_um=pm, voa_length_um=voa, ridge_width_um=ridge)
        r = check_component(c, "inp")
    assert r.clean, (pm, voa, ridge, r.violations)
    assert c.dbbox().width() == pytest.approx(w) and c.dbbox().height() == pytest.approx(h)
    for field, bad in (("die_width_um", dict(die_width_um=round(w - 0.001, 3), die_height_um=h)),
                       ("die_height_um", dict(die_width_um=w, die_height_um=round(h - 0.001, 3)))):
        assert bad[field] < lim[field][0]
        with pytest.raises(InputError, match=rf"^{field} = .* outside the allowed range"):
            check_transmitter_chip(**bad, pm_length_um=pm, voa_length_um=voa, ridge_width_um=ridge)
        with pytest.raises(InputError, match=rf"^{field} = .* outside the allowed range"):
            transmitter_die(**bad, pm_length_um=pm, voa_length_um=voa, ridge_width_um=ridge)


def test_every_allowed_transmitter_fits_the_article_die():
    """Pads can be allocated over the whole parameter box, and the 4.6 x 2 mm die holds all of it."""
    worst = [0.0, 0.0]
    for pm in np.arange(TX_PM_LENGTH_RANGE_UM[0], TX_PM_LENGTH_RANGE_UM[1] + 1, 50.0):
        for voa in np.arange(TX_VOA_LENGTH_RANGE_UM[0], TX_VOA_LENGTH_RANGE_UM[1] + 1, 50.0):
            for ridge in (1.2, 2.0):
                fp = transmitter_floorplan(float(pm), float(voa), ridge)
                worst = [max(worst[0], fp.min_die_width_um), max(worst[1], fp.min_die_height_um)]
    assert worst[0] <= 4600.0 and worst[1] <= 2000.0, worst


def test_floorplan_mmis_are_the_self_imaging_mmis():
    """The floorplan's copy of the MMI lengths is the cells' self-imaging length (the chip cell also
    checks the drawn IM length against the plan on every build)."""
    from qchipnet.components.inp.mmi import self_imaging_length

    assert self_imaging_length(1, MMI1X2["width"]) == MMI1X2["length"]
    assert self_imaging_length(2, MMI2X2["width"]) == MMI2X2["length"]


@pytest.mark.parametrize("kw, match", [
    (dict(pm_length_um=1800.0), r"pm_length_um = 1800 um is outside the allowed range \[500, 1700\] um"),
    (dict(voa_length_um=50.0), r"voa_length_um = 50 um is outside the allowed range \[100, 1500\] um"),
    (dict(ridge_width_um=2.5), r"ridge_width_um = 2.5 um is outside the allowed range \[1.2, 2\] um"),
])
def test_transmitter_limits_name_a_bad_parameter(kw, match):
    with pytest.raises(InputError, match=match):
        transmitter_chip_limits(**kw)


def test_server_limits_predict_the_cell():
    ring = dict(radius_um=500.0, width_um=2.8, bus_width_um=2.0, gap_um=1.4, thickness_nm=100.0)
    for heater in (True, False):
        lim = server_chip_limits(**ring, heater=heater)
        w, h = lim["die_width_um"][0], lim["die_height_um"][0]
        c = server_die(**ring, heater=heater, die_width_um=w, die_height_um=h)
        with activated("sin"):
            assert check_component(c, "sin").clean
        for field, bad in (("die_width_um", dict(die_width_um=round(w - 0.001, 3), die_height_um=h)),
                           ("die_height_um", dict(die_width_um=w, die_height_um=round(h - 0.001, 3)))):
            with pytest.raises(InputError, match=rf"^{field} = .* outside the allowed range"):
                server_die(**ring, heater=heater, **bad)
    assert server_chip_limits(**ring, heater=False)["die_height_um"][0] < \
        server_chip_limits(**ring, heater=True)["die_height_um"][0]
    with pytest.raises(InputError, match="bus_width_um = 3.2 um"):
        server_chip_limits(**{**ring, "bus_width_um": 3.2})


def test_unknown_design_field_is_named():
    from qchipnet.components.chips import server_chip
    from qchipnet.design.model import ServerChip

    class Extra:
        def model_dump(self):
            return {"radius_um": 1000.0, "colour_nm": 3.0}

    with pytest.raises(InputError, match=r"^server_ring\.colour_nm: the server_chip cell has no parameter 'colour_nm'"):
        cell_params(server_chip, server_ring=Extra(), server_chip=ServerChip())


def _drc_clean(design, which):
    mask, chips = build_wafer(design, which)
    res = drc_wafer(mask, "cells")
    assert res["clean"], res["violations"]
    for c in chips.values():
        with activated(mask.platform):
            r = check_component(c, mask.platform)
        assert r.clean, r.violations
    return mask, chips


def test_pm_1700_masks_are_drc_clean():
    d = parse_design({"transmitter": {"pm_length_um": 1700.0}})
    mask, chips = _drc_clean(d, "client")
    chip = chips["transmitter_chip"]
    assert chip.info["pm_length_um"] == 1700.0
    assert mask.manifest["variants"]["default"]["params"]["pm_length_um"] == 1700.0


def test_narrow_gap_masks_are_drc_clean():
    d = parse_design({"server_ring": {"gap_um": 1.4}})
    mask, chips = _drc_clean(d, "server")
    assert chips["server_chip"].info["gap_um"] == 1.4
    gaps = sorted(v["params"]["gap_um"] for v in mask.manifest["variants"].values())
    assert gaps[0] == pytest.approx(1.0)  # the -0.4 um DOE variant


def test_bus_width_reaches_the_masks():
    d = parse_design({"server_ring": {"bus_width_um": 2.5}})
    mask, chips = _drc_clean(d, "server")
    chip = chips["server_chip"]
    assert chip.info["bus_width_um"] == 2.5 and chip.insts["bus_in"].cell.info["width_um"] == 2.5
    assert mask.manifest["variants"]["default"]["params"]["bus_width_um"] == 2.5
    # width DOE variants shift the bus with the ring (a lithography bias acts on both)
    assert mask.manifest["variants"]["width-0.2um"]["params"]["bus_width_um"] == pytest.approx(2.3)


def test_two_bus_widths_give_different_server_chips(tmp_path):
    hashes = []
    for bw in (2.8, 2.2):
        c = server_die(bus_width_um=bw)
        path = tmp_path / f"bw{bw}.gds"
        c.write_gds(path, with_metadata=False)
        ly = kdb.Layout()
        ly.read(str(path))
        hashes.append(geometry_hash(ly, ly.top_cells()[0]))
    assert hashes[0] != hashes[1]
