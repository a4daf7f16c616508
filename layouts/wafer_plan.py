"""Wafer plans: where the dies sit on a wafer, and their IDs.

One definition serves both the mask (``qchipnet mask`` places a die cell at every position and
writes its ID label) and the Monte Carlo (``qchipnet yield`` samples the within-wafer variation
at every die centre), so a die ID on a wafer map is the label on the GDS.

A plan is a rectangular grid of die pitches (die size + dicing lane) centred on the wafer; a
die is kept when all four corners of its pitch cell lie inside the usable radius (wafer radius
minus edge exclusion) and above the primary flat. Die IDs are ``<prefix>-R<row>C<col>`` with
rows counted from the top (y max) and columns from the left, zero-padded to two digits.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from pydantic import Field, model_validator

from ..pdk import get_platform
from ..validate import Frozen, InputError

__all__ = ["design_plan", "Die", "WaferPlan", "wafer_plan"]


class Die(Frozen):
    """One die position: ID, grid row/column and centre (mm, wafer centre at the origin)."""

    die_id: str
    row: int
    col: int
    x_mm: float
    y_mm: float


class WaferPlan(Frozen):
    """Grid of dies on a round wafer with a primary flat."""

    platform: str
    id_prefix: str = Field(min_length=1, max_length=8, pattern=r"^[A-Z0-9]+$")
    wafer_diameter_mm: float = Field(gt=10, le=300)
    edge_exclusion_mm: float = Field(ge=0, le=20)
    flat_depth_mm: float = Field(2.0, ge=0, le=10, description="depth of the primary flat (bottom, -y)")
    die_width_um: float = Field(gt=100, le=50_000)
    die_height_um: float = Field(gt=100, le=50_000)
    dicing_lane_um: float = Field(100.0, ge=20, le=1000)
    reserved_rows_top: int = Field(0, ge=0, le=5, description="rows kept free for test structures")

    @model_validator(mode="after")
    def _fits(self) -> "WaferPlan":
        usable = self.wafer_diameter_mm / 2 - self.edge_exclusion_mm
        if usable <= 0:
            raise ValueError(
                f"edge_exclusion_mm = {self.edge_exclusion_mm} leaves no usable area on a "
                f"{self.wafer_diameter_mm} mm wafer"
            )
        return self

    @property
    def pitch_x_mm(self) -> float:
        return (self.die_width_um + self.dicing_lane_um) / 1000

    @property
    def pitch_y_mm(self) -> float:
        return (self.die_height_um + self.dicing_lane_um) / 1000

    @property
    def usable_radius_mm(self) -> float:
        return self.wafer_diameter_mm / 2 - self.edge_exclusion_mm

    @functools.cached_property
    def dies(self) -> tuple[Die, ...]:
        """All die positions, row-major from the top-left."""
        r = self.usable_radius_mm
        px, py = self.pitch_x_mm, self.pitch_y_mm
        nx = int(2 * r // px) + 2
        ny = int(2 * r // py) + 2
        y_flat = -self.wafer_diameter_mm / 2 + self.flat_depth_mm + self.edge_exclusion_mm
        kept = []
        for j in range(ny):
            yc = (ny - 1) / 2 * py - j * py
            for i in range(nx):
                xc = -(nx - 1) / 2 * px + i * px
                corners = [(xc + sx * px / 2, yc + sy * py / 2) for sx in (-1, 1) for sy in (-1, 1)]
                if all(math.hypot(x, y) <= r for x, y in corners) and yc - py / 2 >= y_flat:
                    kept.append((j, i, xc, yc))
        if not kept:
            raise InputError(
                f"no {self.die_width_um:g} x {self.die_height_um:g} um die fits on the {self.wafer_diameter_mm} mm wafer"
            )
        rows = sorted({k[0] for k in kept})[self.reserved_rows_top:]
        row0 = rows[0] if rows else 0
        col0 = min(k[1] for k in kept)
        return tuple(
            Die(die_id=f"{self.id_prefix}-R{j - row0:02d}C{i - col0:02d}", row=j - row0, col=i - col0,
                x_mm=round(xc, 6), y_mm=round(yc, 6))
            for j, i, xc, yc in kept
            if j in rows
        )

    @property
    def n_dies(self) -> int:
        return len(self.dies)

    def positions_mm(self) -> np.ndarray:
        """(n_dies, 2) array of die centres in mm."""
        return np.array([[d.x_mm, d.y_mm] for d in self.dies], dtype=float)

    def ids(self) -> list[str]:
        return [d.die_id for d in self.dies]


#: Default die sizes (um) of the two chips of the reference design, including their outlines.
DEFAULT_DIE_UM = {"inp": (4600.0, 2000.0), "sin": (5000.0, 3000.0)}


@functools.lru_cache(maxsize=64)
def wafer_plan(platform: str, die_width_um: float | None = None, die_height_um: float | None = None,
               dicing_lane_um: float = 100.0, reserved_rows_top: int = 0) -> WaferPlan:
    """The wafer plan of ``platform`` (``inp``: 3-inch transmitter wafer; ``sin``: 4-inch server wafer)."""
    plat = get_platform(platform)
    w0, h0 = DEFAULT_DIE_UM[platform]
    return WaferPlan(
        platform=platform,
        id_prefix="TX" if platform == "inp" else "SV",
        wafer_diameter_mm=plat.wafer_diameter_mm,
        edge_exclusion_mm=plat.edge_exclusion_mm,
        die_width_um=die_width_um or w0,
        die_height_um=die_height_um or h0,
        dicing_lane_um=dicing_lane_um,
        reserved_rows_top=reserved_rows_top,
    )


def design_plan(design, platform: str) -> WaferPlan:
    """The one wafer plan of a design (a :class:`~qchipnet.design.Design` or its dict): the die
    size of its chip, its dicing lane and reserved rows. Masks place dies at these positions and
    the Monte Carlo samples the process at the same ones."""
    d = design.model_dump(mode="json") if hasattr(design, "model_dump") else design
    chip = d["transmitter"] if platform == "inp" else d["server_chip"]
    mask = d.get("mask", {})
    return wafer_plan(platform, float(chip["die_width_um"]), float(chip["die_height_um"]),
                      float(mask.get("dicing_lane_um", 100.0)),
                      int(mask.get(f"reserved_rows_top_{platform}", 0)))
