"""Masks of a design: both wafers with their chips, manifests, layer properties, DRC, thumbnails.

The design's sections map onto the chip cells by name, nothing is renamed or dropped:

- server die: ``server_chip(**design.server_ring.model_dump(), **design.server_chip.model_dump())``;
- transmitter die: ``transmitter_chip(**design.transmitter.model_dump())``.

A design field the cell does not take is an :class:`~qchipnet.validate.InputError` naming the field
(``server_ring.foo_um: the server_chip cell has no parameter 'foo_um'``). ``design`` is any object
with the attributes of :class:`qchipnet.design.Design` (this module does not import the schema).
"""

from __future__ import annotations

import inspect
import time
from pathlib import Path
from typing import Any, Callable

from ..components.chips import server_chip, transmitter_chip
from ..pdk import activated
from ..validate import InputError
from .masks import client_wafer, drc_wafer, server_wafer, write_wafer
from .test_structures import inp_test_structures, sin_test_structures
from .wafer import WaferMask
from .wafer_plan import design_plan

__all__ = ["WAFERS", "cell_params", "server_die", "transmitter_die", "build_wafer", "build_masks"]

#: ``which`` -> platform
WAFERS = {"server": "sin", "client": "inp"}


def cell_params(cell: Callable, **sections: Any) -> dict:
    """The keyword arguments of ``cell``: the fields of every design section (pydantic model), by name.

    A field the cell does not take, or a field given by two sections, is an :class:`InputError`.
    """
    accepted = inspect.signature(cell).parameters
    name = getattr(cell, "__name__", str(cell))
    out: dict = {}
    for sec, model in sections.items():
        for key, value in model.model_dump().items():
            if key not in accepted:
                raise InputError(f"{sec}.{key}: the {name} cell has no parameter {key!r}; "
                                 f"it takes {sorted(k for k in accepted)}")
            if key in out:
                raise InputError(f"{sec}.{key}: given twice (sections {sorted(sections)})")
            out[key] = value
    return out


def _die(cell: Callable, platform: str, params: dict):
    with activated(platform):
        return cell(**params)


def server_die(**params):
    """The server chip cell (``sin`` PDK active while building)."""
    return _die(server_chip, "sin", params)


def transmitter_die(**params):
    """The transmitter chip cell (``inp`` PDK active while building)."""
    return _die(transmitter_chip, "inp", params)


def build_wafer(design, which: str) -> tuple[WaferMask, dict[str, Any]]:
    """(wafer mask, {chip name: chip cell}) of the ``server`` or ``client`` wafer of ``design``."""
    if which not in WAFERS:
        raise InputError(f"wafer {which!r}: choose one of {list(WAFERS)}")
    mk = design.mask
    if which == "server":
        sp = cell_params(server_chip, server_ring=design.server_ring, server_chip=design.server_chip)
        r = design.server_ring
        tests = sin_test_structures(loss_ring_radii_um=mk.loss_ring_radii_um, width_um=r.width_um,
                                    bus_width_um=r.bus_width_um, thickness_nm=r.thickness_nm)
        chip = server_die(**sp)
        wafer = server_wafer(server_die, sp, gap_offsets_um=mk.doe_gap_offsets_um,
                             width_offsets_um=mk.doe_width_offsets_um, test_structures=tests,
                             plan=design_plan(design, "sin"))
        return wafer, {"server_chip": chip}
    tp = cell_params(transmitter_chip, transmitter=design.transmitter)
    chip = transmitter_die(**tp)
    tests = inp_test_structures(pm_lengths_um=mk.test_pm_lengths_um, mzi_lengths_um=mk.test_mzi_lengths_um,
                                cutback_lengths_um=mk.cutback_lengths_um, ridge_width_um=design.transmitter.ridge_width_um)
    wafer = client_wafer(chip, tp, tests, plan=design_plan(design, "inp"))
    return wafer, {"transmitter_chip": chip}


