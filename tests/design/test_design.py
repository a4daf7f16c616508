"""Design files: defaults load, hash is content-based, every bad input is one line naming key, value, range."""

from __future__ import annotations

import pytest

from qchipnet.design import Design, design_hash, dump_design, load_design, parse_design
from qchipnet.validate import InputError


def test_default_design_is_the_reference_system():
    d = load_design()
    assert d == Design()  # the shipped YAML equals the model defaults
    from qchipnet.circuits.devices import ring_critical_gap_um
    from qchipnet.circuits.ring import design_radius_um

    # the design's ring: 30.03 GHz from the mode table, critically coupled at the ring-mode loss
    assert d.server_ring.radius_um == pytest.approx(design_radius_um(), rel=1e-6)
    assert d.server_ring.gap_um == pytest.approx(float(ring_critical_gap_um(d.server_ring.model_dump())), abs=0.006)
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
    ({"server_ring": {"radius_um": 50000}}, ["server_ring.radius_um = 50000", "[50, 10000] um"]),
    ({"server_ring": {"radius_um": "1 mm"}}, ["server_ring.radius_um", "'1 mm'", "um", "[50, 10000]"]),
    ({"server_ring": {"radius_um": 300}}, ["server_ring.radius_um = 300", "[400,", "minimum bend radius"]),
    ({"server_ring": {"width_um": 5.5}}, ["server_ring.width_um = 5.5", "allowed range", "mode table", "sigma"]),
    ({"server_ring": {"bus_width_um": 2.9, "width_um": 2.6}}, ["server_ring.bus_width_um = 2.9", "wider than the ring"]),
    ({"server_ring": {"target_fsr_GHz": 30}}, ["server_ring.target_fsr_GHz", "removed", "radius_um"]),
    ({"network": {"channel_spacing_GHz": 30}}, ["network.channel_spacing_GHz", "removed", "FSR"]),
    ({"transmitter": {"ridge_width_um": 2.5}}, ["transmitter.ridge_width_um = 2.5", "[1.2, 2] um"]),
    ({"server_ring": {"width_um": 4.2, "bus_width_um": 4.2}}, ["server_ring.width_um = 4.2", "sin_straight"]),
    ({"server_chip": {"die_height_um": 2000}}, ["server_chip.die_height_um = 2000", "heater pads"]),
    ({"transmitter": {"pm_length_um": 1700, "die_width_um": 4500}}, ["transmitter.die_width_um = 4500", "4582.582"]),
    ({"process": {"inp": {"deep_etch_below_core_um": {"sigma_wafer": 0.5}}}},
     ["process.inp.deep_etch_below_core_um", "model domain"]),
    ({"serverring": {}}, ["serverring", "unknown key", "server_ring"]),
    ({"network": {"pairs": [{"pair": 1, "comb_line": 12}]}}, ["network.pairs[0].comb_line = 12", "[-5, 8]"]),
    ({"detection": {"detector_efficiency": 0}}, ["detection.detector_efficiency = 0", "(0, 1]"]),
    ({"process": {"sin": {"foo": {"nominal": 1}}}}, ["process.sin", "'foo'", "thickness_nm"]),
    ({"mask": {"doe_gap_offsets_um": [-1.5]}}, ["doe_gap_offsets_um", "0.49 um", "0.8 um"]),
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


@pytest.mark.parametrize("data", [
    {"transmitter": {"pm_length_um": 1700}},  # failed in the chip cell's pad allocation before
    {"server_ring": {"gap_um": 1.4}},  # an overcoupled ring: failed in injection locking before
    {"server_ring": {"thickness_nm": 110.0, "radius_um": 800.0}},
])
def test_designs_that_failed_before_load(data):
    parse_design(data)


def test_every_field_of_the_schema_is_read_somewhere():
    """No field is accepted and dropped: each server-ring and transmitter field is a parameter of the
    evaluator and of the chip cell under the same name."""
    import inspect

    from qchipnet.circuits.devices import RING_FIELDS, TRANSMITTER_FIELDS
    from qchipnet.components.chips import server_chip, transmitter_chip
    from qchipnet.design import ServerChip, ServerRing, TransmitterChip

    assert set(ServerRing.model_fields) == set(RING_FIELDS)
    assert set(TransmitterChip.model_fields) == set(TRANSMITTER_FIELDS)
    srv = set(inspect.signature(server_chip).parameters)
    assert set(ServerRing.model_fields) | set(ServerChip.model_fields) <= srv
    assert set(TransmitterChip.model_fields) <= set(inspect.signature(transmitter_chip).parameters)
