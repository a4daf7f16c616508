"""Design files: defaults load, hash is content-based, every bad input is one line naming key, value, range."""

from __future__ import annotations

import pytest

from qchipnet.design import Design, design_hash, dump_design, load_design, parse_design
from qchipnet.validate import InputError


def test_default_design_is_the_reference_system():
    d = load_design()
    assert d == Design()  # the shipped YAML equals the model defaults
    from qchipnet.circuits.ring import DEFAULT_GAP_UM, DEFAULT_RADIUS_UM, design_radius_um

    # the design's ring is the ring the circuits evaluate: 30.03 GHz from the mode table
    assert d.server_ring.radius_um == DEFAULT_RADIUS_UM and d.server_ring.gap_um == DEFAULT_GAP_UM
    assert d.server_ring.radius_um == pytest.approx(design_radius_um(), rel=1e-3)
    assert d.server_ring.thickness_nm == 100.0
    assert (d.transmitter.die_width_um, d.transmitter.die_height_um) == (4600.0, 2000.0)
    assert len(d.network.pairs) == 10 and {p.distance_km for p in d.network.pairs} == {370.0}
    assert sorted(p.comb_line for p in d.network.pairs) == [-5, -4, -3, 2, 3, 4, 5, 6, 7, 8]


def test_hash_is_content_based(tmp_path):
    d = load_design()
    p = tmp_path / "d.yaml"
    p.write_text(dump_design(d))
    assert design_hash(load_design(p)) == design_hash(d)
    q = tmp_path / "e.yaml"
    q.write_text("server_ring:\n  gap_um: 2.1\n")
    assert design_hash(load_design(q)) != design_hash(d)


def test_toml_design(tmp_path):
    p = tmp_path / "d.toml"
    p.write_text("[server_ring]\nradius_um = 1200.0\n")
    assert load_design(p).server_ring.radius_um == 1200.0


@pytest.mark.parametrize("data, parts", [
    ({"server_ring": {"radius_mm": 1}}, ["server_ring.radius_mm", "wrong unit", "radius_um"]),
    ({"server_ring": {"radius_um": 50000}}, ["server_ring.radius_um = 50000", "[400, 3000] um"]),
    ({"server_ring": {"radius_um": "1 mm"}}, ["server_ring.radius_um", "'1 mm'", "um", "[400, 3000]"]),
    ({"serverring": {}}, ["serverring", "unknown key", "server_ring"]),
    ({"network": {"pairs": [{"pair": 1, "comb_line": 12}]}}, ["network.pairs[0].comb_line = 12", "[-5, 8]"]),
    ({"detection": {"detector_efficiency": 0}}, ["detection.detector_efficiency = 0", "(0, 1]"]),
    ({"process": {"sin": {"foo": {"nominal": 1}}}}, ["process.sin", "'foo'", "thickness_nm"]),
    ({"mask": {"doe_gap_offsets_um": [-1.5]}}, ["doe_gap_offsets_um", "0.42 um", "0.8 um"]),
])
def test_bad_input_is_one_line_naming_key_value_range(data, parts):
    with pytest.raises(InputError) as ei:
        parse_design(data)
    msg = str(ei.value)
    assert "\n" not in msg
    for part in parts:
        assert part in msg, (part, msg)


def test_bad_files(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_design(tmp_path / "nope.yaml")
    p = tmp_path / "bad.yaml"
    p.write_text("a: [1,\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_design(p)
    q = tmp_path / "d.json"
    q.write_text("{}")
    with pytest.raises(InputError, match="unsupported extension"):
        load_design(q)


def test_design_is_frozen():
    d = Design()
    with pytest.raises(Exception):
        d.server_ring.radius_um = 5.0  # type: ignore[misc]
