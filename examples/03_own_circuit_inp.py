# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Your own circuit on InP: a routed modulator chain
#
# Phase modulator -> VOA -> Mach-Zehnder intensity modulator, joined by deep-ridge routes of the
# `inp` design kit, checked with the platform DRC and simulated from its netlist. The chain's
# transmission is swept against the IM's drive voltage, and its loss compared with the sum of its
# parts.

# %%
import os

import matplotlib

if not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")
import gdsfactory as gf
import matplotlib.pyplot as plt
import numpy as np
import qchipnet
import sax
from qchipnet.pdk.drc import check_component
from qchipnet.pdk.inp import LAYER

FAST = os.environ.get("QCHIPNET_EXAMPLE_FAST") == "1"
pdk = qchipnet.get_pdk("inp")
pdk.activate()

# %%
c = gf.Component("modulator_chain")
parts = {"pm": gf.get_component("phase_modulator", length=1000.0), "voa": gf.get_component("voa", length=500.0),
         "im": gf.get_component("mzm")}
pm, voa, im = (c.add_ref(parts[k], name=k) for k in ("pm", "voa", "im"))
voa.move((pm.ports["o2"].dcenter[0] + 800.0 - voa.ports["o1"].dcenter[0],
          pm.ports["o2"].dcenter[1] + 600.0 - voa.ports["o1"].dcenter[1]))
im.move((voa.ports["o2"].dcenter[0] + 800.0 - im.ports["o1"].dcenter[0],
         voa.ports["o2"].dcenter[1] - 600.0 - im.ports["o1"].dcenter[1]))
routes = [gf.routing.route_single(c, pm.ports["o2"], voa.ports["o1"], cross_section="xs_deep"),
          gf.routing.route_single(c, voa.ports["o2"], im.ports["o1"], cross_section="xs_deep")]
c.add_port("o1", port=pm.ports["o1"])
c.add_port("o2", port=im.ports["o2"])
b = c.dbbox()
c.add_polygon([(b.left - 50, b.bottom - 50), (b.right + 50, b.bottom - 50), (b.right + 50, b.top + 50),
               (b.left - 50, b.top + 50)], layer=LAYER.FLOORPLAN)
print("DRC:", check_component(c, "inp").to_json())

# %% [markdown]
# ## Simulation: transmission versus the IM's RF-arm voltage
# Instance settings reach the models through sax's nested settings: `im` is the MZM sub-circuit,
# `pm_bot` its bottom-arm phase modulator.

# %%
circuit, _ = sax.circuit(c.get_netlist(recursive=True), models=pdk.models)
volts = np.linspace(0.0, 8.0, 9 if FAST else 41)
t = np.array([abs(complex(np.asarray(circuit(wl=1.55, im={"pm_bot": {"voltage": float(v)}})["o1", "o2"]))) ** 2
              for v in volts])
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(volts, 10 * np.log10(t), "o-")
ax.set_xlabel("IM bottom-arm reverse bias (V)")
ax.set_ylabel("chain transmission (dB)")
fig.tight_layout()
plt.show()
route_um = sum(r.length for r in routes) * c.kcl.dbu
print(f"routes {route_um:.0f} um; best transmission {10 * np.log10(t.max()):.2f} dB, "
      f"extinction {10 * np.log10(t.max() / t.min()):.1f} dB over the sweep")
