"""Geometry of the ``inp`` platform that needs no gdsfactory: wafer size and the epitaxial stack."""

from __future__ import annotations

from pydantic import Field

from ...validate import Frozen

__all__ = ["EDGE_EXCLUSION_MM", "WAFER_DIAMETER_MM", "EpiStack"]

#: 3-inch InP wafer (seed article).
WAFER_DIAMETER_MM = 76.2
#: Edge exclusion of 3-inch InP epitaxy (growth non-uniformity near the flat and rim), typical.
EDGE_EXCLUSION_MM = 4.0



class EpiStack(Frozen):
    """Epitaxial layer stack and etch depths (um)."""

    core_material: str = Field("Q1.25", pattern=r"^Q1\.[0-4]\d?$")
    core_thickness_um: float = Field(0.5, ge=0.2, le=1.0)
    top_clad_um: float = Field(1.5, ge=0.8, le=2.5)
    contact_thickness_um: float = Field(0.1, ge=0.0, le=0.3)
    shallow_etch_into_core_um: float = Field(0.1, ge=0.0, le=0.3)
    deep_etch_below_core_um: float = Field(1.0, ge=0.2, le=2.0)
    sidewall_angle_deg: float = Field(5.0, ge=0, le=15)
    planarisation: str = "BCB"

    @property
    def ridge_height_um(self) -> float:
        """Total ridge height above the core bottom (top cladding + core)."""
        return self.core_thickness_um + self.top_clad_um

    @property
    def deep_etch_depth_um(self) -> float:
        """Deep etch depth from the top of the cladding."""
        return self.top_clad_um + self.core_thickness_um + self.deep_etch_below_core_um

    @property
    def shallow_etch_depth_um(self) -> float:
        """Shallow etch depth from the top of the cladding."""
        return self.top_clad_um + self.shallow_etch_into_core_um
