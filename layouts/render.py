"""PNG thumbnails of GDS masks as KLayout draws them (the pictures :func:`qchipnet.layouts.build.build_masks`
writes), with DRC markers overlaid.

The layout is drawn by ``klayout.lay.LayoutView`` (KLayout's own renderer, headless: the pip
``klayout`` 0.30 module needs no display for ``LayoutView`` and ``save_image_with_options``) with the
platform's layer properties (:func:`qchipnet.pdk.lyp_path`: layer names, colours, fill patterns),
all hierarchy levels shown, text objects (LVS pin labels) hidden and a white background. A wafer of
hundreds of die references renders in about 0.1 s, because KLayout draws each cell once per
resolution level and only blits the instances.

DRC markers: the items of a KLayout marker database (``.lyrdb``, as :mod:`qchipnet.pdk.drc` writes
it) are drawn as boxes of :data:`MARKER_COLOUR` on a marker layer over the layout, each at least
:data:`MARKER_MIN_PX` pixels wide so that a violation of a few um is visible on a 100 mm wafer.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["MARKER_COLOUR", "MARKER_LAYER", "MARKER_MIN_PX", "marker_boxes", "render_gds"]

#: Colour of the DRC marker boxes (not used by any layer of the platforms' layer properties).
MARKER_COLOUR = "#00c8ff"
#: GDS layer the markers are drawn on inside the view (never written to a file).
MARKER_LAYER = (1000, 0)
#: Smallest marker box edge (pixels).
MARKER_MIN_PX = 8
_BACKGROUND = "#ffffff"


def _platform_of(ly, gds: Path, platform: str | None) -> str | None:
    """The platform whose layer properties to use: given, from the file name (``sin_*`` / ``inp_*``),
    or the only platform that defines every layer of the layout; None when undecidable."""
    from ..pdk import PLATFORMS, get_platform

    if platform is not None:
        return get_platform(platform).name
    for p in PLATFORMS:
        if gds.name.startswith(f"{p}_"):
            return p
    used = {(i.layer, i.datatype) for i in ly.layer_infos()}
    fits = [p for p in PLATFORMS if used <= set(get_platform(p).layers.values())]
    return fits[0] if len(fits) == 1 else None


def marker_boxes(markers) -> list:
    """Bounding boxes (``klayout.db.DBox``, um) of the items of a DRC marker database: a ``.lyrdb``
    path, a :class:`qchipnet.pdk.drc.DrcResult` (its in-memory markers), or None."""

    if markers is None:
        return []
    boxes = []
    if hasattr(markers, "markers"):  # DrcResult: klayout Region / EdgePairs / Edges in dbu
        dbu = getattr(markers, "dbu", 0.001)
        for ms in markers.markers.values():
            for m in ms if isinstance(ms, list) else [ms]:
                boxes.extend(item.bbox().to_dtype(dbu) for item in m.each())
        return boxes
    from klayout import rdb

    path = Path(markers)
    if not path.exists():
        from ..validate import InputError

        raise InputError(f"DRC marker database {str(path)!r} does not exist")
    db = rdb.ReportDatabase("")
    db.load(str(path))
    for item in db.each_item():
        for v in item.each_value():
            if v.is_box():
                boxes.append(v.box())
            elif v.is_polygon():
                boxes.append(v.polygon().bbox())
            elif v.is_edge_pair():
                boxes.append(v.edge_pair().bbox())
            elif v.is_edge():
                boxes.append(v.edge().bbox())
    return boxes


def render_gds(gds: str | Path, png: str | Path, *, title: str | None = None, size_px: int = 900,
               resolution: int = 1500, skip_layers: tuple[tuple[int, int], ...] = (), markers=None,
               platform: str | None = None, lyp: str | Path | None = None) -> Path:
    """Render the single top cell of ``gds`` to ``png`` (square, ``size_px`` wide) with KLayout.

    Args:
        title: stored in the PNG's ``Title`` text chunk (the picture itself is KLayout's view).
        size_px: image edge (pixels), 64-8000.
        resolution: kept for callers of the former matplotlib renderer; KLayout draws at pixel resolution.
        skip_layers: (layer, datatype) pairs not drawn.
        markers: DRC markers to overlay (``.lyrdb`` path or :class:`~qchipnet.pdk.drc.DrcResult`).
        platform, lyp: layer properties to use (default: the platform guessed from the file name or
            its layers, :func:`qchipnet.pdk.lyp_path`).
    """
    import klayout.db as kdb
    from klayout import lay

    from ..pdk import lyp_path
    from ..validate import InputError, check_range
    from .export import atomic_target

    del resolution  # KLayout draws at pixel resolution
    check_range("size_px", size_px, 64, 8000, "px")
    gds, png = Path(gds), Path(png)
    if not gds.is_file():
        raise InputError(f"GDS file {str(gds)!r} does not exist")
    view = lay.LayoutView()
    view.set_config("background-color", _BACKGROUND)
    view.set_config("grid-visible", "false")
    view.set_config("text-visible", "false")
    view.set_config("bitmap-oversampling", "1")
    ci = view.load_layout(str(gds), False)
    ly = view.cellview(ci).layout()
    tops = ly.top_cells()
    if len(tops) != 1:
        raise InputError(f"{str(gds)!r}: a thumbnail needs exactly one top cell, found {len(tops)}")
    plat = _platform_of(ly, gds, platform)
    props = Path(lyp) if lyp is not None else (lyp_path(plat) if plat else None)
    if props is not None:
        view.load_layer_props(str(props), ci, True)  # add layers of the layout missing from the .lyp
    else:
        view.add_missing_layers()
    for node in _iter_layers(view):
        src = (node.source_layer, node.source_datatype)
        if src in skip_layers:
            node.visible = False
    bbox = tops[0].dbbox()
    extent = max(bbox.width(), bbox.height(), 1.0)
    boxes = marker_boxes(markers)
    if boxes:
        um_per_px = extent * 1.04 / size_px
        half = MARKER_MIN_PX * um_per_px / 2
        li = ly.layer(*MARKER_LAYER)
        shapes = tops[0].shapes(li)
        for b in boxes:
            c = b.center()
            w, h = max(b.width() / 2, half), max(b.height() / 2, half)
            shapes.insert(kdb.DBox(c.x - w, c.y - h, c.x + w, c.y + h))
        node = lay.LayerPropertiesNode()
        node.source = f"{MARKER_LAYER[0]}/{MARKER_LAYER[1]}@{ci + 1}"
        node.name = "DRC markers"
        colour = int(MARKER_COLOUR[1:], 16)
        node.frame_color = node.fill_color = colour
        node.dither_pattern = 0  # solid
        node.width = 2
        view.insert_layer(view.end_layers(), node)
    view.max_hier()
    pad = 0.02 * extent
    target = kdb.DBox(bbox.left - pad, bbox.bottom - pad, bbox.right + pad, bbox.top + pad)
    with atomic_target(png) as tmp:
        view.save_image_with_options(tmp, size_px, size_px, 0, 1, 0, target, False)
        if title:
            _set_png_title(tmp, title)
    return png


def _iter_layers(view):
    it = view.begin_layers()
    while not it.at_end():
        yield it.current()
        it.next()


def _set_png_title(path: str, title: str) -> None:
    """Store ``title`` in the PNG's tEXt chunk (Pillow, which matplotlib already requires)."""
    from PIL import Image, PngImagePlugin

    with Image.open(path) as im:
        im.load()
        info = PngImagePlugin.PngInfo()
        info.add_text("Title", title)
        im.save(path, format="PNG", pnginfo=info)
