"""Run-folder integrity of yield studies (issue 16): an existing output is refused, resumed or replaced
before anything is computed; resuming needs the same study; every chunk carries a checksum and its
identity; corrupted, foreign, stray and missing files are refused in one line naming the file; one
writer per folder; a failed new study leaves nothing behind.

A fast stand-in evaluator (analytic in the sampled process offsets) keeps these tests to seconds; the
real evaluators go through the same store in ``test_engine.py``.
"""

from __future__ import annotations

import json
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
from qchipnet.validate import InputError
from qchipnet.wafer.engine import make_config, run_study
from qchipnet.wafer.store import folder_lock

DIES = 400  # two 355-die server wafers -> two chunks


class Counting:
    """Stand-in ``sin`` evaluator: FSR follows the sampled width bias, everything else passes."""

    def __init__(self):
        self.calls = 0

    def __call__(self, params, defects, design=None, processes=None):
        self.calls += 1
        w = np.asarray(params["width_bias_um"])[:, 0]
        return {"fsr_GHz": 30.03 + 2.0 * w, "q_intrinsic": np.full(w.shape, 2e7),
                "D2_over_2pi_kHz": np.full(w.shape, -700.0), "n_defects": np.asarray(defects.get("ring_defect", 0 * w)),
                "comb_exists": np.ones(w.shape)}


def _study(tmp_path, seed=7, **kw):
    ev = Counting()
    out = tmp_path / "study"
    s = run_study(make_config("sin", DIES, seed), out, progress=False, evaluator=ev, **kw)
    return out, s, ev


def _one_line(exc) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and "Traceback" not in msg
    return msg


def test_manifest_records_checksum_and_identity_and_finished_marker(tmp_path):
    out, _, _ = _study(tmp_path)
    man = json.loads((out / "manifest.json").read_text())
    assert sorted(man["chunks"]) == ["0", "1"]
    rec = man["chunks"]["1"]
    assert rec["wafers"] == [1] and rec["seed"] == 7 and rec["rows"] == DIES - 355 and len(rec["sha256"]) == 64
    fin = json.loads((out / "finished.json").read_text())
    assert fin["finished"] and len(fin["dies_sha256"]) == 64
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert len(pd.read_parquet(out / "dies.parquet")) == DIES


def test_existing_output_refused_before_any_computation(tmp_path):
    out, _, _ = _study(tmp_path)
    ev = Counting()
    with pytest.raises(InputError) as ei:
        run_study(make_config("sin", DIES, 7), out, progress=False, evaluator=ev)
    assert "--resume" in _one_line(ei) and "--overwrite" in str(ei.value)
    assert ev.calls == 0
    with pytest.raises(InputError, match="exclusive"):
        run_study(make_config("sin", DIES, 7), out, progress=False, resume=True, overwrite=True)


def test_resume_and_overwrite_give_the_same_dies(tmp_path):
    out, s, _ = _study(tmp_path)
    ref = pd.read_parquet(out / "dies.parquet")
    ev = Counting()
    s2 = run_study(make_config("sin", DIES, 7), out, progress=False, evaluator=ev, resume=True)
    assert ev.calls == 0 and s2["chunks_computed_now"] == 0
    pd.testing.assert_frame_equal(pd.read_parquet(out / "dies.parquet"), ref)
    s3 = run_study(make_config("sin", DIES, 7), out, progress=False, evaluator=ev, overwrite=True)
    assert s3["chunks_computed_now"] == 2 and s3["yield"] == s["yield"]
    pd.testing.assert_frame_equal(pd.read_parquet(out / "dies.parquet"), ref)


def test_resume_needs_the_same_study_and_its_manifest(tmp_path):
    out, _, _ = _study(tmp_path)
    with pytest.raises(InputError) as ei:
        run_study(make_config("sin", DIES, 8), out, progress=False, evaluator=Counting(), resume=True)
    assert "'seed' differs" in _one_line(ei)
    (out / "manifest.json").unlink()  # the case: a seed-7 run resumed as seed 8 without its manifest
    with pytest.raises(InputError) as ei:
        run_study(make_config("sin", DIES, 8), out, progress=False, evaluator=Counting(), resume=True)
    assert "no manifest.json" in _one_line(ei)


def test_unrelated_folder_is_neither_resumed_nor_overwritten(tmp_path):
    other = tmp_path / "photos"
    other.mkdir()
    (other / "holiday.jpg").write_bytes(b"x")
    for kw, word in (({}, "not empty"), ({"resume": True}, "no manifest.json"), ({"overwrite": True}, "holiday.jpg")):
        with pytest.raises(InputError) as ei:
            run_study(make_config("sin", DIES, 7), other, progress=False, evaluator=Counting(), **kw)
        assert word in _one_line(ei)
    assert sorted(p.name for p in other.iterdir()) == ["holiday.jpg"]


