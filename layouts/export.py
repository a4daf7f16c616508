"""Writing masks: byte-reproducible GDS, the wafer manifest (YAML) and the KLayout layer properties.

GDS is written by klayout with ``gds2_write_timestamps = False`` (the BGNLIB/BGNSTR dates are
zeroed), without gdsfactory's context metadata and with polygons split at 4000 vertices, so the
same design gives the same bytes on every run.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import klayout.db as kdb

from ..pdk import lyp_path

__all__ = ["atomic_target", "file_sha256", "save_options", "write_cell", "write_component", "write_layout", "write_lyp",
           "write_manifest"]


@contextmanager
def atomic_target(path: str | Path):
    """A unique temporary name beside ``path`` to write to; renamed to ``path`` only when the body
    succeeds, so a killed or failed write never leaves a truncated file under the final name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_options() -> kdb.SaveLayoutOptions:
    so = kdb.SaveLayoutOptions()
    so.format = "GDS2"
    so.gds2_write_timestamps = False
    so.gds2_max_vertex_count = 4000
    so.gds2_write_cell_properties = False
    so.gds2_write_file_properties = False
    so.write_context_info = False
    so.gds2_libname = "QCHIPNET"
    return so


def write_layout(ly: kdb.Layout, top: kdb.Cell, path: str | Path) -> Path:
    """Write ``top`` and its children to ``path`` (GDS2, reproducible)."""
    path = Path(path)
    so = save_options()
    so.select_cell(top.cell_index())
    with atomic_target(path) as tmp:
        ly.write(tmp, so)
    return path


def write_cell(ly: kdb.Layout, cell: kdb.Cell, path: str | Path) -> Path:
    return write_layout(ly, cell, path)


def write_component(component, path: str | Path) -> Path:
    """A gdsfactory component as a reproducible single-top-cell GDS."""
    ly = kdb.Layout()
    ly.dbu = component.kcl.layout.dbu
    cell = ly.create_cell(component.name)
    cell.copy_tree(component.kdb_cell)
    return write_layout(ly, cell, path)


def write_manifest(manifest: dict, path: str | Path) -> Path:
    """Manifest as YAML (key order kept, no timestamps)."""
    import yaml

    path = Path(path)
    with atomic_target(path) as tmp:
        Path(tmp).write_text(yaml.safe_dump(manifest, sort_keys=False, default_flow_style=None, width=120))
    return path


def write_lyp(platform: str, out_dir: str | Path) -> Path:
    """Copy the platform's KLayout layer properties beside the masks as ``<platform>_layers.lyp``."""
    dst = Path(out_dir) / f"{platform}_layers.lyp"
    with atomic_target(dst) as tmp:
        Path(tmp).write_bytes(Path(lyp_path(platform)).read_bytes())
    return dst


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
