"""Design rules of the ``inp`` platform (generic-foundry values, Smit et al. 2014)."""

from __future__ import annotations

from ..rules import Rule

__all__ = ["RULES"]

RULES: tuple[Rule, ...] = (
    Rule(name="DEEP.W.1", kind="width", layer="WG_DEEP", value=0.8,
         rationale="i-line/DUV ridge resolution; narrower deep ridges go multimode-lossy"),
    Rule(name="DEEP.S.1", kind="space", layer="WG_DEEP", value=0.6,
         rationale="narrower trenches do not etch to full depth (aspect-ratio dependent etch)"),
    Rule(name="SHALLOW.W.1", kind="width", layer="WG_SHALLOW", value=1.2,
         rationale="shallow ridges below 1.2 um cut off"),
    Rule(name="SHALLOW.S.1", kind="space", layer="WG_SHALLOW", value=1.5,
         rationale="shallow-etch trench resolution"),
    Rule(name="DEEP.ANG.1", kind="acute", layer="WG_DEEP", value=20.0,
         rationale="sharp tips (MMI taper junctions) break off in the etch"),
    Rule(name="DEEP.GRID.1", kind="grid", layer="WG_DEEP", value=0.001,
         rationale="mask writer grid of 1 nm"),
    Rule(name="DEEP.R.1", kind="bend_radius", layer="WG_DEEP", value=100.0,
         rationale="deep-ridge radiation loss (enforced by xs_deep radius_min)"),
    Rule(name="SHALLOW.R.1", kind="bend_radius", layer="WG_SHALLOW", value=500.0,
         rationale="shallow-ridge radiation loss (enforced by xs_shallow radius_min)"),
    Rule(name="ACTIVE.W.1", kind="width", layer="ACTIVE", value=2.0,
         rationale="butt-joint regrowth window resolution"),
    Rule(name="GRATING.W.1", kind="width", layer="GRATING", value=1.0,
         rationale="grating window minimum"),
    Rule(name="ACTIVE.SEP.GRATING.1", kind="separation", layer="ACTIVE", other="GRATING", value=5.0,
         rationale="gratings must sit in passive material away from the butt joint"),
    Rule(name="ISO.W.1", kind="width", layer="ISOLATION", value=10.0,
         rationale="isolation sections shorter than 10 um leak (> 1 kOhm needed)"),
    Rule(name="PCONTACT.W.1", kind="width", layer="PCONTACT", value=1.0,
         rationale="contact lift-off on the ridge top"),
    Rule(name="PCONTACT.S.1", kind="space", layer="PCONTACT", value=3.0,
         rationale="contact spacing across isolation sections"),
    Rule(name="METAL1.W.1", kind="width", layer="METAL1", value=3.0, rationale="M1 lift-off resolution"),
    Rule(name="METAL1.S.1", kind="space", layer="METAL1", value=3.0, rationale="M1 lift-off spacing"),
    Rule(name="METAL2.W.1", kind="width", layer="METAL2", value=5.0, rationale="plated M2 resolution"),
    Rule(name="METAL2.S.1", kind="space", layer="METAL2", value=5.0, rationale="plated M2 spacing"),
    Rule(name="METAL1.EN.VIA.1", kind="enclosure", layer="METAL1", other="VIA", value=1.0,
         rationale="via must land on M1 with overlay margin"),
    Rule(name="METAL2.EN.VIA.1", kind="enclosure", layer="METAL2", other="VIA", value=1.0,
         rationale="M2 must cover the via with overlay margin"),
    Rule(name="METAL2.EN.PAD.1", kind="enclosure", layer="METAL2", other="PAD", value=5.0,
         rationale="pad opening must land on M2 with overlay margin"),
    Rule(name="PAD.W.1", kind="width", layer="PAD", value=60.0, rationale="wire bond / probe landing"),
    Rule(name="FLOORPLAN.IN.DEEP.1", kind="inside", layer="FLOORPLAN", other="WG_DEEP", value=0.0,
         rationale="ridges outside the chip outline are lost at cleaving"),
)
