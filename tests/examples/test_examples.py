"""Every worked example in ``examples/`` runs as a plain script (``QCHIPNET_EXAMPLE_FAST=1``), so the
documentation cannot rot (after scikit-fem's ``test_examples.py``). All examples run in one
subprocess so that imports and compiled models are shared: the whole test stays well under 90 s."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("[0-9][0-9]_*.py"))

_RUNNER = """
import json, runpy, sys, time
times = {}
for path in sys.argv[1:]:
    t0 = time.perf_counter()
    runpy.run_path(path, run_name="__main__")
    times[path] = round(time.perf_counter() - t0, 2)
print("EXAMPLE_TIMES " + json.dumps(times))
"""


@pytest.mark.examples
def test_examples_run_as_scripts(tmp_path):
    assert len(EXAMPLES) >= 5
    env = {**os.environ, "QCHIPNET_EXAMPLE_FAST": "1", "MPLBACKEND": "Agg", "TMPDIR": str(tmp_path)}
    r = subprocess.run([sys.executable, "-c", _RUNNER, *map(str, EXAMPLES)], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, r.stderr[-3000:]
    times = json.loads(r.stdout.split("EXAMPLE_TIMES ")[-1])
    assert len(times) == len(EXAMPLES)
    assert "'clean': True" in r.stdout or '"clean": true' in r.stdout.lower()


def test_examples_are_jupytext_percent_scripts():
    for p in EXAMPLES:
        text = p.read_text()
        assert "format_name: percent" in text and "# %% [markdown]" in text, p.name
        assert "QCHIPNET_EXAMPLE_FAST" in text, p.name
