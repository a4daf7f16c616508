"""The relaxed network objective of the design optimiser (``optim.objective``): it is the network Monte
Carlo on the same dies as the temperature goes to 0, its jax gradient is the derivative of its value,
and every design it hands out is valid."""

from __future__ import annotations

import numpy as np
import pytest

from qchipnet.optim import objective as ob


@pytest.fixture(scope="module")
def prob():
    return ob.make_problem(networks=6, seed=3)


def test_variables_and_bounds(prob):
    names = set(prob.names)
    assert {"transmitter.pm_length_um", "transmitter.dbr_grating_period_nm", "server_ring.width_um",
            "server_ring.gap_um", "server_ring.bus_width_um"} <= names
    assert np.all(prob.lower < prob.upper)
    assert np.all((prob.lower <= prob.x0) & (prob.x0 <= prob.upper))
    assert prob.feasible(prob.x0) is None


def test_low_temperature_is_the_monte_carlo_count(prob):
    """As T -> 0 every sigmoid becomes its step: the relaxed value is the Monte Carlo's mean number of
    pairs above PLOB on the very same dies (the study's draws of the same seed)."""
    hard = ob.hard_objective(prob, prob.x0)
    t = prob.temperature
    try:
        prob.temperature = 1e-3
        cold = prob.value(prob.x0)
    finally:
        prob.temperature = t
    assert cold == pytest.approx(hard, abs=0.02)
    warm = prob.value(prob.x0)
    assert 0 < warm <= 10 and abs(warm - hard) < 0.5  # the default temperature smooths, it does not bias much


def test_gradient_matches_finite_differences(prob):
    v, g = prob.value_and_grad(prob.x0)
    assert v == pytest.approx(prob.value(prob.x0), rel=1e-12)
    for name in ("transmitter.dbr_grating_period_nm", "transmitter.dbr_rear_length_um"):
        i = prob.names.index(name)
        h = 1e-3 * (prob.upper[i] - prob.lower[i])
        xp, xm = prob.x0.copy(), prob.x0.copy()
        xp[i] += h
        xm[i] -= h
        fd = (prob.value(xp) - prob.value(xm)) / (2 * h)
        assert g[i] == pytest.approx(fd, rel=0.05, abs=1e-3 * np.max(np.abs(g))), name


def test_ceiling_bounds_the_objective(prob):
    """Perfect chips on the same networks: every pair locked, no chip-made error; no design beats it,
    and at 370 km every pair of a perfect network is above PLOB."""
    c = prob.ceiling()
    assert prob.value(prob.x0) <= c + 1e-9
    assert c == pytest.approx(len(prob._ctx["params"].pairs), abs=0.05)


def test_ring_radius_follows_the_fsr(prob):
    """A wider ring gets the radius that keeps the start design's FSR (the comb grid is the network's)."""
    from qchipnet.circuits import devices as dv

    x = prob.x0.copy()
    i = prob.names.index("server_ring.width_um")
    x[i] += 0.2
    d = prob.to_design(x)
    assert d.server_ring.width_um == pytest.approx(3.0)
    assert d.server_ring.radius_um != pytest.approx(prob._ctx["design"].server_ring.radius_um, abs=1e-3)
    fsr = float(np.asarray(dv.ring_metrics(d.server_ring.model_dump(), process=prob._ctx["process"]["sin"])["fsr_GHz"]))
    assert fsr == pytest.approx(prob._ctx["fsr0_GHz"], abs=2e-3)


def test_invalid_candidates_are_refused(prob):
    x = prob.x0.copy()
    x[prob.names.index("server_ring.bus_width_um")] += 0.1  # bus wider than the ring
    assert "bus" in prob.feasible(x)
    x = prob.x0.copy()
    x[0] = prob.upper[0] * 2
    assert "outside" in prob.feasible(x)
    assert prob.snap(np.r_[prob.x0[:-1], 2.8013])[-1] == pytest.approx(2.802)


def test_bad_options_are_refused():
    from qchipnet.validate import InputError

    with pytest.raises(InputError, match="objective"):
        ob.make_problem(objective="fastest", networks=2)
    with pytest.raises(InputError, match="temperature"):
        ob.make_problem(temperature=0.0, networks=2)
    with pytest.raises(InputError, match="networks"):
        ob.make_problem(networks=0)


def test_optimiser_on_the_real_objective_gives_a_valid_better_design(prob):
    """Two steps of the optimiser on the real relaxed objective: the objective does not fall, every variable
    stays in its bounds and the design handed out validates (schema, design rules, lasing, die size)."""
    from qchipnet.design import parse_design
    from qchipnet.optim.run import optimize

    res = optimize(prob, max_iter=2, budget_s=120)
    assert res.objective >= res.objective0 - 1e-12
    assert np.all((prob.lower <= res.x) & (res.x <= prob.upper))
    d = prob.to_design(res.x)
    assert parse_design(d.model_dump(mode="json"), source="round trip") == d
