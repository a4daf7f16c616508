"""Variation model statistics, spatial correlation, seeding; specs and binomial intervals."""

from __future__ import annotations

import numpy as np
import pytest

from qchipnet.layouts.wafer_plan import wafer_plan
from qchipnet.pdk import get_platform
from qchipnet.validate import InputError
from qchipnet.wafer.specs import Limit, clopper_pearson_interval, load_spec, wilson_interval
from qchipnet.wafer.variation import sample_wafer, wafer_rng


@pytest.fixture(scope="module")
def inp_samples():
    plan = wafer_plan("inp")
    proc = get_platform("inp").process
    pos = plan.positions_mm()
    draws = [sample_wafer(proc, pos, plan.wafer_diameter_mm / 2, seed=7, wafer_index=w) for w in range(60)]
    return plan, proc, draws


def test_total_sigma_reproduced(inp_samples):
    """Pooled over wafers and dies, each parameter's spread matches the quadrature sum of its levels."""
    plan, proc, draws = inp_samples
    for name, p in proc.parameters.items():
        v = np.concatenate([d[0][name][:, 0] for d in draws])
        assert abs(v.mean() - p.nominal) < 4 * p.sigma_total / np.sqrt(60) + 1e-12, name
        assert v.std() == pytest.approx(p.sigma_total, rel=0.2), name


def test_within_wafer_field_is_spatially_correlated(inp_samples):
    plan, proc, draws = inp_samples
    pos = plan.positions_mm()
    d = np.hypot(*(pos[:, None, :] - pos[None, :, :]).transpose(2, 0, 1))
    name = "width_bias_um"
    x = np.stack([dr[0][name][:, 0] - dr[0][name][:, 0].mean() for dr in draws])  # remove wafer offset
    c = np.corrcoef(x.T)
    near = c[(d > 0) & (d < 5)].mean()
    far = c[d > 40].mean()
    assert near > 0.6 and far < near - 0.4


def test_local_mismatch_independent_between_instances(inp_samples):
    _, proc, draws = inp_samples
    m = np.concatenate([d[0]["mmi_width_bias_um"] for d in draws])
    diff = m[:, 0] - m[:, 1]
    assert diff.std() == pytest.approx(np.sqrt(2) * proc["mmi_width_bias_um"].sigma_local, rel=0.1)


def test_defect_rate(inp_samples):
    _, proc, draws = inp_samples
    fails = np.concatenate([d[1]["pm_failure"] for d in draws])
    p_hat = fails.sum() / (6 * fails.size)
    assert p_hat == pytest.approx(proc.defects["pm_failure"].p_fail, abs=0.006)


def test_same_seed_same_draws_and_wafers_independent():
    a = wafer_rng(3, 5).standard_normal(4)
    assert np.array_equal(a, wafer_rng(3, 5).standard_normal(4))
    assert not np.array_equal(a, wafer_rng(3, 6).standard_normal(4))
    assert not np.array_equal(a, wafer_rng(4, 5).standard_normal(4))


def test_wilson_and_clopper_pearson():
    lo, hi = wilson_interval(117, 120)
    assert lo < 117 / 120 < hi and hi < 1
    lo, hi = clopper_pearson_interval(3, 120)  # physics.md 5.1: PM failures 0.5-7.1 %
    assert lo == pytest.approx(0.0052, abs=5e-4) and hi == pytest.approx(0.071, abs=1e-3)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == pytest.approx(1.0)
    with pytest.raises(InputError, match="k"):
        wilson_interval(11, 10)


def test_spec_loading_and_errors(tmp_path):
    s = load_spec("inp")
    assert "vpi_V" in s.metrics
    lim = Limit(name="x", metric="m", min=1.0, max=2.0)
    assert lim.passes(np.array([0.5, 1.0, 2.0, 3.0, np.nan])).tolist() == [False, True, True, False, False]
    with pytest.raises(InputError, match="no section"):
        load_spec("gaas")
    bad = tmp_path / "bad.yaml"
    bad.write_text("inp:\n  - {name: a, metric: vpi_V}\n")
    with pytest.raises(InputError, match="needs min or max"):
        load_spec("inp", bad)
    with pytest.raises(InputError, match="does not exist"):
        load_spec("inp", tmp_path / "none.yaml")
    with pytest.raises(InputError, match="does not produce"):
        s.evaluate({"vpi_V": np.ones(3)})


def test_wafer_plan_fits_and_ids_unique():
    for p in ("inp", "sin"):
        plan = wafer_plan(p)
        ids = plan.ids()
        assert len(ids) == len(set(ids)) == plan.n_dies > 20
        pos = plan.positions_mm()
        r = plan.usable_radius_mm
        corners = np.abs(pos) + [plan.pitch_x_mm / 2, plan.pitch_y_mm / 2]
        assert np.all(np.hypot(corners[:, 0], corners[:, 1]) <= r + 1e-9)
    with pytest.raises(InputError, match="fits"):
        wafer_plan("inp", die_width_um=49_000, die_height_um=49_000).n_dies
