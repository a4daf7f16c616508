"""The documentation site (mkdocs + mkdocs-gen-files + jupytext, from the registry: the ``test`` and
``docs`` extras) builds offline, strictly, with one page per worked example."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_docs_build_offline(tmp_path):
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                        "-d", str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    pages = sorted(p.parent.name for p in (tmp_path / "site" / "examples").glob("*/index.html"))
    assert pages == sorted(p.stem for p in (ROOT / "examples").glob("[0-9][0-9]_*.py"))
    assert "sax.circuit" in (tmp_path / "site" / "examples" / "02_own_circuit_sin" / "index.html").read_text()
    kits = (tmp_path / "site" / "pdk" / "index.html").read_text()  # generated from the kits themselves
    assert "qchipnet_sin" in kits and "qchipnet_inp" in kits and "sin_heated_ring_arc" in kits
