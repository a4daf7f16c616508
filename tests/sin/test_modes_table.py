"""The generic mode-table machinery (models/modes.py) and the committed sin tables."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from qchipnet.models import sin_modes
from qchipnet.models.modes import ModeTable, StaleTableError, content_hash, load_table
from qchipnet.pdk.sin.process import get_process
from qchipnet.validate import InputError

#: Drawn designs the tables must serve (film thickness, guide / coupler mean width, bus-ring gap)
#: and the nominal design (ring 2.8 um x 100 nm, gap 1.92 um).
DESIGN = {"thickness_nm": (85.0, 120.0), "width_um": (1.8, 4.0)}
NOMINAL = {"thickness_nm": 100.0, "width_um": 2.8, "gap_um": 1.92}


def _four_sigma() -> dict[str, float]:
    proc = get_process()
    return {"thickness_nm": 4 * proc["thickness_nm"].sigma_total, "width_um": 4 * proc["width_bias_um"].sigma_total}


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


@pytest.mark.parametrize("loader", [sin_modes.load_straight, sin_modes.load_coupler, sin_modes.load_thermo])
def test_tables_cover_designs_plus_four_sigma_of_the_process(loader):
    """Designs of 85-120 nm x 1.8-4.0 um, each with +-4 sigma of film thickness and width bias
    (pdk/sin/process.py), and the nominal design +-4 sigma are inside every axis."""
    t = loader()
    s4 = _four_sigma()
    for ax, (lo, hi) in DESIGN.items():
        a, b = t.axis_range(ax)
        assert a <= lo - s4[ax] and hi + s4[ax] <= b, (t.name, ax, (a, b))
        assert a <= NOMINAL[ax] - s4[ax] and NOMINAL[ax] + s4[ax] <= b
    if "gap_um" in t.axes:  # the bias closes the gap by the amount it widens the guides
        a, b = t.axis_range("gap_um")
        assert a <= 0.8 and b >= 4.0
        assert a <= NOMINAL["gap_um"] - s4["width_um"] and NOMINAL["gap_um"] + s4["width_um"] <= b


def test_grids_keep_the_original_points():
    """The grids were extended by adding points: the original nodes (and so the values at the
    nominal design, which is a node) are still there."""
    for grid, ax, pts in [
        (sin_modes.STRAIGHT_GRID, "width_um", [2.0, 2.4, 2.6, 2.8, 3.0, 3.2]),
        (sin_modes.STRAIGHT_GRID, "thickness_nm", [95.0, 100.0, 105.0]),
        (sin_modes.THERMO_GRID, "width_um", [2.4, 2.8, 3.2]),
        (sin_modes.THERMO_GRID, "thickness_nm", [95.0, 100.0, 105.0]),
        (sin_modes.COUPLER_GRID, "gap_um", [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]),
        (sin_modes.COUPLER_GRID, "width_um", [2.2, 2.6, 3.0]),
        (sin_modes.COUPLER_GRID, "thickness_nm", [95.0, 105.0]),
    ]:
        assert set(pts) <= set(grid[ax]), (ax, pts, grid[ax])


def test_values_at_the_nominal_design_did_not_move_when_the_grids_grew():
    """Recorded from the tables before the extension (2.8 um x 100 nm is a node; gap 1.92 um)."""
    s = sin_modes.load_straight()
    kw = dict(width_um=2.8, thickness_nm=100.0, wl_um=1.55)
    ref = {"n_eff": 1.476002157450962, "n_g": 1.5924690495841358, "beta2_ps2_per_km": 701.3512587887851}
    for q, v in ref.items():
        assert float(s.interp(q, method="cubic", **kw)) == pytest.approx(v, rel=1e-12), q
    c = sin_modes.load_coupler()
    lk = float(c.interp("log_kappa_per_um", gap_um=1.92, width_um=2.8, thickness_nm=100.0, wl_um=1.55))
    assert lk == pytest.approx(-7.229519486589684, rel=1e-12)


#: Live meow values (base mesh, 7-wavelength fit as in the build) at off-grid points, computed
#: once when the grids were extended (7 solves each, ~25 CPU-s per point): width, thickness ->
#: (n_eff, n_g, beta2 ps^2/km) at 1.55 um.
LIVE_OFF_GRID = {
    (1.7, 82.0): (1.4548208560954545, 1.5305714964947463, 655.5276041127667),
    (1.8, 88.0): (1.4588524467305737, 1.5474079529375802, 716.3675397264813),
    (2.2, 110.0): (1.477872059045509, 1.6100435746216255, 852.4989567320029),
    (2.9, 97.5): (1.474827465567869, 1.5872789440749977, 673.1809841746789),
    (3.4, 90.0): (1.4720112277178732, 1.5724975112167896, 580.9292842298358),
    (3.5, 112.0): (1.4895064491484358, 1.6234290625099486, 746.6423450516107),
    (4.1, 122.0): (1.5005031257601464, 1.6473854973578825, 794.3117481410778),
}


@pytest.mark.parametrize("point", sorted(LIVE_OFF_GRID))
def test_cubic_interpolation_matches_recorded_live_solves_off_grid(point):
    """n_eff within 2e-5, n_g within 2e-4, beta2 within 3 % of meow between the nodes."""
    t = sin_modes.load_straight()
    kw = dict(width_um=point[0], thickness_nm=point[1], wl_um=1.55)
    n_eff, n_g, beta2 = LIVE_OFF_GRID[point]
    assert float(t.interp("n_eff", method="cubic", **kw)) == pytest.approx(n_eff, abs=2e-5)
    assert float(t.interp("n_g", method="cubic", **kw)) == pytest.approx(n_g, abs=2e-4)
    assert float(t.interp("beta2_ps2_per_km", method="cubic", **kw)) == pytest.approx(beta2, rel=0.03)


@pytest.mark.slow
def test_cubic_n_eff_matches_a_live_solve_off_grid_on_every_axis():
    t = sin_modes.load_straight()
    live = sin_modes.solve_straight(3.5, 112.0, 1.555)["n_eff"]
    assert float(t.interp("n_eff", method="cubic", width_um=3.5, thickness_nm=112.0, wl_um=1.555)) == pytest.approx(
        live, abs=2e-5)


@pytest.mark.slow
def test_coupler_interpolation_matches_live_solve_off_grid():
    """log kappa off-grid on every axis; multilinear (what models.sin uses) within 0.02 (2 % in kappa)."""
    t = sin_modes.load_coupler()
    p = {"gap_um": 1.75, "width_um": 2.4, "thickness_nm": 90.0, "wl_um": 1.545}
    live = sin_modes.solve_coupler(**p)["log_kappa_per_um"]
    assert float(t.interp("log_kappa_per_um", **p)) == pytest.approx(live, abs=0.02)
    assert float(t.interp("log_kappa_per_um", method="cubic", **p)) == pytest.approx(live, abs=0.02)


def test_build_reuses_points_of_a_table_from_the_same_inputs(tmp_path, monkeypatch):
    """Growing a grid solves only the new points; the probe re-solve guards the reuse."""
    calls = []

    def fake_solve(w, t, wl, mesh=None, dT_K=0.0):
        calls.append((w, t, wl, dT_K))
        return {"n_eff": 1.45 + 0.01 * w + 1e-4 * t - 0.05 * (wl - 1.55) + 1e-6 * dT_K, "te_fraction": 1.0,
                "A_eff_um2": 3.0, "core_fraction": 0.5}

    monkeypatch.setattr(sin_modes, "solve_straight", fake_solve)
    monkeypatch.setattr(sin_modes, "THERMO_GRID", {"width_um": [2.4, 2.8], "thickness_nm": [100.0]})
    sin_modes.build_tables(tmp_path, progress=None, only=("sin_thermo",))
    monkeypatch.setattr(sin_modes, "THERMO_GRID", {"width_um": [2.4, 2.8, 3.2], "thickness_nm": [100.0]})
    calls.clear()
    sin_modes.build_tables(tmp_path, progress=None, only=("sin_thermo",))
    rec = json.loads((tmp_path / "sin_thermo.json").read_text())["reuse"]
    assert rec["reused_points"] == 2 and rec["solved_points"] == 1 and rec["check"]["passed"]
    assert len(calls) == 2 + 2 + 2  # probe re-solve, the new point, the fine-mesh convergence record
    t = load_table("sin_thermo", tmp_path, inputs_hash=content_hash(sin_modes.thermo_inputs()))
    assert t.data["dneff_dT_per_K"].shape == (3, 1)
