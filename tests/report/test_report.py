"""The HTML report: every section present, every referenced image exists beside it, no external
assets, and ``qchipnet report --run`` rebuilds it from saved results alone."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import klayout.db as kdb
import numpy as np
import pytest

from qchipnet.cli import main
from qchipnet.design import Design, design_hash
from qchipnet.report.html import SECTIONS, build_report
from qchipnet.report.thumbnail import render_gds
from qchipnet.validate import InputError


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.imgs, self.links = set(), [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "img":
            self.imgs.append(a["src"])
        if tag in ("link", "script"):
            self.links.append(a)


def _tiny_gds(path: Path) -> Path:
    ly = kdb.Layout()
    ly.dbu = 0.001
    child = ly.create_cell("die")
    child.shapes(ly.layer(1, 0)).insert(kdb.DBox(0, 0, 100, 2))
    ring = kdb.Region(kdb.DBox(-50, -50, 150, 50).to_itype(ly.dbu)) - kdb.Region(kdb.DBox(-40, -40, 140, 40).to_itype(ly.dbu))
    child.shapes(ly.layer(99, 0)).insert(ring)
    top = ly.create_cell("inp_wafer")
    for k in range(3):
        top.insert(kdb.DCellInstArray(child.cell_index(), kdb.DTrans(k * 300.0, 0.0)))
    ly.write(str(path))
    return path


@pytest.fixture()
def run_dir(tmp_path):
    masks = tmp_path / "masks"
    masks.mkdir()
    gds = _tiny_gds(masks / "inp_wafer.gds")
    thumb = render_gds(gds, masks / "figures" / "inp_wafer.png")
    mu = np.arange(-10, 11)
    det = np.linspace(-50, 50, 101)
    d = Design()
    pairs = [{"pair": 1, "comb_line": -5, "distance_km": 370.0, "locked": True, "qber_x": 0.035, "e_d": 0.03,
              "key_rate_per_pulse": 1e-7, "plob_per_pulse": 5e-8, "ratio_to_plob": 2.0}]
    res = {
        "design_hash": design_hash(d), "design": d.model_dump(mode="json"),
        "masks": {"status": "ok", "wafers": [{"platform": "inp", "wafer": "client", "gds": "masks/inp_wafer.gds", "n_dies": 3,
                                             "gds_bytes": gds.stat().st_size, "write_s": 0.01,
                                             "thumbnail": thumb.relative_to(tmp_path).as_posix(),
                                             "drc": {"mode": "full", "clean": True, "violations": {}, "elapsed_s": 0.1}},
                                            {"platform": "sin", "wafer": "server", "status": "unavailable", "reason": "x"}],
                  "chips": []},
        "ring": {"status": "ok", "fsr_GHz": 30.03, "q_intrinsic": 2e7, "D2_over_2pi_kHz": -733.0,
                 "spectrum": {"detuning_MHz": det.tolist(), "transmission": (1 - 0.9 / (1 + (det / 5) ** 2)).tolist()},
                 "dint": {"mode": mu.tolist(), "dint_MHz": (-0.733e-3 / 2 * mu**2).tolist()}},
        "transmitter": {"status": "failed", "reason": "mode table missing"},
        "network": {"status": "ok", "evaluations": [{"distance_km": 370.0, "pairs": pairs, "network_capability_km": 370.0,
                                                     "n_users": 2}],
                    "curve": {"distance_km": [10, 200, 400], "key_rate_per_pulse": [1e-4, 1e-6, 1e-8],
                              "plob_per_pulse": [1e-1, 1e-4, 1e-8]}},
        "yield": {"status": "ok", "studies": {"inp": {"dies": 50, "yield": 0.9, "yield_ci95": [0.8, 0.95],
                                                      "failures_by_spec": {"vpi_max": 5}, "figures": []}}},
        "provenance": {"qchipnet": "0", "seed": 1, "design_hash": design_hash(d), "versions": {"numpy": np.__version__}},
    }
    (tmp_path / "results.json").write_text(json.dumps(res))
    return tmp_path


def _check(page: Path):
    p = _Collect()
    p.feed(page.read_text())
    assert {sid for sid, _ in SECTIONS} <= p.ids
    assert p.imgs, "the report shows figures"
    for src in p.imgs:
        assert not src.startswith(("http:", "https:", "/", "data:")), src
        assert (page.parent / src).is_file(), src
    assert not p.links  # no stylesheets or scripts from elsewhere
    return p


def test_report_sections_and_images(run_dir):
    page = build_report(run_dir)
    p = _check(page)
    assert "figures/keyrate.png" in p.imgs and "figures/ring.png" in p.imgs
    text = page.read_text()
    assert "mode table missing" in text and "unavailable" in text  # absent stages are said, not hidden


def test_cli_report_regenerates_from_saved_results(run_dir):
    (run_dir / "report.html").unlink(missing_ok=True)
    main(["report", "--run", str(run_dir)])  # returns normally on success
    _check(run_dir / "report.html")


def test_report_without_results(tmp_path):
    with pytest.raises(InputError, match="results.json"):
        build_report(tmp_path)


def test_thumbnail_draws_holes_and_references(tmp_path):
    png = render_gds(_tiny_gds(tmp_path / "t.gds"), tmp_path / "t.png", size_px=300)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_network_block_without_any_working_pair(run_dir):
    """A design none of whose sampled pairs works (e.g. a ring whose comb needs more pump than the DFB
    gives) still gets its report: the statistics over no working pair read n/a."""
    res = json.loads((run_dir / "results.json").read_text())
    none = {"mean": None, "p5": None, "p50": None, "p95": None}
    res["yield"]["network"] = {"networks": 4, "pairs_per_network": 10, "distance_km": 370.0,
                               "pairs_above_plob": {"mean": 0.0, "p5": 0.0, "p50": 0.0, "p95": 0.0},
                               "network_capability_km": {"mean": 0.0, "p5": 0.0, "p50": 0.0, "p95": 0.0},
                               "ratio_to_plob": none, "yield": 0.0, "modulator_yield": 0.97,
                               "pair_failure_causes": {"server": 40}}
    (run_dir / "results.json").write_text(json.dumps(res))
    build_report(run_dir)
    page = (run_dir / "report.html").read_text()
    assert "Networks of fabricated chips" in page and "p5 n/a" in page
