"""The design space is sound: every design inside the schema's ranges either runs end to end (chip
masks DRC-clean, every device metric finite, network key rates computed) or is refused when it is
loaded, in one line naming the field, the value and the constraint.

Hypothesis draws designs across the schema's own field ranges. CI runs a few examples; a
marker-selected run draws more:

    QCHIPNET_DESIGN_EXAMPLES=40 python -m pytest -m design_space tests/design/test_design_space.py
"""

from __future__ import annotations

import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qchipnet.design import Design, ServerChip, ServerRing, TransmitterChip, parse_design
from qchipnet.validate import InputError

EXAMPLES = int(os.environ.get("QCHIPNET_DESIGN_EXAMPLES", "3"))

pytestmark = pytest.mark.design_space


def _bounds(model, field):
    lo, hi = 0.0, None
    for m in model.model_fields[field].metadata:
        for attr in ("ge", "gt"):
            if getattr(m, attr, None) is not None:
                lo = float(getattr(m, attr))
        for attr in ("le", "lt"):
            if getattr(m, attr, None) is not None:
                hi = float(getattr(m, attr))
    return lo, hi


def _on_grid(strategy, grid=0.002):
    """Guide widths on the 2-nm grid (the validator refuses others in one line; tested separately)."""
    return strategy.map(lambda v: round(round(v / grid) * grid, 3))


def _field(model, field, spread, up_only=False):
    """Values across the schema range, seven times in eight near the default (where feasible
    designs live), so that both outcomes, running and being refused, are exercised."""
    lo, hi = _bounds(model, field)
    lo = max(lo, 1e-3)
    default = model.model_fields[field].default
    local = st.floats(max(lo, default - (0 if up_only else spread)), min(hi, default + spread))
    return st.one_of(*[local] * 7, st.floats(lo, hi))


@st.composite
def _ring(draw):
    ring = {"radius_um": draw(_field(ServerRing, "radius_um", 300.0)),
            "width_um": draw(_on_grid(_field(ServerRing, "width_um", 0.6))),
            "gap_um": draw(_field(ServerRing, "gap_um", 0.6)),
            "thickness_nm": draw(_field(ServerRing, "thickness_nm", 10.0))}
    # a bus at most as wide as the ring, seven times in eight
    narrower = st.floats(min(1.8, ring["width_um"]), max(1.8, ring["width_um"]))
    ring["bus_width_um"] = draw(_on_grid(st.one_of(*[narrower] * 7, _field(ServerRing, "bus_width_um", 0.8))))
    return ring


designs = st.fixed_dictionaries({
    "server_ring": _ring(),
    "server_chip": st.fixed_dictionaries({
        "die_width_um": _field(ServerChip, "die_width_um", 3000.0, up_only=True),
        "die_height_um": _field(ServerChip, "die_height_um", 1500.0, up_only=True),
        "heater": st.booleans(),
    }),
    "transmitter": st.fixed_dictionaries({
        "die_width_um": _field(TransmitterChip, "die_width_um", 800.0, up_only=True),
        "die_height_um": _field(TransmitterChip, "die_height_um", 600.0, up_only=True),
        "pm_length_um": _field(TransmitterChip, "pm_length_um", 600.0),
        "voa_length_um": _field(TransmitterChip, "voa_length_um", 700.0),
        "ridge_width_um": _on_grid(_field(TransmitterChip, "ridge_width_um", 0.4)),
        "dbr_grating_period_nm": _field(TransmitterChip, "dbr_grating_period_nm", 2.0),
        "dbr_rear_length_um": _field(TransmitterChip, "dbr_rear_length_um", 150.0),
        "dbr_gain_length_um": _field(TransmitterChip, "dbr_gain_length_um", 200.0),
        "dbr_phase_length_um": _field(TransmitterChip, "dbr_phase_length_um", 80.0),
        "dbr_front_length_um": _field(TransmitterChip, "dbr_front_length_um", 60.0),
    }),
})


def _finite(d: dict, path=""):
    for k, v in d.items():
        if isinstance(v, dict):
            _finite(v, f"{path}{k}.")
        elif isinstance(v, float):
            assert math.isfinite(v), f"{path}{k} = {v}"


