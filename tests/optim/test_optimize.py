"""``qchipnet optimize`` (issue 14 item 1): the bounded optimiser finds the known optimum of small synthetic
problems (interior, at a bound, at a design rule) without ever evaluating an infeasible point; the gradient check
tells a correct gradient from a wrong one; the command refuses bad options in one line, writes a consistent
output folder (also when interrupted) and prints the promised JSON keys.

The synthetic problems have the interface of ``qchipnet.optim.objective.Problem`` with objectives whose optimum
is known in closed form, so the optimiser is tested independently of the network physics."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qchipnet.cli import main
from qchipnet.optim import run as optrun
from qchipnet.validate import InputError


class Quadratic:
    """f(x) = 10 - sum_i a_i ((x_i - c_i) / s_i)^2 + b (x_2 - lo_2) / s_2 on a box with variables of different
    units: x_0 has an interior optimum c_0, x_1 one at c_1 unless the rule x_0 / 1000 + x_1 <= limit cuts it,
    x_2 rises linearly (optimum at its upper bound)."""

    objective_name = "pairs_above_plob"
    temperature = 0.1
    networks = 8
    seed = 1

    def __init__(self, limit: float = np.inf, wrong: bool = False):
        self.names = ("transmitter.pm_length_um", "server_ring.gap_um", "transmitter.voa_length_um")
        self.lower = np.array([600.0, 1.0, 200.0])
        self.upper = np.array([1700.0, 2.5, 1000.0])
        self.x0 = np.array([700.0, 1.5, 400.0])
        self.c = np.array([1300.0, 1.6, 0.0])
        self.a = np.array([3.0, 1.0, 0.0])
        self.b = 0.5
        self.limit = limit
        self.wrong = wrong
        self.seen: list[np.ndarray] = []

    def _s(self):
        return self.upper - self.lower

    def value(self, x):
        x = np.asarray(x, float)
        s = self._s()
        return float(10.0 - np.sum(self.a * ((x - self.c) / s) ** 2) + self.b * (x[2] - self.lower[2]) / s[2])

    def value_and_grad(self, x):
        x = np.asarray(x, float)
        self.seen.append(x.copy())
        s = self._s()
        g = -2 * self.a * (x - self.c) / s**2
        g[2] += self.b / s[2]
        if self.wrong:
            g[1] = -g[1]  # a sign error in one component
        return self.value(x), g

    def feasible(self, x):
        x = np.asarray(x, float)
        if np.any(x < self.lower) or np.any(x > self.upper):
            return "outside the bounds"
        if x[0] / 1000.0 + x[1] > self.limit:
            return f"pm_length_um / 1000 + gap_um = {x[0] / 1000 + x[1]:.4g} > {self.limit} (synthetic rule)"
        return None

    def to_design(self, x):
        from qchipnet.design import default_design, parse_design

        why = Quadratic.feasible(self, x)
        if why:
            raise InputError(why)
        if not hasattr(Quadratic, "_base"):
            Quadratic._base = default_design().model_dump(mode="json")
        data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in Quadratic._base.items()}
        for name, v in zip(self.names, x):
            sec, fld = name.split(".")
            data[sec][fld] = float(v)
        return parse_design(data, source="synthetic")


class DesignRule(Quadratic):
    """The gap's optimum (1.1 um) lies where the design's own rule refuses it (smallest DOE gap = gap - 0.4 um
    >= WG.S.1 0.8 um): feasibility is the design's validation, as in the real problem."""

    def __init__(self):
        super().__init__()
        self.c = np.array([1300.0, 1.1, 0.0])

    def feasible(self, x):
        try:
            self.to_design(x)
        except InputError as exc:
            return str(exc)
        return None

    def to_design(self, x):
        x = np.asarray(x, float)
        if np.any(x < self.lower) or np.any(x > self.upper):
            raise InputError("outside the bounds")
        return Quadratic.to_design(self, x)


