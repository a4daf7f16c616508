"""Design rules as data: each rule has a name, a kind, the layers, a value and a one-line rationale.

Kinds (all checked with ``klayout.db.Region`` operations in :mod:`qchipnet.pdk.drc`):
- ``width``: minimum width of shapes on ``layer`` (um);
- ``space``: minimum spacing between shapes on ``layer`` (um);
- ``enclosure``: ``layer`` must enclose ``other`` by at least ``value`` (um) (and cover it fully);
- ``separation``: shapes on ``layer`` and on ``other`` keep at least ``value`` (um) apart;
- ``inside``: shapes on ``other`` must lie inside ``layer`` (e.g. everything inside the floorplan);
- ``grid``: vertices on ``layer`` on a ``value`` um grid;
- ``acute``: no corner on ``layer`` sharper than ``value`` degrees;
- ``area``: minimum area (um^2) of shapes on ``layer``.
The minimum bend radius is not a geometric check: it is enforced when a cell is built, through
the cross-section's ``radius_min`` (see ``xsections``), and recorded here as kind ``bend_radius``
so that reports list it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..validate import Frozen

__all__ = ["Rule", "RuleKind"]

RuleKind = Literal["width", "space", "enclosure", "separation", "inside", "grid", "acute", "area", "bend_radius"]


class Rule(Frozen):
    """One design rule."""

    name: str
    kind: RuleKind
    layer: str
    other: str | None = None
    value: float = Field(ge=0)
    rationale: str
