"""Geometry of the ``sin`` platform that needs no gdsfactory: wafer, film stack, bend-radius rule and
the point-coupler window of the ring cells. Cells, models, the design schema and the evaluators read
these from here, so importing them costs no layout library.
"""

from __future__ import annotations

from pydantic import Field

from ...validate import Frozen, check_range

__all__ = [
    "EDGE_EXCLUSION_MM",
    "POINT_COUPLER_WINDOW_UM",
    "THICKNESS_RANGE_NM",
    "WAFER_DIAMETER_MM",
    "SinStack",
    "min_bend_radius_um",
    "point_coupler_length_um",
]


#: 4-inch Si3N4 wafer (seed article: "4-inch Si3N4 wafer").
WAFER_DIAMETER_MM = 100.0
#: Edge exclusion of LPCVD nitride wafers (film non-uniformity and clamp ring), typical foundry value.
EDGE_EXCLUSION_MM = 5.0
#: Film thicknesses for which the mode tables and the bend-radius rule are valid.
THICKNESS_RANGE_NM = (80.0, 200.0)


class SinStack(Frozen):
    """Vertical stack of the Si3N4 platform (um unless the name says otherwise)."""

    thickness_nm: float = Field(100.0, ge=THICKNESS_RANGE_NM[0], le=THICKNESS_RANGE_NM[1])
    box_um: float = Field(8.0, gt=0, description="thermal oxide below the core")
    top_clad_um: float = Field(3.0, gt=0, description="deposited oxide above the core")
    heater_thickness_nm: float = Field(150.0, gt=0)
    metal_thickness_nm: float = Field(500.0, gt=0)
    sidewall_angle_deg: float = Field(5.0, ge=0, le=30)


def min_bend_radius_um(thickness_nm: float) -> float:
    """Minimum bend radius (um) for a film of ``thickness_nm``.

    At 100 nm the meow bend-mode radiation loss (physics.md 1.4) is 0.16 dB/m at R = 400 um and
    8.6 dB/m at 300 um: 400 um keeps bend radiation below 10 % of the 1.7 dB/m propagation loss.
    Thicker films confine more; the lateral decay constant grows roughly with the index contrast
    of the effective slab, so the radius is scaled as (100 nm / t)^2, bounded below by 50 um.
    Valid for 80-200 nm.
    """
    check_range("thickness_nm", thickness_nm, *THICKNESS_RANGE_NM, "nm")
    return max(50.0, 400.0 * (100.0 / thickness_nm) ** 2)


#: Extent of the drawn point coupler: the bus is modelled (and drawn as coupled) where the ring's
#: outer edge is within this distance of its closest approach (the gap there has grown by 6 um,
#: kappa has fallen by ~e^-8).
POINT_COUPLER_WINDOW_UM = 6.0


def point_coupler_length_um(radius_um, width_um):
    """Interaction length of the point coupler, 2 sqrt(2 R_out W) with R_out the outer ring edge
    (works on floats and arrays)."""
    r_out = radius_um + width_um / 2
    return 2.0 * (2.0 * r_out * POINT_COUPLER_WINDOW_UM) ** 0.5
