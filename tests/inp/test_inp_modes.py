"""InP mode tables: provenance, physics sanity, live spot check with meow."""

from __future__ import annotations

import pytest

from qchipnet.models.inp_modes import DEEP_AXES, SHALLOW_AXES, load_inp_table, solve_point
from qchipnet.pdk.inp.geometry import EpiStack
from qchipnet.pdk.inp.process import get_process

#: Deep-ridge widths a design may draw (um); the shallow ridge is drawn at 2.0 um.
DEEP_DESIGN_WIDTHS = (1.2, 2.0)
SHALLOW_DESIGN_WIDTH = 2.0


@pytest.mark.parametrize("kind", ["deep", "shallow"])
def test_table_provenance(kind):
    t = load_inp_table(kind)
    p = t.provenance
    for key in ("versions", "inputs_hash", "mesh", "materials", "convergence"):
        assert key in p
    assert p["convergence"]["abs_dn_eff"] < 5e-3
    ng = t.data["n_g"]
    assert (ng > 3.4).all() and (ng < 4.0).all()
    assert (t.data["gamma_core"] > 0.4).all() and (t.data["gamma_core"] < 1.0).all()


def test_physics_reference_numbers():
    t = load_inp_table("deep")
    # physics.md 4.1: deep 1.5 um ridge n_eff 3.231, n_g 3.70
    assert float(t.interp("n_eff", width_um=1.5, etch_um=1.0, core_um=0.5, wl_um=1.55)) == pytest.approx(3.231, abs=0.01)
    assert float(t.interp("n_g", width_um=1.5, etch_um=1.0, core_um=0.5, wl_um=1.55)) == pytest.approx(3.70, abs=0.1)


@pytest.mark.slow
def test_live_spot_check():
    t = load_inp_table("shallow")
    pt = {"width_um": 1.6, "etch_um": 0.05, "core_um": 0.45, "wl_um": 1.55}
    live = solve_point("shallow", **pt)
    tol = t.provenance["convergence"]["tolerance_n_eff"]
    assert live["n_eff"] == pytest.approx(float(t.interp("n_eff", **pt)), abs=tol)


def _inside(t, ax, lo, hi):
    a, b = t.axis_range(ax)
    assert a <= lo and hi <= b, f"{t.name}: {ax} [{lo:.4g}, {hi:.4g}] not inside the grid [{a}, {b}]"


def test_tables_cover_four_sigma_of_the_process_and_the_design_widths():
    """+-4 sigma (total) of every sampled table parameter around its nominal, and the drawn ridge
    widths plus +-4 sigma of the width bias, are inside the grids (no clipping in the Monte Carlo)."""
    proc, epi = get_process(), EpiStack()
    s4 = {k: 4 * proc[k].sigma_total for k in ("width_bias_um", "deep_etch_below_core_um", "core_thickness_um")}
    etch0, core0 = proc["deep_etch_below_core_um"].nominal, proc["core_thickness_um"].nominal
    assert etch0 == epi.deep_etch_below_core_um and core0 == epi.core_thickness_um
    deep, shallow = load_inp_table("deep"), load_inp_table("shallow")
    _inside(deep, "etch_um", etch0 - s4["deep_etch_below_core_um"], etch0 + s4["deep_etch_below_core_um"])
    for t in (deep, shallow):
        _inside(t, "core_um", core0 - s4["core_thickness_um"], core0 + s4["core_thickness_um"])
    _inside(deep, "width_um", DEEP_DESIGN_WIDTHS[0] - s4["width_bias_um"], DEEP_DESIGN_WIDTHS[1] + s4["width_bias_um"])
    _inside(shallow, "width_um", SHALLOW_DESIGN_WIDTH - s4["width_bias_um"], SHALLOW_DESIGN_WIDTH + s4["width_bias_um"])
    _inside(shallow, "etch_um", epi.shallow_etch_into_core_um, epi.shallow_etch_into_core_um)


def test_grids_keep_the_original_points():
    for axes, orig in [(DEEP_AXES, {"width_um": (1.0, 1.5, 2.0), "etch_um": (0.8, 1.2), "core_um": (0.45, 0.55)}),
                       (SHALLOW_AXES, {"width_um": (1.6, 2.4), "etch_um": (0.05, 0.15), "core_um": (0.45, 0.55)})]:
        for ax, pts in orig.items():
            assert set(pts) <= set(axes[ax]), (ax, axes[ax])


def test_every_grid_point_is_the_te0_mode():
    for kind in ("deep", "shallow"):
        assert (load_inp_table(kind).data["te_fraction"] > 0.99).all()


def test_values_at_the_nominal_point_did_not_move_when_the_grid_grew():
    """The grid was extended by adding nodes around the original ones (recorded before the change)."""
    t = load_inp_table("deep")
    p = dict(width_um=1.5, etch_um=1.0, core_um=0.5, wl_um=1.55)
    ref = {"n_eff": 3.229275241617949, "n_g": 3.698973328314352, "gamma_eo": 0.747132478386715}
    for q, v in ref.items():
        assert float(t.interp(q, **p)) == pytest.approx(v, rel=1e-12, abs=1e-12), q


@pytest.mark.slow
def test_live_off_grid_point_in_the_extended_range():
    """A point between the new etch node 1.4 and 1.2 and between the widths 2.0/2.25 (core on its
    0.45 node: the core midpoint alone costs 4.9e-4, see the DEEP_AXES note), against meow."""
    t = load_inp_table("deep")
    pt = {"width_um": 2.2, "etch_um": 1.3, "core_um": 0.45, "wl_um": 1.55}
    live = solve_point("deep", **pt)
    tol = t.provenance["convergence"]["tolerance_n_eff"]
    assert live["n_eff"] == pytest.approx(float(t.interp("n_eff", **pt)), abs=tol)
