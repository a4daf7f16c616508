# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Key rate versus distance, against the PLOB bound
#
# Finite-size SNS-TF-QKD key rate per pulse pair (`qchipnet.system.snstf`) over the total
# Alice-Bob distance, server in the middle, with the detection parameters of the reference
# design, compared with the repeaterless PLOB bound -log2(1 - eta) (Pirandola et al.,
# Nat. Commun. 8, 15043 (2017)). Twin-field QKD scales as sqrt(eta) and crosses PLOB at long range.

# %%
import os

import matplotlib

if not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import qchipnet
from qchipnet.system.bounds import fibre_transmittance, plob_bound
from qchipnet.system.snstf import (
    ChannelParams,
    SNSProtocol,
    arm_transmittance,
    key_rate_detailed,
)

FAST = os.environ.get("QCHIPNET_EXAMPLE_FAST") == "1"
det = qchipnet.default_design().detection
ch = ChannelParams(loss_dB_per_km=det.fibre_loss_dB_per_km, detector_efficiency=det.detector_efficiency,
                   p_dark=det.dark_count_rate_Hz * det.gate_ns * 1e-9, e_d=0.03)
L = np.linspace(0.0, 600.0, 13 if FAST else 121)
ea, eb = arm_transmittance(L, ch)
res = key_rate_detailed(ea, eb, ch.p_dark, ch.e_d, SNSProtocol())
plob = plob_bound(fibre_transmittance(np.maximum(L, 1e-6), ch.loss_dB_per_km))
key = np.asarray(res.key_rate)

# %%
fig, ax = plt.subplots(figsize=(6, 4))
ax.semilogy(L, np.where(key > 0, key, np.nan), label="SNS-TF-QKD (finite size)")
ax.semilogy(L, plob, "k--", label="PLOB bound")
ax.set_xlabel("Alice-Bob fibre (km)")
ax.set_ylabel("bits per pulse pair")
ax.legend()
fig.tight_layout()
plt.show()
beats = L[(key > plob) & (key > 0)]
print(f"key > PLOB from {beats.min():.0f} to {beats.max():.0f} km" if beats.size else "key never beats PLOB here")