def test_finds_interior_and_bound_optimum():
    p = Quadratic()
    res = optrun.optimize(p, budget_s=60, max_iter=150)
    x = res.x
    assert abs(x[0] - 1300.0) < 0.01 * 1100, x  # interior optimum, within 1 % of the range
    assert abs(x[1] - 1.6) < 0.01 * 1.5, x
    assert x[2] == pytest.approx(1000.0, abs=1e-9), x  # optimum at the upper bound: exactly on it
    assert res.objective == pytest.approx(p.value(np.array([1300.0, 1.6, 1000.0])), abs=1e-3)
    assert res.objective >= max(h.objective for h in res.history) - 1e-15  # the best iterate is returned
    bind = optrun.binding_constraints(p, res.x, res.grad)
    assert [(c["name"], c["bound"], c["pushing"]) for c in bind] == [("transmitter.voa_length_um", "upper", True)]


@settings(max_examples=12, deadline=None, derandomize=True)
@given(u0=st.floats(0.1, 0.9), u1=st.floats(0.1, 0.9), a0=st.floats(0.3, 5.0), a1=st.floats(0.3, 5.0))
def test_finds_random_interior_optima(u0, u1, a0, a1):
    """Any interior optimum, any curvature ratio (up to 17:1 between the variables): found within 1 % of the range."""
    p = Quadratic()
    p.c = p.lower + np.array([u0, u1, 0.0]) * (p.upper - p.lower)
    p.a = np.array([a0, a1, 0.0])
    res = optrun.optimize(p, budget_s=60, max_iter=150)
    err_u = np.abs(res.x[:2] - p.c[:2]) / (p.upper - p.lower)[:2]
    assert np.all(err_u < 0.01), (res.x, p.c, res.stop_reason)
    assert res.x[2] == pytest.approx(1000.0)


def test_infeasible_region_never_entered_and_optimum_on_the_rule():
    # unconstrained optimum 1.3 + 1.6 = 2.9 > 2.6: the optimum is on the rule x0/1000 + x1 = 2.6
    p = Quadratic(limit=2.6)
    res = optrun.optimize(p, budget_s=60, max_iter=150)
    assert all(p.feasible(x) is None for x in p.seen), "an infeasible point was evaluated"
    assert all(p.feasible(np.array(h.x)) is None for h in res.history)
    assert res.x[0] / 1000 + res.x[1] == pytest.approx(2.6, abs=0.01)  # stopped on the rule
    assert res.x[2] == pytest.approx(1000.0)  # the rule does not freeze the variable it does not involve
    held = {(c["name"], c["bound"]): c for c in optrun.binding_constraints(p, res.x, res.grad)}
    assert held[("transmitter.voa_length_um", "upper")]["pushing"]
    assert "synthetic rule" in held[("server_ring.gap_um", "rule")]["rule"]  # the rule that holds the gap back
    # the constrained optimum (Lagrange) on x0/1000 + x1 = 2.6, x2 = 1000: the optimiser sees the rule only through
    # feasible() and does not slide along it exactly; its objective is within 1e-3 of the optimum's (measured: 6e-5)
    t = np.linspace(600.0, 1700.0, 200001)
    f_star = max(p.value(np.array([a, 2.6 - a / 1000, 1000.0])) for a in t[::100])
    assert f_star - 1e-3 < res.objective <= f_star + 1e-9, (res.x, res.objective, f_star)


def test_design_rule_binds_and_iterates_are_valid_designs():
    p = DesignRule()  # every feasibility probe validates a real design (~0.1-0.3 s): few iterations
    p.x0 = np.array([1300.0, 1.25, 1000.0])
    res = optrun.optimize(p, budget_s=60, max_iter=3)
    assert all(p.feasible(x) is None for x in p.seen)
    assert 1.2 <= res.x[1] < 1.2 + 0.02, res.x  # stopped at the rule gap - 0.4 >= 0.8 um, not at 1.1 um
    assert p.to_design(res.x).server_ring.gap_um == pytest.approx(res.x[1])


def test_deterministic():
    a = optrun.optimize(Quadratic(limit=2.6), budget_s=60, max_iter=30)
    b = optrun.optimize(Quadratic(limit=2.6), budget_s=60, max_iter=30)
    assert [(h.iteration, h.objective, h.x) for h in a.history] == [(h.iteration, h.objective, h.x) for h in b.history]


