"""Client (InP) wafer: every plan die placed by reference and labelled with its plan ID, test
structures outside the grid, manifest complete, byte-identical output, DRC-clean cells."""

from __future__ import annotations

import math

import klayout.db as kdb
import pytest
import yaml

from qchipnet.design import load_design
from qchipnet.layouts.build import transmitter_die
from qchipnet.layouts.masks import client_wafer, doe_assignment, drc_wafer, write_wafer
from qchipnet.layouts.test_structures import inp_test_structures
from qchipnet.layouts.wafer_plan import wafer_plan
from qchipnet.pdk.drc import check_gds
from qchipnet.validate import InputError


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    d = load_design()
    params = d.transmitter.model_dump()  # the design's names are the cell's
    chip = transmitter_die(**params)
    tests = inp_test_structures(pm_lengths_um=d.mask.test_pm_lengths_um, mzi_lengths_um=d.mask.test_mzi_lengths_um,
                                cutback_lengths_um=d.mask.cutback_lengths_um)
    mask = client_wafer(chip, params, tests)
    out = tmp_path_factory.mktemp("masks")
    files = write_wafer(mask, out, {"transmitter_chip": chip})
    return mask, files, chip, params


def test_dies_match_the_shared_wafer_plan(client):
    mask, *_ = client
    plan = wafer_plan("inp")
    dies = mask.manifest["dies"]
    assert len(dies) == plan.n_dies == mask.n_dies
    assert [d["die_id"] for d in dies] == plan.ids()
    assert [(d["x_mm"], d["y_mm"]) for d in dies] == [(p.x_mm, p.y_mm) for p in plan.dies]
    # every instance of the die cell sits with its outline centred on the plan position
    ly, top = mask.layout, mask.top
    cell = mask.cells["default"]
    fp = ly.layer(99, 0)
    centres = sorted((round(inst.dbbox_per_layer(fp).center().x / 1000, 3), round(inst.dbbox_per_layer(fp).center().y / 1000, 3))
                     for inst in top.each_inst() if inst.cell_index == cell.cell_index())
    assert centres == sorted((round(p.x_mm, 3), round(p.y_mm, 3)) for p in plan.dies)


def test_references_not_flattened(client):
    mask, files, *_ = client
    ly = kdb.Layout()
    ly.read(str(files.gds))
    top = ly.top_cells()
    assert len(top) == 1
    die_cells = [c for c in ly.each_cell() if c.name == mask.manifest["variants"]["default"]["cell"]]
    assert len(die_cells) == 1
    n_refs = sum(1 for i in top[0].each_inst() if i.cell_index == die_cells[0].cell_index())
    assert n_refs == mask.n_dies
    # the wafer file is far smaller than n_dies copies of the chip would be
    assert files.gds_bytes < 0.2 * mask.n_dies * files.chip_gds[0].stat().st_size


def test_labels_carry_the_plan_ids(client):
    mask, *_ = client
    names = {c.name for c in mask.layout.each_cell()}
    assert all(f"label_{i}" in names for i in wafer_plan("inp").ids())


def test_test_structures_outside_the_die_grid(client):
    mask, *_ = client
    plan = mask.plan
    kinds = {t["params"]["kind"] for t in mask.manifest["test_structures"]}
    assert {"phase_modulator", "mzi", "mmi1x2", "mmi2x2", "dbr_laser", "cutback"} <= kinds
    assert len({t["params"].get("length_um") for t in mask.manifest["test_structures"] if t["params"]["kind"] == "phase_modulator"}) >= 2
    ly, top = mask.layout, mask.top
    px, py = plan.pitch_x_mm * 1000, plan.pitch_y_mm * 1000
    grid = kdb.Region()
    for d in plan.dies:
        grid.insert(kdb.DBox(d.x_mm * 1000 - px / 2, d.y_mm * 1000 - py / 2, d.x_mm * 1000 + px / 2,
                             d.y_mm * 1000 + py / 2).to_itype(ly.dbu))
    blocks = {t["cell"] for t in mask.manifest["test_structures"]} | {m["cell"] for m in mask.manifest["alignment_marks"]}
    r = plan.usable_radius_mm * 1000
    for inst in top.each_inst():
        if ly.cell(inst.cell_index).name in blocks:
            bb = inst.dbbox()
            assert grid.interacting(kdb.Region(bb.to_itype(ly.dbu))).is_empty()
            assert all(math.hypot(x, y) <= r + 1e-6 for x in (bb.left, bb.right) for y in (bb.bottom, bb.top))
    assert len(mask.manifest["alignment_marks"]) == 4


def test_manifest_lists_every_die(client):
    mask, files, _, params = client
    man = yaml.safe_load(files.manifest.read_text())
    assert man["platform"] == "inp" and man["n_dies"] == len(man["dies"]) == mask.n_dies
    for d in man["dies"][:5]:
        assert set(d) >= {"die_id", "x_mm", "y_mm", "cell", "params", "geometry_hash"}
        assert d["params"] == params and len(d["geometry_hash"]) == 16
    for f in (files.gds, files.manifest, files.lyp, *files.chip_gds):
        assert f.name.startswith("inp_") and f.exists()


def test_byte_identical_rewrite(client, tmp_path):
    mask, files, chip, params = client
    again = write_wafer(mask, tmp_path, {"transmitter_chip": chip})
    assert again.gds.read_bytes() == files.gds.read_bytes()
    assert again.manifest.read_text() == files.manifest.read_text()
    # a fresh assembly from the same inputs gives the same bytes too (no run-dependent names)
    tests = inp_test_structures()
    rebuilt = write_wafer(client_wafer(chip, params, tests), tmp_path / "b", {"transmitter_chip": chip})
    assert rebuilt.gds.read_bytes() == files.gds.read_bytes()


def test_drc_clean(client):
    mask, files, *_ = client
    res = drc_wafer(mask, "cells")  # each distinct cell once; placement checked in the tests above
    assert res["clean"], res["violations"]
    assert check_gds(files.chip_gds[0], "inp").clean


def test_doe_assignment_spreads_variants():
    ids = [f"SV-{i:03d}" for i in range(100)]
    a = doe_assignment(ids, ["gap-0.2um", "gap+0.2um", "width+0.2um"], copies=3)
    counts = {k: sum(1 for v in a.values() if v == k) for k in set(a.values())}
    assert counts == {"default": 91, "gap-0.2um": 3, "gap+0.2um": 3, "width+0.2um": 3}
    assert a == doe_assignment(ids, ["gap-0.2um", "gap+0.2um", "width+0.2um"], copies=3)
    with pytest.raises(InputError, match="need"):
        doe_assignment(ids[:5], ["a", "b"], copies=3)
