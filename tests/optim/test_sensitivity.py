"""``qchipnet sensitivity`` (issue 14 item 3): gradients against brute-force Monte Carlo, Sobol indices of
functions with known indices through the same code path, a ranking the physics predicts, the tolerance
answer, the die model against the yield engine's sampler, and the front door (bad options, JSON keys,
same seed -> same bytes)."""

from __future__ import annotations

import contextlib
import io
import json
import math

import numpy as np
import pytest
from qchipnet.cli import main

DIES = 512
SEED = 3
ARGS = ["sensitivity", "--platform", "inp", "--dies", str(DIES), "--seed", str(SEED), "--json"]


def _run_cli(argv: list[str]) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        main(argv)
    return buf.getvalue()


@pytest.fixture(scope="module")
def inp_run() -> tuple[str, dict]:
    text = _run_cli(ARGS)
    return text, json.loads(text)


@pytest.fixture(scope="module")
def one_sigma_metrics() -> dict[str, dict[str, np.ndarray]]:
    """Transmitter metrics a client die needs (``wafer.evaluate.CLIENT_METRICS``) at +1 and -1 total sigma of
    each InP process parameter, the others at nominal: one evaluator call (rows 2i, 2i+1 = parameter i)."""
    from qchipnet.circuits import devices as dv
    from qchipnet.design import default_design
    from qchipnet.pdk import get_platform
    from qchipnet.wafer.evaluate import CLIENT_METRICS

    d = default_design()
    proc = get_platform("inp").process.with_overrides(d.process.get("inp", {}))
    names = list(dv.INP_OFFSETS)
    off = {k: np.zeros(2 * len(names)) for k in names}
    for i, k in enumerate(names):
        off[k][2 * i:2 * i + 2] = [proc[k].sigma_total, -proc[k].sigma_total]
    m = dv.transmitter_metrics(d.transmitter.model_dump(), off, process=proc, keys=CLIENT_METRICS)
    return {k: {key: np.asarray(v)[2 * i:2 * i + 2] for key, v in m.items()} for i, k in enumerate(names)}


@pytest.fixture(scope="module")
def inp_cfg():
    from qchipnet.optim.sensitivity import make_sensitivity

    return make_sensitivity("inp", DIES, SEED)


# ----------------------------------------------------------------------------- front door
def test_json_keys_and_inputs(inp_run):
    _, r = inp_run
    for key in ("ranking", "gradient", "sobol", "corners", "tolerance", "design", "platform", "dies", "seed",
                "target_yield", "yield", "objective"):
        assert key in r, key
    assert (r["platform"], r["dies"], r["seed"], r["target_yield"], r["design"]) == ("inp", DIES, SEED, 0.9, None)
    assert sorted(r["ranking"]) == sorted(r["parameters"])
    assert len(r["corners"]) == 2**3 + 1
    assert set(r["gradient"]["per_parameter"]) == set(r["ranking"])
    for lim in r["gradient"]["temperatures"].values():  # every smoothed limit states its temperature
        assert lim["temperature"] is None or lim["temperature"] > 0


def test_same_seed_same_bytes(inp_run):
    text, _ = inp_run
    assert _run_cli(ARGS) == text


@pytest.mark.parametrize("argv, words", [
    (["--platform", "network"], ["--platform", "'network'", "inp", "pair"]),
    (["--dies", "8"], ["--dies = 8", "[16, 100000]"]),
    (["--seed", "-1"], ["--seed = -1", "[0, 9223372036854775807]"]),
    (["--target-yield", "1"], ["--target-yield = 1", "(0, 1)"]),
    (["--target-yield", "nan"], ["--target-yield", "nan"]),
    (["--corners-k", "7"], ["--corners-k = 7", "[1, 6]"]),
    (["--platform", "sin", "--corners-k", "5"], ["--corners-k = 5", "[1, 3]"]),
    (["--design", "/nonexistent/design.yaml"], ["design file", "does not exist"]),
])
def test_bad_options_one_line(argv, words, capsys):
    with pytest.raises(SystemExit) as ei:
        main(["sensitivity", *argv])
    err = capsys.readouterr().err.strip()
    assert ei.value.code == 2, err
    assert err.count("\n") == 0 and "Traceback" not in err, err
    for w in words:
        assert w in err, err


