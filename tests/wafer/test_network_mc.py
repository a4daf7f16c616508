"""Network-level Monte Carlo (wafer/network.py) and the statistics of the yield summaries."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from qchipnet.cli import app
from qchipnet.wafer import network as N
from qchipnet.wafer.specs import (
    cluster_bootstrap_interval,
    per_cluster_yield,
    wilson_interval,
)
from typer.testing import CliRunner

runner = CliRunner()

KEYS = ("platform", "networks", "pairs_per_network", "distance_km", "pairs_above_plob", "all_pairs_working_fraction",
        "network_capability_km", "ratio_to_plob", "min_pair_key_rate_per_pulse", "modulator_yield", "yield_ci95")


@pytest.fixture(scope="module")
def study_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("net")
    st = N.make_network_study(24, 3)
    return N.run_network_study(st, out), out


def test_summary_keys_and_article_numbers(study_out):
    s, out = study_out
    for k in KEYS:
        assert k in s, k
    assert s["platform"] == "network" and s["networks"] == 24 and s["pairs_per_network"] == 10
    for k in ("mean", "p5", "p50", "p95"):
        assert 0 <= s["pairs_above_plob"][k] <= 10
        assert 0 <= s["network_capability_km"][k] <= 10 * 2 * 370 / 2
    # 24 networks x 20 chips x 7 sections: the PDK's 3/120 per section within 4 sigma
    n = 24 * 20 * 7
    assert abs((1 - s["modulator_yield"]) - 3 / 120) < 4 * np.sqrt(3 / 120 * (1 - 3 / 120) / n)
    assert s["chip_executable_fraction"] > 0.97
    assert s["ratio_to_plob"]["p5"] <= s["ratio_to_plob"]["p50"] <= s["ratio_to_plob"]["p95"]
    pairs = pd.read_parquet(out / "pairs.parquet")
    nets = pd.read_parquet(out / "networks.parquet")
    assert len(pairs) == 240 and len(nets) == 24
    assert (nets["pairs_above_plob"] == pairs.groupby("network")["ratio_to_plob"].apply(lambda r: (r > 1).sum())).all()
    # every die is drawn once per network: 20 distinct dies of its client wafer
    for _, g in pairs.groupby("network"):
        ids = list(g["die_a"]) + list(g["die_b"])
        assert len(set(ids)) == 20


def test_same_seed_same_bytes_whatever_the_chunking(study_out, tmp_path, monkeypatch):
    s, out = study_out
    monkeypatch.setattr(N, "_NETWORKS_PER_CHUNK", 5)
    s2 = N.run_network_study(N.make_network_study(24, 3), tmp_path)
    a = pd.read_parquet(out / "pairs.parquet")
    b = pd.read_parquet(tmp_path / "pairs.parquet")
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert s2["pairs_above_plob"] == s["pairs_above_plob"]


def test_matching_never_loses_locked_pairs(tmp_path):
    plain = N.run_network_study(N.make_network_study(16, 11), None)
    matched = N.run_network_study(N.make_network_study(16, 11, match=True), None)
    assert matched["pairs_working"]["mean"] >= plain["pairs_working"]["mean"]


def test_cli_network_json_and_refusals(tmp_path):
    r = runner.invoke(app, ["yield", "--platform", "network", "--dies", "4", "--seed", "2", "--out",
                            str(tmp_path / "n"), "--json", "--plots"])
    assert r.exit_code == 0, r.stdout
    d = json.loads(r.stdout)
    for k in KEYS:
        assert k in d
    assert any(p.endswith("network_pairs_above_plob.png") for p in d["plots"])
    from qchipnet.validate import InputError

    def refused(args, words):
        r = runner.invoke(app, args)
        assert isinstance(r.exception, InputError), r.output  # `qchipnet` prints it as one line, exit 2
        assert words in str(r.exception) and "\n" not in str(r.exception)

    refused(["yield", "--platform", "network", "--dies", "4", "--out", str(tmp_path / "n")], "not empty")
    refused(["yield", "--platform", "inp", "--dies", "4", "--out", str(tmp_path / "m"), "--match"], "--match")
    refused(["yield", "--platform", "network", "--dies", "4", "--out", str(tmp_path / "k"), "--distance-km", "5000"],
            "--distance-km")
    assert not (tmp_path / "k").exists()


def test_cluster_bootstrap_accounts_for_wafers():
    rng = np.random.default_rng(0)
    wafers = np.repeat(np.arange(20), 100)
    p_wafer = rng.uniform(0.3, 0.9, 20)  # yields that differ between wafers
    passes = rng.random(2000) < p_wafer[wafers]
    lo, hi = cluster_bootstrap_interval(passes, wafers, seed=1)
    wlo, whi = wilson_interval(int(passes.sum()), passes.size)
    assert lo <= passes.mean() <= hi
    assert hi - lo > 2 * (whi - wlo)  # clustered dies carry far less information than independent ones
    assert cluster_bootstrap_interval(passes, wafers, seed=1) == (lo, hi)  # deterministic
    one = cluster_bootstrap_interval(passes[:100], wafers[:100])
    assert one == wilson_interval(int(passes[:100].sum()), 100)
    per = per_cluster_yield(passes, wafers)
    assert len(per) == 20 and per[3]["dies"] == 100 and per[3]["yield"] == pytest.approx(passes[300:400].mean())


def test_die_sets_sample_the_wafer_model():
    """The process model sampled at a few dies of many wafers: each parameter's spread over wafers and dies
    is its total sigma, and dies of one wafer share the wafer term."""
    from qchipnet.pdk import get_platform
    from qchipnet.wafer.variation import sample_die_sets

    proc = get_platform("inp").process
    rng = np.random.default_rng(4)
    pos = rng.uniform(-25, 25, (400, 6, 2))
    p, d = sample_die_sets(proc, pos, 38.0, [np.random.default_rng([9, i]) for i in range(400)])
    for name in ("width_bias_um", "core_thickness_um", "eo_coefficient_ln"):
        v = p[name][:, 0]
        assert v.mean() == pytest.approx(proc[name].nominal, abs=4 * proc[name].sigma_total / np.sqrt(400))
        assert v.std() == pytest.approx(proc[name].sigma_total, rel=0.15)
    assert p["eo_coefficient_ln"].shape == (2400, 7) and d["pm_failure_devices"].shape == (2400, 7)
    within = p["width_bias_um"][:, 0].reshape(400, 6).std(axis=1).mean()
    assert within < proc["width_bias_um"].sigma_total  # the wafer term is shared by the dies of a wafer


def test_one_design_is_a_batch_of_one():
    """`qchipnet network` (evaluate_network) and the Monte Carlo's network_batch are one code path: the
    nominal dies repeated in a batch give the single evaluation's numbers, row by row."""
    from qchipnet.design import default_design, network_params
    from qchipnet.system import ServerMetrics, TransmitterMetrics
    from qchipnet.system.network import (
        client_arrays,
        evaluate_network,
        network_batch,
        server_arrays,
    )

    single = evaluate_network(distance_km=370.0)
    params = network_params(default_design())
    srv = {k: np.repeat(v, 3) for k, v in server_arrays(ServerMetrics()).items()}
    cl = {k: np.repeat(v[None], 3, axis=0) for k, v in client_arrays([TransmitterMetrics()] * 20).items()}
    protos = [type(params.protocol)(**p) for p in single["protocols"]]
    res = network_batch(srv, cl, params, protocols=protos, distance_km=370.0)["pairs"]
    for j, p in enumerate(single["pairs"]):
        for row in range(3):
            assert res["key_rate_per_pulse"][row, j] == pytest.approx(p["key_rate_per_pulse"], rel=1e-9)
            assert res["e_d"][row, j] == pytest.approx(p["e_d"], rel=1e-12)


