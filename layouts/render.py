"""PNG thumbnails of GDS masks (the pictures :func:`qchipnet.layouts.build.build_masks` writes),
rendered with matplotlib from ``klayout.db`` shapes.

The pip klayout has no ``LayoutView`` without a display, so polygons are drawn directly. A wafer
holds hundreds of references to a few cells: each distinct child cell is merged and simplified
once (vertices closer than ``extent / resolution`` dropped) and then only transformed per
instance, so a wafer renders in seconds and the PNG does not depend on the number of vertices.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["render_gds"]

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


def render_gds(gds: str | Path, png: str | Path, *, title: str | None = None, size_px: int = 900,
               resolution: int = 1500, skip_layers: tuple[tuple[int, int], ...] = ()) -> Path:
    """Render the single top cell of ``gds`` to ``png`` (square, ``size_px`` wide)."""
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
