# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # The server ring: draw it, simulate it
#
# The Si3N4 microcomb ring of the reference design (100 nm x 2.8 um guide, R ~ 1 mm, 30 GHz FSR),
# drawn with the `sin` design kit and simulated as a sax circuit built from the cell's own netlist.
# The batch evaluator's numbers (`ring_report`) and the circuit's spectrum come from the same
# mode tables. `QCHIPNET_EXAMPLE_FAST=1` shrinks the sweep.

# %%
import os

import matplotlib

if not os.environ.get("MPLBACKEND"):
    matplotlib.use("Agg")  # plain script: no window; notebooks show figures inline
import gdsfactory as gf
import matplotlib.pyplot as plt
import numpy as np
import qchipnet
import sax
from qchipnet.circuits.ring import ring_report, ring_spectrum

FAST = os.environ.get("QCHIPNET_EXAMPLE_FAST") == "1"
design = qchipnet.default_design()
ring = design.server_ring.model_dump()
print({k: ring[k] for k in ("radius_um", "width_um", "gap_um", "thickness_nm")})

# %% [markdown]
# ## Draw the ring with the design kit
# `qchipnet.get_pdk("sin")` is a gdsfactory PDK: after activation the qchipnet cells are
# ordinary gdsfactory cells, and `pdk.models` holds a sax model for each of them.

# %%
pdk = qchipnet.get_pdk("sin")
pdk.activate()
cell = gf.get_component("ring_allpass", radius=ring["radius_um"], width=ring["width_um"],
                        bus_width=ring["bus_width_um"], gap=ring["gap_um"], thickness_nm=ring["thickness_nm"])
print(cell.name, [p.name for p in cell.ports])
print(dict(cell.info))

# %% [markdown]
# ## Its sax circuit, straight from the netlist

# %%
circuit, _ = sax.circuit(cell.get_netlist(recursive=True), models=pdk.models)
report = ring_report(ring)
print(f"FSR {report['fsr_GHz']:.3f} GHz, Q_i {report['q_intrinsic'] / 1e6:.1f} M, "
      f"Q_L {report['q_loaded'] / 1e6:.1f} M, D2/2pi {report['D2_over_2pi_kHz']:.0f} kHz ({report['coupling_regime']})")

spec = ring_spectrum(ring, npoints=201 if FAST else 801, cell=cell)
c_um_per_s = 2.99792458e14
detuning_MHz = (c_um_per_s / spec["wl_um"] - c_um_per_s / spec["wl_res_um"]) * 1e-6
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(detuning_MHz, spec["T"] / spec["T_anti_resonance"])
ax.set_xlabel("detuning from the pump resonance (MHz)")
ax.set_ylabel("normalised through-port transmission")
ax.set_title(f"server ring: linewidth {report['linewidth_MHz']:.1f} MHz")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Thermal tuning with the heater
# The ring arc's model takes the heater power: the heater's 2-D heat flow through the oxide
# (`qchipnet.models.routing.heater_temperature_rise_K`) and the tabulated dn_eff/dT shift the
# resonance; here by how many FSRs per 100 mW.

# %%
from qchipnet.models import sin as sinm
from qchipnet.models.routing import heater_temperature_rise_K

heated_um = np.pi * ring["radius_um"]  # the heater covers the upper half ring
dT = float(heater_temperature_rise_K(100.0, heated_length_um=heated_um))
dphi = float(sinm.heater_phase_rad(heated_length_um=heated_um, delta_T_K=dT, width_um=ring["width_um"],
                                   thickness_nm=ring["thickness_nm"]))
shift_GHz = -dphi / (2 * np.pi) * report["fsr_GHz"]  # a 2 pi round-trip phase moves the resonance by one FSR
print(f"100 mW -> guide +{dT:.1f} K under the heater -> resonance shift ~{shift_GHz:.1f} GHz "
      f"({abs(shift_GHz) / report['fsr_GHz']:.2f} FSR)")
S0 = circuit(wl=spec["wl_res_um"])
S1 = circuit(wl=spec["wl_res_um"], ring={"heater_power_mW": 1.0})
print("through-port power at the cold resonance, heater off / 1 mW:",
      float(abs(complex(np.asarray(S0["o1", "o2"]))) ** 2), float(abs(complex(np.asarray(S1["o1", "o2"]))) ** 2))
