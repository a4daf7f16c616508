# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Your own circuit on Si3N4: two rings, routed, checked, simulated
#
# A designer's loop with the `sin` design kit: place qchipnet cells, join them with gdsfactory's
# router (the kit's `straight` and `bend_euler` on `xs_sin`), run the platform DRC, and simulate the
# whole layout with `sax.circuit(c.get_netlist(recursive=True), models=pdk.models)`.
# Each ring's dips repeat at its own FSR = c / (n_g 2 pi R).

# %%
import math
import os

import matplotlib

if not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")
import gdsfactory as gf
import matplotlib.pyplot as plt
import numpy as np
import qchipnet
import sax
from qchipnet.models import sin as sinm
from qchipnet.pdk.drc import check_component
from qchipnet.pdk.sin import LAYER

FAST = os.environ.get("QCHIPNET_EXAMPLE_FAST") == "1"
pdk = qchipnet.get_pdk("sin")
pdk.activate()

# %% [markdown]
# ## Layout

# %%
c = gf.Component("two_rings")
rings = {r: gf.get_component("ring_allpass", radius=r, gap=1.0, heater=False) for r in (500.0, 600.0)}
ec_in = c.add_ref(gf.get_component("edge_coupler"), name="ec_in")
ra = c.add_ref(rings[500.0], name="ring_a")
rb = c.add_ref(rings[600.0], name="ring_b")
ec_out = c.add_ref(gf.get_component("edge_coupler"), name="ec_out")
ra.connect("o1", ec_in.ports["o2"])
rb.move((ra.ports["o2"].dcenter[0] + 3000.0 - rb.ports["o1"].dcenter[0],
         ra.ports["o2"].dcenter[1] + 2500.0 - rb.ports["o1"].dcenter[1]))
ec_out.connect("o2", rb.ports["o2"])
route = gf.routing.route_single(c, ra.ports["o2"], rb.ports["o1"], cross_section="xs_sin")
c.add_port("o1", port=ec_in.ports["o1"])
c.add_port("o2", port=ec_out.ports["o1"])
b = c.dbbox()
c.add_polygon([(b.left - 10, b.bottom - 10), (b.right + 10, b.bottom - 10), (b.right + 10, b.top + 10),
               (b.left - 10, b.top + 10)], layer=LAYER.FLOORPLAN)
print(f"routed bus: {route.length * c.kcl.dbu:.1f} um")

# %% [markdown]
# ## Design-rule check (the same check as `qchipnet drc`)

# %%
drc = check_component(c, "sin")
print(drc.to_json())

# %% [markdown]
# ## Simulation

# %%
circuit, _ = sax.circuit(c.get_netlist(recursive=True), models=pdk.models)
c_m_s = 299792458.0
fsr = {r: c_m_s / (float(sinm.ngroup(1.55, 2.8, 100.0)) * 2 * math.pi * r * 1e-6) for r in rings}
nu0 = c_m_s / 1.55e-6
nu = nu0 + np.arange(0.0, 2.1 * fsr[500.0], 80e6 if FAST else 20e6)
wl = c_m_s / nu * 1e6
t = np.abs(np.asarray(circuit(wl=wl)["o1", "o2"])) ** 2
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot((nu - nu0) * 1e-9, 10 * np.log10(t))
for r, col in ((500.0, "C1"), (600.0, "C2")):
    ax.axvline(fsr[r] * 1e-9, color=col, ls=":", label=f"FSR of R = {r:.0f} um: {fsr[r] * 1e-9:.2f} GHz")
ax.set_xlabel("frequency offset from 1550 nm (GHz)")
ax.set_ylabel("transmission (dB)")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