def _drc_clean(cell, platform, tmp_path):
    from qchipnet.pdk.drc import check_gds

    p = tmp_path / f"{cell.name}.gds"
    cell.write_gds(p)
    r = check_gds(p, platform)
    assert r.clean, {k: v for k, v in r.violations.items() if v}


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=designs)
def test_every_design_runs_or_is_refused_in_one_line(data, tmp_path):
    try:
        d = parse_design(data)
    except InputError as exc:
        msg = str(exc)
        assert "\n" not in msg and len(msg) < 600
        assert any(s in msg for s in ("server_ring.", "server_chip.", "transmitter.", "process.")), msg
        return
    _run_end_to_end(d, tmp_path)


def _run_end_to_end(d: Design, tmp_path):
    from qchipnet.components.chips import server_chip, transmitter_chip
    from qchipnet.pdk import activated
    from qchipnet.pipeline import evaluate_network_of, evaluate_ring, evaluate_transmitter

    ring = evaluate_ring(d)
    tx = evaluate_transmitter(d, chip_paths=False)
    _finite(ring)
    _finite(tx)
    small = d.model_copy(update={"network": d.network.model_copy(update={"pairs": d.network.pairs[:1],
                                                                          "distances_km": (370.0,)})})
    net = evaluate_network_of(small, ring, tx, curve=False)
    kr = net["design_pairs"][0]["key_rate_per_pulse"]
    assert kr is not None and kr >= 0.0
    with activated("sin"):
        _drc_clean(server_chip(**d.server_ring.model_dump(), **d.server_chip.model_dump()), "sin", tmp_path)
    with activated("inp"):
        _drc_clean(transmitter_chip(**d.transmitter.model_dump()), "inp", tmp_path)


@pytest.mark.parametrize("data", [
    {"transmitter": {"pm_length_um": 1700.0}},
    # a non-default laser: short mirrors and phase section at the pad limit, a longer gain section, another period
    {"transmitter": {"die_width_um": 4800.0, "dbr_grating_period_nm": 239.2, "dbr_rear_length_um": 150.0,
                     "dbr_gain_length_um": 650.0, "dbr_phase_length_um": 60.0, "dbr_front_length_um": 56.0}},
    {"server_ring": {"gap_um": 1.4}},
    # found by this test: a small, strongly coupled ring's comb line injects more than the slave's power
    {"server_ring": {"radius_um": 698.0, "width_um": 2.25, "gap_um": 1.5, "thickness_nm": 90.0, "bus_width_um": 2.0},
     "server_chip": {"heater": False}, "transmitter": {"pm_length_um": 900.0, "voa_length_um": 100.0}},
    # found by this test: a comb line without power is not locked (no key), not an error
    {"server_ring": {"radius_um": 1079.0, "width_um": 2.218, "gap_um": 1.5, "thickness_nm": 90.0,
                     "bus_width_um": 2.0}, "server_chip": {"heater": False}},
])
def test_the_designs_that_failed_before_run_end_to_end(data, tmp_path):
    _run_end_to_end(parse_design(data), tmp_path)


def test_a_guide_width_off_the_2nm_grid_is_refused_in_one_line():
    """Found by the property test: kfactory cannot centre a port of odd width (in nm) on the grid."""
    with pytest.raises(InputError, match=r"server_ring.width_um = 2.625 is not a multiple of 0.002 um"):
        parse_design({"server_ring": {"width_um": 2.625, "bus_width_um": 2.0}})


def test_a_ring_the_comb_model_cannot_evaluate_is_refused_at_load():
    """Found by the property test: an overcoupled ring with weak dispersion has d2 below the
    dark-pulse LLE model's range; it is refused when loaded, not after the masks."""
    with pytest.raises(InputError, match=r"server_ring.gap_um = 1.4375 .*normalised dispersion d2 = .*\[0.005, 1\]"):
        parse_design({"server_ring": {"radius_um": 1084.0, "width_um": 2.25, "gap_um": 1.4375, "thickness_nm": 90.0,
                                      "bus_width_um": 2.0}})