def test_stops_at_convergence_and_budget():
    res = optrun.optimize(Quadratic(), budget_s=60, max_iter=5000)
    assert res.stop_reason.startswith("converged") and res.iterations < 5000
    p = Quadratic()
    p.x0 = np.array([1300.0, 1.6, 1000.0])  # at the optimum: the projected gradient is zero
    res = optrun.optimize(p, budget_s=60, max_iter=100)
    assert res.iterations == 0 and res.stop_reason.startswith("converged")
    slow = Quadratic()
    orig = slow.value_and_grad

    def sleepy(x):
        import time

        time.sleep(0.05)
        return orig(x)

    slow.value_and_grad = sleepy
    res = optrun.optimize(slow, budget_s=1.0, max_iter=10_000)
    assert res.stop_reason == "budget_s" and res.elapsed_s < 1.2


def test_infeasible_start_refused():
    p = Quadratic(limit=2.0)  # 0.7 + 1.5 = 2.2 > 2.0
    with pytest.raises(InputError, match="start design"):
        optrun.optimize(p, budget_s=10, max_iter=5)


def test_gradient_check_tells_right_from_wrong():
    ok = optrun.gradient_check(Quadratic())
    assert ok["rel_err"] < 1e-6, ok  # central differences are exact for a quadratic up to round-off
    assert [c["scheme"] for c in ok["components"]] == ["central"] * 3
    bad = optrun.gradient_check_rel_err(Quadratic(wrong=True))
    assert bad > 1.0  # a sign error: |g - (-g)| / |g| = 2
    # at a bound the one-sided second-order difference is used and is still exact for a quadratic
    p = Quadratic()
    p.x0 = np.array([600.0, 2.5, 1000.0])
    at = optrun.gradient_check(p)
    assert [c["scheme"] for c in at["components"]] == ["forward", "backward", "backward"]
    assert at["rel_err"] < 1e-6


# ------------------------------------------------------------------------------------------------ the command




@pytest.mark.parametrize("extra, words", [
    (["--objective", "max_fun"], ["--objective", "max_fun", "pairs_above_plob"]),
    (["--distance-km", "0"], ["--distance-km = 0", "[1, 2000] km"]),
    (["--distance-km", "nan"], ["--distance-km = nan"]),
    (["--budget-s", "0.5"], ["--budget-s = 0.5", "[1, 86400] s"]),
    (["--networks", "0"], ["--networks = 0", "[1, 100000]"]),
    (["--max-iter", "-1"], ["--max-iter = -1"]),
    (["--seed", str(2**63)], ["--seed", "9223372036854775807"]),
    (["--mc-networks", "1"], ["--mc-networks = 1", "[2, 1000000]"]),
    (["--temperature", "0"], ["--temperature = 0", "[0.0001, 1]"]),
    (["--temperature", "inf"], ["--temperature = inf"]),
    (["--temperature", "2"], ["--temperature = 2"]),
    (["--design", "{t}/missing.yaml"], ["design file", "does not exist"]),
    (["--design", "{t}/bad.yaml"], ["server_ring.gap_um"]),
    (["--out", "{t}/file"], ["is a file"]),
    (["--out", "{t}/full"], ["not empty", "--overwrite"]),
    (["--out", "{t}/foreign", "--overwrite"], ["refuses to delete", "mine.txt"]),
])
def test_cli_refuses_bad_options(extra, words, tmp_path, cli_fails):
    (tmp_path / "bad.yaml").write_text("server_ring:\n  gap_um: 50\n")
    (tmp_path / "file").write_text("x")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "optimize.json").write_text("{}")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "mine.txt").write_text("x")
    argv = ["optimize", "--out", str(tmp_path / "o"), *[a.replace("{t}", str(tmp_path)) for a in extra]]
    cli_fails(argv, *words)
    assert not (tmp_path / "o").exists()


def _synthetic(monkeypatch, problem):
    def make_problem(design, *, objective, distance_km, networks, seed, temperature):
        problem.objective_name, problem.networks, problem.seed = objective, networks, seed
        problem.temperature = 0.1 if temperature is None else temperature
        return problem

    monkeypatch.setattr(optrun, "_problem_factory", lambda: make_problem)


