"""The two wafers of a qchipnet run and the mask-set writer.

* client wafer (3-inch InP): the transmitter die at every plan position, test structures outside the
  grid, alignment marks, labels;
* server wafer (4-inch Si3N4): the microcomb die at every plan position, with design-of-experiment
  variants (gap and width offsets around the default, each on ``doe_copies`` dies spread over the
  wafer), loss test rings, alignment marks, labels.

Die cells are built by factories passed in (:mod:`qchipnet.layouts.build` passes the chip cells of
:mod:`qchipnet.components.chips` with the design's parameters), so this module only places and writes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..validate import InputError
from .export import write_component, write_layout, write_lyp, write_manifest
from .wafer import DieVariant, TestStructure, WaferMask, assemble_wafer
from .wafer_plan import WaferPlan, wafer_plan

__all__ = ["client_wafer", "server_wafer", "doe_assignment", "MaskFiles", "write_wafer", "drc_wafer"]


def doe_assignment(die_ids: list[str], variant_keys: list[str], copies: int, default: str = "default") -> dict[str, str]:
    """Every die gets ``default`` except ``copies`` dies per DOE variant, spread evenly over the wafer.

    Deterministic: variant v takes the dies at indices ``round((j * n_var + v + 0.5) * n / (copies * n_var))``.
    """
    n = len(die_ids)
    n_var = len(variant_keys)
    out = {d: default for d in die_ids}
    if not n_var:
        return out
    if copies * n_var > n:
        raise InputError(f"{copies} copies of {n_var} DOE variants need {copies * n_var} dies; the wafer has {n}")
    slots = copies * n_var
    for j in range(copies):
        for v, key in enumerate(variant_keys):
            idx = int((j * n_var + v + 0.5) * n / slots)
            out[die_ids[idx]] = key
    return out


def client_wafer(chip, chip_params: dict, test_structures: list[TestStructure], *, dicing_lane_um: float = 100.0,
                 reserved_rows_top: int = 0, plan: WaferPlan | None = None) -> WaferMask:
    """The 3-inch InP wafer: ``chip`` at every position of ``plan`` (default ``wafer_plan("inp")``)."""
    plan = plan or wafer_plan("inp", dicing_lane_um=dicing_lane_um, reserved_rows_top=reserved_rows_top)
    variants = {"default": DieVariant("default", chip, dict(chip_params))}
    return assemble_wafer(plan, variants, {d: "default" for d in plan.ids()}, test_structures)


def server_wafer(chip_factory: Callable[..., object], default_params: dict, *, gap_offsets_um=(), width_offsets_um=(),
                 test_structures: list[TestStructure] = (), doe_copies: int = 3, dicing_lane_um: float = 100.0,
                 reserved_rows_top: int = 0, plan: WaferPlan | None = None) -> WaferMask:
    """The 4-inch Si3N4 wafer: default microcomb dies plus DOE variants.

    ``chip_factory(**params)`` builds a die; ``default_params`` must hold ``gap_um`` and ``width_um``.
    A width variant offsets every guide width in the parameters (``width_um`` and, when present,
    ``bus_width_um``): it emulates a lithography width bias, which acts on the bus as on the ring.
    A variant that cannot be built is an error naming the DOE field and the variant.
    """
    for k in ("gap_um", "width_um"):
        if k not in default_params:
            raise InputError(f"server default_params needs {k!r}; got {sorted(default_params)}")
    plan = plan or wafer_plan("sin", dicing_lane_um=dicing_lane_um, reserved_rows_top=reserved_rows_top)
    variants = {"default": DieVariant("default", chip_factory(**default_params), dict(default_params))}
    keys = []

    def add(key: str, p: dict, field: str) -> None:
        try:
            comp = chip_factory(**p)
        except InputError as exc:
            raise InputError(f"mask.{field}: DOE variant {key}: {exc}") from None
        variants[key] = DieVariant(key, comp, p)
        keys.append(key)

    for off in gap_offsets_um:
        add(f"gap{off:+g}um", {**default_params, "gap_um": round(default_params["gap_um"] + off, 4)},
            "doe_gap_offsets_um")
    for off in width_offsets_um:
        p = {**default_params, "width_um": round(default_params["width_um"] + off, 4)}
        if "bus_width_um" in p:
            p["bus_width_um"] = round(default_params["bus_width_um"] + off, 4)
        add(f"width{off:+g}um", p, "doe_width_offsets_um")
    assignment = doe_assignment(plan.ids(), keys, doe_copies)
    return assemble_wafer(plan, variants, assignment, list(test_structures))


@dataclass
class MaskFiles:
    """Paths and sizes of one written wafer."""

    gds: Path
    manifest: Path
    lyp: Path
    chip_gds: list[Path]
    write_s: float

    @property
    def gds_bytes(self) -> int:
        return self.gds.stat().st_size


def write_wafer(mask: WaferMask, out_dir: str | Path, chip_components: dict[str, object] = ()) -> MaskFiles:
    """Write ``<platform>_wafer.gds``, ``<platform>_wafer_manifest.yaml``, the chip GDS and the .lyp."""
    out = Path(out_dir)
    t0 = time.perf_counter()
    p = mask.platform
    gds = write_layout(mask.layout, mask.top, out / f"{p}_wafer.gds")
    chips = [write_component(c, out / f"{p}_{name}.gds") for name, c in dict(chip_components).items()]
    man = dict(mask.manifest)
    man["files"] = {"gds": gds.name, "chips": [c.name for c in chips], "lyp": f"{p}_layers.lyp"}
    mpath = write_manifest(man, out / f"{p}_wafer_manifest.yaml")
    lyp = write_lyp(p, out)
    return MaskFiles(gds=gds, manifest=mpath, lyp=lyp, chip_gds=chips, write_s=time.perf_counter() - t0)


def drc_wafer(mask: WaferMask, mode: str = "full", report: str | Path | None = None) -> dict:
    """DRC of a wafer: ``full`` checks the whole flattened top cell; ``cells`` checks each distinct
    die/test cell once (placement is checked by construction: blocks never overlap die pitch cells).
    ``report``: write the KLayout marker database (``.lyrdb``) of a ``full`` check there.
    Returns ``{"clean", "violations", "elapsed_s", "mode", "cells": {...}}``."""
    import klayout.db as kdb

    from ..pdk.drc import check_layout

    t0 = time.perf_counter()
    if mode == "full":
        res = check_layout(mask.layout, mask.platform, report=report)
        return {"clean": res.clean, "violations": {k: v for k, v in res.violations.items() if v},
                "elapsed_s": time.perf_counter() - t0, "mode": mode, "rules": len(res.checked_rules)}
    if mode != "cells":
        raise InputError(f"drc mode {mode!r}: choose 'full' or 'cells'")
    cells = {}
    viol: dict[str, int] = {}
    for inst in mask.top.each_inst():
        cell = mask.layout.cell(inst.cell_index)
        if cell.name in cells:
            continue
        ly = kdb.Layout()
        ly.dbu = mask.layout.dbu
        c = ly.create_cell(cell.name)
        c.copy_tree(cell)
        r = check_layout(ly, mask.platform)
        cells[cell.name] = r.clean
        for k, v in r.violations.items():
            if v:
                viol[k] = viol.get(k, 0) + v
    return {"clean": not viol, "violations": viol, "elapsed_s": time.perf_counter() - t0, "mode": mode,
            "n_cells": len(cells), "dirty_cells": sorted(k for k, v in cells.items() if not v)}
