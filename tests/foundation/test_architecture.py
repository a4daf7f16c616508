"""The package's shape: every module imports, the one-way data flow holds, imports have no side
effects, and pyproject lists every subpackage (so ``pip install .`` ships all of them)."""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXCLUDED_DIRS = {"tests", "benchmarks", ".ci", "build", "dist", ".git", "docs", "examples", "site"}

#: top-level unit -> units it may import (ARCHITECTURE.md: left of or above it in the data-flow picture)
BASE = {"constants", "validate", "batching", "__init__"}
ALLOWED: dict[str, set[str]] = {
    "__main__": BASE | {"cli"},
    "constants": set(),
    "validate": set(),
    "batching": set(),
    "pdk": BASE,
    "components": BASE | {"pdk"},
    "models": BASE | {"pdk"},
    "layouts": BASE | {"pdk", "components"},
    "circuits": BASE | {"pdk", "components", "models"},
    "system": BASE | {"pdk", "models", "circuits"},
    "wafer": BASE | {"pdk", "components", "models", "circuits", "system", "layouts", "design"},
    "design": BASE | {"pdk", "components", "models", "circuits", "system"},
    "report": BASE | {"pdk", "components", "models", "circuits", "system", "layouts", "wafer", "design"},
    # the design optimiser and sensitivity analysis sit on the whole evaluator (wafer studies included)
    "optim": BASE | {"pdk", "components", "models", "circuits", "system", "layouts", "wafer", "design", "pipeline"},
    "pipeline": BASE | {"pdk", "components", "models", "circuits", "system", "layouts", "wafer", "design", "report"},
    "cli": BASE | {"pdk", "components", "models", "circuits", "system", "layouts", "wafer", "design", "report", "pipeline",
                   "cli", "optim"},
}


def _package_files() -> list[Path]:
    out = []
    for p in ROOT.rglob("*.py"):
        rel = p.relative_to(ROOT)
        if rel.parts[0] in EXCLUDED_DIRS or any(part.startswith(".") for part in rel.parts):
            continue
        out.append(p)
    return sorted(out)


def _unit(rel: Path) -> str:
    return rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 or rel.suffix == ".py" else rel.parts[0]


def _imported_units(path: Path) -> set[str]:
    rel = path.relative_to(ROOT)
    pkg_parts = list(rel.parts[:-1])  # package of this module, relative to the root
    tree = ast.parse(path.read_text(), filename=str(path))
    units = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("qchipnet."):
                    units.add(a.name.split(".")[1])
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and node.module.startswith("qchipnet."):
                    units.add(node.module.split(".")[1])
                elif node.module == "qchipnet":
                    units.update(a.name for a in node.names if _is_unit(a.name))
            else:
                base = pkg_parts[: len(pkg_parts) - (node.level - 1)]
                target = base + (node.module.split(".") if node.module else [])
                if target:
                    units.add(target[0])
                else:
                    units.update(a.name for a in node.names if _is_unit(a.name))
    return units


def _is_unit(name: str) -> bool:
    return (ROOT / name).is_dir() or (ROOT / f"{name}.py").is_file()


def test_one_way_data_flow():
    bad = []
    for path in _package_files():
        rel = path.relative_to(ROOT)
        unit = _unit(rel)
        if unit == "__init__":
            continue
        allowed = ALLOWED.get(unit)
        assert allowed is not None, f"{rel}: top-level unit {unit!r} is not in the architecture map"
        for imp in _imported_units(path) - {unit}:
            if imp not in allowed:
                bad.append(f"{rel} imports {imp}")
    assert not bad, "layering violations (ARCHITECTURE.md):\n" + "\n".join(bad)


def test_layering_check_catches_a_violation(tmp_path):
    p = ROOT / "pdk" / "_probe_layering_tmp.py"
    p.write_text("from ..models import x\n")
    try:
        assert "models" in _imported_units(p)
        assert "models" not in ALLOWED["pdk"]
    finally:
        p.unlink()


def _module_names() -> list[str]:
    names = []
    for p in _package_files():
        rel = p.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(["qchipnet", *parts]))
    return names


@pytest.mark.parametrize("name", _module_names())
def test_every_module_imports(name):
    importlib.import_module(name)


def test_import_has_no_side_effects(tmp_path):
    """Importing every module activates no PDK and writes no file."""
    code = (
        "import gdsfactory.pdk as gp, os, importlib, sys\n"
        f"names = {_module_names()!r}\n"
        "before = set(os.listdir('.'))\n"
        "for n in names: importlib.import_module(n)\n"
        "assert gp._ACTIVE_PDK is None or 'qchipnet' not in gp._ACTIVE_PDK.name, gp._ACTIVE_PDK.name\n"
        "assert set(os.listdir('.')) == before, set(os.listdir('.')) ^ before\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip().endswith("ok")
    assert os.listdir(tmp_path) == []


def test_pyproject_lists_every_subpackage():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(cfg["tool"]["setuptools"]["packages"])
    found = {"qchipnet"}
    for init in ROOT.rglob("__init__.py"):
        rel = init.parent.relative_to(ROOT)
        if rel.parts and (rel.parts[0] in EXCLUDED_DIRS or any(x.startswith(".") for x in rel.parts)):
            continue
        if rel.parts:
            found.add(".".join(["qchipnet", *rel.parts]))
    assert found == listed, f"missing in pyproject: {found - listed}; listed but absent: {listed - found}"
    assert cfg["tool"]["setuptools"]["package-dir"] == {"qchipnet": "."}


def test_padded_batch_sizes_bound_padding_and_programs():
    """Batches pad to powers of two up to FINE_ABOVE, beyond it by at most 12.5 %, with at most 8 sizes per
    octave; never below the batch or the minimum."""
    from qchipnet.batching import FINE_ABOVE, padded_size

    sizes = {padded_size(n) for n in range(1, 1 << 16)}
    assert all(padded_size(n) >= n for n in range(1, 70000, 7))
    assert all(padded_size(n) <= 1.125 * n for n in range(FINE_ABOVE + 1, 1 << 17, 13))
    assert len([s for s in sizes if (1 << 14) < s <= (1 << 15)]) == 8
    assert {padded_size(n) for n in range(1, FINE_ABOVE + 1)} == {1 << k for k in range(13)}
    assert padded_size(3, minimum=256) == 256