def test_spec_metrics_are_checked_before_a_study_starts(tmp_path):
    """PLATFORM_METRICS is what the evaluators return, so a spec naming anything else is refused by
    make_config: one line naming the metric, before any die is computed or any folder made."""
    from qchipnet.validate import InputError
    from qchipnet.wafer.engine import _sample, make_config
    from qchipnet.wafer.evaluate import EVALUATORS, PLATFORM_METRICS

    for p in ("inp", "sin"):
        cfg = make_config(p, 4, 1)
        params, defects = _sample(cfg.process[p], cfg.plan(p), 1, 0, 4)
        assert tuple(sorted(EVALUATORS[p](params=params, defects=defects))) == tuple(sorted(PLATFORM_METRICS[p]))
    spec = tmp_path / "spec.yaml"
    spec.write_text("inp:\n  - {name: speed, metric: vpi_volts, max: 8}\n")
    with pytest.raises(InputError, match="vpi_volts") as ei:
        make_config("inp", 10, 1, spec_path=str(spec))
    assert "\n" not in str(ei.value)
    r = runner.invoke(app, ["yield", "--platform", "inp", "--dies", "10", "--out", str(tmp_path / "o"), "--spec", str(spec)])
    assert isinstance(r.exception, InputError) and not (tmp_path / "o").exists()


def test_reused_protocol_loses_little_and_reoptimising_never_loses():
    """The design's per-slot protocol reused for every die pair: re-optimising it per pair, at the pair's
    own channel and intensity fluctuation (its chips' DAC level errors), gains >= 0 and under 2 %."""
    from qchipnet.wafer.network import (
        make_network_study,
        protocol_reuse_check,
        run_network_study,
    )

    st = make_network_study(24, 5)
    s = run_network_study(st)
    r = s["protocol_reuse"]
    assert r["pairs"] == 64  # the first 64 working pairs of 240
    assert -1e-9 <= r["mean_rel_gain"] <= r["max_rel_gain"] < 0.02
    import pandas as pd

    fake = pd.DataFrame({"locked": [1.0, 1.0], "key_rate_per_pulse": [1e-7, 1e-7], "p_noise": [1e-8, 1e-8],
                         "e_d": [0.05, 0.05], "intensity_fluctuation": [0.0, 0.3]})
    g = protocol_reuse_check(st, fake)
    assert g["pairs"] == 2 and g["max_rel_gain"] > g["mean_rel_gain"]  # the fluctuation is the pair's own
