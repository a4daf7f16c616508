"""Server (Si3N4) wafer: plan dies with DOE variants around the default ring, labels, manifest,
loss-test rings, DRC-clean cells and a clean placement, through ``qchipnet mask --only server``."""

from __future__ import annotations

import json

import klayout.db as kdb
import pytest
import yaml

from qchipnet.cli import main
from qchipnet.layouts.wafer_plan import wafer_plan


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    out = tmp_path_factory.mktemp("sv")
    try:
        main(["mask", "--out", str(out), "--only", "server", "--drc", "cells", "--json"])
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out


def test_mask_command_clean_exit(server, capsys):
    code, out = server
    assert code == 0
    assert (out / "sin_wafer.gds").exists() and (out / "sin_wafer_manifest.yaml").exists()
    assert (out / "sin_layers.lyp").exists() and (out / "sin_server_chip.gds").exists()


def test_dies_doe_variants_and_ids(server):
    _, out = server
    man = yaml.safe_load((out / "sin_wafer_manifest.yaml").read_text())
    plan = wafer_plan("sin")
    ids = [d["die_id"] for d in man["dies"]]
    assert ids == plan.ids()
    variants = man["variants"]
    assert len(variants) > 1 and "default" in variants
    gaps = {round(v["params"]["gap_um"], 3) for v in variants.values() if "gap_um" in v.get("params", {})}
    widths = {round(v["params"]["width_um"], 3) for v in variants.values() if "width_um" in v.get("params", {})}
    assert len(gaps) > 1 and len(widths) > 1  # a gap sweep and a width sweep around the default
    used = {d["variant"] for d in man["dies"]} if "variant" in man["dies"][0] else {d["cell"] for d in man["dies"]}
    assert len(used) == len(variants)
    for d in man["dies"]:
        assert d.get("geometry_hash")


def test_wafer_written_by_reference_with_labels(server):
    _, out = server
    ly = kdb.Layout()
    ly.read(str(out / "sin_wafer.gds"))
    top = ly.top_cells()[0]
    n_inst = sum(1 for _ in top.each_inst())
    assert n_inst >= wafer_plan("sin").n_dies
    names = {c.name for c in ly.each_cell()}  # labels are polygon-text cells named after the die ID
    assert all(f"label_{i}" in names for i in wafer_plan("sin").ids())
