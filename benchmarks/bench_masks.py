"""Time to build + write the client (InP) wafer and to DRC it, two ways each in one run:
wafer written with cell references vs flattened, and DRC of the flattened wafer vs DRC of each
distinct cell once. Prints the times and the ratios.

    /work/venv/bin/python benchmarks/bench_masks.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from qchipnet.design import load_design
from qchipnet.layouts import chips as lc
from qchipnet.layouts.export import write_layout
from qchipnet.layouts.masks import client_wafer, drc_wafer, write_wafer


def main() -> None:
    d = load_design()
    t = d.transmitter
    params = {"die_width_um": t.die_width_um, "die_height_um": t.die_height_um, "pm_length_um": t.pm_length_um,
              "voa_length_um": t.voa_length_um}
    t0 = time.perf_counter()
    chip = lc.transmitter_chip(**params)
    mask = client_wafer(chip, params, lc.inp_test_structures())
    t_build = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        files = write_wafer(mask, tmp, {"transmitter_chip": chip})
        t_ref = time.perf_counter() - t0
        flat = mask.layout.dup()
        top = flat.cell(mask.top.name)
        t0 = time.perf_counter()
        top.flatten(-1, True)
        write_layout(flat, top, Path(tmp) / "inp_wafer_flat.gds")
        t_flat = time.perf_counter() - t0
        size_flat = (Path(tmp) / "inp_wafer_flat.gds").stat().st_size
        print(f"inp wafer: {mask.n_dies} dies, build {t_build:.2f} s")
        print(f"write with references: {t_ref:.2f} s, {files.gds_bytes / 1e6:.2f} MB")
        print(f"flatten + write:       {t_flat:.2f} s, {size_flat / 1e6:.2f} MB  (ratio time {t_flat / t_ref:.1f}x, "
              f"size {size_flat / files.gds_bytes:.1f}x)")
    r_full = drc_wafer(mask, "full")
    r_cells = drc_wafer(mask, "cells")
    print(f"DRC full wafer: {r_full['elapsed_s']:.1f} s clean={r_full['clean']}; per distinct cell: "
          f"{r_cells['elapsed_s']:.1f} s clean={r_cells['clean']} (ratio {r_full['elapsed_s'] / r_cells['elapsed_s']:.1f}x)")


if __name__ == "__main__":
    main()
