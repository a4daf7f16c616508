"""The public Python API (``import qchipnet``): every name documented, typed and wrapping the library
function it names; results read back into pandas carry their provenance."""

from __future__ import annotations

import inspect

import pandas as pd
import pytest
import qchipnet
from qchipnet.validate import InputError


@pytest.mark.parametrize("name", [n for n in qchipnet.__all__ if n != "__version__"])
def test_api_functions_are_documented_and_typed(name):
    fn = getattr(qchipnet, name)
    doc = inspect.getdoc(fn)
    assert doc and len(doc) > 40, name
    sig = inspect.signature(fn)
    assert sig.return_annotation is not inspect.Signature.empty, name
    for p in sig.parameters.values():
        if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            assert p.annotation is not inspect.Parameter.empty, f"{name}({p.name})"


def test_api_wraps_the_library():
    from qchipnet.circuits.kit import get_kit
    from qchipnet.design import default_design

    assert qchipnet.get_pdk("sin") is get_kit("sin")
    assert qchipnet.default_design() == default_design()
    assert qchipnet.load_design(None) == default_design()


def test_dies_parquet_carries_provenance(tmp_path):
    """``RunStore.write_summary`` stores the manifest's provenance in the Parquet metadata;
    :func:`qchipnet.read_dies` returns it in ``attrs`` (no manifest needed)."""
    from qchipnet.wafer.store import RunStore

    manifest = {"kind": "qchipnet-yield-study", "format_version": 1, "platform": "sin", "dies": 2, "seed": 7,
                "spec": {}, "process": {}, "process_hash": "abc", "chunk_plan": {"n_chunks": 1}, "design": {"name": "x"},
                "versions": {"qchipnet": qchipnet.__version__}}
    store = RunStore(tmp_path / "run")
    dies = pd.DataFrame({"die_id": ["A", "B"], "pass": [True, False]})
    with store.open(manifest, "new"):
        store.write_chunk(0, dies)
        store.write_summary({"yield": 0.5}, store.read_all(1))
    (tmp_path / "run" / "manifest.json").unlink()
    back = qchipnet.read_dies(tmp_path / "run")
    prov = back.attrs["qchipnet_provenance"]
    assert prov["seed"] == 7 and prov["platform"] == "sin" and prov["versions"]["qchipnet"] == qchipnet.__version__
    assert list(back["die_id"]) == ["A", "B"]


def test_read_functions_name_the_missing_file(tmp_path):
    with pytest.raises(InputError, match="dies.parquet"):
        qchipnet.read_dies(tmp_path)
    with pytest.raises(InputError, match="results.json"):
        qchipnet.read_results(tmp_path)
