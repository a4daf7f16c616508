"""Design rules of the ``sin`` platform."""

from __future__ import annotations

from ..rules import Rule

__all__ = ["RULES"]

RULES: tuple[Rule, ...] = (
    Rule(name="WG.W.1", kind="width", layer="WG", value=0.25,
         rationale="DUV lithography resolves 0.25 um nitride lines (inverse-taper tips)"),
    Rule(name="WG.S.1", kind="space", layer="WG", value=0.8,
         rationale="narrower gaps do not open in 100 nm nitride etch and fill voids in the cladding"),
    Rule(name="WG.A.1", kind="area", layer="WG", value=0.5,
         rationale="isolated nitride specks below 0.5 um^2 lift off during cleaning"),
    Rule(name="WG.ANG.1", kind="acute", layer="WG", value=30.0,
         rationale="corners sharper than 30 deg round off and scatter"),
    Rule(name="WG.GRID.1", kind="grid", layer="WG", value=0.001,
         rationale="mask writer grid of 1 nm"),
    Rule(name="WG.R.1", kind="bend_radius", layer="WG", value=400.0,
         rationale="bend radiation > 0.16 dB/m below 400 um for 100 nm film (enforced by xs_sin radius_min)"),
    Rule(name="HEATER.W.1", kind="width", layer="HEATER", value=2.0,
         rationale="Pt lift-off resolution; narrower traces electromigrate"),
    Rule(name="HEATER.S.1", kind="space", layer="HEATER", value=5.0,
         rationale="heater lift-off spacing"),
    Rule(name="METAL.W.1", kind="width", layer="METAL", value=5.0,
         rationale="Au routing lift-off resolution and current density"),
    Rule(name="METAL.S.1", kind="space", layer="METAL", value=5.0,
         rationale="Au lift-off spacing"),
    Rule(name="PAD.W.1", kind="width", layer="PAD", value=50.0,
         rationale="wire-bond and probe needle landing"),
    Rule(name="METAL.EN.PAD.1", kind="enclosure", layer="METAL", other="PAD", value=5.0,
         rationale="opening must land on metal with 5 um overlay margin"),
    Rule(name="TRENCH.SEP.WG.1", kind="separation", layer="TRENCH", other="WG", value=5.0,
         rationale="deep trench edge scatters light from guides closer than 5 um"),
    Rule(name="FLOORPLAN.IN.WG.1", kind="inside", layer="FLOORPLAN", other="WG",
         value=0.0, rationale="nitride outside the chip outline is lost at dicing"),
)
