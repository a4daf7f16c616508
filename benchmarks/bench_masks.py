"""Time to build + write both wafers (client InP, server Si3N4) and to DRC them, two ways each in one run:
wafer written with cell references vs flattened, and DRC of the flattened wafer vs DRC of each
distinct cell once. Prints the times and the ratios.

    /work/venv/bin/python benchmarks/bench_masks.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from qchipnet.design import load_design
from qchipnet.layouts.build import build_wafer
from qchipnet.layouts.export import write_layout
from qchipnet.layouts.masks import drc_wafer, write_wafer


def bench(name: str, which: str) -> None:
    d = load_design()
    t0 = time.perf_counter()
    mask, chips = build_wafer(d, which)
    t_build = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        files = write_wafer(mask, tmp, chips)
        t_ref = time.perf_counter() - t0
        flat = mask.layout.dup()
        top = flat.cell(mask.top.name)
        t0 = time.perf_counter()
        top.flatten(-1, True)
        write_layout(flat, top, Path(tmp) / "wafer_flat.gds")
        t_flat = time.perf_counter() - t0
        size_flat = (Path(tmp) / "wafer_flat.gds").stat().st_size
        print(f"{name} wafer: {mask.n_dies} dies, build {t_build:.2f} s")
        print(f"  write with references: {t_ref:.2f} s, {files.gds_bytes / 1e6:.2f} MB")
        print(f"  flatten + write:       {t_flat:.2f} s, {size_flat / 1e6:.2f} MB  (ratio time {t_flat / t_ref:.1f}x, "
              f"size {size_flat / files.gds_bytes:.1f}x)")
    r_full = drc_wafer(mask, "full")
    r_cells = drc_wafer(mask, "cells")
    print(f"  DRC full wafer: {r_full['elapsed_s']:.1f} s clean={r_full['clean']}; per distinct cell: "
          f"{r_cells['elapsed_s']:.1f} s clean={r_cells['clean']} (ratio {r_full['elapsed_s'] / r_cells['elapsed_s']:.1f}x)")


def main() -> None:
    bench("inp (client)", "client")
    bench("sin (server)", "server")


if __name__ == "__main__":
    main()
