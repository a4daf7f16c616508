"""Wafer thumbnails two ways in one run: the former matplotlib renderer (polygons from ``klayout.db``
shapes, each distinct child cell merged and smoothed once; kept only here, as the baseline) and the
KLayout renderer of :func:`qchipnet.layouts.render.render_gds` (``klayout.lay.LayoutView`` with the
platform's layer properties). Prints CPU and wall seconds of each and the ratio.

    nice -n 10 .venv/bin/python benchmarks/bench_render.py [--repeat 3]

Wafers: the default design's client (InP) and server (Si3N4) wafers, built and written to a
temporary folder first (not timed).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from qchipnet.design import load_design
from qchipnet.layouts.build import build_wafer
from qchipnet.layouts.masks import write_wafer
from qchipnet.layouts.render import render_gds

#: fallback colours per layer name (the .lyp colours are not parsed here)
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def _cell_polys(ly, cell, li, tol_dbu: int, cache: dict):
    import klayout.db as kdb
    import numpy as np

    key = (cell.cell_index(), li)
    if key not in cache:
        reg = kdb.Region(cell.begin_shapes_rec(li)).merged()
        if tol_dbu > 1:
            reg = reg.smoothed(tol_dbu)
        polys = []
        for p in reg.each():
            pts = np.array([(q.x, q.y) for q in p.to_simple_polygon().each_point()], dtype=float)
            if len(pts) >= 3:
                polys.append(pts * ly.dbu)
        cache[key] = polys
    return cache[key]


def render_matplotlib(gds: str | Path, png: str | Path, *, title: str | None = None, size_px: int = 900,
               resolution: int = 1500, skip_layers: tuple[tuple[int, int], ...] = ()) -> Path:
    """The former renderer (matplotlib polygons from ``klayout.db`` shapes), kept here as the baseline."""
    import klayout.db as kdb
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.collections import PolyCollection

    ly = kdb.Layout()
    ly.read(str(gds))
    top = ly.top_cells()[0]
    bbox = top.dbbox()
    extent = max(bbox.width(), bbox.height(), 1.0)
    tol = int(extent / resolution / ly.dbu)
    cache: dict = {}
    fig, ax = plt.subplots(figsize=(size_px / 150, size_px / 150), dpi=150)
    layers = sorted(ly.layer_indexes(), key=lambda i: (ly.get_info(i).layer, ly.get_info(i).datatype))
    for n, li in enumerate(layers):
        info = ly.get_info(li)
        if (info.layer, info.datatype) in skip_layers:
            continue
        own = kdb.Region(top.shapes(li))
        polys = [np.array([(q.x, q.y) for q in p.to_simple_polygon().each_point()], float) * ly.dbu
                 for p in own.merged().each()]
        for inst in top.each_inst():
            base = _cell_polys(ly, ly.cell(inst.cell_index), li, tol, cache)
            if not base:
                continue
            for t in inst.cell_inst.each_cplx_trans():
                a = np.deg2rad(t.angle)
                R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) * t.mag
                if t.is_mirror():
                    R = R @ np.diag([1.0, -1.0])
                off = np.array([t.disp.x, t.disp.y]) * ly.dbu
                polys.extend(p @ R.T + off for p in base)
        if not polys:
            continue
        pc = PolyCollection(polys, facecolors=_COLOURS[n % len(_COLOURS)], edgecolors="none", alpha=0.55,
                            label=f"{info.layer}/{info.datatype}")
        ax.add_collection(pc)
    pad = 0.02 * extent
    ax.set_xlim(bbox.left - pad, bbox.right + pad)
    ax.set_ylim(bbox.bottom - pad, bbox.top + pad)
    ax.set_aspect("equal")
    ax.set_xlabel("x (um)")
    ax.set_ylabel("y (um)")
    ax.set_title(title or Path(gds).name, fontsize=9)
    ax.legend(fontsize=6, loc="upper right", framealpha=0.6)
    fig.tight_layout()
    png = Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, metadata={"Software": None})
    plt.close(fig)
    return png


def _time(fn, repeat: int) -> tuple[float, float]:
    """(best wall s, best CPU s) of ``repeat`` calls."""
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed calls per renderer (best is reported)")
    ap.add_argument("--size-px", type=int, default=900)
    args = ap.parse_args()
    d = load_design()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for which in ("client", "server"):
            mask, chips = build_wafer(d, which)
            gds = write_wafer(mask, out, chips).gds
            w_mpl, c_mpl = _time(lambda g=gds: render_matplotlib(g, out / "mpl.png", size_px=args.size_px), args.repeat)
            w_kl, c_kl = _time(lambda g=gds: render_gds(g, out / "klayout.png", size_px=args.size_px), args.repeat)
            print(f"{which} wafer ({mask.platform}, {mask.n_dies} dies, {args.size_px} px, best of {args.repeat}):")
            print(f"  matplotlib: wall {w_mpl:.3f} s, CPU {c_mpl:.3f} s")
            print(f"  KLayout:    wall {w_kl:.3f} s, CPU {c_kl:.3f} s")
            print(f"  ratio matplotlib / KLayout: wall {w_mpl / w_kl:.1f}x, CPU {c_mpl / c_kl:.1f}x")


if __name__ == "__main__":
    main()
