"""The report in a real browser (issue 16 item 4): headless Debian Chromium renders ``report.html``
at 1280 x 800 and reports from inside the page that no image is broken, the summary starts in the
first screen and nothing scrolls sideways. Skipped where Chromium is not installed (``.ci/run``
installs Debian's ``chromium``)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from qchipnet.design import Design, design_hash
from qchipnet.report.html import build_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (apt-get install chromium)")

_PROBE = """<script>window.addEventListener('load',()=>{const imgs=[...document.images];
const broken=imgs.filter(i=>!i.complete||i.naturalWidth===0).map(i=>i.getAttribute('src'));
const s=document.getElementById('summary').getBoundingClientRect();
const r={images:imgs.length,broken:broken,summary_top:s.top,viewport_h:innerHeight,
scroll_w:document.documentElement.scrollWidth,viewport_w:innerWidth};
const p=document.createElement('pre');p.id='probe';p.textContent=JSON.stringify(r);document.body.appendChild(p);});
</script>"""


def _run_folder(tmp_path):
    d = Design()
    rng = np.random.default_rng(1)
    ydir = tmp_path / "yield_inp"
    ydir.mkdir()
    n = 60
    dies = pd.DataFrame({"wafer": np.repeat([0, 1], n // 2), "x_mm": rng.uniform(-20, 20, n),
                         "y_mm": rng.uniform(-20, 20, n), "pass_vpi_max": rng.random(n) > 0.2,
                         "pass_key_rate_370km": rng.random(n) > 0.1})
    dies["pass"] = dies["pass_vpi_max"] & dies["pass_key_rate_370km"]
    dies.to_parquet(ydir / "dies.parquet")
    pairs = [{"pair": i, "comb_line": i - 5, "distance_km": 370.0, "locked": True, "qber_x": 0.03, "e_d": 0.03,
              "key_rate_per_pulse": 1e-7 * i, "plob_per_pulse": 5e-8, "ratio_to_plob": 2.0 * i} for i in range(1, 11)]
    long_name = "a-very-long-unbroken-layout-name-" * 6
    res = {
        "design_hash": design_hash(d), "design": d.model_dump(mode="json"),
        "masks": {"status": "ok", "wafers": [], "chips": [{"name": "chip", "gds": f"masks/{long_name}.gds",
                                                           "drc": {"clean": True, "violations": {}}}]},
        "ring": {"status": "failed", "reason": "not run"}, "transmitter": {"status": "failed", "reason": "not run"},
        "network": {"status": "ok", "evaluations": [{"distance_km": 370.0, "pairs": pairs, "network_capability_km": 3700.0,
                                                     "n_users": 20}],
                    "curve": {"distance_km": [10, 200, 400], "key_rate_per_pulse": [1e-4, 1e-6, 1e-8],
                              "plob_per_pulse": [1e-1, 1e-4, 1e-8]}},
        "yield": {"status": "ok", "studies": {"inp": {
            "dies": n, "seed": 1, "yield": float(dies["pass"].mean()), "yield_ci95": [0.6, 0.8],
            "failures_by_spec": {"vpi_max": int((~dies["pass_vpi_max"]).sum()),
                                 "key_rate_370km": int((~dies["pass_key_rate_370km"]).sum())},
            "per_wafer_yield": [{"wafer": 0, "dies": 30, "yield": 0.7}, {"wafer": 1, "dies": 30, "yield": 0.75}],
            "figures": [], "run_dir": "yield_inp"}}},
        "provenance": {"qchipnet": "0", "design_hash": design_hash(d)},
    }
    (tmp_path / "results.json").write_text(json.dumps(res))
    return tmp_path


def test_report_answers_first_in_a_real_browser(tmp_path):
    page = build_report(_run_folder(tmp_path))
    probe = page.with_name("probe.html")
    probe.write_text(page.read_text().replace("</body>", _PROBE + "</body>"))
    r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,800", "--hide-scrollbars",
                        "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                       capture_output=True, text=True, timeout=60, check=False)
    m = re.search(r"<pre id=\"probe\">(.*?)</pre>", r.stdout)
    assert m, r.stderr[-1500:]
    got = json.loads(m.group(1).replace("&quot;", '"'))
    assert got["images"] >= 3 and got["broken"] == [], got
    assert got["summary_top"] < got["viewport_h"] / 2, got  # the summary is in the first screen
    assert got["scroll_w"] <= got["viewport_w"], got  # nothing scrolls sideways at 1280 px
