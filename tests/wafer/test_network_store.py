"""The network Monte Carlo as a resumable job (issue 12 item 7): one checked write per chunk into a run
folder (``wafer.store.RunStore``), the final tables the same bytes whatever the chunking, the workers or the
point a killed or interrupted run was resumed from; another study, a damaged chunk or a foreign folder is
refused in one line before anything is computed.

Small studies: 30 networks in chunks of 5 or 6 (every chunk in the same padded batches, so one compilation).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from qchipnet.validate import InputError
from qchipnet.wafer import network as N

NETS, SEED = 30, 5
FINAL = ("pairs.parquet", "networks.parquet")
TIMING = ("elapsed_s", "cpu_s", "dies_per_cpu_s", "networks_per_chunk", "n_chunks", "chunks_computed_now", "out_dir")


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_line(exc) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and "Traceback" not in msg, msg
    return msg


def _run(out, size: int, monkeypatch, study=None, **kw) -> dict:
    monkeypatch.setattr(N, "_NETWORKS_PER_CHUNK", size)
    return N.run_network_study(study or N.make_network_study(NETS, SEED), out, **kw)


def _no_computation(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("a refused study must not compute")

    monkeypatch.setattr(N, "evaluate_networks", boom)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The study in chunks of 5 networks (6 chunks), uninterrupted."""
    from qchipnet.models.cache import enable_compilation_cache

    enable_compilation_cache()
    mp = pytest.MonkeyPatch()
    out = tmp_path_factory.mktemp("netstore") / "ref"
    try:
        s = _run(out, 5, mp)
    finally:
        mp.undo()
    return out, s


def test_folder_layout_manifest_and_marker(reference):
    out, s = reference
    man = json.loads((out / "manifest.json").read_text())
    assert man["platform"] == "network" and man["dies"] == NETS and man["chunk_plan"]["n_chunks"] == 6
    assert sorted(man["chunks"], key=int) == [str(i) for i in range(6)]
    rec = man["chunks"]["5"]
    assert rec["networks"] == [25, 30] and rec["seed"] == SEED and rec["cpu_s"] >= 0
    for table in N.CHUNK_TABLES:
        f = out / rec["tables"][table]["file"]
        assert f.name == f"c00005.{table}.parquet" and _sha(f) == rec["tables"][table]["sha256"]
    assert rec["tables"]["pairs"]["rows"] == 5 * s["pairs_per_network"] and rec["tables"]["networks"]["rows"] == 5
    fin = json.loads((out / "finished.json").read_text())
    assert fin["pairs_sha256"] == _sha(out / "pairs.parquet") and fin["networks_sha256"] == _sha(out / "networks.parquet")
    assert fin["summary_sha256"] == _sha(out / "summary.json")
    assert not list(out.rglob("*.tmp"))
    pairs = pd.read_parquet(out / "pairs.parquet")
    assert pairs.attrs["qchipnet_provenance"]["platform"] == "network"
    assert pairs["network"].tolist() == sorted(pairs["network"]) and pairs["network"].nunique() == NETS
    # the stored rows are the evaluator's rows, types and all (a chunk of 5 is the first chunk)
    p0, n0, _ = N.evaluate_networks(N.make_network_study(NETS, SEED), 0, 5)
    pd.testing.assert_frame_equal(pairs.iloc[:len(p0)].reset_index(drop=True), p0, check_exact=True)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "networks.parquet").iloc[:5], n0, check_exact=True)
    assert json.loads((out / "summary.json").read_text())["networks"] == NETS == s["networks"]


def test_chunking_does_not_change_a_byte(reference, tmp_path, monkeypatch):
    ref, s = reference
    s6 = _run(tmp_path / "six", 6, monkeypatch)  # 5 chunks of 6 networks
    for f in FINAL:
        assert _sha(tmp_path / "six" / f) == _sha(ref / f), f
    assert {k: v for k, v in s6.items() if k not in TIMING} == {k: v for k, v in s.items() if k not in TIMING}
    assert s6["n_chunks"] == 5 and s["n_chunks"] == 6


