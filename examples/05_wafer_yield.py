# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # A wafer yield study and its dies in pandas
#
# `qchipnet.run_yield_study` samples process variation at the die positions of the design's wafer
# plan and evaluates every die; `qchipnet.read_dies` returns them as a DataFrame whose
# `attrs["qchipnet_provenance"]` records seed, process data, design and package versions.

# %%
import os
import tempfile
from pathlib import Path

import numpy as np
import qchipnet
from qchipnet.wafer.engine import make_config

FAST = os.environ.get("QCHIPNET_EXAMPLE_FAST") == "1"
# whole wafers: every chunk of the study is one wafer, so the evaluator compiles for one shape only
per_wafer = make_config("sin", 1, 0).units_per_wafer
out = Path(tempfile.mkdtemp(prefix="qchipnet_yield_")) / "sin"
summary = qchipnet.run_yield_study("sin", dies=per_wafer * (1 if FAST else 40), out=out, seed=1)
print(f"yield {summary['yield']:.3f} (95% CI {summary['yield_ci95'][0]:.3f}-{summary['yield_ci95'][1]:.3f})")
print("failures by spec:", summary["failures_by_spec"])

# %%
dies = qchipnet.read_dies(out)
print(dies.shape)
print(dies.attrs["qchipnet_provenance"]["seed"], dies.attrs["qchipnet_provenance"]["platform"])
metrics = [m for m in summary["metrics"] if m in dies]
print(dies.groupby("wafer")["pass"].mean().describe())
print(dies[metrics[:4]].describe().T)

# %% [markdown]
# Yield versus radius on the wafer (edge dies see more thickness non-uniformity):

# %%
r = np.hypot(dies["x_mm"], dies["y_mm"])
print(dies.groupby(np.digitize(r, [15, 30, 45]))["pass"].mean().rename("yield by radial zone"))