# ----------------------------------------------------------------------------- gradients
def test_mean_and_sigma_gradients_agree_with_brute_force(inp_run, inp_cfg):
    """The CRN gradient of the dominant parameter against independent-draw Monte Carlo differences of the
    unsmoothed yield (mean +-0.5 sigma; sigma x(1 +- 0.2)), within three combined standard errors plus the
    smoothing bias (SMOOTH_FRACTION^2 ~ 1 % of the gradient)."""
    from qchipnet.optim.sensitivity import study_yield

    _, r = inp_run
    p = r["ranking"][0]
    g = r["gradient"]["per_parameter"][p]
    n = 8192
    yp, sp = study_yield(inp_cfg, mean_shift_sigma={p: 0.5}, dies=n, seed=101)
    ym, sm = study_yield(inp_cfg, mean_shift_sigma={p: -0.5}, dies=n, seed=102)
    bf, bf_se = (yp - ym) / 1.0, math.hypot(sp, sm) / 1.0
    assert abs(g["d_yield_per_1sigma_mean_shift"] - bf) < 3 * math.hypot(g["d_yield_per_1sigma_mean_shift_se"], bf_se)
    assert bf > 5 * bf_se  # the check is not vacuous: the dominant parameter moves the yield
    yp, sp = study_yield(inp_cfg, sigma_scale={p: 1.2}, dies=n, seed=103)
    ym, sm = study_yield(inp_cfg, sigma_scale={p: 0.8}, dies=n, seed=104)
    bf, bf_se = (yp - ym) / 4.0, math.hypot(sp, sm) / 4.0
    assert abs(g["d_yield_per_10pct_sigma"] - bf) < 3 * math.hypot(g["d_yield_per_10pct_sigma_se"], bf_se) + 0.002


def test_common_random_numbers_give_exact_zero_for_an_inert_parameter(inp_run, one_sigma_metrics):
    """A parameter that moves no metric of the design's transmitter at +-1 sigma has a CRN difference of
    exactly 0 (the same dies, the same pass/fail; independent draws would give binomial noise), and a
    total Sobol index of exactly 0."""
    _, r = inp_run
    inert = [k for k, m in one_sigma_metrics.items() if all(np.array_equal(v[0], v[1], equal_nan=True)
                                                            for v in m.values())]
    assert inert, "no inert parameter in this design: the test needs another one"
    for name in inert:
        g = r["gradient"]["per_parameter"][name]
        assert g["d_yield_per_1sigma_mean_shift_unsmoothed"] == 0.0
        assert g["d_yield_per_10pct_sigma_unsmoothed"] == 0.0
        assert r["sobol"]["pass"]["indices"][name]["ST"] == 0.0


# ----------------------------------------------------------------------------- ranking (physics)
def test_ranking_first_is_the_parameter_that_detunes_the_dbr_most(inp_run, one_sigma_metrics):
    """InP dies fail mostly on ``locks_to_its_line``: one TEC set-point must put the DBR on comb line -5 and
    on lambda_0. The parameter that moves the Bragg wavelength most per sigma (from the transmitter
    evaluator, not from the Monte Carlo) must rank first."""
    _, r = inp_run
    fails = r["failures_by_limit"]
    assert max(fails, key=lambda k: (fails[k], k != "key_rate_370km")) == "locks_to_its_line"
    shift = {k: abs(float(np.ravel(m["bragg_nm"])[0] - np.ravel(m["bragg_nm"])[1])) / 2
             for k, m in one_sigma_metrics.items()}
    assert set(shift) == set(r["ranking"])
    assert r["ranking"][0] == max(shift, key=shift.get), shift
    ind = r["sobol"]["pass"]["indices"]
    assert ind[r["ranking"][0]]["ST"] - ind[r["ranking"][0]]["ST_conf95"] > 0.2


# ----------------------------------------------------------------------------- tolerance
def test_tolerance_reaches_the_target(inp_run, inp_cfg):
    """Shrinking a sigma by the reported factor reaches the target with the run's dies, the next step of the
    bisection (2^-8 larger) does not, and independent dies agree within their statistical error."""
    from qchipnet.optim.sensitivity import TOLERANCE_STEPS, study_yield

    _, r = inp_run
    tol = r["tolerance"]
    target = r["target_yield"]
    assert tol["yield_at_nominal_sigma"] < target  # the default design needs a tolerance answer
    reached = {k: v for k, v in tol["per_parameter"].items() if v["status"] == "reached"}
    assert reached, tol
    for name, e in reached.items():
        s = e["sigma_scale"]
        assert 0 <= s < 1
        y, _ = study_yield(inp_cfg, sigma_scale={name: s})
        assert y >= target and y == e["yield_at_scale"]
        y_hi, _ = study_yield(inp_cfg, sigma_scale={name: s + 2.0**-TOLERANCE_STEPS})
        assert y_hi < target
        y_ind, se_ind = study_yield(inp_cfg, sigma_scale={name: s}, dies=8192, seed=105)
        se_run = math.sqrt(target * (1 - target) / DIES)
        assert y_ind >= target - 3 * math.hypot(se_ind, se_run) - 0.01, (name, s, y_ind)
    for name, e in tol["per_parameter"].items():
        if e["status"].startswith("not reachable"):
            y0, _ = study_yield(inp_cfg, sigma_scale={name: 0.0})
            assert y0 < target and y0 == e["yield_with_sigma_zero"]


