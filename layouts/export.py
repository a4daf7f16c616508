"""Writing masks: byte-reproducible GDS, the wafer manifest (YAML) and the KLayout layer properties.

GDS is written by klayout with ``gds2_write_timestamps = False`` (the BGNLIB/BGNSTR dates are
zeroed), without gdsfactory's context metadata and with polygons split at 4000 vertices, so the
same design gives the same bytes on every run.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import klayout.db as kdb

from ..pdk import lyp_path

__all__ = ["save_options", "write_layout", "write_cell", "write_component", "write_manifest", "write_lyp", "file_sha256"]


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
    path.parent.mkdir(parents=True, exist_ok=True)
    so = save_options()
    so.select_cell(top.cell_index())
    ly.write(str(path), so)
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
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(manifest, sort_keys=False, default_flow_style=None, width=120))
    return path


def write_lyp(platform: str, out_dir: str | Path) -> Path:
    """Copy the platform's KLayout layer properties beside the masks as ``<platform>_layers.lyp``."""
    dst = Path(out_dir) / f"{platform}_layers.lyp"
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(lyp_path(platform), dst)
    return dst


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
