"""The generic mode-table machinery (models/modes.py) and the committed sin tables."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from qchipnet.models import sin_modes
from qchipnet.models.modes import ModeTable, StaleTableError, content_hash, load_table
from qchipnet.validate import InputError


@pytest.fixture
def table():
    a, b, c = np.linspace(1.0, 3.0, 5), np.array([90.0, 100.0, 110.0]), np.linspace(1.5, 1.6, 6)
    A, B, C = np.meshgrid(a, b, c, indexing="ij")
    data = {"lin": 2 * A - 0.1 * B + 3 * C + 0.5 * A * C, "cub": A**3 + 0.01 * B**2 + C * A}
    return ModeTable("t", {"width_um": a, "thickness_nm": b, "wl_um": c}, data, {"inputs_hash": "abc"})


def test_multilinear_is_exact_on_multilinear_data(table):
    w, t, wl = np.array([1.1, 2.37, 2.99]), 93.0, np.array([1.51, 1.555, 1.6])
    got = table.interp("lin", width_um=w, thickness_nm=t, wl_um=wl)
    np.testing.assert_allclose(got, 2 * w - 0.1 * t + 3 * wl + 0.5 * w * wl, rtol=1e-12)


def test_cubic_is_exact_on_cubic_data(table):
    got = table.interp("cub", method="cubic", width_um=2.3, thickness_nm=95.0, wl_um=1.55)
    assert float(got) == pytest.approx(2.3**3 + 0.01 * 95.0**2 + 1.55 * 2.3, rel=1e-12)


def test_gradient_and_jit_vmap(table):
    g = jax.grad(lambda w: table.interp("cub", method="cubic", width_um=w, thickness_nm=95.0, wl_um=1.55))(2.3)
    assert float(g) == pytest.approx(3 * 2.3**2 + 1.55, rel=1e-9)
    f = jax.jit(jax.vmap(lambda w: table.interp("lin", width_um=w, thickness_nm=100.0, wl_um=1.5)))
    np.testing.assert_allclose(f(jnp.array([1.0, 3.0])), [2 - 10 + 4.5 + 0.75, 6 - 10 + 4.5 + 2.25], rtol=1e-12)


def test_outside_grid_is_an_error_naming_axis_value_range(table):
    with pytest.raises(InputError, match=r"width_um = 3\.5 .*\[1, 3\]"):
        table.interp("lin", width_um=3.5, thickness_nm=100.0, wl_um=1.55)
    with pytest.raises(InputError, match="missing"):
        table.interp("lin", width_um=2.0, thickness_nm=100.0)


def test_save_load_roundtrip_and_stale_hash(table, tmp_path):
    table.save(tmp_path)
    t2 = load_table("t", tmp_path, inputs_hash="abc")
    assert float(t2.interp("cub", width_um=2.0, thickness_nm=100.0, wl_um=1.6)) == pytest.approx(8 + 100 + 3.2)
    with pytest.raises(StaleTableError, match="qchipnet modes build --platform sin"):
        load_table("t", tmp_path, inputs_hash="other", platform="sin")
    with pytest.raises(StaleTableError, match="not found"):
        load_table("nope", tmp_path, platform="sin")


def test_content_hash_is_canonical():
    assert content_hash({"a": 1.0, "b": [1, 2]}) == content_hash({"b": (1, 2), "a": 1.0000000000001})
    assert content_hash({"a": 1.0}) != content_hash({"a": 1.1})


@pytest.mark.parametrize("loader", [sin_modes.load_straight, sin_modes.load_coupler, sin_modes.load_thermo])
def test_committed_tables_match_current_inputs_and_carry_provenance(loader):
    t = loader()  # raises StaleTableError if the PDK changed since the build
    p = t.provenance
    for key in ("versions", "inputs_hash", "mesh", "materials", "convergence", "created"):
        assert key in p
    assert {"meow-sim", "tidy3d", "numpy"} <= set(p["versions"])
    conv = p["convergence"]
    assert "abs_diff" in conv


def test_straight_table_physics():
    t = sin_modes.load_straight()
    kw = dict(width_um=2.8, thickness_nm=100.0, wl_um=1.55)
    assert 1.444 < float(t("n_eff", **kw)) < 1.50  # between cladding and slab indices
    assert 1.55 < float(t("n_g", **kw)) < 1.62
    assert float(t("beta2_ps2_per_km", **kw)) > 0  # normal dispersion of the thin film
    assert float(t("te_fraction", **kw)) > 0.99
    # thicker film: higher index
    assert float(t("n_eff", width_um=2.8, thickness_nm=105.0, wl_um=1.55)) > float(t("n_eff", **kw))


def test_coupler_table_decays_with_gap():
    t = sin_modes.load_coupler()
    g = np.array(sin_modes.COUPLER_GRID["gap_um"])
    lk = np.asarray(t("log_kappa_per_um", gap_um=g, width_um=2.8, thickness_nm=100.0, wl_um=1.55))
    assert np.all(np.diff(lk) < 0)


def test_live_meow_point_matches_table():
    """Recompute one grid point with meow on the table's own (coarse) mesh."""
    t = sin_modes.load_straight()
    r = sin_modes.solve_straight(2.8, 100.0, 1.55)
    tol = t.provenance["convergence"]["tolerance"]["n_eff"]
    assert r["n_eff"] == pytest.approx(float(t("n_eff", width_um=2.8, thickness_nm=100.0, wl_um=1.55)), abs=tol)


def test_provenance_json_is_valid():
    js = sin_modes.TABLES_DIR / "sin_straight.json"
    meta = json.loads(js.read_text())
    assert meta["name"] == "sin_straight" and meta["platform"] == "sin"
