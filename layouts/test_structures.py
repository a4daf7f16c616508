"""Stand-alone test structures of the two wafers, built directly from the cells of
:mod:`qchipnet.components` (cell parameters by their own names; each builder activates its
platform's PDK while building)."""

from __future__ import annotations

from ..components.inp import dbr_laser, mmi1x2, mmi2x2, mzm, phase_modulator, straight_deep
from ..components.sin import ring_allpass
from ..pdk import activated
from .wafer import TestStructure

__all__ = ["inp_test_structures", "sin_test_structures"]


def inp_test_structures(*, pm_lengths_um=(500.0, 1000.0, 2000.0), mzi_lengths_um=(500.0, 1000.0, 2000.0),
                        cutback_lengths_um=(1000.0, 2000.0, 4000.0), ridge_width_um: float = 1.5) -> list[TestStructure]:
    """Stand-alone PMs and MZIs of several lengths, 1x2/2x2 MMIs, a DBR laser, cut-back straights,
    all on deep ridges ``ridge_width_um`` wide (the transmitter's ridge width)."""
    w = ridge_width_um
    out: list[TestStructure] = []
    with activated("inp"):
        for L in pm_lengths_um:
            out.append(TestStructure(f"pm_L{L:g}", phase_modulator(length=L, width=w),
                                     {"kind": "phase_modulator", "length_um": L, "ridge_width_um": w}))
        for L in mzi_lengths_um:
            out.append(TestStructure(f"mzi_L{L:g}", mzm(pm_length=L, width=w),
                                     {"kind": "mzi", "arm_length_um": L, "ridge_width_um": w}))
        out.append(TestStructure("mmi1x2", mmi1x2(wg_width=w), {"kind": "mmi1x2", "ridge_width_um": w}))
        out.append(TestStructure("mmi2x2", mmi2x2(wg_width=w), {"kind": "mmi2x2", "ridge_width_um": w}))
        out.append(TestStructure("dbr_laser", dbr_laser(deep_width=w), {"kind": "dbr_laser", "ridge_width_um": w}))
        for L in cutback_lengths_um:
            out.append(TestStructure(f"cutback_L{L:g}", straight_deep(length=L, width=w),
                                     {"kind": "cutback", "length_um": L, "width_um": w}))
    return out


def sin_test_structures(*, loss_ring_radii_um=(600.0, 1000.0), gap_um: float = 3.0, width_um: float = 2.8,
                        bus_width_um: float | None = None, thickness_nm: float = 100.0) -> list[TestStructure]:
    """Under-coupled loss test rings (large gap, so the loaded Q approaches the intrinsic Q), with the
    server ring's guide width, bus width (default: ``width_um``) and film thickness."""
    bw = width_um if bus_width_um is None else bus_width_um
    out: list[TestStructure] = []
    with activated("sin"):
        for R in loss_ring_radii_um:
            c = ring_allpass(radius=R, width=width_um, bus_width=bw, gap=gap_um, thickness_nm=thickness_nm)
            out.append(TestStructure(f"loss_ring_R{R:g}", c, {"kind": "loss_ring", "radius_um": R, "gap_um": gap_um,
                                                              "width_um": width_um, "bus_width_um": bw,
                                                              "thickness_nm": thickness_nm}))
    return out
