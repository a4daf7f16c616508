"""Network reproduction of the article and the ``keyrate`` / ``network`` commands."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from qchipnet.cli import app, main
from qchipnet.system.devices import TransmitterMetrics
from qchipnet.system.network import evaluate_network

runner = CliRunner()


@pytest.fixture(scope="module")
def net():
    return {L: json.loads(runner.invoke(app, ["network", "--json", "--distance-km", str(L)]).stdout) for L in (204, 370)}


def test_network_json_keys(net):
    keys = {"pair", "comb_line", "distance_km", "locked", "linewidth_Hz", "qber_x", "key_rate_per_pulse",
            "ratio_to_plob", "e_d_budget", "noise_budget"}
    for res in net.values():
        assert len(res["pairs"]) == 10
        for p in res["pairs"]:
            assert keys <= set(p)
            assert set(p["noise_budget"]) == {"dark_counts", "raman", "rayleigh", "wdm_crosstalk"}
            assert p["locked"] and 50 < p["linewidth_Hz"] < 70


def test_network_reproduces_article(net):
    """QBER_X inside the article's ranges (204 km: 2.87-3.63 %, 370 km: 3.50-4.17 %, with 0.1 % slack) for
    the short-downstream pairs. The reamplified 120-km-downstream pair runs the article's 2-ms-in-5-ms
    cycle, so its phi_d drift error is 5x smaller in the model; the article's pair {A5,B5} stays in the
    same range, so its extra error (amplifier noise on the seed, not modelled) is missing: it is held below."""
    for d, lo, hi in ((204, 0.0287, 0.0373), (370, 0.0350, 0.0427)):
        short = [p for p in net[d]["pairs"] if p["downstream_km"] == 0]
        for p in short:
            assert lo <= p["qber_x"] <= hi, (d, p["pair"], p["qber_x"])
        long = [p for p in net[d]["pairs"] if p["downstream_km"] > 0]
        assert all(p["qber_x"] < min(q["qber_x"] for q in short) for p in long)
    for p in net[204]["pairs"]:
        assert p["ratio_to_plob"] < 1.0
    for p in net[370]["pairs"]:
        assert p["ratio_to_plob"] >= 1.5  # the article: 1.515-3.514 (the reamplified pair has less drift error)
        assert p["downstream_km"] > 0 or p["ratio_to_plob"] <= 3.6
    assert net[370]["network_capability_km"] == pytest.approx(3700.0)


def test_default_design_distance_gives_3700_km():
    res = json.loads(runner.invoke(app, ["network", "--json"]).stdout)
    assert res["network_capability_km"] == pytest.approx(3700.0)


def test_failed_chip_loses_its_pair():
    txs = [TransmitterMetrics()] * 20
    txs[3] = TransmitterMetrics(im_visibility_dB=0.0)  # B_2: modulator failure
    res = evaluate_network(transmitters=txs, distance_km=370.0)
    assert res["pairs"][1]["locked"] is False and res["pairs"][1]["key_rate_per_pulse"] == 0.0
    assert res["n_users"] == 18


def test_keyrate_json():
    r = runner.invoke(app, ["keyrate", "--distance-km", "370", "--json"])
    assert r.exit_code == 0, r.stdout
    d = json.loads(r.stdout)
    for k in ("distance_km", "key_rate_per_pulse", "plob_per_pulse", "ratio_to_plob", "qber_z", "qber_x",
              "s1_lower", "e1_phase_upper", "parameters"):
        assert k in d
    assert d["ratio_to_plob"] > 1
    fixed = json.loads(runner.invoke(app, ["keyrate", "--distance-km", "204", "--json", "--mu-z", "0.45",
                                           "--epsilon", "0.04", "--mu-1", "0.05", "--mu-2", "0.4", "--asymptotic",
                                           "--aopp"]).stdout)
    assert fixed["parameters"]["mu_z"] == 0.45 and fixed["key_rate_per_pulse"] > 0


def test_keyrate_sweep_and_plot(tmp_path):
    png = tmp_path / "kr.png"
    r = runner.invoke(app, ["keyrate", "--sweep", "0:400:100", "--json", "--plot", str(png)])
    assert r.exit_code == 0
    d = json.loads(r.stdout)
    assert [x["distance_km"] for x in d] == [0, 100, 200, 300, 400]
    assert png.stat().st_size > 1000


@pytest.mark.parametrize("argv, name", [
    (["keyrate", "--distance-km", "-5"], "distance_km"),
    (["keyrate", "--distance-km", "100", "--mu-1", "0.3", "--mu-2", "0.2"], "mu_2"),
    (["keyrate", "--distance-km", "100", "--dark-count-prob", "2"], "p_dark"),
    (["network", "--distance-km", "-5"], "distance_km"),
])
def test_cli_errors_one_line_exit_2(argv, name, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and name in err and "\n" not in err
