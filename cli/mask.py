"""``qchipnet mask``: chip GDS, both wafers, their manifests and the KLayout layer properties."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from ._common import echo_json

__all__ = ["register", "build_masks", "server_params", "transmitter_params", "WAFERS"]

#: --only choices -> platform
WAFERS = {"server": "sin", "client": "inp"}


def server_params(design) -> dict:
    r, ch = design.server_ring, design.server_chip
    return {"radius_um": r.radius_um, "width_um": r.width_um, "gap_um": r.gap_um, "bus_width_um": r.bus_width_um,
            "thickness_nm": r.thickness_nm, "die_width_um": ch.die_width_um, "die_height_um": ch.die_height_um,
            "heater": ch.heater}


def transmitter_params(design) -> dict:
    t = design.transmitter
    return {"die_width_um": t.die_width_um, "die_height_um": t.die_height_um, "pm_length_um": t.pm_length_um,
            "voa_length_um": t.voa_length_um}


def build_wafer(design, which: str):
    """(wafer mask, {chip name: chip cell}) of the ``server`` or ``client`` wafer of ``design``."""
    from ..layouts import chips as lc
    from ..layouts.masks import client_wafer, server_wafer

    mk = design.mask
    if which == "server":
        sp = server_params(design)
        tests = lc.sin_test_structures(loss_ring_radii_um=mk.loss_ring_radii_um, width_um=sp["width_um"])
        wafer = server_wafer(lc.server_chip, sp, gap_offsets_um=mk.doe_gap_offsets_um,
                             width_offsets_um=mk.doe_width_offsets_um, test_structures=tests,
                             dicing_lane_um=mk.dicing_lane_um, reserved_rows_top=mk.reserved_rows_top_sin)
        return wafer, {"server_chip": lc.server_chip(**sp)}
    tp = transmitter_params(design)
    chip = lc.transmitter_chip(**tp)
    tests = lc.inp_test_structures(pm_lengths_um=mk.test_pm_lengths_um, mzi_lengths_um=mk.test_mzi_lengths_um,
                                   cutback_lengths_um=mk.cutback_lengths_um, ridge_width_um=design.transmitter.ridge_width_um)
    wafer = client_wafer(chip, tp, tests, dicing_lane_um=mk.dicing_lane_um, reserved_rows_top=mk.reserved_rows_top_inp)
    return wafer, {"transmitter_chip": chip}


def build_masks(design, out: Path, only: str | None = None, drc: str = "full", thumbnails: bool = False,
                log=None) -> dict:
    """Build, write and DRC the wafers of ``design`` into ``out``; returns the summary dict."""
    from ..layouts.masks import drc_wafer, write_wafer
    from ..pdk.drc import check_gds
    from ..validate import InputError

    if only is not None and only not in WAFERS:
        raise InputError(f"--only {only!r}: choose one of {list(WAFERS)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary: dict = {"status": "ok", "wafers": [], "chips": []}
    for which in ("server", "client"):
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
        if drc != "none":
            entry["drc"] = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in drc_wafer(wafer, drc).items()}
        for cg in files.chip_gds:
            c_entry = {"name": cg.stem, "platform": wafer.platform, "gds": cg.name, "gds_bytes": cg.stat().st_size}
            if drc != "none":
                r = check_gds(cg, wafer.platform)
                c_entry["drc"] = {"clean": r.clean, "violations": {k: v for k, v in r.violations.items() if v},
                                  "elapsed_s": round(r.elapsed_s, 3)}
            summary["chips"].append(c_entry)
        if thumbnails:
            from ..report.thumbnail import render_gds

            fig = out / "figures"
            p = render_gds(files.gds, fig / f"{wafer.platform}_wafer.png", title=f"{which} wafer ({wafer.platform}), {wafer.n_dies} dies")
            entry["thumbnail"] = p.relative_to(out).as_posix()
            for c_entry in summary["chips"]:
                if c_entry["platform"] == wafer.platform:
                    c_entry["thumbnail"] = render_gds(out / c_entry["gds"], fig / f"{c_entry['name']}.png").relative_to(out).as_posix()
        summary["wafers"].append(entry)
        if log:
            d = entry.get("drc", {})
            drc_s = f"DRC {'clean' if d.get('clean') else d.get('violations')} ({d.get('elapsed_s', 0):.1f} s)" if d else "DRC not run"
            log(f"  {which} wafer ({wafer.platform}): {wafer.n_dies} dies, {len(wafer.manifest['variants'])} variant(s), "
                f"{entry['n_test_structures']} test structures, {files.gds_bytes / 1024:.0f} kB, build {build_s:.1f} s, "
                f"write {files.write_s:.2f} s, {drc_s}")
    return summary


def register(app: typer.Typer) -> None:
    @app.command("mask")
    def mask_cmd(
        out: Path = typer.Option(..., "--out", help="Directory for the GDS files, manifests and .lyp."),
        design: Path = typer.Option(None, "--design", help="Design YAML/TOML (default: the built-in design)."),
        only: str = typer.Option(None, "--only", help="Write only the server (Si3N4) or the client (InP) wafer."),
        drc: str = typer.Option("full", "--drc", help="DRC mode: full (flattened wafer), cells (each distinct cell once) or none."),
        json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    ) -> None:
        """Write chip GDS, both wafers (references, no flattening), manifests and layer properties; DRC them."""
        from ..design import load_design
        from ..validate import InputError

        if drc not in ("full", "cells", "none"):
            raise InputError(f"--drc {drc!r}: choose full, cells or none")
        t0 = time.perf_counter()
        d = load_design(design)
        summary = build_masks(d, out, only=only, drc=drc, log=None if json_out else typer.echo)
        summary["elapsed_s"] = round(time.perf_counter() - t0, 3)
        if json_out:
            echo_json(summary)
        else:
            typer.echo(f"masks written to {out} in {summary['elapsed_s']:.1f} s")
        clean = all(w.get("drc", {}).get("clean", True) for w in summary["wafers"]) and \
            all(c.get("drc", {}).get("clean", True) for c in summary["chips"])
        raise typer.Exit(0 if clean else 1)