def test_interrupted_run_keeps_its_chunks_and_resumes_to_the_same_bytes(reference, tmp_path, monkeypatch):
    """Ctrl-C during the third chunk: two chunks kept, one line saying how to resume; the resumed study
    computes the four others and writes the uninterrupted run's files."""
    ref, _ = reference
    out = tmp_path / "ctrl_c"
    calls = {"n": 0}
    evaluate = N.evaluate_networks

    def interrupted(*a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return evaluate(*a, **k)

    monkeypatch.setattr(N, "evaluate_networks", interrupted)
    with pytest.raises(InputError) as ei:
        _run(out, 5, monkeypatch)
    assert "2 of 6 chunks kept" in _one_line(ei) and "--resume" in str(ei.value)
    assert not (out / "pairs.parquet").exists() and not (out / "finished.json").exists()
    monkeypatch.setattr(N, "evaluate_networks", evaluate)
    with pytest.raises(InputError) as ei:  # a plain rerun would mix two jobs: refused
        _run(out, 5, monkeypatch)
    assert "--resume" in _one_line(ei)
    s = _run(out, 5, monkeypatch, resume=True)
    assert s["chunks_computed_now"] == 4
    for f in FINAL:
        assert _sha(out / f) == _sha(ref / f), f
    _no_computation(monkeypatch)  # a finished study resumed: nothing computed, the same files
    assert _run(out, 5, monkeypatch, resume=True)["chunks_computed_now"] == 0
    for f in FINAL:
        assert _sha(out / f) == _sha(ref / f), f


def test_killed_process_resumes_from_the_cli_to_the_same_bytes(reference, tmp_path, monkeypatch):
    """A SIGKILL after the second chunk (the engine's fault hook) loses nothing that was written; the CLI
    refuses a plain rerun and ``--resume`` finishes the study with the uninterrupted run's bytes."""
    ref, _ = reference
    run = tmp_path / "killed"
    argv = ["yield", "--platform", "network", "--dies", str(NETS), "--seed", str(SEED), "--out", str(run), "--json"]
    code = ("import sys; from qchipnet.wafer import network as N; N._NETWORKS_PER_CHUNK = 5; "
            "from qchipnet.cli import main; main(sys.argv[1:])")
    env = dict(os.environ, QCHIPNET_FAULT_AFTER_CHUNKS="2")
    r = subprocess.run([sys.executable, "-c", code, *argv], env=env, capture_output=True, text=True, timeout=600,
                       check=False)
    assert r.returncode == -9, r.stderr[-2000:]
    man = json.loads((run / "manifest.json").read_text())
    assert len(man["chunks"]) == 2 and not (run / "pairs.parquet").exists()
    from qchipnet.cli import app
    from typer.testing import CliRunner

    monkeypatch.setattr(N, "_NETWORKS_PER_CHUNK", 5)
    r = CliRunner().invoke(app, argv)
    assert isinstance(r.exception, InputError) and "--resume" in str(r.exception)
    r = CliRunner().invoke(app, [*argv, "--resume"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["chunks_computed_now"] == 4
    for f in FINAL:
        assert _sha(run / f) == _sha(ref / f), f


@pytest.mark.parametrize("change, key", [({"seed": SEED + 1}, "'seed'"), ({"distance_km": 300.0}, "'distance_km'"),
                                         ({"match": True}, "'match'"), ({"networks": NETS + 1}, "'dies'"),
                                         ({"design": "variant"}, "'design'")])
def test_resume_of_another_study_is_refused(reference, tmp_path, monkeypatch, change, key):
    ref, _ = reference
    out = tmp_path / "copy"
    shutil.copytree(ref, out)
    kw = {"networks": NETS, "seed": SEED, **change}
    if kw.get("design") == "variant":
        from qchipnet.design import default_design

        kw["design"] = {**default_design().model_dump(mode="json"), "name": "variant"}
    study = N.make_network_study(kw.pop("networks"), kw.pop("seed"), **kw)
    _no_computation(monkeypatch)
    with pytest.raises(InputError) as ei:
        _run(out, 5, monkeypatch, study=study, resume=True)
    assert key in _one_line(ei) and "differs" in str(ei.value)
    with pytest.raises(InputError) as ei:  # another chunk size is another chunk plan
        _run(out, 6, monkeypatch, resume=True)
    assert "'chunk_plan'" in _one_line(ei)


@pytest.mark.parametrize("damage, named", [("flip", "c00001.pairs.parquet"), ("missing", "c00002.sections.parquet"),
                                           ("stray", "c00001.extra.parquet"), ("swap", "c00003.networks.parquet"),
                                           ("record", "manifest.json")])
def test_damaged_chunk_is_refused_naming_the_file(reference, tmp_path, monkeypatch, damage, named):
    ref, _ = reference
    out = tmp_path / "copy"
    shutil.copytree(ref, out)
    chunks = out / "chunks"
    if damage == "flip":
        b = bytearray((chunks / named).read_bytes())
        b[len(b) // 2] ^= 0x01
        (chunks / named).write_bytes(bytes(b))
    elif damage == "missing":
        (chunks / named).unlink()
    elif damage == "stray":
        (chunks / named).write_bytes(b"x")
    elif damage == "swap":  # chunk 0's networks copied over chunk 3's, its checksum forged in the manifest
        shutil.copyfile(chunks / "c00000.networks.parquet", chunks / named)
        man = json.loads((out / "manifest.json").read_text())
        man["chunks"]["3"]["tables"]["networks"]["sha256"] = _sha(chunks / named)
        (out / "manifest.json").write_text(json.dumps(man))
    else:  # a chunk record that lost one of its tables
        man = json.loads((out / "manifest.json").read_text())
        del man["chunks"]["4"]["tables"]["sections"]
        (out / "manifest.json").write_text(json.dumps(man))
    _no_computation(monkeypatch)
    with pytest.raises(InputError) as ei:
        _run(out, 5, monkeypatch, resume=True)
    assert named in _one_line(ei)


def test_overwrite_replaces_a_study_and_nothing_else(reference, tmp_path, monkeypatch):
    ref, _ = reference
    out = tmp_path / "copy"
    shutil.copytree(ref, out)
    (out / "chunks" / "c00004.pairs.parquet").write_bytes(b"damaged")
    with pytest.raises(InputError) as ei:
        _run(out, 5, monkeypatch, resume=True, overwrite=True)
    assert "exclusive" in _one_line(ei)
    s = _run(out, 5, monkeypatch, overwrite=True)
    assert s["chunks_computed_now"] == 6
    for f in FINAL:
        assert _sha(out / f) == _sha(ref / f), f
    other = tmp_path / "photos"
    other.mkdir()
    (other / "holiday.jpg").write_bytes(b"x")
    _no_computation(monkeypatch)
    for kw, words in (({}, "not empty"), ({"resume": True}, "no manifest.json"), ({"overwrite": True}, "holiday.jpg")):
        with pytest.raises(InputError) as ei:
            _run(other, 5, monkeypatch, **kw)
        assert words in _one_line(ei)
    assert sorted(p.name for p in other.iterdir()) == ["holiday.jpg"]


def test_dask_workers_write_the_same_bytes_and_use_one_xla_thread(reference, tmp_path, monkeypatch):
    """Two local Dask workers (the engine's cluster, reached here as a ``--scheduler``) compute the chunks in
    any order and the final files are the in-process run's; each worker's XLA CPU client runs one intra-op
    thread (``PJRT_NPROC=1``, engine.WORKER_ENV), not one per core."""
    from qchipnet.models.cache import cache_dir
    from qchipnet.wafer.engine import _dask_client

    ref, _ = reference
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", str(cache_dir() / "jax"))  # workers reuse compiled programs
    with _dask_client(2, None, None) as client:
        s = _run(tmp_path / "dask", 5, monkeypatch, scheduler=client.scheduler.address)
        probes = client.run(_xla_threads)
    assert s["chunks_computed_now"] == 6
    for f in FINAL:
        assert _sha(tmp_path / "dask" / f) == _sha(ref / f), f
    assert len(probes) == 2 and all(p == ("1", 1) for p in probes.values()), probes


def _xla_threads() -> tuple[str | None, int]:
    """PJRT_NPROC and the number of XLA CPU intra-op threads (``tf_XLAEigen``) of this process after a jax op."""
    import glob

    import jax.numpy as jnp

    float(jnp.sum(jnp.arange(100.0) ** 2))
    names = []
    for p in glob.glob("/proc/self/task/*/comm"):
        try:
            with open(p) as f:
                names.append(f.read().strip())
        except OSError:  # a thread that ended meanwhile
            pass
    return os.environ.get("PJRT_NPROC"), sum(n.startswith("tf_XLAEigen") for n in names)
