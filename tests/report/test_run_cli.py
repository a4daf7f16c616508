"""`qchipnet run` end to end once on a small Monte Carlo, and `qchipnet mask --only client`."""

from __future__ import annotations

import json

import pytest

from qchipnet.cli import main


@pytest.fixture(scope="module")
def run_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    main(["run", "--out", str(out), "--dies", "20", "--drc", "cells"])
    return out


def test_run_writes_results_report_and_provenance(run_out):
    res = json.loads((run_out / "results.json").read_text())
    for key in ("design", "design_hash", "masks", "ring", "transmitter", "network", "yield", "provenance"):
        assert key in res
    assert res["provenance"]["design_hash"] == res["design_hash"]
    assert set(res["provenance"]["stage_times_s"]) >= {"design", "masks + DRC", "network key rates", "report"}
    assert (run_out / "report.html").is_file() and (run_out / "provenance.json").is_file()
    client = [w for w in res["masks"]["wafers"] if w["platform"] == "inp"][0]
    assert client["drc"]["clean"] and (run_out / client["gds"]).is_file()
    ev = res["network"]["evaluations"]
    assert [e["distance_km"] for e in ev] == res["design"]["network"]["distances_km"]
    # the key rate never beats PLOB at short distance and the curve falls with distance
    kr = res["network"]["curve"]["key_rate_per_pulse"]
    assert kr[0] > kr[-1]


def test_design_option_errors_are_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("server_ring:\n  gap_um: 0.1\n")
    with pytest.raises(SystemExit) as ei:
        main(["mask", "--out", str(tmp_path / "m"), "--design", str(bad)])
    assert ei.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "server_ring.gap_um = 0.1" in err and "allowed range [0.9105, 3.89] um" in err