def test_cli_json_and_outputs(tmp_path, capsys, monkeypatch):
    """A real command run on a synthetic relaxed objective: real designs, the real (small) Monte Carlo."""
    from qchipnet.design import load_design

    q = Quadratic()
    q.x0 = np.array([700.0, 1.5, 900.0])
    _synthetic(monkeypatch, q)
    out = tmp_path / "opt"
    with pytest.raises(SystemExit) as ei:
        main(["optimize", "--out", str(out), "--json", "--max-iter", "8", "--mc-networks", "2", "--networks", "8",
              "--temperature", "0.2"])
        raise SystemExit(0)
    cap = capsys.readouterr()
    assert ei.value.code == 0, cap.err
    d = json.loads(cap.out)
    for k in ("objective_name", "before", "after", "improvement", "gradient_check_rel_err", "design_file",
              "iterations", "elapsed_s", "cpu_s", "temperature", "networks", "variables", "binding_constraints"):
        assert k in d, k
    assert d["objective_name"] == "pairs_above_plob" and d["temperature"] == 0.2 and d["networks"] == 8
    assert d["improvement"] == pytest.approx(d["after"] / d["before"])
    assert 0 <= d["before"] <= 10 and 0 <= d["after"] <= 10  # pairs above PLOB of a 10-pair network
    assert d["gradient_check_rel_err"] < 1e-6
    assert d["status"] == "finished" and "iter 1/8" in cap.err  # progress on stderr
    assert {v["name"] for v in d["variables"]} == set(Quadratic().names)
    assert all(len(v["bounds"]) == 2 and v["bounds"][0] <= v["end"] <= v["bounds"][1] for v in d["variables"])
    assert ("transmitter.voa_length_um", "upper") in {(c["name"], c["bound"]) for c in d["binding_constraints"]}
    # the design file is a valid design with the optimised values; the folder holds exactly the promised files
    design = load_design(d["design_file"])
    end = {v["name"]: v["end"] for v in d["variables"]}
    assert design.server_ring.gap_um == pytest.approx(end["server_ring.gap_um"])
    assert design.transmitter.voa_length_um == pytest.approx(end["transmitter.voa_length_um"])
    assert sorted(p.name for p in out.iterdir() if p.name != ".lock") == sorted(optrun.OUTPUTS)
    full = json.loads((out / "optimize.json").read_text())
    assert full["history"][0]["iteration"] == 0 and len(full["history"]) == d["iterations"] + 1 - len(
        d["rejected_steps"])
    table = (out / "before_after.md").read_text()
    assert "pairs above PLOB, p5" in table and "V_pi" in table and "Q_i" in table
    assert (out / "convergence.png").read_bytes()[:4] == b"\x89PNG"


def test_interrupt_leaves_consistent_folder(tmp_path, monkeypatch):
    """Ctrl-C at iteration 4: design.yaml is the best design so far, described by optimize.json."""
    from qchipnet.design import load_design

    p = DesignRule()
    orig = p.value_and_grad
    calls = {"n": 0}

    def interrupting(x):
        calls["n"] += 1
        if calls["n"] == 6:  # the start, the gradient check's one, then iterations 1-3 -> Ctrl-C in iteration 4
            raise KeyboardInterrupt
        return orig(x)

    p.value_and_grad = interrupting
    _synthetic(monkeypatch, p)

    def small_mc(design, objective_name, **kw):  # the Monte Carlo is not under test here
        return {"objective": 5.0, "objective_se": 0.1, "networks": 2}

    monkeypatch.setattr(optrun, "mc_objective", small_mc)
    from qchipnet.design import default_design

    with pytest.raises(KeyboardInterrupt):
        optrun.run_optimize(default_design(), tmp_path, max_iter=20, mc_networks=2)
    res = json.loads((tmp_path / "optimize.json").read_text())
    assert res["status"] == "interrupted" and res["iterations"] == 3 and res["after"] is None
    design = load_design(tmp_path / "design.yaml")
    end = {v["name"]: v["end"] for v in res["variables"]}
    assert design.transmitter.pm_length_um == pytest.approx(end["transmitter.pm_length_um"])
    assert end["transmitter.pm_length_um"] != pytest.approx(700.0)  # it moved from the start
    from qchipnet.design import design_hash

    assert res["design_hash"] == design_hash(design)
    assert not [q for q in tmp_path.iterdir() if q.name.endswith(".tmp")]


def test_objectives_match_the_relaxed_ones():
    """Every objective offered has an unrelaxed Monte Carlo twin in the relaxed objective's units."""
    from qchipnet.optim import objective

    assert set(optrun.objectives()) == set(objective.OBJECTIVES) == set(optrun.UNRELAXED)
    assert optrun._KEY_RATE_UNIT == objective.KEY_RATE_UNIT