def build_masks(design, out: str | Path, only: str | None = None, drc: str = "full", thumbnails: bool = False,
                log: Callable[[str], Any] | None = None) -> dict:
    """Build, write and (unless ``drc="none"``) DRC the wafers of ``design`` into ``out``.

    ``only``: ``"server"`` or ``"client"`` (default both); ``drc``: ``full`` (flattened wafer),
    ``cells`` (each distinct cell once) or ``none``; unless ``none``, the LVS check
    (:mod:`qchipnet.pdk.lvs`) runs on every die cell of each wafer and on each chip GDS (key ``lvs``:
    ``{status, nets, extracted_nets, opens, shorts, cells, elapsed_s}``); ``thumbnails``: also write
    KLayout-rendered PNGs under ``out/figures``, with the DRC markers overlaid where there are
    violations (chips always, wafers with ``full`` DRC; the marker database goes beside the PNG);
    ``log``: called with one line per wafer. Returns the summary dict (paths relative to ``out``).
    """
    from ..pdk.drc import check_gds
    from ..pdk.lvs import check_lvs_gds, check_lvs_layout

    if only is not None and only not in WAFERS:
        raise InputError(f"--only {only!r}: choose one of {list(WAFERS)}")
    if drc not in ("full", "cells", "none"):
        raise InputError(f"drc = {drc!r}: choose full, cells or none")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary: dict = {"status": "ok", "wafers": [], "chips": []}
    for which in WAFERS:
        if only and which != only:
            continue
        t0 = time.perf_counter()
        wafer, chips = build_wafer(design, which)
        build_s = time.perf_counter() - t0
        files = write_wafer(wafer, out, chips)
        entry = {"platform": wafer.platform, "wafer": which, "gds": files.gds.name, "manifest": files.manifest.name,
                 "lyp": files.lyp.name, "n_dies": wafer.n_dies, "n_variants": len(wafer.manifest["variants"]),
                 "n_test_structures": len(wafer.manifest["test_structures"]), "gds_bytes": files.gds_bytes,
                 "build_s": round(build_s, 3), "write_s": round(files.write_s, 3)}
        expected = {n: list(v) for c in chips.values() for n, v in dict(c.info.get("nets", {}) or {}).items()}
        markers: dict[str, Path] = {}
        if drc != "none":
            rep = out / "figures" / f"{wafer.platform}_wafer_drc.lyrdb" if thumbnails and drc == "full" else None
            entry["drc"] = {k: (round(v, 3) if isinstance(v, float) else v)
                            for k, v in drc_wafer(wafer, drc, report=rep).items()}
            if rep is not None and not entry["drc"]["clean"]:
                markers[files.gds.name] = rep
            # LVS of every die cell once: the nets the chips declare against KLayout's extraction
            entry["lvs"] = check_lvs_layout(wafer.layout, wafer.platform, expected=expected).to_json()
        chip_entries = []
        for cg, chip in zip(files.chip_gds, chips.values()):
            c_entry = {"name": cg.stem, "platform": wafer.platform, "gds": cg.name, "gds_bytes": cg.stat().st_size}
            if drc != "none":
                rep = out / "figures" / f"{cg.stem}_drc.lyrdb" if thumbnails else None
                r = check_gds(cg, wafer.platform, report=None)
                if rep is not None and not r.clean:
                    r = check_gds(cg, wafer.platform, report=rep)
                    markers[cg.name] = rep
                c_entry["drc"] = {"clean": r.clean, "violations": {k: v for k, v in r.violations.items() if v},
                                  "elapsed_s": round(r.elapsed_s, 3)}
                c_entry["lvs"] = check_lvs_gds(cg, wafer.platform,
                                               expected=dict(chip.info.get("nets", {}) or {})).to_json()
            chip_entries.append(c_entry)
        if thumbnails:
            from .render import render_gds

            fig = out / "figures"
            p = render_gds(files.gds, fig / f"{wafer.platform}_wafer.png",
                           title=f"{which} wafer ({wafer.platform}), {wafer.n_dies} dies",
                           markers=markers.get(files.gds.name))
            entry["thumbnail"] = p.relative_to(out).as_posix()
            for c_entry in chip_entries:
                c_entry["thumbnail"] = render_gds(out / c_entry["gds"], fig / f"{c_entry['name']}.png",
                                                  markers=markers.get(c_entry["gds"])).relative_to(out).as_posix()
        summary["chips"].extend(chip_entries)
        summary["wafers"].append(entry)
        if log:
            d = entry.get("drc", {})
            drc_s = f"DRC {'clean' if d.get('clean') else d.get('violations')} ({d.get('elapsed_s', 0):.1f} s)" if d else "DRC not run"
            lv = entry.get("lvs")
            if lv:
                drc_s += f", LVS {lv['status']} ({lv['nets']} nets, {len(lv['opens'])} opens, {len(lv['shorts'])} shorts)"
            log(f"  {which} wafer ({wafer.platform}): {wafer.n_dies} dies, {len(wafer.manifest['variants'])} variant(s), "
                f"{entry['n_test_structures']} test structures, {files.gds_bytes / 1024:.0f} kB, build {build_s:.1f} s, "
                f"write {files.write_s:.2f} s, {drc_s}")
    return summary
