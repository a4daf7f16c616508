"""Process design kits of the two platforms: ``sin`` (Si3N4 in SiO2) and ``inp`` (generic InP).

``get_pdk(name)`` builds a cached gdsfactory :class:`~gdsfactory.Pdk` (layers, layer stack, layer
views, cross-sections). Nothing is activated on import: call ``get_pdk("sin").activate()``, or use
the :func:`activated` context manager which restores the previously active PDK.
``get_platform(name)`` gives the plain-data side (rules, process data, materials, wafer size).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Iterator

from ..validate import InputError

__all__ = ["PLATFORMS", "get_pdk", "get_platform", "activated", "Platform", "lyp_path"]

PLATFORMS: tuple[str, ...] = ("sin", "inp")


def _check(name: str) -> str:
    if name not in PLATFORMS:
        raise InputError(f"unknown platform {name!r}; choose one of {list(PLATFORMS)}")
    return name


@dataclass(frozen=True)
class Platform:
    """Plain-data view of a platform (no gdsfactory state)."""

    name: str
    module: ModuleType

    @property
    def layers(self) -> dict[str, tuple[int, int]]:
        """Layer name -> (layer, datatype)."""
        L = self.module.LAYER
        return {m.name: (int(m.layer), int(m.datatype)) for m in L}

    @property
    def rules(self):
        return self.module.RULES

    @property
    def process(self):
        return self.module.get_process()

    @property
    def wafer_diameter_mm(self) -> float:
        return importlib.import_module(f"{self.module.__name__}.geometry").WAFER_DIAMETER_MM

    @property
    def edge_exclusion_mm(self) -> float:
        return importlib.import_module(f"{self.module.__name__}.geometry").EDGE_EXCLUSION_MM


@functools.lru_cache(maxsize=None)
def get_platform(name: str) -> Platform:
    """Plain-data description of platform ``name`` (``sin`` or ``inp``)."""
    return Platform(name=name, module=importlib.import_module(f"{__name__}.{_check(name)}"))


@functools.lru_cache(maxsize=None)
def get_pdk(name: str):
    """The gdsfactory PDK of platform ``name``; cached, not activated.

    The generic gdsfactory PDK is a base PDK so that library cells referenced by name inside
    gdsfactory (``bend_euler``, ``straight``, ``taper``) resolve; every qchipnet cell passes its own
    cross-section explicitly.
    """
    import gdsfactory as gf

    mod = get_platform(name).module
    return gf.Pdk(
        name=f"qchipnet_{name}",
        layers=mod.LAYER,
        layer_stack=mod.get_layer_stack(),
        layer_views=mod.get_layer_views(),
        cross_sections=mod.cross_sections,
        cells={},
        base_pdks=[gf.gpdk.get_generic_pdk()],
    )


@contextlib.contextmanager
def activated(name: str) -> Iterator[object]:
    """Activate platform ``name`` for the ``with`` block, then restore the previously active PDK."""
    import gdsfactory.pdk as gpdk

    previous = gpdk._ACTIVE_PDK
    pdk = get_pdk(name)
    pdk.activate()
    try:
        yield pdk
    finally:
        if previous is not None:
            previous.activate()
        else:
            gpdk._ACTIVE_PDK = None


def lyp_path(name: str):
    """Path of the committed KLayout layer-properties file of platform ``name``."""
    from pathlib import Path

    return Path(__file__).parent / _check(name) / "layers.lyp"
