"""KLayout-rendered thumbnails: valid PNGs of the requested size, not blank, in the platform's layer
colours, byte-reproducible, and a seeded DRC violation shows as marker pixels where it is."""

from __future__ import annotations

import klayout.db as kdb
import numpy as np
import pytest
from PIL import Image
from qchipnet.components.chips import transmitter_chip
from qchipnet.layouts.render import MARKER_COLOUR, render_gds
from qchipnet.pdk import activated, get_platform
from qchipnet.pdk.drc import check_gds
from qchipnet.validate import InputError

_MARKER = tuple(int(MARKER_COLOUR[i:i + 2], 16) for i in (1, 3, 5))


@pytest.fixture(scope="module")
def chip_gds(tmp_path_factory):
    p = tmp_path_factory.mktemp("render") / "inp_transmitter_chip.gds"
    with activated("inp"):
        transmitter_chip().write_gds(p, with_metadata=False)
    return p


def _rgb(png) -> np.ndarray:
    with Image.open(png) as im:
        assert im.format == "PNG"
        return np.asarray(im.convert("RGB"))


def _lyp_colours(platform: str) -> set[tuple[int, int, int]]:
    import re

    from qchipnet.pdk import lyp_path

    text = lyp_path(platform).read_text()
    return {tuple(int(h[i:i + 2], 16) for i in (0, 2, 4)) for h in re.findall(r"#([0-9a-fA-F]{6})", text)}


def test_chip_thumbnail_is_a_png_of_the_size_not_blank_in_layer_colours(chip_gds, tmp_path):
    png = render_gds(chip_gds, tmp_path / "chip.png", size_px=400, title="transmitter")
    img = _rgb(png)
    assert img.shape == (400, 400, 3)
    ink = np.any(img != 255, axis=2)
    assert 0.02 < ink.mean() < 0.9  # drawn, and not a flood fill over the devices
    colours = {tuple(int(v) for v in c) for c in img[ink].reshape(-1, 3)}
    assert colours & _lyp_colours("inp")  # KLayout drew with the platform's layer properties
    with Image.open(png) as im:
        assert im.text.get("Title") == "transmitter"
    again = render_gds(chip_gds, tmp_path / "again.png", size_px=400, title="transmitter")
    assert again.read_bytes() == png.read_bytes()  # reproducible


def test_seeded_drc_violation_appears_as_marker_pixels(chip_gds, tmp_path):
    # a METAL2 sliver 2 um wide (METAL2.W.1 asks for 5 um) near the die's south-east corner
    ly = kdb.Layout()
    ly.read(str(chip_gds))
    top = ly.top_cell()
    bb = top.dbbox()
    x, y = bb.right - 300.0, bb.bottom + 400.0
    top.shapes(ly.layer(*get_platform("inp").layers["METAL2"])).insert(kdb.DBox(x, y, x + 2.0, y + 40.0))
    bad = tmp_path / "inp_bad.gds"
    ly.write(str(bad))
    rep = tmp_path / "bad.lyrdb"
    res = check_gds(bad, "inp", report=rep)
    assert res.violations["METAL2.W.1"] > 0
    n = 500
    img = _rgb(render_gds(bad, tmp_path / "bad.png", size_px=n, markers=rep))
    hit = np.all(img == _MARKER, axis=2)
    assert hit.sum() >= 16  # a marker box of at least MARKER_MIN_PX pixels
    plain = _rgb(render_gds(bad, tmp_path / "plain.png", size_px=n))
    assert not np.all(plain == _MARKER, axis=2).any()  # the colour is the markers', no layer uses it
    # the marker pixels sit where the violation is (image rows run from the top)
    pad = 0.02 * max(bb.width(), bb.height())
    scale = n / (max(bb.width(), bb.height()) + 2 * pad)
    cx = (x + 1.0 - (bb.center().x - (max(bb.width(), bb.height()) / 2 + pad))) * scale
    cy = n - (y + 20.0 - (bb.center().y - (max(bb.width(), bb.height()) / 2 + pad))) * scale
    rows, cols = np.nonzero(hit)
    assert abs(cols.mean() - cx) < 8 and abs(rows.mean() - cy) < 8


def test_wafer_with_many_references_renders_every_die(tmp_path):
    ly = kdb.Layout()
    die = ly.create_cell("die")
    die.shapes(ly.layer(1, 0)).insert(kdb.DBox(0, 0, 1000, 20).to_itype(ly.dbu))
    wafer = ly.create_cell("sin_wafer")
    for i in range(4):
        wafer.insert(kdb.DCellInstArray(die.cell_index(), kdb.DTrans(0, i * 1000.0)))
    p = tmp_path / "sin_wafer.gds"
    ly.write(str(p))
    img = _rgb(render_gds(p, tmp_path / "w.png", size_px=200))
    ink_rows = np.nonzero(np.any(img != 255, axis=(1, 2)))[0]
    bands = np.count_nonzero(np.diff(ink_rows) > 1) + 1
    assert bands == 4  # one drawn band per die reference


def test_bad_input_is_one_line(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        render_gds(tmp_path / "missing.gds", tmp_path / "x.png")
