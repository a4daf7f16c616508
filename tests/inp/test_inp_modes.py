"""InP mode tables: provenance, physics sanity, live spot check with meow."""

from __future__ import annotations

import pytest

from qchipnet.models.inp_modes import load_inp_table, solve_point


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