@pytest.mark.parametrize("damage", ["flip", "swap", "truncate", "missing", "stray", "bad_manifest"])
def test_damaged_folder_refused_naming_the_file(tmp_path, damage):
    out, _, _ = _study(tmp_path)
    c0, c1 = out / "chunks" / "c00000.parquet", out / "chunks" / "c00001.parquet"
    named = c1.name
    if damage == "flip":
        b = bytearray(c1.read_bytes())
        b[len(b) // 2] ^= 0x01
        c1.write_bytes(bytes(b))
    elif damage == "swap":
        shutil.copyfile(c0, c1)
    elif damage == "truncate":
        c1.write_bytes(c1.read_bytes()[:100])
    elif damage == "missing":
        c1.unlink()
    elif damage == "stray":
        (out / "chunks" / "notes.txt").write_text("x")
        named = "notes.txt"
    else:
        (out / "manifest.json").write_text("{not json")
        named = "manifest.json"
    ev = Counting()
    with pytest.raises(InputError) as ei:
        run_study(make_config("sin", DIES, 7), out, progress=False, evaluator=ev, resume=True)
    assert named in _one_line(ei) and ev.calls == 0


def test_foreign_chunk_with_a_forged_record_is_refused(tmp_path):
    """A chunk of another study copied in with its manifest record: the identity inside the file differs."""
    a, _, _ = _study(tmp_path / "a", seed=7)
    b, _, _ = _study(tmp_path / "b", seed=8)
    man_a, man_b = (json.loads((p / "manifest.json").read_text()) for p in (a, b))
    shutil.copyfile(b / "chunks" / "c00001.parquet", a / "chunks" / "c00001.parquet")
    man_a["chunks"]["1"]["sha256"] = man_b["chunks"]["1"]["sha256"]
    (a / "manifest.json").write_text(json.dumps(man_a))
    with pytest.raises(InputError) as ei:
        run_study(make_config("sin", DIES, 7), a, progress=False, evaluator=Counting(), resume=True)
    assert "c00001.parquet" in _one_line(ei) and "another study" in str(ei.value)


def test_one_writer_per_folder(tmp_path):
    out, _, _ = _study(tmp_path)
    with folder_lock(out), pytest.raises(InputError) as ei:
        run_study(make_config("sin", DIES, 7), out, progress=False, evaluator=Counting(), resume=True)
    assert "another process" in _one_line(ei)


def test_failed_new_study_leaves_nothing_behind(tmp_path):
    def no_metrics(params, defects, design=None, processes=None):
        return {"something_else": np.zeros(len(params["width_bias_um"]))}

    out = tmp_path / "new"
    with pytest.raises(InputError, match="does not produce"):
        run_study(make_config("sin", DIES, 7), out, progress=False, evaluator=no_metrics)
    assert not out.exists()
    # the same study can then be run into it (nothing to resume or overwrite)
    run_study(make_config("sin", DIES, 7), out, progress=False, evaluator=Counting())
    assert (out / "finished.json").is_file()


def test_killed_writer_temporaries_are_ignored_and_removed(tmp_path):
    out, _, _ = _study(tmp_path)
    (out / "chunks" / ".c00001.parquet.abc123.tmp").write_bytes(b"half a chunk")
    run_study(make_config("sin", DIES, 7), out, progress=False, evaluator=Counting(), resume=True)
    assert not [p for p in out.rglob("*.tmp")]


def test_dask_gives_the_same_dies_and_shuts_down_quietly(tmp_path, capfd):
    """Two local Dask workers write the same chunks as the in-process run, and closing the cluster
    prints no "still alive ... killing" (or any other) log line."""
    ref, _, _ = _study(tmp_path / "inproc")
    out = tmp_path / "dask"
    capfd.readouterr()
    lines = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_study(make_config("sin", DIES, 7), out, progress=False, evaluator=Counting(), workers=2, echo=lines.append)
    assert not caught, [str(w.message) for w in caught]
    pd.testing.assert_frame_equal(pd.read_parquet(out / "dies.parquet"), pd.read_parquet(ref / "dies.parquet"))
    captured = capfd.readouterr()
    assert "still alive" not in captured.err and "Traceback" not in captured.err, captured.err[-2000:]
    assert not lines  # progress=False: nothing printed (the dashboard line is part of the progress output)
