"""Shared pytest fixtures and options.

Reference data is never regenerated silently: ``--force-regen`` (pytest-regressions) rewrites YAML /
NPZ regression files and ``--update-gds-refs`` rewrites the GDS references in ``tests/gds_ref/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("JAX_PLATFORMS", "cpu")

GDS_REF_DIR = Path(__file__).parent / "gds_ref"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-gds-refs", action="store_true", default=False,
                     help="rewrite GDS reference files in tests/gds_ref instead of comparing")


def _xor_polygon_count(path_a: Path, path_b: Path) -> dict[str, int]:
    """Per-layer count of XOR polygons between two GDS files (klayout Region boolean)."""
    import klayout.db as kdb

    la, lb = kdb.Layout(), kdb.Layout()
    la.read(str(path_a))
    lb.read(str(path_b))
    ta, tb = la.top_cells(), lb.top_cells()
    assert len(ta) == 1 and len(tb) == 1, "reference and new GDS must have one top cell each"
    infos = {(i.layer, i.datatype) for i in la.layer_infos()} | {(i.layer, i.datatype) for i in lb.layer_infos()}
    out = {}
    for l, d in sorted(infos):
        ra = kdb.Region(ta[0].begin_shapes_rec(la.layer(l, d)))
        rb = kdb.Region(tb[0].begin_shapes_rec(lb.layer(l, d)))
        x = ra ^ rb
        if not x.is_empty():
            out[f"{l}/{d}"] = x.count()
    return out


@pytest.fixture
def gds_regression(request: pytest.FixtureRequest, tmp_path: Path):
    """``gds_regression(component, name, platform)``: XOR the component against its GDS reference."""

    def check(component, name: str, platform: str) -> None:
        ref = GDS_REF_DIR / platform / f"{name}.gds"
        new = tmp_path / f"{name}.gds"
        component.write_gds(new, with_metadata=False)
        if request.config.getoption("--update-gds-refs") or not ref.exists():
            ref.parent.mkdir(parents=True, exist_ok=True)
            ref.write_bytes(new.read_bytes())
            if not request.config.getoption("--update-gds-refs"):
                pytest.fail(f"GDS reference {ref} did not exist; written now, rerun the test")
            return
        diff = _xor_polygon_count(ref, new)
        assert not diff, f"{name}: geometry differs from {ref} (XOR polygons per layer: {diff})"

    return check


@pytest.fixture
def cli_fails(capsys):
    """``cli_fails(argv, *words)``: the CLI called with ``argv`` exits with code 2 and one line on stderr, no
    traceback, holding every one of ``words``; returns that line."""
    from qchipnet.cli import main

    def run(argv, *words):
        with pytest.raises(SystemExit) as ei:
            main(argv)
        err = capsys.readouterr().err.strip()
        assert ei.value.code == 2, err
        assert err.count("\n") == 0 and "Traceback" not in err, err
        for w in words:
            assert w in err, err
        return err

    return run
