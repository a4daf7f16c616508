"""`qchipnet run` as a resumable job (issue 16 item 1): the stages of a killed run are kept and
`--resume` continues from the last finished one; a finished run carries `finished.json`; `--json`
prints only JSON. The stage functions are replaced by fast stand-ins (the real ones are run end to
end by tests/report/test_run_cli.py), so this checks the run-folder logic alone, in seconds."""

from __future__ import annotations

import json
import warnings

import pytest
from qchipnet import pipeline
from qchipnet.cli import main


class _Boom(RuntimeError):
    pass


@pytest.fixture()
def fake_stages(monkeypatch):
    calls: list[str] = []
    fail = {"stage": None}

    def stage(name, result):
        def fn(*a, **k):
            calls.append(name)
            if fail["stage"] == name:
                raise _Boom(name)
            return result
        return fn

    monkeypatch.setattr(pipeline, "_masks", stage("masks", {"status": "ok", "wafers": [], "chips": []}))
    monkeypatch.setattr(pipeline, "evaluate_ring", stage("ring", {"status": "ok", "fsr_GHz": 30.03, "q_intrinsic": 2e7,
                                                                  "D2_over_2pi_kHz": -700.0}))
    monkeypatch.setattr(pipeline, "evaluate_transmitter", stage("tx", {"status": "ok", "vpi_V": 5.8,
                                                                       "im_visibility_dB": 33.0,
                                                                       "dbr_tuning_range_nm": 3.5}))
    monkeypatch.setattr(pipeline, "evaluate_network_of", stage("net", {"status": "ok", "network_capability_km": 3700.0,
                                                                       "evaluations": []}))
    monkeypatch.setattr(pipeline, "_yield", stage("yield", {"status": "ok", "studies": {}}))
    return calls, fail


def test_resume_continues_from_the_last_finished_stage(tmp_path, fake_stages, capsys):
    calls, fail = fake_stages
    out = tmp_path / "run"
    fail["stage"] = "net"
    with pytest.raises(_Boom):
        pipeline.run(None, out, dies=10, echo=lambda s: None)
    assert calls == ["masks", "ring", "tx", "net"]
    state = json.loads((out / "run_state.json").read_text())
    assert list(state["stages"]) == ["masks + DRC", "server ring", "transmitter"]
    assert not (out / "finished.json").exists()
    # a plain rerun is refused at once, naming the two ways on
    with pytest.raises(SystemExit) as ei:
        main(["run", "--out", str(out), "--dies", "10"])
    assert ei.value.code == 2 and "--resume" in capsys.readouterr().err
    # a resume with other dies is refused: it would mix two jobs
    with pytest.raises(SystemExit):
        main(["run", "--out", str(out), "--dies", "11", "--resume"])
    assert "dies" in capsys.readouterr().err
    calls.clear()
    fail["stage"] = None
    try:
        main(["run", "--out", str(out), "--dies", "10", "--resume", "--json"])
    except SystemExit as exc:
        assert exc.code in (0, None)
    assert calls == ["net", "yield"]  # masks, ring and transmitter were kept
    printed = json.loads(capsys.readouterr().out)  # --json: nothing but JSON on stdout
    assert printed["network_capability_km"] == 3700.0 and printed["run_dir"] == str(out)
    assert json.loads((out / "finished.json").read_text())["finished"]
    assert (out / "report.html").is_file() and (out / "results.json").is_file()
    # --overwrite recomputes everything, without a single library warning from the run-folder side
    calls.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipeline.run(None, out, dies=10, echo=lambda s: None, overwrite=True)
    assert calls == ["masks", "ring", "tx", "net", "yield"]
    assert not caught, [str(w.message) for w in caught]
