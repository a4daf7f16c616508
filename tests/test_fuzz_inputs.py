"""Property test of the front door (issue 16): hostile design files and CLI option values give one
line and exit 2, or a finite result; never a traceback, a hang or a NaN. In-process (typer's
CliRunner) with small example counts so that it stays within seconds."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qchipnet.cli import app
from qchipnet.design import load_design
from qchipnet.validate import QchipnetError
from typer.testing import CliRunner

_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.text(max_size=12),
                     st.floats(allow_nan=True, allow_infinity=True))
_values = st.recursive(_scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
                       max_leaves=8)
_sections = st.sampled_from(["server_ring", "transmitter", "network", "monte_carlo", "detection", "protocol", "masks",
                             "process", "name", "bogus"])
_fields = st.sampled_from(["gap_um", "radius_um", "dies", "seed", "pairs", "distances_km", "gate_ns", "width_um", "x"])


def _one_line(text: str) -> None:
    assert "Traceback" not in text
    assert text.strip().count("\n") == 0, text


@_SETTINGS
@given(section=_sections, field=_fields, value=_values)
def test_design_loader_refuses_in_one_line_or_loads(tmp_path_factory, section, field, value):
    import yaml

    p = tmp_path_factory.mktemp("d") / "d.yaml"
    doc = {section: {field: value}} if section != "name" else {"name": value}
    try:
        p.write_text(yaml.safe_dump(doc))
    except (yaml.YAMLError, UnicodeEncodeError):
        return
    try:
        d = load_design(p)
    except QchipnetError as exc:
        _one_line(str(exc))
        assert len(str(exc)) < 600
        return
    assert d.network.pairs  # a loaded design is usable


@_SETTINGS
@given(data=st.binary(max_size=300))
def test_design_loader_on_arbitrary_bytes(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("b") / "d.yaml"
    p.write_bytes(data)
    try:
        load_design(p)
    except QchipnetError as exc:
        _one_line(str(exc))


_numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**65), 2**65),
                     st.sampled_from(["nan", "inf", "-inf", "1e309", "abc", ""]))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(opt=st.sampled_from(["--dies", "--seed", "--workers", "--wafers-per-chunk"]), value=_numbers)
def test_yield_options_refused_in_one_line(tmp_path_factory, opt, value):
    """Bad numeric options of `yield` fail before any computation (a valid one would compute: a tiny
    budget is enforced by refusing to reach the evaluation, see the --out file below)."""
    out = tmp_path_factory.mktemp("y") / "file"
    out.write_text("x")  # --out is a file: every run that passes the option checks stops there
    r = CliRunner().invoke(app, ["yield", "-p", "sin", opt, str(value), "--out", str(out), "--json"])
    _refused(r)


def _refused(r) -> None:
    """A click usage error (exit 2) or qchipnet's own error (``qchipnet.cli.main`` prints it as one line
    with exit 2); anything else is a traceback for the user."""
    if isinstance(r.exception, QchipnetError):
        _one_line(str(r.exception))
    else:
        assert r.exit_code == 2 and isinstance(r.exception, SystemExit), (r.output, r.exception)


@_SETTINGS
@given(sweep=st.tuples(_numbers, _numbers, _numbers))
def test_keyrate_sweep_one_line_or_finite(sweep):
    text = ":".join(str(x) for x in sweep)
    try:
        a, b, c = (float(x) for x in sweep)
        n = (b - a) / c + 1 if c else math.inf
    except (ValueError, ZeroDivisionError, OverflowError):
        n = math.inf
    if 0 <= n <= 5 and all(math.isfinite(float(x)) for x in sweep):
        return  # a real (small) sweep: computing it is the other tests' business
    r = CliRunner().invoke(app, ["keyrate", "--sweep", text, "--json"])
    if r.exit_code == 0:
        for rec in json.loads(r.stdout):
            assert all(math.isfinite(rec[k]) for k in ("distance_km", "key_rate_per_pulse", "plob_per_pulse"))
    else:
        _refused(r)


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "1e309"])
def test_ring_override_never_prints_nan(value):
    r = CliRunner().invoke(app, ["ring", "--gap-um", value, "--json"])
    assert r.exit_code != 0
    _refused(r)


_limit = st.fixed_dictionaries({"name": st.text(max_size=6), "metric": st.sampled_from(["fsr_GHz", "q_intrinsic", ""])},
                               optional={"min": _scalars, "max": _scalars, "why": _scalars, "extra": _scalars})


@_SETTINGS
@given(section=st.one_of(st.lists(_limit, max_size=3), _scalars))
def test_spec_loader_one_line_or_finite_limits(tmp_path_factory, section):
    import yaml
    from qchipnet.wafer.specs import load_spec

    p = tmp_path_factory.mktemp("s") / "spec.yaml"
    try:
        p.write_text(yaml.safe_dump({"sin": section}))
    except (yaml.YAMLError, UnicodeEncodeError):
        return
    try:
        spec = load_spec("sin", p)
    except QchipnetError as exc:
        _one_line(str(exc))
        return
    assert spec.limits and len({lim.name for lim in spec.limits}) == len(spec.limits)
    for lim in spec.limits:
        assert all(v is None or math.isfinite(v) for v in (lim.min, lim.max))


@_SETTINGS
@given(doc=st.one_of(_values, st.dictionaries(st.sampled_from(["sin", "inp"]),
                                              st.dictionaries(st.sampled_from(["width_bias_um", "thickness_nm", "x"]),
                                                              st.dictionaries(st.sampled_from(
                                                                  ["nominal", "sigma_wafer", "corr_length_mm", "y"]),
                                                                  _scalars, max_size=2), max_size=2), max_size=2)))
def test_process_file_one_line_or_finite(tmp_path_factory, doc):
    import yaml
    from qchipnet.pdk import get_platform
    from qchipnet.pdk.process import load_process_file

    p = tmp_path_factory.mktemp("p") / "process.yaml"
    try:
        p.write_text(yaml.safe_dump(doc))
    except (yaml.YAMLError, UnicodeEncodeError):
        return
    try:
        data = load_process_file(p)
        for plat, over in data.items():
            if plat not in ("sin", "inp"):
                continue
            proc = get_platform(plat).process.with_overrides(over)
            for par in proc.parameters.values():
                assert math.isfinite(par.nominal) and math.isfinite(par.sigma_total)
    except QchipnetError as exc:
        _one_line(str(exc))


@settings(max_examples=12, deadline=None)
@given(opt=st.sampled_from(["--distance-km", "--fibre-loss-db-per-km", "--detector-efficiency", "--misalignment",
                            "--dark-count-prob", "--pulses", "--ec-efficiency"]), value=_numbers)
def test_keyrate_options_one_line_or_finite(opt, value):
    r = CliRunner().invoke(app, ["keyrate", opt, str(value), "--json"])
    if r.exit_code == 0:
        rec = json.loads(r.stdout)
        assert all(math.isfinite(rec[k]) for k in ("key_rate_per_pulse", "plob_per_pulse", "qber_x")), rec
        assert rec["key_rate_per_pulse"] >= 0
    else:
        _refused(r)