# ----------------------------------------------------------------------------- corners
def test_corners(inp_run):
    """The nominal die passes; every corner shifts exactly the k dominant parameters by +-3 sigma."""
    _, r = inp_run
    nominal, *corners = r["corners"]
    assert nominal["pass"] and nominal["failed_limits"] == []
    top = r["ranking"][:3]
    signs = set()
    for c in corners:
        assert set(c["offsets_sigma"]) == set(top)
        assert all(abs(v) == 3.0 for v in c["offsets_sigma"].values())
        signs.add(tuple(np.sign(list(c["offsets_sigma"].values()))))
        for name, v in c["values"].items():
            p = r["parameters"][name]
            assert v == pytest.approx(p["nominal"] + c["offsets_sigma"][name] * p["sigma_total"], rel=1e-12, abs=1e-15)
        assert c["pass"] == (c["failed_limits"] == [])
    assert len(signs) == 8


# ----------------------------------------------------------------------------- Sobol through the code path
def test_sobol_linear_model_with_groups():
    """y = x1 + 2 x2 + 3 (x3a + x3b) / sqrt(2) with standard-normal inputs: S_i = ST_i = a_i^2 / sum a^2
    (1, 4, 9) / 14, the last group made of two variables (as a process parameter with local instances)."""
    from qchipnet.optim.sensitivity import Variable, sobol_indices

    v = [Variable("x1", "g1", "norm", (0.0, 1.0)), Variable("x2", "g2", "norm", (0.0, 1.0)),
         Variable("x3a", "g3", "norm", (0.0, 1.0)), Variable("x3b", "g3", "norm", (0.0, 1.0))]
    res = sobol_indices(v, lambda x: {"y": x[:, 0] + 2 * x[:, 1] + 3 * (x[:, 2] + x[:, 3]) / math.sqrt(2)}, 2048, 5)
    exact = {"g1": 1 / 14, "g2": 4 / 14, "g3": 9 / 14}
    for g, s in exact.items():
        e = res["y"]["indices"][g]
        assert abs(e["S1"] - s) < max(3 * e["S1_conf95"], 0.02), (g, e)
        assert abs(e["ST"] - s) < max(3 * e["ST_conf95"], 0.02), (g, e)


def test_sobol_ishigami():
    """Ishigami function (a = 7, b = 0.1, inputs uniform on [-pi, pi]): S1 = 0.3139, 0.4424, 0 and
    ST = 0.5576, 0.4424, 0.2437 (Sobol' & Levitan 1999; Saltelli et al. 2010)."""
    from qchipnet.optim.sensitivity import Variable, sobol_indices

    v = [Variable(f"x{i}", f"x{i}", "unif", (-math.pi, math.pi)) for i in (1, 2, 3)]

    def ishigami(x):
        return {"y": np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])}

    res = sobol_indices(v, ishigami, 4096, 11)["y"]["indices"]
    for g, s1, st in (("x1", 0.3139, 0.5576), ("x2", 0.4424, 0.4424), ("x3", 0.0, 0.2437)):
        assert abs(res[g]["S1"] - s1) < max(3 * res[g]["S1_conf95"], 0.03), (g, res[g])
        assert abs(res[g]["ST"] - st) < max(3 * res[g]["ST_conf95"], 0.03), (g, res[g])


def test_sobol_constant_output_has_no_indices():
    from qchipnet.optim.sensitivity import Variable, sobol_indices

    res = sobol_indices([Variable("x", "x", "norm", (0.0, 1.0))], lambda x: {"y": np.ones(len(x))}, 64, 1)
    assert res["y"]["indices"] is None and res["y"]["variance"] == 0.0


# ----------------------------------------------------------------------------- die model
def test_die_model_is_the_engine_marginal(inp_cfg):
    """One die of ``wafer.variation.sample_die_sets`` (wafer, radial, correlated field and local terms, at
    the plan's die positions) has the die model's variance per instance and covariance between the
    instances of one die (the shared levels), within sampling error."""
    from qchipnet.optim.sensitivity import DieModel
    from qchipnet.wafer.variation import sample_die_sets

    model = DieModel(inp_cfg)
    plan = inp_cfg.study.plan("inp")
    n = 6000
    pos = plan.positions_mm()[np.arange(n) % plan.n_dies][:, None, :]
    rngs = [np.random.default_rng([9, i]) for i in range(n)]
    params, _ = sample_die_sets(inp_cfg.study.process["inp"], pos, plan.wafer_diameter_mm / 2, rngs)
    for f in model.factors:
        v = params[f.param] - f.nominal
        var = float(v[:, 0].var())
        assert abs(var / f.sigma_total**2 - 1) < 5 * math.sqrt(2 / n) + 0.02, (f.name, var, f.sigma_total**2)
        if f.instances > 1:
            cov = float(np.mean(v[:, 0] * v[:, 1]) - v[:, 0].mean() * v[:, 1].mean())
            assert abs(cov - f.sigma_shared**2) < 5 * f.sigma_total**2 / math.sqrt(n) + 0.02 * f.sigma_shared**2
